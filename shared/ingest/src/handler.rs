//! The ingest HTTP handlers: remote write 1.0/2.0 (`/api/v1/write`, `/api/v1/push`) and OTLP
//! metrics (`/otlp/v1/metrics`, `/api/v1/otlp/v1/metrics`, `/v1/metrics`). Status codes and
//! plain-text error bodies follow Prometheus's receivers (see docs/ingest-metrics.md); a
//! request is acknowledged only after `MetricsWriter::write` returned (durable).

use crate::context::IngestContext;
use crate::counts::IngestCounts;
use crate::error::IngestError;
use crate::otlp::{self, OtlpFormat};
use crate::remote_write::{self, proto, proto_v2, RemoteWriteVersion};
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use lakewatch_model::{MetricsBatch, TenantId};
use lakewatch_storage::{resolve_tenant, AuthError, StorageError, WriteReceipt};
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceResponse;
use prost::Message;

/// Response header: float samples written (remote write 2.0).
pub const SAMPLES_WRITTEN: &str = "X-Prometheus-Remote-Write-Samples-Written";
/// Response header: native histogram samples written (remote write 2.0).
pub const HISTOGRAMS_WRITTEN: &str = "X-Prometheus-Remote-Write-Histograms-Written";
/// Response header: exemplars written (remote write 2.0).
pub const EXEMPLARS_WRITTEN: &str = "X-Prometheus-Remote-Write-Exemplars-Written";

/// Paths served by [`handle_remote_write`].
pub const REMOTE_WRITE_PATHS: &[&str] = &["/api/v1/write", "/api/v1/push"];
/// Paths served by [`handle_otlp`].
pub const OTLP_PATHS: &[&str] = &["/otlp/v1/metrics", "/api/v1/otlp/v1/metrics", "/v1/metrics"];

/// Milliseconds since the epoch now.
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn text(status: StatusCode, body: impl Into<String>) -> Response<Bytes> {
    let mut r = Response::new(Bytes::from(body.into() + "\n"));
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

fn error_response(e: IngestError) -> Response<Bytes> {
    let mut r = text(e.status, e.message);
    match e.status {
        StatusCode::METHOD_NOT_ALLOWED => {
            r.headers_mut()
                .insert(http::header::ALLOW, HeaderValue::from_static("POST"));
        }
        StatusCode::UNAUTHORIZED => {
            r.headers_mut().insert(
                http::header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"lakewatch\""),
            );
        }
        _ => {}
    }
    r
}

fn auth_error(e: AuthError) -> IngestError {
    match e {
        AuthError::Unauthorized(_) => IngestError::new(StatusCode::UNAUTHORIZED, e.to_string()),
        AuthError::InvalidTenant(_) => IngestError::bad_request(e.to_string()),
        AuthError::BadConfig(_) => IngestError::internal(e.to_string()),
    }
}

fn storage_error(e: StorageError) -> IngestError {
    match e {
        StorageError::InvalidBatch(m) => IngestError::bad_request(m),
        other => IngestError::internal(format!("storage error (retry later): {other}")),
    }
}

/// Checks method, tenant and body size, common to every route.
fn preamble(req: &Request<Bytes>, ctx: &IngestContext) -> Result<TenantId, IngestError> {
    if req.method() != Method::POST {
        return Err(IngestError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("method {} not allowed; use POST", req.method()),
        ));
    }
    let tenant = resolve_tenant(req.headers(), &ctx.auth).map_err(auth_error)?;
    if req.body().len() > ctx.limits.max_body_bytes {
        return Err(IngestError::too_large(format!(
            "request body is {} bytes, more than the limit of {} bytes",
            req.body().len(),
            ctx.limits.max_body_bytes
        )));
    }
    Ok(tenant)
}

