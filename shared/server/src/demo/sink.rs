//! Where the demo's writers send their requests: the in-process router of `lakewatch dev`
//! ([`Sink::local`]) or any Lakewatch over HTTP ([`Sink::http`], `lakewatch demo --url`), with
//! the tenant header, optional basic auth, retries and failure counters.

use crate::backend::Backend;
use bytes::Bytes;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Attempts per request over HTTP for retryable answers (429, 5xx, connection errors).
pub const MAX_ATTEMPTS: u32 = 4;
/// First retry delay; doubled at each retry (0.5 s, 1 s, 2 s).
pub const FIRST_BACKOFF: Duration = Duration::from_millis(500);
/// Max spans per OTLP export over HTTP (about 1.5 MB of protobuf).
pub const HTTP_MAX_SPANS_PER_PUSH: usize = 5_000;
/// Max log lines per Loki push over HTTP (about 1 MB of line text before compression).
pub const MAX_LINES_PER_PUSH: usize = 5_000;
/// Timeout of one HTTP request.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// A request the writers send: method POST, path (e.g. `/api/v1/write`), headers, body.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub path: &'static str,
    pub headers: Vec<(&'static str, &'static str)>,
    pub body: Bytes,
}

/// A failed send: the HTTP status (`None` for a transport error) and a message with the
/// answer's body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError {
    pub status: Option<u16>,
    pub message: String,
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl SendError {
    /// Whether retrying cannot help and the demo should stop: the target refuses the
    /// credentials (401, 403) or has no such route (404, 405).
    pub fn is_fatal(&self) -> bool {
        matches!(self.status, Some(401 | 403 | 404 | 405))
    }
}

/// Basic-auth credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasicAuth {
    pub user: String,
    pub password: String,
}

/// Counters shared by every writer of one sink.
#[derive(Debug, Default)]
struct Stats {
    /// Requests that failed after their retries.
    errors: AtomicU64,
    /// Failed requests since the last success.
    consecutive: AtomicU64,
    last_error: Mutex<Option<SendError>>,
}

#[derive(Debug)]
struct HttpTarget {
    client: reqwest::Client,
    base: String,
    auth: Option<BasicAuth>,
}

#[derive(Clone)]
enum Target {
    Local(Arc<Backend>),
    Http(Arc<HttpTarget>),
}

/// A destination for demo writes; cheap to clone (clones share the failure counters).
#[derive(Clone)]
pub struct Sink {
    target: Target,
    tenant: Option<String>,
    stats: Arc<Stats>,
}

impl Sink {
    /// The in-process router of `backend` (no network, no retries).
    pub fn local(backend: Arc<Backend>) -> Self {
        Sink {
            target: Target::Local(backend),
            tenant: None,
            stats: Arc::default(),
        }
    }

