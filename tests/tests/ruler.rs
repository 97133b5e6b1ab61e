//! The scheduled ruler end to end: metrics pushed by remote write and logs by Loki push into an
//! in-process `lakewatch dev` (file:// store), rule groups stored through the Mimir and Loki
//! ruler config APIs, ruler passes (each by a fresh `Ruler`, as a cold-started function would
//! be: all state comes from the object store) at chosen slots, and a real Debian Alertmanager
//! on 127.0.0.1 whose `/api/v2/alerts` is read back. Also checked: the rule results and
//! `ALERTS` samples through PromQL, the rules/alerts APIs, one slot evaluated once by two
//! overlapping passes, missed slots counted, and alerts kept and delivered when an unreachable
//! Alertmanager comes back.

use lakewatch_e2e::alertmanager::Alertmanager;
use lakewatch_e2e::process::free_port;
use lakewatch_e2e::scenario::start_lakewatch;
use lakewatch_e2e::tempdir::TempDir;
use lakewatch_model::{Labels, MetricsBatch, Sample, TenantId, TimeSeries};
use lakewatch_ruler::notifier::{AlertmanagerTarget, Notifier, NotifierConfig};
use lakewatch_ruler::schedule::slot::{eval_slot, group_hash};
use lakewatch_ruler::schedule::{PassReport, Ruler, RulerOptions};
use lakewatch_ruler::state_store::{GroupKey, StateStore};
use lakewatch_ruler::ExprLanguage;
use lakewatch_server::DevServer;
use serde_json::Value;
use std::time::Duration;

const INTERVAL_MS: i64 = 10_000;
const EXTERNAL_URL: &str = "http://lakewatch.example/prometheus";

const PROM_GROUP: &str = r#"name: gateway
interval: 10s
rules:
  - record: job:lw_errors:rate1m
    expr: sum by (job) (rate(lw_requests_total{code="500"}[1m]))
  - alert: HighErrorRate
    expr: job:lw_errors:rate1m > 1
    for: 20s
    labels:
      severity: critical
    annotations:
      summary: 'Error rate {{ $value | humanize }}/s on {{ $labels.job }}'
      total: '{{ with query "sum(rate(lw_requests_total[1m]))" }}{{ . | first | value | printf "%.0f" }}{{ end }} req/s in all'
  - alert: DuplicateMatch
    expr: lw_requests_total + on(job) lw_requests_total
"#;

const LOG_GROUP: &str = r#"name: log-errors
interval: 10s
rules:
  - alert: LogErrorBurst
    expr: sum by (service_name) (count_over_time({service_name="gateway"} |= "error" [1m])) > 2
    labels:
      severity: warning
    annotations:
      summary: '{{ $value }} error lines in 1m from {{ $labels.service_name }}'
  - record: service:log_errors:count1m
    expr: sum by (service_name) (count_over_time({service_name="gateway"} |= "error" [1m]))
"#;

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn key(lang: ExprLanguage, ns: &str, group: &str) -> GroupKey {
    GroupKey {
        tenant: TenantId::new("anonymous").unwrap(),
        language: lang,
        namespace: ns.to_string(),
        group: group.to_string(),
    }
}

fn prom_key() -> GroupKey {
    key(ExprLanguage::PromQL, "ai-gateway", "gateway")
}

fn log_key() -> GroupKey {
    key(ExprLanguage::LogQL, "ai-gateway-logs", "log-errors")
}

/// The slot of `key`'s group at or before `t_ms`.
fn slot(key: &GroupKey, t_ms: i64) -> i64 {
    eval_slot(t_ms, INTERVAL_MS, group_hash(key), false)
}

fn notifier(am_url: &str) -> Notifier {
    Notifier::new(NotifierConfig {
        alertmanagers: vec![AlertmanagerTarget {
            timeout: Duration::from_secs(2),
            ..AlertmanagerTarget::new(am_url)
        }],
        external_labels: Labels::from_pairs([("cluster", "e2e")]),
        external_url: EXTERNAL_URL.to_string(),
        retries: 1,
        retry_backoff: Duration::from_millis(20),
        ..Default::default()
    })
    .unwrap()
}

/// A fresh ruler (no memory of earlier passes) over the server's store.
fn ruler(server: &DevServer, am_url: &str) -> Ruler {
    server
        .backend()
        .ruler_with(notifier(am_url), RulerOptions::default())
}

