//! `LogsWriter`: one push request → one immutable L0 object → one manifest commit.

use super::encode::{encode, normalize, EncodedLogs, LogsEncodeOptions};
use super::LogsWriteReceipt;
use crate::error::Result;
use crate::keys;
use crate::manifest::{ManifestLog, ObjectEntry, RowsStats};
use crate::store::Store;
use lakewatch_model::{LogsBatch, Signal, TenantId};
use std::time::{Duration, Instant};

/// Writes logs batches for ingest: one batch → one L0 object → one manifest commit. Cheap to
/// clone.
#[derive(Debug, Clone)]
pub struct LogsWriter {
    store: Store,
    encode: LogsEncodeOptions,
    gc_grace: Duration,
}

/// The manifest entry of an encoded logs object. Counters: `rows` = `samples` = entries,
/// `series` = streams, `histograms` = `exemplars` = 0, `metric_names` = `None`; the time
/// range is the entries' ns range rounded outwards to ms (creation time when empty).
pub(crate) fn object_entry(
    id: String,
    key: String,
    level: u8,
    enc: &EncodedLogs,
    source_max_id: String,
) -> ObjectEntry {
    let st = &enc.stats;
    let rows = RowsStats {
        rows: st.entries,
        series: st.streams,
        min_ns: st.min_ts_ns,
        max_ns: st.max_ts_ns,
    };
    ObjectEntry::for_rows(id, key, level, enc.bytes.len() as u64, rows, source_max_id)
}

impl LogsWriter {
    /// A writer with the default encoding ([`LogsEncodeOptions::default`]: zstd 3) and GC
    /// grace (10 min).
    pub fn new(store: Store) -> Self {
        LogsWriter {
            store,
            encode: LogsEncodeOptions::default(),
            gc_grace: crate::DEFAULT_GC_GRACE,
        }
    }

    /// Sets the GC grace the compactor uses (a write taking longer than half of it fails
    /// instead of committing an object the compactor may already consider an orphan).
    pub fn with_gc_grace(mut self, grace: Duration) -> Self {
        self.gc_grace = grace;
        self
    }

    /// Sets the Parquet encoding options.
    pub fn with_encode_options(mut self, opts: LogsEncodeOptions) -> Self {
        self.encode = opts;
        self
    }

    /// Writes one batch as one L0 object (`PutMode::Create`, ULID name) and commits it to the
    /// tenant's logs manifest; returns only when both are durable, so the caller may
    /// acknowledge the request. Streams with equal labels are merged; entries with the same
    /// (stream, timestamp, line, structured metadata) are kept once. Duplicates across
    /// batches (client retries) are removed on read and by compaction. A batch without
    /// entries writes nothing (receipt with `object_id: None`).
    ///
    /// Errors: object store failures, `CommitFailed` (lost too many manifest races or took
    /// longer than half the GC grace); on error nothing is visible and the client may retry.
    pub async fn write(&self, tenant: &TenantId, batch: &LogsBatch) -> Result<LogsWriteReceipt> {
        let started = Instant::now();
        if batch.entry_count() == 0 {
            return Ok(LogsWriteReceipt::default());
        }
        let streams = normalize(batch.streams.iter().cloned());
        let enc = encode(&streams, &self.encode)?;
        let id = ulid::Ulid::new().to_string();
        let key = keys::object_key(tenant, Signal::Logs, 0, &id);
        let entry = object_entry(id.clone(), key.clone(), 0, &enc, id.clone());
        let size = entry.size_bytes;
        let st = enc.stats.clone();
        self.store.put_new_object(&key, enc.bytes).await?;
        let committed = ManifestLog::new(self.store.clone(), tenant.clone(), Signal::Logs)
            .with_gc_grace(self.gc_grace)
            .publish(&entry, started, self.gc_grace / 2)
            .await?;
        Ok(LogsWriteReceipt {
            object_id: Some(id),
            key,
            manifest_version: committed.version,
            streams: st.streams,
            entries: st.entries,
            bytes: size,
        })
    }
}
