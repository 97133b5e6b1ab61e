//! Native histograms in Prometheus's float representation (`FloatHistogram`).
//!
//! Buckets are **absolute counts** (not deltas). Schema `-4..=8` are exponential schemas
//! (bucket boundaries at powers of `2^(2^-schema)`), schema `-53` means custom buckets whose
//! upper bounds are `custom_values` (+Inf implicit). Semantics follow Prometheus
//! `model/histogram/float_histogram.go`.

use serde::{Deserialize, Serialize};

/// Counter-reset hint carried with a histogram sample (remote write `ResetHint`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ResetHint {
    #[default]
    Unknown,
    CounterReset,
    NotCounterReset,
    Gauge,
}

/// A run of consecutive buckets: `offset` is the gap (in bucket indexes) from the end of the
/// previous span (or from index 0 for the first span), `length` the number of buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BucketSpan {
    pub offset: i32,
    pub length: u32,
}

/// A native histogram sample with float counts.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FloatHistogram {
    pub counter_reset_hint: ResetHint,
    pub schema: i32,
    pub zero_threshold: f64,
    pub zero_count: f64,
    pub count: f64,
    pub sum: f64,
    pub positive_spans: Vec<BucketSpan>,
    pub negative_spans: Vec<BucketSpan>,
    /// Absolute counts, one per bucket covered by `positive_spans`.
    pub positive_buckets: Vec<f64>,
    /// Absolute counts, one per bucket covered by `negative_spans`.
    pub negative_buckets: Vec<f64>,
    /// Upper bounds for schema -53 (custom buckets); empty otherwise.
    pub custom_values: Vec<f64>,
}

/// Schema number of custom-bucket histograms (NHCB).
pub const CUSTOM_BUCKETS_SCHEMA: i32 = -53;
