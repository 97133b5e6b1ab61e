//! The log pipeline: executes a query's stages (line filters, parsers, label filters,
//! formatting, `drop`/`keep`, `decolorize`, `unwrap`) on one entry at a time, as Loki's
//! `pkg/logql/log` does. Errors inside a stage set `__error__` (and `__error_details__`)
//! instead of dropping the line, as in Loki.
//!
//! Stage order follows Loki's `MultiStageExpr.reorderStages`: line filters are moved in
//! front of the parsers and other stages that precede them, but never across a label
//! filter, `line_format` or `unpack`.

mod builder;
pub(crate) mod convert;
mod decolorize;
mod drop_keep;
mod format;
pub mod go_regex;
mod hints;
mod ip;
mod json;
mod json_scan;
mod label_filter;
mod line_filter;
mod logfmt;
mod pattern;
mod regexp;
mod sanitize;
mod unpack;
mod unwrap;

pub use builder::{DUPLICATE_SUFFIX, ERROR_DETAILS_LABEL, ERROR_LABEL, PRESERVE_ERROR_LABEL};
pub use convert::{parse_bytes, parse_duration, parse_float};
pub use hints::SampleHints;

use crate::ast::Stage;
use crate::eval::EvalError;
use builder::{Builder, Category};
use hints::{Ctx, Hints};
use lakewatch_model::{Label, Labels};
use std::borrow::Cow;

/// `__error__` of `json` / `unpack`.
pub const ERR_JSON: &str = "JSONParserErr";
/// `__error__` of `logfmt --strict`.
pub const ERR_LOGFMT: &str = "LogfmtParserErr";
/// `__error__` of a failed `unwrap` conversion.
pub const ERR_SAMPLE_EXTRACTION: &str = "SampleExtractionErr";
/// `__error__` of a typed label filter on a non-convertible value.
pub const ERR_LABEL_FILTER: &str = "LabelFilterErr";
/// `__error__` of a failing `line_format` / `label_format` template.
pub const ERR_TEMPLATE: &str = "TemplateFormatErr";

/// One entry after the pipeline. Label categories follow Loki's (for the
/// `categorize-labels` response encoding): the three sets are disjoint and their union is
/// the entry's final label set. Unlike elsewhere, label values may be empty here (Loki
/// keeps `foo=""` from `| json` on `{"foo":""}` or `| logfmt --keep-empty`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Processed {
    /// The (possibly rewritten) line.
    pub line: String,
    /// Stream labels still present (dropped/renamed ones removed).
    pub stream: Labels,
    /// Structured metadata still present (names colliding with stream labels carry the
    /// `_extracted` suffix, as Loki).
    pub structured_metadata: Labels,
    /// Labels added by parsers/`label_format`, plus `__error__`/`__error_details__`.
    pub parsed: Labels,
    /// The `unwrap`ped value (pipelines with `unwrap` only).
    pub value: Option<f64>,
}

impl Processed {
    /// The union of the three label sets (sorted; empty values kept).
    pub fn labels(&self) -> Labels {
        builder::sorted(
            self.stream
                .iter()
                .chain(self.structured_metadata.iter())
                .chain(self.parsed.iter())
                .cloned()
                .collect::<Vec<Label>>(),
        )
    }

    /// The `__error__` value, if any.
    pub fn error(&self) -> Option<&str> {
        self.parsed.get(ERROR_LABEL)
    }
}

/// A compiled stage.
#[derive(Debug, Clone)]
pub(crate) enum Step {
    LineFilter(line_filter::LineFilterStage),
    Json(json::JsonParser),
    JsonExpr(json::JsonExprParser),
    Logfmt(logfmt::LogfmtParser),
    LogfmtExpr(logfmt::LogfmtExprParser),
    Regexp(regexp::RegexpParser),
    Pattern(pattern::Pattern, Vec<String>),
    Unpack,
    LabelFilter(label_filter::LabelFilterExpr),
    LineFormat(format::LineFormat),
    LabelFormat(format::LabelFormat),
    Drop(Vec<drop_keep::Sel>),
    Keep(Vec<drop_keep::Sel>),
    Decolorize,
    Unwrap(unwrap::Unwrap),
}

