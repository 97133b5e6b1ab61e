//! Loki's error responses: a **plain-text** body (no trailing newline) with the status code,
//! as `pkg/util/server/error.go` `WriteError` writes them.

use bytes::Bytes;
use http::{header, HeaderValue, Response, StatusCode};

/// Loki's text for a request that ran out of time (504).
pub const DEADLINE_EXCEEDED: &str = "request timed out, decrease the duration of the request or add more label matchers (prefer exact match over regex match) to reduce the amount of data processed";

/// An error of the Loki API: status and plain-text message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LokiError {
    pub status: StatusCode,
    pub message: String,
}

/// Result of a Loki handler: a finished success response or an error.
pub type LokiResult = Result<Response<Bytes>, LokiError>;

impl LokiError {
    /// 400 (parse errors, bad parameters, limits).
    pub fn bad_request(message: impl Into<String>) -> Self {
        LokiError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    /// 500 (storage failures).
    pub fn internal(message: impl std::fmt::Display) -> Self {
        LokiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: message.to_string(),
        }
    }

    /// 504 with Loki's deadline text.
    pub fn timeout() -> Self {
        LokiError {
            status: StatusCode::GATEWAY_TIMEOUT,
            message: DEADLINE_EXCEEDED.into(),
        }
    }

    /// The plain-text response.
    pub fn into_response(self) -> Response<Bytes> {
        let mut resp = Response::new(Bytes::from(self.message));
        *resp.status_mut() = self.status;
        let h = resp.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        h.insert(
            "x-content-type-options",
            HeaderValue::from_static("nosniff"),
        );
        resp
    }
}

impl From<String> for LokiError {
    fn from(message: String) -> Self {
        LokiError::bad_request(message)
    }
}

/// A JSON success response (`Content-Type: application/json`); a newline is appended as
/// Loki's jsoniter writers do.
pub fn json_ok(mut body: String) -> Response<Bytes> {
    body.push('\n');
    crate::response::json_response(StatusCode::OK, body)
}
