//! The rules listings with the scheduled ruler's persisted state: Prometheus's
//! `GET /api/v1/rules` and `GET /api/v1/alerts` (query-metrics) and Loki's
//! `GET /prometheus/api/v1/rules|alerts` over LogQL groups (query-logs, also under the `/logs`
//! base path), through `App::handle` / `App::handle_query_logs` on a `memory://` store. States
//! come from real evaluations (`evaluate_group` over a `MemStorage` + PromQL engine) stored with
//! `StateStore::put`, as the ruler stores them.

mod rules_common;

use lakewatch_api::App;
use lakewatch_model::{Labels, Sample, TenantId, TimeSeries};
use lakewatch_promql::{Engine, MemStorage};
use lakewatch_ruler::eval::{
    evaluate_group, EvalContext, GroupState, QuerySource, RuleHealth, RuleKind, RuleState,
};
use lakewatch_ruler::rules::ExprLanguage;
use lakewatch_ruler::state_store::{GroupKey, StateStore};
use lakewatch_ruler::store::RulesStore;
use lakewatch_ruler::{Alert, AlertState};
use rules_common::*;

/// First evaluation (ms): 2025-11-21T04:40:00.25Z.
const T0: i64 = 1_763_700_000_250;
/// Second evaluation, one minute later.
const T1: i64 = T0 + 60_000;
/// Third evaluation, two minutes after the first.
const T2: i64 = T0 + 120_000;
const T0_TEXT: &str = "2025-11-21T04:40:00.25Z";
const T1_TEXT: &str = "2025-11-21T04:41:00.25Z";
const T2_TEXT: &str = "2025-11-21T04:42:00.25Z";

/// Through the query-logs function's entry point.
async fn get_logs(app: &App, uri: &str, tenant: Option<&str>) -> Resp {
    resp(app.handle_query_logs(request("GET", uri, tenant, "")).await)
}

async fn post(app: &App, uri: &str, body: &str) {
    let r = send(app, "POST", uri, None, body).await;
    assert_eq!(r.status, 202, "{}", r.body);
}

