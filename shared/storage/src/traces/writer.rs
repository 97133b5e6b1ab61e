//! `TracesWriter`: one OTLP request → one immutable L0 object → one manifest commit.

use super::encode::{encode, EncodedTraces, TracesEncodeOptions};
use super::record::{flatten, normalize};
use super::TracesWriteReceipt;
use crate::error::Result;
use crate::keys;
use crate::manifest::{ManifestLog, ObjectEntry, RowsStats};
use crate::store::Store;
use lakewatch_model::{Signal, TenantId};
use opentelemetry_proto::tonic::trace::v1::ResourceSpans;
use std::time::{Duration, Instant};

/// Writes OTLP spans for ingest: one request → one L0 object → one manifest commit. Cheap to
/// clone.
#[derive(Debug, Clone)]
pub struct TracesWriter {
    store: Store,
    encode: TracesEncodeOptions,
    gc_grace: Duration,
}

/// The manifest entry of an encoded traces object. Counters: `rows` = `samples` = spans,
/// `series` = distinct trace ids, `histograms` = `exemplars` = 0, `metric_names` = `None`; the
/// time range is the span starts' ns range rounded outwards to ms (creation time when empty).
pub(crate) fn object_entry(
    id: String,
    key: String,
    level: u8,
    enc: &EncodedTraces,
    source_max_id: String,
) -> ObjectEntry {
    let st = &enc.stats;
    let rows = RowsStats {
        rows: st.spans,
        series: st.traces,
        min_ns: st.min_start_ns,
        max_ns: st.max_start_ns,
    };
    ObjectEntry::for_rows(id, key, level, enc.bytes.len() as u64, rows, source_max_id)
}

impl TracesWriter {
    /// A writer with the default encoding ([`TracesEncodeOptions::default`]: zstd 3) and GC
    /// grace (10 min).
    pub fn new(store: Store) -> Self {
        TracesWriter {
            store,
            encode: TracesEncodeOptions::default(),
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
    pub fn with_encode_options(mut self, opts: TracesEncodeOptions) -> Self {
        self.encode = opts;
        self
    }

    /// Writes the spans of one request as one L0 object (`PutMode::Create`, ULID name) and
    /// commits it to the tenant's traces manifest; returns only when both are durable, so the
    /// caller may acknowledge the request. Spans are stored one row each, sorted by (trace id,
    /// start, span id); the same span (trace id, span id) twice in the request is kept once,
    /// and duplicates across requests (client retries) are removed on read and by compaction.
    /// A request without spans writes nothing (receipt with `object_id: None`).
    ///
    /// Errors: `InvalidBatch` if a trace id is not 16 bytes (nothing is written); object store
    /// failures, `CommitFailed` (lost too many manifest races or took longer than half the GC
    /// grace); on error nothing is visible and the client may retry.
    pub async fn write(
        &self,
        tenant: &TenantId,
        resource_spans: &[ResourceSpans],
    ) -> Result<TracesWriteReceipt> {
        let started = Instant::now();
        let mut rows = flatten(resource_spans)?;
        if rows.is_empty() {
            return Ok(TracesWriteReceipt::default());
        }
        normalize(&mut rows);
        let enc = encode(&rows, &self.encode)?;
        drop(rows);
        let id = ulid::Ulid::new().to_string();
        let key = keys::object_key(tenant, Signal::Traces, 0, &id);
        let entry = object_entry(id.clone(), key.clone(), 0, &enc, id.clone());
        let size = entry.size_bytes;
        let st = enc.stats.clone();
        self.store.put_new_object(&key, enc.bytes).await?;
        let committed = ManifestLog::new(self.store.clone(), tenant.clone(), Signal::Traces)
            .with_gc_grace(self.gc_grace)
            .publish(&entry, started, self.gc_grace / 2)
            .await?;
        Ok(TracesWriteReceipt {
            object_id: Some(id),
            key,
            manifest_version: committed.version,
            spans: st.spans,
            traces: st.traces,
            bytes: size,
        })
    }
}
