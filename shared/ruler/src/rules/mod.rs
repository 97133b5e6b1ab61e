//! Rule files as Prometheus (`rules/manager.go`, `model/rulefmt`) and Loki's ruler read them.
//!
//! [`parse_rule_file`] accepts what Prometheus 2.x/3.x rule files accept (`groups` with `name`,
//! `interval`, `limit`, `query_offset`, group `labels`; rules with `record`/`alert`, `expr`,
//! `for`, `keep_firing_for`, `labels`, `annotations`; Prometheus durations) plus the
//! Mimir/Loki ruler extras `source_tenants`, `align_evaluation_time_on_interval` and
//! `evaluation_delay` (the old name of `query_offset`), and rejects everything else with `promtool check rules`'s messages
//! ([`RuleError`]). Docs: `docs/rules.md`.

mod decode;
mod duration;
mod encode;
mod error;
mod validate;
mod yaml;

use std::collections::BTreeMap;
use std::time::Duration;

pub use duration::{format_duration, parse_duration};
pub use encode::group_value;
pub use error::{go_quote, RuleError};
pub use validate::{check_expr, is_valid_label_name, is_valid_metric_name};
pub use yaml::Pos;

/// Which query language a group's expressions are in: PromQL (Prometheus/Mimir rule files) or
/// LogQL (Loki ruler groups).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
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
    /// `limit`: max alerts / series per rule (0 = no limit; a negative value reads as 0).
    pub limit: u64,
    /// `query_offset` (None = the global default, 0). Mimir's deprecated `evaluation_delay`
    /// lands here when `query_offset` is absent.
    pub query_offset: Option<Duration>,
    /// Group `labels` (Prometheus 3) added to every rule's result.
    pub labels: BTreeMap<String, String>,
    pub language: ExprLanguage,
    pub rules: Vec<Rule>,
    /// Mimir/Loki federated rule groups: the tenants the group's queries read (empty = the
    /// owning tenant).
    pub source_tenants: Vec<String>,
    /// Mimir/Loki `align_evaluation_time_on_interval`: evaluate at multiples of `interval`
    /// (instead of at a per-group offset).
    pub align_evaluation_time_on_interval: bool,
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

impl Rule {
    /// The rule's name: `alert` for alerting rules, else `record` (empty if neither), as
    /// promtool names rules in errors.
    pub fn name(&self) -> &str {
        self.alert
            .as_deref()
            .or(self.record.as_deref())
            .unwrap_or("")
    }

    /// True for an alerting rule.
    pub fn is_alerting(&self) -> bool {
        self.alert.is_some()
    }
}

impl RuleFile {
    /// Number of rules in all groups (promtool's `SUCCESS: N rules found`).
    pub fn rule_count(&self) -> usize {
        self.groups.iter().map(|g| g.rules.len()).sum()
    }
}

/// Parses and validates one rule file (YAML text; only its first document is read, as
/// Prometheus does), with `language` for every group's expressions.
///
/// An empty file is valid and has no groups. Errors: every problem found, in promtool's order
/// and words (see [`RuleError`]); YAML/decoding problems stop before validation, as in
/// Prometheus's `rulefmt.Parse`. Alert label and annotation templates are checked with
/// [`crate::template::check`].
pub fn parse_rule_file(yaml: &str, language: ExprLanguage) -> Result<RuleFile, Vec<RuleError>> {
    let root = match yaml::parse(yaml) {
        Ok(root) => root,
        // Prometheus 2.x decodes twice; both passes fail on a syntax error and promtool
        // prints it twice.
        Err(e) => return Err(vec![RuleError::file(e.clone()), RuleError::file(e)]),
    };
    let decoded = decode::decode(root.as_ref(), language)
        .map_err(|errs| errs.into_iter().map(RuleError::file).collect::<Vec<_>>())?;
    let errs = validate::validate(&decoded.file, &decoded.positions);
    if errs.is_empty() {
        Ok(decoded.file)
    } else {
        Err(errs)
    }
}

/// Parses and validates one rule group given alone (the body of a Mimir/Loki ruler config API
/// `POST /…/rules/<namespace>` request: `name`, `interval`, `rules`, …). Errors as
/// [`parse_rule_file`] (positions are those of the group text).
pub fn parse_rule_group(yaml: &str, language: ExprLanguage) -> Result<RuleGroup, Vec<RuleError>> {
    let root = match yaml::parse(yaml) {
        Ok(root) => root,
        Err(e) => return Err(vec![RuleError::file(e)]),
    };
    let wrapped = root.map(|group| yaml::Node::Map {
        entries: vec![(
            yaml::Node::Scalar {
                value: "groups".to_string(),
                tag: yaml::ScalarTag::Str,
                pos: Pos::default(),
            },
            yaml::Node::Seq {
                pos: group.pos(),
                items: vec![group],
            },
        )],
        pos: Pos::default(),
    });
    let decoded = decode::decode(wrapped.as_ref(), language).map_err(|errs| {
        errs.into_iter()
            .take(1)
            .map(RuleError::file)
            .collect::<Vec<_>>()
    })?;
    let errs = validate::validate(&decoded.file, &decoded.positions);
    if !errs.is_empty() {
        return Err(errs);
    }
    decoded
        .file
        .groups
        .into_iter()
        .next()
        .ok_or_else(|| vec![RuleError::file("Groupname must not be empty")])
}
