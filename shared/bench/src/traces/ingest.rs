//! Span ingest rate on one core (a current-thread tokio runtime), in spans per second of this
//! thread's CPU time ([`crate::cpu`]), for OTLP/HTTP protobuf `ExportTraceServiceRequest`
//! bodies (built untimed with `lakewatch_ingest::encode_traces_protobuf`):
//!
//! - **full path**: body → `lakewatch_ingest::handle` (`POST /v1/traces`: negotiation,
//!   protobuf decode, span validation → `TracesWriter::write`: flatten, sort, Parquet encode,
//!   object PUT, manifest commit) on a `memory://` store, replaced (untimed) every
//!   [`crate::ingest::REQUESTS_PER_STORE`] requests so the manifest stays small.
//! - **decode only**: `lakewatch_ingest::decode_traces` (protobuf + validation).
//! - **write only**: `TracesWriter::write` of the generated request on another `memory://`
//!   store.

use crate::cpu::Spent;
use crate::ingest::REQUESTS_PER_STORE;
use bytes::Bytes;
use lakewatch_ingest::otlp::OtlpFormat;
use lakewatch_ingest::{decode_traces, decode_traces_response, encode_traces_protobuf};
use lakewatch_ingest::{IngestContext, IngestLimits};
use lakewatch_model::TenantId;
use lakewatch_storage::{AuthConfig, Store};
use opentelemetry_proto::tonic::trace::v1::ResourceSpans;
use std::time::Duration;

/// Span ingest rates (spans per CPU second).
#[derive(Debug, Clone, Default)]
pub struct TracesIngestResult {
    pub requests: usize,
    pub spans: u64,
    /// Protobuf body bytes sent in total.
    pub body_bytes: u64,
    pub full_spans_s: f64,
    pub full_wall_spans_s: f64,
    pub decode_spans_s: f64,
    pub write_spans_s: f64,
    /// Requests not answered 200 without rejected spans (must be 0).
    pub failures: usize,
    pub first_failure: Option<String>,
}

impl TracesIngestResult {
    /// Mean body size (bytes).
    pub fn mean_body(&self) -> f64 {
        self.body_bytes as f64 / self.requests.max(1) as f64
    }

    /// OTLP protobuf bytes per span.
    pub fn body_bytes_per_span(&self) -> f64 {
        self.body_bytes as f64 / self.spans.max(1) as f64
    }

    /// Protobuf MB/s of the full path (per CPU second), Tempo's distributor unit.
    pub fn full_mb_s(&self) -> f64 {
        self.full_spans_s * self.body_bytes_per_span() / 1e6
    }
}

fn rate(n: u64, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64().max(1e-9)
}

/// `POST /v1/traces` with a protobuf body.
pub fn export(body: Bytes) -> http::Request<Bytes> {
    let mut r = http::Request::new(body);
    *r.method_mut() = http::Method::POST;
    *r.uri_mut() = http::Uri::from_static("/v1/traces");
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/x-protobuf"),
    );
    r
}

/// Why an export response is not a full success (`None` = 200 with nothing rejected).
pub fn refused(resp: &http::Response<Bytes>) -> Option<String> {
    if resp.status() != http::StatusCode::OK {
        return Some(format!(
            "{} {}",
            resp.status(),
            String::from_utf8_lossy(resp.body())
        ));
    }
    match decode_traces_response(resp.body(), OtlpFormat::Protobuf) {
        Ok(r) => r
            .partial_success
            .filter(|p| p.rejected_spans > 0)
            .map(|p| format!("{} spans rejected: {}", p.rejected_spans, p.error_message)),
        Err(e) => Some(format!("undecodable response: {e}")),
    }
}

/// Measures the three rates over `batches`, one request at a time (generating a request and
/// encoding its body are not timed). Errors: the runtime cannot be built.
pub fn run(
    batches: impl Iterator<Item = Vec<ResourceSpans>>,
) -> Result<TracesIngestResult, String> {
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
    let mut r = TracesIngestResult::default();
    for rs in batches {
        if r.requests > 0 && r.requests.is_multiple_of(REQUESTS_PER_STORE) {
            ctx = new_ctx();
            wctx = new_ctx();
        }
        let n = super::gen::span_count(&rs) as u64;
        r.requests += 1;
        r.spans += n;
        let body = Bytes::from(encode_traces_protobuf(&rs));
        r.body_bytes += body.len() as u64;

        let req = export(body.clone());
        let ok = dec.time(|| {
            decode_traces(req.headers(), &body, &limits)
                .map(|d| d.rejected_spans == 0 && d.accepted_spans == n)
        });
        if matches!(ok, Ok(true)) {
            decoded += n;
        }

        if let Ok(rc) = wr.time(|| rt.block_on(wctx.traces_writer.write(&tenant, &rs))) {
            written += rc.spans;
        }

        let resp = full.time(|| rt.block_on(lakewatch_ingest::handle(req, &ctx)));
        if let Some(why) = refused(&resp) {
            r.failures += 1;
            r.first_failure.get_or_insert(why);
        }
    }
    r.full_spans_s = rate(r.spans, full.cpu);
    r.full_wall_spans_s = rate(r.spans, full.wall);
    r.decode_spans_s = rate(decoded, dec.cpu);
    r.write_spans_s = rate(written, wr.cpu);
    Ok(r)
}
