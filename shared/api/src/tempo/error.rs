//! Tempo's error responses: a **plain-text** body with the status code, as Tempo's query
//! frontend writes them (`httpInvalidRequest`: 400, the error text without a newline).

use bytes::Bytes;
use http::{header, HeaderValue, Response, StatusCode};

/// An error of the Tempo API: status and plain-text message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TempoError {
    pub status: StatusCode,
    pub message: String,
}

/// Result of a Tempo handler: a finished success response or an error.
pub type TempoResult = Result<Response<Bytes>, TempoError>;

impl TempoError {
    /// 400 (invalid trace id, bad `start`/`end`).
    pub fn bad_request(message: impl Into<String>) -> Self {
        TempoError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    /// 500 (storage failures).
    pub fn internal(message: impl std::fmt::Display) -> Self {
        TempoError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: message.to_string(),
        }
    }

    /// 501 for a Tempo endpoint Lakewatch does not serve yet.
    pub fn not_implemented(what: &str) -> Self {
        TempoError {
            status: StatusCode::NOT_IMPLEMENTED,
            message: format!("{what} is not implemented yet in lakewatch"),
        }
    }

    /// The plain-text response (`Content-Type: text/plain; charset=utf-8`, the type Go's
    /// `net/http` sniffs for such bodies).
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
