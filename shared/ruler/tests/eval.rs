//! The rule-group evaluation state machine against Prometheus's behaviour (`rules/alerting.go`,
//! `rules/recording.go`, `rules/group.go`), over a real `MemStorage` + PromQL engine.

use std::collections::BTreeMap;
use std::time::Duration;

use lakewatch_model::{is_stale_nan, Labels, Sample, TimeSeries};
use lakewatch_promql::{Engine, MemStorage};
use lakewatch_ruler::eval::{
    alerts_to_send, evaluate_group, mark_sent, EvalContext, GroupOutcome, GroupState, QuerySource,
    RuleHealth, ERR_DUPLICATE_ALERT_LABELSET, ERR_DUPLICATE_RECORDING_LABELSET,
    RESOLVED_RETENTION_MS,
};
use lakewatch_ruler::{AlertState, Rule, RuleGroup};

const MIN: i64 = 60_000;

fn series(labels: &[(&str, &str)], points: &[(i64, f64)]) -> TimeSeries {
    TimeSeries {
        labels: Labels::from_pairs(labels.iter().copied()),
        samples: points
            .iter()
            .map(|&(t, v)| Sample {
                timestamp_ms: t,
                value: v,
            })
            .collect(),
        ..Default::default()
    }
}

/// `values[i]` at minute i.
fn per_minute(labels: &[(&str, &str)], values: &[f64]) -> TimeSeries {
    let pts: Vec<(i64, f64)> = values
        .iter()
        .enumerate()
        .map(|(i, &v)| (i as i64 * MIN, v))
        .collect();
    series(labels, &pts)
}

fn alert_rule(name: &str, expr: &str, for_min: u64, keep_min: u64) -> Rule {
    Rule {
        alert: Some(name.into()),
        expr: expr.into(),
        for_: Duration::from_secs(for_min * 60),
        keep_firing_for: Duration::from_secs(keep_min * 60),
        ..Default::default()
    }
}

fn record_rule(name: &str, expr: &str) -> Rule {
    Rule {
        record: Some(name.into()),
        expr: expr.into(),
        ..Default::default()
    }
}

fn group(rules: Vec<Rule>) -> RuleGroup {
    RuleGroup {
        name: "g".into(),
        rules,
        ..Default::default()
    }
}

/// Evaluates at `t` and appends the output to `storage`, as the ruler does.
fn eval_at(g: &RuleGroup, st: &mut GroupState, storage: &mut MemStorage, t: i64) -> GroupOutcome {
    let engine = Engine::default();
    let out = {
        let ctx = EvalContext::new(
            t,
            QuerySource::PromQL {
                engine: &engine,
                storage,
            },
        );
        evaluate_group(g, st, &ctx)
    };
    for s in out.to_series() {
        storage.append(s);
    }
    out
}

fn states(st: &GroupState, rule: usize) -> Vec<AlertState> {
    st.rules[rule].alerts.iter().map(|a| a.state).collect()
}

