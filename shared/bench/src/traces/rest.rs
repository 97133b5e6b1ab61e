//! Spans at rest: every export request goes through `lakewatch_ingest::handle`
//! (`POST /v1/traces`) into a `file://` store (one L0 object each), the compactor runs every
//! [`crate::rest::WRITES_PER_COMPACTION`] writes with production thresholds, then with minimum
//! thresholds until nothing merges (GC grace 0, so replaced objects are deleted). The figure
//! is the bytes of every object under `<tenant>/traces/objects/` divided by the spans pushed.

use super::gen::span_count;
use super::ingest::{export, refused};
use crate::rest::WRITES_PER_COMPACTION;
use bytes::Bytes;
use lakewatch_ingest::{encode_traces_protobuf, IngestContext, IngestLimits};
use lakewatch_model::{Signal, TenantId};
use lakewatch_storage::compact::{run_once, CompactionOptions};
use lakewatch_storage::{keys, AuthConfig, ManifestLog, Store};
use opentelemetry_proto::tonic::trace::v1::ResourceSpans;
use std::time::{Duration, Instant};

/// Traces at-rest figures.
#[derive(Debug, Clone, Default)]
pub struct TracesRest {
    pub spans: u64,
    pub l0_objects_written: usize,
    /// Bytes under the traces objects prefix just before the final compaction.
    pub l0_bytes_before_final: u64,
    /// Live objects per level after compaction: (level, count, bytes).
    pub levels: Vec<(u8, usize, u64)>,
    /// Sum of every object under the traces objects prefix (bytes).
    pub object_bytes: u64,
    pub write_secs: f64,
    pub compact_secs: f64,
    pub merges: usize,
}

impl TracesRest {
    /// Object bytes per span.
    pub fn bytes_per_span(&self) -> f64 {
        self.object_bytes as f64 / self.spans.max(1) as f64
    }
}

async fn objects_bytes(store: &Store, tenant: &TenantId) -> Result<u64, String> {
    let objects = store
        .list(&keys::objects_prefix(tenant, Signal::Traces))
        .await
        .map_err(|e| e.to_string())?;
    Ok(objects.iter().map(|(_, m)| m.size).sum())
}

async fn compact(store: &Store, opts: &CompactionOptions) -> Result<usize, String> {
    let st = run_once(store, opts)
        .await
        .map_err(|e| format!("compaction: {e}"))?;
    if st.errors > 0 {
        return Err(format!("compaction: {:?}", st.error_messages));
    }
    Ok(st.merges)
}

/// Pushes `batches` into `store` (tenant `anonymous`) and compacts. Errors: an export not
/// answered 200 without rejections, storage or compaction failures, as text.
pub async fn run(
    store: &Store,
    batches: impl Iterator<Item = Vec<ResourceSpans>>,
) -> Result<TracesRest, String> {
    let ctx = IngestContext::new(
        store.clone(),
        AuthConfig::disabled(),
        IngestLimits::default(),
    );
    let tenant = TenantId::anonymous();
    let scheduled = CompactionOptions {
        gc_grace: Duration::ZERO,
        ..CompactionOptions::default()
    };
    let mut r = TracesRest::default();
    let t = Instant::now();
    let mut compact_time = Duration::ZERO;
    for (i, rs) in batches.enumerate() {
        r.spans += span_count(&rs) as u64;
        let req = export(Bytes::from(encode_traces_protobuf(&rs)));
        let resp = lakewatch_ingest::handle(req, &ctx).await;
        if let Some(why) = refused(&resp) {
            return Err(format!("export {i}: {why}"));
        }
        r.l0_objects_written += 1;
        if (i + 1).is_multiple_of(WRITES_PER_COMPACTION) {
            let c = Instant::now();
            r.merges += compact(store, &scheduled).await?;
            compact_time += c.elapsed();
        }
    }
    r.l0_bytes_before_final = objects_bytes(store, &tenant).await?;
    let c = Instant::now();
    let final_opts = CompactionOptions {
        l0_min_objects: 1,
        l1_min_objects: 1,
        gc_grace: Duration::ZERO,
        ..CompactionOptions::default()
    };
    for _ in 0..20 {
        let merges = compact(store, &final_opts).await?;
        r.merges += merges;
        if merges == 0 {
            break;
        }
    }
    compact_time += c.elapsed();
    r.compact_secs = compact_time.as_secs_f64();
    r.write_secs = t.elapsed().as_secs_f64() - r.compact_secs;
    r.object_bytes = objects_bytes(store, &tenant).await?;
    let m = ManifestLog::new(store.clone(), tenant.clone(), Signal::Traces)
        .load()
        .await
        .map_err(|e| e.to_string())?;
    for lvl in 0..=2u8 {
        let objs: Vec<_> = m.objects.iter().filter(|o| o.level == lvl).collect();
        if !objs.is_empty() {
            r.levels
                .push((lvl, objs.len(), objs.iter().map(|o| o.size_bytes).sum()));
        }
    }
    Ok(r)
}
