//! The Prometheus JSON envelope, error types and status codes (`web/api/v1/api.go`
//! `respond`, `respondError`, `getDefaultErrorCode`), plus plain responses (404, 405, 204).

use crate::json;
use bytes::Bytes;
use http::{header, HeaderValue, Method, Response, StatusCode};

/// Prometheus `errorType` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorType {
    /// `bad_data`, HTTP 400: bad parameters, unparsable query.
    BadData,
    /// `execution`, HTTP 422: the query could not be executed.
    Execution,
    /// `canceled`, HTTP 499.
    Canceled,
    /// `timeout`, HTTP 503.
    Timeout,
    /// `internal`, HTTP 500 (storage failures).
    Internal,
    /// `not_found`, HTTP 404.
    NotFound,
    /// `unavailable`, HTTP 500 as in Prometheus's default branch.
    Unavailable,
    /// `unauthorized`, HTTP 401 (tenant authentication failed; not a Prometheus type).
    Unauthorized,
}

impl ErrorType {
    /// The `errorType` string.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorType::BadData => "bad_data",
            ErrorType::Execution => "execution",
            ErrorType::Canceled => "canceled",
            ErrorType::Timeout => "timeout",
            ErrorType::Internal => "internal",
            ErrorType::NotFound => "not_found",
            ErrorType::Unavailable => "unavailable",
            ErrorType::Unauthorized => "unauthorized",
        }
    }

    /// Default HTTP status (Prometheus `getDefaultErrorCode`).
    pub fn status(self) -> StatusCode {
        match self {
            ErrorType::BadData => StatusCode::BAD_REQUEST,
            ErrorType::Execution => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorType::Canceled => {
                StatusCode::from_u16(499).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            }
            ErrorType::Timeout => StatusCode::SERVICE_UNAVAILABLE,
            ErrorType::Internal | ErrorType::Unavailable => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorType::NotFound => StatusCode::NOT_FOUND,
            ErrorType::Unauthorized => StatusCode::UNAUTHORIZED,
        }
    }
}

/// An API error: rendered as `{"status":"error","errorType":…,"error":…}`.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub kind: ErrorType,
    pub message: String,
}

impl ApiError {
    pub fn new(kind: ErrorType, message: impl Into<String>) -> Self {
        ApiError {
            kind,
            message: message.into(),
        }
    }

    /// `bad_data` with a free message.
    pub fn bad_data(message: impl Into<String>) -> Self {
        Self::new(ErrorType::BadData, message)
    }

    /// Prometheus `invalidParamError`: `invalid parameter "<name>": <err>` (bad_data).
    pub fn invalid_param(name: &str, err: impl std::fmt::Display) -> Self {
        Self::bad_data(format!("invalid parameter {name:?}: {err}"))
    }

    /// `internal` (HTTP 500), e.g. object-store failures.
    pub fn internal(message: impl std::fmt::Display) -> Self {
        Self::new(ErrorType::Internal, message.to_string())
    }

    /// Renders the error envelope with its status code.
    pub fn into_response(self) -> Response<Bytes> {
        let mut body = String::from(r#"{"status":"error","errorType":"#);
        json::push_str(&mut body, self.kind.as_str());
        body.push_str(r#","error":"#);
        json::push_str(&mut body, &self.message);
        body.push('}');
        json_response(self.kind.status(), body)
    }
}

/// A successful API result: raw JSON `data` (or none → HTTP 204) plus annotations.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ApiData {
    /// Already-encoded JSON for the `data` field; `None` means "no data" (HTTP 204).
    pub data: Option<String>,
    pub warnings: Vec<String>,
    pub infos: Vec<String>,
}

impl ApiData {
    /// Data with no annotations.
    pub fn json(data: String) -> Self {
        ApiData {
            data: Some(data),
            ..Default::default()
        }
    }

    /// Renders `{"status":"success","data":…,"warnings":[…],"infos":[…]}` (HTTP 200), empty
    /// annotation arrays omitted and at most 10 of each kept, as `annotations.AsStrings(q, 10, 10)`.
    pub fn into_response(self) -> Response<Bytes> {
        let Some(data) = self.data else {
            return empty(StatusCode::NO_CONTENT);
        };
        let mut body = String::with_capacity(data.len() + 64);
        body.push_str(r#"{"status":"success","data":"#);
        body.push_str(&data);
        push_annotations(&mut body, "warnings", &self.warnings, "warning");
        push_annotations(&mut body, "infos", &self.infos, "info");
        body.push('}');
        json_response(StatusCode::OK, body)
    }
}

fn push_annotations(body: &mut String, field: &str, items: &[String], kind: &str) {
    if items.is_empty() {
        return;
    }
    const MAX: usize = 10;
    let mut list: Vec<String> = items.iter().take(MAX).cloned().collect();
    if items.len() > MAX {
        list.push(format!(
            "{} more {kind} annotations omitted",
            items.len() - MAX
        ));
    }
    body.push(',');
    json::push_str(body, field);
    body.push(':');
    body.push_str(&json::string_array(&list));
}

/// Result of an API function.
pub type ApiResult = Result<ApiData, ApiError>;

/// Turns an [`ApiResult`] into a response.
pub fn respond(result: ApiResult) -> Response<Bytes> {
    match result {
        Ok(d) => d.into_response(),
        Err(e) => e.into_response(),
    }
}

/// A JSON response with `Content-Type: application/json`.
pub fn json_response(status: StatusCode, body: String) -> Response<Bytes> {
    let mut resp = Response::new(Bytes::from(body));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// A plain-text response (`text/plain; charset=utf-8`), as Go's `http.Error`.
pub fn text(status: StatusCode, body: &str) -> Response<Bytes> {
    let mut resp = Response::new(Bytes::from(format!("{body}\n")));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp.headers_mut().insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    resp
}

/// An empty response with the given status.
pub fn empty(status: StatusCode) -> Response<Bytes> {
    let mut resp = Response::new(Bytes::new());
    *resp.status_mut() = status;
    resp
}

/// Go's default 404 for an unknown route: `404 page not found` (text/plain).
pub fn not_found() -> Response<Bytes> {
    text(StatusCode::NOT_FOUND, "404 page not found")
}

/// 405 `Method Not Allowed` with an `Allow` header, as Prometheus's router answers.
/// Grafana relies on it to retry a POST as GET.
pub fn method_not_allowed(allowed: &[Method]) -> Response<Bytes> {
    let mut resp = text(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed");
    let mut allow: Vec<&str> = allowed.iter().map(|m| m.as_str()).collect();
    allow.push("OPTIONS");
    if let Ok(v) = HeaderValue::from_str(&allow.join(", ")) {
        resp.headers_mut().insert(header::ALLOW, v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes() {
        let r = ApiError::invalid_param("step", "boom").into_response();
        assert_eq!(r.status(), 400);
        assert_eq!(
            r.body().as_ref(),
            br#"{"status":"error","errorType":"bad_data","error":"invalid parameter \"step\": boom"}"#
        );
        let mut d = ApiData::json("[]".into());
        d.warnings = (0..12).map(|i| format!("w{i}")).collect();
        let r = d.into_response();
        let v: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
        assert_eq!(v["warnings"].as_array().unwrap().len(), 11);
        assert_eq!(v["warnings"][10], "2 more warning annotations omitted");
        assert!(v.get("infos").is_none());
        assert_eq!(ApiData::default().into_response().status(), 204);
        assert_eq!(
            ApiError::new(ErrorType::Canceled, "x")
                .into_response()
                .status(),
            499
        );
    }
}
