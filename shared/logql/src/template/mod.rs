//! Go `text/template` as Loki's `line_format` and `label_format` use it, with the template
//! functions Loki documents (`docs/sources/query/template_functions.md`).
//!
//! The engine is the `gotmpl` crate (a Rust port of Go's `text/template`). On top of it this
//! module adds what Loki's use of the Go engine gives and `gotmpl` does not (see
//! `docs/logql.md`, "Templates"):
//! - the data is the entry's labels as strings, read with `missingkey=zero`, so a missing
//!   label is `""` (never `<no value>`);
//! - undefined functions fail at parse time with Go's text;
//! - printed values follow Go's `fmt` (`1e+06`, `map[a:1]`, `<nil>`);
//! - `__line__`, `__timestamp__` and the Loki/Sprig functions (`funcs`), with Go time
//!   values (`gotime`).

use std::collections::BTreeMap;
use std::sync::Arc;

use gotmpl::parse::{ListNode, Pos};
use gotmpl::{MissingKey, Value};

pub mod analyze;
pub mod errors;
mod funcs;
pub mod go;
mod gotime;
mod numeric;
mod value;

use analyze::Usage;
/// Go's `time.Time` (layouts, `String()`), also used by the Prometheus alert templates.
pub use gotime::GoTime;

/// What a template sees: `.label` values, `__line__` and `__timestamp__`.
#[derive(Debug, Clone, Copy)]
pub struct TemplateContext<'a> {
    /// The entry's current labels by name.
    pub labels: &'a BTreeMap<String, String>,
    /// The current line (`__line__`).
    pub line: &'a str,
    /// The entry's timestamp in nanoseconds since the epoch (`__timestamp__`).
    pub timestamp_ns: i64,
}

/// Name under which the rewritten main tree is executed.
const MAIN: &str = "__lakewatch_main__";

/// A parsed template.
#[derive(Clone)]
pub struct Template {
    source: String,
    engine: Arc<gotmpl::Template>,
    usage: Arc<Usage>,
    simple_key: Option<String>,
}

impl std::fmt::Debug for Template {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Template")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl Template {
    /// Parses `source` as Loki's `line_format` does (Go template name `line`). Errors carry Go's
    /// message text (e.g. `template: line:1: function "x" not defined`,
    /// `template: line:1: unclosed action`).
    pub fn parse(source: &str) -> Result<Template, String> {
        Template::parse_named(source, "line")
    }

    /// Parses `source` with the Go template name used in error messages: `line` for
    /// `line_format`, `label` for `label_format` (Loki's names).
    pub fn parse_named(source: &str, name: &str) -> Result<Template, String> {
        let parsed = gotmpl::Template::new(name)
            .missing_key(MissingKey::ZeroValue)
            .funcs(funcs::loki_funcs().clone())
            .parse(source)
            .map_err(|e| errors::go_parse_error(&e.to_string(), name))?;
        let empty = ListNode {
            pos: Pos::new(0, 1),
            nodes: Vec::new(),
        };
        analyze::check_structure(source, name)?;
        let mut main = parsed.lookup(name).cloned().unwrap_or(empty);
        let mut usage = Usage::default();
        analyze::analyze(&main, name, &mut usage)?;
        analyze::check_variables(&main, name, &mut vec!["$".to_string()])?;
        let defines = go::other_templates(&parsed, name);
        let mut engine = parsed;
        for d in defines {
            if let Some(body) = engine.lookup(&d) {
                let mut body = body.clone();
                analyze::analyze(&body, name, &mut usage)?;
                analyze::check_variables(&body, name, &mut vec!["$".to_string()])?;
                analyze::rewrite_printing(&mut body);
                engine = engine.add_parse_tree(&d, body);
            }
        }
        let simple_key = analyze::simple_key(&main);
        analyze::rewrite_printing(&mut main);
        let engine = engine.add_parse_tree(MAIN, main);
        Ok(Template {
            source: source.to_string(),
            engine: Arc::new(engine),
            usage: Arc::new(usage),
            simple_key,
        })
    }

    /// The template text as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Label names the template reads (Loki's `RequiredLabelNames`), sorted.
    pub fn required_labels(&self) -> Vec<String> {
        self.usage.fields.iter().cloned().collect()
    }

    /// Renders with `ctx`. Errors (e.g. a function failing) become `TemplateFormatErr` in the
    /// pipeline, their text its `__error_details__`: Go's (`template: line:1:3: executing "line"
    /// at <substr 0 50 .msg>: error calling substr: …`) for function calls and fields.
    pub fn render(&self, ctx: &TemplateContext<'_>) -> Result<String, String> {
        if let Some(key) = &self.simple_key {
            return Ok(ctx.labels.get(key).cloned().unwrap_or_default());
        }
        let usage = &self.usage;
        if usage.line || usage.timestamp {
            funcs::set_current(usage.line.then_some(ctx.line), ctx.timestamp_ns);
        }
        let mut data: BTreeMap<Arc<str>, Value> = BTreeMap::new();
        if usage.whole_dot {
            for (k, v) in ctx.labels {
                data.insert(Arc::from(k.as_str()), Value::String(Arc::from(v.as_str())));
            }
        }
        for f in &usage.fields {
            if !data.contains_key(f.as_str()) {
                let v = ctx.labels.get(f).map_or("", String::as_str);
                data.insert(Arc::from(f.as_str()), Value::String(Arc::from(v)));
            }
        }
        let data = Arc::new(data);
        funcs::set_root(&data);
        let mut out = String::new();
        self.engine
            .execute_template_fmt(&mut out, MAIN, &Value::Map(data))
            .map_err(|e| self.go_error(&e.to_string()))?;
        Ok(out)
    }

    /// Go's text for a run-time error, located at the failing call when it can be found.
    fn go_error(&self, msg: &str) -> String {
        let name = self.engine.name();
        let mut trees = vec![MAIN];
        trees.extend(
            self.engine
                .templates()
                .into_iter()
                .filter(|t| *t != MAIN && *t != name),
        );
        let fallback = errors::go_exec_error(
            &ListNode {
                pos: Pos::new(0, 1),
                nodes: vec![],
            },
            "",
            name,
            msg,
        );
        for t in trees {
            if let Some(tree) = self.engine.lookup(t) {
                let e = errors::go_exec_error(tree, &self.source, name, msg);
                if e != fallback {
                    return e;
                }
            }
        }
        fallback
    }
}
