//! The ruler config API (Mimir `/prometheus/config/v1/rules…`, Cortex `/api/v1/rules/<ns>`,
//! Loki `/loki/api/v1/rules…`), Prometheus's `GET /api/v1/rules` and the Mimir-prefixed
//! buildinfo, all through `App::handle` on a `memory://` store.

mod rules_common;

use bytes::Bytes;
use rules_common::*;

const ACCEPTED: &str = r#"{"status":"success","data":null,"errorType":"","error":""}"#;

const GROUP_A: &str = "name: availability
interval: 30s
rules:
  - alert: InstanceDown
    expr: up == 0
    for: 5m
    keep_firing_for: 1m
    labels:
      severity: critical
    annotations:
      summary: 'Instance {{ $labels.instance }} down'
";

const GROUP_B: &str = "name: recording
rules:
  - record: job:up:sum
    expr: sum by (job) (up)
    labels:
      team: sre
";

#[tokio::test]
async fn mimir_config_api_round_trip() {
    let app = app();
    let r = get(&app, "/prometheus/config/v1/rules").await;
    assert_eq!((r.status, r.body.as_str()), (404, "no rule groups found\n"));
    assert_eq!(r.content_type, "text/plain; charset=utf-8");

    let r = send(
        &app,
        "POST",
        "/prometheus/config/v1/rules/team%2Fa",
        None,
        GROUP_A,
    )
    .await;
    assert_eq!((r.status, r.body.as_str()), (202, ACCEPTED));
    assert_eq!(r.content_type, "application/json");
    let r = send(
        &app,
        "POST",
        "/prometheus/config/v1/rules/team%2Fa",
        None,
        GROUP_B,
    )
    .await;
    assert_eq!(r.status, 202);

    let group_a_yaml = "name: availability
interval: 30s
rules:
- alert: InstanceDown
  expr: up == 0
  for: 5m
  keep_firing_for: 1m
  labels:
    severity: critical
  annotations:
    summary: Instance {{ $labels.instance }} down
";
    let group_b_yaml = "name: recording
rules:
- record: job:up:sum
  expr: sum by (job) (up)
  labels:
    team: sre
";
    let r = get(&app, "/prometheus/config/v1/rules/team%2Fa/availability").await;
    assert_eq!((r.status, r.body.as_str()), (200, group_a_yaml));
    assert_eq!(r.content_type, "application/yaml");

    let indent = |s: &str| {
        s.lines()
            .enumerate()
            .map(|(i, l)| {
                if i == 0 {
                    format!("- {l}\n")
                } else {
                    format!("  {l}\n")
                }
            })
            .collect::<String>()
    };
    let ns_yaml = format!("team/a:\n{}{}", indent(group_a_yaml), indent(group_b_yaml));
    let r = get(&app, "/prometheus/config/v1/rules").await;
    assert_eq!((r.status, r.body.clone()), (200, ns_yaml.clone()));
    let r = get(&app, "/prometheus/config/v1/rules/team%2Fa").await;
    assert_eq!((r.status, r.body.clone()), (200, ns_yaml));
    // Without the prefix and through the Cortex alias too.
    assert_eq!(
        get(&app, "/config/v1/rules/team%2Fa/recording").await.body,
        group_b_yaml
    );
    assert_eq!(
        get(&app, "/api/v1/rules/team%2Fa/recording").await.body,
        group_b_yaml
    );
    // Grafana's ruler proxy path for the `prometheus`/`cortex` subtypes.
    assert_eq!(
        get(&app, "/prometheus/rules/team%2Fa/recording").await.body,
        group_b_yaml
    );

    // Replace a group in place.
    let changed = GROUP_B.replace("team: sre", "team: ops");
    let r = send(&app, "POST", "/api/v1/rules/team%2Fa", None, &changed).await;
    assert_eq!(r.status, 202);
    let r = get(&app, "/prometheus/config/v1/rules/team%2Fa").await;
    assert!(r.body.contains("team: ops") && r.body.find("availability") < r.body.find("recording"));

    let r = get(&app, "/prometheus/config/v1/rules/nope").await;
    assert_eq!((r.status, r.body.as_str()), (404, "no rule groups found\n"));
    let r = get(&app, "/prometheus/config/v1/rules/team%2Fa/nope").await;
    assert_eq!((r.status, r.body.as_str()), (404, "group does not exist\n"));

    let r = send(
        &app,
        "DELETE",
        "/prometheus/config/v1/rules/team%2Fa/recording",
        None,
        "",
    )
    .await;
    assert_eq!((r.status, r.body.as_str()), (202, ACCEPTED));
    let r = send(
        &app,
        "DELETE",
        "/prometheus/config/v1/rules/team%2Fa/recording",
        None,
        "",
    )
    .await;
    assert_eq!((r.status, r.body.as_str()), (404, "group does not exist\n"));
    let r = send(
        &app,
        "DELETE",
        "/prometheus/config/v1/rules/team%2Fa",
        None,
        "",
    )
    .await;
    assert_eq!((r.status, r.body.as_str()), (202, ACCEPTED));
    let r = send(
        &app,
        "DELETE",
        "/prometheus/config/v1/rules/team%2Fa",
        None,
        "",
    )
    .await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (404, "group namespace does not exist\n")
    );
    assert_eq!(get(&app, "/prometheus/config/v1/rules").await.status, 404);

    // Methods.
    assert_eq!(
        send(&app, "POST", "/prometheus/config/v1/rules", None, "")
            .await
            .status,
        405
    );
    assert_eq!(
        send(&app, "PUT", "/prometheus/config/v1/rules/a", None, "")
            .await
            .status,
        405
    );
}

