//! One evaluation of an alerting rule: the alert state machine of Prometheus's
//! `rules/alerting.go` (`AlertingRule.Eval`). Times in **ms**.

use std::collections::HashMap;

use lakewatch_model::{Labels, METRIC_NAME};
use lakewatch_promql::InstantSample;

use crate::alert::{Alert, AlertState};
use crate::rules::Rule;
use crate::template::{self, QuerySample, TemplateData};

use super::{OutputSample, RuleEnv};

/// How long a resolved alert is kept (and re-sent as resolved): Prometheus's
/// `resolvedRetention`, 15 minutes.
pub const RESOLVED_RETENTION_MS: i64 = 15 * 60 * 1000;

/// Prometheus's `ErrDuplicateAlertLabelSet`.
pub const ERR_DUPLICATE_ALERT_LABELSET: &str =
    "vector contains metrics with the same labelset after applying alert labels";

/// Evaluates `rule` at `env.time_ms` (the query runs at `time_ms - query_offset_ms`), updating
/// `alerts` in place; returns the `ALERTS` / `ALERTS_FOR_STATE` samples (at
/// `time_ms - query_offset_ms`). On error (query failure, duplicate label sets) `alerts` is
/// unchanged; when `limit` is exceeded all alerts of the rule are dropped and the error is
/// `exceeded limit of L with N alerts`, as Prometheus.
pub(crate) fn eval_alerting(
    rule: &Rule,
    name: &str,
    rule_labels: &Labels,
    env: &RuleEnv<'_>,
    limit: u64,
    alerts: &mut Vec<Alert>,
) -> Result<Vec<OutputSample>, String> {
    let ts = env.time_ms;
    let sample_ts = ts - env.query_offset_ms;
    let res = (env.query)(&rule.expr, sample_ts)?;
    let hold_ms = rule.for_.as_millis() as i64;
    let keep_firing_ms = rule.keep_firing_for.as_millis() as i64;

    let template_query = |q: &str| -> Result<Vec<QuerySample>, String> {
        (env.query)(q, ts).map(|v| {
            v.into_iter()
                .map(|s| QuerySample {
                    labels: s.labels,
                    value: s.value,
                })
                .collect()
        })
    };
    let tmpl_name = format!("__alert_{name}");

    // New alert instances from this evaluation's result, keyed by their final labels.
    let mut fresh: HashMap<Labels, Alert> = HashMap::with_capacity(res.len());
    for smpl in &res {
        // A histogram sample's float value is 0 (Prometheus `Sample.F`).
        let value = if smpl.histogram.is_some() {
            0.0
        } else {
            smpl.value
        };
        let data = TemplateData {
            labels: &smpl.labels,
            value,
            external_labels: env.external_labels,
            external_url: env.external_url,
        };
        let expand = |text: &str| -> String {
            template::expand(&tmpl_name, text, &data, &template_query, ts)
                .unwrap_or_else(|e| format!("<error expanding template: {e}>"))
        };
        let mut lbs = alert_base_labels(smpl);
        // The rule's labels merged over the group's (Prometheus 3 group `labels`), templated.
        for l in rule_labels.iter() {
            lbs.set(&l.name, &expand(&l.value));
        }
        lbs.set("alertname", name);
        let annotations = Labels::from_pairs(
            rule.annotations
                .iter()
                .map(|(k, v)| (k.clone(), expand(v)))
                .collect::<Vec<_>>(),
        );
        if fresh.contains_key(&lbs) {
            return Err(ERR_DUPLICATE_ALERT_LABELSET.to_string());
        }
        fresh.insert(
            lbs.clone(),
            Alert {
                labels: lbs,
                annotations,
                state: AlertState::Pending,
                value,
                active_at_ms: ts,
                fired_at_ms: None,
                resolved_at_ms: None,
                last_sent_at_ms: None,
                valid_until_ms: None,
                keep_firing_since_ms: None,
            },
        );
    }

    // Merge with the existing instances: a still-active instance keeps its state and only
    // takes the new value and annotations; a resolved one is replaced by a new pending one.
    let mut active: HashMap<Labels, Alert> =
        alerts.drain(..).map(|a| (a.labels.clone(), a)).collect();
    for (h, a) in &fresh {
        match active.get_mut(h) {
            Some(cur) if cur.state != AlertState::Inactive => {
                cur.value = a.value;
                cur.annotations = a.annotations.clone();
            }
            _ => {
                active.insert(h.clone(), a.clone());
            }
        }
    }

    let mut keys: Vec<Labels> = active.keys().cloned().collect();
    keys.sort();
    let mut out = Vec::new();
    let mut num_active_pending: u64 = 0;
    for fp in keys {
        let Some(a) = active.get_mut(&fp) else {
            continue;
        };
        if !fresh.contains_key(&fp) {
            let mut keep_firing = false;
            if a.state == AlertState::Firing && keep_firing_ms > 0 {
                let since = *a.keep_firing_since_ms.get_or_insert(ts);
                if ts - since < keep_firing_ms {
                    keep_firing = true;
                }
            }
            let delete = a.state == AlertState::Pending
                || a.resolved_at_ms
                    .is_some_and(|r| ts - r > RESOLVED_RETENTION_MS);
            if a.state != AlertState::Inactive && !keep_firing {
                a.state = AlertState::Inactive;
                a.resolved_at_ms = Some(ts);
            }
            if delete {
                active.remove(&fp);
                continue;
            }
            if !keep_firing {
                continue;
            }
        } else {
            a.keep_firing_since_ms = None;
        }
        num_active_pending += 1;

        if a.state == AlertState::Pending && ts - a.active_at_ms >= hold_ms {
            a.state = AlertState::Firing;
            a.fired_at_ms = Some(ts);
        }
        // A shortened `for` after a reload can move a firing alert back to pending.
        if a.state == AlertState::Firing && ts - a.active_at_ms < hold_ms {
            a.state = AlertState::Pending;
            a.fired_at_ms = None;
            a.last_sent_at_ms = None;
            a.keep_firing_since_ms = None;
        }
        out.push(alerts_sample(rule_labels, name, a, sample_ts));
        out.push(for_state_sample(rule_labels, name, a, sample_ts));
    }

    if limit > 0 && num_active_pending > limit {
        alerts.clear();
        return Err(format!(
            "exceeded limit of {limit} with {num_active_pending} alerts"
        ));
    }
    let mut kept: Vec<Alert> = active.into_values().collect();
    kept.sort_by(|a, b| a.labels.cmp(&b.labels));
    *alerts = kept;
    Ok(out)
}

