//! Reading entries through the pipeline: the rows of a log query and the samples of a range
//! aggregation (Loki's `SampleExtractor`: 1 per line, line bytes, or the `unwrap`ped value).

use super::range::Point;
use super::{EvalError, EvalStats, LogSource};
use crate::ast::{LogExpr, MatchOp, Matcher, RangeAgg, RangeOp, Stage};
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

/// A sample with its merge-order key: `(ts, stream rank, read index, value)`.
type Keyed = (i64, usize, usize, f64);

/// The samples of range aggregation `agg` with timestamps in `[start_ns, end_ns)`, one
/// series per final label set, each ascending in time. Series labels follow Loki's
/// extractor: all labels for log ranges; for `unwrap`, the `by` labels, or all labels minus
/// the `without` ones and the unwrapped label (all labels when `__error__` is set).
pub(crate) fn sample_series(
    agg: &RangeAgg,
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
    let mut streams = source.select(&matchers, start_ns, end_ns);
    streams.sort_by_cached_key(|s| s.labels.to_string());
    // Without unwrap and with line filters only, labels never change: one series per
    // stream (entries without structured metadata skip the pipeline's label handling).
    let fast = unwrap.is_none() && pipeline.line_filters_only();
    let mut index: HashMap<Labels, usize> = HashMap::new();
    // Per series: labels and (ts, stream rank, read index, value).
    let mut series: Vec<(Labels, Vec<Keyed>)> = Vec::new();
    let mut slot = |labels: Labels, series: &mut Vec<_>| -> usize {
        *index.entry(labels).or_insert_with_key(|l| {
            series.push((l.clone(), Vec::new()));
            series.len() - 1
        })
    };
    let mut idx = 0usize;
    for (rank, stream) in streams.iter().enumerate() {
        let mut stream_slot: Option<usize> = None;
        for e in &stream.entries {
            if e.timestamp_ns < start_ns || e.timestamp_ns >= end_ns {
                continue;
            }
            count_read(stats, &e.line, &e.structured_metadata);
            idx += 1;
            if fast && e.structured_metadata.is_empty() {
                if !pipeline.test_line(&e.line) {
                    continue;
                }
                stats.post_filter_lines += 1;
                let si =
                    *stream_slot.get_or_insert_with(|| slot(stream.labels.clone(), &mut series));
                let value = if bytes { e.line.len() as f64 } else { 1.0 };
                series[si].1.push((e.timestamp_ns, rank, idx, value));
                continue;
            }
            let Some(p) = pipeline.process(
                e.timestamp_ns,
                &e.line,
                &stream.labels,
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
            if let (Some(name), false) = (unwrap, has_error) {
                labels = group_unwrapped(labels, name, agg);
            }
            let si = slot(labels, &mut series);
            series[si].1.push((e.timestamp_ns, rank, idx, value));
        }
    }
    series.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(series
        .into_iter()
        .map(|(l, mut pts)| {
            pts.sort_by_key(|p| (p.0, p.1, p.2));
            (l, pts.into_iter().map(|p| (p.0, p.3)).collect())
        })
        .collect())
}

/// Loki's grouping of unwrapped samples: no grouping or `by ()` or `without (…)` drop the
/// listed labels and the unwrapped one; `by (…)` keeps only the listed labels.
fn group_unwrapped(labels: Labels, unwrapped: &str, agg: &RangeAgg) -> Labels {
    match &agg.grouping {
        Some(g) if !g.without && !g.labels.is_empty() => Labels::from_pairs(
            labels
                .iter()
                .filter(|l| g.labels.contains(&l.name))
                .map(|l| (l.name.clone(), l.value.clone())),
        ),
        g => {
            let drop: &[String] = g.as_ref().map_or(&[], |g| &g.labels);
            Labels::from_pairs(
                labels
                    .iter()
                    .filter(|l| l.name != unwrapped && !drop.contains(&l.name))
                    .map(|l| (l.name.clone(), l.value.clone())),
            )
        }
    }
}
