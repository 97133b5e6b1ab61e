//! `cargo lambda watch` with the router table of the root `Cargo.toml`: a remote-write request
//! to the real path `/api/v1/write` reaches the `ingest-metrics` function, a PromQL query to
//! `/api/v1/query` (and `/prometheus/api/v1/query`) reaches `query-metrics` and sees the
//! sample, a Loki push to `/loki/api/v1/push` reaches `ingest-logs` and a LogQL query
//! `query-logs`, an OTLP trace export to `/v1/traces` reaches `ingest-traces` and a Tempo
//! trace lookup and a TraceQL search `query-traces`, the export's span metrics are read back
//! through `query-metrics`, `cargo lambda invoke compactor` runs a compaction pass over the same
//! store, and `cargo lambda invoke ruler` evaluates a rule group stored through `query-metrics`.
//! Needs `cargo lambda` (`pip install cargo-lambda`; `bash tests/run.sh` installs it); set
//! `LAKEWATCH_E2E_SKIP_LAMBDA=1` to skip.

use lakewatch_e2e::client::PromApi;
use lakewatch_e2e::env::{flag, SKIP_LAMBDA};
use lakewatch_e2e::process::{free_port, wait_until, ProcessGroup};
use lakewatch_e2e::tempdir::TempDir;
use lakewatch_model::{Labels, MetricsBatch, Sample, TimeSeries};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// `cargo lambda invoke <function>` with an empty event through the watch's runtime API (as
/// EventBridge would invoke a scheduled function): its stdout, or stdout and stderr on failure.
fn invoke(cargo: &Path, root: &Path, port: u16, function: &str) -> Result<String, String> {
    let out = Command::new(cargo)
        .current_dir(root)
        .args([
            "lambda",
            "invoke",
            "--invoke-address",
            "127.0.0.1",
            "--invoke-port",
            &port.to_string(),
            "--data-ascii",
            "{}",
            function,
        ])
        .output()
        .map_err(|e| format!("cargo lambda invoke: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if out.status.success() {
        Ok(stdout)
    } else {
        Err(format!("{stdout} {}", String::from_utf8_lossy(&out.stderr)))
    }
}

fn cargo_lambda_available() -> bool {
    Command::new("cargo")
        .args(["lambda", "--version"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_routes_real_paths_to_the_functions() {
    if flag(SKIP_LAMBDA) {
        eprintln!("SKIPPED: {SKIP_LAMBDA} is set");
        return;
    }
    assert!(
        cargo_lambda_available(),
        "`cargo lambda` is not installed. Run `bash tests/run.sh` (it runs `pip install \
         cargo-lambda`) or set {SKIP_LAMBDA}=1 to skip this test."
    );
    let dir = TempDir::new("watch").expect("temp dir");
    let store = dir.path().join("store");
    let port = free_port();
    let cargo = PathBuf::from(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    // `cargo lambda watch` must run at the workspace root; its log goes to the temp dir
    // (never inside the watched tree, or it rebuilds forever).
    let args: Vec<String> = [
        "lambda",
        "watch",
        "-A",
        "127.0.0.1",
        "-P",
        &port.to_string(),
        "--env-var",
        &format!("LAKEWATCH_STORE_URL={}", store.display()),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let root = workspace_root();
    let mut watch = ProcessGroup::spawn_in("cargo-lambda-watch", &cargo, &args, &root, dir.path())
        .unwrap_or_else(|e| panic!("{e}"));
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(480))
        .build()
        .expect("client");
    let up = wait_until(Duration::from_secs(60), || {
        let http = http.clone();
        let url = format!("{base}/nope");
        async move { http.get(&url).send().await.is_ok() }
    })
    .await;
    assert!(
        up,
        "cargo lambda watch did not listen\n{}",
        watch.log_tail(3000)
    );

    // Remote write through the router; the first request compiles the function.
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64;
    let batch = MetricsBatch {
        series: vec![TimeSeries {
            labels: Labels::from_pairs([("__name__", "watch_e2e"), ("job", "e2e")]),
            samples: vec![Sample {
                timestamp_ms: now_ms - 1000,
                value: 42.0,
            }],
            ..Default::default()
        }],
        metadata: vec![],
    };
    let body = lakewatch_server::backend::encode_remote_write_v1(&batch);
    let r = http
        .post(format!("{base}/api/v1/write"))
        .header("Content-Type", "application/x-protobuf")
        .header("Content-Encoding", "snappy")
        .header("X-Prometheus-Remote-Write-Version", "0.1.0")
        .header("X-Scope-OrgID", "watch")
        .body(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST /api/v1/write: {e}\n{}", watch.log_tail(3000)));
    let status = r.status().as_u16();
    assert!(
        (200..300).contains(&status),
        "remote write answered {status}: {}\n{}",
        r.text().await.unwrap_or_default(),
        watch.log_tail(3000)
    );

    for prefix in ["", "/prometheus"] {
        let api = PromApi::new(&format!("{base}{prefix}"), Some("watch"));
        let v = api.scalar_value("watch_e2e", now_ms as f64 / 1000.0).await;
        assert_eq!(
            v,
            Some(42.0),
            "query via {prefix}/api/v1/query\n{}",
            watch.log_tail(3000)
        );
    }

    // A Loki push reaches `ingest-logs`, a LogQL query `query-logs`.
    let now_ns = now_ms as i128 * 1_000_000;
    let push = serde_json::json!({"streams": [{
        "stream": {"job": "e2e", "service_name": "watch"},
        "values": [[(now_ns - 1_000_000_000).to_string(), "level=info msg=\"from watch\""]]
    }]});
    let r = http
        .post(format!("{base}/loki/api/v1/push"))
        .header("Content-Type", "application/json")
        .header("X-Scope-OrgID", "watch")
        .body(push.to_string())
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST /loki/api/v1/push: {e}\n{}", watch.log_tail(3000)));
    assert_eq!(
        r.status().as_u16(),
        204,
        "loki push: {}\n{}",
        r.text().await.unwrap_or_default(),
        watch.log_tail(3000)
    );
    let logs = PromApi::new(&base, Some("watch"));
    let resp = logs
        .get(
            "/loki/api/v1/query_range",
            &[
                ("query", r#"{job="e2e"} |= "watch""#.to_string()),
                ("start", (now_ns - 60_000_000_000).to_string()),
                ("end", (now_ns + 60_000_000_000).to_string()),
            ],
        )
        .await
        .unwrap_or_else(|e| panic!("query_range: {e}\n{}", watch.log_tail(3000)));
    let body = resp.body;
    assert_eq!(resp.status, 200, "query_range: {body}");
    assert_eq!(body["data"]["resultType"], "streams", "{body}");
    assert_eq!(
        body["data"]["result"][0]["values"][0][1], "level=info msg=\"from watch\"",
        "{body}"
    );

    // An OTLP/HTTP trace export reaches `ingest-traces`, a Tempo trace lookup `query-traces`.
    let trace_id = "5b8efff798038103d269b633813fc60c";
    let export = serde_json::json!({"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "watch"}}]},
        "scopeSpans": [{"spans": [{
            "traceId": trace_id, "spanId": "eee19b7ec3c1b174", "name": "GET /watch", "kind": 2,
            "startTimeUnixNano": (now_ns - 2_000_000_000).to_string(),
            "endTimeUnixNano": (now_ns - 1_000_000_000).to_string()
        }]}]
    }]});
    let r = http
        .post(format!("{base}/v1/traces"))
        .header("Content-Type", "application/json")
        .header("X-Scope-OrgID", "watch")
        .body(export.to_string())
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST /v1/traces: {e}\n{}", watch.log_tail(3000)));
    assert_eq!(
        r.status().as_u16(),
        200,
        "OTLP traces: {}\n{}",
        r.text().await.unwrap_or_default(),
        watch.log_tail(3000)
    );
    let resp = logs
        .get(&format!("/api/traces/{trace_id}"), &[])
        .await
        .unwrap_or_else(|e| panic!("trace by id: {e}\n{}", watch.log_tail(3000)));
    assert_eq!(resp.status, 200, "trace by id: {}", resp.body);
    assert_eq!(
        resp.body["batches"][0]["scopeSpans"][0]["spans"][0]["name"], "GET /watch",
        "{}",
        resp.body
    );
    // TraceQL search reaches `query-traces` too.
    let resp = logs
        .get(
            "/api/search",
            &[("q", "{ resource.service.name = \"watch\" }".to_string())],
        )
        .await
        .unwrap_or_else(|e| panic!("TraceQL search: {e}\n{}", watch.log_tail(3000)));
    assert_eq!(resp.status, 200, "TraceQL search: {}", resp.body);
    assert_eq!(resp.body["traces"][0]["traceID"], trace_id, "{}", resp.body);
    assert_eq!(
        resp.body["traces"][0]["rootTraceName"], "GET /watch",
        "{}",
        resp.body
    );
    // The export's span metrics were written by `ingest-traces`, read by `query-metrics`.
    let resp = logs
        .get(
            "/api/v1/query",
            &[(
                "query",
                "sum(traces_spanmetrics_calls_total{service=\"watch\"})".to_string(),
            )],
        )
        .await
        .unwrap_or_else(|e| panic!("span metrics: {e}\n{}", watch.log_tail(3000)));
    assert_eq!(resp.status, 200, "span metrics: {}", resp.body);
    assert_eq!(
        resp.body["data"]["result"][0]["value"][1], "1",
        "{}",
        resp.body
    );

    // The compactor function is invoked through the runtime API, as EventBridge would.
    let stdout = invoke(&cargo, &root, port, "compactor")
        .unwrap_or_else(|e| panic!("invoke compactor failed: {e}\n{}", watch.log_tail(3000)));
    assert!(stdout.contains("\"tenants\""), "{stdout}");

    // A rule group stored through query-metrics' ruler config API; `cargo lambda invoke ruler`
    // evaluates it and its recording result is read back through query-metrics.
    let rules = http
        .post(format!("{base}/prometheus/config/v1/rules/watch"))
        .header("content-type", "application/yaml")
        .header("X-Scope-OrgID", "watch")
        .body(
            "name: watch\ninterval: 10s\nrules:\n  - record: watch:e2e:one\n    expr: vector(1)\n",
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST rules: {e}\n{}", watch.log_tail(3000)));
    assert_eq!(rules.status().as_u16(), 202, "{:?}", rules.text().await);
    let stdout = invoke(&cargo, &root, port, "ruler")
        .unwrap_or_else(|e| panic!("invoke ruler failed: {e}\n{}", watch.log_tail(3000)));
    assert!(stdout.contains("\"evaluated\":1"), "{stdout}");
    let resp = PromApi::new(&base, Some("watch"))
        .get("/api/v1/query", &[("query", "watch:e2e:one".to_string())])
        .await
        .unwrap_or_else(|e| panic!("recording rule result: {e}\n{}", watch.log_tail(3000)));
    assert_eq!(
        resp.body["data"]["result"][0]["value"][1], "1",
        "{}",
        resp.body
    );
    watch.stop(Duration::from_secs(10));
}
