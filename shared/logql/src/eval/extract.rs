//! Reading entries through the pipeline: the rows of a log query and the samples of a range
//! aggregation (Loki's `SampleExtractor`: 1 per line, line bytes, or the `unwrap`ped value).

use super::range::Point;
use super::{EvalError, EvalStats, LogSource};
use crate::ast::{Grouping, LogExpr, MatchOp, Matcher, RangeAgg, RangeOp, Stage};
use crate::pipeline::Pipeline;
use lakewatch_model::{LabelMatcher, Labels, MatchOp as ModelOp};
use std::collections::HashMap;

/// Loki's `__error__` label.
pub(crate) const ERROR_LABEL: &str = "__error__";
/// Loki's `__preserve_error__` label (errors allowed in metrics when `"true"`).
pub(crate) const PRESERVE_ERROR_LABEL: &str = "__preserve_error__";

/// Converts the selector's matchers (regexes fully anchored). Errors: invalid regex.
pub(crate) fn to_matchers(sel: &[Matcher]) -> Result<Vec<LabelMatcher>, EvalError> {
    sel.iter()
        .map(|m| {
            let op = match m.op {
                MatchOp::Eq => ModelOp::Equal,
                MatchOp::Neq => ModelOp::NotEqual,
                MatchOp::Re => ModelOp::Regex,
                MatchOp::Nre => ModelOp::NotRegex,
            };
            LabelMatcher::new(op, &m.name, &m.value)
                .map_err(|e| EvalError::BadQuery(format!("parse error : {e}")))
        })
        .collect()
}

/// Counts one entry read for the `stats` object (line plus structured metadata bytes).
pub(crate) fn count_read(stats: &mut EvalStats, line: &str, sm: &Labels) {
    stats.lines_processed += 1;
    let sm_bytes: usize = sm.iter().map(|l| l.name.len() + l.value.len()).sum();
    stats.bytes_processed += (line.len() + sm_bytes) as u64;
}

/// The label `unwrap` extracts, if the pipeline has an `unwrap` stage.
pub(crate) fn unwrap_label(log: &LogExpr) -> Option<&str> {
    log.pipeline.iter().find_map(|s| match s {
        Stage::Unwrap { label, .. } => Some(label.as_str()),
        _ => None,
    })
}

