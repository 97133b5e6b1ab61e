//! OTLP/HTTP trace receiver (`POST /v1/traces`, `/otlp/v1/traces`), answering as the OTLP
//! spec v1.11 "OTLP/HTTP Response" section says:
//!
//! - 200 with `ExportTraceServiceResponse` in the request's format (protobuf or JSON), with
//!   `partial_success {rejected_spans, error_message}` when some spans were invalid (the valid
//!   ones are written first); an empty request is a success;
//! - errors carry a `google.rpc.Status` body (`code` = gRPC code, `message`) in the request's
//!   format (protobuf when the Content-Type is unknown): 400 bad data (never retried), 401
//!   bad credentials, 405 non-POST, 413 too large, 415 unsupported Content-Type or
//!   Content-Encoding, 503 + `Retry-After` storage failure (retried by clients).
//!
//! A request is acknowledged only after `TracesWriter::write` returned `Ok` (durable). Then
//! the span metrics / service graphs of the accepted spans are written into the metrics store
//! ([`crate::generator`]); their failure does not change the response.

use super::decode::{negotiate, OtlpFormat};
use super::logs_decode::RpcStatus;
use super::traces_decode::{decode_traces, DecodedTraces};
use crate::context::IngestContext;
use crate::error::IngestError;
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use lakewatch_storage::{resolve_tenant, AuthError, StorageError};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceResponse,
};
use prost::Message;

/// Seconds sent in `Retry-After` with 503 (retryable storage failure).
pub const RETRY_AFTER_SECONDS: u32 = 5;

/// The gRPC status code matching an HTTP status (for `google.rpc.Status.code`), as the
/// gRPC-HTTP mapping of `grpc-gateway`.
pub fn grpc_code(status: StatusCode) -> i32 {
    match status.as_u16() {
        400 | 415 => 3, // INVALID_ARGUMENT
        401 => 16,      // UNAUTHENTICATED
        403 => 7,       // PERMISSION_DENIED
        404 => 5,       // NOT_FOUND
        405 => 12,      // UNIMPLEMENTED
        413 | 429 => 8, // RESOURCE_EXHAUSTED
        503 => 14,      // UNAVAILABLE
        _ => 13,        // INTERNAL
    }
}

fn with_content_type(mut r: Response<Bytes>, format: OtlpFormat) -> Response<Bytes> {
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    r
}

/// An error response: `google.rpc.Status` in `format`, plus `Allow` (405),
/// `WWW-Authenticate` (401) or `Retry-After` (429/503).
pub fn traces_error_response(e: &IngestError, format: OtlpFormat) -> Response<Bytes> {
    let code = grpc_code(e.status);
    let body = match format {
        OtlpFormat::Protobuf => RpcStatus {
            code,
            message: e.message.clone(),
        }
        .encode_to_vec(),
        OtlpFormat::Json => serde_json::json!({"code": code, "message": e.message})
            .to_string()
            .into_bytes(),
    };
    let mut r = with_content_type(Response::new(Bytes::from(body)), format);
    *r.status_mut() = e.status;
    let h = r.headers_mut();
    match e.status {
        StatusCode::METHOD_NOT_ALLOWED => {
            h.insert(http::header::ALLOW, HeaderValue::from_static("POST"));
        }
        StatusCode::UNAUTHORIZED => {
            h.insert(
                http::header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"lakewatch\""),
            );
        }
        StatusCode::SERVICE_UNAVAILABLE | StatusCode::TOO_MANY_REQUESTS => {
            h.insert(
                http::header::RETRY_AFTER,
                HeaderValue::from(RETRY_AFTER_SECONDS),
            );
        }
        _ => {}
    }
    r
}