/// `s` as Go's `encoding/json` writes a string (HTML characters escaped).
fn json_str(s: &str) -> String {
    serde_json::to_string(s)
        .unwrap()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

const AVAILABILITY: &str = r#"name: availability
interval: 30s
rules:
  - alert: InstanceDown
    expr: up == 0
    for: 1m
    labels:
      severity: critical
    annotations:
      summary: 'Instance {{ $labels.instance }} down'
  - record: job:up:sum
    expr: sum by (job) (up)
  - record: dup:rec
    expr: label_replace(up, "instance", "", "instance", ".*")
"#;

/// AVAILABILITY edited after its last evaluation: a new rule in front.
const AVAILABILITY_EDITED: &str = r#"name: availability
interval: 30s
rules:
  - alert: NewAlert
    expr: up > 5
  - alert: InstanceDown
    expr: up == 0
    for: 1m
    labels:
      severity: critical
    annotations:
      summary: 'Instance {{ $labels.instance }} down'
  - record: job:up:sum
    expr: sum by (job) (up)
  - record: dup:rec
    expr: label_replace(up, "instance", "", "instance", ".*")
"#;

const FLAPPY: &str = r#"name: flappy
interval: 1m
rules:
  - alert: Flapping
    expr: up{instance="c"} == 0
    keep_firing_for: 10m
"#;

const NEVER: &str = r#"name: never
rules:
  - record: never:evaluated
    expr: vector(1)
"#;

/// `up{job="api"}` for instances a (0, 0, 0), b (1, 1, 0), c (0, 0, 1) at T0, T1, T2.
fn storage() -> MemStorage {
    let mut s = MemStorage::new();
    for (inst, values) in [
        ("a", [0.0, 0.0, 0.0]),
        ("b", [1.0, 1.0, 0.0]),
        ("c", [0.0, 0.0, 1.0]),
    ] {
        s.append(TimeSeries {
            labels: Labels::from_pairs([("__name__", "up"), ("job", "api"), ("instance", inst)]),
            samples: [T0, T1, T2]
                .iter()
                .zip(values)
                .map(|(&timestamp_ms, value)| Sample {
                    timestamp_ms,
                    value,
                })
                .collect(),
            ..Default::default()
        });
    }
    s
}

/// Evaluates the stored group at T0, T1 and T2 as the ruler does (outputs appended), fixes the
/// wall-clock durations (group `group_ms`, rule i `rule_ms[i]`) so the JSON is deterministic,
/// and stores the state.
async fn evaluate_and_store(
    app: &App,
    tenant: &TenantId,
    ns: &str,
    name: &str,
    group_ms: f64,
    rule_ms: &[f64],
) -> GroupState {
    let group = RulesStore::new(app.store.clone())
        .get_group(tenant, ExprLanguage::PromQL, ns, name)
        .await
        .unwrap()
        .unwrap();
    let mut storage = storage();
    let engine = Engine::default();
    let mut st = GroupState::default();
    for t in [T0, T1, T2] {
        let out = {
            let ctx = EvalContext::new(
                t,
                QuerySource::PromQL {
                    engine: &engine,
                    storage: &storage,
                },
            );
            evaluate_group(&group, &mut st, &ctx)
        };
        for s in out.to_series() {
            storage.append(s);
        }
    }
    st.evaluation_duration_ms = group_ms;
    for (r, ms) in st.rules.iter_mut().zip(rule_ms) {
        r.evaluation_duration_ms = *ms;
    }
    let key = GroupKey {
        tenant: tenant.clone(),
        language: ExprLanguage::PromQL,
        namespace: ns.into(),
        group: name.into(),
    };
    StateStore::new(app.store.clone())
        .put(&key, None, &st)
        .await
        .unwrap();
    st
}

fn alert_json(name: &str, inst: &str, extra: &str, annotations: &str, state: &str) -> String {
    let active = if state == "pending" { T2_TEXT } else { T0_TEXT };
    format!(
        r#"{{"labels":{{"alertname":"{name}","instance":"{inst}","job":"api"{extra}}},"annotations":{annotations},"state":"{state}","activeAt":"{active}","value":"0e+00"}}"#
    )
}

struct Expected {
    new_alert: String,
    instance_down: String,
    instance_down_no_alerts: String,
    job_up_sum: String,
    dup_rec: String,
    flapping: String,
    alert_a: String,
    alert_b: String,
    alert_c: String,
}

impl Expected {
    fn availability(&self, rules: &[&str]) -> String {
        format!(
            r#"{{"name":"availability","file":"ns1","rules":[{}],"interval":30,"limit":0,"evaluationTime":0.0125,"lastEvaluation":"{T2_TEXT}"}}"#,
            rules.join(",")
        )
    }

    fn flappy(&self) -> String {
        format!(
            r#"{{"name":"flappy","file":"ns2","rules":[{}],"interval":60,"limit":0,"evaluationTime":0.003,"lastEvaluation":"{T2_TEXT}"}}"#,
            self.flapping
        )
    }
}

fn never() -> String {
    r#"{"name":"never","file":"ns3","rules":[{"name":"never:evaluated","query":"vector(1)","health":"unknown","evaluationTime":0,"lastEvaluation":"0001-01-01T00:00:00Z","type":"recording"}],"interval":60,"limit":0,"evaluationTime":0,"lastEvaluation":"0001-01-01T00:00:00Z"}"#.to_string()
}

fn groups(groups: &[String]) -> String {
    format!(
        r#"{{"status":"success","data":{{"groups":[{}]}}}}"#,
        groups.join(",")
    )
}

/// Stores AVAILABILITY (ns1), FLAPPY (ns2), NEVER (ns3, no state), evaluates the first two,
/// then edits AVAILABILITY; returns the expected JSON pieces.
async fn setup(app: &App) -> Expected {
    post(app, "/prometheus/config/v1/rules/ns1", AVAILABILITY).await;
    post(app, "/prometheus/config/v1/rules/ns2", FLAPPY).await;
    post(app, "/prometheus/config/v1/rules/ns3", NEVER).await;
    let anon = TenantId::anonymous();
    let st = evaluate_and_store(app, &anon, "ns1", "availability", 12.5, &[1.5, 0.25, 0.125]).await;
    // The real evaluation: InstanceDown a firing, b pending, c resolved (kept for re-sending).
    let states: Vec<(AlertState, Option<i64>)> = st.rules[0]
        .alerts
        .iter()
        .map(|a| (a.state, a.resolved_at_ms))
        .collect();
    assert_eq!(
        states,
        vec![
            (AlertState::Firing, None),
            (AlertState::Pending, None),
            (AlertState::Inactive, Some(T2))
        ]
    );
    assert_eq!(st.rules[2].health, RuleHealth::Err);
    let dup_err = st.rules[2].last_error.clone().unwrap();
    assert!(!dup_err.is_empty());
    let st = evaluate_and_store(app, &anon, "ns2", "flappy", 3.0, &[2.0]).await;
    assert_eq!(st.rules[0].alerts[0].keep_firing_since_ms, Some(T2));
    post(app, "/prometheus/config/v1/rules/ns1", AVAILABILITY_EDITED).await;

    let ann = |inst: &str| format!(r#"{{"summary":"Instance {inst} down"}}"#);
    let alert_a = alert_json(
        "InstanceDown",
        "a",
        r#","severity":"critical""#,
        &ann("a"),
        "firing",
    );
    let alert_b = alert_json(
        "InstanceDown",
        "b",
        r#","severity":"critical""#,
        &ann("b"),
        "pending",
    );
    let alert_c = format!(
        r#"{{"labels":{{"alertname":"Flapping","instance":"c","job":"api"}},"annotations":{{}},"state":"firing","activeAt":"{T0_TEXT}","keepFiringSince":"{T2_TEXT}","value":"0e+00"}}"#
    );
    let instance_down = |alerts: &str| {
        format!(
            r#"{{"state":"firing","name":"InstanceDown","query":"up == 0","duration":60,"keepFiringFor":0,"labels":{{"severity":"critical"}},"annotations":{{"summary":"Instance {{{{ $labels.instance }}}} down"}},"alerts":{alerts},"health":"ok","evaluationTime":0.0015,"lastEvaluation":"{T2_TEXT}","type":"alerting"}}"#
        )
    };
    Expected {
        new_alert: r#"{"state":"inactive","name":"NewAlert","query":"up \u003e 5","duration":0,"keepFiringFor":0,"labels":{},"annotations":{},"alerts":[],"health":"unknown","evaluationTime":0,"lastEvaluation":"0001-01-01T00:00:00Z","type":"alerting"}"#.to_string(),
        instance_down: instance_down(&format!("[{alert_a},{alert_b}]")),
        instance_down_no_alerts: instance_down("null"),
        job_up_sum: format!(
            r#"{{"name":"job:up:sum","query":"sum by (job) (up)","health":"ok","evaluationTime":0.00025,"lastEvaluation":"{T2_TEXT}","type":"recording"}}"#
        ),
        dup_rec: format!(
            r#"{{"name":"dup:rec","query":"label_replace(up, \"instance\", \"\", \"instance\", \".*\")","health":"err","lastError":{},"evaluationTime":0.000125,"lastEvaluation":"{T2_TEXT}","type":"recording"}}"#,
            json_str(&dup_err)
        ),
        flapping: format!(
            r#"{{"state":"firing","name":"Flapping","query":"up{{instance=\"c\"}} == 0","duration":0,"keepFiringFor":600,"labels":{{}},"annotations":{{}},"alerts":[{alert_c}],"health":"ok","evaluationTime":0.002,"lastEvaluation":"{T2_TEXT}","type":"alerting"}}"#
        ),
        alert_a,
        alert_b,
        alert_c,
    }
}

#[tokio::test]
async fn prometheus_rules_with_state() {
    let app = app();
    let e = setup(&app).await;
    let all_rules = [
        e.new_alert.as_str(),
        e.instance_down.as_str(),
        e.job_up_sum.as_str(),
        e.dup_rec.as_str(),
    ];
    let r = get(&app, "/api/v1/rules").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.content_type, "application/json");
    assert_eq!(
        r.body,
        groups(&[e.availability(&all_rules), e.flappy(), never()])
    );
    assert_eq!(
        get(&app, "/prometheus/api/v1/rules").await.body,
        groups(&[e.availability(&all_rules), e.flappy(), never()])
    );
    // Filters.
    assert_eq!(
        get(&app, "/api/v1/rules?type=alert").await.body,
        groups(&[
            e.availability(&[&e.new_alert, &e.instance_down]),
            e.flappy()
        ])
    );
    assert_eq!(
        get(&app, "/api/v1/rules?type=RECORD&file[]=ns1").await.body,
        groups(&[e.availability(&[&e.job_up_sum, &e.dup_rec])])
    );
    assert_eq!(
        get(
            &app,
            "/api/v1/rules?exclude_alerts=true&rule_name[]=InstanceDown"
        )
        .await
        .body,
        groups(&[e.availability(&[&e.instance_down_no_alerts])])
    );
    assert_eq!(
        get(&app, "/api/v1/rules?exclude_alerts=0&rule_group[]=flappy")
            .await
            .body,
        groups(&[e.flappy()])
    );
    assert_eq!(
        get(
            &app,
            "/api/v1/rules?match[]=%7Bseverity%3D%22critical%22%7D"
        )
        .await
        .body,
        groups(&[e.availability(&[&e.instance_down])])
    );
    // Pagination (Prometheus 3.5: the token is hex(sha1("<file>;<group>"))).
    // sha1("ns2;flappy"): the first group of the next page.
    let next = "32cde3051d86e740ca0e6948aba77ecedc5f7624";
    let r = get(&app, "/api/v1/rules?group_limit=1&type=alert").await;
    assert_eq!(
        r.body,
        format!(
            r#"{{"status":"success","data":{{"groups":[{}],"groupNextToken":"{next}"}}}}"#,
            e.availability(&[&e.new_alert, &e.instance_down])
        )
    );
    assert_eq!(
        get(
            &app,
            &format!("/api/v1/rules?group_limit=1&type=alert&group_next_token={next}")
        )
        .await
        .body,
        groups(&[e.flappy()])
    );
    assert_eq!(
        get(&app, "/api/v1/rules?group_limit=5").await.body,
        groups(&[e.availability(&all_rules), e.flappy(), never()])
    );
    // Parameter errors, with Prometheus 3.5's texts.
    for (query, message) in [
        (
            "type=bogus",
            r#"invalid parameter \"type\": not supported value \"bogus\""#,
        ),
        (
            "exclude_alerts=maybe",
            r#"invalid parameter \"exclude_alerts\": error converting exclude_alerts: strconv.ParseBool: parsing \"maybe\": invalid syntax"#,
        ),
        (
            "group_limit=0",
            r#"invalid parameter \"group_limit\": group_limit needs to be greater than 0"#,
        ),
        (
            "group_limit=x",
            r#"invalid parameter \"group_limit\": group_limit needs to be a valid number: strconv.ParseInt: parsing \"x\": invalid syntax"#,
        ),
        (
            "group_next_token=abc",
            r#"invalid parameter \"group_next_token\": group_limit needs to be present in order to paginate over the groups"#,
        ),
        (
            "group_limit=1&group_next_token=abc",
            r#"invalid parameter \"group_next_token\": invalid group_next_token 'abc'. were rule groups changed?"#,
        ),
    ] {
        let r = get(&app, &format!("/api/v1/rules?{query}")).await;
        assert_eq!(r.status, 400, "{query}");
        assert_eq!(
            r.body,
            format!(r#"{{"status":"error","errorType":"bad_data","error":"{message}"}}"#),
            "{query}"
        );
    }
}

#[tokio::test]
async fn prometheus_alerts_with_state() {
    let app = app();
    assert_eq!(
        get(&app, "/api/v1/alerts").await.body,
        r#"{"status":"success","data":{"alerts":[]}}"#
    );
    let e = setup(&app).await;
    let r = get(&app, "/api/v1/alerts").await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body,
        format!(
            r#"{{"status":"success","data":{{"alerts":[{},{},{}]}}}}"#,
            e.alert_a, e.alert_b, e.alert_c
        )
    );
    assert_eq!(get(&app, "/prometheus/api/v1/alerts").await.body, r.body);
    // Another tenant sees none; a federated request sees both tenants' alerts.
    let r = send(&app, "GET", "/api/v1/alerts", Some("other"), "").await;
    assert_eq!(r.body, r#"{"status":"success","data":{"alerts":[]}}"#);
}

#[tokio::test]
async fn federated_rules_list_both_tenants() {
    let app = app();
    for t in ["t1", "t2"] {
        let r = send(
            &app,
            "POST",
            &format!("/prometheus/config/v1/rules/ns-{t}"),
            Some(t),
            NEVER,
        )
        .await;
        assert_eq!(r.status, 202);
    }
    let r = send(&app, "GET", "/api/v1/rules", Some("t1|t2"), "").await;
    assert_eq!(
        r.body,
        groups(&[
            never().replace("ns3", "ns-t1"),
            never().replace("ns3", "ns-t2")
        ])
    );
}

const LOG_GROUP: &str = r#"name: log-alerts
rules:
  - alert: ErrorBurst
    expr: sum by (app) (count_over_time({app="api"} |= "error" [5m])) > 10
    for: 2m
    labels:
      severity: warning
    annotations:
      summary: errors
  - record: app:errors:rate5m
    expr: sum by (app) (rate({app="api"} |= "error" [5m]))
  - alert: Added
    expr: count_over_time({app="api"}[1m]) > 0
"#;

fn log_alert(app: &str, state: AlertState, resolved: Option<i64>) -> Alert {
    Alert {
        labels: Labels::from_pairs([
            ("alertname", "ErrorBurst"),
            ("app", app),
            ("severity", "warning"),
        ]),
        annotations: Labels::from_pairs([("summary", "errors")]),
        state,
        value: 42.0,
        active_at_ms: T0,
        fired_at_ms: Some(T1),
        resolved_at_ms: resolved,
        last_sent_at_ms: Some(T1),
        valid_until_ms: None,
        keep_firing_since_ms: Some(T1),
    }
}

/// The LogQL group and a state as the ruler stores it (the last rule was added after it).
async fn setup_logs(app: &App) {
    post(app, "/loki/api/v1/rules/logns", LOG_GROUP).await;
    let state = GroupState {
        rules: vec![
            RuleState {
                name: "ErrorBurst".into(),
                kind: RuleKind::Alerting,
                labels: Labels::from_pairs([("severity", "warning")]),
                health: RuleHealth::Ok,
                last_evaluation_ms: Some(T1),
                evaluation_duration_ms: 4.0,
                alerts: vec![
                    log_alert("api", AlertState::Firing, None),
                    log_alert("web", AlertState::Inactive, Some(T1)),
                ],
                ..Default::default()
            },
            RuleState {
                name: "app:errors:rate5m".into(),
                kind: RuleKind::Recording,
                health: RuleHealth::Err,
                last_error: Some("boom <x>".into()),
                last_evaluation_ms: Some(T1),
                evaluation_duration_ms: 1.0,
                ..Default::default()
            },
        ],
        interval_ms: 60_000,
        last_evaluation_ms: Some(T1),
        evaluation_duration_ms: 5.0,
        ..Default::default()
    };
    let key = GroupKey {
        tenant: TenantId::anonymous(),
        language: ExprLanguage::LogQL,
        namespace: "logns".into(),
        group: "log-alerts".into(),
    };
    StateStore::new(app.store.clone())
        .put(&key, None, &state)
        .await
        .unwrap();
}

/// The stored LogQL text as a JSON string (Loki would print its parsed form; see
/// docs/api-rules.md).
fn logql(expr: &str) -> String {
    json_str(expr)
}

#[tokio::test]
async fn loki_listing_under_prometheus_and_logs_paths() {
    let app = app();
    setup_logs(&app).await;
    post(&app, "/prometheus/config/v1/rules/ns3", NEVER).await;
    let q1 = logql(r#"sum by (app) (count_over_time({app="api"} |= "error" [5m])) > 10"#);
    let q2 = logql(r#"sum by (app) (rate({app="api"} |= "error" [5m]))"#);
    let q3 = logql(r#"count_over_time({app="api"}[1m]) > 0"#);
    let alert = format!(
        r#"{{"labels":{{"alertname":"ErrorBurst","app":"api","severity":"warning"}},"annotations":{{"summary":"errors"}},"state":"firing","activeAt":"{T0_TEXT}","value":"4.2e+01"}}"#
    );
    let error_burst = format!(
        r#"{{"state":"firing","name":"ErrorBurst","query":{q1},"duration":120,"labels":{{"severity":"warning"}},"annotations":{{"summary":"errors"}},"alerts":[{alert}],"health":"ok","lastError":"","type":"alerting","lastEvaluation":"{T1_TEXT}","evaluationTime":0.004}}"#
    );
    let recording = format!(
        r#"{{"name":"app:errors:rate5m","query":{q2},"labels":{{}},"health":"err","lastError":"boom \u003cx\u003e","type":"recording","lastEvaluation":"{T1_TEXT}","evaluationTime":0.001}}"#
    );
    let added = format!(
        r#"{{"state":"inactive","name":"Added","query":{q3},"duration":0,"labels":{{}},"annotations":{{}},"alerts":[],"health":"unknown","lastError":"","type":"alerting","lastEvaluation":"0001-01-01T00:00:00Z","evaluationTime":0}}"#
    );
    let loki_groups = |rules: &[&str]| {
        format!(
            r#"{{"status":"success","data":{{"groups":[{{"name":"log-alerts","file":"logns","rules":[{}],"interval":60,"limit":0,"lastEvaluation":"{T1_TEXT}","evaluationTime":0.005}}]}},"errorType":"","error":""}}"#,
            rules.join(",")
        )
    };
    let all = loki_groups(&[&error_burst, &recording, &added]);
    // query-logs itself, with and without the /logs base (and cargo lambda's prefix).
    for uri in [
        "/prometheus/api/v1/rules",
        "/prometheus/api/v1/rules/",
        "/logs/prometheus/api/v1/rules",
        "/lambda-url/query-logs/logs/prometheus/api/v1/rules",
    ] {
        let r = get_logs(&app, uri, None).await;
        assert_eq!(
            (r.status, r.content_type.as_str()),
            (200, "application/json")
        );
        assert_eq!(r.body, all, "{uri}");
    }
    // The local process: /logs/… is query-logs, /prometheus/… stays query-metrics.
    assert_eq!(get(&app, "/logs/prometheus/api/v1/rules").await.body, all);
    assert_eq!(
        get(&app, "/prometheus/api/v1/rules").await.body,
        groups(&[never()])
    );
    // Loki's filters (and the Prometheus spellings).
    assert_eq!(
        get(&app, "/logs/prometheus/api/v1/rules?type=record")
            .await
            .body,
        loki_groups(&[&recording])
    );
    assert_eq!(
        get(
            &app,
            "/logs/prometheus/api/v1/rules?rule_name=ErrorBurst&rule_name[]=Added&file=logns"
        )
        .await
        .body,
        loki_groups(&[&error_burst, &added])
    );
    assert_eq!(
        get(&app, "/logs/prometheus/api/v1/rules?rule_group=nope")
            .await
            .body,
        r#"{"status":"success","data":{"groups":[]},"errorType":"","error":""}"#
    );
    let r = get(&app, "/logs/prometheus/api/v1/rules?type=x").await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (
            400,
            r#"{"status":"error","data":null,"errorType":"bad_data","error":"not supported value \"x\""}"#
        )
    );
    let r = send(
        &app,
        "GET",
        "/logs/prometheus/api/v1/rules",
        Some("a|b"),
        "",
    )
    .await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (
            400,
            r#"{"status":"error","data":null,"errorType":"bad_data","error":"too many org ids found"}"#
        )
    );
    let r = send(&app, "POST", "/logs/prometheus/api/v1/rules", None, "").await;
    assert_eq!(r.status, 405);
    // Alerts: active ones only, Loki's alert JSON (no keepFiringSince).
    let alerts = format!(
        r#"{{"status":"success","data":{{"alerts":[{alert}]}},"errorType":"","error":""}}"#
    );
    assert_eq!(
        get(&app, "/logs/prometheus/api/v1/alerts").await.body,
        alerts
    );
    assert_eq!(
        get_logs(&app, "/prometheus/api/v1/alerts", None).await.body,
        alerts
    );
    // The metrics side does not see LogQL alerts.
    assert_eq!(
        get(&app, "/prometheus/api/v1/alerts").await.body,
        r#"{"status":"success","data":{"alerts":[]}}"#
    );
}

#[tokio::test]
async fn logs_base_path_serves_every_query_logs_route() {
    let app = app();
    setup_logs(&app).await;
    let r = get(&app, "/logs/loki/api/v1/labels").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body, get(&app, "/loki/api/v1/labels").await.body);
    let r = get_logs(&app, "/logs/loki/api/v1/labels", None).await;
    assert_eq!(r.status, 200);
    // The Loki ruler config API under /logs (and Loki's legacy path).
    let r = get(&app, "/logs/loki/api/v1/rules").await;
    assert_eq!(
        (r.status, r.content_type.as_str()),
        (200, "application/yaml")
    );
    assert!(r.body.contains("log-alerts"), "{}", r.body);
    assert_eq!(get(&app, "/logs/api/prom/rules").await.body, r.body);
    // Metrics paths are not served under /logs.
    assert_eq!(get(&app, "/logs/api/v1/query?query=1").await.status, 404);
    assert_eq!(get(&app, "/logs").await.status, 404);
}
