//! Step 2: bytes per sample at rest after compaction, Lakewatch vs Prometheus TSDB, on the
//! same generated data.
//!
//! Lakewatch: every request-sized batch is written as one L0 object through
//! `MetricsWriter::write`; the compactor runs every [`WRITES_PER_COMPACTION`] writes with
//! production thresholds (as a scheduled compactor would), then repeatedly with minimum
//! thresholds until everything sits in L2 (one object per 2 h window). GC grace is zero so
//! replaced objects are deleted; the figure is the sum of the object sizes under
//! `<tenant>/metrics/objects/` divided by the samples.
//!
//! Prometheus: the data as OpenMetrics text → `promtool tsdb create-blocks-from openmetrics`
//! (2 h blocks, as Prometheus's own head compaction); the figure is the blocks' `chunks/*` plus
//! `index` bytes divided by the samples (`meta.json` `stats.numSamples`).

use crate::proc::run_with_timeout;
use lakewatch_model::{MetricMetadata, MetricsBatch, Signal, TenantId};
use lakewatch_storage::compact::{run_once, CompactionOptions};
use lakewatch_storage::{keys, ManifestLog, MetricsWriter, Store};
use parquet::file::metadata::ParquetMetaDataReader;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// L0 writes between two scheduled compaction runs.
pub const WRITES_PER_COMPACTION: usize = 200;

/// One compaction pass over `store`; the merges it made. Errors (any tenant failing) as text.
async fn compact_once(store: &Store, opts: &CompactionOptions) -> Result<usize, String> {
    let st = run_once(store, opts)
        .await
        .map_err(|e| format!("compaction: {e}"))?;
    if st.errors > 0 {
        return Err(format!("compaction: {:?}", st.error_messages));
    }
    Ok(st.merges)
}

/// The scheduled pass run every [`WRITES_PER_COMPACTION`] writes: production thresholds,
/// GC grace 0 (replaced objects are deleted at once). Returns the merges.
pub async fn scheduled_compaction(store: &Store) -> Result<usize, String> {
    let opts = CompactionOptions {
        gc_grace: Duration::ZERO,
        ..CompactionOptions::default()
    };
    compact_once(store, &opts).await
}

/// Compacts with minimum thresholds until nothing merges (at most 20 passes). Returns the
/// merges.
pub async fn final_compaction(store: &Store) -> Result<usize, String> {
    let opts = CompactionOptions {
        l0_min_objects: 1,
        l1_min_objects: 1,
        gc_grace: Duration::ZERO,
        ..CompactionOptions::default()
    };
    let mut total = 0;
    for _ in 0..20 {
        let merges = compact_once(store, &opts).await?;
        total += merges;
        if merges == 0 {
            break;
        }
    }
    Ok(total)
}

/// Bytes of every object under `<tenant>/<signal>/objects/`.
pub async fn objects_bytes(
    store: &Store,
    tenant: &TenantId,
    signal: Signal,
) -> Result<u64, String> {
    let objects = store
        .list(&keys::objects_prefix(tenant, signal))
        .await
        .map_err(|e| e.to_string())?;
    Ok(objects.iter().map(|(_, m)| m.size).sum())
}

/// Live objects per level in the newest manifest: (level, count, bytes), levels 0–2 present.
pub async fn levels(
    store: &Store,
    tenant: &TenantId,
    signal: Signal,
) -> Result<Vec<(u8, usize, u64)>, String> {
    let m = ManifestLog::new(store.clone(), tenant.clone(), signal)
        .load()
        .await
        .map_err(|e| e.to_string())?;
    Ok((0..=2u8)
        .filter_map(|lvl| {
            let objs: Vec<_> = m.objects.iter().filter(|o| o.level == lvl).collect();
            (!objs.is_empty()).then(|| (lvl, objs.len(), objs.iter().map(|o| o.size_bytes).sum()))
        })
        .collect())
}

/// Lakewatch at-rest figures.
#[derive(Debug, Clone, Default)]
pub struct LakewatchRest {
    pub samples: u64,
    pub l0_objects_written: usize,
    /// Live objects per level after compaction: (level, count, bytes).
    pub levels: Vec<(u8, usize, u64)>,
    /// Sum of every object under the objects prefix (bytes).
    pub object_bytes: u64,
    /// Size of the newest manifest (bytes; not counted in `object_bytes`).
    pub manifest_bytes: u64,
    pub write_secs: f64,
    pub compact_secs: f64,
    pub merges: usize,
    /// Compressed bytes per Parquet column (leaf path), summed over the live objects,
    /// largest first.
    pub columns: Vec<(String, u64)>,
    /// Rows and row groups over the live objects.
    pub rows: u64,
    pub row_groups: usize,
}

impl LakewatchRest {
    /// Object bytes per sample.
    pub fn bytes_per_sample(&self) -> f64 {
        self.object_bytes as f64 / (self.samples.max(1)) as f64
    }
}