    /// A Lakewatch at `base_url` (e.g. `http://127.0.0.1:9009` or an API Gateway URL; a
    /// trailing `/` is ignored), with optional basic auth.
    /// Errors: a URL that is not `http://` or `https://`, or a client that cannot be built.
    pub fn http(base_url: &str, auth: Option<BasicAuth>) -> Result<Self, String> {
        let base = base_url.trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(format!(
                "invalid --url {base_url:?}: expected http://host[:port][/prefix] or https://…"
            ));
        }
        let client = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("lakewatch-demo/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Sink {
            target: Target::Http(Arc::new(HttpTarget { client, base, auth })),
            tenant: None,
            stats: Arc::default(),
        })
    }

    /// The same sink sending `X-Scope-OrgID: tenant` (no header when `None`).
    pub fn with_tenant(mut self, tenant: Option<String>) -> Self {
        self.tenant = tenant.filter(|t| !t.is_empty());
        self
    }

    /// Max spans per OTLP export: [`super::traces::MAX_SPANS_PER_PUSH`] in-process, and
    /// [`HTTP_MAX_SPANS_PER_PUSH`] over HTTP so a body (about 300 bytes a span) stays well under
    /// AWS Lambda's 6 MB request payload once API Gateway base64-encodes it.
    pub fn max_spans_per_push(&self) -> usize {
        match self.target {
            Target::Local(_) => super::traces::MAX_SPANS_PER_PUSH,
            Target::Http(_) => HTTP_MAX_SPANS_PER_PUSH,
        }
    }

    /// Max log lines per Loki push: unlimited in-process (one push per write), and
    /// [`MAX_LINES_PER_PUSH`] over HTTP.
    pub fn max_lines_per_push(&self) -> usize {
        match self.target {
            Target::Local(_) => usize::MAX,
            Target::Http(_) => MAX_LINES_PER_PUSH,
        }
    }

    /// Requests that failed (after retries) so far.
    pub fn errors(&self) -> u64 {
        self.stats.errors.load(Ordering::Relaxed)
    }

    /// Requests that failed since the last successful one.
    pub fn consecutive_failures(&self) -> u64 {
        self.stats.consecutive.load(Ordering::Relaxed)
    }

    /// The last failure, if any.
    pub fn last_error(&self) -> Option<SendError> {
        self.stats.last_error.lock().ok().and_then(|e| e.clone())
    }

    /// Sends `req`; returns the 2xx answer's body. Over HTTP, 429, 5xx and connection errors
    /// are retried [`MAX_ATTEMPTS`] times with exponential backoff from [`FIRST_BACKOFF`].
    /// Errors: the last non-2xx answer (status and body) or transport error.
    pub async fn send(&self, req: Outgoing) -> Result<Bytes, SendError> {
        let result = match &self.target {
            Target::Local(backend) => self.send_local(backend, req).await,
            Target::Http(target) => self.send_http(target, req).await,
        };
        match &result {
            Ok(_) => self.stats.consecutive.store(0, Ordering::Relaxed),
            Err(e) => {
                self.stats.errors.fetch_add(1, Ordering::Relaxed);
                self.stats.consecutive.fetch_add(1, Ordering::Relaxed);
                if let Ok(mut last) = self.stats.last_error.lock() {
                    *last = Some(e.clone());
                }
            }
        }
        result
    }

    async fn send_local(&self, backend: &Backend, req: Outgoing) -> Result<Bytes, SendError> {
        let mut b = http::Request::builder()
            .method(http::Method::POST)
            .uri(req.path)
            .header(http::header::USER_AGENT, "lakewatch-demo");
        for (k, v) in &req.headers {
            b = b.header(*k, *v);
        }
        if let Some(t) = &self.tenant {
            b = b.header("X-Scope-OrgID", t.as_str());
        }
        let r = b.body(req.body).map_err(|e| SendError {
            status: None,
            message: format!("cannot build the {} request: {e}", req.path),
        })?;
        let resp = backend.handle(r).await;
        let status = resp.status();
        if status.is_success() {
            Ok(resp.into_body())
        } else {
            Err(SendError {
                status: Some(status.as_u16()),
                message: format!(
                    "POST {} answered {status}: {}",
                    req.path,
                    body_excerpt(resp.body())
                ),
            })
        }
    }

    async fn send_http(&self, target: &HttpTarget, req: Outgoing) -> Result<Bytes, SendError> {
        let url = format!("{}{}", target.base, req.path);
        let mut delay = FIRST_BACKOFF;
        let mut attempt = 1;
        loop {
            let mut b = target.client.post(&url).body(req.body.clone());
            for (k, v) in &req.headers {
                b = b.header(*k, *v);
            }
            if let Some(t) = &self.tenant {
                b = b.header("X-Scope-OrgID", t.as_str());
            }
            if let Some(a) = &target.auth {
                b = b.basic_auth(&a.user, Some(&a.password));
            }
            let (err, retryable) = match b.send().await {
                Ok(resp) => {
                    let status = resp.status();
                    let body = resp.bytes().await.unwrap_or_default();
                    if status.is_success() {
                        return Ok(body);
                    }
                    let retryable = status.as_u16() == 429 || status.is_server_error();
                    (
                        SendError {
                            status: Some(status.as_u16()),
                            message: format!(
                                "POST {url} answered {status}: {}",
                                body_excerpt(&body)
                            ),
                        },
                        retryable,
                    )
                }
                Err(e) => (
                    SendError {
                        status: None,
                        message: format!("POST {url} failed: {}", error_chain(&e)),
                    },
                    true,
                ),
            };
            if !retryable || attempt >= MAX_ATTEMPTS {
                return Err(err);
            }
            tracing::debug!(attempt, error = %err, "demo: retrying");
            tokio::time::sleep(delay).await;
            delay *= 2;
            attempt += 1;
        }
    }
}

