//! Self-monitoring of `lakewatch dev`: `GET /metrics` counts ingest of every signal and
//! rejections, and the self-scrape makes `lakewatch_ingested_items_total` queryable with
//! PromQL (tenant `anonymous`, `job="lakewatch"`, `instance="<listen addr>"`).

mod common;

use common::{enc, http_get};
use lakewatch_model::{Labels, MetricsBatch, Sample, TimeSeries};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// POSTs `body` to `path` over HTTP/1.1; returns (status, raw response head + body).
async fn http_post(addr: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).await.expect("write head");
    s.write_all(body).await.expect("write body");
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(60), s.read_to_end(&mut buf))
        .await
        .expect("timeout")
        .expect("read");
    let text = String::from_utf8_lossy(&buf).to_string();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, text)
}

/// The value of the exposition line starting with `series ` (exact name and labels).
fn value(exposition: &str, series: &str) -> f64 {
    exposition
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0)
}

async fn metrics(addr: &str) -> String {
    let (status, body) = http_get(addr, "/metrics").await.expect("GET /metrics");
    assert_eq!(status, 200, "{body}");
    body
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_endpoint_counts_ingest_and_self_scrape_is_queryable() {
    let cfg = lakewatch_server::DevConfig {
        listen: "127.0.0.1:0".parse().expect("address"),
        store_url: "memory://".into(),
        demo: false,
        compaction_interval: Duration::ZERO,
        ruler_interval: Duration::ZERO,
        self_monitoring_interval: Duration::from_secs(1),
        ..Default::default()
    };
    let server = lakewatch_server::start(cfg).await.expect("start");
    let addr = server.addr().to_string();
    let before = metrics(&addr).await;
    assert!(
        before.contains("# TYPE lakewatch_ingested_items_total counter"),
        "{before}"
    );

    // Remote write: 3 samples.
    let t = now_ms();
    let batch = MetricsBatch {
        series: vec![TimeSeries {
            labels: Labels::from_pairs([("__name__", "selfmon_test"), ("job", "t")]),
            samples: (0..3)
                .map(|i| Sample {
                    timestamp_ms: t - 2000 + i * 1000,
                    value: i as f64,
                })
                .collect(),
            ..Default::default()
        }],
        metadata: Vec::new(),
    };
    let body = lakewatch_server::backend::encode_remote_write_v1(&batch);
    let (status, resp) = http_post(
        &addr,
        "/api/v1/write",
        &[
            ("Content-Type", "application/x-protobuf"),
            ("Content-Encoding", "snappy"),
            ("X-Prometheus-Remote-Write-Version", "0.1.0"),
        ],
        &body,
    )
    .await;
    assert_eq!(status, 204, "{resp}");
    assert!(!resp.to_ascii_lowercase().contains("x-lakewatch"), "{resp}");

    // Loki push: 2 entries.
    let ns = t as i128 * 1_000_000;
    let push = format!(
        r#"{{"streams":[{{"stream":{{"app":"selfmon"}},"values":[["{}","one"],["{}","two"]]}}]}}"#,
        ns,
        ns + 1
    );
    let (status, resp) = http_post(
        &addr,
        "/loki/api/v1/push",
        &[("Content-Type", "application/json")],
        push.as_bytes(),
    )
    .await;
    assert_eq!(status, 204, "{resp}");

    // OTLP traces: 1 span.
    let spans = format!(
        r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"svc"}}}}]}},"scopeSpans":[{{"spans":[{{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"op","kind":2,"startTimeUnixNano":"{}","endTimeUnixNano":"{}"}}]}}]}}]}}"#,
        ns,
        ns + 1_000_000
    );
    let (status, resp) = http_post(
        &addr,
        "/v1/traces",
        &[("Content-Type", "application/json")],
        spans.as_bytes(),
    )
    .await;
    assert_eq!(status, 200, "{resp}");

    // A rejected push: undecodable JSON → 400.
    let (status, resp) = http_post(
        &addr,
        "/loki/api/v1/push",
        &[("Content-Type", "application/json")],
        b"{not json",
    )
    .await;
    assert_eq!(status, 400, "{resp}");

    let after = metrics(&addr).await;
    let delta = |s: &str| value(&after, s) - value(&before, s);
    assert_eq!(
        delta("lakewatch_ingested_items_total{signal=\"metrics\"}"),
        3.0,
        "{after}"
    );
    assert_eq!(
        delta("lakewatch_ingested_items_total{signal=\"logs\"}"),
        2.0,
        "{after}"
    );
    assert_eq!(
        delta("lakewatch_ingested_items_total{signal=\"traces\"}"),
        1.0,
        "{after}"
    );
    assert_eq!(
        delta("lakewatch_ingested_bytes_total{signal=\"metrics\"}"),
        body.len() as f64
    );
    assert!(
        delta("lakewatch_objects_written_total{signal=\"logs\"}") >= 1.0,
        "{after}"
    );
    assert_eq!(
        delta("lakewatch_rejected_total{signal=\"logs\",reason=\"invalid\"}"),
        1.0,
        "{after}"
    );
    assert!(
        delta("lakewatch_http_requests_total{route=\"remote_write\",status=\"204\"}") >= 1.0,
        "{after}"
    );
    assert!(
        after.contains("lakewatch_compaction_backlog_objects{signal=\"metrics\"}"),
        "{after}"
    );

    // A query is timed under its endpoint.
    let (status, _) = http_get(
        &addr,
        &format!("/api/v1/query?query={}", enc("selfmon_test")),
    )
    .await
    .expect("query");
    assert_eq!(status, 200);
    let after_query = metrics(&addr).await;
    assert!(
        value(
            &after_query,
            "lakewatch_query_duration_seconds_count{endpoint=\"query\"}"
        ) >= 1.0,
        "{after_query}"
    );

    // The self-scrape (every 1 s here) makes the counters queryable with PromQL.
    let q = enc(&format!(
        "lakewatch_ingested_items_total{{job=\"lakewatch\",instance=\"{addr}\",signal=\"metrics\"}}"
    ));
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, body) = http_get(&addr, &format!("/api/v1/query?query={q}"))
            .await
            .expect("query");
        assert_eq!(status, 200, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).expect("json");
        let got = v["data"]["result"][0]["value"][1]
            .as_str()
            .and_then(|s| s.parse::<f64>().ok());
        if got.is_some_and(|n| n >= 3.0) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "lakewatch_ingested_items_total not queryable after 30 s: {body}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    server.shutdown().await;
}
