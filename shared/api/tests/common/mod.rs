//! Shared fixtures: an `App` over a `memory://` store filled through `MetricsWriter`, request
//! helpers, and the Tempo tests' helpers in [`tempo`].
#![allow(dead_code)]

use bytes::Bytes;
use http::{Request, Response};
use lakewatch_api::{App, QueryConfig};
use lakewatch_model::{
    BucketSpan, Exemplar, FloatHistogram, Labels, MetricMetadata, MetricType, MetricsBatch, Sample,
    TenantId, TimeSeries,
};
use lakewatch_storage::{AuthConfig, MetricsWriter, Store};

pub mod tempo;

pub fn series(pairs: &[(&str, &str)], samples: &[(i64, f64)]) -> TimeSeries {
    TimeSeries {
        labels: Labels::from_pairs(pairs.iter().copied()),
        samples: samples
            .iter()
            .map(|&(timestamp_ms, value)| Sample {
                timestamp_ms,
                value,
            })
            .collect(),
        ..Default::default()
    }
}

/// `up{job="api",instance="a|b"}` = 1 every 15 s over [0, 600] s; `http_requests_total`
/// counters; edge values at t=1000.123 s; a native histogram; exemplars; metadata.
pub fn fixture_batch() -> MetricsBatch {
    let every15: Vec<(i64, f64)> = (0..=40).map(|i| (i * 15_000, 1.0)).collect();
    let counter: Vec<(i64, f64)> = (0..=40).map(|i| (i * 15_000, (i * 10) as f64)).collect();
    let edge =
        |case: &str, v: f64| series(&[("__name__", "edge"), ("case", case)], &[(1_000_123, v)]);
    let mut bucket = series(
        &[
            ("__name__", "http_request_duration_seconds_bucket"),
            ("le", "0.5"),
            ("job", "api"),
        ],
        &[(1_600_096_945_000, 3.0)],
    );
    bucket.exemplars = vec![Exemplar {
        labels: Labels::from_pairs([("trace_id", "abc123")]),
        value: 0.3,
        timestamp_ms: 1_600_096_945_479,
    }];
    let hist = TimeSeries {
        labels: Labels::from_pairs([("__name__", "native_hist")]),
        histograms: vec![(
            30_000,
            FloatHistogram {
                schema: 0,
                zero_threshold: 0.001,
                zero_count: 2.0,
                count: 10.0,
                sum: 34593.34,
                positive_spans: vec![BucketSpan {
                    offset: 0,
                    length: 2,
                }],
                positive_buckets: vec![3.0, 5.0],
                ..Default::default()
            },
        )],
        ..Default::default()
    };
    MetricsBatch {
        series: vec![
            series(
                &[("__name__", "up"), ("job", "api"), ("instance", "a")],
                &every15,
            ),
            series(
                &[("__name__", "up"), ("job", "api"), ("instance", "b")],
                &every15,
            ),
            series(
                &[
                    ("__name__", "http_requests_total"),
                    ("code", "200"),
                    ("http.route", "/v1/chat"),
                ],
                &counter,
            ),
            series(
                &[
                    ("__name__", "http_requests_total"),
                    ("code", "500"),
                    ("http.route", "/v1/models"),
                ],
                &counter,
            ),
            edge("nan", f64::NAN),
            edge("inf", f64::INFINITY),
            edge("ninf", f64::NEG_INFINITY),
            edge("small", 1e-7),
            edge("big", 1e21),
            bucket,
            hist,
        ],
        metadata: vec![
            MetricMetadata {
                metric_family_name: "http_requests_total".into(),
                metric_type: MetricType::Counter,
                help: "Requests served.".into(),
                unit: "".into(),
            },
            MetricMetadata {
                metric_family_name: "up".into(),
                metric_type: MetricType::Gauge,
                help: "Target up.".into(),
                unit: "".into(),
            },
        ],
    }
}

pub async fn app_with(config: QueryConfig, auth: AuthConfig) -> App {
    let store = Store::memory();
    MetricsWriter::new(store.clone())
        .write(&TenantId::anonymous(), &fixture_batch())
        .await
        .expect("write fixture");
    App::new(store, auth, config)
}

pub async fn app() -> App {
    app_with(QueryConfig::default(), AuthConfig::disabled()).await
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
    /// The `content-type` header, `""` when absent.
    pub fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
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

pub async fn get(app: &App, uri: &str) -> Resp {
    get_with(app, uri, &[]).await
}

/// GET with extra request headers (e.g. `X-Scope-OrgID`).
pub async fn get_with(app: &App, uri: &str, headers: &[(&str, &str)]) -> Resp {
    let mut b = Request::get(uri);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    send(app, b.body(Bytes::new()).unwrap()).await
}

pub async fn post_form(app: &App, path: &str, body: &str) -> Resp {
    send(
        app,
        Request::post(path)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Bytes::from(body.to_string()))
            .unwrap(),
    )
    .await
}

/// Percent-encodes a query parameter value.
pub fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// GET with the pairs in the URL and POST with them in the body: both must give the same
/// status and body; returns the GET response.
pub async fn get_and_post(app: &App, path: &str, pairs: &[(&str, &str)]) -> Resp {
    let qs: String = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&");
    let g = get(app, &format!("{path}?{qs}")).await;
    let p = post_form(app, path, &qs).await;
    assert_eq!(g.status, p.status, "GET vs POST status for {path}?{qs}");
    assert_eq!(g.text(), p.text(), "GET vs POST body for {path}?{qs}");
    g
}

pub fn assert_error(r: &Resp, status: u16, error_type: &str, contains: &str) {
    assert_eq!(r.status, status, "body: {}", r.text());
    let v = r.json();
    assert_eq!(v["status"], "error");
    assert_eq!(v["errorType"], error_type, "body: {}", r.text());
    let msg = v["error"].as_str().unwrap_or_default();
    assert!(
        msg.contains(contains),
        "error {msg:?} should contain {contains:?}"
    );
}
