//! The state a rule group keeps between evaluations (Prometheus keeps it in memory in
//! `rules.Group` / `rules.AlertingRule`; Lakewatch persists it, hence serde). Times are **ms**
//! since the epoch, durations **ms**.

use serde::{Deserialize, Serialize};

use lakewatch_model::Labels;

use crate::alert::Alert;
use crate::rules::{Rule, RuleGroup};

/// Rule health as Prometheus's `rules.RuleHealth` (`/api/v1/rules` `health`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum RuleHealth {
    /// Not evaluated yet: `unknown`.
    #[default]
    #[serde(rename = "unknown")]
    Unknown,
    /// Last evaluation succeeded: `ok`.
    #[serde(rename = "ok")]
    Ok,
    /// Last evaluation failed: `err` (see [`RuleState::last_error`]).
    #[serde(rename = "err")]
    Err,
}

impl RuleHealth {
    /// Prometheus's text: `unknown`, `ok`, `err`.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleHealth::Unknown => "unknown",
            RuleHealth::Ok => "ok",
            RuleHealth::Err => "err",
        }
    }
}

/// Alerting or recording rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleKind {
    #[default]
    Alerting,
    Recording,
}

/// State of one rule of a group.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RuleState {
    /// `alert` or `record` name.
    pub name: String,
    pub kind: RuleKind,
    /// The rule's effective labels (group `labels` overridden by the rule's), un-templated: with
    /// `name` the identity used to carry state over rule-file changes (Prometheus `CopyState`).
    pub labels: Labels,
    /// The expression text (for `generatorURL` and the rules API).
    pub expr: String,
    pub health: RuleHealth,
    /// Message of the last failed evaluation (`None` after a successful one).
    pub last_error: Option<String>,
    /// Evaluation time of the last evaluation (ms), `None` before the first.
    pub last_evaluation_ms: Option<i64>,
    /// Wall-clock duration of the last evaluation (ms, fractional).
    pub evaluation_duration_ms: f64,
    /// Alert instances (alerting rules): pending, firing, and resolved ones kept 15 minutes
    /// (`resolvedRetention`) so the resolution is re-sent. Sorted by labels.
    pub alerts: Vec<Alert>,
    /// Series written by the last successful evaluation; those missing from the next one get a
    /// stale marker (Prometheus `seriesInPreviousEval`). Sorted.
    pub series_in_previous_eval: Vec<Labels>,
}

impl RuleState {
    /// Alerts with no `resolved_at` (pending or firing), as Prometheus's `ActiveAlerts()`.
    pub fn active_alerts(&self) -> impl Iterator<Item = &Alert> {
        self.alerts.iter().filter(|a| a.resolved_at_ms.is_none())
    }
}

/// State of one rule group.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct GroupState {
    /// One entry per rule, in the group's rule order (realigned on every evaluation).
    pub rules: Vec<RuleState>,
    /// Series of rules that were removed from the group: they get a stale marker at the next
    /// evaluation (Prometheus `staleSeries`).
    pub stale_series: Vec<Labels>,
    /// The group's evaluation interval (ms) at the last evaluation (for `endsAt` of sent alerts).
    pub interval_ms: i64,
    /// Evaluation time of the last group evaluation (ms).
    pub last_evaluation_ms: Option<i64>,
    /// Wall-clock duration of the last group evaluation (ms, fractional).
    pub evaluation_duration_ms: f64,
    /// Scheduled evaluations so far, executed or missed (Prometheus
    /// `prometheus_rule_group_iterations_total`; counted by the scheduler).
    #[serde(default)]
    pub iterations_total: u64,
    /// Scheduled evaluations skipped because no invocation ran in their slot (Prometheus
    /// `prometheus_rule_group_iterations_missed_total`).
    #[serde(default)]
    pub iterations_missed_total: u64,
    /// Why the last notification of this group's alerts failed (no Alertmanager accepted
    /// some alert); `None` after a send that every alert reached. Unsent alerts are offered
    /// again at the next evaluation.
    #[serde(default)]
    pub last_notification_error: Option<String>,
    /// Why writing the last evaluation's samples failed, if it did.
    #[serde(default)]
    pub last_write_error: Option<String>,
}

/// The rule's name: `alert` or `record`.
pub(crate) fn rule_name(rule: &Rule) -> &str {
    rule.alert
        .as_deref()
        .or(rule.record.as_deref())
        .unwrap_or("")
}

/// Group labels overridden by the rule's labels (Prometheus `FromMaps(rg.Labels, r.Labels)`):
/// with the rule's name, the identity of its [`RuleState`] across rule-file changes.
pub fn effective_labels(group: &RuleGroup, rule: &Rule) -> Labels {
    Labels::from_pairs(
        group
            .labels
            .iter()
            .chain(rule.labels.iter())
            .map(|(k, v)| (k.as_str(), v.as_str())),
    )
}

impl GroupState {
    /// Aligns the state with the group's current rules as Prometheus's `Group.CopyState`: rules
    /// are matched by name and labels (first with first among duplicates); the state of rules
    /// no longer present is dropped and their series are queued for stale markers.
    pub(crate) fn align(&mut self, group: &RuleGroup) {
        let old = std::mem::take(&mut self.rules);
        let mut used = vec![false; old.len()];
        let mut rules = Vec::with_capacity(group.rules.len());
        for rule in &group.rules {
            let name = rule_name(rule);
            let labels = effective_labels(group, rule);
            let kind = if rule.record.is_some() {
                RuleKind::Recording
            } else {
                RuleKind::Alerting
            };
            let found = old
                .iter()
                .enumerate()
                .position(|(i, s)| !used[i] && s.name == name && s.labels == labels);
            let mut st = match found {
                Some(i) => {
                    used[i] = true;
                    old[i].clone()
                }
                None => RuleState::default(),
            };
            if st.kind != kind {
                st.alerts.clear();
            }
            st.name = name.to_string();
            st.kind = kind;
            st.labels = labels;
            st.expr = rule.expr.clone();
            rules.push(st);
        }
        for (i, s) in old.into_iter().enumerate() {
            if !used[i] {
                self.stale_series.extend(s.series_in_previous_eval);
            }
        }
        self.rules = rules;
    }
}
