//! Prometheus's alert template language (`template/template.go`, `rules/alerting.go`): Go
//! `text/template` (the `gotmpl` crate) with Prometheus's data (`.Labels`, `.ExternalLabels`,
//! `.ExternalURL`, `.Value` and the `$labels`, `$externalLabels`, `$externalURL`, `$value`
//! variables) and functions (`query`, `first`, `label`, `value`, `sortByLabel`, `strvalue`,
//! `args`, `safeHtml`, `match`, `reReplaceAll`, `title`, `toUpper`, `toLower`, `toTime`,
//! `stripPort`, `stripDomain`, `parseDuration`, `pathPrefix`, `externalURL`, `humanize`,
//! `humanize1024`, `humanizeDuration`, `humanizePercentage`, `humanizeTimestamp`, `graphLink`,
//! `tableLink`, and Go's built-ins such as `printf`).
//!
//! Like Prometheus, [`expand`] runs the text behind the variable definitions
//! [`ALERT_DEFS`] (so error columns on line 1 count them), names the template
//! `__alert_<rule name>` (the caller passes that name) and uses `missingkey=zero`.
//! Prometheus writes a failed expansion as the label/annotation value
//! `<error expanding template: …>`; [`expand`] returns the error and
//! [`expand_or_error_text`] does what Prometheus's rule evaluation does with it.
//! See `docs/alert-templates.md`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use gotmpl::parse::{ListNode, Pos};
use gotmpl::{MissingKey, Value};
use lakewatch_model::Labels;

mod analyze;
mod errors;
mod format;
mod funcs;
mod gotime;
mod humanize;
mod print;
mod rewrite;
mod values;

use funcs::{QueryState, PENDING};

/// One sample returned by the template function `query` (`.Labels`, `.Value`).
#[derive(Debug, Clone, PartialEq)]
pub struct QuerySample {
    pub labels: Labels,
    pub value: f64,
}

/// Runs a PromQL (or LogQL) instant query for the template function `query` at the
/// evaluation time. Errors are the engine's message. As Prometheus's `EngineQueryFunc`, a
/// scalar result is one sample without labels; other result types are an error
/// (`rule result is not a vector or scalar`) — the caller's job.
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
    /// `$externalURL` (also what the functions `externalURL` and `pathPrefix` read).
    pub external_url: &'a str,
}

/// The variable definitions Prometheus puts before every alert label and annotation
/// template (`rules/alerting.go`); 112 bytes, so an error in the user's text on line 1 is
/// reported at column `112 + offset`.
pub const ALERT_DEFS: &str = "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}";

/// Name under which the rewritten main tree is executed.
const MAIN: &str = "__lakewatch_main__";

/// Most `query` calls one expansion may make (each distinct query runs once).
const MAX_QUERIES: usize = 256;

/// The template name Prometheus uses for an alerting rule's labels and annotations.
pub fn alert_template_name(rule_name: &str) -> String {
    format!("__alert_{rule_name}")
}

/// Expands `text` as Prometheus expands an alert label or annotation: [`ALERT_DEFS`] + `text`,
/// Go template named `name` (e.g. `__alert_HighErrorRate`), `missingkey=zero`. `query` runs the
/// template's `query` calls (each distinct query text once); `time_ms` (ms since the epoch) is
/// the evaluation time, which Prometheus only uses for `query` — the caller's `query` closure
/// evaluates at it.
///
/// Errors (Prometheus's texts):
/// - `error parsing template NAME: template: NAME:1: function "foo" not defined`
/// - `error executing template NAME: template: NAME:1:121: executing "NAME" at <first>:
///   error calling first: first() called on vector with no elements`
///
/// Prometheus does not fail the rule on these: the label/annotation becomes
/// `<error expanding template: ERR>` — see [`expand_or_error_text`].
pub fn expand(
    name: &str,
    text: &str,
    data: &TemplateData<'_>,
    query: QueryFn<'_>,
    time_ms: i64,
) -> Result<String, String> {
    let _ = time_ms;
    let full = format!("{ALERT_DEFS}{text}");
    run(
        name,
        &full,
        &data_value(data),
        data.external_url,
        query,
        true,
    )
}

/// What Prometheus stores for an alert label or annotation template: the expansion, or
/// `<error expanding template: ERR>` when [`expand`] fails (`rules/alerting.go`).
pub fn expand_or_error_text(
    name: &str,
    text: &str,
    data: &TemplateData<'_>,
    query: QueryFn<'_>,
    time_ms: i64,
) -> String {
    match expand(name, text, data, query, time_ms) {
        Ok(s) => s,
        Err(e) => format!("<error expanding template: {e}>"),
    }
}

/// Parses `text` (behind [`ALERT_DEFS`]) without running it, as promtool / rule loading
/// (`rulefmt` `testTemplateParsing`, `Expander.ParseTest`). The error is Go's bare parse error
/// (`template: __alert_X:1: function "foo" not defined`) without the `error parsing template`
/// prefix; rule validation reports it as `annotation "summary": ERR` / `label "k": ERR`.
pub fn check(name: &str, text: &str) -> Result<(), String> {
    let full = format!("{ALERT_DEFS}{text}");
    let state = Arc::new(Mutex::new(QueryState::default()));
    parse(name, &full, state, "", true).map(|_| ())
}

