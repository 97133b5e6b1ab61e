//! `GET /api/v1/rules` exactly as Prometheus 3.5 (`web/api/v1/api.go` `rules`, the
//! `RuleGroup` / `AlertingRule` / `RecordingRule` structs) from the stored PromQL groups of every
//! query tenant, joined with the scheduled ruler's persisted state ([`super::view`]).
//!
//! - Per rule: `health` (`unknown` | `ok` | `err`), `lastError` (omitted when empty),
//!   `evaluationTime` (seconds, float) and `lastEvaluation` (RFC 3339 UTC with nanoseconds as
//!   Go prints `time.Time`; `0001-01-01T00:00:00Z` before the first evaluation). Alerting
//!   rules add `state` (`firing` | `pending` | `inactive`, [`super::view::rule_alert_state`])
//!   and `alerts` (the active alerts, [`super::alerts::push_alert`]).
//! - Per group: `interval` (seconds; 60 when the group has none), `limit`, `evaluationTime`
//!   and `lastEvaluation` of the last group evaluation.
//! - Groups without state (never evaluated) list as before their first evaluation.
//!
//! Parameters as Prometheus: `match[]` (rules whose labels match any selector), `type`
//! (`alert` | `record`), `rule_name[]`, `rule_group[]`, `file[]` (the namespace),
//! `exclude_alerts` (Go `ParseBool`; `true` writes `"alerts":null` as Prometheus does),
//! `group_limit` (> 0) with `group_next_token` (`hex(sha1(file + ";" + group))` of the first
//! group of the next page, answered as `groupNextToken`). A group left without rules is
//! dropped. Groups are sorted by file then name. Durations (`interval`, `duration`,
//! `keepFiringFor`) are seconds.

use super::gofmt::{duration_seconds, go_time_ms, ms_seconds, parse_bool};
use super::sha1::sha1_hex;
use super::view::{align, load_groups, load_states, rule_alert_state, ListedGroup};
use crate::app::App;
use crate::json;
use crate::matchers::parse_match_params;
use crate::params::Params;
use crate::response::{ApiData, ApiError, ApiResult};
use crate::tenants::Tenants;
use lakewatch_model::{LabelMatcher, Labels};
use lakewatch_ruler::eval::{GroupState, RuleState};
use lakewatch_ruler::rules::{go_quote, ExprLanguage, Rule, RuleGroup};
use std::collections::BTreeMap;
use std::time::Duration;

pub use super::gofmt::ZERO_TIME;

/// The global evaluation interval a group without `interval` runs at (Prometheus default 1 m).
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(60);

