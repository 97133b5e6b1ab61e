//! `lakewatch dev` as users run it: the real binary serves the API on the requested port and
//! exits cleanly on Ctrl-C (SIGINT); in-process, the demo traffic is queryable through the
//! Prometheus API.

mod common;

use common::{enc, http_get};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

#[tokio::test]
async fn binary_serves_and_stops_on_ctrl_c() {
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_lakewatch"))
        .args([
            "dev",
            "--listen",
            &addr,
            "--store",
            "memory://",
            "--no-demo",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start lakewatch");
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut answer = None;
    while Instant::now() < deadline {
        if let Ok(r) = http_get(&addr, "/api/v1/status/buildinfo").await {
            answer = Some(r);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let pid = child.id().to_string();
    let Some((status, body)) = answer else {
        let _ = child.kill();
        panic!("lakewatch dev did not answer on {addr}");
    };
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"status\":\"success\""), "{body}");
    let (status, _) = http_get(&addr, "/nope").await.expect("GET /nope");
    assert_eq!(status, 404);

    Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill -INT");
    let deadline = Instant::now() + Duration::from_secs(15);
    let exit = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break Some(s);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            break None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let exit = exit.expect("lakewatch dev did not stop within 15 s of SIGINT");
    assert!(exit.success(), "exit status {exit:?}");
    let mut out = String::new();
    use std::io::Read;
    if let Some(mut so) = child.stdout.take() {
        let _ = so.read_to_string(&mut out);
    }
    assert!(
        out.contains(&format!("http://{addr}/api/v1/write")),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_traffic_is_queryable() {
    let cfg = lakewatch_server::DevConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        store_url: "memory://".into(),
        demo: true,
        demo_backfill: Duration::from_secs(600),
        compaction_interval: Duration::ZERO,
        ..Default::default()
    };
    let server = lakewatch_server::start(cfg).await.expect("start");
    let addr = server.addr().to_string();
    // Backfill runs in the background: wait until all three `up` series are there.
    let q = format!("/api/v1/query?query={}", enc("count(up)"));
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, body) = http_get(&addr, &q).await.expect("query");
        if body.contains("\"3\"") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "demo data never appeared: {body}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let checks = [
        "sum(rate(http_requests_total[5m])) > 5",
        "sum by (provider) (rate(model_inference_requests_total[5m])) > 0",
        "sum(rate(tokens_used_total{type=\"completion\"}[5m])) > 0",
        "sum(rate(http_request_duration_seconds_count[5m])) > 0",
        "redis_memory_used_bytes > 100e6",
        "count(count by (model) (model_inference_duration_seconds_bucket)) == 25",
        "count(count by (provider) (model_inference_requests_total)) == 17",
        "count(count by (provider) (circuit_breaker_state)) == 17",
        "sum(rate(model_inference_cost_usd_total[5m])) > 0",
        "sum by (instance) (rate(process_cpu_seconds_total[5m])) > 0",
        "process_resident_memory_bytes > 100e6",
        "redis_memory_max_bytes > 0",
        "count(redis_commands_total) >= 6",
        "sum(rate(redis_keyspace_hits_total[5m])) > 0",
    ];
    for c in checks {
        let (status, body) = http_get(&addr, &format!("/api/v1/query?query={}", enc(c)))
            .await
            .expect("query");
        assert_eq!(status, 200, "{c}: {body}");
        assert!(
            body.contains("\"result\":[{"),
            "{c} returned no series: {body}"
        );
    }
    server.shutdown().await;
}