/// A compiled pipeline (regexes, templates and patterns compiled once).
#[derive(Debug, Clone)]
pub struct Pipeline {
    steps: Vec<Step>,
    /// Indices into `steps` of single-label filters used early by parsers.
    early: Vec<usize>,
    hints: Hints,
    has_unwrap: bool,
}

/// Loki's `reorderStages` on stages before `unwrap`.
fn reorder(stages: &[Stage]) -> Vec<&Stage> {
    fn flush<'s>(result: &mut Vec<&'s Stage>, f: &mut Vec<&'s Stage>, o: &mut Vec<&'s Stage>) {
        result.append(f);
        result.append(o);
    }
    let mut result: Vec<&Stage> = Vec::with_capacity(stages.len());
    let mut filters: Vec<&Stage> = Vec::new();
    let mut others: Vec<&Stage> = Vec::new();
    for s in stages {
        match s {
            Stage::LabelFilter(_) => {
                flush(&mut result, &mut filters, &mut others);
                result.push(s);
            }
            Stage::LineFilter(_) => filters.push(s),
            Stage::LineFormat(_) | Stage::Unpack => {
                others.push(s);
                flush(&mut result, &mut filters, &mut others);
            }
            _ => others.push(s),
        }
    }
    flush(&mut result, &mut filters, &mut others);
    result
}

fn stage_err(s: &Stage, e: String) -> EvalError {
    EvalError::BadQuery(format!("parse error : stage '{s}' : {e}"))
}

fn compile(s: &Stage) -> Result<Option<Step>, String> {
    Ok(Some(match s {
        Stage::LineFilter(f) => {
            let st = line_filter::LineFilterStage::new(f)?;
            if st.is_noop() {
                return Ok(None);
            }
            Step::LineFilter(st)
        }
        Stage::Json(params) if params.is_empty() => Step::Json(json::JsonParser),
        Stage::Json(params) => Step::JsonExpr(json::JsonExprParser::new(params)?),
        Stage::Logfmt {
            strict,
            keep_empty,
            params,
        } if params.is_empty() => Step::Logfmt(logfmt::LogfmtParser {
            strict: *strict,
            keep_empty: *keep_empty,
        }),
        Stage::Logfmt { strict, params, .. } => {
            Step::LogfmtExpr(logfmt::LogfmtExprParser::new(params, *strict)?)
        }
        Stage::Regexp(re) => Step::Regexp(regexp::RegexpParser::new(re)?),
        Stage::Pattern(p) => {
            let pat = pattern::Pattern::new_parser(p)?;
            let names = pat.names();
            Step::Pattern(pat, names)
        }
        Stage::Unpack => Step::Unpack,
        Stage::LabelFilter(f) => {
            let lf = label_filter::LabelFilterExpr::new(f)?;
            if lf.is_noop() {
                return Ok(None);
            }
            Step::LabelFilter(lf)
        }
        Stage::LineFormat(t) => Step::LineFormat(format::LineFormat::new(t)?),
        Stage::LabelFormat(items) => Step::LabelFormat(format::LabelFormat::new(items)?),
        Stage::Drop(items) => Step::Drop(drop_keep::compile(items)?),
        Stage::Keep(items) => Step::Keep(drop_keep::compile(items)?),
        Stage::Decolorize => Step::Decolorize,
        Stage::Unwrap { label, conv } => Step::Unwrap(unwrap::Unwrap {
            label: label.clone(),
            conv: *conv,
        }),
    }))
}

