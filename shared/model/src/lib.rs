//! Lakewatch's data model, shared by every signal's ingest, storage and query code.
//!
//! Time is always **milliseconds since the Unix epoch** (`i64`) for metrics, as in Prometheus.
//! Logs and traces (later) use nanoseconds and say so in their own types.

pub mod histogram;
pub mod labels;
pub mod logs;
pub mod matcher;
pub mod metrics;
pub mod tenant;

pub use histogram::{BucketSpan, FloatHistogram, ResetHint};
pub use labels::{Label, Labels, METRIC_NAME};
pub use logs::{LogEntry, LogStream, LogsBatch};
pub use matcher::{LabelMatcher, MatchOp};
pub use metrics::{
    is_stale_nan, Exemplar, MetricMetadata, MetricType, MetricsBatch, Sample, TimeSeries,
    STALE_NAN_BITS,
};
pub use tenant::{Signal, TenantId};
