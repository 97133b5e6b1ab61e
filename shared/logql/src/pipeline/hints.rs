//! Loki's parser hints (`pkg/logql/log/parser_hints.go`), which change results in edge
//! cases and are therefore reproduced:
//! - log queries: a single-label filter of the pipeline also runs as soon as a parser sets
//!   that label, dropping the entry early (`ShouldContinueParsingLine`);
//! - metric queries grouping `by (…)` (or a parent `sum by (…)`): parsers only extract the
//!   labels the query needs and stop once all are found, so a JSON error after them is
//!   not reported; `sum(count_over_time(… | json …))` (no labels) skips parsing entirely.

use super::builder::{Builder, Category, DUPLICATE_SUFFIX, ERROR_LABEL, PRESERVE_ERROR_LABEL};
use super::Step;

/// How a metric query uses the labels of its samples; mirrors the arguments of Loki's
/// `NewParserHint` as `RangeAggregationExpr.extractor` computes them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SampleHints {
    /// Grouping of the range aggregation (`by`/`without` after the call), or, when it has
    /// none and the parent is a `sum` over `rate`/`count_over_time`/`bytes_*`/
    /// `sum_over_time`, the parent's grouping (Loki's `canInjectVectorGrouping`).
    pub groups: Vec<String>,
    /// `without (…)`.
    pub without: bool,
    /// The grouping is `by ()` / none of a `sum` (Loki's `Grouping.Singleton`), or the
    /// function is `absent_over_time`.
    pub no_labels: bool,
}

/// Compiled hints of a pipeline.
#[derive(Debug, Clone, Default)]
pub(crate) struct Hints {
    /// Parsers do nothing.
    pub no_labels: bool,
    /// Only these labels are extracted (`None`: all).
    pub required: Option<Vec<String>>,
    /// Parser errors also set `__preserve_error__="true"` (the query groups by `__error__`).
    pub preserve_error: bool,
    /// Early label filtering is active.
    pub early: bool,
}

fn append_hints(dst: &mut Vec<String>, names: impl IntoIterator<Item = String>) {
    for n in names {
        if let Some(base) = n.strip_suffix(DUPLICATE_SUFFIX) {
            let base = base.to_string();
            dst.push(n);
            dst.push(base);
        } else {
            dst.push(n);
        }
    }
}

impl Hints {
    /// Log queries (Loki's `NewPipeline`): extract everything, early filters on.
    pub fn for_logs() -> Hints {
        Hints {
            early: true,
            ..Hints::default()
        }
    }

    /// Metric queries: `required` are the labels the stages read (label filters, templates,
    /// renames), `metric_label` the unwrapped label.
    pub fn for_samples(
        h: &SampleHints,
        required: Vec<String>,
        metric_label: Option<&str>,
    ) -> Hints {
        let mut groups = h.groups.clone();
        let mut without = h.without;
        if let Some(l) = metric_label {
            if groups.is_empty() || without {
                without = true;
                groups.push(l.to_string());
                groups.sort();
            }
        }
        let mut all = Vec::new();
        append_hints(&mut all, required);
        append_hints(&mut all, groups.iter().cloned());
        append_hints(&mut all, metric_label.map(str::to_string));
        let mut uniq: Vec<String> = Vec::new();
        for n in all {
            if !n.is_empty() && !uniq.contains(&n) {
                uniq.push(n);
            }
        }
        let preserve_error = uniq.iter().any(|n| n == ERROR_LABEL);
        if h.no_labels {
            if uniq.is_empty() {
                return Hints {
                    no_labels: true,
                    ..Hints::default()
                };
            }
            return Hints {
                no_labels: false,
                required: Some(uniq),
                preserve_error,
                early: true,
            };
        }
        if without || groups.is_empty() {
            return Hints::for_logs();
        }
        Hints {
            no_labels: false,
            required: Some(uniq),
            preserve_error,
            early: false,
        }
    }
}

/// Per-pipeline context handed to parsers: hints and early filters.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ctx<'p> {
    pub steps: &'p [Step],
    pub early: &'p [usize],
    pub hints: &'p Hints,
}

impl Ctx<'_> {
    /// False when the entry must be dropped now (`ShouldContinueParsingLine`).
    pub fn continue_parsing(&self, name: &str, b: &mut Builder<'_>) -> bool {
        for i in self.early {
            if let Step::LabelFilter(f) = &self.steps[*i] {
                if f.single_label() == Some(name) {
                    return f.process(b);
                }
            }
        }
        true
    }

    /// True when all required labels were extracted for this entry.
    pub fn all_required_extracted(&self, b: &Builder<'_>) -> bool {
        match &self.hints.required {
            Some(r) if !r.is_empty() => r.iter().all(|n| b.extracted(n)),
            _ => false,
        }
    }

    /// Parsers have nothing to do (`NoLabels`).
    pub fn no_labels(&self, b: &Builder<'_>) -> bool {
        self.hints.no_labels || self.all_required_extracted(b)
    }

    /// `ShouldExtract`.
    pub fn should_extract(&self, key: &str) -> bool {
        match &self.hints.required {
            None => true,
            Some(r) => r.is_empty() || r.iter().any(|n| n == key),
        }
    }

    /// `ShouldExtractPrefix` (nested JSON objects).
    pub fn should_extract_prefix(&self, prefix: &str) -> bool {
        match &self.hints.required {
            None => true,
            Some(r) => r.is_empty() || r.iter().any(|n| n.starts_with(prefix)),
        }
    }

    /// Loki's `addErrLabel`: sets the error (and details) of a parser.
    pub fn add_err(&self, b: &mut Builder<'_>, err: &str, details: Option<&str>) {
        b.add_err(err, details);
        if self.hints.preserve_error {
            b.set(Category::Parsed, PRESERVE_ERROR_LABEL, "true");
        }
    }
}
