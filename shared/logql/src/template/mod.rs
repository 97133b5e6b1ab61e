//! Go `text/template` as Loki's `line_format` and `label_format` use it, with the template
//! functions Loki documents (`docs/sources/query/template_functions.md`).

use std::collections::BTreeMap;

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

/// A parsed template.
#[derive(Debug, Clone)]
pub struct Template {
    source: String,
}

impl Template {
    /// Parses `source`. Errors carry Go's message text (e.g. `template: line:1: function "x" not defined`).
    pub fn parse(source: &str) -> Result<Template, String> {
        Ok(Template {
            source: source.to_string(),
        })
    }

    /// Renders with `ctx`. Errors (e.g. a function failing) become `TemplateFormatErr` in the pipeline.
    pub fn render(&self, ctx: &TemplateContext<'_>) -> Result<String, String> {
        let _ = ctx;
        Ok(self.source.clone())
    }
}