async fn write(
    ctx: &IngestContext,
    tenant: &TenantId,
    batch: &MetricsBatch,
) -> Result<WriteReceipt, IngestError> {
    if batch.series.is_empty() && batch.metadata.is_empty() {
        return Ok(WriteReceipt::default());
    }
    ctx.writer.write(tenant, batch).await.map_err(|e| {
        tracing::error!(tenant = %tenant, error = %e, "metrics write failed");
        storage_error(e)
    })
}

/// Routes a request by path to [`handle_remote_write`], [`handle_otlp`], or for
/// [`crate::LOGS_PATHS`] to [`crate::loki::handle_loki_push`] / [`crate::loki::handle_otlp_logs`],
/// for [`crate::TRACES_PATHS`] to [`crate::otlp::handle_otlp_traces`]; other paths 404.
/// A trailing `/` and a `/lambda-url/<fn>` prefix are ignored.
pub async fn handle(req: Request<Bytes>, ctx: &IngestContext) -> Response<Bytes> {
    let path = req.uri().path();
    let path = match path.strip_prefix("/lambda-url/") {
        Some(rest) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => path,
    };
    let path = if path.len() > 1 {
        path.trim_end_matches('/')
    } else {
        path
    };
    if REMOTE_WRITE_PATHS.contains(&path) {
        handle_remote_write(req, ctx).await
    } else if OTLP_PATHS.contains(&path) {
        handle_otlp(req, ctx).await
    } else if crate::TRACES_PATHS.contains(&path) {
        crate::otlp::handle_otlp_traces(req, ctx).await
    } else if path == "/otlp/v1/logs" {
        crate::loki::handle_otlp_logs(req, ctx).await
    } else if crate::LOGS_PATHS.contains(&path) {
        crate::loki::handle_loki_push(req, ctx).await
    } else {
        text(StatusCode::NOT_FOUND, format!("404 page not found: {path}"))
    }
}

fn with_written(
    mut r: Response<Bytes>,
    samples: u64,
    histograms: u64,
    exemplars: u64,
) -> Response<Bytes> {
    let h = r.headers_mut();
    h.insert(SAMPLES_WRITTEN, HeaderValue::from(samples));
    h.insert(HISTOGRAMS_WRITTEN, HeaderValue::from(histograms));
    h.insert(EXEMPLARS_WRITTEN, HeaderValue::from(exemplars));
    r
}

/// Prometheus remote write 1.0 and 2.0 receiver (`POST /api/v1/write`, `/api/v1/push`).
///
/// 204 on success; 405 non-POST; 415 bad Content-Type/`proto=`/Content-Encoding; 413 body or
/// decoded body over `max_body_bytes`; 400 corrupt snappy, invalid protobuf, invalid series
/// (v1: the whole request is refused and nothing is written; v2: the valid series are written
/// and 400 reports the rest); 401 bad credentials; 500 storage failure (retryable). v2 responses
/// always carry the three `X-Prometheus-Remote-Write-*-Written` headers.
pub async fn handle_remote_write(req: Request<Bytes>, ctx: &IngestContext) -> Response<Bytes> {
    let v2 = remote_write::content::is_v2(req.headers());
    let result = remote_write_inner(&req, ctx).await;
    match (v2, result) {
        (_, Ok(RwOutcome::V1(receipt))) => {
            counts(&receipt, 0).attach(empty(StatusCode::NO_CONTENT))
        }
        (_, Ok(RwOutcome::V2 { receipt, errors })) => {
            let r = if errors.is_empty() {
                empty(StatusCode::NO_CONTENT)
            } else {
                text(StatusCode::BAD_REQUEST, errors.join("\n"))
            };
            let c = counts(&receipt, errors.len() as u64);
            c.attach(with_written(
                r,
                receipt.samples,
                receipt.histograms,
                receipt.exemplars,
            ))
        }
        (true, Err(e)) => with_written(error_response(e), 0, 0, 0),
        (_, Err(e)) => error_response(e),
    }
}

fn empty(status: StatusCode) -> Response<Bytes> {
    let mut r = Response::new(Bytes::new());
    *r.status_mut() = status;
    r
}

