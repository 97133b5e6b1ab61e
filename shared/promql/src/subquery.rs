//! Subqueries `expr[range:step] offset o @ t`: the inner expression is evaluated once over
//! steps aligned to absolute multiples of the subquery step (as Prometheus), covering the
//! union of all outer windows, then turned into a range vector.

use crate::eval::{offset_ms, Evaluator};
use crate::types::{MSeries, MatrixArg, Steps, Val};
use crate::QueryError;
use lakewatch_model::{Labels, ResetHint};
use promql_parser::parser::SubqueryExpr;
use std::collections::HashMap;
use std::sync::Arc;

/// Evaluates a subquery for every outer step; step `k` sees `(ends[k]-range, ends[k]]`.
pub(crate) fn eval(
    ev: &mut Evaluator,
    sq: &SubqueryExpr,
    steps: &Steps,
) -> Result<MatrixArg, QueryError> {
    let range = sq.range.as_millis() as i64;
    let step = match sq.step {
        Some(s) if !s.is_zero() => s.as_millis() as i64,
        _ => ev.opts.default_subquery_step.as_millis() as i64,
    }
    .max(1);
    let at = ev.at_time(&sq.at);
    let off = offset_ms(&sq.offset);
    let ends: Vec<i64> = steps.iter().map(|t| at.unwrap_or(t) - off).collect();
    let (Some(&mint), Some(&maxt)) = (ends.iter().min(), ends.iter().max()) else {
        return Ok(MatrixArg::default());
    };
    let lo = mint - range;
    let start = lo.div_euclid(step) * step + if lo.rem_euclid(step) != 0 { step } else { 0 };
    let inner = Steps {
        start,
        end: maxt,
        step,
    };
    if inner.len() > ev.opts.max_samples {
        return Err(QueryError::Execution(
            "query processing would load too many samples into memory in subquery".into(),
        ));
    }
    let series = if inner.len() == 0 {
        Vec::new()
    } else {
        let v = ev.with_stats(false, |ev| ev.eval(&sq.expr, &inner))?;
        to_series(v, &inner)
    };
    Ok(MatrixArg {
        series,
        range,
        ends,
    })
}

/// Groups per-step results into series (scalars become one series without labels).
pub(crate) fn to_series(v: Val, steps: &Steps) -> Vec<MSeries> {
    match v {
        Val::Scalar(s) => vec![MSeries {
            metric: Arc::new(Labels::default()),
            floats: steps.iter().zip(s).collect(),
            hists: vec![],
            drop_name: false,
        }],
        Val::Str(_) => vec![],
        Val::Vector(vs) => {
            let mut idx: HashMap<(Arc<Labels>, bool), usize> = HashMap::new();
            let mut out: Vec<MSeries> = Vec::new();
            for (k, vec) in vs.into_iter().enumerate() {
                let t = steps.ts(k);
                for s in vec {
                    let key = (s.metric.clone(), s.drop_name);
                    let i = *idx.entry(key).or_insert_with(|| {
                        out.push(MSeries {
                            metric: s.metric.clone(),
                            drop_name: s.drop_name,
                            ..Default::default()
                        });
                        out.len() - 1
                    });
                    match s.h {
                        Some(mut h) => {
                            // A subquery's samples are not consecutive scrapes: only gauge
                            // hints survive, others become unknown (as Prometheus).
                            if !matches!(
                                h.counter_reset_hint,
                                ResetHint::Gauge | ResetHint::Unknown
                            ) {
                                Arc::make_mut(&mut h).counter_reset_hint = ResetHint::Unknown;
                            }
                            out[i].hists.push((t, h))
                        }
                        None => out[i].floats.push((t, s.f)),
                    }
                }
            }
            out.sort_by(|a, b| a.metric.cmp(&b.metric));
            out
        }
    }
}
