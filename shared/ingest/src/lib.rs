//! Metrics ingest: Prometheus remote write 1.0/2.0 and OTLP/HTTP metrics, decoded into
//! [`lakewatch_model::MetricsBatch`] and written through `lakewatch_storage::MetricsWriter`.
//!
//! - [`remote_write`]: prost message types (`remote_write::proto::{WriteRequest, TimeSeries,
//!   Label, Sample, Exemplar, Histogram, ...}`, `remote_write::proto_v2::Request`), decoding and
//!   [`remote_write::encode_v1`] (snappy-compressed v1 body from a batch).
//! - [`otlp`]: OTLP body decoding and the Prometheus-3-compatible translation.
//! - [`handle`], [`handle_remote_write`], [`handle_otlp`]: the HTTP handlers over
//!   `http::Request<Bytes>` with an [`IngestContext`].
//! - [`IngestLimits`]: limits read from `LAKEWATCH_*` environment variables (log limits in
//!   [`LogsLimits`]).
//! - [`loki`]: log ingest (Loki push JSON/protobuf, OTLP logs via [`otlp::logs`]) into
//!   [`lakewatch_model::LogsBatch`] written through `lakewatch_storage::LogsWriter`; pure
//!   [`decode_push`] and the client-side encoders [`encode_push_protobuf`]/[`encode_push_json`].
//!
//! - Traces: [`handle_otlp_traces`] for [`TRACES_PATHS`] (OTLP/HTTP `ExportTraceServiceRequest`
//!   written through `lakewatch_storage::TracesWriter`), the pure [`decode_traces`] and the
//!   client-side encoders [`encode_traces_protobuf`]/[`encode_traces_json`].
//! - [`generator`]: Tempo-style span metrics and service graphs derived from every accepted
//!   trace export and written into the metrics store ([`Generator`], docs/span-metrics.md).
//!
//! Behaviour and its sources are documented in docs/ingest-metrics.md, docs/ingest-logs.md and
//! docs/ingest-traces.md.

pub mod context;
pub mod counts;
pub mod error;
pub mod generator;
pub mod handler;
pub mod limits;
pub mod loki;
pub mod otlp;
pub mod remote_write;
pub mod validate;

pub use context::IngestContext;
pub use counts::IngestCounts;
pub use error::IngestError;
pub use generator::{Generator, RecordOutcome, INSTANCE_LABEL, METRICS_WRITE_FAILURES};
pub use handler::{
    handle, handle_otlp, handle_remote_write, EXEMPLARS_WRITTEN, HISTOGRAMS_WRITTEN, OTLP_PATHS,
    REMOTE_WRITE_PATHS, SAMPLES_WRITTEN,
};
pub use limits::{IngestLimits, LogsLimits, NameValidation, TracesLimits};
pub use loki::{
    decode_push, encode_push_json, encode_push_protobuf, handle_loki_push, handle_otlp_logs,
    PushVersion, Rejection,
};

/// Log ingest paths (Loki push JSON/protobuf, legacy alias, Loki-native OTLP logs), all
/// served by [`handle`] ([`handle_loki_push`] for the first two, [`handle_otlp_logs`] for the
/// last).
pub const LOGS_PATHS: &[&str] = &["/loki/api/v1/push", "/api/prom/push", "/otlp/v1/logs"];

/// OTLP/HTTP trace ingest paths (the OTLP default `/v1/traces` and Tempo-style `/otlp/v1/traces`),
/// served by [`handle`] through [`handle_otlp_traces`].
pub const TRACES_PATHS: &[&str] = &["/v1/traces", "/otlp/v1/traces"];
pub use otlp::{
    decode_traces, decode_traces_response, encode_traces_json, encode_traces_protobuf,
    handle_otlp_traces, DecodedTraces,
};
pub use remote_write::encode_v1;
