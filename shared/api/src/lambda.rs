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

/// Runs `handler` as the Lambda function's request loop until the runtime stops.
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
        let resp = handler(to_http_request(req)).await;
        Ok::<_, std::convert::Infallible>(to_lambda_response(resp))
    }))
    .await
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
