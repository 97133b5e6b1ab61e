//! The demo's request logs go through the real Loki push path and carry the trace ids of the
//! demo's exemplars: simulated steps are written with the demo writers into a `memory://`
//! backend, then read back through the Loki and Prometheus query APIs (in-process router).

use bytes::Bytes;
use lakewatch_server::demo::logs::LogsWriter;
use lakewatch_server::demo::sim::Simulator;
use lakewatch_server::demo::writer::{encode_query_component as enc, DemoWriter};
use lakewatch_server::Backend;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

async fn get(backend: &Backend, path: &str) -> Value {
    let req = http::Request::builder()
        .uri(path)
        .body(Bytes::new())
        .expect("request");
    let resp = backend.handle(req).await;
    let body = String::from_utf8_lossy(resp.body()).to_string();
    assert_eq!(resp.status(), 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_logs_carry_the_exemplar_trace_ids() {
    let backend = Arc::new(Backend::open("memory://").await.expect("backend"));
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64;
    let step_ms = 15_000;
    let first = (now_ms - 10 * 60_000) / step_ms * step_ms;
    let mut sim = Simulator::new(5);
    let mut metrics = DemoWriter::new(backend.clone());
    let mut logs = LogsWriter::new(backend.clone());
    let mut records = Vec::new();
    let mut series = Vec::new();
    for i in 0..20 {
        series.extend(sim.step(first + i * step_ms, 15.0));
        records.extend(sim.take_requests());
    }
    assert!(metrics.write(series.clone()).await > 0);
    assert_eq!(logs.write(&records).await, records.len());
    assert!(records.len() > 2000, "{} requests", records.len());

    let (start_ns, end_ns) = (
        (first - 60_000) * 1_000_000,
        (first + 20 * step_ms) * 1_000_000,
    );
    // Every request logged once, counted per level.
    let mut want: BTreeMap<&str, u64> = BTreeMap::new();
    for r in &records {
        *want.entry(r.level()).or_default() += 1;
    }
    let q = "sum by (level) (count_over_time({service_name=\"ai-gateway\"}[30m]))";
    let v = get(
        &backend,
        &format!("/loki/api/v1/query?query={}&time={end_ns}", enc(q)),
    )
    .await;
    let got: BTreeMap<String, u64> = v["data"]["result"]
        .as_array()
        .expect("vector")
        .iter()
        .map(|s| {
            (
                s["metric"]["level"].as_str().unwrap_or("").to_string(),
                s["value"][1].as_str().unwrap_or("0").parse().unwrap_or(0),
            )
        })
        .collect();
    let want: BTreeMap<String, u64> = want.into_iter().map(|(k, v)| (k.into(), v)).collect();
    assert_eq!(got, want, "{v}");

    // The streams: low cardinality, labelled like the gateway's metrics.
    let v = get(
        &backend,
        &format!(
            "/loki/api/v1/series?match[]={}&start={start_ns}&end={end_ns}",
            enc("{service_name=\"ai-gateway\"}")
        ),
    )
    .await;
    let streams = v["data"].as_array().expect("series");
    assert!(streams.len() <= 6, "{v}");
    for s in streams {
        assert_eq!(s["job"], "ai-gateway", "{s}");
        assert!(s["instance"].as_str().unwrap_or("").starts_with("gateway-"));
    }

    // Exemplar trace ids are request trace ids, and a needle search finds that request's line.
    let logged: BTreeSet<&str> = records.iter().map(|r| r.trace_id.as_str()).collect();
    let exemplar_ids: Vec<String> = series
        .iter()
        .flat_map(|s| &s.exemplars)
        .filter_map(|e| e.labels.get("trace_id").map(str::to_string))
        .collect();
    assert!(!exemplar_ids.is_empty());
    for id in &exemplar_ids {
        assert!(
            logged.contains(id.as_str()),
            "exemplar {id} has no log line"
        );
    }
    let v = get(
        &backend,
        &format!(
            "/api/v1/query_exemplars?query={}&start={}&end={}",
            enc("http_request_duration_seconds_bucket"),
            first / 1000 - 60,
            (first + 20 * step_ms) / 1000
        ),
    )
    .await;
    let id = v["data"][0]["exemplars"][0]["labels"]["trace_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no exemplar: {v}"))
        .to_string();
    for q in [
        format!("{{service_name=\"ai-gateway\"}} | trace_id=\"{id}\""),
        format!("{{service_name=\"ai-gateway\"}} |= \"{id}\" | json | trace_id=\"{id}\""),
    ] {
        let v = get(
            &backend,
            &format!(
                "/loki/api/v1/query_range?query={}&start={start_ns}&end={end_ns}&limit=10",
                enc(&q)
            ),
        )
        .await;
        let values: Vec<&Value> = v["data"]["result"]
            .as_array()
            .expect("streams")
            .iter()
            .flat_map(|s| s["values"].as_array().expect("values"))
            .collect();
        assert_eq!(values.len(), 1, "{q}: {v}");
        let line: Value = serde_json::from_str(values[0][1].as_str().expect("line")).expect("json");
        assert_eq!(line["trace_id"], id.as_str());
        for field in ["level", "route", "status", "duration_ms", "user_id"] {
            assert!(!line[field].is_null(), "{field} missing in {line}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_demo_pushes_logs() {
    let cfg = lakewatch_server::DevConfig {
        listen: "127.0.0.1:0".parse().expect("address"),
        store_url: "memory://".into(),
        demo: true,
        demo_backfill: Duration::from_secs(120),
        compaction_interval: Duration::ZERO,
        ..Default::default()
    };
    let server = lakewatch_server::start(cfg).await.expect("start");
    let backend = server.backend();
    let q = enc("sum(count_over_time({service_name=\"ai-gateway\"}[10m]))");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let v = get(&backend, &format!("/loki/api/v1/query?query={q}")).await;
        let n: f64 = v["data"]["result"][0]["value"][1]
            .as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0.0);
        if n > 500.0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "demo logs never appeared: {v}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    server.shutdown().await;
}
