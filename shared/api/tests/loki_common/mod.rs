//! Shared fixtures for the Loki API tests: an `App` over a `memory://` store filled through
//! `LogsWriter`, and request helpers.
#![allow(dead_code)]

use bytes::Bytes;
use http::{Request, Response};
use lakewatch_api::{App, QueryConfig};
use lakewatch_model::{Labels, LogEntry, LogStream, LogsBatch, TenantId};
use lakewatch_storage::{AuthConfig, LogsWriter, Store};

/// 2023-11-14T22:13:20Z in ns.
pub const T0: i64 = 1_700_000_000_000_000_000;
pub const SEC: i64 = 1_000_000_000;

fn entry(ts: i64, line: &str, sm: &[(&str, &str)]) -> LogEntry {
    LogEntry {
        timestamp_ns: ts,
        line: line.to_string(),
        structured_metadata: Labels::from_pairs(sm.iter().copied()),
    }
}

/// JSON line of the `api` stream at index `i`: level error on i = 2 and 5, else info.
pub fn api_line(i: i64) -> String {
    let (level, status) = if i % 3 == 2 {
        ("error", 500)
    } else {
        ("info", 200)
    };
    format!(
        r#"{{"level":"{level}","route":"/users","status":{status},"duration_ms":{},"trace_id":"abc{i}"}}"#,
        10 + i
    )
}

/// Stream `{app="api",env="prod",service_name="api"}`: 6 JSON entries at T0 + i·10 s with
/// structured metadata `detected_level` and `trace_id`; stream `{app="web",env="dev",
/// service_name="web"}`: 4 logfmt entries at T0 + 5 s + i·15 s.
pub fn fixture() -> LogsBatch {
    let api = LogStream {
        labels: Labels::from_pairs([("app", "api"), ("env", "prod"), ("service_name", "api")]),
        entries: (0..6)
            .map(|i| {
                let level = if i % 3 == 2 { "error" } else { "info" };
                let trace = format!("abc{i}");
                entry(
                    T0 + i * 10 * SEC,
                    &api_line(i),
                    &[("detected_level", level), ("trace_id", &trace)],
                )
            })
            .collect(),
    };
    let web = LogStream {
        labels: Labels::from_pairs([("app", "web"), ("env", "dev"), ("service_name", "web")]),
        entries: (0..4)
            .map(|i| {
                entry(
                    T0 + 5 * SEC + i * 15 * SEC,
                    &format!(
                        "level=warn msg=\"slow request\" duration={}ms status=200",
                        100 + i
                    ),
                    &[],
                )
            })
            .collect(),
    };
    LogsBatch {
        streams: vec![api, web],
    }
}

pub async fn app() -> App {
    let store = Store::memory();
    LogsWriter::new(store.clone())
        .write(&TenantId::anonymous(), &fixture())
        .await
        .expect("write logs fixture");
    App::new(store, AuthConfig::disabled(), QueryConfig::default())
}

/// Parsed response.
pub struct Resp {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

impl Resp {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

pub async fn send(app: &App, req: Request<Bytes>) -> Resp {
    let r: Response<Bytes> = app.handle(req).await;
    let (parts, body) = r.into_parts();
    Resp {
        status: parts.status.as_u16(),
        headers: parts.headers,
        body,
    }
}

/// Percent-encodes a query parameter value.
pub fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

pub fn qs(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

pub async fn get(app: &App, path: &str, pairs: &[(&str, &str)]) -> Resp {
    get_with(app, path, pairs, &[]).await
}

pub async fn get_with(
    app: &App,
    path: &str,
    pairs: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> Resp {
    let mut b = Request::get(format!("{path}?{}", qs(pairs)));
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    send(app, b.body(Bytes::new()).unwrap()).await
}

pub async fn post_form(app: &App, path: &str, pairs: &[(&str, &str)]) -> Resp {
    send(
        app,
        Request::post(path)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Bytes::from(qs(pairs)))
            .unwrap(),
    )
    .await
}

/// GET and POST (form body) must agree; returns the GET response.
pub async fn get_and_post(app: &App, path: &str, pairs: &[(&str, &str)]) -> Resp {
    let g = get(app, path, pairs).await;
    let p = post_form(app, path, pairs).await;
    assert_eq!(g.status, p.status, "GET vs POST status for {path}");
    assert_eq!(g.text(), p.text(), "GET vs POST body for {path}");
    g
}

/// Asserts a Loki plain-text error.
pub fn assert_text_error(r: &Resp, status: u16, body: &str) {
    assert_eq!(r.status, status, "body: {}", r.text());
    assert_eq!(
        r.headers["content-type"],
        "text/plain; charset=utf-8",
        "body: {}",
        r.text()
    );
    assert_eq!(r.text(), body);
}

/// `start`/`end` covering the fixture: [T0 - 1 s, T0 + 2 min).
pub fn range_pairs() -> (String, String) {
    ((T0 - SEC).to_string(), (T0 + 120 * SEC).to_string())
}
