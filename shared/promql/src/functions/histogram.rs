//! Histogram functions (`histogram_quantile`, `histogram_fraction`, `histogram_count`,
//! `histogram_sum`, `histogram_avg`, `histogram_stddev`, `histogram_stdvar`): per-step
//! dispatch to [`crate::native`], which holds the Prometheus math and annotation texts.

use super::{arg, scalar_arg};
use crate::eval::Evaluator;
use crate::native::{self, Annotation, HistInput};
use crate::types::{Sample, StepVec, Steps, Val};
use crate::QueryError;
use promql_parser::parser::Call;
use std::sync::Arc;

/// Evaluates the function if it belongs to this family.
pub(crate) fn eval(
    ev: &mut Evaluator,
    name: &str,
    c: &Call,
    steps: &Steps,
) -> Result<Option<Val>, QueryError> {
    let simple: Option<fn(&lakewatch_model::FloatHistogram) -> f64> = match name {
        "histogram_count" => Some(native::histogram_count),
        "histogram_sum" => Some(native::histogram_sum),
        "histogram_avg" => Some(native::histogram_avg),
        "histogram_stddev" => Some(native::histogram_stddev),
        "histogram_stdvar" => Some(native::histogram_stdvar),
        _ => None,
    };
    if let Some(f) = simple {
        let v = ev.eval_vector(arg(c, 0)?, steps)?;
        let out = v
            .into_iter()
            .map(|vec| {
                vec.into_iter()
                    .filter_map(|s| {
                        let h = s.h.as_ref()?;
                        Some(Sample {
                            f: f(h),
                            h: None,
                            drop_name: true,
                            metric: s.metric,
                        })
                    })
                    .collect()
            })
            .collect();
        return Ok(Some(Val::Vector(out)));
    }
    if name == "histogram_quantiles" {
        return quantiles(ev, c, steps).map(Some);
    }
    let (params, varg): (Vec<Vec<f64>>, usize) = match name {
        "histogram_quantile" => (vec![scalar_arg(ev, c, 0, steps)?], 1),
        "histogram_fraction" => (
            vec![scalar_arg(ev, c, 0, steps)?, scalar_arg(ev, c, 1, steps)?],
            2,
        ),
        _ => return Ok(None),
    };
    let v = ev.eval_vector(arg(c, varg)?, steps)?;
    let mut annos: Vec<Annotation> = Vec::new();
    let mut out: Vec<StepVec> = Vec::with_capacity(v.len());
    for (k, vec) in v.iter().enumerate() {
        let input: Vec<HistInput> = vec
            .iter()
            .map(|s| HistInput {
                labels: &s.metric,
                value: s.f,
                histogram: s.h.as_deref(),
            })
            .collect();
        let (res, a) = if name == "histogram_quantile" {
            native::histogram_quantile_vector(params[0][k], &input, steps.ts(k))
        } else {
            native::histogram_fraction_vector(params[0][k], params[1][k], &input)
        };
        annos.extend(a);
        out.push(
            res.into_iter()
                .map(|(l, f)| Sample::float(Arc::new(l), f, true))
                .collect(),
        );
    }
    let (a0, av) = (arg(c, 0)?, arg(c, varg)?);
    for a in native::merge_annotations(annos) {
        let pos = if matches!(a, Annotation::InvalidQuantile(_)) {
            a0
        } else {
            av
        };
        ev.annotate(&a, pos);
    }
    Ok(Some(Val::Vector(out)))
}

/// `histogram_quantiles(v, "label", q1, q2, ...)`: one output series per quantile, labelled
/// with the quantile (`q="0.5"`).
fn quantiles(ev: &mut Evaluator, c: &Call, steps: &Steps) -> Result<Val, QueryError> {
    let v = ev.eval_vector(arg(c, 0)?, steps)?;
    let label = super::string_arg(c, 1)?;
    let mut qs: Vec<(Vec<f64>, &promql_parser::parser::Expr)> = Vec::new();
    for i in 2..c.args.args.len() {
        qs.push((scalar_arg(ev, c, i, steps)?, arg(c, i)?));
    }
    let mut annos: Vec<(Annotation, bool)> = Vec::new();
    let mut out: Vec<StepVec> = Vec::with_capacity(v.len());
    for (k, vec) in v.iter().enumerate() {
        let input: Vec<HistInput> = vec
            .iter()
            .map(|s| HistInput {
                labels: &s.metric,
                value: s.f,
                histogram: s.h.as_deref(),
            })
            .collect();
        let mut step_out = Vec::new();
        for (qi, (q, _)) in qs.iter().enumerate() {
            let (res, a) = native::histogram_quantile_vector(q[k], &input, steps.ts(k));
            annos.extend(a.into_iter().map(|a| (a, qi == 0)));
            let qv = format!("{:?}", q[k]);
            for (mut l, f) in res {
                l.set(&label, &qv);
                step_out.push(Sample::float(Arc::new(l), f, true));
            }
        }
        out.push(step_out);
    }
    let av = arg(c, 0)?;
    let mut seen: Vec<Annotation> = Vec::new();
    for (a, _) in annos {
        if seen.contains(&a) {
            continue;
        }
        let pos = match &a {
            Annotation::InvalidQuantile(q) => qs
                .iter()
                .find(|(v, _)| v.iter().any(|x| x.to_bits() == q.to_bits()))
                .map(|(_, e)| *e)
                .unwrap_or(av),
            _ => av,
        };
        ev.annotate(&a, pos);
        seen.push(a);
    }
    Ok(Val::Vector(out))
}