async fn post(url: String, body: String, content_type: &str) -> (u16, String) {
    let r = reqwest::Client::new()
        .post(&url)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST {url}: {e}"));
    let status = r.status().as_u16();
    (status, r.text().await.unwrap_or_default())
}

async fn get_json(url: String) -> Value {
    let r = reqwest::get(&url)
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let text = r.text().await.unwrap_or_default();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("GET {url}: {e}: {text}"))
}

/// Errors counter rising 2/s until `stop_ms`, then flat; successes 10/s; samples every 5 s
/// over `[from_ms, to_ms]`.
async fn push_metrics(server: &DevServer, from_ms: i64, to_ms: i64, stop_ms: i64) {
    let series = |code: &str, value: &dyn Fn(i64) -> f64| TimeSeries {
        labels: Labels::from_pairs([
            ("__name__", "lw_requests_total"),
            ("job", "gateway"),
            ("code", code),
        ]),
        samples: (from_ms..=to_ms)
            .step_by(5_000)
            .map(|t| Sample {
                timestamp_ms: t,
                value: value(t),
            })
            .collect(),
        ..Default::default()
    };
    let errors = |t: i64| 2.0 * (t.min(stop_ms) - from_ms) as f64 / 1000.0;
    let ok = |t: i64| 10.0 * (t - from_ms) as f64 / 1000.0;
    let batch = MetricsBatch {
        series: vec![series("500", &errors), series("200", &ok)],
        metadata: Vec::new(),
    };
    let body = lakewatch_server::backend::encode_remote_write_v1(&batch);
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/write", server.base_url()))
        .header("content-type", "application/x-protobuf")
        .header("content-encoding", "snappy")
        .header("x-prometheus-remote-write-version", "0.1.0")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204, "{:?}", r.text().await);
}

/// One `error` line and one `info` line every 5 s over `[from_ms, stop_ms]`.
async fn push_logs(server: &DevServer, from_ms: i64, stop_ms: i64) {
    let values: Vec<Value> = (from_ms..=stop_ms)
        .step_by(5_000)
        .flat_map(|t| {
            let ns = (t * 1_000_000).to_string();
            let ns1 = (t * 1_000_000 + 1).to_string();
            [
                serde_json::json!([ns, "level=error msg=\"provider error\" status=502"]),
                serde_json::json!([ns1, "level=info msg=ok status=200"]),
            ]
        })
        .collect();
    let body =
        serde_json::json!({"streams": [{"stream": {"service_name": "gateway"}, "values": values}]});
    let (status, text) = post(
        format!("{}/loki/api/v1/push", server.base_url()),
        body.to_string(),
        "application/json",
    )
    .await;
    assert_eq!(status, 204, "{text}");
}

async fn store_rules(server: &DevServer) {
    let base = server.base_url();
    let (status, text) = post(
        format!("{base}/prometheus/config/v1/rules/ai-gateway"),
        PROM_GROUP.to_string(),
        "application/yaml",
    )
    .await;
    assert_eq!(status, 202, "{text}");
    let (status, text) = post(
        format!("{base}/loki/api/v1/rules/ai-gateway-logs"),
        LOG_GROUP.to_string(),
        "application/yaml",
    )
    .await;
    assert_eq!(status, 202, "{text}");
}

async fn pass(server: &DevServer, am_url: &str, at_ms: i64) -> PassReport {
    let report = ruler(server, am_url).run_pass(at_ms).await;
    assert!(
        report.errors.iter().all(|e| !e.contains("state")),
        "{report:?}"
    );
    report
}

async fn state(server: &DevServer, key: &GroupKey) -> lakewatch_ruler::eval::GroupState {
    StateStore::new(server.backend().store().clone())
        .get(key)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no state for {key:?}"))
}

/// Instant PromQL value of the single series `q` returns at `t_ms`.
async fn promql(server: &DevServer, q: &str, t_ms: i64) -> Vec<Value> {
    let url = format!(
        "{}/api/v1/query?query={}&time={}",
        server.base_url(),
        lakewatch_e2e::client::encode(q),
        t_ms as f64 / 1000.0
    );
    let v = get_json(url).await;
    assert_eq!(v["status"], "success", "{q}: {v}");
    v["data"]["result"].as_array().cloned().unwrap_or_default()
}

