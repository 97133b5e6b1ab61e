//! Top-level query execution: turns per-step values into [`Value`]s, applies the delayed
//! `__name__` removal (Prometheus 3) and checks for duplicate label sets.

use crate::eval::{unwrap_parens, Evaluator};
use crate::types::{StepVec, Steps, Val};
use crate::{EngineOptions, InstantSample, QueryError, QueryResult, Queryable, RangeSeries, Value};
use lakewatch_model::Labels;
use promql_parser::parser::Expr;
use std::collections::HashMap;
use std::sync::Arc;

/// Labels removed together with the metric name (with type-and-unit labels enabled).
pub(crate) const NAME_LIKE: [&str; 3] = ["__name__", "__type__", "__unit__"];

/// Drops `__name__` (and `__type__`/`__unit__`) from a label set.
pub(crate) fn drop_name(l: &Labels) -> Labels {
    if !NAME_LIKE.iter().any(|n| l.get(n).is_some()) {
        return l.clone();
    }
    let mut l = l.clone();
    for n in NAME_LIKE {
        l.remove(n);
    }
    l
}

fn final_labels(metric: &Arc<Labels>, drop: bool) -> Labels {
    if drop {
        drop_name(metric)
    } else {
        (**metric).clone()
    }
}

fn dup_err() -> QueryError {
    QueryError::Execution("vector cannot contain metrics with the same labelset".into())
}

fn is_matrix(e: &Expr) -> bool {
    matches!(
        unwrap_parens(e),
        Expr::MatrixSelector(_) | Expr::Subquery(_)
    )
}

/// Instant query at `t` (ms).
pub(crate) fn instant(
    opts: &EngineOptions,
    query: &str,
    expr: &Expr,
    t: i64,
    storage: &dyn Queryable,
) -> Result<QueryResult, QueryError> {
    let mut ev = Evaluator::new(storage, opts, t, t, false);
    ev.query = query.to_string();
    let steps = Steps::instant(t);
    let value = if is_matrix(expr) {
        let m = ev.eval_matrix(expr, &steps)?;
        let mut out: Vec<RangeSeries> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for s in &m.series {
            let floats = s.floats_in(m.ends[0], m.range).to_vec();
            let histograms: Vec<_> = s
                .hists_in(m.ends[0], m.range)
                .iter()
                .map(|(t, h)| (*t, (**h).clone()))
                .collect();
            if floats.is_empty() && histograms.is_empty() {
                continue;
            }
            let labels = final_labels(&s.metric, s.drop_name);
            if !seen.insert(labels.clone()) {
                return Err(dup_err());
            }
            out.push(RangeSeries {
                labels,
                floats,
                histograms,
            });
        }
        out.sort_by(|a, b| a.labels.cmp(&b.labels));
        Value::Matrix(out)
    } else {
        match ev.eval(expr, &steps)? {
            Val::Scalar(v) => Value::Scalar {
                timestamp_ms: t,
                value: v.first().copied().unwrap_or(f64::NAN),
            },
            Val::Str(s) => Value::String {
                timestamp_ms: t,
                value: s,
            },
            Val::Vector(mut v) => {
                let vec: StepVec = v.pop().unwrap_or_default();
                let mut seen = std::collections::HashSet::new();
                let mut out = Vec::with_capacity(vec.len());
                for s in vec {
                    let labels = final_labels(&s.metric, s.drop_name);
                    if !seen.insert(labels.clone()) {
                        return Err(dup_err());
                    }
                    out.push(InstantSample {
                        labels,
                        timestamp_ms: t,
                        value: s.f,
                        histogram: s.h.map(|h| (*h).clone()),
                    });
                }
                Value::Vector(out)
            }
        }
    };
    Ok(QueryResult {
        value,
        annotations: ev.annotations,
        samples_loaded: ev.samples,
    })
}

/// Range query over `[start, end]` every `step` (ms).
pub(crate) fn range(
    opts: &EngineOptions,
    query: &str,
    expr: &Expr,
    start: i64,
    end: i64,
    step: i64,
    storage: &dyn Queryable,
) -> Result<QueryResult, QueryError> {
    if is_matrix(expr) {
        return Err(QueryError::Execution(
            "invalid expression type \"range vector\" for range query, must be Scalar or instant Vector".into(),
        ));
    }
    let mut ev = Evaluator::new(storage, opts, start, end, start != end);
    ev.query = query.to_string();
    ev.query_step = step;
    let steps = Steps { start, end, step };
    let value = match ev.eval(expr, &steps)? {
        Val::Str(_) => return Err(QueryError::Execution(
            "invalid expression type \"string\" for range query, must be Scalar or instant Vector"
                .into(),
        )),
        Val::Scalar(v) => Value::Matrix(vec![RangeSeries {
            labels: Labels::default(),
            floats: steps.iter().zip(v).collect(),
            histograms: vec![],
        }]),
        Val::Vector(v) => {
            // Output series by final label set; label sets are resolved once per distinct
            // `Arc` (all step vectors stay alive, so addresses are not reused).
            let mut idx: HashMap<Labels, usize> = HashMap::new();
            let mut by_ptr: HashMap<(*const Labels, bool), usize> = HashMap::new();
            let mut out: Vec<RangeSeries> = Vec::new();
            for (k, vec) in v.iter().enumerate() {
                let t = steps.ts(k);
                for s in vec {
                    let key = (Arc::as_ptr(&s.metric), s.drop_name);
                    let i = match by_ptr.get(&key) {
                        Some(&i) => i,
                        None => {
                            let labels = final_labels(&s.metric, s.drop_name);
                            let i = match idx.get(&labels) {
                                Some(&i) => i,
                                None => {
                                    out.push(RangeSeries {
                                        labels: labels.clone(),
                                        ..Default::default()
                                    });
                                    idx.insert(labels, out.len() - 1);
                                    out.len() - 1
                                }
                            };
                            by_ptr.insert(key, i);
                            i
                        }
                    };
                    let rs = &mut out[i];
                    let last_t = rs
                        .floats
                        .last()
                        .map(|p| p.0)
                        .max(rs.histograms.last().map(|p| p.0));
                    if last_t == Some(t) {
                        return Err(dup_err());
                    }
                    match &s.h {
                        Some(h) => rs.histograms.push((t, (**h).clone())),
                        None => rs.floats.push((t, s.f)),
                    }
                }
            }
            out.sort_by(|a, b| a.labels.cmp(&b.labels));
            Value::Matrix(out)
        }
    };
    Ok(QueryResult {
        value,
        annotations: ev.annotations,
        samples_loaded: ev.samples,
    })
}
