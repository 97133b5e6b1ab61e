//! `GET /api/v1/rules` (Prometheus `web/api/v1/api.go` `rules`) from the stored PromQL groups
//! of every query tenant. No evaluation state exists yet: every rule answers as Prometheus does
//! before its first evaluation (`health` `unknown`, alerting rules `inactive` with no alerts,
//! `evaluationTime` 0, `lastEvaluation` `0001-01-01T00:00:00Z`).
//!
//! Filters as Prometheus: `type` (`alert` | `record`), `rule_name[]`, `rule_group[]`, `file[]`
//! (the namespace); a group left without rules by `type` or `rule_name[]` is dropped. Groups are
//! sorted by file then name, as Prometheus's rule manager lists them. Durations (`interval`,
//! `duration`, `keepFiringFor`) are seconds.

use crate::app::App;
use crate::json;
use crate::params::Params;
use crate::response::{ApiData, ApiError, ApiResult};
use crate::tenants::Tenants;
use lakewatch_ruler::rules::{go_quote, ExprLanguage, Rule, RuleGroup};
use lakewatch_ruler::store::RulesStore;
use std::collections::BTreeMap;
use std::time::Duration;

/// Go's zero `time.Time` in JSON: the `lastEvaluation` of a never-evaluated rule or group.
pub const ZERO_TIME: &str = "0001-01-01T00:00:00Z";
/// The global evaluation interval a group without `interval` runs at (Prometheus default 1 m).
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(60);

/// Seconds as Go's `encoding/json` prints a float64 (`60`, `0.5`).
fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 && s < 1e21 {
        format!("{}", s as u64)
    } else {
        format!("{s}")
    }
}

fn push_map(out: &mut String, m: &BTreeMap<String, String>) {
    out.push('{');
    for (i, (k, v)) in m.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json::push_str(out, k);
        out.push(':');
        json::push_str(out, v);
    }
    out.push('}');
}

/// The rule's query as Prometheus prints a parsed expression (`rule.Query().String()`); the
/// stored text when it does not parse here.
fn query_text(expr: &str) -> String {
    promql_parser::parser::parse(expr)
        .map(|e| e.to_string())
        .unwrap_or_else(|_| expr.to_string())
}

/// The rule's labels: the group's `labels` overridden by the rule's own (Prometheus 3).
fn rule_labels(group: &RuleGroup, rule: &Rule) -> BTreeMap<String, String> {
    let mut labels = group.labels.clone();
    labels.extend(rule.labels.clone());
    labels
}

fn push_rule(out: &mut String, group: &RuleGroup, rule: &Rule) {
    let labels = rule_labels(group, rule);
    if rule.is_alerting() {
        out.push_str(r#"{"state":"inactive","name":"#);
        json::push_str(out, rule.name());
        out.push_str(r#","query":"#);
        json::push_str(out, &query_text(&rule.expr));
        out.push_str(&format!(
            r#","duration":{},"keepFiringFor":{},"labels":"#,
            seconds(rule.for_),
            seconds(rule.keep_firing_for)
        ));
        push_map(out, &labels);
        out.push_str(r#","annotations":"#);
        push_map(out, &rule.annotations);
        out.push_str(r#","alerts":[],"health":"unknown","evaluationTime":0,"lastEvaluation":"#);
        json::push_str(out, ZERO_TIME);
        out.push_str(r#","type":"alerting"}"#);
    } else {
        out.push_str(r#"{"name":"#);
        json::push_str(out, rule.name());
        out.push_str(r#","query":"#);
        json::push_str(out, &query_text(&rule.expr));
        if !labels.is_empty() {
            out.push_str(r#","labels":"#);
            push_map(out, &labels);
        }
        out.push_str(r#","health":"unknown","evaluationTime":0,"lastEvaluation":"#);
        json::push_str(out, ZERO_TIME);
        out.push_str(r#","type":"recording"}"#);
    }
}

/// `GET /api/v1/rules`: `{"groups":[{"name","file","rules":[…],"interval","limit",
/// "evaluationTime","lastEvaluation"}]}`. Errors: 400 `not supported value "<type>"` for an
/// unknown `type`; 500 when the store fails.
pub async fn rules(app: &App, tenants: &Tenants, p: &Params) -> ApiResult {
    let typ = p.value("type").to_ascii_lowercase();
    let (want_alert, want_record) = match typ.as_str() {
        "" => (true, true),
        "alert" => (true, false),
        "record" => (false, true),
        _ => {
            return Err(ApiError::bad_data(format!(
                "not supported value {}",
                go_quote(p.value("type"))
            )))
        }
    };
    let names = p.get_all("rule_name[]");
    let groups_f = p.get_all("rule_group[]");
    let files = p.get_all("file[]");
    let rule_filter = !typ.is_empty() || !names.is_empty();
    let store = RulesStore::new(app.store.clone());
    let mut all: Vec<(String, RuleGroup)> = Vec::new();
    for t in tenants.as_slice() {
        let namespaces = store
            .list(t, ExprLanguage::PromQL)
            .await
            .map_err(ApiError::internal)?;
        for (ns, file) in namespaces {
            all.extend(file.groups.into_iter().map(|g| (ns.clone(), g)));
        }
    }
    all.sort_by(|a, b| (&a.0, &a.1.name).cmp(&(&b.0, &b.1.name)));
    let mut out = String::from(r#"{"groups":["#);
    let mut first = true;
    for (file, group) in &all {
        if !files.is_empty() && !files.contains(&file.as_str()) {
            continue;
        }
        if !groups_f.is_empty() && !groups_f.contains(&group.name.as_str()) {
            continue;
        }
        let rules: Vec<&Rule> = group
            .rules
            .iter()
            .filter(|r| {
                if r.is_alerting() {
                    want_alert
                } else {
                    want_record
                }
            })
            .filter(|r| names.is_empty() || names.contains(&r.name()))
            .collect();
        if rules.is_empty() && rule_filter {
            continue;
        }
        if !first {
            out.push(',');
        }
        first = false;
        out.push_str(r#"{"name":"#);
        json::push_str(&mut out, &group.name);
        out.push_str(r#","file":"#);
        json::push_str(&mut out, file);
        out.push_str(r#","rules":["#);
        for (i, r) in rules.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_rule(&mut out, group, r);
        }
        out.push_str(&format!(
            r#"],"interval":{},"limit":{},"evaluationTime":0,"lastEvaluation":"#,
            seconds(group.interval.unwrap_or(DEFAULT_INTERVAL)),
            group.limit
        ));
        json::push_str(&mut out, ZERO_TIME);
        out.push('}');
    }
    out.push_str("]}");
    Ok(ApiData::json(out))
}