/// Writes `batches` (the first one also carries `metadata`) to `store` for `tenant` and
/// compacts to L2. Errors: storage failures and compaction errors, as text.
pub async fn lakewatch(
    store: &Store,
    tenant: &TenantId,
    batches: impl Iterator<Item = MetricsBatch>,
    metadata: &[MetricMetadata],
) -> Result<LakewatchRest, String> {
    let writer = MetricsWriter::new(store.clone());
    let mut r = LakewatchRest::default();
    let t = Instant::now();
    let mut compact_time = Duration::ZERO;
    for (i, mut b) in batches.enumerate() {
        if i == 0 {
            b.metadata = metadata.to_vec();
        }
        let receipt = writer
            .write(tenant, &b)
            .await
            .map_err(|e| format!("write {i}: {e}"))?;
        r.samples += receipt.samples;
        r.l0_objects_written += 1;
        if (i + 1).is_multiple_of(WRITES_PER_COMPACTION) {
            let c = Instant::now();
            r.merges += scheduled_compaction(store).await?;
            compact_time += c.elapsed();
        }
    }
    let c = Instant::now();
    r.merges += final_compaction(store).await?;
    compact_time += c.elapsed();
    r.compact_secs = compact_time.as_secs_f64();
    r.write_secs = t.elapsed().as_secs_f64() - r.compact_secs;

    // The listing is kept: the column sizes below read every object in it.
    let objects = store
        .list(&keys::objects_prefix(tenant, Signal::Metrics))
        .await
        .map_err(|e| e.to_string())?;
    r.object_bytes = objects.iter().map(|(_, m)| m.size).sum();
    let manifests = store
        .list(&keys::manifest_prefix(tenant, Signal::Metrics))
        .await
        .map_err(|e| e.to_string())?;
    r.manifest_bytes = manifests
        .iter()
        .max_by(|a, b| a.0.cmp(&b.0))
        .map_or(0, |(_, m)| m.size);
    r.levels = levels(store, tenant, Signal::Metrics).await?;
    column_sizes(store, &objects, &mut r).await?;
    Ok(r)
}

/// Fills `columns`, `rows` and `row_groups` from the Parquet footers of `objects`.
async fn column_sizes(
    store: &Store,
    objects: &[(String, object_store::ObjectMeta)],
    r: &mut LakewatchRest,
) -> Result<(), String> {
    let mut cols: BTreeMap<String, u64> = BTreeMap::new();
    for (key, _) in objects {
        let bytes = store.get(key).await.map_err(|e| format!("{key}: {e}"))?;
        let meta = ParquetMetaDataReader::new()
            .parse_and_finish(&bytes)
            .map_err(|e| format!("{key}: {e}"))?;
        r.rows += meta.file_metadata().num_rows().max(0) as u64;
        r.row_groups += meta.num_row_groups();
        for rg in meta.row_groups() {
            for c in rg.columns() {
                *cols.entry(c.column_path().string()).or_default() +=
                    c.compressed_size().max(0) as u64;
            }
        }
    }
    let mut v: Vec<(String, u64)> = cols.into_iter().collect();
    v.sort_by_key(|c| std::cmp::Reverse(c.1));
    r.columns = v;
    Ok(())
}

/// Prometheus TSDB at-rest figures.
#[derive(Debug, Clone, Default)]
pub struct PromRest {
    pub samples: u64,
    pub series: u64,
    pub blocks: usize,
    pub chunk_bytes: u64,
    pub index_bytes: u64,
    pub openmetrics_bytes: u64,
    pub promtool_secs: f64,
}

impl PromRest {
    /// (chunks + index) bytes per sample.
    pub fn bytes_per_sample(&self) -> f64 {
        (self.chunk_bytes + self.index_bytes) as f64 / (self.samples.max(1)) as f64
    }
}

fn dir_size(p: &Path) -> u64 {
    std::fs::read_dir(p)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter_map(|e| e.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

/// Builds TSDB blocks from the OpenMetrics file `om` into `blocks` with promtool (killed after
/// `limit`) and measures them. Errors: promtool missing/failing, unreadable blocks.
pub fn prometheus(
    om: &Path,
    blocks: &Path,
    work: &Path,
    limit: Duration,
) -> Result<PromRest, String> {
    std::fs::create_dir_all(blocks).map_err(|e| e.to_string())?;
    let mut cmd = Command::new("promtool");
    cmd.args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(om)
        .arg(blocks);
    let t = Instant::now();
    run_with_timeout(cmd, limit, &work.join("promtool.log"))?;
    let mut r = PromRest {
        promtool_secs: t.elapsed().as_secs_f64(),
        openmetrics_bytes: std::fs::metadata(om).map(|m| m.len()).unwrap_or(0),
        ..Default::default()
    };
    let rd = std::fs::read_dir(blocks).map_err(|e| e.to_string())?;
    for e in rd.filter_map(|e| e.ok()) {
        let dir = e.path();
        let meta = dir.join("meta.json");
        let Ok(text) = std::fs::read_to_string(&meta) else {
            continue;
        };
        let v: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", meta.display()))?;
        r.blocks += 1;
        r.samples += v["stats"]["numSamples"].as_u64().unwrap_or(0);
        r.series += v["stats"]["numSeries"].as_u64().unwrap_or(0);
        r.chunk_bytes += dir_size(&dir.join("chunks"));
        r.index_bytes += std::fs::metadata(dir.join("index")).map_or(0, |m| m.len());
    }
    if r.blocks == 0 {
        return Err(format!(
            "promtool wrote no blocks into {}",
            blocks.display()
        ));
    }
    Ok(r)
}