#[test]
fn pending_firing_resolved_and_retention() {
    let mut storage = MemStorage::new();
    storage.append(per_minute(
        &[("__name__", "up"), ("job", "api")],
        &[1.0, 0.0, 0.0, 0.0, 1.0, 1.0],
    ));
    let mut r = alert_rule("Down", "up == 0", 2, 0);
    r.labels = BTreeMap::from([("severity".into(), "page".into())]);
    let g = group(vec![r]);
    let mut st = GroupState::default();

    let out = eval_at(&g, &mut st, &mut storage, 0);
    assert!(out.samples.is_empty() && out.errors.is_empty());
    assert_eq!(st.rules[0].health, RuleHealth::Ok);

    let out = eval_at(&g, &mut st, &mut storage, MIN);
    assert_eq!(states(&st, 0), vec![AlertState::Pending]);
    let a = &st.rules[0].alerts[0];
    assert_eq!(a.active_at_ms, MIN);
    assert_eq!(
        a.labels,
        Labels::from_pairs([("alertname", "Down"), ("job", "api"), ("severity", "page")])
    );
    // ALERTS + ALERTS_FOR_STATE
    assert_eq!(out.samples.len(), 2);
    let alerts = &out.samples[0];
    assert_eq!(alerts.labels.get("__name__"), Some("ALERTS"));
    assert_eq!(alerts.labels.get("alertstate"), Some("pending"));
    assert_eq!(alerts.value, 1.0);
    assert_eq!(alerts.timestamp_ms, MIN);
    let fs = &out.samples[1];
    assert_eq!(fs.labels.get("__name__"), Some("ALERTS_FOR_STATE"));
    assert_eq!(fs.labels.get("alertstate"), None);
    assert_eq!(fs.value, 60.0);

    // Pending for 1m of the 2m `for`.
    eval_at(&g, &mut st, &mut storage, 2 * MIN);
    assert_eq!(states(&st, 0), vec![AlertState::Pending]);
    // Firing at activeAt + for; the pending ALERTS series gets a stale marker.
    let out = eval_at(&g, &mut st, &mut storage, 3 * MIN);
    assert_eq!(states(&st, 0), vec![AlertState::Firing]);
    assert_eq!(st.rules[0].alerts[0].fired_at_ms, Some(3 * MIN));
    let stale: Vec<_> = out.samples.iter().filter(|s| s.is_stale()).collect();
    assert_eq!(stale.len(), 1);
    assert_eq!(stale[0].labels.get("alertstate"), Some("pending"));
    assert_eq!(stale[0].timestamp_ms, 3 * MIN);
    // The engine sees only the firing alert.
    let engine = Engine::default();
    let res = engine
        .instant_query("ALERTS", 3 * MIN, &storage)
        .expect("query");
    match res.value {
        lakewatch_promql::Value::Vector(v) => {
            assert_eq!(v.len(), 1);
            assert_eq!(v[0].labels.get("alertstate"), Some("firing"));
        }
        other => panic!("{other:?}"),
    }

    // Resolved: inactive, kept, both series stale.
    let out = eval_at(&g, &mut st, &mut storage, 4 * MIN);
    assert_eq!(states(&st, 0), vec![AlertState::Inactive]);
    assert_eq!(st.rules[0].alerts[0].resolved_at_ms, Some(4 * MIN));
    assert_eq!(st.rules[0].active_alerts().count(), 0);
    assert_eq!(out.samples.len(), 2);
    assert!(out.samples.iter().all(|s| s.is_stale()));
    assert!(is_stale_nan(out.samples[0].value));

    // Kept exactly 15 minutes (`> resolvedRetention` deletes).
    eval_at(&g, &mut st, &mut storage, 4 * MIN + RESOLVED_RETENTION_MS);
    assert_eq!(st.rules[0].alerts.len(), 1);
    let out = eval_at(&g, &mut st, &mut storage, 5 * MIN + RESOLVED_RETENTION_MS);
    assert!(st.rules[0].alerts.is_empty());
    assert!(out.samples.is_empty());
}