/// The first 300 characters of an answer body, on one line.
fn body_excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out: String = one_line.chars().take(300).collect();
    if one_line.chars().count() > 300 {
        out.push('…');
    }
    if out.is_empty() {
        out.push_str("(empty body)");
    }
    out
}

/// An error with its sources (`connection refused` is in the source, not the top message).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A one-route HTTP server answering the given statuses in turn (then 204), each with
    /// `Connection: close`; returns its URL and the request heads it received.
    async fn server(statuses: Vec<u16>) -> (String, Arc<Mutex<Vec<String>>>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let heads = Arc::new(Mutex::new(Vec::new()));
        let seen = heads.clone();
        tokio::spawn(async move {
            let mut statuses = statuses.into_iter();
            loop {
                let Ok((mut conn, _)) = listener.accept().await else {
                    return;
                };
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                // Read the head and the Content-Length body.
                loop {
                    let n = conn.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        break;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf).to_string();
                    if let Some((head, body)) = text.split_once("\r\n\r\n") {
                        let len = head
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .and_then(|v| v.trim().parse::<usize>().ok())
                            })
                            .unwrap_or(0);
                        if body.len() >= len {
                            seen.lock().unwrap().push(head.to_string());
                            break;
                        }
                    }
                }
                let status = statuses.next().unwrap_or(204);
                let body = if status == 204 { "" } else { "try later" };
                let resp = format!(
                    "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = conn.write_all(resp.as_bytes()).await;
            }
        });
        (url, heads)
    }

    fn outgoing() -> Outgoing {
        Outgoing {
            path: "/api/v1/write",
            headers: vec![("Content-Type", "application/x-protobuf")],
            body: Bytes::from_static(b"abc"),
        }
    }

    #[tokio::test]
    async fn retries_5xx_and_429_then_succeeds_with_tenant_and_auth() {
        let (url, heads) = server(vec![503, 429]).await;
        let auth = BasicAuth {
            user: "grafana".into(),
            password: "pw".into(),
        };
        let sink = Sink::http(&url, Some(auth))
            .unwrap()
            .with_tenant(Some("team-a".into()));
        sink.send(outgoing()).await.unwrap();
        let heads = heads.lock().unwrap().clone();
        assert_eq!(heads.len(), 3, "{heads:?}");
        let last = heads[2].to_ascii_lowercase();
        assert!(last.starts_with("post /api/v1/write "), "{last}");
        assert!(last.contains("x-scope-orgid: team-a"), "{last}");
        // base64("grafana:pw")
        assert!(
            last.contains("authorization: basic z3jhzmfuytpwdw=="),
            "{last}"
        );
        assert_eq!(sink.errors(), 0);
    }

    #[tokio::test]
    async fn client_errors_are_not_retried_and_name_status_and_body() {
        let (url, heads) = server(vec![400]).await;
        let sink = Sink::http(&url, None).unwrap();
        let e = sink.send(outgoing()).await.unwrap_err();
        assert_eq!(e.status, Some(400));
        assert!(e.message.contains("answered 400"), "{e}");
        assert!(e.message.contains("try later"), "{e}");
        assert_eq!(heads.lock().unwrap().len(), 1);
        assert_eq!((sink.errors(), sink.consecutive_failures()), (1, 1));
        assert!(sink.last_error().is_some());
    }

    #[test]
    fn urls_are_checked_and_errors_classified() {
        assert!(Sink::http("localhost:9009", None).is_err());
        assert!(Sink::http("http://127.0.0.1:9009/", None).is_ok());
        let e = |status| SendError {
            status,
            message: String::new(),
        };
        assert!(e(Some(401)).is_fatal());
        assert!(e(Some(404)).is_fatal());
        assert!(!e(Some(429)).is_fatal());
        assert!(!e(Some(503)).is_fatal());
        assert!(!e(None).is_fatal());
        assert_eq!(body_excerpt(b"bad\n  thing"), "bad thing");
        assert_eq!(body_excerpt(b""), "(empty body)");
    }
}
