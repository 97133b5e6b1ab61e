//! Compaction of the metrics, logs and traces signals (DESIGN §5): L0 → L1 → L2 merges,
//! retention and garbage collection, planned the same way for all (each signal has its own
//! manifest; only reading and writing the objects differ: [`crate::metrics`] vs
//! [`crate::logs::merge`] vs [`crate::traces::merge`]). Safe to run concurrently with ingest, queries and other compactors: every merge
//! writes new immutable objects and swaps them for its inputs in one manifest commit, which
//! fails (and is abandoned) if another compactor already removed an input.
//!
//! Levels:
//! - **L0**: one object per ingest request.
//! - **L1**: all L0 objects merged when at least `l0_min_objects` exist or one is older than
//!   `l0_max_age`; the result is split on `window` boundaries (default 2 h), one L1 per window.
//! - **L2**: per window, the L1 objects (and any existing L2) merged into one L2 when at least
//!   `l1_min_objects` L1 exist or the window ended more than `window_settle` ago.
//!
//! Every merge deduplicates: metrics (series, timestamp) with last-write-wins (largest source
//! ULID), logs identical entries (stream, timestamp, line, structured metadata), traces spans
//! with the same (trace id, span id). Traces windows and retention use the span start time. Retention
//! drops objects whose newest sample / entry is older than `retention`. Objects leave the
//! manifest as tombstones and are deleted after `gc_grace`; uncommitted objects (failed
//! writes, lost compaction races) are deleted once their ULID is older than `gc_grace`; old
//! manifest versions likewise (the newest 10 are always kept).

use crate::config::{env_duration, env_usize};
use crate::error::Result;
use crate::keys;
use crate::logs::LogsEncodeOptions;
use crate::manifest::{now_ms, Manifest, ManifestLog, ObjectEntry};
use crate::metrics::decode::{read_object_metadata, ScanQuery};
use crate::metrics::encode::{encode, EncodeOptions};
use crate::metrics::reader::read_merged;
use crate::store::Store;
use crate::traces::TracesEncodeOptions;
use lakewatch_model::{MetricMetadata, Signal, TenantId, TimeSeries};
use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

/// Manifest versions always kept by garbage collection.
const KEEP_MANIFEST_VERSIONS: usize = 10;

/// Compaction thresholds. `Default` gives production values; tests use tiny ones.
#[derive(Debug, Clone)]
pub struct CompactionOptions {
    /// L0 objects that trigger an L0→L1 merge (default 8; `LAKEWATCH_COMPACT_L0_MIN_OBJECTS`).
    pub l0_min_objects: usize,
    /// An L0 object older than this triggers the merge regardless of count (default 5 min;
    /// `LAKEWATCH_COMPACT_L0_MAX_AGE`).
    pub l0_max_age: Duration,
    /// Most L0 objects merged in one pass (default 2000).
    pub l0_max_objects_per_merge: usize,
    /// L1 objects in one window that trigger an L1→L2 merge (default 8;
    /// `LAKEWATCH_COMPACT_L1_MIN_OBJECTS`).
    pub l1_min_objects: usize,
    /// L2 time window (default 2 h; `LAKEWATCH_COMPACT_WINDOW`).
    pub window: Duration,
    /// After a window ended this long ago, its L1 objects go to L2 whatever their number
    /// (default 15 min).
    pub window_settle: Duration,
    /// Data older than this is deleted (default 30 days; `LAKEWATCH_RETENTION`).
    pub retention: Duration,
    /// Delay before unreferenced objects and old manifest versions are deleted; must exceed
    /// the longest query (default 10 min; `LAKEWATCH_GC_GRACE`).
    pub gc_grace: Duration,
    /// Parquet options for the metrics outputs.
    pub encode: EncodeOptions,
    /// Parquet options for the logs outputs (default [`LogsEncodeOptions::compacted`]).
    pub logs_encode: LogsEncodeOptions,
    /// Parquet options for the traces outputs (default [`TracesEncodeOptions::compacted`]).
    pub traces_encode: TracesEncodeOptions,
}