impl Pipeline {
    /// Compiles `stages` of a log query. Errors: invalid regex, template, pattern, JSON path
    /// or ip pattern, as `BadQuery("parse error : stage '<stage>' : <reason>")` (Loki's
    /// `NewStageError` text; a 400 in the API).
    pub fn new(stages: &[Stage]) -> Result<Pipeline, EvalError> {
        Self::build(stages, None)
    }

    /// Compiles the `stages` of a metric query (range aggregation), with Loki's extraction
    /// hints for its grouping: with `by (…)`, parsers extract only the labels the query
    /// needs and stop once they have them; with a singleton grouping (`sum(…)` without
    /// labels) they may not run at all. Parser errors set `__preserve_error__="true"` when
    /// the query groups by `__error__` (Loki then returns such series instead of failing).
    pub fn for_samples(stages: &[Stage], hints: &SampleHints) -> Result<Pipeline, EvalError> {
        Self::build(stages, Some(hints))
    }

    fn build(stages: &[Stage], sample: Option<&SampleHints>) -> Result<Pipeline, EvalError> {
        let split = stages
            .iter()
            .position(|s| matches!(s, Stage::Unwrap { .. }))
            .unwrap_or(stages.len());
        let (pre, post) = stages.split_at(split);
        let mut ordered = reorder(pre);
        ordered.extend(post.iter());
        let mut steps = Vec::with_capacity(ordered.len());
        for s in ordered {
            if let Some(step) = compile(s).map_err(|e| stage_err(s, e))? {
                steps.push(step);
            }
        }
        let unwrap_at = steps.iter().position(|s| matches!(s, Step::Unwrap(_)));
        let post_filters = unwrap_at.map_or(0, |u| steps.len() - u - 1);
        let hints = match sample {
            None => Hints::for_logs(),
            Some(h) => {
                let required: Vec<String> = steps.iter().flat_map(required_labels).collect();
                let metric_label = steps.iter().find_map(|s| match s {
                    Step::Unwrap(u) => Some(u.label.as_str()),
                    _ => None,
                });
                Hints::for_samples(h, required, metric_label)
            }
        };
        let early = if hints.early {
            steps
                .iter()
                .enumerate()
                .filter(|(i, s)| {
                    let is_post = unwrap_at.is_some_and(|u| *i > u);
                    matches!(s, Step::LabelFilter(f) if f.single_label().is_some())
                        && (!is_post || post_filters == 1)
                })
                .map(|(i, _)| i)
                .collect()
        } else {
            Vec::new()
        };
        Ok(Pipeline {
            steps,
            early,
            hints,
            has_unwrap: unwrap_at.is_some(),
        })
    }

    /// True when the pipeline has no stage (every entry passes unchanged).
    pub fn is_noop(&self) -> bool {
        self.steps.is_empty()
    }

    /// True when every stage is a line filter: labels never change, so callers may use
    /// [`Pipeline::test_line`] instead of [`Pipeline::process`].
    pub fn line_filters_only(&self) -> bool {
        self.steps.iter().all(|s| matches!(s, Step::LineFilter(_)))
    }

    /// True when the pipeline ends with `unwrap` (metric queries over sampled values).
    pub fn has_unwrap(&self) -> bool {
        self.has_unwrap
    }

    /// The line filters alone: true when `line` passes every one of them.
    pub fn test_line(&self, line: &str) -> bool {
        self.steps.iter().all(|s| match s {
            Step::LineFilter(f) => f.test(line),
            _ => true,
        })
    }

    /// Literal substrings every passing line contains, from `|= "…"` filters that apply to
    /// the stored line (before any `line_format`, `unpack` or `decolorize`). Case-sensitive;
    /// usable as a storage pushdown hint.
    pub fn line_contains_hints(&self) -> Vec<String> {
        let mut out = Vec::new();
        for s in &self.steps {
            match s {
                Step::LineFilter(f) => {
                    if let Some(h) = f.contains_hint() {
                        out.push(h.to_string());
                    }
                }
                Step::LineFormat(_) | Step::Unpack | Step::Decolorize => break,
                _ => {}
            }
        }
        out
    }

