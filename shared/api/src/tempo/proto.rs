//! Tempo's `tempopb` response messages (`pkg/tempopb/tempo.proto`) as prost types. Tempo's
//! trace payload types are the OTLP protos with the package renamed, so the
//! `opentelemetry-proto` types are wire-compatible and are reused here.

use opentelemetry_proto::tonic::trace::v1::ResourceSpans;

/// `tempopb.Trace` = `{ repeated ResourceSpans resourceSpans = 1; }`: the body of
/// `GET /api/traces/<id>` with `Accept: application/protobuf`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Trace {
    #[prost(message, repeated, tag = "1")]
    pub resource_spans: Vec<ResourceSpans>,
}

/// `tempopb.TraceByIDMetrics` (only `inspectedBytes = 1` is filled by Tempo today).
#[derive(Clone, PartialEq, prost::Message)]
pub struct TraceByIdMetrics {
    #[prost(uint64, tag = "1")]
    pub inspected_bytes: u64,
}

/// `tempopb.PartialStatus`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum PartialStatus {
    Complete = 0,
    Partial = 1,
}

/// `tempopb.TraceByIDResponse`: the body of `GET /api/v2/traces/<id>`
/// (`trace = 1`, `metrics = 2`, `status = 3` ([`PartialStatus`]), `message = 4`).
#[derive(Clone, PartialEq, prost::Message)]
pub struct TraceByIdResponse {
    #[prost(message, optional, tag = "1")]
    pub trace: Option<Trace>,
    #[prost(message, optional, tag = "2")]
    pub metrics: Option<TraceByIdMetrics>,
    #[prost(enumeration = "PartialStatus", tag = "3")]
    pub status: i32,
    #[prost(string, tag = "4")]
    pub message: String,
}
