//! `MetricsWriter`: one ingest request → one immutable L0 object → one manifest commit.

use super::encode::{encode_sorted, EncodeOptions};
use super::merge::BatchPlan;
use crate::error::Result;
use crate::keys;
use crate::manifest::{now_ms, ManifestLog, ObjectEntry};
use crate::store::Store;
use lakewatch_model::{MetricsBatch, Signal, TenantId};
use std::time::{Duration, Instant};

/// What a successful [`MetricsWriter::write`] stored. Everything counted here is durable.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WriteReceipt {
    /// ULID of the new L0 object; `None` if the batch was empty (nothing written).
    pub object_id: Option<String>,
    /// Relative key of the object (empty if none).
    pub key: String,
    /// Manifest version that made the object visible (0 if none).
    pub manifest_version: u64,
    /// Distinct series, float samples, histogram samples and exemplars stored (after dropping
    /// duplicates within the batch).
    pub series: u64,
    pub samples: u64,
    pub histograms: u64,
    pub exemplars: u64,
    /// Size of the object in bytes.
    pub bytes: u64,
}

/// Writes metrics batches for ingest. Cheap to clone.
#[derive(Debug, Clone)]
pub struct MetricsWriter {
    store: Store,
    encode: EncodeOptions,
    gc_grace: Duration,
}

impl MetricsWriter {
    /// A writer with the L0 Parquet options ([`EncodeOptions::l0`]) and the default GC grace
    /// (10 min).
    pub fn new(store: Store) -> Self {
        MetricsWriter {
            store,
            encode: EncodeOptions::l0(),
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
    pub fn with_encode_options(mut self, opts: EncodeOptions) -> Self {
        self.encode = opts;
        self
    }

    /// Writes one batch as one L0 object (`PutMode::Create`, ULID name) and commits it to the
    /// tenant's metrics manifest. Returns only when both are durable, so the caller may
    /// acknowledge the request. Duplicate (series, timestamp) pairs inside the batch are kept
    /// once (the last wins); duplicates across batches are removed on read and compaction.
    /// A batch without samples, histograms, exemplars or metadata writes nothing.
    ///
    /// Errors: object store failures, `CommitFailed` (lost too many manifest races or took
    /// longer than half the GC grace); on error nothing is visible and the client may retry.
    pub async fn write(&self, tenant: &TenantId, batch: &MetricsBatch) -> Result<WriteReceipt> {
        let started = Instant::now();
        // Series are encoded in place; only repeated or unordered ones are copied and merged.
        let plan = BatchPlan::new(&batch.series);
        if !plan.has_data() && batch.metadata.is_empty() {
            return Ok(WriteReceipt::default());
        }
        let enc = encode_sorted(&plan.refs(), &batch.metadata, &self.encode)?;
        let id = ulid::Ulid::new().to_string();
        let key = keys::object_key(tenant, Signal::Metrics, 0, &id);
        let size = enc.bytes.len() as u64;
        self.store.put_new_object(&key, enc.bytes).await?;
        let st = enc.stats;
        let created = now_ms();
        let (min_t, max_t) = if st.rows == 0 {
            (created, created)
        } else {
            (st.min_time_ms, st.max_time_ms)
        };
        let entry = ObjectEntry {
            id: id.clone(),
            key: key.clone(),
            level: 0,
            min_time_ms: min_t,
            max_time_ms: max_t,
            size_bytes: size,
            rows: st.rows,
            samples: st.samples,
            histograms: st.histograms,
            exemplars: st.exemplars,
            series: st.series,
            metric_names: st.metric_names.clone(),
            source_max_id: id.clone(),
            created_at_ms: created,
        };
        let committed = ManifestLog::new(self.store.clone(), tenant.clone(), Signal::Metrics)
            .with_gc_grace(self.gc_grace)
            .publish(&entry, started, self.gc_grace / 2)
            .await?;
        Ok(WriteReceipt {
            object_id: Some(id),
            key,
            manifest_version: committed.version,
            series: st.series,
            samples: st.samples,
            histograms: st.histograms,
            exemplars: st.exemplars,
            bytes: size,
        })
    }
}
