//! Step 1: remote-write ingest rate on one core (a current-thread tokio runtime).
//!
//! - **full path**: snappy protobuf v1 body → `lakewatch_ingest::handle` (negotiation, snappy,
//!   protobuf, validation → `MetricsBatch` → `MetricsWriter::write`: Parquet encode, object
//!   PUT and manifest commit) on a `memory://` store. The store is replaced (untimed) every
//!   [`REQUESTS_PER_STORE`] requests so the manifest stays as small as a running compactor
//!   keeps it.
//! - **decode only**: snappy + protobuf + validation → `MetricsBatch`.
//! - **encode only**: `MetricsBatch` → Parquet bytes (`lakewatch_storage::metrics::encode`).

use bytes::Bytes;
use lakewatch_ingest::remote_write::{self, proto};
use lakewatch_ingest::{IngestContext, IngestLimits};
use lakewatch_model::MetricsBatch;
use lakewatch_storage::metrics::encode::{encode, EncodeOptions};
use lakewatch_storage::{AuthConfig, Store};
use prost::Message;
use std::time::{Duration, Instant};

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
    pub full_per_s: f64,
    pub decode_per_s: f64,
    pub encode_per_s: f64,
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

/// Measures the three rates over `batches` (all of one request size).
pub fn run(batches: &[MetricsBatch]) -> IngestResult {
    let per_request = batches.first().map_or(0, |b| b.series.len());
    let samples: usize = batches.iter().map(|b| b.sample_count()).sum();
    let bodies: Vec<Bytes> = batches
        .iter()
        .map(|b| Bytes::from(remote_write::encode_v1(b)))
        .collect();
    let body_bytes = bodies.iter().map(|b| b.len()).sum::<usize>() / bodies.len().max(1);
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => panic!("cannot build a tokio runtime: {e}"),
    };

    // Full path.
    let mut failures = 0;
    let mut first_failure = None;
    let mut busy = Duration::ZERO;
    rt.block_on(async {
        let mut ctx = IngestContext::new(
            Store::memory(),
            AuthConfig::disabled(),
            IngestLimits::default(),
        );
        for (i, body) in bodies.iter().enumerate() {
            if i > 0 && i % REQUESTS_PER_STORE == 0 {
                ctx = IngestContext::new(
                    Store::memory(),
                    AuthConfig::disabled(),
                    IngestLimits::default(),
                );
            }
            let req = request(body);
            let t = Instant::now();
            let resp = lakewatch_ingest::handle(req, &ctx).await;
            busy += t.elapsed();
            if resp.status() != http::StatusCode::NO_CONTENT {
                failures += 1;
                first_failure.get_or_insert_with(|| {
                    format!(
                        "{} {}",
                        resp.status(),
                        String::from_utf8_lossy(resp.body())
                    )
                });
            }
        }
    });
    let full_per_s = rate(samples, busy);

    // Decode only.
    let limits = IngestLimits::default();
    let now = now_ms();
    let t = Instant::now();
    let mut decoded = 0usize;
    for body in &bodies {
        let raw = remote_write::snappy_decode(body, limits.max_body_bytes);
        let Ok(raw) = raw else { continue };
        let Ok(msg) = proto::WriteRequest::decode(raw.as_slice()) else {
            continue;
        };
        if let Ok(b) = remote_write::decode_v1(msg, now, &limits) {
            decoded += b.sample_count();
        }
    }
    let decode_per_s = rate(decoded, t.elapsed());

    // Encode only.
    let opts = EncodeOptions::default();
    let t = Instant::now();
    let mut encoded = 0usize;
    for b in batches {
        if encode(&b.series, &b.metadata, &opts).is_ok() {
            encoded += b.sample_count();
        }
    }
    let encode_per_s = rate(encoded, t.elapsed());

    IngestResult {
        per_request,
        requests: batches.len(),
        samples,
        body_bytes,
        full_per_s,
        decode_per_s,
        encode_per_s,
        failures,
        first_failure,
    }
}
