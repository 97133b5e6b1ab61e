//! Function calls: dispatch by name to the function families, as Prometheus `FunctionCalls`.

mod date;
mod histogram;
pub(crate) mod info;
pub(crate) mod labels;
pub(crate) mod math;
mod misc;
pub(crate) mod over_time;
mod rate;

use crate::eval::Evaluator;
use crate::types::{MSeries, MatrixArg, Sample, StepVec, Steps, Val};
use crate::QueryError;
use lakewatch_model::FloatHistogram;
use promql_parser::parser::{Call, Expr};
use std::sync::Arc;

/// The points one series shows to a range function at one step.
pub(crate) struct Window<'a> {
    pub series: &'a MSeries,
    pub floats: &'a [(i64, f64)],
    pub hists: &'a [(i64, Arc<FloatHistogram>)],
    /// Window end (ms; step time with `@`/offset applied) and range (ms).
    pub end: i64,
    pub range: i64,
    /// Step time (ms) and index.
    pub t: i64,
    pub k: usize,
}

/// A range function's result for one series at one step.
pub(crate) type Out = Option<(f64, Option<Arc<FloatHistogram>>)>;

/// Applies `f` to every series window at every step. Output samples keep the series labels;
/// `keep_name` says whether `__name__` survives (only `last/first_over_time` and friends).
pub(crate) fn over_windows(
    m: &MatrixArg,
    steps: &Steps,
    keep_name: bool,
    mut f: impl FnMut(&Window) -> Out,
) -> Vec<StepVec> {
    let mut out: Vec<StepVec> = vec![Vec::new(); steps.len()];
    for s in &m.series {
        let (mut fc, mut hc) = (Cursor::default(), Cursor::default());
        for (k, o) in out.iter_mut().enumerate() {
            let end = m.ends[k];
            let w = Window {
                series: s,
                floats: fc.window(&s.floats, end, m.range),
                hists: hc.window(&s.hists, end, m.range),
                end,
                range: m.range,
                t: steps.ts(k),
                k,
            };
            if w.floats.is_empty() && w.hists.is_empty() {
                continue;
            }
            if let Some((v, h)) = f(&w) {
                o.push(Sample {
                    metric: s.metric.clone(),
                    f: v,
                    h,
                    drop_name: s.drop_name || !keep_name,
                });
            }
        }
    }
    out
}

/// Bounds of the window `(end - range, end]` in time-sorted points, slid forward from the
/// previous window (steps usually have increasing ends; a smaller end restarts the scan).
/// Same slices as `MSeries::floats_in`/`hists_in`, without two binary searches per step.
struct Cursor {
    lo: usize,
    hi: usize,
    last_end: i64,
}

impl Default for Cursor {
    fn default() -> Self {
        Cursor {
            lo: 0,
            hi: 0,
            last_end: i64::MIN,
        }
    }
}

impl Cursor {
    fn window<'a, T>(&mut self, pts: &'a [(i64, T)], end: i64, range: i64) -> &'a [(i64, T)] {
        if end < self.last_end {
            self.lo = 0;
            self.hi = 0;
        }
        self.last_end = end;
        while self.hi < pts.len() && pts[self.hi].0 <= end {
            self.hi += 1;
        }
        let start = end.saturating_sub(range);
        while self.lo < self.hi && pts[self.lo].0 <= start {
            self.lo += 1;
        }
        &pts[self.lo..self.hi]
    }
}

/// Maps every sample of an instant vector, dropping `None` results; `__name__` is dropped.
pub(crate) fn map_vector(
    v: Vec<StepVec>,
    mut f: impl FnMut(usize, &Sample) -> Option<f64>,
) -> Vec<StepVec> {
    v.into_iter()
        .enumerate()
        .map(|(k, vec)| {
            vec.into_iter()
                .filter_map(|s| {
                    let r = f(k, &s)?;
                    Some(Sample {
                        metric: s.metric,
                        f: r,
                        h: None,
                        drop_name: true,
                    })
                })
                .collect()
        })
        .collect()
}

/// Argument `i` of a call.
pub(crate) fn arg(c: &Call, i: usize) -> Result<&Expr, QueryError> {
    c.args
        .args
        .get(i)
        .map(|b| b.as_ref())
        .ok_or_else(|| QueryError::Execution(format!("missing argument {i} of {}", c.func.name)))
}

/// Evaluates call argument `i` as a scalar (one value per step).
pub(crate) fn scalar_arg(
    ev: &mut Evaluator,
    c: &Call,
    i: usize,
    steps: &Steps,
) -> Result<Vec<f64>, QueryError> {
    let e = arg(c, i)?;
    ev.eval_scalar(e, steps)
}

/// Evaluates call argument `i` as a string literal.
pub(crate) fn string_arg(c: &Call, i: usize) -> Result<String, QueryError> {
    match crate::eval::unwrap_parens(arg(c, i)?) {
        Expr::StringLiteral(s) => Ok(s.val.clone()),
        _ => Err(QueryError::Execution(format!(
            "expected string argument {i} of {}",
            c.func.name
        ))),
    }
}

/// Evaluates a function call at every step.
pub(crate) fn eval(ev: &mut Evaluator, c: &Call, steps: &Steps) -> Result<Val, QueryError> {
    let name = c.func.name;
    match name {
        "histogram_count" | "histogram_sum" | "histogram_avg" => {
            ev.with_stats(true, |ev| eval_call(ev, name, c, steps))
        }
        "histogram_quantile" | "histogram_quantiles" | "histogram_fraction" => {
            ev.with_stats(false, |ev| eval_call(ev, name, c, steps))
        }
        _ => eval_call(ev, name, c, steps),
    }
}

fn eval_call(ev: &mut Evaluator, name: &str, c: &Call, steps: &Steps) -> Result<Val, QueryError> {
    if name == "info" {
        return info::eval(ev, c, steps);
    }
    if let Some(v) = rate::eval(ev, name, c, steps)? {
        return Ok(v);
    }
    if let Some(v) = over_time::eval(ev, name, c, steps)? {
        return Ok(v);
    }
    if let Some(v) = math::eval(ev, name, c, steps)? {
        return Ok(v);
    }
    if let Some(v) = date::eval(ev, name, c, steps)? {
        return Ok(v);
    }
    if let Some(v) = labels::eval(ev, name, c, steps)? {
        return Ok(v);
    }
    if let Some(v) = histogram::eval(ev, name, c, steps)? {
        return Ok(v);
    }
    if let Some(v) = misc::eval(ev, name, c, steps)? {
        return Ok(v);
    }
    Err(QueryError::Execution(format!(
        "function \"{name}\" is not supported"
    )))
}