/// The alert named `name` in Alertmanager's active list (panics with the list otherwise).
async fn must_find(am: &Alertmanager, name: &str) -> Value {
    let all = am.alerts().await;
    all.iter()
        .find(|a| a["labels"]["alertname"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("{name} not in Alertmanager: {all:?}\n{}", am.log_tail()))
}

fn rfc3339(ms: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(ms).unwrap()
}

fn am_time(a: &Value, field: &str) -> i64 {
    let s = a[field].as_str().unwrap_or_default();
    chrono::DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("{field} {s:?}: {e}"))
        .timestamp_millis()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_alert_through_a_real_alertmanager() {
    let dir = TempDir::new("ruler-e2e").unwrap();
    let server = start_lakewatch(&format!("file://{}", dir.path().display())).await;
    let am = Alertmanager::start().await;

    // Data: errors rise 2/s until `stop`, then stay flat. The timeline keeps every `endsAt`
    // (slot + 4 m) of a firing alert in the future and ends ~30 s before now.
    let now = now_ms();
    let base = now - 190_000;
    let stop = base + 60_000;
    push_metrics(&server, base - 120_000, now - 1_000, stop).await;
    push_logs(&server, base - 120_000, stop).await;
    store_rules(&server).await;

    // Slot 0: the error rate (2/s) exceeds 1 → HighErrorRate pending (for: 20s); the LogQL
    // alert has no `for` and fires at once; DuplicateMatch fails alone.
    let s0 = slot(&prom_key(), base + INTERVAL_MS);
    let r = pass(&server, &am.url, s0).await;
    assert_eq!((r.groups, r.evaluated, r.failed_rules), (2, 2, 1), "{r:?}");
    let st = state(&server, &prom_key()).await;
    assert_eq!(st.last_evaluation_ms, Some(s0));
    assert_eq!(st.rules[0].health.as_str(), "ok", "{:?}", st.rules[0]);
    assert_eq!(st.rules[1].health.as_str(), "ok", "{:?}", st.rules[1]);
    assert_eq!(st.rules[2].health.as_str(), "err");
    let err = st.rules[2].last_error.clone().unwrap_or_default();
    assert!(
        err.contains("found duplicate series for the match group"),
        "DuplicateMatch error: {err}"
    );
    let pending = &st.rules[1].alerts;
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert_eq!(pending[0].state.as_str(), "pending");
    assert_eq!(pending[0].active_at_ms, s0);
    assert!(
        am.find("HighErrorRate").await.is_none(),
        "pending alerts are not sent"
    );
    let log_alert = must_find(&am, "LogErrorBurst").await;
    assert_eq!(log_alert["labels"]["service_name"], "gateway");
    assert_eq!(log_alert["labels"]["severity"], "warning");
    assert_eq!(log_alert["labels"]["cluster"], "e2e");
    assert_eq!(
        log_alert["annotations"]["summary"],
        "12 error lines in 1m from gateway"
    );

    // Slot 1: 10 s pending of 20 s.
    let r = pass(&server, &am.url, s0 + INTERVAL_MS).await;
    assert_eq!(r.evaluated, 2, "{r:?}");
    assert!(am.find("HighErrorRate").await.is_none());

    // Slot 2: `for` elapsed → firing and sent, with Prometheus's fields.
    let s2 = s0 + 2 * INTERVAL_MS;
    let r = pass(&server, &am.url, s2).await;
    assert_eq!(r.evaluated, 2, "{r:?}");
    assert!(r.alerts_sent >= 1 && r.alerts_unsent == 0, "{r:?}");
    let a = must_find(&am, "HighErrorRate").await;
    assert_eq!(a["labels"]["severity"], "critical");
    assert_eq!(a["labels"]["job"], "gateway");
    assert_eq!(a["labels"]["cluster"], "e2e");
    assert_eq!(a["annotations"]["summary"], "Error rate 2/s on gateway");
    assert_eq!(a["annotations"]["total"], "12 req/s in all");
    assert_eq!(am_time(&a, "startsAt"), s2, "startsAt = when it fired");
    assert_eq!(
        am_time(&a, "endsAt"),
        s2 + 4 * 60_000,
        "endsAt = 4 × max(interval, resend delay)"
    );
    let gen = a["generatorURL"].as_str().unwrap_or_default();
    assert!(
        gen.starts_with(&format!("{EXTERNAL_URL}/graph?g0.expr=")) && gen.ends_with("&g0.tab=1"),
        "{gen}"
    );
    assert_eq!(a["status"]["state"], "active");

    // The samples the rules wrote, through PromQL.
    let rec = promql(&server, "job:lw_errors:rate1m", s2).await;
    assert_eq!(rec.len(), 1, "{rec:?}");
    assert_eq!(rec[0]["metric"]["job"], "gateway");
    assert_eq!(rec[0]["value"][1], "2");
    let alerts = promql(&server, r#"ALERTS{alertname="HighErrorRate"}"#, s2).await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0]["metric"]["alertstate"], "firing");
    assert_eq!(alerts[0]["metric"]["severity"], "critical");
    let for_state = promql(
        &server,
        r#"ALERTS_FOR_STATE{alertname="HighErrorRate"}"#,
        s2,
    )
    .await;
    assert_eq!(for_state[0]["value"][1], (s0 / 1000).to_string());
    let log_rec = promql(&server, "service:log_errors:count1m", s2).await;
    assert_eq!(
        log_rec.len(),
        1,
        "LogQL recording result written: {log_rec:?}"
    );
    assert_eq!(log_rec[0]["value"][1], "12");
    // LogQL alerts write no ALERTS series (as Loki's ruler).
    assert!(promql(&server, r#"ALERTS{alertname="LogErrorBurst"}"#, s2)
        .await
        .is_empty());

    // Two overlapping passes at the next slot: each group is evaluated once.
    let s3 = s0 + 3 * INTERVAL_MS;
    let (a, b) = (ruler(&server, &am.url), ruler(&server, &am.url));
    let (r1, r2) = tokio::join!(a.run_pass(s3), b.run_pass(s3));
    assert_eq!(r1.evaluated + r2.evaluated, 2, "{r1:?}\n{r2:?}");
    assert_eq!(r1.busy + r1.not_due + r2.busy + r2.not_due, 2);
    assert_eq!(state(&server, &prom_key()).await.iterations_total, 4);
    // A late pass in the same slot of the PromQL group finds it not due (the LogQL group has
    // its own offset, so it may have reached its next slot).
    let late = s3 + INTERVAL_MS - 1;
    let log_due = slot(&log_key(), late)
        > state(&server, &log_key())
            .await
            .last_evaluation_ms
            .unwrap_or(0);
    let r = pass(&server, &am.url, late).await;
    assert_eq!(r.evaluated, usize::from(log_due), "{r:?}");
    assert_eq!(
        state(&server, &prom_key()).await.last_evaluation_ms,
        Some(s3)
    );

    // 11 slots pass without an invocation; the next one evaluates once, counts them, and
    // finds the error rate back to 0: resolved, and the resolution is sent.
    let s_end = s3 + 12 * INTERVAL_MS;
    assert!(s_end < now_ms() - 5_000, "timeline must stay in the past");
    let r = pass(&server, &am.url, s_end).await;
    assert_eq!(r.evaluated, 2, "{r:?}");
    let st = state(&server, &prom_key()).await;
    assert_eq!(st.iterations_missed_total, 11);
    assert_eq!(st.iterations_total, 4 + 12);
    let resolved = &st.rules[1].alerts;
    assert_eq!(resolved.len(), 1, "kept 15 min to re-send the resolution");
    assert_eq!(resolved[0].resolved_at_ms, Some(s_end));
    assert_eq!(resolved[0].last_sent_at_ms, Some(s_end));
    assert!(
        am.find("HighErrorRate").await.is_none(),
        "resolved alerts leave Alertmanager's active list: {:?}",
        am.alerts().await
    );
    assert!(am.find("LogErrorBurst").await.is_none());
    let alerts = promql(&server, r#"ALERTS{alertname="HighErrorRate"}"#, s_end).await;
    assert!(alerts.is_empty(), "stale marker ends ALERTS: {alerts:?}");

    // The rules API shows the state the ruler persisted.
    let rules = get_json(format!("{}/api/v1/rules", server.base_url())).await;
    let groups = rules["data"]["groups"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let g = groups
        .iter()
        .find(|g| g["name"] == "gateway")
        .unwrap_or_else(|| panic!("{rules}"));
    assert_eq!(g["rules"][0]["health"], "ok", "{g}");
    assert_eq!(g["rules"][2]["health"], "err", "{g}");
    assert!(g["rules"][2]["lastError"]
        .as_str()
        .unwrap_or_default()
        .contains("found duplicate series"));
    assert_eq!(
        g["lastEvaluation"]
            .as_str()
            .map(|s| s.starts_with(&rfc3339(s_end).format("%Y-%m-%dT%H:%M:%S").to_string())),
        Some(true),
        "{g}"
    );

    // Removing the group: the next pass cleans its state up.
    let r = reqwest::Client::new()
        .delete(format!(
            "{}/prometheus/config/v1/rules/ai-gateway/gateway",
            server.base_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 202);
    let r = pass(&server, &am.url, s_end + INTERVAL_MS).await;
    assert_eq!((r.groups, r.removed_groups), (1, 1), "{r:?}");
    let gone = StateStore::new(server.backend().store().clone())
        .get(&prom_key())
        .await
        .unwrap();
    assert!(gone.is_none());
    assert!(
        promql(&server, "job:lw_errors:rate1m", s_end + INTERVAL_MS)
            .await
            .is_empty(),
        "a removed group's series are marked stale"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_wait_for_an_unreachable_alertmanager() {
    let dir = TempDir::new("ruler-e2e-down").unwrap();
    let server = start_lakewatch(&format!("file://{}", dir.path().display())).await;
    let group = "name: always\ninterval: 10s\nrules:\n  - alert: AlwaysOn\n    expr: vector(1)\n    labels: {severity: warning}\n";
    let (status, text) = post(
        format!("{}/prometheus/config/v1/rules/ns", server.base_url()),
        group.to_string(),
        "application/yaml",
    )
    .await;
    assert_eq!(status, 202, "{text}");
    let k = key(ExprLanguage::PromQL, "ns", "always");

    // Nobody listens on the port yet: the firing alert is not marked sent.
    let port = free_port();
    let am_url = format!("http://127.0.0.1:{port}");
    let s0 = slot(&k, now_ms() - 30_000);
    let r = pass(&server, &am_url, s0).await;
    assert_eq!(
        (r.evaluated, r.alerts_sent, r.alerts_unsent),
        (1, 0, 1),
        "{r:?}"
    );
    assert!(
        r.errors
            .iter()
            .any(|e| e.contains("not accepted by any Alertmanager")),
        "{r:?}"
    );
    let st = state(&server, &k).await;
    assert_eq!(
        st.rules[0].health.as_str(),
        "ok",
        "notification failures leave the rule ok"
    );
    assert!(st.last_notification_error.is_some());
    assert_eq!(st.rules[0].alerts[0].last_sent_at_ms, None);

    // Alertmanager comes up: the next slot delivers it, with its original start.
    let am = Alertmanager::start_on(port).await;
    let r = pass(&server, &am_url, s0 + INTERVAL_MS).await;
    assert_eq!((r.alerts_sent, r.alerts_unsent), (1, 0), "{r:?}");
    let a = must_find(&am, "AlwaysOn").await;
    assert_eq!(am_time(&a, "startsAt"), s0);
    assert_eq!(state(&server, &k).await.last_notification_error, None);

    // Within the resend delay (1 m) the next slot does not send again.
    let r = pass(&server, &am_url, s0 + 2 * INTERVAL_MS).await;
    assert_eq!((r.evaluated, r.alerts_sent), (1, 0), "{r:?}");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_namespace_of_one_tenant_stops_nothing_else() {
    let dir = TempDir::new("ruler-e2e-broken").unwrap();
    let server = start_lakewatch(&format!("file://{}", dir.path().display())).await;
    let group =
        "name: always\ninterval: 10s\nrules:\n  - record: always:one\n    expr: vector(1)\n";
    for tenant in ["team-a", "team-b"] {
        let r = reqwest::Client::new()
            .post(format!(
                "{}/prometheus/config/v1/rules/ns",
                server.base_url()
            ))
            .header("content-type", "application/yaml")
            .header("X-Scope-OrgID", tenant)
            .body(group)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 202);
    }
    let at = now_ms() - 30_000;
    let r = pass(&server, "http://127.0.0.1:1", at).await;
    assert_eq!((r.groups, r.evaluated), (2, 2), "{r:?}");
    // Something else writes an object that is not a rule file into team-b's namespaces.
    server
        .backend()
        .store()
        .put_create(
            "team-b/rules/prometheus/broken.yaml",
            bytes::Bytes::from_static(b"groups: [ {"),
        )
        .await
        .unwrap();
    let r = pass(&server, "http://127.0.0.1:1", at + 60_000).await;
    assert_eq!(
        (r.groups, r.evaluated),
        (1, 1),
        "team-a still evaluated: {r:?}"
    );
    assert_eq!(r.removed_groups, 0, "team-b's state is kept: {r:?}");
    assert!(
        r.errors
            .iter()
            .any(|e| e.contains("tenant team-b") && e.contains("broken.yaml")),
        "{r:?}"
    );
    server.shutdown().await;
}
