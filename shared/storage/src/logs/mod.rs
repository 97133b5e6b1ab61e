//! The logs Parquet layout (streams + entries, DESIGN §5): [`LogsWriter`] (ingest) and
//! [`LogsReader`] (query). Times are **nanoseconds** since the epoch (Loki's unit); the
//! manifest's `min_time_ms`/`max_time_ms` hold the object's range rounded outwards to ms
//! (min floored, max ceiled).
//!
//! - [`schema`]: columns, the footer stream table, ns↔ms helpers.
//! - [`encode`]: streams → one Parquet object (sorted by stream, then time; deduped).
//! - [`decode`]: the stream table and the rows of chosen streams of one object.
//! - [`writer`] / [`reader`]: [`LogsWriter`] and [`LogsReader`].
//! - [`merge`]: what the compactor does with logs objects.
//!
//! Manifest counters of a logs object: `rows` = `samples` = entries, `series` = streams,
//! `histograms` = `exemplars` = 0, no `metric_names`.
//!
//! Schema: `docs/logs-parquet-schema.md`.

pub mod decode;
pub mod encode;
pub mod merge;
pub mod reader;
pub mod schema;
pub mod writer;

pub use encode::LogsEncodeOptions;
pub use reader::LogsReader;
pub use writer::LogsWriter;

use lakewatch_model::{LabelMatcher, Labels};

/// What a successful [`LogsWriter::write`] stored. Everything counted here is durable.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogsWriteReceipt {
    /// ULID of the new L0 object; `None` if the batch had no entries (nothing written).
    pub object_id: Option<String>,
    /// Relative key of the object (empty if none).
    pub key: String,
    /// Manifest version that made the object visible (0 if none).
    pub manifest_version: u64,
    /// Distinct streams and entries stored (after merging equal streams and dropping
    /// duplicate entries within the batch).
    pub streams: u64,
    pub entries: u64,
    /// Size of the object in bytes.
    pub bytes: u64,
}

/// One selection of log entries.
#[derive(Debug, Clone, Default)]
pub struct LogSelect {
    /// Stream selector (all must match the stream labels).
    pub matchers: Vec<LabelMatcher>,
    /// Inclusive start, ns since the epoch.
    pub start_ns: i64,
    /// Exclusive end, ns since the epoch.
    pub end_ns: i64,
    /// Pushdown hint: substrings every returned line must contain (from `|=` filters). The
    /// reader may use them to skip data; callers still apply their filters.
    pub line_contains: Vec<String>,
}

/// Which part of the lines [`LogsReader::select_projected`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LineProjection {
    /// Lines as stored.
    #[default]
    Full,
    /// No lines: every entry's `line` is empty (timestamps and structured metadata only);
    /// the line column is not read or decompressed. For queries that only count entries
    /// (`count_over_time`, `rate`, `absent_over_time` without a pipeline).
    None,
}

/// Per-stream statistics over a time range (for `index/stats` and `index/volume`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StreamStats {
    pub labels: Labels,
    pub entries: u64,
    /// Line bytes.
    pub bytes: u64,
    /// Objects ("chunks") holding the stream in the range.
    pub chunks: u64,
}