impl Default for CompactionOptions {
    fn default() -> Self {
        CompactionOptions {
            l0_min_objects: 8,
            l0_max_age: Duration::from_secs(300),
            l0_max_objects_per_merge: 2000,
            l1_min_objects: 8,
            window: Duration::from_secs(7200),
            window_settle: Duration::from_secs(900),
            retention: Duration::from_secs(30 * 86400),
            gc_grace: crate::DEFAULT_GC_GRACE,
            encode: EncodeOptions::default(),
            logs_encode: LogsEncodeOptions::compacted(),
            traces_encode: TracesEncodeOptions::compacted(),
        }
    }
}

impl CompactionOptions {
    /// Defaults overridden by the `LAKEWATCH_*` variables listed in [`crate::config`].
    pub fn from_env() -> Result<Self> {
        let d = Self::default();
        Ok(CompactionOptions {
            l0_min_objects: env_usize("LAKEWATCH_COMPACT_L0_MIN_OBJECTS", d.l0_min_objects)?,
            l0_max_age: env_duration("LAKEWATCH_COMPACT_L0_MAX_AGE", d.l0_max_age)?,
            l1_min_objects: env_usize("LAKEWATCH_COMPACT_L1_MIN_OBJECTS", d.l1_min_objects)?,
            window: env_duration("LAKEWATCH_COMPACT_WINDOW", d.window)?,
            retention: env_duration("LAKEWATCH_RETENTION", d.retention)?,
            gc_grace: env_duration("LAKEWATCH_GC_GRACE", d.gc_grace)?,
            ..d
        })
    }

    fn window_ms(&self) -> i64 {
        (self.window.as_millis() as i64).max(1)
    }
}

/// What one [`run_once`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompactionStats {
    /// Tenants visited.
    pub tenants: usize,
    /// Merges committed (L0→L1 and L1→L2).
    pub merges: usize,
    /// Merges abandoned because another compactor committed first.
    pub conflicts: usize,
    /// Objects consumed / produced by committed merges, and their bytes and rows.
    pub objects_in: usize,
    pub objects_out: usize,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub rows_in: u64,
    pub rows_out: u64,
    /// Objects dropped by retention.
    pub retention_dropped: usize,
    /// Data objects deleted (tombstones past the grace and orphans).
    pub gc_deleted_objects: usize,
    /// Manifest versions deleted.
    pub gc_deleted_manifests: usize,
    /// Tenants whose compaction failed (logged; the run continues with the others).
    pub errors: usize,
    /// `tenant: error` for each failure.
    pub error_messages: Vec<String>,
}

/// One compaction pass over every tenant's metrics, logs and traces: retention, L0→L1,
/// L1→L2, GC. Per-tenant (and per-signal) failures are logged and counted in `errors`
/// (messages `tenant: error` for metrics, `tenant/logs: error` for logs, `tenant/traces:
/// error` for traces); listing the tenants can fail the run. The counters of
/// [`CompactionStats`] add up all signals.
pub async fn run_once(store: &Store, opts: &CompactionOptions) -> Result<CompactionStats> {
    let mut stats = CompactionStats::default();
    for tenant in store.list_tenants().await? {
        stats.tenants += 1;
        if let Err(e) = compact_tenant(store, &tenant, opts, &mut stats).await {
            tracing::error!(tenant = %tenant, error = %e, "compaction failed");
            stats.errors += 1;
            stats.error_messages.push(format!("{tenant}: {e}"));
        }
        if let Err(e) = compact_tenant_logs(store, &tenant, opts, &mut stats).await {
            tracing::error!(tenant = %tenant, error = %e, "logs compaction failed");
            stats.errors += 1;
            stats.error_messages.push(format!("{tenant}/logs: {e}"));
        }
        if let Err(e) = compact_tenant_traces(store, &tenant, opts, &mut stats).await {
            tracing::error!(tenant = %tenant, error = %e, "traces compaction failed");
            stats.errors += 1;
            stats.error_messages.push(format!("{tenant}/traces: {e}"));
        }
    }
    Ok(stats)
}

