//! The request middleware: times one request, logs one structured line and records it in the
//! self-monitoring metrics.

use super::registry::{global, SelfMetrics};
use super::route::{classify, RouteInfo, RouteKind};
use base64::Engine as _;
use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode};
use lakewatch_ingest::IngestCounts;
use std::future::Future;
use std::time::Instant;

/// `tracing` target of the per-request log line.
pub const REQUEST_LOG_TARGET: &str = "lakewatch::request";

/// Longest tenant id logged (bytes); longer claimed ids are cut.
const MAX_TENANT_LOG: usize = 150;

/// The short `reason` code of a rejected ingest request, from its status: `invalid` (400),
/// `unauthorized` (401), `forbidden` (403), `method_not_allowed` (405), `too_large` (413),
/// `unsupported_media_type` (415), `unprocessable` (422), `rate_limited` (429), `client_error`
/// (other 4xx). Items dropped from a partly accepted request use `invalid_items`.
pub fn reject_reason(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "invalid",
        401 => "unauthorized",
        403 => "forbidden",
        405 => "method_not_allowed",
        413 => "too_large",
        415 => "unsupported_media_type",
        422 => "unprocessable",
        429 => "rate_limited",
        _ => "client_error",
    }
}

/// The tenant a request claims, for logging only (not verified): `X-Scope-OrgID`, else the
/// basic-auth user name, else `anonymous` (the rules of `lakewatch_storage::resolve_tenant`).
pub fn claimed_tenant(headers: &HeaderMap) -> String {
    let mut t = headers
        .get("x-scope-orgid")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .or_else(|| basic_user(headers))
        .unwrap_or_else(|| "anonymous".to_string());
    if t.len() > MAX_TENANT_LOG {
        let mut cut = MAX_TENANT_LOG;
        while !t.is_char_boundary(cut) {
            cut -= 1;
        }
        t.truncate(cut);
    }
    t
}

fn basic_user(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, cred) = v.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(cred.trim())
        .ok()?;
    let s = String::from_utf8(raw).ok()?;
    let user = s.split(':').next()?.to_string();
    (!user.is_empty()).then_some(user)
}

/// A fresh request id for requests without one (local process): a ULID.
pub fn new_request_id() -> String {
    ulid::Ulid::new().to_string()
}

/// Runs `handler` on `req`, then logs one event at INFO on target [`REQUEST_LOG_TARGET`] and
/// records the request in the process-wide metrics ([`global`]).
///
/// Log fields: `request_id` (the given one, e.g. the Lambda request id, else a new ULID),
/// `tenant` ([`claimed_tenant`]), `route` (route group, [`classify`]), `method`, `path`,
/// `status`, `duration_ms` (float, milliseconds), `request_bytes` and `response_bytes` (bodies
/// as received / as sent), and for ingest routes `signal`, `accepted` and `rejected` plus the
/// signal's own name for the accepted count: `samples` (metrics), `entries` (logs) or `spans`
/// (traces). The handler's [`IngestCounts`] response extension is consumed here.
pub async fn observe<F, Fut>(
    req: Request<Bytes>,
    request_id: Option<String>,
    handler: F,
) -> Response<Bytes>
where
    F: FnOnce(Request<Bytes>) -> Fut,
    Fut: Future<Output = Response<Bytes>>,
{
    observe_with(global(), req, request_id, handler).await
}

/// [`observe`] recording into `metrics` instead of the process-wide registry.
pub async fn observe_with<F, Fut>(
    metrics: &SelfMetrics,
    req: Request<Bytes>,
    request_id: Option<String>,
    handler: F,
) -> Response<Bytes>
where
    F: FnOnce(Request<Bytes>) -> Fut,
    Fut: Future<Output = Response<Bytes>>,
{
    let started = Instant::now();
    let route = classify(req.uri().path());
    let tenant = claimed_tenant(req.headers());
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let request_bytes = req.body().len() as u64;
    let request_id = request_id.unwrap_or_else(new_request_id);
    let mut resp = handler(req).await;
    let elapsed = started.elapsed();
    let counts = resp.extensions_mut().remove::<IngestCounts>();
    let status = resp.status();
    record(
        metrics,
        &route,
        status,
        request_bytes,
        counts,
        elapsed.as_secs_f64(),
    );
    let line = RequestLine {
        request_id: &request_id,
        tenant: &tenant,
        route: &route,
        method: method.as_str(),
        path: &path,
        status: status.as_u16(),
        duration_ms: elapsed.as_secs_f64() * 1000.0,
        request_bytes,
        response_bytes: resp.body().len() as u64,
        counts,
    };
    line.log();
    resp
}

fn record(
    m: &SelfMetrics,
    route: &RouteInfo,
    status: StatusCode,
    request_bytes: u64,
    counts: Option<IngestCounts>,
    seconds: f64,
) {
    m.record_request(route.route, status.as_u16());
    if status.is_server_error() {
        m.record_error(route.component(), 1);
    }
    match route.kind {
        RouteKind::Ingest(signal) => {
            let c = counts.unwrap_or_default();
            if status.is_success() || c.accepted > 0 {
                m.record_ingest(signal, c.accepted, request_bytes, c.objects);
            }
            if c.rejected > 0 {
                m.record_rejected(signal, "invalid_items", c.rejected);
            }
            if status.is_client_error() && c.accepted == 0 && c.rejected == 0 {
                m.record_rejected(signal, reject_reason(status), 1);
            }
        }
        RouteKind::Query(_) => m.observe_query(route.route, seconds),
        RouteKind::Other => {}
    }
}

struct RequestLine<'a> {
    request_id: &'a str,
    tenant: &'a str,
    route: &'a RouteInfo,
    method: &'a str,
    path: &'a str,
    status: u16,
    duration_ms: f64,
    request_bytes: u64,
    response_bytes: u64,
    counts: Option<IngestCounts>,
}

impl RequestLine<'_> {
    fn log(&self) {
        macro_rules! line {
            ($($extra:tt)*) => {
                tracing::info!(
                    target: REQUEST_LOG_TARGET,
                    request_id = self.request_id,
                    tenant = self.tenant,
                    route = self.route.route,
                    method = self.method,
                    path = self.path,
                    status = self.status,
                    duration_ms = self.duration_ms,
                    request_bytes = self.request_bytes,
                    response_bytes = self.response_bytes,
                    $($extra)*
                    "request"
                )
            };
        }
        let c = self.counts.unwrap_or_default();
        match self.route.kind {
            RouteKind::Ingest("metrics") => line!(
                signal = "metrics",
                accepted = c.accepted,
                rejected = c.rejected,
                samples = c.accepted,
            ),
            RouteKind::Ingest("logs") => line!(
                signal = "logs",
                accepted = c.accepted,
                rejected = c.rejected,
                entries = c.accepted,
            ),
            RouteKind::Ingest(_) => line!(
                signal = "traces",
                accepted = c.accepted,
                rejected = c.rejected,
                spans = c.accepted,
            ),
            _ => line!(),
        }
    }
}