/// Expands `text` exactly as given (no [`ALERT_DEFS`]) over `data` as Prometheus's
/// `Expander.Expand` (the generic entry point; [`expand`] is the alert one).
pub fn expand_raw(
    name: &str,
    text: &str,
    data: &Value,
    external_url: &str,
    query: QueryFn<'_>,
) -> Result<String, String> {
    run(name, text, data, external_url, query, false)
}

fn run(
    name: &str,
    text: &str,
    data: &Value,
    external_url: &str,
    query: QueryFn<'_>,
    alert: bool,
) -> Result<String, String> {
    let state = Arc::new(Mutex::new(QueryState::default()));
    let Parsed { engine, originals } = parse(name, text, state.clone(), external_url, alert)
        .map_err(|e| format!("error parsing template {name}: {e}"))?;
    let mut runs = 0;
    loop {
        let mut out = String::new();
        let err = match engine.execute_template_fmt(&mut out, MAIN, data) {
            Ok(()) => return Ok(out),
            Err(e) => e.to_string(),
        };
        let pending = match state.lock() {
            Ok(mut st) => st.pending.take(),
            Err(_) => None,
        };
        match pending {
            Some(q) if err.ends_with(PENDING) && runs < MAX_QUERIES => {
                runs += 1;
                let result = query(&q);
                if let Ok(mut st) = state.lock() {
                    st.results.insert(q, result);
                }
            }
            _ => {
                return Err(format!(
                    "error executing template {name}: {}",
                    go_error(&originals, text, name, &err)
                ))
            }
        }
    }
}

/// Prometheus's `AlertTemplateData`: `Labels`, `ExternalLabels`, `ExternalURL`, `Value`.
pub fn data_value(data: &TemplateData<'_>) -> Value {
    let mut m: BTreeMap<Arc<str>, Value> = BTreeMap::new();
    m.insert(Arc::from("Labels"), values::labels_value(data.labels));
    m.insert(
        Arc::from("ExternalLabels"),
        values::labels_value(data.external_labels),
    );
    m.insert(
        Arc::from("ExternalURL"),
        Value::String(Arc::from(data.external_url)),
    );
    m.insert(Arc::from("Value"), Value::Float(data.value));
    Value::Map(Arc::new(m))
}

/// Names of the Prometheus template functions available to alert templates (sorted; Go's
/// built-ins such as `printf`, `index`, `len` are always available too).
pub fn function_names() -> Vec<String> {
    funcs::prometheus_function_names()
}

/// Parses and rewrites `text`; errors are Go's parse error text.
fn parse(
    name: &str,
    text: &str,
    state: Arc<Mutex<QueryState>>,
    external_url: &str,
    alert: bool,
) -> Result<Parsed, String> {
    analyze::check_structure(text, name)?;
    let parsed = gotmpl::Template::new(name)
        .missing_key(MissingKey::ZeroValue)
        .funcs(funcs::expansion_funcs(state, external_url))
        .parse(text)
        .map_err(|e| go_parse_error(&e.to_string(), name))?;
    let empty = ListNode {
        pos: Pos::new(0, 1),
        nodes: Vec::new(),
    };
    let mut main = parsed.lookup(name).cloned().unwrap_or(empty);
    analyze::check_variables(&main, name, &mut vec!["$".to_string()])?;
    let defines = lakewatch_logql::template::go::other_templates(&parsed, name);
    let mut engine = parsed;
    let mut originals = vec![main.clone()];
    let in_define = rewrite::Scope {
        dot_is_alert: false,
        root_is_alert: false,
    };
    for d in defines {
        if let Some(body) = engine.lookup(&d) {
            let mut body = body.clone();
            analyze::check_variables(&body, name, &mut vec!["$".to_string()])?;
            originals.push(body.clone());
            rewrite::rewrite(&mut body, in_define);
            engine = engine.add_parse_tree(&d, body);
        }
    }
    let scope = rewrite::Scope {
        dot_is_alert: alert,
        root_is_alert: alert,
    };
    rewrite::rewrite(&mut main, scope);
    Ok(Parsed {
        engine: engine.add_parse_tree(MAIN, main),
        originals,
    })
}

/// A parsed template: the rewritten engine and the trees as written (for error positions).
struct Parsed {
    engine: gotmpl::Template,
    originals: Vec<ListNode>,
}

/// Go reports parse errors as `template: NAME:LINE: msg` (no column), with Go's lexer texts
/// where the engine words them differently (the column is dropped as for LogQL templates).
fn go_parse_error(msg: &str, name: &str) -> String {
    let msg = msg
        .replace("unterminated raw string", "unterminated raw quoted string")
        .replace("unterminated string", "unterminated quoted string")
        .replace("empty command", "missing value for command")
        .replace(
            "multiple definition of template",
            "template: multiple definition of template",
        );
    errors::go_parse_error(&msg, name)
}

/// Go's text for a run-time error, located at the failing call when it can be found.
fn go_error(trees: &[ListNode], source: &str, name: &str, msg: &str) -> String {
    let empty = ListNode {
        pos: Pos::new(0, 1),
        nodes: vec![],
    };
    let fallback = errors::go_exec_error(&empty, "", name, msg);
    for tree in trees {
        let e = errors::go_exec_error(tree, source, name, msg);
        if e != fallback {
            return e;
        }
    }
    fallback
}
