//! Lambda adapter: runs an `http::Request<Bytes> -> http::Response<Bytes>` handler under
//! `lambda_http` (Function URL / API Gateway v2 / ALB events, and `cargo lambda watch`).

use bytes::Bytes;
use lambda_http::{service_fn, Body, Request};
use std::future::Future;

/// Converts a `lambda_http` request into `http::Request<Bytes>`: method, headers, body
/// (text or binary, base64 already decoded by lambda_http) and the URI with its **raw query
/// string** preserved. A leading `/lambda-url/<function>` (cargo lambda watch) is stripped.
pub fn to_http_request(req: Request) -> http::Request<Bytes> {
    let (mut parts, body) = req.into_parts();
    let bytes = match body {
        Body::Empty => Bytes::new(),
        Body::Text(s) => Bytes::from(s),
        Body::Binary(b) => Bytes::from(b),
        // `Body` is non-exhaustive in some versions; treat unknown kinds as empty.
        #[allow(unreachable_patterns)]
        _ => Bytes::new(),
    };
    let path = strip_lambda_url(parts.uri.path());
    let path_and_query = match parts.uri.query() {
        Some(q) if !q.is_empty() => format!("{path}?{q}"),
        _ => path.to_string(),
    };
    if let Ok(uri) = path_and_query.parse() {
        parts.uri = uri;
    }
    http::Request::from_parts(parts, bytes)
}

/// `/lambda-url/<fn>/rest` → `/rest` (`/lambda-url/<fn>` → `/`); other paths unchanged.
fn strip_lambda_url(path: &str) -> &str {
    let Some(rest) = path.strip_prefix("/lambda-url/") else {
        return path;
    };
    match rest.find('/') {
        Some(i) => &rest[i..],
        None => "/",
    }
}

/// Converts a response into a `lambda_http` response: textual content types (JSON, text,
/// YAML) without `Content-Encoding` become `Body::Text`, everything else `Body::Binary`
/// (base64-encoded on the wire by the runtime).
pub fn to_lambda_response(resp: http::Response<Bytes>) -> http::Response<Body> {
    let (parts, body) = resp.into_parts();
    let textual = !parts.headers.contains_key(http::header::CONTENT_ENCODING)
        && parts
            .headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|ct| {
                ct.starts_with("application/json") || ct.starts_with("text/") || ct.contains("yaml")
            })
            .unwrap_or(false);
    let body = if body.is_empty() {
        Body::Empty
    } else if textual {
        match String::from_utf8(body.to_vec()) {
            Ok(s) => Body::Text(s),
            Err(e) => Body::Binary(e.into_bytes()),
        }
    } else {
        Body::Binary(body.to_vec())
    };
    http::Response::from_parts(parts, body)
}

/// Lambda's synchronous response payload limit is 6 MB (6,291,456 bytes) for the whole proxy
/// response JSON; bodies above this many bytes (after base64 for binary bodies) are replaced
/// by an error, leaving room for headers and JSON escaping.
pub const MAX_RESPONSE_BYTES: usize = 6_000_000;

/// Replaces a response whose body would not fit in a Lambda response by a Prometheus-style
/// `422 execution` error naming the size, so clients see why instead of a gateway 502.
pub fn enforce_payload_limit(resp: http::Response<Bytes>) -> http::Response<Bytes> {
    let len = resp.body().len();
    let binary = resp.headers().contains_key(http::header::CONTENT_ENCODING);
    let wire = if binary { len.div_ceil(3) * 4 } else { len };
    if wire <= MAX_RESPONSE_BYTES {
        return resp;
    }
    crate::ApiError::new(
        crate::ErrorType::Execution,
        format!(
            "response of {len} bytes exceeds the Lambda response limit of {MAX_RESPONSE_BYTES} bytes; \
             narrow the query (shorter range, larger step, fewer series or `limit`) or send \
             Accept-Encoding: gzip"
        ),
    )
    .into_response()
}

/// Runs `handler` as the Lambda function's request loop until the runtime stops.
/// Responses too large for Lambda are replaced by an error ([`enforce_payload_limit`]).
///
/// ```no_run
/// # async fn f() -> Result<(), lambda_http::Error> {
/// lakewatch_api::lambda::serve(|req| async move { http::Response::new(req.into_body()) }).await
/// # }
/// ```
pub async fn serve<F, Fut>(handler: F) -> Result<(), lambda_http::Error>
where
    F: Fn(http::Request<Bytes>) -> Fut + Send + Sync,
    Fut: Future<Output = http::Response<Bytes>> + Send,
{
    let handler = &handler;
    lambda_http::run(service_fn(move |req: Request| async move {
        let resp = enforce_payload_limit(handler(to_http_request(req)).await);
        Ok::<_, std::convert::Infallible>(to_lambda_response(resp))
    }))
    .await
}

/// Installs the JSON log subscriber every function uses: one JSON object per event on stdout
/// (CloudWatch adds the time), filter from `RUST_LOG` (default `info`).
pub fn init_logging() {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .without_time()
        .init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_requests() {
        let req = http::Request::builder()
            .method("POST")
            .uri("https://x.lambda-url.aws/lambda-url/query-metrics/api/v1/query?query=up%7B%7D&a=1&a=2")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::Binary(b"time=4".to_vec()))
            .unwrap();
        let r = to_http_request(req);
        assert_eq!(r.uri().path(), "/api/v1/query");
        assert_eq!(r.uri().query(), Some("query=up%7B%7D&a=1&a=2"));
        assert_eq!(r.body().as_ref(), b"time=4");
        assert_eq!(strip_lambda_url("/lambda-url/f"), "/");
        assert_eq!(strip_lambda_url("/api/v1/x"), "/api/v1/x");
    }

    #[test]
    fn payload_limit() {
        let big = http::Response::new(Bytes::from(vec![b'x'; MAX_RESPONSE_BYTES + 1]));
        let r = enforce_payload_limit(big);
        assert_eq!(r.status(), 422);
        assert!(std::str::from_utf8(r.body())
            .unwrap()
            .contains("Lambda response limit"));
        let ok = http::Response::new(Bytes::from(vec![b'x'; 10]));
        assert_eq!(enforce_payload_limit(ok).status(), 200);
    }

    #[test]
    fn converts_responses() {
        let r = http::Response::builder()
            .header("content-type", "application/json")
            .body(Bytes::from_static(b"{}"))
            .unwrap();
        assert!(matches!(to_lambda_response(r).body(), Body::Text(s) if s == "{}"));
        let r = http::Response::builder()
            .header("content-type", "application/json")
            .header("content-encoding", "gzip")
            .body(Bytes::from_static(b"\x1f\x8b"))
            .unwrap();
        assert!(matches!(to_lambda_response(r).body(), Body::Binary(_)));
    }
}
