//! `lakewatch demo --url`: the real binary sends the demo gateway's metrics, logs and traces
//! over HTTP to an in-process `lakewatch dev --no-demo`, where they are read back through the
//! Prometheus, Loki and Tempo query APIs; a tenant is honoured; a wrong URL stops the demo with
//! the target's status.

mod common;

use bytes::Bytes;
use common::{enc, http_get};
use lakewatch_server::demo_command::{self, DemoCommandConfig};
use serde_json::Value;
use std::process::Command;
use std::time::{Duration, Instant};

async fn dev_server() -> lakewatch_server::DevServer {
    let cfg = lakewatch_server::DevConfig {
        listen: "127.0.0.1:0".parse().expect("addr"),
        store_url: "memory://".into(),
        demo: false,
        compaction_interval: Duration::ZERO,
        ruler_interval: Duration::ZERO,
        ..Default::default()
    };
    lakewatch_server::start(cfg).await.expect("start")
}

async fn get_json(addr: &str, path: &str) -> Value {
    let (status, body) = http_get(addr, path).await.expect("GET");
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
}

/// The value of a one-element instant vector.
fn scalar(v: &Value) -> f64 {
    v["data"]["result"][0]["value"][1]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no value: {v}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_sends_metrics_logs_and_traces_over_http() {
    let server = dev_server().await;
    let addr = server.addr().to_string();
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_lakewatch"))
        .args([
            "demo",
            "--url",
            &format!("http://{addr}"),
            "--duration",
            "3s",
            "--rate",
            "40",
        ])
        .output()
        .expect("run lakewatch demo");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
    assert!(started.elapsed() < Duration::from_secs(30), "took too long");
    // The progress line is redrawn with \r and names every counter.
    assert!(stderr.contains('\r'), "{stderr}");
    for word in [
        "elapsed",
        "requests",
        "samples",
        "log lines",
        "spans",
        "errors 0",
    ] {
        assert!(stderr.contains(word), "{word} missing: {stderr}");
    }

    // Metrics: the 17 providers' circuit breakers, model calls, Redis.
    let q = |e: &str| format!("/api/v1/query?query={}", enc(e));
    let v = get_json(
        &addr,
        &q("count(count by (provider) (circuit_breaker_state))"),
    )
    .await;
    assert_eq!(scalar(&v), 17.0, "{v}");
    let v = get_json(&addr, &q("sum(http_requests_total)")).await;
    let requests = scalar(&v);
    // --rate 40 for one first 15 s interval plus ~3 s: several hundred requests.
    assert!(requests > 300.0, "{v}");
    let v = get_json(&addr, &q("count(redis_commands_total)")).await;
    assert!(scalar(&v) >= 6.0, "{v}");

    // Logs: one line per request, and each names its trace.
    let v = get_json(
        &addr,
        &format!(
            "/loki/api/v1/query?query={}",
            enc("sum(count_over_time({service_name=\"ai-gateway\"}[10m]))")
        ),
    )
    .await;
    assert_eq!(scalar(&v), requests, "{v}");
    let v = get_json(
        &addr,
        &format!(
            "/loki/api/v1/query_range?query={}&limit=5",
            enc("{service_name=\"ai-gateway\"} |= \"request completed\" | json")
        ),
    )
    .await;
    let line = v["data"]["result"][0]["values"][0][1]
        .as_str()
        .unwrap_or_else(|| panic!("no log line: {v}"));
    let line: Value = serde_json::from_str(line).expect("JSON line");
    let trace_id = line["trace_id"].as_str().expect("trace_id").to_string();

    // Traces: the logged trace id is a stored trace whose root is the logged request.
    let v = get_json(&addr, &format!("/api/traces/{trace_id}")).await;
    let text = v.to_string();
    assert!(text.contains("ai-gateway"), "{text}");
    assert!(
        text.contains(line["route"].as_str().expect("route")),
        "{text}"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenant_backfill_and_bad_urls() {
    let server = dev_server().await;
    let addr = server.addr().to_string();
    // Library entry point: a 10-minute backfill for tenant team-a, then 1 s of live traffic.
    let cfg = DemoCommandConfig {
        url: format!("http://{addr}/"),
        tenant: Some("team-a".into()),
        duration: Some(Duration::from_secs(1)),
        backfill: Duration::from_secs(600),
        progress: false,
        ..Default::default()
    };
    let s = demo_command::run(cfg, std::future::pending())
        .await
        .expect("demo");
    assert_eq!(s.errors, 0);
    assert!(s.written.requests > 5000, "{s:?}");
    assert_eq!(s.written.log_lines, s.written.requests);
    assert!(s.written.spans > 2 * s.written.requests, "{s:?}");

    let backend = server.backend();
    let query = |tenant: Option<&str>| {
        let mut b = http::Request::builder().uri(format!(
            "/api/v1/query?query={}",
            enc("count(count by (provider) (model_inference_requests_total))")
        ));
        if let Some(t) = tenant {
            b = b.header("X-Scope-OrgID", t);
        }
        b.body(Bytes::new()).expect("request")
    };
    let resp = backend.handle(query(Some("team-a"))).await;
    let v: Value = serde_json::from_slice(resp.body()).expect("json");
    assert_eq!(scalar(&v), 17.0, "{v}");
    let resp = backend.handle(query(None)).await;
    let v: Value = serde_json::from_slice(resp.body()).expect("json");
    assert_eq!(v["data"]["result"], serde_json::json!([]), "{v}");

    // A URL without Lakewatch routes: stops at once with the status and body.
    let out = Command::new(env!("CARGO_BIN_EXE_lakewatch"))
        .args([
            "demo",
            "--url",
            &format!("http://{addr}/nope"),
            "--duration",
            "30s",
        ])
        .output()
        .expect("run lakewatch demo");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("404"), "{stderr}");
    assert!(stderr.contains("/nope/api/v1/write"), "{stderr}");
    server.shutdown().await;
}