#[tokio::test]
async fn invalid_groups_get_promtool_messages() {
    let app = app();
    let bad = "name: g
rules:
  - alert: HighErrorRate
    expr: sum(rate(x[5m])
  - record: bad-name
    expr: up
";
    let r = send(&app, "POST", "/prometheus/config/v1/rules/ns", None, bad).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.content_type, "text/plain; charset=utf-8");
    assert!(
        r.body.starts_with(
            "4:11: group \"g\", rule 1, \"HighErrorRate\": could not parse expression: "
        ),
        "{}",
        r.body
    );
    assert!(
        r.body.contains(
            ", 5:13: group \"g\", rule 2, \"bad-name\": invalid recording rule name: bad-name\n"
        ),
        "{}",
        r.body
    );
    let r = send(
        &app,
        "POST",
        "/prometheus/config/v1/rules/ns",
        None,
        "name: g\nrules: [\n",
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(r.body.starts_with("yaml: "), "{}", r.body);
    // A LogQL group is not PromQL, and vice versa.
    let logql = "name: logs\nrules:\n  - alert: Errors\n    expr: sum(count_over_time({app=\"x\"} |= \"error\" [5m])) > 10\n";
    assert_eq!(
        send(&app, "POST", "/prometheus/config/v1/rules/ns", None, logql)
            .await
            .status,
        400
    );
    assert_eq!(
        send(&app, "POST", "/loki/api/v1/rules/ns", None, logql)
            .await
            .status,
        202
    );
    assert_eq!(
        send(&app, "POST", "/loki/api/v1/rules/ns", None, GROUP_B)
            .await
            .status,
        400
    );
    // Nothing invalid was stored.
    assert_eq!(get(&app, "/prometheus/config/v1/rules").await.status, 404);
}

#[tokio::test]
async fn loki_config_api_and_tenants() {
    let app = app();
    let logql = "name: logs\nrules:\n  - alert: Errors\n    expr: sum(count_over_time({app=\"x\"} |= \"error\" [5m])) > 10\n";
    let r = send(
        &app,
        "POST",
        "/loki/api/v1/rules/ns1",
        Some("team-a"),
        logql,
    )
    .await;
    assert_eq!((r.status, r.body.as_str()), (202, ACCEPTED));
    let want = "ns1:\n- name: logs\n  rules:\n  - alert: Errors\n    expr: sum(count_over_time({app=\"x\"} |= \"error\" [5m])) > 10\n";
    let r = send(&app, "GET", "/loki/api/v1/rules", Some("team-a"), "").await;
    assert_eq!((r.status, r.body.as_str()), (200, want));
    // Loki's legacy prefix is the same API.
    let r = send(&app, "GET", "/api/prom/rules/ns1", Some("team-a"), "").await;
    assert_eq!((r.status, r.body.as_str()), (200, want));
    // The `query-logs` function's entry point serves it too (Lambda routes `/loki/api/v1/*`
    // there), and Loki's queries still work beside it.
    for uri in ["/loki/api/v1/rules", "/api/prom/rules"] {
        let req = http::Request::get(uri)
            .header("X-Scope-OrgID", "team-a")
            .body(Bytes::new())
            .unwrap();
        let resp = app.handle_query_logs(req).await;
        assert_eq!(resp.status(), 200, "{uri}");
        assert_eq!(resp.body().as_ref(), want.as_bytes(), "{uri}");
    }
    let req = http::Request::get("/loki/api/v1/labels")
        .header("X-Scope-OrgID", "team-a")
        .body(Bytes::new())
        .unwrap();
    assert_eq!(app.handle_query_logs(req).await.status(), 200);
    // Other tenants and the PromQL API see nothing.
    assert_eq!(
        send(&app, "GET", "/loki/api/v1/rules", Some("team-b"), "")
            .await
            .status,
        404
    );
    assert_eq!(
        send(&app, "GET", "/loki/api/v1/rules", None, "")
            .await
            .status,
        404
    );
    assert_eq!(
        send(
            &app,
            "GET",
            "/prometheus/config/v1/rules",
            Some("team-a"),
            ""
        )
        .await
        .status,
        404
    );
    // Federated tenant ids are refused.
    assert_eq!(
        send(&app, "GET", "/loki/api/v1/rules", Some("a|b"), "")
            .await
            .status,
        400
    );
    let r = send(
        &app,
        "DELETE",
        "/loki/api/v1/rules/ns1/logs",
        Some("team-a"),
        "",
    )
    .await;
    assert_eq!(r.status, 202);
    assert_eq!(
        send(&app, "GET", "/loki/api/v1/rules", Some("team-a"), "")
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn prometheus_rules_listing_and_filters() {
    let app = app();
    assert_eq!(
        get(&app, "/api/v1/rules").await.body,
        r#"{"status":"success","data":{"groups":[]}}"#
    );
    send(
        &app,
        "POST",
        "/prometheus/config/v1/rules/ns2",
        None,
        GROUP_B,
    )
    .await;
    send(
        &app,
        "POST",
        "/prometheus/config/v1/rules/ns1",
        None,
        GROUP_A,
    )
    .await;
    send(
        &app,
        "POST",
        "/prometheus/config/v1/rules/ns1",
        Some("other"),
        GROUP_B,
    )
    .await;
    let alerting = r#"{"name":"availability","file":"ns1","rules":[{"state":"inactive","name":"InstanceDown","query":"up == 0","duration":300,"keepFiringFor":60,"labels":{"severity":"critical"},"annotations":{"summary":"Instance {{ $labels.instance }} down"},"alerts":[],"health":"unknown","evaluationTime":0,"lastEvaluation":"0001-01-01T00:00:00Z","type":"alerting"}],"interval":30,"limit":0,"evaluationTime":0,"lastEvaluation":"0001-01-01T00:00:00Z"}"#;
    let recording = r#"{"name":"recording","file":"ns2","rules":[{"name":"job:up:sum","query":"sum by (job) (up)","labels":{"team":"sre"},"health":"unknown","evaluationTime":0,"lastEvaluation":"0001-01-01T00:00:00Z","type":"recording"}],"interval":60,"limit":0,"evaluationTime":0,"lastEvaluation":"0001-01-01T00:00:00Z"}"#;
    let body = |groups: &[&str]| {
        format!(
            r#"{{"status":"success","data":{{"groups":[{}]}}}}"#,
            groups.join(",")
        )
    };
    let r = get(&app, "/api/v1/rules").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, body(&[alerting, recording]));
    assert_eq!(
        get(&app, "/prometheus/api/v1/rules").await.body,
        body(&[alerting, recording])
    );
    assert_eq!(
        get(&app, "/api/v1/rules?type=alert").await.body,
        body(&[alerting])
    );
    assert_eq!(
        get(&app, "/api/v1/rules?type=record").await.body,
        body(&[recording])
    );
    assert_eq!(
        get(&app, "/api/v1/rules?file[]=ns2").await.body,
        body(&[recording])
    );
    assert_eq!(
        get(
            &app,
            "/api/v1/rules?rule_group[]=availability&rule_group[]=recording"
        )
        .await
        .body,
        body(&[alerting, recording])
    );
    assert_eq!(
        get(&app, "/api/v1/rules?rule_name[]=job:up:sum").await.body,
        body(&[recording])
    );
    assert_eq!(
        get(&app, "/api/v1/rules?rule_name[]=nope").await.body,
        body(&[])
    );
    let r = get(&app, "/api/v1/rules?type=bogus").await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        r#"{"status":"error","errorType":"bad_data","error":"invalid parameter \"type\": not supported value \"bogus\""}"#
    );
    // Tenant isolation: "other" sees only its own group.
    let r = send(&app, "GET", "/api/v1/rules", Some("other"), "").await;
    assert_eq!(r.body, body(&[&recording.replace("ns2", "ns1")]));
}

#[tokio::test]
async fn buildinfo_features_only_under_prometheus_prefix() {
    let app = app();
    let v: serde_json::Value =
        serde_json::from_str(&get(&app, "/prometheus/api/v1/status/buildinfo").await.body).unwrap();
    assert_eq!(v["data"]["application"], "Grafana Mimir");
    assert_eq!(v["data"]["features"]["ruler_config_api"], "true");
    assert_eq!(v["data"]["features"]["alertmanager_config_api"], "false");
    assert!(v["data"]["version"].as_str().unwrap().starts_with("3."));
    let v: serde_json::Value =
        serde_json::from_str(&get(&app, "/api/v1/status/buildinfo").await.body).unwrap();
    assert!(v["data"].get("features").is_none());
}
