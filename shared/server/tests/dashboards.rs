//! The Grafana dashboards of `dashboards/` work on the first load against `lakewatch dev`:
//!
//! - statically: every file is valid JSON, dashboard uids are unique, panel ids unique per
//!   dashboard, every datasource reference is a uid provisioned in
//!   `dashboards/provisioning/datasources/lakewatch.yaml` (with its plugin type), panels lie
//!   inside the 24-column grid without overlapping; the provisioning file's own links resolve;
//! - live: an in-process `lakewatch dev` with its demo traffic (1 h backfill, then live steps)
//!   answers every panel query — Prometheus, Loki, Tempo search / metrics / service map —
//!   with Grafana's variables substituted (`$__rate_interval` = max(4 × 15 s, step + 15 s),
//!   `$__interval`, `$__range`, template variables at their saved value, All → `allValue`)
//!   with HTTP 200 and a non-empty result;
//! - bad input (small in-memory fixtures): a missing datasource uid, overlapping or
//!   out-of-grid panels, a duplicate uid, invalid JSON, an unknown variable and a metric that
//!   does not exist each fail with a message naming the dashboard, panel and query.

mod common;
mod dashboard_check;

use common::{enc, http_get};
use dashboard_check::checks::{check_dashboard, check_provisioning, check_unique_uids};
use dashboard_check::model::{json_files, Dashboard};
use dashboard_check::provisioning::Provisioning;
use dashboard_check::runner::Target;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn repo_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn provisioning() -> Provisioning {
    let path = repo_dir().join("dashboards/provisioning/datasources/lakewatch.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Provisioning::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every shipped dashboard, with its Grafana folder.
fn dashboards() -> Vec<(String, Dashboard)> {
    let dir = repo_dir().join("dashboards/json");
    let files = json_files(&dir);
    assert!(!files.is_empty(), "no dashboards under {}", dir.display());
    files
        .into_iter()
        .map(|(folder, path)| {
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let source = path
                .strip_prefix(repo_dir())
                .unwrap_or(&path)
                .display()
                .to_string();
            let d = Dashboard::parse(&source, &text).unwrap_or_else(|e| panic!("{e}"));
            (folder, d)
        })
        .collect()
}

fn fixture(uid: &str, panels: serde_json::Value) -> Dashboard {
    let json = serde_json::json!({
        "uid": uid, "title": format!("Fixture {uid}"), "schemaVersion": 39,
        "time": {"from": "now-1h", "to": "now"}, "templating": {"list": []}, "panels": panels,
    });
    Dashboard::parse(&format!("fixture {uid}"), &json.to_string()).expect("fixture")
}

fn prom_panel(
    id: u32,
    title: &str,
    uid: &str,
    expr: &str,
    (x, y, w, h): (u32, u32, u32, u32),
) -> serde_json::Value {
    serde_json::json!({
        "id": id, "type": "timeseries", "title": title,
        "datasource": {"type": "prometheus", "uid": uid},
        "gridPos": {"x": x, "y": y, "w": w, "h": h},
        "targets": [{"refId": "A", "datasource": {"type": "prometheus", "uid": uid}, "expr": expr, "range": true}],
    })
}

#[test]
fn shipped_dashboards_pass_static_checks() {
    let prov = provisioning();
    let mut kinds: Vec<&str> = prov.datasources.iter().map(|d| d.kind.as_str()).collect();
    kinds.sort();
    assert_eq!(kinds, ["loki", "prometheus", "tempo"], "{prov:?}");
    let mut errs = check_provisioning(&prov);
    let all = dashboards();
    let dash: Vec<Dashboard> = all.iter().map(|(_, d)| d.clone()).collect();
    errs.extend(check_unique_uids(&dash));
    for (folder, d) in &all {
        if folder.is_empty() || folder.contains('/') {
            errs.push(format!("{}: must sit in json/<Folder>/", d.name()));
        }
        errs.extend(check_dashboard(d, &prov));
    }
    assert!(errs.is_empty(), "{}", errs.join("\n"));
    let provider = std::fs::read_to_string(
        repo_dir().join("dashboards/provisioning/dashboards/lakewatch.yaml"),
    )
    .expect("dashboard provider file");
    assert!(
        provider.contains("foldersFromFilesStructure: true"),
        "{provider}"
    );
    let panels: usize = dash.iter().map(|d| d.all_panels().len()).sum();
    eprintln!("{} dashboards, {panels} panels (rows included)", dash.len());
}

#[test]
fn static_checks_name_what_is_wrong() {
    let prov = provisioning();
    // A panel whose datasource uid is not provisioned.
    let d = fixture(
        "missing-ds",
        serde_json::json!([prom_panel(
            1,
            "Ghost",
            "no-such-datasource",
            "up",
            (0, 0, 12, 8)
        )]),
    );
    let errs = check_dashboard(&d, &prov).join("\n");
    assert!(
        errs.contains("Fixture missing-ds")
            && errs.contains("\"Ghost\"")
            && errs.contains("\"no-such-datasource\" is not provisioned"),
        "{errs}"
    );
    // A type that does not match the provisioned datasource.
    let mut p = prom_panel(1, "Wrong type", "lakewatch-logs", "up", (0, 0, 12, 8));
    p["datasource"]["type"] = "prometheus".into();
    let errs = check_dashboard(&fixture("wrong-type", serde_json::json!([p])), &prov).join("\n");
    assert!(errs.contains("provisioned as \"loki\""), "{errs}");
    // Overlapping panels, and one sticking out of the grid.
    let d = fixture(
        "overlap",
        serde_json::json!([
            prom_panel(1, "Left", "lakewatch-metrics", "up", (0, 0, 12, 8)),
            prom_panel(2, "Middle", "lakewatch-metrics", "up", (8, 4, 8, 8)),
            prom_panel(3, "Too wide", "lakewatch-metrics", "up", (16, 20, 12, 8)),
            prom_panel(2, "Same id", "lakewatch-metrics", "up", (0, 30, 6, 4)),
        ]),
    );
    let errs = check_dashboard(&d, &prov).join("\n");
    assert!(
        errs.contains("panel \"Left\" (id 1) overlaps panel \"Middle\" (id 2)"),
        "{errs}"
    );
    assert!(
        errs.contains("panel \"Too wide\" (id 3): gridPos x=16 y=20 w=12 h=8 is outside"),
        "{errs}"
    );
    assert!(
        errs.contains("panel \"Same id\" (id 2): id 2 already used"),
        "{errs}"
    );
    assert!(!errs.contains("\"Same id\" (id 2) overlaps"), "{errs}");
    // Duplicate dashboard uids.
    let a = fixture("dup", serde_json::json!([]));
    let b = fixture("dup", serde_json::json!([]));
    let errs = check_unique_uids(&[a, b]).join("\n");
    assert!(errs.contains("uid \"dup\" already used"), "{errs}");
    // Invalid JSON names the file and position.
    let e = Dashboard::parse("broken.json", "{\"uid\": \"x\",").unwrap_err();
    assert!(
        e.starts_with("broken.json: invalid JSON") && e.contains("line 1"),
        "{e}"
    );
    // A provisioning link to a datasource that does not exist.
    let p = Provisioning::parse(
        "datasources:\n  - name: M\n    uid: m\n    type: prometheus\n    url: http://x\n    jsonData:\n      exemplarTraceIdDestinations:\n        - name: trace_id\n          datasourceUid: gone\n",
    )
    .expect("parse");
    let errs = check_provisioning(&p).join("\n");
    assert!(errs.contains("datasourceUid \"gone\""), "{errs}");
    // A legend naming a label no series has (a misspelt grouping label).
    let items = [serde_json::json!({"metric": {"provider": "openai"}, "values": []})];
    let legend = dashboard_check::runner::legend_labels_present;
    assert_eq!(legend("{{provider}}", &items), Ok(()));
    assert_eq!(
        legend("{{ provider }} {{cmd}}", &items),
        Err("legend \"{{ provider }} {{cmd}}\": no series has the label \"cmd\"".to_string())
    );
    // Variable substitution as Grafana: $__rate_interval for a 15 s step is 1m.
    let vars = dashboard_check::vars::variables(
        &fixture("v", serde_json::json!([])),
        &serde_json::json!({}),
    )
    .expect("vars");
    assert_eq!(
        dashboard_check::vars::substitute(
            "rate(x{a=~\"b$\"}[$__rate_interval]) [[__interval]] ${__range_s:raw}",
            &vars
        ),
        Ok("rate(x{a=~\"b$\"}[1m]) 15s 3600".to_string())
    );
    assert_eq!(
        dashboard_check::vars::substitute("rate(x[$nope])", &vars),
        Err("unknown variable $nope".to_string())
    );
}

/// Polls `path` until it answers 200 with `pointer` a non-empty array, or `deadline` passes.
async fn wait_for(addr: &str, what: &str, path: &str, pointer: &str, deadline: Instant) -> bool {
    loop {
        if let Ok((200, body)) = http_get(addr, path).await {
            let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
            if v.pointer(pointer)
                .and_then(|r| r.as_array())
                .is_some_and(|r| !r.is_empty())
            {
                return true;
            }
        }
        if Instant::now() > deadline {
            eprintln!("not ready after the wait: {what}");
            return false;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

fn prom_ready(q: &str) -> String {
    format!("/api/v1/query?query={}", enc(q))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_panel_answers_with_demo_data() {
    let started = Instant::now();
    let cfg = lakewatch_server::DevConfig {
        listen: "127.0.0.1:0".parse().expect("addr"),
        store_url: "memory://".into(),
        demo: true,
        ..Default::default()
    };
    let backfill = cfg.demo_backfill;
    let server = lakewatch_server::start(cfg).await.expect("start");
    let addr = server.addr().to_string();
    // The backfill writes the last hour in 10-minute chunks, oldest first: the latest sample
    // and log line are there once it is done. Span metrics, the service graph and
    // Lakewatch's own metrics come from live traffic (a demo step and a self-scrape every
    // 15 s; rates need two samples).
    let deadline = Instant::now() + backfill / 20 + Duration::from_secs(240);
    let ready = [
        (
            "demo metrics",
            prom_ready("count(up{job=\"ai-gateway\"})"),
            "/data/result",
        ),
        (
            "demo logs",
            format!(
                "/logs/loki/api/v1/query?query={}",
                enc("sum(count_over_time({service_name=\"ai-gateway\"}[1m]))")
            ),
            "/data/result",
        ),
        (
            "span metrics",
            prom_ready("sum(rate(traces_spanmetrics_calls_total[1m]))"),
            "/data/result",
        ),
        (
            "service graph",
            prom_ready("sum by (client, server) (rate(traces_service_graph_request_total[5m]))"),
            "/data/result",
        ),
    ];
    for (what, path, pointer) in &ready {
        wait_for(&addr, what, path, pointer, deadline).await;
        eprintln!(
            "{what} ready after {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    // Self-monitoring: wait for two self-scrapes only if the process exposes its metrics.
    if wait_for(
        &addr,
        "lakewatch self metrics",
        &prom_ready("count(lakewatch_http_requests_total{job=\"lakewatch\"})"),
        "/data/result",
        Instant::now() + Duration::from_secs(20),
    )
    .await
    {
        wait_for(
            &addr,
            "lakewatch self metric rates",
            &prom_ready("sum(rate(lakewatch_query_duration_seconds_count{job=\"lakewatch\"}[5m]))"),
            "/data/result",
            Instant::now() + Duration::from_secs(45),
        )
        .await;
    }
    eprintln!("data ready after {:.1} s", started.elapsed().as_secs_f64());

    let prov = provisioning();
    let target = Target {
        addr: addr.clone(),
        prov: &prov,
    };
    let mut failures = Vec::new();
    let mut passed = 0;
    let mut panels = 0;
    let mut variables = 0;
    let mut grid_checked = false;
    for (_, dash) in dashboards() {
        let t0 = Instant::now();
        let (mut ran, mut errs) = target.run_dashboard(&dash).await;
        let (var_ran, var_errs) = target.run_variables(&dash).await;
        variables += var_ran.len();
        ran.extend(var_ran);
        errs.extend(var_errs);
        let slowest = ran.iter().max_by_key(|r| r.millis);
        eprintln!(
            "{}: {} queries with data ({} series/streams/traces), {} failed, {:.1} s (slowest {} ms: {})",
            dash.name(),
            ran.len(),
            ran.iter().map(|r| r.results).sum::<usize>(),
            errs.len(),
            t0.elapsed().as_secs_f64(),
            slowest.map(|r| r.millis).unwrap_or(0),
            slowest.map(|r| r.what.as_str()).unwrap_or("")
        );
        // The provider health grid has one tile per provider of the demo (17).
        if let Some(grid) = ran
            .iter()
            .find(|r| r.what.contains("panel \"Provider health"))
        {
            assert_eq!(grid.results, 17, "{}", grid.what);
            grid_checked = true;
        }
        passed += ran.len();
        panels += dash
            .all_panels()
            .iter()
            .filter(|p| !dashboard_check::model::is_layout_panel(p))
            .count();
        failures.extend(errs);
    }

    assert!(
        grid_checked || !failures.is_empty(),
        "no provider health grid ran"
    );

    // Bad input: a metric the demo does not produce fails, naming dashboard, panel and query.
    let bad = fixture(
        "unknown-metric",
        serde_json::json!([prom_panel(
            7,
            "Nothing here",
            "lakewatch-metrics",
            "sum(rate(no_such_metric_total[$__rate_interval]))",
            (0, 0, 24, 8)
        )]),
    );
    let (ran, errs) = target.run_dashboard(&bad).await;
    assert!(ran.is_empty(), "{ran:?}");
    let e = errs.join("\n");
    assert!(
        e.contains("Fixture unknown-metric")
            && e.contains("panel \"Nothing here\" (id 7)")
            && e.contains("sum(rate(no_such_metric_total[1m]))")
            && e.contains("no data"),
        "{e}"
    );
    server.shutdown().await;
    eprintln!(
        "{} panel queries of {panels} data panels and {variables} variable queries answered with data, {} failures, {:.1} s in all",
        passed - variables,
        failures.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
