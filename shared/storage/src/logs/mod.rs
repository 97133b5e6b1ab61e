//! The logs Parquet layout (streams + entries, DESIGN §5): [`LogsWriter`] (ingest) and
//! [`LogsReader`] (query). Times are **nanoseconds** since the epoch (Loki's unit); the
//! manifest's `min_time_ms`/`max_time_ms` hold the object's range rounded outwards to ms.
//!
//! Schema: `docs/logs-parquet-schema.md`.

use crate::error::Result;
use crate::store::Store;
use lakewatch_model::{LabelMatcher, Labels, LogStream, LogsBatch, TenantId};

/// What a successful [`LogsWriter::write`] stored. Everything counted here is durable.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogsWriteReceipt {
    /// ULID of the new L0 object; `None` if the batch had no entries (nothing written).
    pub object_id: Option<String>,
    /// Relative key of the object (empty if none).
    pub key: String,
    /// Manifest version that made the object visible (0 if none).
    pub manifest_version: u64,
    /// Distinct streams and entries stored.
    pub streams: u64,
    pub entries: u64,
    /// Size of the object in bytes.
    pub bytes: u64,
}

/// Writes logs batches for ingest: one batch → one L0 object → one manifest commit. Cheap to
/// clone.
#[derive(Debug, Clone)]
pub struct LogsWriter {
    store: Store,
}

impl LogsWriter {
    pub fn new(store: Store) -> Self {
        LogsWriter { store }
    }

    /// Writes one batch as one L0 object and commits it to the tenant's logs manifest;
    /// returns only when both are durable. Streams with equal labels are merged; entries with
    /// the same (stream, timestamp, line, structured metadata) are kept once.
    pub async fn write(&self, tenant: &TenantId, batch: &LogsBatch) -> Result<LogsWriteReceipt> {
        let _ = (&self.store, tenant, batch);
        Err(crate::error::StorageError::InvalidBatch(
            "logs storage not implemented yet".into(),
        ))
    }
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

/// Reads logs for the query API. Cheap to clone.
#[derive(Debug, Clone)]
pub struct LogsReader {
    store: Store,
}

impl LogsReader {
    pub fn new(store: Store) -> Self {
        LogsReader { store }
    }

    /// Matching streams with their entries in `[start_ns, end_ns)`: streams sorted by labels,
    /// entries ascending by timestamp, duplicates (same timestamp, line and metadata) once.
    pub async fn select(&self, tenant: &TenantId, sel: &LogSelect) -> Result<Vec<LogStream>> {
        let _ = (&self.store, tenant, sel);
        Ok(Vec::new())
    }

    /// Label sets of the streams with at least one entry in `[start_ns, end_ns)` matching
    /// `matchers` (all streams if empty), sorted.
    pub async fn series(
        &self,
        tenant: &TenantId,
        matchers: &[LabelMatcher],
        start_ns: i64,
        end_ns: i64,
    ) -> Result<Vec<Labels>> {
        let _ = (tenant, matchers, start_ns, end_ns);
        Ok(Vec::new())
    }

    /// Per-stream entry and byte counts in `[start_ns, end_ns)`, sorted by labels.
    pub async fn stream_stats(
        &self,
        tenant: &TenantId,
        matchers: &[LabelMatcher],
        start_ns: i64,
        end_ns: i64,
    ) -> Result<Vec<StreamStats>> {
        let _ = (tenant, matchers, start_ns, end_ns);
        Ok(Vec::new())
    }
}
