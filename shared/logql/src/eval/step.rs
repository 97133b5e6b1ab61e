//! Step evaluation of metric queries, as Loki's step evaluators (`pkg/logql/evaluator.go`):
//! each node yields one vector per step; range aggregations slide a `(t - range, t]` window
//! (shifted back by `offset`), timestamps are milliseconds as in Loki.

use super::binop;
use super::extract::{sample_series, ERROR_LABEL, PRESERVE_ERROR_LABEL};
use super::range::aggregate;
use super::vector::aggregate_vector;
use super::{EvalError, EvalStats, LogSource, QueryParams};
use crate::ast::{Grouping, MatchOp, MetricExpr, RangeAgg, RangeOp, VectorOp};
use lakewatch_model::Labels;
use std::collections::BTreeSet;

/// One element of a step's vector.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Sample {
    pub labels: Labels,
    pub value: f64,
}

/// `(timestamp_ms, vector)` for every step, in order.
pub(crate) type Steps = Vec<(i64, Vec<Sample>)>;

/// Evaluation context shared by all nodes.
pub(crate) struct Ctx<'a> {
    pub params: &'a QueryParams,
    pub source: &'a dyn LogSource,
    pub stats: EvalStats,
}

/// Evaluates a (literal-folded) metric expression that is not a bare literal.
pub(crate) fn eval(expr: &MetricExpr, ctx: &mut Ctx<'_>) -> Result<Steps, EvalError> {
    match expr {
        MetricExpr::Range(agg) => eval_range(agg, agg.grouping.as_ref(), ctx),
        MetricExpr::Vector(v) => {
            let inner = match &*v.expr {
                // Loki pushes a `sum`'s grouping down into these range aggregations' extractor
                // (same result, fewer series).
                MetricExpr::Range(agg)
                    if v.op == VectorOp::Sum
                        && agg.grouping.is_none()
                        && matches!(
                            agg.op,
                            RangeOp::BytesOverTime
                                | RangeOp::BytesRate
                                | RangeOp::SumOverTime
                                | RangeOp::Rate
                                | RangeOp::CountOverTime
                        ) =>
                {
                    let by_all = Grouping {
                        without: false,
                        labels: Vec::new(),
                    };
                    eval_range(agg, Some(v.grouping.as_ref().unwrap_or(&by_all)), ctx)?
                }
                inner => eval(inner, ctx)?,
            };
            Ok(inner
                .into_iter()
                .map(|(ts, vec)| (ts, aggregate_vector(v, vec)))
                .collect())
        }
        MetricExpr::Binary(b) => binop::eval_binary(b, ctx),
        MetricExpr::VectorLit(v) => Ok(vector_steps(*v, ctx.params)),
        MetricExpr::LabelReplace {
            expr,
            dst,
            replacement,
            src,
            regex,
        } => {
            let re = regex::Regex::new(&format!("^(?:{regex})$")).map_err(|e| {
                EvalError::BadQuery(format!("parse error : invalid regex in label_replace: {e}"))
            })?;
            let inner = eval(expr, ctx)?;
            Ok(inner
                .into_iter()
                .map(|(ts, vec)| {
                    let vec = vec
                        .into_iter()
                        .map(|s| Sample {
                            labels: label_replace(s.labels, &re, dst, replacement, src),
                            value: s.value,
                        })
                        .collect();
                    (ts, vec)
                })
                .collect())
        }
        // A literal where a vector is needed (`sum(1)`): Loki's evaluator has no step
        // evaluator for it and answers with this internal error.
        MetricExpr::Literal(_) => Err(EvalError::Internal(
            "unexpected expr type (*syntax.LiteralExpr) for Evaluator type (*logql.DefaultEvaluator) ".into(),
        )),
    }
}

/// `label_replace`: when the anchored regex matches the source label's value (`""` if
/// absent), `dst` is set to the expanded replacement (removed if that is empty).
fn label_replace(
    labels: Labels,
    re: &regex::Regex,
    dst: &str,
    replacement: &str,
    src: &str,
) -> Labels {
    let value = labels.get(src).unwrap_or("");
    let Some(caps) = re.captures(value) else {
        return labels;
    };
    let mut out = String::new();
    caps.expand(replacement, &mut out);
    let mut labels = labels;
    labels.set(dst, &out);
    labels
}

/// `vector(n)`: one label-less sample per step, steps in whole milliseconds as Loki's
/// `VectorIterator`.
fn vector_steps(v: f64, params: &QueryParams) -> Steps {
    let step_ms = (params.step_ns / 1_000_000).max(1);
    let (start_ms, end_ms) = (params.start_ns / 1_000_000, params.end_ns / 1_000_000);
    let mut out = Vec::new();
    let mut t = start_ms;
    while t <= end_ms {
        out.push((
            t,
            vec![Sample {
                labels: Labels::default(),
                value: v,
            }],
        ));
        t += step_ms;
    }
    out
}

