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
/// Every request goes through [`crate::selfmon::observe`]: one JSON log line with the Lambda
/// request id (`request_id`), tenant, route, status, duration and bytes (and the items
/// accepted on ingest routes); CloudWatch Logs keeps it (docs/self-monitoring.md).
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
    use lambda_http::RequestExt;
    let handler = &handler;
    lambda_http::run(service_fn(move |req: Request| async move {
        let request_id = req.lambda_context_ref().map(|c| c.request_id.clone());
        let resp = crate::selfmon::observe(to_http_request(req), request_id, |r| async move {
            enforce_payload_limit(handler(r).await)
        })
        .await;
        Ok::<_, std::convert::Infallible>(to_lambda_response(resp))
    }))
    .await
}

/// The JSON log format every function uses, writing to `writer`: one JSON object per event,
/// the event's fields at the top level (`{"level":"INFO","target":"lakewatch::request",
/// "message":"request","request_id":…}`), no timestamp (CloudWatch adds the time), events
/// kept by `filter`.
pub fn json_subscriber<W>(
    writer: W,
    filter: tracing_subscriber::EnvFilter,
) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_env_filter(filter)
        .without_time()
        .with_writer(writer)
        .finish()
}

/// Installs the JSON log subscriber every function uses ([`json_subscriber`] on stdout),
/// filter from `RUST_LOG` (default `info`). Does nothing if a subscriber is already set.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    use tracing_subscriber::util::SubscriberInitExt;
    // `try_init` also routes `log` records into tracing; an already set subscriber is kept.
    let _ = json_subscriber(std::io::stdout, filter).try_init();
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

    /// Collects what the subscriber writes.
    #[derive(Clone, Default)]
    struct Capture(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Capture {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if let Ok(mut v) = self.0.lock() {
                v.extend_from_slice(buf);
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'w> tracing_subscriber::fmt::MakeWriter<'w> for Capture {
        type Writer = Capture;
        fn make_writer(&'w self) -> Capture {
            self.clone()
        }
    }

    fn lines(c: &Capture) -> Vec<serde_json::Value> {
        let bytes = c.0.lock().unwrap().clone();
        String::from_utf8(bytes)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[tokio::test(flavor = "current_thread")]
    async fn request_log_line_has_the_fields() {
        let cap = Capture::default();
        let sub = json_subscriber(cap.clone(), tracing_subscriber::EnvFilter::new("info"));
        let _guard = tracing::subscriber::set_default(sub);
        let req = http::Request::builder()
            .method("POST")
            .uri("/api/v1/write")
            .header("X-Scope-OrgID", "team-a")
            .body(Bytes::from_static(b"0123456789"))
            .unwrap();
        let resp = crate::selfmon::observe(req, Some("req-42".into()), |_| async {
            let r = http::Response::builder()
                .status(204)
                .body(Bytes::new())
                .unwrap();
            lakewatch_ingest::IngestCounts {
                accepted: 7,
                rejected: 1,
                objects: 1,
            }
            .attach(r)
        })
        .await;
        assert_eq!(resp.status(), 204);
        assert!(resp
            .extensions()
            .get::<lakewatch_ingest::IngestCounts>()
            .is_none());
        let got = lines(&cap);
        let line = got
            .iter()
            .find(|l| l["target"] == crate::selfmon::REQUEST_LOG_TARGET)
            .expect("a request line");
        assert_eq!(line["level"], "INFO");
        assert_eq!(line["message"], "request");
        assert_eq!(line["request_id"], "req-42");
        assert_eq!(line["tenant"], "team-a");
        assert_eq!(line["route"], "remote_write");
        assert_eq!(line["method"], "POST");
        assert_eq!(line["path"], "/api/v1/write");
        assert_eq!(line["status"], 204);
        assert!(line["duration_ms"].as_f64().unwrap() >= 0.0);
        assert_eq!(line["request_bytes"], 10);
        assert_eq!(line["response_bytes"], 0);
        assert_eq!(line["signal"], "metrics");
        assert_eq!(line["samples"], 7);
        assert_eq!(line["accepted"], 7);
        assert_eq!(line["rejected"], 1);

        // A query request without an id gets a generated one; basic-auth user as tenant.
        let req = http::Request::builder()
            .uri("/logs/loki/api/v1/query_range?query=x")
            .header("Authorization", "Basic dGVhbS1iOnNlY3JldA==")
            .body(Bytes::new())
            .unwrap();
        crate::selfmon::observe(req, None, |_| async {
            http::Response::new(Bytes::from_static(b"{}"))
        })
        .await;
        let got = lines(&cap);
        let line = got.last().unwrap();
        assert_eq!(line["route"], "loki_query_range");
        assert_eq!(line["tenant"], "team-b");
        assert_eq!(line["response_bytes"], 2);
        assert_eq!(line["request_id"].as_str().unwrap().len(), 26);
        assert!(line.get("samples").is_none());
    }
}
