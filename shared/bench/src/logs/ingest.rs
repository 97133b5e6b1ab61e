//! Log ingest rate on one core (a current-thread tokio runtime), in MB of raw line bytes per
//! second of this thread's CPU time ([`crate::cpu`]), for push requests of about 1 MiB of
//! lines sent as snappy protobuf (as Promtail and Grafana Alloy send them):
//!
//! - **full path**: body → `lakewatch_ingest::handle` (`POST /loki/api/v1/push`: snappy,
//!   protobuf, validation, `detected_level` → `LogsWriter::write`: Parquet encode, object PUT,
//!   manifest commit) on a `memory://` store, replaced (untimed) every
//!   [`crate::ingest::REQUESTS_PER_STORE`] requests so the manifest stays small.
//! - **decode only**: `lakewatch_ingest::loki::decode_push` (snappy + protobuf + validation).
//! - **write only**: `LogsWriter::write` of the generated batch on another `memory://` store.

use crate::cpu::Spent;
use crate::ingest::REQUESTS_PER_STORE;
use bytes::Bytes;
use lakewatch_ingest::loki::{decode_push, encode_push_protobuf, PushVersion};
use lakewatch_ingest::{IngestContext, IngestLimits};
use lakewatch_model::{LogsBatch, TenantId};
use lakewatch_storage::{AuthConfig, Store};
use std::time::Duration;

/// Log ingest rates (raw line MB per CPU second).
#[derive(Debug, Clone, Default)]
pub struct LogsIngestResult {
    pub requests: usize,
    pub entries: u64,
    /// Raw line bytes pushed.
    pub line_bytes: u64,
    /// Mean compressed body size (bytes).
    pub body_bytes: usize,
    pub full_mb_s: f64,
    pub full_wall_mb_s: f64,
    pub decode_mb_s: f64,
    pub write_mb_s: f64,
    /// Requests not answered 204 (must be 0).
    pub failures: usize,
    pub first_failure: Option<String>,
}

fn mb_s(bytes: u64, d: Duration) -> f64 {
    bytes as f64 / 1e6 / d.as_secs_f64().max(1e-9)
}

fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}

fn push(body: Bytes) -> http::Request<Bytes> {
    let mut r = http::Request::new(body);
    *r.method_mut() = http::Method::POST;
    *r.uri_mut() = http::Uri::from_static("/loki/api/v1/push");
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/x-protobuf"),
    );
    r
}

/// Measures the three rates over `batches`, one request at a time (generating a batch and
/// encoding its body are not timed). Errors: the runtime cannot be built.
pub fn run(batches: impl Iterator<Item = LogsBatch>) -> Result<LogsIngestResult, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot build a tokio runtime: {e}"))?;
    let limits = IngestLimits::default();
    let new_ctx = || IngestContext::new(Store::memory(), AuthConfig::disabled(), limits.clone());
    let (mut ctx, mut wctx) = (new_ctx(), new_ctx());
    let tenant = TenantId::anonymous();
    let (mut full, mut dec, mut wr) = (Spent::default(), Spent::default(), Spent::default());
    let (mut decoded, mut written) = (0u64, 0u64);
    let mut body_total = 0usize;
    let mut r = LogsIngestResult::default();
    for batch in batches {
        if r.requests > 0 && r.requests.is_multiple_of(REQUESTS_PER_STORE) {
            ctx = new_ctx();
            wctx = new_ctx();
        }
        let n = batch.line_bytes() as u64;
        r.requests += 1;
        r.entries += batch.entry_count() as u64;
        r.line_bytes += n;
        let body = Bytes::from(encode_push_protobuf(&batch));
        body_total += body.len();

        let req = push(body.clone());
        let now = now_ns();
        let ok = dec.time(|| {
            decode_push(req.headers(), &body, PushVersion::V1, &limits, now)
                .map(|(b, rejected)| rejected.is_empty() && b.entry_count() == batch.entry_count())
        });
        if matches!(ok, Ok(true)) {
            decoded += n;
        }

        if wr
            .time(|| rt.block_on(wctx.logs_writer.write(&tenant, &batch)))
            .is_ok()
        {
            written += n;
        }

        let resp = full.time(|| rt.block_on(lakewatch_ingest::handle(req, &ctx)));
        if resp.status() != http::StatusCode::NO_CONTENT {
            r.failures += 1;
            r.first_failure.get_or_insert_with(|| {
                format!("{} {}", resp.status(), String::from_utf8_lossy(resp.body()))
            });
        }
    }
    r.body_bytes = body_total / r.requests.max(1);
    r.full_mb_s = mb_s(r.line_bytes, full.cpu);
    r.full_wall_mb_s = mb_s(r.line_bytes, full.wall);
    r.decode_mb_s = mb_s(decoded, dec.cpu);
    r.write_mb_s = mb_s(written, wr.cpu);
    Ok(r)
}