/// Compacts one tenant's metrics (what [`run_once`] does per tenant for metrics).
pub async fn compact_tenant(
    store: &Store,
    tenant: &TenantId,
    opts: &CompactionOptions,
    stats: &mut CompactionStats,
) -> Result<()> {
    compact_signal(store, tenant, Signal::Metrics, opts, stats).await
}

/// Compacts one tenant's logs (what [`run_once`] does per tenant for logs): the same levels,
/// windows, retention and GC as metrics, on the `logs` manifest; merges drop identical entries.
pub async fn compact_tenant_logs(
    store: &Store,
    tenant: &TenantId,
    opts: &CompactionOptions,
    stats: &mut CompactionStats,
) -> Result<()> {
    compact_signal(store, tenant, Signal::Logs, opts, stats).await
}

/// Compacts one tenant's traces (what [`run_once`] does per tenant for traces): the same
/// levels, windows (by span start), retention and GC as metrics, on the `traces` manifest;
/// merges keep one span per (trace id, span id).
pub async fn compact_tenant_traces(
    store: &Store,
    tenant: &TenantId,
    opts: &CompactionOptions,
    stats: &mut CompactionStats,
) -> Result<()> {
    compact_signal(store, tenant, Signal::Traces, opts, stats).await
}

/// Retention, L0→L1, L1→L2 and GC of one tenant's `signal` (metrics, logs or traces).
async fn compact_signal(
    store: &Store,
    tenant: &TenantId,
    signal: Signal,
    opts: &CompactionOptions,
    stats: &mut CompactionStats,
) -> Result<()> {
    let log = ManifestLog::new(store.clone(), tenant.clone(), signal).with_gc_grace(opts.gc_grace);
    let now = now_ms();
    let mut manifest = log.load().await?;

    // Retention.
    let cutoff = now - opts.retention.as_millis() as i64;
    if manifest.objects.iter().any(|o| o.max_time_ms < cutoff) {
        let mut dropped = 0;
        manifest = log
            .commit(|m| {
                let expired: Vec<String> = m
                    .objects
                    .iter()
                    .filter(|o| o.max_time_ms < cutoff)
                    .map(|o| o.id.clone())
                    .collect();
                dropped = expired.len();
                Ok(!expired.is_empty() && m.swap(&expired, Vec::new(), now_ms()))
            })
            .await?;
        stats.retention_dropped += dropped;
    }

    // L0 -> L1.
    let mut l0: Vec<&ObjectEntry> = manifest.objects.iter().filter(|o| o.level == 0).collect();
    l0.sort_by(|a, b| a.id.cmp(&b.id));
    let old = now - opts.l0_max_age.as_millis() as i64;
    if !l0.is_empty()
        && (l0.len() >= opts.l0_min_objects.max(1) || l0.iter().any(|o| o.created_at_ms <= old))
    {
        let inputs: Vec<ObjectEntry> = l0
            .into_iter()
            .take(opts.l0_max_objects_per_merge.max(1))
            .cloned()
            .collect();
        if let Some(m) = merge(store, &log, tenant, signal, &inputs, 1, opts, stats).await? {
            manifest = m;
        }
    }

    // L1 -> L2, per window.
    let w = opts.window_ms();
    let settle = opts.window_settle.as_millis() as i64;
    let mut windows: BTreeMap<i64, Vec<ObjectEntry>> = BTreeMap::new();
    for o in manifest.objects.iter().filter(|o| o.level >= 1) {
        windows
            .entry(o.min_time_ms.div_euclid(w))
            .or_default()
            .push(o.clone());
    }
    for (win, objs) in windows {
        let l1 = objs.iter().filter(|o| o.level == 1).count();
        let closed = (win + 1) * w + settle < now;
        if l1 >= opts.l1_min_objects.max(1) || (l1 >= 1 && closed) {
            merge(store, &log, tenant, signal, &objs, 2, opts, stats).await?;
        }
    }

    gc(store, &log, tenant, signal, opts, stats).await
}

