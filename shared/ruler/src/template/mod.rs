//! Prometheus's alert template language (`template/template.go`): Go `text/template` (the
//! `gotmpl` crate) with Prometheus's data (`$labels`, `$value`, `$externalLabels`,
//! `$externalURL`, `.Labels`, `.Value`…) and functions (`humanize*`, `query`, `first`,
//! `label`, `value`, `printf`, `title`, `toUpper`, `reReplaceAll`, `match`, …).
//!
//! STUB by the lead: signatures fixed (you may add); bodies to implement.

use lakewatch_model::Labels;

/// One sample returned by the template function `query` (`.Labels`, `.Value`).
#[derive(Debug, Clone, PartialEq)]
pub struct QuerySample {
    pub labels: Labels,
    pub value: f64,
}

/// Runs a PromQL (or LogQL) instant query for the template function `query` at the
/// evaluation time. Errors are the engine's message.
pub type QueryFn<'a> = &'a dyn Fn(&str) -> Result<Vec<QuerySample>, String>;

/// What a template sees.
#[derive(Debug, Clone, Copy)]
pub struct TemplateData<'a> {
    /// The alert's labels (`$labels`, `.Labels`).
    pub labels: &'a Labels,
    /// The alert's value (`$value`, `.Value`).
    pub value: f64,
    /// `$externalLabels`.
    pub external_labels: &'a Labels,
    /// `$externalURL`.
    pub external_url: &'a str,
}

/// Expands `text` (named `name` in errors, e.g. `__alert_HighErrorRate`) at `time_ms` (ms).
/// Errors: Prometheus's `error expanding template: …` / `error parsing template …` texts.
pub fn expand(
    _name: &str,
    text: &str,
    _data: &TemplateData<'_>,
    _query: QueryFn<'_>,
    _time_ms: i64,
) -> Result<String, String> {
    Ok(text.to_string())
}

/// Parses `text` without running it (for rule-file validation, as promtool). Errors as
/// [`expand`].
pub fn check(_name: &str, _text: &str) -> Result<(), String> {
    Ok(())
}
