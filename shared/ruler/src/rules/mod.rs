//! Rule files as Prometheus (`rules/manager.go`, `model/rulefmt`) and Loki's ruler read them.
//!
//! STUB by the lead: the types are fixed (fields may be added); parsing/validation to implement.

use std::collections::BTreeMap;
use std::time::Duration;

/// Which query language a group's expressions are in: PromQL (Prometheus/Mimir rule files) or
/// LogQL (Loki ruler groups).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExprLanguage {
    #[default]
    PromQL,
    LogQL,
}

/// One rule file: `groups:`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RuleFile {
    pub groups: Vec<RuleGroup>,
}

/// One rule group.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RuleGroup {
    pub name: String,
    /// `interval` (None = the global evaluation interval, 1 m).
    pub interval: Option<Duration>,
    /// `limit`: max alerts / series per rule (0 = no limit).
    pub limit: u64,
    /// `query_offset` (None = the global default, 0).
    pub query_offset: Option<Duration>,
    /// Group `labels` (Prometheus 3) added to every rule's result.
    pub labels: BTreeMap<String, String>,
    pub language: ExprLanguage,
    pub rules: Vec<Rule>,
}

/// One alerting (`alert`) or recording (`record`) rule.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Rule {
    /// `record:` metric name (recording rule) — exactly one of `record` / `alert` is set.
    pub record: Option<String>,
    /// `alert:` name (alerting rule).
    pub alert: Option<String>,
    pub expr: String,
    /// `for` (alerting only; zero = fire at once).
    pub for_: Duration,
    /// `keep_firing_for` (alerting only).
    pub keep_firing_for: Duration,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
}