/// A 200 response: `ExportTraceServiceResponse` in `format`, with `partial_success` when
/// `rejected_spans > 0` (JSON: `{}` or
/// `{"partialSuccess":{"rejectedSpans":"<n>","errorMessage":"…"}}`, int64 as a string as
/// proto3 JSON).
pub fn traces_success_response(
    rejected_spans: u64,
    error_message: &str,
    format: OtlpFormat,
) -> Response<Bytes> {
    let partial = (rejected_spans > 0).then(|| ExportTracePartialSuccess {
        rejected_spans: i64::try_from(rejected_spans).unwrap_or(i64::MAX),
        error_message: error_message.to_string(),
    });
    let body = match format {
        OtlpFormat::Protobuf => ExportTraceServiceResponse {
            partial_success: partial,
        }
        .encode_to_vec(),
        OtlpFormat::Json => match partial {
            None => b"{}".to_vec(),
            Some(p) => serde_json::json!({"partialSuccess": {
                "rejectedSpans": p.rejected_spans.to_string(),
                "errorMessage": p.error_message,
            }})
            .to_string()
            .into_bytes(),
        },
    };
    with_content_type(Response::new(Bytes::from(body)), format)
}

fn storage_error(e: StorageError) -> IngestError {
    match e {
        StorageError::InvalidBatch(m) => {
            IngestError::bad_request(format!("spans refused by storage: {m}"))
        }
        other => IngestError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("storage error (retry later): {other}"),
        ),
    }
}

async fn traces_inner(
    req: &Request<Bytes>,
    ctx: &IngestContext,
) -> Result<DecodedTraces, IngestError> {
    if req.method() != Method::POST {
        return Err(IngestError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("method {} not allowed; use POST", req.method()),
        ));
    }
    let tenant = resolve_tenant(req.headers(), &ctx.auth).map_err(|e| match e {
        AuthError::Unauthorized(_) => IngestError::new(StatusCode::UNAUTHORIZED, e.to_string()),
        AuthError::InvalidTenant(_) => IngestError::bad_request(e.to_string()),
        AuthError::BadConfig(_) => IngestError::internal(e.to_string()),
    })?;
    let decoded = decode_traces(req.headers(), req.body(), &ctx.limits)?;
    if decoded.accepted_spans > 0 {
        let receipt = ctx
            .traces_writer
            .write(&tenant, &decoded.resource_spans)
            .await
            .map_err(|e| {
                tracing::error!(tenant = %tenant, error = %e, "traces write failed");
                storage_error(e)
            })?;
        tracing::debug!(tenant = %tenant, spans = receipt.spans, traces = receipt.traces, "traces written");
        // After the spans are durable: a failure here is logged and counted, never an OTLP
        // error (the client would resend spans already stored).
        ctx.generator
            .record(
                &ctx.writer,
                &tenant,
                &ctx.limits.traces,
                &decoded.resource_spans,
            )
            .await;
    }
    if decoded.rejected_spans > 0 {
        tracing::warn!(
            tenant = %tenant,
            rejected = decoded.rejected_spans,
            accepted = decoded.accepted_spans,
            errors = %decoded.error_message(),
            "OTLP trace export partly rejected"
        );
    }
    Ok(decoded)
}

/// OTLP/HTTP traces receiver (`POST /v1/traces`, `/otlp/v1/traces`); see the module docs for
/// statuses and bodies. Limits: `max_body_bytes` (413), `traces.max_spans_per_request` (400).
pub async fn handle_otlp_traces(req: Request<Bytes>, ctx: &IngestContext) -> Response<Bytes> {
    let format = negotiate(req.headers()).unwrap_or(OtlpFormat::Protobuf);
    match traces_inner(&req, ctx).await {
        Ok(d) => crate::IngestCounts {
            accepted: d.accepted_spans,
            rejected: d.rejected_spans,
            objects: u64::from(d.accepted_spans > 0),
        }
        .attach(traces_success_response(
            d.rejected_spans,
            &d.error_message(),
            format,
        )),
        Err(e) => traces_error_response(&e, format),
    }
}
