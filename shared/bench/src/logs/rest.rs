//! Logs at rest: every push request goes through `lakewatch_ingest::handle` into a `file://`
//! store (one L0 object each, `detected_level` added as real ingest does), the compactor runs
//! every [`crate::rest::WRITES_PER_COMPACTION`] writes with production thresholds, then with
//! minimum thresholds until nothing merges (GC grace 0, so replaced objects are deleted). The
//! figure is the bytes of every object under `<tenant>/logs/objects/` divided by the raw line
//! bytes pushed.

use crate::rest::{
    final_compaction, levels, objects_bytes, scheduled_compaction, WRITES_PER_COMPACTION,
};
use bytes::Bytes;
use lakewatch_ingest::loki::encode_push_protobuf;
use lakewatch_ingest::{IngestContext, IngestLimits};
use lakewatch_model::{LogsBatch, Signal, TenantId};
use lakewatch_storage::{AuthConfig, Store};
use std::time::{Duration, Instant};

/// Logs at-rest figures.
#[derive(Debug, Clone, Default)]
pub struct LogsRest {
    pub entries: u64,
    pub line_bytes: u64,
    pub l0_objects_written: usize,
    /// Bytes of the L0 objects before compaction (sum of write receipts is not exposed by
    /// `handle`, so this is the listing just before the final compaction).
    pub l0_bytes_before_final: u64,
    /// Live objects per level after compaction: (level, count, bytes).
    pub levels: Vec<(u8, usize, u64)>,
    /// Sum of every object under the logs objects prefix (bytes).
    pub object_bytes: u64,
    pub write_secs: f64,
    pub compact_secs: f64,
    pub merges: usize,
}

impl LogsRest {
    /// Object bytes per raw line byte.
    pub fn ratio(&self) -> f64 {
        self.object_bytes as f64 / self.line_bytes.max(1) as f64
    }
}

/// Pushes `batches` into `store` (tenant `anonymous`) and compacts. Errors: a push not
/// answered 204, storage or compaction failures, as text.
pub async fn run(
    store: &Store,
    batches: impl Iterator<Item = LogsBatch>,
) -> Result<LogsRest, String> {
    let ctx = IngestContext::new(
        store.clone(),
        AuthConfig::disabled(),
        IngestLimits::default(),
    );
    let tenant = TenantId::anonymous();
    let mut r = LogsRest::default();
    let t = Instant::now();
    let mut compact_time = Duration::ZERO;
    for (i, b) in batches.enumerate() {
        r.entries += b.entry_count() as u64;
        r.line_bytes += b.line_bytes() as u64;
        let mut req = http::Request::new(Bytes::from(encode_push_protobuf(&b)));
        *req.method_mut() = http::Method::POST;
        *req.uri_mut() = http::Uri::from_static("/loki/api/v1/push");
        req.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/x-protobuf"),
        );
        let resp = lakewatch_ingest::handle(req, &ctx).await;
        if resp.status() != http::StatusCode::NO_CONTENT {
            return Err(format!(
                "push {i}: {} {}",
                resp.status(),
                String::from_utf8_lossy(resp.body())
            ));
        }
        r.l0_objects_written += 1;
        if (i + 1).is_multiple_of(WRITES_PER_COMPACTION) {
            let c = Instant::now();
            r.merges += scheduled_compaction(store).await?;
            compact_time += c.elapsed();
        }
    }
    r.l0_bytes_before_final = objects_bytes(store, &tenant, Signal::Logs).await?;
    let c = Instant::now();
    r.merges += final_compaction(store).await?;
    compact_time += c.elapsed();
    r.compact_secs = compact_time.as_secs_f64();
    r.write_secs = t.elapsed().as_secs_f64() - r.compact_secs;
    r.object_bytes = objects_bytes(store, &tenant, Signal::Logs).await?;
    r.levels = levels(store, &tenant, Signal::Logs).await?;
    Ok(r)
}