/// Labels of `absent_over_time`'s sample: the selector's equality matchers, minus names
/// that also appear in another matcher (Loki's `absentLabels`).
fn absent_labels(agg: &RangeAgg) -> Labels {
    let mut eq: Vec<(&str, &str)> = Vec::new();
    let mut drop: Vec<&str> = Vec::new();
    for m in &agg.log.selector {
        if m.name == "__name__" {
            continue;
        }
        if m.op == MatchOp::Eq && !eq.iter().any(|(n, _)| *n == m.name) {
            eq.push((&m.name, &m.value));
        } else {
            drop.push(&m.name);
        }
    }
    Labels::from_pairs(eq.into_iter().filter(|(n, _)| !drop.contains(n)))
}

/// Loki's pipeline error for a metric series carrying `__error__`.
pub(crate) fn pipeline_error(labels: &Labels) -> EvalError {
    let err = labels.get(ERROR_LABEL).unwrap_or("");
    EvalError::Pipeline(format!(
        "pipeline error: '{err}' for series: '{labels}'.\n\
         Use a label filter to intentionally skip this error. (e.g | __error__!=\"{err}\").\n\
         To skip all potential errors you can match empty errors.(e.g __error__=\"\")\n\
         The label filter can also be specified after unwrap. (e.g | unwrap latency | __error__=\"\" )\n"
    ))
}

fn eval_range(
    agg: &RangeAgg,
    grouping: Option<&Grouping>,
    ctx: &mut Ctx<'_>,
) -> Result<Steps, EvalError> {
    let p = ctx.params;
    let step = if p.step_ns == 0 { 1 } else { p.step_ns };
    let offset = agg.offset.unwrap_or(0);
    let (start, end) = (p.start_ns - offset, p.end_ns - offset);
    // Entries in [start - range, end]; the window lower bound is exclusive.
    let series = sample_series(
        agg,
        grouping,
        start - agg.range,
        end.saturating_add(1),
        ctx.source,
        &mut ctx.stats,
    )?;
    let unwrapped = super::extract::unwrap_label(&agg.log).is_some();
    let absent = (agg.op == RangeOp::AbsentOverTime).then(|| absent_labels(agg));
    // All samples in time order, to track which series have samples in the window: each
    // step only visits those (a query can have many short-lived series).
    // With few series (steps × series no more than the samples), visiting every series at
    // every step is cheaper than sorting all samples: `events` stays empty and `active`
    // holds every series.
    let points: usize = series.iter().map(|s| s.1.len()).sum();
    let steps = (end.saturating_sub(start) / step).saturating_add(1).max(0) as usize;
    let dense = series.len().saturating_mul(steps) <= points;
    let mut events: Vec<(i64, usize)> = if dense {
        Vec::new()
    } else {
        series
            .iter()
            .enumerate()
            .flat_map(|(sid, (_, pts))| pts.iter().map(move |p| (p.0, sid)))
            .collect()
    };
    events.sort_unstable();
    let (mut ev_lo, mut ev_hi) = (0usize, 0usize);
    let mut in_window = vec![0usize; series.len()];
    let mut active: BTreeSet<usize> = if dense {
        (0..series.len()).collect()
    } else {
        BTreeSet::new()
    };
    let mut cursors = vec![(0usize, 0usize); series.len()];
    let mut out = Vec::new();
    let mut current = start;
    while current <= end {
        let lower = current - agg.range;
        while ev_hi < events.len() && events[ev_hi].0 <= current {
            let sid = events[ev_hi].1;
            in_window[sid] += 1;
            if in_window[sid] == 1 {
                active.insert(sid);
            }
            ev_hi += 1;
        }
        while ev_lo < ev_hi && events[ev_lo].0 <= lower {
            let sid = events[ev_lo].1;
            in_window[sid] -= 1;
            if in_window[sid] == 0 {
                active.remove(&sid);
            }
            ev_lo += 1;
        }
        let mut vec = Vec::with_capacity(active.len());
        for &sid in &active {
            let (labels, points) = &series[sid];
            let (lo, hi) = &mut cursors[sid];
            while *lo < points.len() && points[*lo].0 <= lower {
                *lo += 1;
            }
            if *hi < *lo {
                *hi = *lo;
            }
            while *hi < points.len() && points[*hi].0 <= current {
                *hi += 1;
            }
            if *hi == *lo {
                continue;
            }
            if labels.get(ERROR_LABEL).is_some_and(|v| !v.is_empty())
                && labels.get(PRESERVE_ERROR_LABEL) != Some("true")
            {
                return Err(pipeline_error(labels));
            }
            let window = &points[*lo..*hi];
            vec.push(Sample {
                labels: labels.clone(),
                value: aggregate(agg.op, agg.param, unwrapped, window, agg.range, current),
            });
        }
        if let Some(lbs) = &absent {
            vec = if vec.is_empty() {
                vec![Sample {
                    labels: lbs.clone(),
                    value: 1.0,
                }]
            } else {
                Vec::new()
            };
        }
        out.push((current / 1_000_000 + offset / 1_000_000, vec));
        current += step;
    }
    Ok(out)
}