#[test]
fn for_zero_fires_at_once_and_gap_restarts_pending() {
    let mut storage = MemStorage::new();
    storage.append(per_minute(
        &[("__name__", "load")],
        &[2.0, 2.0, 0.0, 2.0, 2.0, 2.0, 2.0],
    ));
    let g = group(vec![
        alert_rule("Now", "load > 1", 0, 0),
        alert_rule("Later", "load > 1", 3, 0),
    ]);
    let mut st = GroupState::default();
    eval_at(&g, &mut st, &mut storage, 0);
    assert_eq!(states(&st, 0), vec![AlertState::Firing]);
    assert_eq!(states(&st, 1), vec![AlertState::Pending]);
    eval_at(&g, &mut st, &mut storage, 2 * MIN);
    // A pending alert that disappears is dropped; a firing one is resolved.
    assert!(st.rules[1].alerts.is_empty());
    assert_eq!(states(&st, 0), vec![AlertState::Inactive]);
    eval_at(&g, &mut st, &mut storage, 3 * MIN);
    // A resolved alert returning is a new alert.
    assert_eq!(states(&st, 0), vec![AlertState::Firing]);
    assert_eq!(st.rules[0].alerts[0].active_at_ms, 3 * MIN);
    assert_eq!(st.rules[0].alerts[0].resolved_at_ms, None);
    for t in 4..6 {
        eval_at(&g, &mut st, &mut storage, t * MIN);
        assert_eq!(states(&st, 1), vec![AlertState::Pending], "t={t}m");
    }
    let out = eval_at(&g, &mut st, &mut storage, 6 * MIN);
    assert_eq!(states(&st, 1), vec![AlertState::Firing]);
    let fs = out
        .samples
        .iter()
        .find(|s| {
            s.labels.get("__name__") == Some("ALERTS_FOR_STATE")
                && s.labels.get("alertname") == Some("Later")
        })
        .expect("for state");
    assert_eq!(fs.value, 180.0);
}

#[test]
fn keep_firing_for_holds_then_resolves() {
    let mut storage = MemStorage::new();
    storage.append(per_minute(
        &[("__name__", "errs")],
        &[1.0, 0.0, 0.0, 0.0, 0.0, 1.0],
    ));
    let g = group(vec![alert_rule("E", "errs > 0", 0, 3)]);
    let mut st = GroupState::default();
    eval_at(&g, &mut st, &mut storage, 0);
    assert_eq!(states(&st, 0), vec![AlertState::Firing]);
    for t in 1..4 {
        let out = eval_at(&g, &mut st, &mut storage, t * MIN);
        assert_eq!(states(&st, 0), vec![AlertState::Firing], "t={t}m");
        assert_eq!(st.rules[0].alerts[0].keep_firing_since_ms, Some(MIN));
        assert!(out
            .samples
            .iter()
            .any(|s| s.labels.get("alertstate") == Some("firing") && !s.is_stale()));
    }
    eval_at(&g, &mut st, &mut storage, 4 * MIN);
    assert_eq!(states(&st, 0), vec![AlertState::Inactive]);
    assert_eq!(st.rules[0].alerts[0].resolved_at_ms, Some(4 * MIN));
    // Returning again: a new alert.
    eval_at(&g, &mut st, &mut storage, 5 * MIN);
    assert_eq!(states(&st, 0), vec![AlertState::Firing]);
    assert_eq!(st.rules[0].alerts[0].keep_firing_since_ms, None);
}

#[test]
fn keep_firing_for_resets_when_the_expression_returns() {
    let mut storage = MemStorage::new();
    storage.append(per_minute(
        &[("__name__", "errs")],
        &[1.0, 0.0, 1.0, 0.0, 0.0],
    ));
    let g = group(vec![alert_rule("E", "errs > 0", 0, 2)]);
    let mut st = GroupState::default();
    for t in 0..5 {
        eval_at(&g, &mut st, &mut storage, t * MIN);
    }
    // Kept since 3m: 4m - 3m < 2m; still the alert that became active at 0.
    assert_eq!(states(&st, 0), vec![AlertState::Firing]);
    assert_eq!(st.rules[0].alerts[0].keep_firing_since_ms, Some(3 * MIN));
    assert_eq!(st.rules[0].alerts[0].active_at_ms, 0);
}

