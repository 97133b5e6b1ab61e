//! HTTP handlers of log ingest, called by [`crate::handle`] for [`crate::LOGS_PATHS`]:
//! [`handle_loki_push`] (`/loki/api/v1/push`, `/api/prom/push`) and [`handle_otlp_logs`]
//! (`/otlp/v1/logs`). A request is acknowledged only after `LogsWriter::write` returned.

use super::{decode_push, group_rejections, validate_push, PushVersion, Rejection};
use crate::context::IngestContext;
use crate::counts::IngestCounts;
use crate::error::IngestError;
use crate::otlp::logs_decode::{decode_logs_body, RpcStatus};
use crate::otlp::otlp_logs_to_push;
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use lakewatch_model::{LogsBatch, TenantId};
use lakewatch_storage::{resolve_tenant, AuthError, LogsWriteReceipt, StorageError};
use prost::Message;

/// Nanoseconds since the epoch now.
pub fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Go's `http.Error`: plain text body + newline.
fn text(status: StatusCode, msg: &str) -> Response<Bytes> {
    let mut r = Response::new(Bytes::from(format!("{msg}\n")));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    h.insert(
        http::header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if status == StatusCode::METHOD_NOT_ALLOWED {
        h.insert(http::header::ALLOW, HeaderValue::from_static("POST"));
    }
    if status == StatusCode::UNAUTHORIZED {
        h.insert(
            http::header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"lakewatch\""),
        );
    }
    r
}

fn no_content() -> Response<Bytes> {
    let mut r = Response::new(Bytes::new());
    *r.status_mut() = StatusCode::NO_CONTENT;
    r
}

fn preamble(req: &Request<Bytes>, ctx: &IngestContext) -> Result<TenantId, IngestError> {
    if req.method() != Method::POST {
        return Err(IngestError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("method {} not allowed; use POST", req.method()),
        ));
    }
    resolve_tenant(req.headers(), &ctx.auth).map_err(|e| match e {
        AuthError::Unauthorized(_) => IngestError::new(StatusCode::UNAUTHORIZED, e.to_string()),
        AuthError::InvalidTenant(_) => IngestError::bad_request(e.to_string()),
        AuthError::BadConfig(_) => IngestError::internal(e.to_string()),
    })
}

/// Writes the accepted part (nothing if empty). Storage failures are 500 (retryable).
async fn write(
    ctx: &IngestContext,
    tenant: &TenantId,
    batch: &LogsBatch,
) -> Result<LogsWriteReceipt, IngestError> {
    if batch.entry_count() == 0 {
        return Ok(LogsWriteReceipt::default());
    }
    ctx.logs_writer.write(tenant, batch).await.map_err(|e| {
        tracing::error!(tenant = %tenant, error = %e, "logs write failed");
        match e {
            StorageError::InvalidBatch(m) => IngestError::internal(format!("storage error: {m}")),
            other => IngestError::internal(format!("storage error (retry later): {other}")),
        }
    })
}

/// Writes, then answers 204, or 400 with the grouped rejections (the accepted part is written
/// first, as Loki's distributor does). Also returns the self-monitoring counts.
async fn finish(
    ctx: &IngestContext,
    tenant: &TenantId,
    batch: LogsBatch,
    rejections: Vec<Rejection>,
) -> Result<(Option<String>, IngestCounts), IngestError> {
    let receipt = write(ctx, tenant, &batch).await?;
    let discarded: usize = rejections.iter().map(|r| r.entries).sum();
    let counts = IngestCounts {
        accepted: receipt.entries,
        rejected: discarded as u64,
        objects: u64::from(receipt.object_id.is_some()),
    };
    if rejections.is_empty() {
        return Ok((None, counts));
    }
    tracing::warn!(tenant = %tenant, discarded, accepted = batch.entry_count(), "log push partly rejected");
    Ok((Some(group_rejections(&rejections)), counts))
}

/// Loki push receiver (`POST /loki/api/v1/push`, `/api/prom/push`): JSON or snappy protobuf,
/// optional gzip/deflate. 204 when everything was written; 400 naming the rejected
/// streams/entries (the valid ones of the same request are written); 400 undecodable body;
/// 413 body over `max_body_bytes`; 422 no streams; 405 non-POST; 401 bad credentials; 500
/// storage failure (nothing acknowledged). Errors are plain text as Loki's `http.Error`.
pub async fn handle_loki_push(req: Request<Bytes>, ctx: &IngestContext) -> Response<Bytes> {
    let version = PushVersion::from_path(req.uri().path());
    let result = async {
        let tenant = preamble(&req, ctx)?;
        let (batch, rejections) =
            decode_push(req.headers(), req.body(), version, &ctx.limits, now_ns())?;
        finish(ctx, &tenant, batch, rejections).await
    }
    .await;
    match result {
        Ok((None, c)) => c.attach(no_content()),
        Ok((Some(msg), c)) => c.attach(text(StatusCode::BAD_REQUEST, &msg)),
        Err(e) => text(e.status, &e.message),
    }
}

/// Loki's `OTLPError`: `google.rpc.Status` protobuf body, `application/octet-stream`, 500
/// mapped to 503 (so OTLP clients retry).
fn otlp_error(status: StatusCode, msg: &str) -> Response<Bytes> {
    let status = if status == StatusCode::INTERNAL_SERVER_ERROR {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        status
    };
    let body = RpcStatus {
        code: 0,
        message: msg.to_string(),
    }
    .encode_to_vec();
    let mut r = Response::new(Bytes::from(body));
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    if status == StatusCode::METHOD_NOT_ALLOWED {
        r.headers_mut()
            .insert(http::header::ALLOW, HeaderValue::from_static("POST"));
    }
    r
}

/// Loki-native OTLP logs receiver (`POST /otlp/v1/logs`): protobuf or JSON, optional gzip,
/// mapped as [`crate::otlp::logs`] and validated like a Loki push. 204 on success (as Loki);
/// errors with the same statuses as [`handle_loki_push`] but a `google.rpc.Status` body and
/// 503 instead of 500.
pub async fn handle_otlp_logs(req: Request<Bytes>, ctx: &IngestContext) -> Response<Bytes> {
    let result = async {
        let tenant = preamble(&req, ctx)?;
        let msg = decode_logs_body(req.headers(), req.body(), ctx.limits.max_body_bytes)?;
        let now = now_ns();
        let raw = otlp_logs_to_push(&msg, &ctx.limits.logs, now);
        let (batch, rejections) = validate_push(raw, &ctx.limits.logs, now)?;
        finish(ctx, &tenant, batch, rejections).await
    }
    .await;
    match result {
        Ok((None, c)) => c.attach(no_content()),
        Ok((Some(msg), c)) => c.attach(otlp_error(StatusCode::BAD_REQUEST, &msg)),
        Err(e) => otlp_error(e.status, &e.message),
    }
}
