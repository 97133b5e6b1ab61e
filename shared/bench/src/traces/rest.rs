//! Spans at rest: every export request goes through `lakewatch_ingest::handle`
//! (`POST /v1/traces`) into a `file://` store (one L0 object each), the compactor runs every
//! [`crate::rest::WRITES_PER_COMPACTION`] writes with production thresholds, then with minimum
//! thresholds until nothing merges (GC grace 0, so replaced objects are deleted). The figure
//! is the bytes of every object under `<tenant>/traces/objects/` divided by the spans pushed.

use super::gen::span_count;
use super::ingest::{export, refused};
use crate::rest::{
    final_compaction, levels, objects_bytes, scheduled_compaction, WRITES_PER_COMPACTION,
};
use bytes::Bytes;
use lakewatch_ingest::{encode_traces_protobuf, IngestContext, IngestLimits};
use lakewatch_model::{Signal, TenantId};
use lakewatch_storage::{AuthConfig, Store};
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
            r.merges += scheduled_compaction(store).await?;
            compact_time += c.elapsed();
        }
    }
    r.l0_bytes_before_final = objects_bytes(store, &tenant, Signal::Traces).await?;
    let c = Instant::now();
    r.merges += final_compaction(store).await?;
    compact_time += c.elapsed();
    r.compact_secs = compact_time.as_secs_f64();
    r.write_secs = t.elapsed().as_secs_f64() - r.compact_secs;
    r.object_bytes = objects_bytes(store, &tenant, Signal::Traces).await?;
    r.levels = levels(store, &tenant, Signal::Traces).await?;
    Ok(r)
}