#[test]
fn limit_exceeded_drops_all_alerts() {
    let mut storage = MemStorage::new();
    for i in 0..3 {
        let inst = format!("i{i}");
        storage.append(series(
            &[("__name__", "up"), ("instance", &inst)],
            &[(0, 0.0)],
        ));
    }
    let mut g = group(vec![
        alert_rule("Down", "up == 0", 0, 0),
        record_rule("up:count", "count(up)"),
    ]);
    g.limit = 2;
    let mut st = GroupState::default();
    let out = eval_at(&g, &mut st, &mut storage, 0);
    assert_eq!(out.errors.len(), 1);
    assert_eq!(out.errors[0].error, "exceeded limit of 2 with 3 alerts");
    assert_eq!(st.rules[0].health, RuleHealth::Err);
    assert_eq!(
        st.rules[0].last_error.as_deref(),
        Some("exceeded limit of 2 with 3 alerts")
    );
    assert!(st.rules[0].alerts.is_empty());
    // The failing rule does not stop the next one.
    assert_eq!(st.rules[1].health, RuleHealth::Ok);
    assert_eq!(out.samples.len(), 1);
    assert_eq!(out.samples[0].labels.get("__name__"), Some("up:count"));

    // Recording limit; a failing rule writes no stale markers for its previous series.
    g.limit = 1;
    g.rules[1].expr = "up".into();
    let out = eval_at(&g, &mut st, &mut storage, MIN);
    assert_eq!(out.errors.len(), 2);
    assert_eq!(out.errors[1].error, "exceeded limit of 1 with 3 series");
    assert!(out.samples.is_empty());
}

#[test]
fn duplicate_labelsets_are_rule_errors() {
    let mut storage = MemStorage::new();
    storage.append(series(&[("__name__", "a"), ("x", "1")], &[(0, 1.0)]));
    storage.append(series(&[("__name__", "b"), ("x", "1")], &[(0, 1.0)]));
    let mut st = GroupState::default();
    // Two series, equal once __name__ is dropped / replaced.
    let g = group(vec![
        alert_rule("Dup", "{__name__=~\"a|b\"}", 0, 0),
        record_rule("r", "{__name__=~\"a|b\"}"),
        alert_rule("Fine", "a", 0, 0),
    ]);
    let out = eval_at(&g, &mut st, &mut storage, 0);
    assert_eq!(
        st.rules[0].last_error.as_deref(),
        Some(ERR_DUPLICATE_ALERT_LABELSET)
    );
    assert_eq!(
        st.rules[1].last_error.as_deref(),
        Some(ERR_DUPLICATE_RECORDING_LABELSET)
    );
    assert!(st.rules[0].alerts.is_empty());
    assert_eq!(st.rules[2].health, RuleHealth::Ok);
    assert_eq!(states(&st, 2), vec![AlertState::Firing]);
    assert_eq!(out.errors.len(), 2);
}

#[test]
fn invalid_expression_does_not_stop_other_rules() {
    let mut storage = MemStorage::new();
    storage.append(series(&[("__name__", "m")], &[(0, 5.0)]));
    let g = group(vec![
        alert_rule("Bad", "sum(", 0, 0),
        record_rule("m:x", "m"),
    ]);
    let mut st = GroupState::default();
    let out = eval_at(&g, &mut st, &mut storage, 0);
    assert_eq!(st.rules[0].health, RuleHealth::Err);
    assert!(st.rules[0].last_error.is_some());
    assert_eq!(st.rules[1].health, RuleHealth::Ok);
    assert_eq!(out.samples.len(), 1);
    assert_eq!(out.samples[0].value, 5.0);
    // Unknown before the first evaluation.
    assert_eq!(GroupState::default().rules.len(), 0);
    assert_eq!(RuleHealth::default(), RuleHealth::Unknown);
}

