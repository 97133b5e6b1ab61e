//! The error every ingest path returns: an HTTP status plus a plain-text reason, as
//! Prometheus's receivers answer (`http.Error(w, err.Error(), code)`).

use http::StatusCode;

/// A rejected request: `status` is what the client gets, `message` the plain-text body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status}: {message}")]
pub struct IngestError {
    pub status: StatusCode,
    pub message: String,
}

impl IngestError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        IngestError {
            status,
            message: message.into(),
        }
    }
    /// 400: the request can never succeed (senders must not retry).
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
    /// 415: unsupported Content-Type, `proto=` message or Content-Encoding.
    pub fn unsupported_media_type(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, message)
    }
    /// 413: body (compressed or decoded) over `IngestLimits::max_body_bytes`.
    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, message)
    }
    /// 500: retryable failure (storage).
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }
}
