//! `lakewatch dev --rules DIR`: the example rule files are served by the ruler config API and
//! `/api/v1/rules` for tenant `anonymous`, and every example rule evaluates successfully over
//! the demo's metrics and logs; an invalid file stops the start with its name and promtool's
//! message.

use bytes::Bytes;
use lakewatch_ruler::notifier::{Notifier, NotifierConfig};
use lakewatch_ruler::schedule::RulerOptions;
use lakewatch_server::{DevConfig, ServerError};
use std::path::PathBuf;
use std::time::Duration;

fn cfg(dir: PathBuf) -> DevConfig {
    DevConfig {
        listen: "127.0.0.1:0".parse().expect("address"),
        store_url: "memory://".into(),
        demo: false,
        compaction_interval: Duration::ZERO,
        rules_dir: Some(dir),
        ..Default::default()
    }
}

async fn get(server: &lakewatch_server::DevServer, path: &str) -> (u16, String) {
    let req = http::Request::builder()
        .uri(path)
        .body(Bytes::new())
        .expect("request");
    let resp = server.backend().handle(req).await;
    (
        resp.status().as_u16(),
        String::from_utf8_lossy(resp.body()).into_owned(),
    )
}

#[tokio::test]
async fn loads_example_rules() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/rules");
    let server = lakewatch_server::start(cfg(dir)).await.expect("start");
    let (status, body) = get(&server, "/prometheus/config/v1/rules").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.starts_with("ai-gateway-alerts:\n"), "{body}");
    assert!(body.contains("\nai-gateway-recording:\n"), "{body}");
    let (status, body) = get(&server, "/loki/api/v1/rules").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.starts_with("ai-gateway-log-alerts:\n"), "{body}");
    let (status, body) = get(&server, "/api/v1/rules?file[]=ai-gateway-recording").await;
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(
        v["data"]["groups"][0]["rules"].as_array().map(Vec::len),
        Some(6)
    );
    server.shutdown().await;
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// Every rule of every group in a rules listing, as `(group, rule, health, lastError)`.
fn healths(v: &serde_json::Value) -> Vec<(String, String, String, String)> {
    let mut out = Vec::new();
    for g in v["data"]["groups"].as_array().into_iter().flatten() {
        for r in g["rules"].as_array().into_iter().flatten() {
            out.push((
                g["name"].as_str().unwrap_or_default().to_string(),
                r["name"].as_str().unwrap_or_default().to_string(),
                r["health"].as_str().unwrap_or_default().to_string(),
                r["lastError"].as_str().unwrap_or_default().to_string(),
            ));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn example_rules_evaluate_on_the_demo_data() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/rules");
    let server = lakewatch_server::start(DevConfig {
        demo: true,
        demo_backfill: Duration::from_secs(600),
        ruler_interval: Duration::ZERO,
        ..cfg(dir)
    })
    .await
    .expect("start");
    // Backfill runs in the background: wait for the three `up` series at now.
    let deadline = std::time::Instant::now() + Duration::from_secs(90);
    loop {
        let (_, body) = get(&server, "/api/v1/query?query=count(up)").await;
        if body.contains("\"3\"") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no demo data: {body}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let ruler = server.backend().ruler_with(
        Notifier::new(NotifierConfig::default()).expect("notifier"),
        RulerOptions::default(),
    );
    let now = chrono::Utc::now().timestamp_millis();
    let report = ruler.run_pass(now).await;
    assert_eq!(
        (report.groups, report.evaluated, report.failed_rules),
        (5, 5, 0),
        "{report:?}"
    );
    assert!(report.samples_written > 0, "{report:?}");
    let (_, body) = get(&server, "/api/v1/rules").await;
    let prom = healths(&json(&body));
    assert_eq!(prom.len(), 14, "{body}");
    let (_, body) = get(&server, "/logs/prometheus/api/v1/rules").await;
    let loki = healths(&json(&body));
    assert_eq!(loki.len(), 4, "{body}");
    for (group, rule, health, err) in prom.iter().chain(&loki) {
        assert_eq!(health, "ok", "{group}/{rule}: {err}");
    }
    // The recording rules' results are queryable (at the group's slot, within lookback).
    let (_, body) = get(&server, "/api/v1/query?query=ai_gateway:health_score").await;
    let v = json(&body);
    let score: f64 = v["data"]["result"][0]["value"][1]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no health score: {body}"));
    assert!((0.0..=1.0).contains(&score), "{score}");
    server.shutdown().await;
}

#[tokio::test]
async fn invalid_rule_file_stops_the_start() {
    let dir = std::env::temp_dir().join(format!("lakewatch-rules-dir-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("mkdir");
    let bad = dir.join("bad.yml");
    std::fs::write(
        &bad,
        "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up ==\n",
    )
    .expect("write");
    let err = match lakewatch_server::start(cfg(dir.clone())).await {
        Ok(_) => panic!("started with an invalid rule file"),
        Err(e) => e,
    };
    assert!(matches!(err, ServerError::Rules(_)), "{err}");
    let msg = err.to_string();
    assert!(
        msg.starts_with(&format!("cannot load rules: {}: ", bad.display())),
        "{msg}"
    );
    assert!(
        msg.contains("group \"g\", rule 1, \"A\": could not parse expression"),
        "{msg}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