#[test]
fn recording_rules_rename_label_chain_and_go_stale() {
    let mut storage = MemStorage::new();
    storage.append(series(
        &[("__name__", "req"), ("job", "a")],
        &[(0, 1.0), (MIN, 2.0), (2 * MIN, 2.0)],
    ));
    storage.append(series(
        &[("__name__", "req"), ("job", "b")],
        &[(0, 3.0), (MIN, 3.0), (2 * MIN, 3.0)],
    ));
    let mut first = record_rule("job:req", "req");
    first.labels = BTreeMap::from([("job".into(), "fixed".into()), ("tier".into(), "1".into())]);
    let mut g = group(vec![
        first,
        record_rule("job:req:sum", "sum(req)"),
        // Sees the previous rule's output of the same evaluation.
        record_rule("job:req:sum2", "job:req:sum * 2"),
    ]);
    let mut st = GroupState::default();
    // Rule labels override: both series become job="fixed" -> duplicate.
    let out = eval_at(&g, &mut st, &mut storage, 0);
    assert_eq!(
        st.rules[0].last_error.as_deref(),
        Some(ERR_DUPLICATE_RECORDING_LABELSET)
    );
    let find = |out: &GroupOutcome, name: &str| {
        out.samples
            .iter()
            .find(|s| s.labels.get("__name__") == Some(name))
            .map(|s| s.value)
    };
    assert_eq!(find(&out, "job:req:sum"), Some(4.0));
    assert_eq!(find(&out, "job:req:sum2"), Some(8.0));

    g.rules[0].labels = BTreeMap::from([("tier".into(), "1".into())]);
    let out = eval_at(&g, &mut st, &mut storage, MIN);
    let rec: Vec<_> = out
        .samples
        .iter()
        .filter(|s| s.labels.get("__name__") == Some("job:req"))
        .collect();
    assert_eq!(rec.len(), 2);
    assert_eq!(
        rec[0].labels,
        Labels::from_pairs([("__name__", "job:req"), ("job", "a"), ("tier", "1")])
    );
    assert_eq!(rec[0].timestamp_ms, MIN);
    assert_eq!(rec[0].value, 2.0);

    // The rule is renamed: its old series go stale at the next evaluation (Prometheus
    // CopyState + staleSeries).
    g.rules[0].record = Some("job:req:v2".into());
    let out = eval_at(&g, &mut st, &mut storage, 2 * MIN);
    let stale: Vec<_> = out.samples.iter().filter(|s| s.is_stale()).collect();
    assert_eq!(stale.len(), 2);
    assert!(stale
        .iter()
        .all(|s| s.labels.get("__name__") == Some("job:req")));
    assert!(st.stale_series.is_empty());
}

#[test]
fn series_gone_from_a_recording_rule_get_stale_markers() {
    let mut storage = MemStorage::new();
    storage.append(series(
        &[("__name__", "m"), ("k", "1")],
        &[(0, 1.0), (MIN, 0.0)],
    ));
    storage.append(series(
        &[("__name__", "m"), ("k", "2")],
        &[(0, 1.0), (MIN, 1.0)],
    ));
    let g = group(vec![record_rule("r", "m == 1")]);
    let mut st = GroupState::default();
    let out = eval_at(&g, &mut st, &mut storage, 0);
    assert_eq!(out.samples.len(), 2);
    let out = eval_at(&g, &mut st, &mut storage, MIN);
    let stale: Vec<_> = out.samples.iter().filter(|s| s.is_stale()).collect();
    assert_eq!(stale.len(), 1);
    assert_eq!(stale[0].labels.get("k"), Some("1"));
    assert_eq!(stale[0].timestamp_ms, MIN);
    assert_eq!(st.rules[0].series_in_previous_eval.len(), 1);
}

#[test]
fn query_offset_shifts_query_and_samples() {
    let mut storage = MemStorage::new();
    storage.append(series(&[("__name__", "m")], &[(0, 1.0), (2 * MIN, 2.0)]));
    let mut g = group(vec![record_rule("m:copy", "m")]);
    g.query_offset = Some(Duration::from_secs(90));
    let mut st = GroupState::default();
    let out = eval_at(&g, &mut st, &mut storage, 2 * MIN);
    assert_eq!(out.samples.len(), 1);
    assert_eq!(out.samples[0].timestamp_ms, 30_000);
    assert_eq!(out.samples[0].value, 1.0);
}