    /// Runs one entry (`ts_ns` nanoseconds since the epoch) through the stages; `None` when a
    /// filter drops it (or `unwrap` finds no value).
    pub fn process(
        &self,
        ts_ns: i64,
        line: &str,
        stream: &Labels,
        structured_metadata: &Labels,
    ) -> Option<Processed> {
        let mut b = Builder::new(stream);
        b.add_all(Category::StructuredMetadata, structured_metadata);
        let ctx = Ctx {
            steps: &self.steps,
            early: &self.early,
            hints: &self.hints,
        };
        let mut line: Cow<'_, str> = Cow::Borrowed(line);
        let mut value = None;
        for step in &self.steps {
            let keep = match step {
                Step::LineFilter(f) => f.test(&line),
                Step::Json(p) => p.process(&line, &mut b, &ctx),
                Step::JsonExpr(p) => {
                    p.process(&line, &mut b, &ctx);
                    true
                }
                Step::Logfmt(p) => p.process(&line, &mut b, &ctx),
                Step::LogfmtExpr(p) => {
                    p.process(&line, &mut b, &ctx);
                    true
                }
                Step::Regexp(p) => p.process(&line, &mut b, &ctx),
                Step::Pattern(p, names) => pattern_step(p, names, &line, &mut b, &ctx),
                Step::Unpack => match unpack::unpack(&line, &mut b, &ctx) {
                    unpack::Unpacked::Unchanged => true,
                    unpack::Unpacked::Line(l) => {
                        line = Cow::Owned(l);
                        true
                    }
                    unpack::Unpacked::Drop => false,
                },
                Step::LabelFilter(f) => f.process(&mut b),
                Step::LineFormat(f) => {
                    if let Some(l) = f.process(ts_ns, &line, &mut b) {
                        line = Cow::Owned(l);
                    }
                    true
                }
                Step::LabelFormat(f) => {
                    f.process(ts_ns, &line, &mut b);
                    true
                }
                Step::Drop(sels) => {
                    drop_keep::drop(sels, &mut b);
                    true
                }
                Step::Keep(sels) => {
                    drop_keep::keep(sels, &mut b);
                    true
                }
                Step::Decolorize => {
                    line = Cow::Owned(decolorize::decolorize(&line));
                    true
                }
                Step::Unwrap(u) => match u.process(&mut b) {
                    Some(v) => {
                        value = Some(v);
                        true
                    }
                    None => false,
                },
            };
            if !keep {
                return None;
            }
        }
        let (stream, structured_metadata, parsed) = b.result();
        Some(Processed {
            line: line.into_owned(),
            stream,
            structured_metadata,
            parsed,
            value,
        })
    }
}

/// `| pattern`: captures become parsed labels (Loki's `PatternParser`).
fn pattern_step(
    p: &pattern::Pattern,
    names: &[String],
    line: &str,
    b: &mut Builder<'_>,
    ctx: &Ctx<'_>,
) -> bool {
    if ctx.no_labels(b) {
        return true;
    }
    for (name, v) in names.iter().zip(p.captures(line)) {
        let mut key = name.clone();
        if b.collides(&key) {
            key.push_str(DUPLICATE_SUFFIX);
        }
        if b.extracted(&key) || !ctx.should_extract(&key) {
            continue;
        }
        b.set(Category::Parsed, &key, v);
        if !ctx.continue_parsing(&key, b) {
            return false;
        }
    }
    true
}

/// Labels a step reads (Loki's `RequiredLabelNames`).
fn required_labels(s: &Step) -> Vec<String> {
    match s {
        Step::LabelFilter(f) => f.names(),
        Step::LineFormat(f) => f.required_labels(),
        Step::LabelFormat(f) => f.required_labels(),
        _ => Vec::new(),
    }
}