/// Splits series on window boundaries: window index → series restricted to it.
fn split_by_window(series: Vec<TimeSeries>, w: i64) -> BTreeMap<i64, Vec<TimeSeries>> {
    fn part<'a>(
        parts: &'a mut BTreeMap<i64, TimeSeries>,
        labels: &lakewatch_model::Labels,
        t: i64,
        w: i64,
    ) -> &'a mut TimeSeries {
        parts.entry(t.div_euclid(w)).or_insert_with(|| TimeSeries {
            labels: labels.clone(),
            ..Default::default()
        })
    }
    let mut out: BTreeMap<i64, Vec<TimeSeries>> = BTreeMap::new();
    for s in series {
        let mut parts: BTreeMap<i64, TimeSeries> = BTreeMap::new();
        for smp in s.samples {
            part(&mut parts, &s.labels, smp.timestamp_ms, w)
                .samples
                .push(smp);
        }
        for h in s.histograms {
            part(&mut parts, &s.labels, h.0, w).histograms.push(h);
        }
        for e in s.exemplars {
            part(&mut parts, &s.labels, e.timestamp_ms, w)
                .exemplars
                .push(e);
        }
        for (k, p) in parts {
            out.entry(k).or_default().push(p);
        }
    }
    out
}

/// Merges `inputs` into objects of `level` and swaps them in. Returns the committed manifest,
/// or `None` if nothing was committed (another compactor won).
#[allow(clippy::too_many_arguments)]
async fn merge(
    store: &Store,
    log: &ManifestLog,
    tenant: &TenantId,
    signal: Signal,
    inputs: &[ObjectEntry],
    level: u8,
    opts: &CompactionOptions,
    stats: &mut CompactionStats,
) -> Result<Option<Manifest>> {
    let outputs = match signal {
        Signal::Logs => {
            crate::logs::merge::merge_objects(
                store,
                tenant,
                inputs,
                level,
                opts.window_ms(),
                &opts.logs_encode,
            )
            .await?
        }
        Signal::Traces => {
            crate::traces::merge::merge_objects(
                store,
                tenant,
                inputs,
                level,
                opts.window_ms(),
                &opts.traces_encode,
            )
            .await?
        }
        _ => metrics_outputs(store, tenant, inputs, level, opts).await?,
    };
    let ids: Vec<String> = inputs.iter().map(|e| e.id.clone()).collect();
    let mut swapped = false;
    let committed = log
        .commit(|m| {
            swapped = m.swap(&ids, outputs.clone(), now_ms());
            Ok(swapped)
        })
        .await?;
    if !swapped {
        stats.conflicts += 1;
        return Ok(None);
    }
    stats.merges += 1;
    stats.objects_in += inputs.len();
    stats.objects_out += outputs.len();
    stats.bytes_in += inputs.iter().map(|e| e.size_bytes).sum::<u64>();
    stats.bytes_out += outputs.iter().map(|e| e.size_bytes).sum::<u64>();
    stats.rows_in += inputs.iter().map(|e| e.rows).sum::<u64>();
    stats.rows_out += outputs.iter().map(|e| e.rows).sum::<u64>();
    Ok(Some(committed))
}