#[test]
fn scalar_and_string_results() {
    let mut storage = MemStorage::new();
    let g = group(vec![record_rule("one", "1"), record_rule("s", "\"x\"")]);
    let mut st = GroupState::default();
    let out = eval_at(&g, &mut st, &mut storage, MIN);
    assert_eq!(out.samples.len(), 1);
    assert_eq!(
        out.samples[0].labels,
        Labels::from_pairs([("__name__", "one")])
    );
    assert_eq!(
        st.rules[1].last_error.as_deref(),
        Some("rule result is not a vector or scalar")
    );
}

#[test]
fn alerts_family_labels_and_group_labels() {
    let mut storage = MemStorage::new();
    storage.append(series(&[("__name__", "up"), ("job", "x")], &[(0, 0.0)]));
    let mut r = alert_rule("Down", "up == 0", 0, 0);
    r.labels = BTreeMap::from([("team".into(), "ops".into())]);
    let mut g = group(vec![r]);
    g.labels = BTreeMap::from([
        ("team".into(), "group".into()),
        ("env".into(), "prod".into()),
    ]);
    let mut st = GroupState::default();
    let out = eval_at(&g, &mut st, &mut storage, 0);
    assert_eq!(
        st.rules[0].alerts[0].labels,
        Labels::from_pairs([
            ("alertname", "Down"),
            ("env", "prod"),
            ("job", "x"),
            ("team", "ops")
        ])
    );
    assert_eq!(
        out.samples[0].labels,
        Labels::from_pairs([
            ("__name__", "ALERTS"),
            ("alertname", "Down"),
            ("alertstate", "firing"),
            ("env", "prod"),
            ("job", "x"),
            ("team", "ops")
        ])
    );
}

#[test]
fn resend_decisions() {
    let mut storage = MemStorage::new();
    storage.append(per_minute(&[("__name__", "up")], &[0.0, 0.0, 0.0, 1.0]));
    let g = group(vec![alert_rule("Down", "up == 0", 1, 0)]);
    let mut st = GroupState::default();
    eval_at(&g, &mut st, &mut storage, 0);
    // Pending alerts are not sent.
    assert!(alerts_to_send(&st, 0, MIN).is_empty());
    eval_at(&g, &mut st, &mut storage, MIN);
    let sent = mark_sent(&mut st, MIN, MIN);
    assert_eq!(sent.len(), 1);
    // endsAt = now + 4 × max(interval 1m, resend 1m)
    assert_eq!(sent[0].1.valid_until_ms, Some(MIN + 4 * MIN));
    assert_eq!(st.rules[0].alerts[0].last_sent_at_ms, Some(MIN));
    eval_at(&g, &mut st, &mut storage, 2 * MIN);
    // Sent 1m ago: not strictly older than the resend delay.
    assert!(alerts_to_send(&st, 2 * MIN, MIN).is_empty());
    assert_eq!(alerts_to_send(&st, 2 * MIN + 1, MIN).len(), 1);
    // Resolved: sent at once.
    eval_at(&g, &mut st, &mut storage, 3 * MIN);
    let r = mark_sent(&mut st, 3 * MIN, MIN);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].1.state, AlertState::Inactive);
    assert_eq!(r[0].1.resolved_at_ms, Some(3 * MIN));
    // Then every resend delay while kept.
    assert!(alerts_to_send(&st, 3 * MIN + 30_000, MIN).is_empty());
    assert_eq!(alerts_to_send(&st, 5 * MIN, MIN).len(), 1);
}