/// Self-monitoring counts of a metrics write (samples + histogram samples stored).
fn counts(receipt: &WriteReceipt, rejected: u64) -> IngestCounts {
    IngestCounts {
        accepted: receipt.samples + receipt.histograms,
        rejected,
        objects: u64::from(receipt.object_id.is_some()),
    }
}

enum RwOutcome {
    V1(WriteReceipt),
    V2 {
        receipt: WriteReceipt,
        errors: Vec<String>,
    },
}

async fn remote_write_inner(
    req: &Request<Bytes>,
    ctx: &IngestContext,
) -> Result<RwOutcome, IngestError> {
    let tenant = preamble(req, ctx)?;
    let version = remote_write::negotiate(req.headers())?;
    let raw = remote_write::snappy_decode(req.body(), ctx.limits.max_body_bytes)?;
    let now = now_ms();
    match version {
        RemoteWriteVersion::V1 => {
            let msg = proto::WriteRequest::decode(raw.as_slice()).map_err(|e| {
                IngestError::bad_request(format!("invalid prometheus.WriteRequest protobuf: {e}"))
            })?;
            let batch = remote_write::decode_v1(msg, now, &ctx.limits)?;
            let receipt = write(ctx, &tenant, &batch).await?;
            Ok(RwOutcome::V1(receipt))
        }
        RemoteWriteVersion::V2 => {
            let msg = proto_v2::Request::decode(raw.as_slice()).map_err(|e| {
                IngestError::bad_request(format!(
                    "invalid io.prometheus.write.v2.Request protobuf: {e}"
                ))
            })?;
            let decoded = remote_write::decode_v2(msg, now, &ctx.limits)?;
            let receipt = write(ctx, &tenant, &decoded.batch).await?;
            Ok(RwOutcome::V2 {
                receipt,
                errors: decoded.errors,
            })
        }
    }
}

fn otlp_response(format: OtlpFormat) -> Response<Bytes> {
    let body = match format {
        OtlpFormat::Protobuf => ExportMetricsServiceResponse {
            partial_success: None,
        }
        .encode_to_vec(),
        OtlpFormat::Json => b"{}".to_vec(),
    };
    let mut r = Response::new(Bytes::from(body));
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    r
}

/// OTLP/HTTP metrics receiver (`POST /otlp/v1/metrics`, `/api/v1/otlp/v1/metrics`,
/// `/v1/metrics`): protobuf or JSON, optionally gzip. 200 with an empty
/// `ExportMetricsServiceResponse` in the request's format; 405/415/413/401/500 as for remote
/// write; 400 for undecodable bodies and for any translation error (delta temporality, bad
/// names, invalid timestamps: nothing is written), with plain-text bodies as Prometheus's OTLP
/// receiver.
pub async fn handle_otlp(req: Request<Bytes>, ctx: &IngestContext) -> Response<Bytes> {
    match otlp_inner(&req, ctx).await {
        Ok(r) => r,
        Err(e) => error_response(e),
    }
}

async fn otlp_inner(
    req: &Request<Bytes>,
    ctx: &IngestContext,
) -> Result<Response<Bytes>, IngestError> {
    let tenant = preamble(req, ctx)?;
    let format = otlp::negotiate(req.headers())?;
    let raw = otlp::decompress(req.headers(), req.body(), ctx.limits.max_body_bytes)?;
    let msg = otlp::decode_body(&raw, format)?;
    let tr = otlp::translate(&msg, now_ms(), &ctx.limits).map_err(IngestError::bad_request)?;
    ctx.limits.check_series_count(tr.batch.series.len())?;
    if !tr.warnings.is_empty() {
        tracing::warn!(tenant = %tenant, warnings = ?tr.warnings, "warnings translating OTLP metrics");
    }
    let receipt = write(ctx, &tenant, &tr.batch).await?;
    Ok(counts(&receipt, 0).attach(otlp_response(format)))
}
