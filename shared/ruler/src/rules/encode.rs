//! Rule files back to YAML, in Prometheus's field names and order (`name`, `interval`,
//! `query_offset`, `limit`, `labels`, `source_tenants`, `align_evaluation_time_on_interval`,
//! `rules`; per rule `record`/`alert`,
//! `expr`, `for`, `keep_firing_for`, `labels`, `annotations`), omitting empty and zero fields
//! as Prometheus's `omitempty` does. Durations are printed as Prometheus prints them (`1h30m`).
//! What [`super::parse_rule_file`] reads back unchanged (the ruler config API's GET).

use std::collections::BTreeMap;

use serde_yaml::{Mapping, Value};

use super::duration::format_duration;
use super::{Rule, RuleFile, RuleGroup};

fn s(v: &str) -> Value {
    Value::String(v.to_string())
}

fn string_map(m: &BTreeMap<String, String>) -> Value {
    Value::Mapping(m.iter().map(|(k, v)| (s(k), s(v))).collect())
}

fn rule(r: &Rule) -> Value {
    let mut m = Mapping::new();
    if let Some(rec) = &r.record {
        m.insert(s("record"), s(rec));
    }
    if let Some(alert) = &r.alert {
        m.insert(s("alert"), s(alert));
    }
    m.insert(s("expr"), s(&r.expr));
    if !r.for_.is_zero() {
        m.insert(s("for"), s(&format_duration(r.for_)));
    }
    if !r.keep_firing_for.is_zero() {
        m.insert(s("keep_firing_for"), s(&format_duration(r.keep_firing_for)));
    }
    if !r.labels.is_empty() {
        m.insert(s("labels"), string_map(&r.labels));
    }
    if !r.annotations.is_empty() {
        m.insert(s("annotations"), string_map(&r.annotations));
    }
    Value::Mapping(m)
}

/// One group as a YAML mapping value.
pub fn group_value(g: &RuleGroup) -> Value {
    let mut m = Mapping::new();
    m.insert(s("name"), s(&g.name));
    if let Some(i) = g.interval.filter(|d| !d.is_zero()) {
        m.insert(s("interval"), s(&format_duration(i)));
    }
    if let Some(o) = g.query_offset {
        m.insert(s("query_offset"), s(&format_duration(o)));
    }
    if g.limit > 0 {
        m.insert(s("limit"), Value::Number(g.limit.into()));
    }
    if !g.labels.is_empty() {
        m.insert(s("labels"), string_map(&g.labels));
    }
    if !g.source_tenants.is_empty() {
        m.insert(
            s("source_tenants"),
            Value::Sequence(g.source_tenants.iter().map(|t| s(t)).collect()),
        );
    }
    if g.align_evaluation_time_on_interval {
        m.insert(s("align_evaluation_time_on_interval"), Value::Bool(true));
    }
    m.insert(
        s("rules"),
        Value::Sequence(g.rules.iter().map(rule).collect()),
    );
    Value::Mapping(m)
}

impl RuleGroup {
    /// The group as YAML (a mapping, the body of a ruler config API `POST`).
    pub fn to_yaml(&self) -> String {
        serde_yaml::to_string(&group_value(self)).unwrap_or_default()
    }
}

impl RuleFile {
    /// The file as YAML (`groups: [...]`).
    pub fn to_yaml(&self) -> String {
        let mut m = Mapping::new();
        m.insert(
            s("groups"),
            Value::Sequence(self.groups.iter().map(group_value).collect()),
        );
        serde_yaml::to_string(&Value::Mapping(m)).unwrap_or_default()
    }
}