#[test]
fn state_round_trips_through_json() {
    let mut storage = MemStorage::new();
    storage.append(series(&[("__name__", "up")], &[(0, 0.0), (MIN, 0.0)]));
    let g = group(vec![alert_rule("Down", "up == 0", 5, 0)]);
    let mut st = GroupState::default();
    eval_at(&g, &mut st, &mut storage, 0);
    let json = serde_json::to_string(&st).expect("serialise");
    assert!(json.contains("\"pending\""));
    let mut back: GroupState = serde_json::from_str(&json).expect("deserialise");
    // (Fractional durations may lose their last bit through serde_json.)
    back.evaluation_duration_ms = st.evaluation_duration_ms;
    back.rules[0].evaluation_duration_ms = st.rules[0].evaluation_duration_ms;
    assert_eq!(back, st);
    // A cold start continues the state.
    eval_at(&g, &mut back, &mut storage, MIN);
    assert_eq!(back.rules[0].alerts[0].active_at_ms, 0);
}

#[test]
fn func_source_for_other_engines() {
    // A LogQL-style source: any (expr, time) -> vector function.
    let f = |expr: &str, t: i64| -> Result<Vec<lakewatch_promql::InstantSample>, String> {
        if expr.starts_with("sum(rate({app=\"api\"}") {
            Ok(vec![lakewatch_promql::InstantSample {
                labels: Labels::from_pairs([("app", "api")]),
                timestamp_ms: t,
                value: 12.0,
                histogram: None,
            }])
        } else {
            Err(format!("parse error: {expr}"))
        }
    };
    let mut g = group(vec![
        alert_rule(
            "LogErrors",
            "sum(rate({app=\"api\"} |= \"error\" [1m])) by (app) > 10",
            0,
            0,
        ),
        record_rule("app:errors:rate1m", "sum(rate({app=\"api\"}[1m]))"),
        record_rule("bad", "{"),
    ]);
    g.language = lakewatch_ruler::ExprLanguage::LogQL;
    let mut st = GroupState::default();
    let ctx = EvalContext::new(5 * MIN, QuerySource::Func(&f));
    let out = evaluate_group(&g, &mut st, &ctx);
    assert_eq!(states(&st, 0), vec![AlertState::Firing]);
    assert_eq!(st.rules[0].alerts[0].value, 12.0);
    assert_eq!(
        out.samples
            .iter()
            .filter(|s| s.labels.get("__name__") == Some("app:errors:rate1m"))
            .count(),
        1
    );
    assert_eq!(st.rules[2].health, RuleHealth::Err);
    assert_eq!(st.rules[2].last_error.as_deref(), Some("parse error: {"));
}

#[test]
fn templated_labels_and_annotations() {
    let mut storage = MemStorage::new();
    storage.append(series(
        &[("__name__", "lat"), ("instance", "w1")],
        &[(0, 1.5)],
    ));
    let mut r = alert_rule("Slow", "lat > 1", 0, 0);
    r.labels = BTreeMap::from([(
        "severity".into(),
        "{{ if gt $value 1.0 }}critical{{ else }}warning{{ end }}".into(),
    )]);
    r.annotations = BTreeMap::from([
        (
            "summary".into(),
            "{{ $labels.instance }} at {{ $value }} ({{ $externalLabels.cluster }})".into(),
        ),
        ("broken".into(), "{{ \"abc\" | humanize }}".into()),
    ]);
    let g = group(vec![r]);
    let mut st = GroupState::default();
    let engine = Engine::default();
    let mut ctx = EvalContext::new(
        0,
        QuerySource::PromQL {
            engine: &engine,
            storage: &storage,
        },
    );
    ctx.external_labels = Labels::from_pairs([("cluster", "eu-1")]);
    let out = evaluate_group(&g, &mut st, &ctx);
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let a = &st.rules[0].alerts[0];
    assert_eq!(a.labels.get("severity"), Some("critical"));
    assert_eq!(a.annotations.get("summary"), Some("w1 at 1.5 (eu-1)"));
    // A template failure is embedded, not a rule error (Prometheus alerting.go).
    let broken = a.annotations.get("broken").unwrap_or("");
    assert!(
        broken.starts_with("<error expanding template: error executing template __alert_Slow: "),
        "{broken}"
    );
}