/// Appends a string map as a JSON object (keys sorted).
pub(crate) fn push_map(out: &mut String, m: &BTreeMap<String, String>) {
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
pub(crate) fn rule_labels(group: &RuleGroup, rule: &Rule) -> BTreeMap<String, String> {
    let mut labels = group.labels.clone();
    labels.extend(rule.labels.clone());
    labels
}

/// `health`, `lastError` (omitted when empty), `evaluationTime`, `lastEvaluation`, `type`.
fn push_status(out: &mut String, st: Option<&RuleState>, typ: &str) {
    out.push_str(r#","health":"#);
    json::push_str(out, st.map_or("unknown", |s| s.health.as_str()));
    if let Some(e) = st.and_then(|s| s.last_error.as_deref()) {
        if !e.is_empty() {
            out.push_str(r#","lastError":"#);
            json::push_str(out, e);
        }
    }
    out.push_str(r#","evaluationTime":"#);
    out.push_str(&ms_seconds(st.map_or(0.0, |s| s.evaluation_duration_ms)));
    out.push_str(r#","lastEvaluation":"#);
    json::push_str(out, &go_time_ms(st.and_then(|s| s.last_evaluation_ms)));
    out.push_str(r#","type":"#);
    json::push_str(out, typ);
    out.push('}');
}

fn push_rule(
    out: &mut String,
    group: &RuleGroup,
    rule: &Rule,
    st: Option<&RuleState>,
    exclude_alerts: bool,
) {
    let labels = rule_labels(group, rule);
    if rule.is_alerting() {
        out.push_str(r#"{"state":"#);
        json::push_str(out, rule_alert_state(rule, st));
        out.push_str(r#","name":"#);
        json::push_str(out, rule.name());
        out.push_str(r#","query":"#);
        json::push_str(out, &query_text(&rule.expr));
        out.push_str(&format!(
            r#","duration":{},"keepFiringFor":{},"labels":"#,
            duration_seconds(rule.for_),
            duration_seconds(rule.keep_firing_for)
        ));
        push_map(out, &labels);
        out.push_str(r#","annotations":"#);
        push_map(out, &rule.annotations);
        if exclude_alerts {
            // Prometheus leaves the slice nil: `null`.
            out.push_str(r#","alerts":null"#);
        } else {
            out.push_str(r#","alerts":"#);
            super::alerts::push_alert_list(out, rule, st, true);
        }
        push_status(out, st, "alerting");
    } else {
        out.push_str(r#"{"name":"#);
        json::push_str(out, rule.name());
        out.push_str(r#","query":"#);
        json::push_str(out, &query_text(&rule.expr));
        // Prometheus 3.5: `labels,omitempty`.
        if !labels.is_empty() {
            out.push_str(r#","labels":"#);
            push_map(out, &labels);
        }
        push_status(out, st, "recording");
    }
}

/// Appends `{"name":…,"file":…,"rules":[…]` (the array closed, the object not) for the rules
/// `rules` (indexes into the group) of `g`, each written by `push_rule` with its state
/// aligned to the current rules; the Prometheus and Loki listings differ only in the rules'
/// fields and the group fields that follow.
pub(crate) fn push_group_rules(
    out: &mut String,
    g: &ListedGroup,
    rules: &[usize],
    state: Option<&GroupState>,
    mut push_rule: impl FnMut(&mut String, &Rule, Option<&RuleState>),
) {
    let aligned = align(&g.group, state);
    out.push_str(r#"{"name":"#);
    json::push_str(out, &g.group.name);
    out.push_str(r#","file":"#);
    json::push_str(out, &g.file);
    out.push_str(r#","rules":["#);
    for (n, &i) in rules.iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        push_rule(out, &g.group.rules[i], aligned[i]);
    }
    out.push(']');
}

fn push_group(
    out: &mut String,
    g: &ListedGroup,
    rules: &[usize],
    state: Option<&GroupState>,
    exclude_alerts: bool,
) {
    push_group_rules(out, g, rules, state, |out, rule, st| {
        push_rule(out, &g.group, rule, st, exclude_alerts)
    });
    out.push_str(&format!(
        r#","interval":{},"limit":{},"evaluationTime":{},"lastEvaluation":"#,
        duration_seconds(g.group.interval.unwrap_or(DEFAULT_INTERVAL)),
        g.group.limit,
        ms_seconds(state.map_or(0.0, |s| s.evaluation_duration_ms)),
    ));
    json::push_str(out, &go_time_ms(state.and_then(|s| s.last_evaluation_ms)));
    out.push('}');
}

/// Prometheus's `invalidParamError`: 400 `invalid parameter "<name>": <message>`.
fn invalid_param(name: &str, message: impl std::fmt::Display) -> ApiError {
    ApiError::bad_data(format!("invalid parameter {}: {message}", go_quote(name)))
}

/// `group_limit` / `group_next_token` as Prometheus's `parseListRulesPaginationRequest`:
/// `(limit, token)`, limit 0 = no pagination.
fn pagination(p: &Params) -> Result<(usize, String), ApiError> {
    let limit = p.value("group_limit");
    let token = p.value("group_next_token");
    if !token.is_empty() && limit.is_empty() {
        return Err(invalid_param(
            "group_next_token",
            "group_limit needs to be present in order to paginate over the groups",
        ));
    }
    if limit.is_empty() {
        return Ok((0, String::new()));
    }
    let n: i32 = limit.parse().map_err(|e: std::num::ParseIntError| {
        let why = match e.kind() {
            std::num::IntErrorKind::PosOverflow | std::num::IntErrorKind::NegOverflow => {
                "value out of range"
            }
            _ => "invalid syntax",
        };
        invalid_param(
            "group_limit",
            format!(
                "group_limit needs to be a valid number: strconv.ParseInt: parsing {}: {why}",
                go_quote(limit)
            ),
        )
    })?;
    if n <= 0 {
        return Err(invalid_param(
            "group_limit",
            "group_limit needs to be greater than 0",
        ));
    }
    Ok((n as usize, token.to_string()))
}

/// Prometheus's `getRuleGroupNextToken` (3.5: SHA-1).
fn next_token(g: &ListedGroup) -> String {
    sha1_hex(format!("{};{}", g.file, g.group.name).as_bytes())
}

/// Whether the rule's labels match any matcher set (Prometheus `matchesMatcherSets`; no sets
/// match everything).
fn matches_sets(sets: &[Vec<LabelMatcher>], labels: &BTreeMap<String, String>) -> bool {
    if sets.is_empty() {
        return true;
    }
    let labels = Labels::from_pairs(labels.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    sets.iter()
        .any(|set| set.iter().all(|m| m.matches_labels(&labels)))
}

/// `GET /api/v1/rules`: `{"groups":[{"name","file","rules":[…],"interval","limit",
/// "evaluationTime","lastEvaluation"}],"groupNextToken"?}` (see the module docs). Errors: 400
/// `invalid parameter "type": not supported value "<type>"`, `invalid parameter
/// "exclude_alerts": …`, `invalid parameter "group_limit": …`, `invalid parameter
/// "group_next_token": …`, a `match[]` parse error; 500 when the store fails.
pub async fn rules(app: &App, tenants: &Tenants, p: &Params) -> ApiResult {
    let sets = parse_match_params(&p.get_all("match[]"))?;
    let typ = p.value("type").to_lowercase();
    let (want_alert, want_record) = match typ.as_str() {
        "" => (true, true),
        "alert" => (true, false),
        "record" => (false, true),
        _ => {
            return Err(invalid_param(
                "type",
                format!("not supported value {}", go_quote(&typ)),
            ))
        }
    };
    let exclude = p.value("exclude_alerts").to_lowercase();
    let exclude_alerts = if exclude.is_empty() {
        false
    } else {
        parse_bool(&exclude).ok_or_else(|| {
            invalid_param(
                "exclude_alerts",
                format!(
                    "error converting exclude_alerts: strconv.ParseBool: parsing {}: invalid syntax",
                    go_quote(&exclude)
                ),
            )
        })?
    };
    let (max_groups, token) = pagination(p)?;
    let names = p.get_all("rule_name[]");
    let groups_f = p.get_all("rule_group[]");
    let files = p.get_all("file[]");

    let all = load_groups(&app.store, tenants.as_slice(), ExprLanguage::PromQL)
        .await
        .map_err(ApiError::internal)?;
    let mut page: Vec<(&ListedGroup, Vec<usize>)> = Vec::new();
    let mut found_token = false;
    let mut group_next_token = None;
    for g in &all {
        if max_groups > 0 && !token.is_empty() && !found_token {
            if next_token(g) != token {
                continue;
            }
            found_token = true;
        }
        if !groups_f.is_empty() && !groups_f.contains(&g.group.name.as_str()) {
            continue;
        }
        if !files.is_empty() && !files.contains(&g.file.as_str()) {
            continue;
        }
        let rules: Vec<usize> = g
            .group
            .rules
            .iter()
            .enumerate()
            .filter(|(_, r)| matches_sets(&sets, &rule_labels(&g.group, r)))
            .filter(|(_, r)| names.is_empty() || names.contains(&r.name()))
            .filter(|(_, r)| {
                if r.is_alerting() {
                    want_alert
                } else {
                    want_record
                }
            })
            .map(|(i, _)| i)
            .collect();
        if rules.is_empty() {
            continue;
        }
        if max_groups > 0 && page.len() == max_groups {
            group_next_token = Some(next_token(g));
            break;
        }
        page.push((g, rules));
    }
    if max_groups > 0 && !token.is_empty() && !found_token {
        return Err(invalid_param(
            "group_next_token",
            format!("invalid group_next_token '{token}'. were rule groups changed?"),
        ));
    }
    let listed: Vec<&ListedGroup> = page.iter().map(|(g, _)| *g).collect();
    let states = load_states(&app.store, &listed, ExprLanguage::PromQL)
        .await
        .map_err(ApiError::internal)?;

    let mut out = String::from(r#"{"groups":["#);
    for (n, ((g, rules), state)) in page.iter().zip(&states).enumerate() {
        if n > 0 {
            out.push(',');
        }
        push_group(&mut out, g, rules, state.as_ref(), exclude_alerts);
    }
    out.push(']');
    if let Some(t) = group_next_token {
        out.push_str(r#","groupNextToken":"#);
        json::push_str(&mut out, &t);
    }
    out.push('}');
    Ok(ApiData::json(out))
}