/// The samples of range aggregation `agg` with timestamps in `[start_ns, end_ns)`, one
/// series per label set, each ascending in time. Series labels follow Loki's extractor
/// (see [`Reduce::new`]; `grouping` is the range aggregation's own or the one pushed down
/// from an enclosing `sum`); a sample carrying `__error__` keeps all its labels.
pub(crate) fn sample_series(
    agg: &RangeAgg,
    grouping: Option<&Grouping>,
    start_ns: i64,
    end_ns: i64,
    source: &dyn LogSource,
    stats: &mut EvalStats,
) -> Result<Vec<(Labels, Vec<Point>)>, EvalError> {
    let unwrap = unwrap_label(&agg.log);
    let bytes = matches!(agg.op, RangeOp::BytesOverTime | RangeOp::BytesRate);
    let matchers = to_matchers(&agg.log.selector)?;
    let pipeline = Pipeline::new(&agg.log.pipeline)?;
    // Streams in label-string order: equal timestamps within a series follow it, as in
    // Loki's sample merge iterator.
    let selected = super::source::select(source, &matchers, start_ns, end_ns);
    let mut streams = selected.views();
    streams.sort_by_cached_key(|s| s.labels.to_string());
    let reduce = Reduce::new(agg, grouping, unwrap);
    // Without unwrap and with line filters only, an entry's labels depend only on its
    // stream and structured metadata: the series is looked up once per stream and
    // metadata set (not per entry), and lines are only tested.
    let fast = unwrap.is_none() && pipeline.line_filters_only();
    let mut index: HashMap<Labels, usize> = HashMap::new();
    // Per series: labels and `(ts, value)` samples in read order (stream rank, then
    // position), so that a stable sort by time gives Loki's merge order.
    let mut series: Vec<(Labels, Vec<Point>)> = Vec::new();
    let mut slot = |labels: Labels, series: &mut Vec<(Labels, Vec<Point>)>| -> usize {
        *index.entry(labels).or_insert_with_key(|l| {
            series.push((l.clone(), Vec::new()));
            series.len() - 1
        })
    };
    for stream in &streams {
        // Fast path: the series of the last structured-metadata set seen in this stream.
        let mut cached: Option<(&Labels, usize)> = None;
        for e in stream.entries {
            count_read(stats, &e.line, &e.structured_metadata);
            if fast {
                if !pipeline.test_line(&e.line) {
                    continue;
                }
                let si = match cached {
                    Some((sm, si)) if *sm == e.structured_metadata => si,
                    _ => {
                        let labels = if e.structured_metadata.is_empty() {
                            stream.labels.clone()
                        } else {
                            match pipeline.process(
                                e.timestamp_ns,
                                &e.line,
                                stream.labels,
                                &e.structured_metadata,
                            ) {
                                Some(p) => p.labels(),
                                None => continue,
                            }
                        };
                        let si = slot(reduce.apply(labels), &mut series);
                        cached = Some((&e.structured_metadata, si));
                        si
                    }
                };
                stats.post_filter_lines += 1;
                let value = if bytes { e.line.len() as f64 } else { 1.0 };
                series[si].1.push((e.timestamp_ns, value));
                continue;
            }
            let Some(p) = pipeline.process(
                e.timestamp_ns,
                &e.line,
                stream.labels,
                &e.structured_metadata,
            ) else {
                continue;
            };
            let mut labels = p.labels();
            let has_error = labels.get(ERROR_LABEL).is_some_and(|v| !v.is_empty());
            let value = match unwrap {
                None if bytes => p.line.len() as f64,
                None => 1.0,
                Some(_) => match p.value {
                    Some(v) => v,
                    // A conversion error keeps the sample (value 0) so that the error surfaces.
                    None if has_error => 0.0,
                    // Missing label: Loki drops the sample.
                    None => continue,
                },
            };
            stats.post_filter_lines += 1;
            if !has_error && reduce != Reduce::All {
                labels = reduce.apply(labels);
            }
            let si = slot(labels, &mut series);
            series[si].1.push((e.timestamp_ns, value));
        }
    }
    series.sort_by(|a, b| a.0.cmp(&b.0));
    for (_, pts) in &mut series {
        // Stable: equal timestamps keep the read order (stream rank, then position).
        if !pts.windows(2).all(|w| w[0].0 <= w[1].0) {
            pts.sort_by_key(|p| p.0);
        }
    }
    Ok(series)
}

/// How the extractor reduces sample labels (Loki's `BaseLabelsBuilder` grouping).
#[derive(Debug, Clone, PartialEq)]
enum Reduce {
    /// Keep every label.
    All,
    /// No labels (`by ()` and `absent_over_time`).
    None,
    /// Keep only these.
    Keep(Vec<String>),
    /// Drop these.
    Drop(Vec<String>),
}

impl Reduce {
    /// Loki's `RangeAggregationExpr.extractor`: the grouping (the range aggregation's, or the
    /// enclosing `sum`'s pushed down) with `by ()` meaning no labels; with `unwrap`, no
    /// grouping or `without` also drop the unwrapped label.
    fn new(agg: &RangeAgg, grouping: Option<&Grouping>, unwrap: Option<&str>) -> Reduce {
        if agg.op == RangeOp::AbsentOverTime {
            return Reduce::None;
        }
        let (groups, without, no_labels) = match grouping {
            Some(g) => (
                g.labels.clone(),
                g.without,
                g.labels.is_empty() && !g.without,
            ),
            None => (Vec::new(), false, false),
        };
        if no_labels {
            return Reduce::None;
        }
        match unwrap {
            Some(name) if groups.is_empty() || without => {
                let mut groups = groups;
                groups.push(name.to_string());
                Reduce::Drop(groups)
            }
            _ if groups.is_empty() => Reduce::All,
            _ if without => Reduce::Drop(groups),
            _ => Reduce::Keep(groups),
        }
    }

    fn apply(&self, labels: Labels) -> Labels {
        let keep = |f: &dyn Fn(&str) -> bool| {
            Labels::from_pairs(
                labels
                    .iter()
                    .filter(|l| f(&l.name))
                    .map(|l| (l.name.clone(), l.value.clone())),
            )
        };
        match self {
            Reduce::All => labels.clone(),
            Reduce::None => Labels::default(),
            Reduce::Keep(g) => keep(&|n| g.iter().any(|x| x == n)),
            Reduce::Drop(g) => keep(&|n| !g.iter().any(|x| x == n)),
        }
    }
}
