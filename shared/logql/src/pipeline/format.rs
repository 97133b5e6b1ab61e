//! `| line_format "tmpl"` and `| label_format dst=src, dst="tmpl"`, as Loki's
//! `pkg/logql/log/fmt.go`: templates see every current label (errors included) plus
//! `__line__` and `__timestamp__`; a failing template sets `__error__=TemplateFormatErr`
//! with the template error as details and leaves the line / label unchanged.

use super::builder::{Builder, Category, ERROR_LABEL};
use super::ERR_TEMPLATE;
use crate::ast::LabelFmt;
use crate::template::{Template, TemplateContext};
use std::collections::BTreeMap;

/// `{{.name}}` alone (optionally with spaces / trim markers): Loki's fast path, which reads
/// the label directly ("" when absent; `__error__` is not visible this way).
fn simple_key(src: &str) -> Option<String> {
    let inner = src.strip_prefix("{{")?.strip_suffix("}}")?;
    let inner = inner.strip_prefix("- ").unwrap_or(inner);
    let inner = inner.strip_suffix(" -").unwrap_or(inner);
    let name = inner.trim().strip_prefix('.')?;
    let valid = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    valid.then(|| name.to_string())
}

/// `| line_format`.
#[derive(Debug, Clone)]
pub struct LineFormat {
    tmpl: Template,
    simple: Option<String>,
}

impl LineFormat {
    /// Parses the template. Error: `invalid line template: <template error>`.
    pub fn new(src: &str) -> Result<Self, String> {
        let tmpl = Template::parse(src).map_err(|e| format!("invalid line template: {e}"))?;
        Ok(LineFormat {
            tmpl,
            simple: simple_key(src),
        })
    }

    /// Labels the template reads.
    pub fn required_labels(&self) -> Vec<String> {
        self.tmpl.required_labels()
    }

    /// The new line, or `None` (line kept) when the template failed.
    pub fn process(&self, ts_ns: i64, line: &str, b: &mut Builder<'_>) -> Option<String> {
        if let Some(k) = &self.simple {
            return Some(b.get(k).unwrap_or("").to_string());
        }
        let labels = b.to_map();
        let ctx = TemplateContext {
            labels: &labels,
            line,
            timestamp_ns: ts_ns,
        };
        match self.tmpl.render(&ctx) {
            Ok(s) => Some(s),
            Err(e) => {
                b.add_err(ERR_TEMPLATE, Some(&e));
                None
            }
        }
    }
}

#[derive(Debug, Clone)]
enum Item {
    Rename { dst: String, src: String },
    Template { dst: String, tmpl: Template },
}

/// `| label_format`.
#[derive(Debug, Clone)]
pub struct LabelFormat {
    items: Vec<Item>,
}

impl LabelFormat {
    /// Compiles the items. Errors (Loki's texts): `__error__ cannot be formatted`,
    /// `multiple label name '<n>' not allowed in a single format operation`,
    /// `invalid template for label '<n>': <err>`.
    pub fn new(fmts: &[LabelFmt]) -> Result<Self, String> {
        let mut seen: Vec<&str> = Vec::new();
        for f in fmts {
            let dst = match f {
                LabelFmt::Rename { dst, .. } | LabelFmt::Template { dst, .. } => dst.as_str(),
            };
            if dst == ERROR_LABEL {
                return Err(format!("{dst} cannot be formatted"));
            }
            if seen.contains(&dst) {
                return Err(format!(
                    "multiple label name '{dst}' not allowed in a single format operation"
                ));
            }
            seen.push(dst);
        }
        let mut items = Vec::new();
        for f in fmts {
            items.push(match f {
                LabelFmt::Rename { dst, src } => Item::Rename {
                    dst: dst.clone(),
                    src: src.clone(),
                },
                LabelFmt::Template { dst, template } => Item::Template {
                    dst: dst.clone(),
                    tmpl: Template::parse_named(template, "label")
                        .map_err(|e| format!("invalid template for label '{dst}': {e}"))?,
                },
            });
        }
        Ok(LabelFormat { items })
    }

    /// Labels the items read (rename sources and template fields).
    pub fn required_labels(&self) -> Vec<String> {
        let mut v: Vec<String> = Vec::new();
        for it in &self.items {
            let names = match it {
                Item::Rename { src, .. } => vec![src.clone()],
                Item::Template { tmpl, .. } => tmpl.required_labels(),
            };
            for n in names {
                if !v.contains(&n) {
                    v.push(n);
                }
            }
        }
        v
    }

    /// Applies the items in order. Templates all see the labels as they were when the
    /// first template of this stage ran (Loki computes that map once per stage).
    pub fn process(&self, ts_ns: i64, line: &str, b: &mut Builder<'_>) {
        let mut snapshot: Option<BTreeMap<String, String>> = None;
        for it in &self.items {
            match it {
                Item::Rename { dst, src } => {
                    if let Some(v) = b.get(src).map(str::to_string) {
                        b.set(Category::Parsed, dst, &v);
                        b.del(src);
                    }
                }
                Item::Template { dst, tmpl } => {
                    let labels = snapshot.get_or_insert_with(|| b.to_map());
                    let ctx = TemplateContext {
                        labels,
                        line,
                        timestamp_ns: ts_ns,
                    };
                    match tmpl.render(&ctx) {
                        Ok(v) => b.set(Category::Parsed, dst, &v),
                        Err(e) => b.add_err(ERR_TEMPLATE, Some(&e)),
                    }
                }
            }
        }
    }
}
