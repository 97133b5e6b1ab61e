//! `lakewatch dev --rules DIR`: the example rule files are served by the ruler config API and
//! `/api/v1/rules` for tenant `anonymous`; an invalid file stops the start with its name and
//! promtool's message.

use bytes::Bytes;
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
