//! The traces Parquet layout (one row per span, sorted by trace id, DESIGN §5):
//! [`TracesWriter`] (ingest) and [`TracesReader`] (query). Spans are OTLP's own types
//! (`opentelemetry-proto`); times are **nanoseconds** since the epoch as in OTLP; the
//! manifest's `min_time_ms`/`max_time_ms` hold the object's span-start range rounded outwards
//! to ms (min floored, max ceiled).
//!
//! - [`schema`]: columns, the dedicated attribute columns, the Arrow schema.
//! - [`attrs`]: OTLP attribute lists ↔ the typed attribute map columns.
//! - [`record`]: spans flattened with their resource and scope; sort, dedupe, group back.
//! - [`encode`] / [`decode`]: records ↔ one Parquet object (whole, or one trace's rows).
//! - [`writer`] / [`reader`]: [`TracesWriter`] and [`TracesReader`].
//! - [`merge`]: what the compactor does with traces objects.
//!
//! Manifest counters of a traces object: `rows` = `samples` = spans, `series` = distinct trace
//! ids, `histograms` = `exemplars` = 0, no `metric_names`.
//!
//! Schema: `docs/traces-parquet-schema.md`.

pub mod attrs;
pub mod decode;
pub mod encode;
pub mod merge;
pub mod reader;
pub mod record;
pub mod scan;
pub mod schema;
pub mod writer;

pub use encode::TracesEncodeOptions;
pub use reader::TracesReader;
pub use record::SpanRecord;
pub use writer::TracesWriter;

/// What a successful [`TracesWriter::write`] stored. Everything counted here is durable.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TracesWriteReceipt {
    /// ULID of the new L0 object; `None` if there were no spans (nothing written).
    pub object_id: Option<String>,
    /// Relative key of the object (empty if none).
    pub key: String,
    /// Manifest version that made the object visible (0 if none).
    pub manifest_version: u64,
    /// Spans stored (after dropping repeats of a (trace id, span id) within the request) and
    /// distinct trace ids.
    pub spans: u64,
    pub traces: u64,
    /// Size of the object in bytes.
    pub bytes: u64,
}