/// The series' labels without `__name__`.
fn alert_base_labels(smpl: &InstantSample) -> Labels {
    let mut l = smpl.labels.clone();
    l.remove(METRIC_NAME);
    l
}

/// Labels of the `ALERTS`-family samples: the rule's raw labels, overridden by the alert's, then
/// `__name__` and `alertname` (Prometheus `AlertingRule.sample` / `forStateSample`).
fn family_labels(rule_labels: &Labels, name: &str, alert: &Alert, metric: &str) -> Labels {
    let mut l = rule_labels.clone();
    for x in alert.labels.iter() {
        l.set(&x.name, &x.value);
    }
    l.set(METRIC_NAME, metric);
    l.set("alertname", name);
    l
}

/// `ALERTS{alertname, alertstate, …} 1`.
fn alerts_sample(rule_labels: &Labels, name: &str, alert: &Alert, ts: i64) -> OutputSample {
    let mut labels = family_labels(rule_labels, name, alert, "ALERTS");
    labels.set("alertstate", alert.state.as_str());
    OutputSample {
        labels,
        timestamp_ms: ts,
        value: 1.0,
        histogram: None,
    }
}

/// `ALERTS_FOR_STATE{alertname, …}` = `activeAt` in whole seconds since the epoch.
fn for_state_sample(rule_labels: &Labels, name: &str, alert: &Alert, ts: i64) -> OutputSample {
    OutputSample {
        labels: family_labels(rule_labels, name, alert, "ALERTS_FOR_STATE"),
        timestamp_ms: ts,
        value: alert.active_at_ms.div_euclid(1000) as f64,
        histogram: None,
    }
}
