//! Remote write 2.0 protobuf messages (`io.prometheus.write.v2.Request`), written by hand with
//! `prost` derives; field numbers exactly as Prometheus's
//! `prompb/io/prometheus/write/v2/types.proto`. Strings are interned in `symbols`
//! (`symbols[0]` must be `""`); labels are `(name_ref, value_ref)` pairs of indexes into it.
//! Timestamps are **milliseconds since the epoch**; `start_timestamp` 0 means unset.

use super::proto::{histogram, BucketSpan};

/// The request body of remote write 2.0 (after snappy block decompression).
#[derive(Clone, PartialEq, prost::Message)]
pub struct Request {
    // Fields 1 to 3 are reserved upstream.
    #[prost(string, repeated, tag = "4")]
    pub symbols: Vec<String>,
    #[prost(message, repeated, tag = "5")]
    pub timeseries: Vec<TimeSeries>,
}

/// One series with its labels as symbol references.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TimeSeries {
    #[prost(uint32, repeated, tag = "1")]
    pub labels_refs: Vec<u32>,
    #[prost(message, repeated, tag = "2")]
    pub samples: Vec<Sample>,
    #[prost(message, repeated, tag = "3")]
    pub histograms: Vec<Histogram>,
    #[prost(message, repeated, tag = "4")]
    pub exemplars: Vec<Exemplar>,
    #[prost(message, optional, tag = "5")]
    pub metadata: Option<Metadata>,
    // Field 6 is reserved upstream.
}

/// An exemplar with labels as symbol references.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Exemplar {
    #[prost(uint32, repeated, tag = "1")]
    pub labels_refs: Vec<u32>,
    #[prost(double, tag = "2")]
    pub value: f64,
    #[prost(int64, tag = "3")]
    pub timestamp: i64,
}

/// A float sample (ms timestamps).
#[derive(Clone, Copy, PartialEq, prost::Message)]
pub struct Sample {
    #[prost(double, tag = "1")]
    pub value: f64,
    #[prost(int64, tag = "2")]
    pub timestamp: i64,
    #[prost(int64, tag = "3")]
    pub start_timestamp: i64,
}

/// Series metadata: type plus help and unit as symbol references.
#[derive(Clone, Copy, PartialEq, prost::Message)]
pub struct Metadata {
    #[prost(enumeration = "MetricType", tag = "1")]
    pub r#type: i32,
    #[prost(uint32, tag = "3")]
    pub help_ref: u32,
    #[prost(uint32, tag = "4")]
    pub unit_ref: u32,
}

/// `Metadata.MetricType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum MetricType {
    Unspecified = 0,
    Counter = 1,
    Gauge = 2,
    Histogram = 3,
    Gaugehistogram = 4,
    Summary = 5,
    Info = 6,
    Stateset = 7,
}

/// A native histogram: fields 1–16 identical to the v1 [`super::proto::Histogram`], plus
/// `start_timestamp` (17).
#[derive(Clone, PartialEq, prost::Message)]
pub struct Histogram {
    #[prost(oneof = "histogram::Count", tags = "1, 2")]
    pub count: Option<histogram::Count>,
    #[prost(double, tag = "3")]
    pub sum: f64,
    #[prost(sint32, tag = "4")]
    pub schema: i32,
    #[prost(double, tag = "5")]
    pub zero_threshold: f64,
    #[prost(oneof = "histogram::ZeroCount", tags = "6, 7")]
    pub zero_count: Option<histogram::ZeroCount>,
    #[prost(message, repeated, tag = "8")]
    pub negative_spans: Vec<BucketSpan>,
    #[prost(sint64, repeated, tag = "9")]
    pub negative_deltas: Vec<i64>,
    #[prost(double, repeated, tag = "10")]
    pub negative_counts: Vec<f64>,
    #[prost(message, repeated, tag = "11")]
    pub positive_spans: Vec<BucketSpan>,
    #[prost(sint64, repeated, tag = "12")]
    pub positive_deltas: Vec<i64>,
    #[prost(double, repeated, tag = "13")]
    pub positive_counts: Vec<f64>,
    #[prost(enumeration = "super::proto::ResetHint", tag = "14")]
    pub reset_hint: i32,
    #[prost(int64, tag = "15")]
    pub timestamp: i64,
    #[prost(double, repeated, tag = "16")]
    pub custom_values: Vec<f64>,
    #[prost(int64, tag = "17")]
    pub start_timestamp: i64,
}

impl Histogram {
    /// The same histogram as a v1 message (drops `start_timestamp`).
    pub fn into_v1(self) -> super::proto::Histogram {
        super::proto::Histogram {
            count: self.count,
            sum: self.sum,
            schema: self.schema,
            zero_threshold: self.zero_threshold,
            zero_count: self.zero_count,
            negative_spans: self.negative_spans,
            negative_deltas: self.negative_deltas,
            negative_counts: self.negative_counts,
            positive_spans: self.positive_spans,
            positive_deltas: self.positive_deltas,
            positive_counts: self.positive_counts,
            reset_hint: self.reset_hint,
            timestamp: self.timestamp,
            custom_values: self.custom_values,
        }
    }
}
