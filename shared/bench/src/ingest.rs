//! Step 1: remote-write ingest rate on one core (a current-thread tokio runtime). Rates are
//! samples per second of this thread's CPU time ([`crate::cpu`]); the full path is also
//! reported per wall-clock second.
//!
//! - **full path**: snappy protobuf v1 body → `lakewatch_ingest::handle` (negotiation, snappy,
//!   protobuf, validation → `MetricsBatch` → `MetricsWriter::write`: Parquet encode, object
//!   PUT and manifest commit) on a `memory://` store. The store is replaced (untimed) every
//!   [`REQUESTS_PER_STORE`] requests so the manifest stays as small as a running compactor
//!   keeps it.
//! - **decode only**: snappy + protobuf + validation → `MetricsBatch`.
//! - **write only**: `MetricsWriter::write` of the batch (merge, Parquet encode, PUT,
//!   manifest commit) on another `memory://` store.
//! - **encode only**: the batch's series as `MetricsWriter` passes them (deduplicated and
//!   sorted by `SeriesMerger`, untimed) → Parquet bytes (`lakewatch_storage::metrics::encode`).

use crate::cpu::Spent;
use bytes::Bytes;
use lakewatch_ingest::remote_write::{self, proto};
use lakewatch_ingest::{IngestContext, IngestLimits};
use lakewatch_model::{MetricsBatch, TenantId};
use lakewatch_storage::metrics::encode::{encode, EncodeOptions};
use lakewatch_storage::metrics::merge::SeriesMerger;
use lakewatch_storage::{AuthConfig, Store};
use prost::Message;
use std::time::Duration;

/// Requests written into one memory store before it is replaced.
pub const REQUESTS_PER_STORE: usize = 100;

/// Rates for one request size, in samples per second.
#[derive(Debug, Clone)]
pub struct IngestResult {
    pub per_request: usize,
    pub requests: usize,
    pub samples: usize,
    /// Mean compressed body size in bytes.
    pub body_bytes: usize,
    /// Samples per second of thread CPU time (the one-core figure).
    pub full_per_s: f64,
    pub decode_per_s: f64,
    pub encode_per_s: f64,
    /// `SeriesMerger` push + finish alone (the writer's first step; cloning every series).
    pub merge_per_s: f64,
    /// `MetricsWriter::write` alone (merge, encode, PUT, manifest commit) on `memory://`.
    pub write_per_s: f64,
    /// Samples per second of wall-clock time for the full path (lower when other processes
    /// compete for the cores).
    pub full_per_wall_s: f64,
    /// Requests answered with something other than 204 (must be 0).
    pub failures: usize,
    pub first_failure: Option<String>,
}

fn rate(samples: usize, d: Duration) -> f64 {
    samples as f64 / d.as_secs_f64().max(1e-9)
}

fn request(body: &Bytes) -> http::Request<Bytes> {
    let mut r = http::Request::new(body.clone());
    *r.method_mut() = http::Method::POST;
    *r.uri_mut() = http::Uri::from_static("/api/v1/write");
    let h = r.headers_mut();
    h.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/x-protobuf"),
    );
    h.insert(
        http::header::CONTENT_ENCODING,
        http::HeaderValue::from_static("snappy"),
    );
    h.insert(
        "X-Prometheus-Remote-Write-Version",
        http::HeaderValue::from_static("0.1.0"),
    );
    r
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Measures the three rates over the request-sized `batches`, one request at a time
/// (building the batch and its body is not timed). Errors: the runtime cannot be built.
pub fn run(batches: impl Iterator<Item = MetricsBatch>) -> Result<IngestResult, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot build a tokio runtime: {e}"))?;
    let limits = IngestLimits::default();
    let opts = EncodeOptions::default();
    let new_ctx = || IngestContext::new(Store::memory(), AuthConfig::disabled(), limits.clone());
    let mut ctx = new_ctx();
    let mut r = IngestResult {
        per_request: 0,
        requests: 0,
        samples: 0,
        body_bytes: 0,
        full_per_s: 0.0,
        decode_per_s: 0.0,
        encode_per_s: 0.0,
        write_per_s: 0.0,
        merge_per_s: 0.0,
        full_per_wall_s: 0.0,
        failures: 0,
        first_failure: None,
    };
    let (mut full, mut dec, mut enc) = (Spent::default(), Spent::default(), Spent::default());
    let mut wr = Spent::default();
    let mut mrg = Spent::default();
    let tenant = TenantId::anonymous();
    let mut wctx = new_ctx();
    let mut written = 0usize;
    let (mut decoded, mut encoded) = (0usize, 0usize);
    let mut body_total = 0usize;
    for batch in batches {
        let n = batch.sample_count();
        r.per_request = r.per_request.max(batch.series.len());
        if r.requests > 0 && r.requests.is_multiple_of(REQUESTS_PER_STORE) {
            ctx = new_ctx();
            wctx = new_ctx();
        }
        r.requests += 1;
        r.samples += n;
        let body = Bytes::from(remote_write::encode_v1(&batch));
        body_total += body.len();

        // Decode only.
        let now = now_ms();
        let got = dec.time(|| {
            remote_write::snappy_decode(&body, limits.max_body_bytes)
                .ok()
                .and_then(|raw| proto::WriteRequest::decode(raw.as_slice()).ok())
                .and_then(|msg| remote_write::decode_v1(msg, now, &limits).ok())
                .map_or(0, |b| b.sample_count())
        });
        decoded += got;

        // Encode only.
        let merged = mrg.time(|| {
            let mut merger = SeriesMerger::new();
            for ts in &batch.series {
                merger.push(ts.clone());
            }
            merger.finish()
        });
        let ok = enc.time(|| encode(&merged, &batch.metadata, &opts).is_ok());
        if ok {
            encoded += n;
        }

        // Write only.
        if wr
            .time(|| rt.block_on(wctx.writer.write(&tenant, &batch)))
            .is_ok()
        {
            written += n;
        }

        // Full path.
        let req = request(&body);
        let resp = full.time(|| rt.block_on(lakewatch_ingest::handle(req, &ctx)));
        if resp.status() != http::StatusCode::NO_CONTENT {
            r.failures += 1;
            r.first_failure.get_or_insert_with(|| {
                format!("{} {}", resp.status(), String::from_utf8_lossy(resp.body()))
            });
        }
    }
    r.body_bytes = body_total / r.requests.max(1);
    r.full_per_s = rate(r.samples, full.cpu);
    r.full_per_wall_s = rate(r.samples, full.wall);
    r.decode_per_s = rate(decoded, dec.cpu);
    r.encode_per_s = rate(encoded, enc.cpu);
    r.write_per_s = rate(written, wr.cpu);
    r.merge_per_s = rate(r.samples, mrg.cpu);
    Ok(r)
}