/// Reads and merges metrics `inputs`, writes one `level` object per window and returns their
/// (uncommitted) manifest entries.
async fn metrics_outputs(
    store: &Store,
    tenant: &TenantId,
    inputs: &[ObjectEntry],
    level: u8,
    opts: &CompactionOptions,
) -> Result<Vec<ObjectEntry>> {
    let mut ordered = inputs.to_vec();
    ordered.sort_by(|a, b| (&a.source_max_id, &a.id).cmp(&(&b.source_max_id, &b.id)));
    let q = ScanQuery::everything();
    let series = read_merged(store, &ordered, &q).await?;
    let mut metadata: Vec<MetricMetadata> = Vec::new();
    for e in &ordered {
        for m in read_object_metadata(store, e).await? {
            metadata.retain(|x| x.metric_family_name != m.metric_family_name || x == &m);
            if !metadata.contains(&m) {
                metadata.push(m);
            }
        }
    }
    let source_max_id = ordered
        .iter()
        .map(|e| e.source_max_id.clone())
        .max()
        .unwrap_or_default();
    let mut parts = split_by_window(series, opts.window_ms());
    if parts.is_empty() && !metadata.is_empty() {
        parts.insert(now_ms().div_euclid(opts.window_ms()), Vec::new());
    }
    let mut outputs = Vec::new();
    for (_, part) in parts {
        let enc = encode(&part, &metadata, &opts.encode)?;
        let id = ulid::Ulid::new().to_string();
        let key = keys::object_key(tenant, Signal::Metrics, level, &id);
        let size = enc.bytes.len() as u64;
        store.put_new_object(&key, enc.bytes).await?;
        let st = enc.stats;
        let created = now_ms();
        let (min_t, max_t) = if st.rows == 0 {
            (created, created)
        } else {
            (st.min_time_ms, st.max_time_ms)
        };
        outputs.push(ObjectEntry {
            id,
            key,
            level,
            min_time_ms: min_t,
            max_time_ms: max_t,
            size_bytes: size,
            rows: st.rows,
            samples: st.samples,
            histograms: st.histograms,
            exemplars: st.exemplars,
            series: st.series,
            metric_names: st.metric_names,
            source_max_id: source_max_id.clone(),
            created_at_ms: created,
        });
    }
    Ok(outputs)
}

/// Deletes tombstoned objects past the grace, orphans older than the grace, old manifests.
async fn gc(
    store: &Store,
    log: &ManifestLog,
    tenant: &TenantId,
    signal: Signal,
    opts: &CompactionOptions,
    stats: &mut CompactionStats,
) -> Result<()> {
    let grace_ms = opts.gc_grace.as_millis() as i64;
    let now = now_ms();
    let manifest = log.load().await?;
    let expired: Vec<String> = manifest
        .tombstones
        .iter()
        .filter(|t| t.removed_at_ms + grace_ms <= now)
        .map(|t| t.key.clone())
        .collect();
    for key in &expired {
        store.delete(key).await?;
        stats.gc_deleted_objects += 1;
    }
    let manifest = if expired.is_empty() {
        manifest
    } else {
        let gone: HashSet<&String> = expired.iter().collect();
        log.commit(|m| {
            let before = m.tombstones.len();
            m.tombstones.retain(|t| !gone.contains(&t.key));
            Ok(m.tombstones.len() != before)
        })
        .await?
    };
    // Orphans: objects named neither live nor tombstoned, written longer than the grace ago.
    let known: HashSet<&str> = manifest
        .objects
        .iter()
        .map(|o| o.key.as_str())
        .chain(manifest.tombstones.iter().map(|t| t.key.as_str()))
        .collect();
    for (key, _) in store.list(&keys::objects_prefix(tenant, signal)).await? {
        if known.contains(key.as_str()) {
            continue;
        }
        let Some(id) = keys::object_id_of(&key) else {
            continue;
        };
        if (id.timestamp_ms() as i64) + grace_ms <= now {
            store.delete(&key).await?;
            stats.gc_deleted_objects += 1;
        }
    }
    stats.gc_deleted_manifests += log
        .gc_versions(opts.gc_grace, KEEP_MANIFEST_VERSIONS)
        .await?;
    Ok(())
}
