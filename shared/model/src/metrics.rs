//! Metric samples as received by ingest and stored by the metrics layout.

use crate::{FloatHistogram, Labels};
use serde::{Deserialize, Serialize};

/// Bit pattern of Prometheus's staleness marker (a NaN distinct from ordinary NaN).
pub const STALE_NAN_BITS: u64 = 0x7ff0_0000_0000_0002;

/// `true` if `v` is the staleness marker (not any NaN).
pub fn is_stale_nan(v: f64) -> bool {
    v.to_bits() == STALE_NAN_BITS
}

/// One float sample: `timestamp_ms` in milliseconds since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    pub timestamp_ms: i64,
    pub value: f64,
}

/// An exemplar attached to a series (labels usually carry `trace_id`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exemplar {
    pub labels: Labels,
    pub value: f64,
    pub timestamp_ms: i64,
}

/// One series with its samples, native histograms (ms timestamps) and exemplars.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TimeSeries {
    pub labels: Labels,
    pub samples: Vec<Sample>,
    pub histograms: Vec<(i64, FloatHistogram)>,
    pub exemplars: Vec<Exemplar>,
}

/// Metric type as in Prometheus metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MetricType {
    #[default]
    Unknown,
    Counter,
    Gauge,
    Histogram,
    Gaugehistogram,
    Summary,
    Info,
    Stateset,
}

/// Per metric family metadata (`/api/v1/metadata`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricMetadata {
    pub metric_family_name: String,
    pub metric_type: MetricType,
    pub help: String,
    pub unit: String,
}

/// What one ingest request carries after decoding: the unit written as one L0 object.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MetricsBatch {
    pub series: Vec<TimeSeries>,
    pub metadata: Vec<MetricMetadata>,
}

impl MetricsBatch {
    pub fn sample_count(&self) -> usize {
        self.series.iter().map(|s| s.samples.len()).sum()
    }
    pub fn histogram_count(&self) -> usize {
        self.series.iter().map(|s| s.histograms.len()).sum()
    }
    pub fn exemplar_count(&self) -> usize {
        self.series.iter().map(|s| s.exemplars.len()).sum()
    }
}
