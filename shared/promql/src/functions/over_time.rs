//! `<aggregation>_over_time` functions over range vectors, as Prometheus `funcXOverTime`.

use super::{over_windows, scalar_arg, Out, Window};
use crate::eval::Evaluator;
use crate::kahan;
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
    // Index of the range-vector argument.
    let marg = match name {
        "quantile_over_time" => 1,
        "avg_over_time"
        | "sum_over_time"
        | "count_over_time"
        | "min_over_time"
        | "max_over_time"
        | "stddev_over_time"
        | "stdvar_over_time"
        | "mad_over_time"
        | "last_over_time"
        | "first_over_time"
        | "present_over_time"
        | "absent_over_time"
        | "ts_of_min_over_time"
        | "ts_of_max_over_time"
        | "ts_of_last_over_time"
        | "ts_of_first_over_time"
        | "double_exponential_smoothing" => 0,
        _ => return Ok(None),
    };
    let m = ev.eval_matrix(super::arg(c, marg)?, steps)?;
    if name == "absent_over_time" {
        let labels = Arc::new(super::misc::absent_labels(super::arg(c, 0)?));
        let out: Vec<StepVec> = (0..steps.len())
            .map(|k| {
                let any = m.series.iter().any(|s| {
                    !s.floats_in(m.ends[k], m.range).is_empty()
                        || !s.hists_in(m.ends[k], m.range).is_empty()
                });
                if any {
                    vec![]
                } else {
                    vec![Sample::float(labels.clone(), 1.0, false)]
                }
            })
            .collect();
        return Ok(Some(Val::Vector(out)));
    }
    let p1 = match name {
        "quantile_over_time" => scalar_arg(ev, c, 0, steps)?,
        "double_exponential_smoothing" => scalar_arg(ev, c, 1, steps)?,
        _ => vec![],
    };
    let p2 = if name == "double_exponential_smoothing" {
        scalar_arg(ev, c, 2, steps)?
    } else {
        vec![]
    };
    if name == "quantile_over_time" {
        for &q in &p1 {
            if !(0.0..=1.0).contains(&q) {
                ev.warn_at(
                    format!("quantile value should be between 0 and 1, got {q}"),
                    super::arg(c, 0)?,
                );
            }
        }
    }
    if name == "double_exponential_smoothing" {
        for (&sf, &tf) in p1.iter().zip(&p2) {
            if sf <= 0.0 || sf >= 1.0 || sf.is_nan() {
                return Err(QueryError::Execution(format!(
                    "invalid smoothing factor. Expected: 0 < sf < 1, got: {sf:.6}"
                )));
            }
            if tf <= 0.0 || tf >= 1.0 || tf.is_nan() {
                return Err(QueryError::Execution(format!(
                    "invalid trend factor. Expected: 0 < tf < 1, got: {tf:.6}"
                )));
            }
        }
    }
    let keep_name = matches!(name, "last_over_time" | "first_over_time");
    let float_only = matches!(
        name,
        "min_over_time"
            | "max_over_time"
            | "stddev_over_time"
            | "stdvar_over_time"
            | "quantile_over_time"
            | "mad_over_time"
            | "ts_of_min_over_time"
            | "ts_of_max_over_time"
            | "double_exponential_smoothing"
    );
    let mut infos: Vec<String> = Vec::new();
    let mut warns: Vec<String> = Vec::new();
    let out = over_windows(&m, steps, keep_name, |w| {
        let mname = || w.series.metric.metric_name().unwrap_or("").to_string();
        if float_only {
            if w.floats.is_empty() {
                return None;
            }
            if !w.hists.is_empty() {
                infos.push(format!(
                    "ignored histograms in a range containing both floats and histograms for metric name \"{}\"",
                    mname()
                ));
            }
        }
        match name {
            "avg_over_time" | "sum_over_time" => {
                if !w.floats.is_empty() && !w.hists.is_empty() {
                    warns.push(format!(
                        "encountered a mix of histograms and floats for metric name \"{}\"",
                        mname()
                    ));
                    return None;
                }
                if !w.hists.is_empty() {
                    let hs: Vec<&lakewatch_model::FloatHistogram> =
                        w.hists.iter().map(|p| p.1.as_ref()).collect();
                    let r = crate::hist::sum_or_avg(&hs, &mname(), name == "avg_over_time");
                    for an in r.annotations {
                        if an.is_warning() {
                            warns.push(an.message());
                        } else {
                            infos.push(an.message());
                        }
                    }
                    return r.histogram.map(|h| (0.0, Some(Arc::new(h))));
                }
                let vals: Vec<f64> = w.floats.iter().map(|p| p.1).collect();
                if name == "sum_over_time" {
                    Some((kahan::sum(vals), None))
                } else {
                    Some((kahan::mean(&vals), None))
                }
            }
            "count_over_time" => Some(((w.floats.len() + w.hists.len()) as f64, None)),
            "present_over_time" => Some((1.0, None)),
            "min_over_time" => compare(w, |c, m| c < m || m.is_nan(), false),
            "max_over_time" => compare(w, |c, m| c > m || m.is_nan(), false),
            "ts_of_min_over_time" => compare(w, |c, m| c <= m || m.is_nan(), true),
            "ts_of_max_over_time" => compare(w, |c, m| c >= m || m.is_nan(), true),
            "stdvar_over_time" => Some((kahan::variance(&floats(w)), None)),
            "stddev_over_time" => Some((kahan::variance(&floats(w)).sqrt(), None)),
            "quantile_over_time" => Some((quantile(p1[w.k], floats(w)), None)),
            "mad_over_time" => {
                let vals = floats(w);
                if vals.iter().any(|v| v.is_nan()) {
                    return Some((f64::NAN, None));
                }
                let med = quantile(0.5, vals.clone());
                let devs = vals.iter().map(|v| (v - med).abs()).collect();
                Some((quantile(0.5, devs), None))
            }
            "last_over_time" | "ts_of_last_over_time" => {
                let f = w.floats.last();
                let h = w.hists.last();
                let ts = name == "ts_of_last_over_time";
                match (f, h) {
                    (Some(f), Some(h)) if h.0 > f.0 => hist_or_ts(h, ts),
                    (Some(f), _) => Some((if ts { f.0 as f64 / 1000.0 } else { f.1 }, None)),
                    (None, Some(h)) => hist_or_ts(h, ts),
                    _ => None,
                }
            }
            "first_over_time" | "ts_of_first_over_time" => {
                let f = w.floats.first();
                let h = w.hists.first();
                let ts = name == "ts_of_first_over_time";
                match (f, h) {
                    (Some(f), Some(h)) if h.0 < f.0 => hist_or_ts(h, ts),
                    (Some(f), _) => Some((if ts { f.0 as f64 / 1000.0 } else { f.1 }, None)),
                    (None, Some(h)) => hist_or_ts(h, ts),
                    _ => None,
                }
            }
            "double_exponential_smoothing" => des(w.floats, p1[w.k], p2[w.k]),
            _ => None,
        }
    });
    let a = super::arg(c, marg)?;
    for i in infos {
        ev.info_at(i, a);
    }
    for w in warns {
        ev.warn_at(w, a);
    }
    Ok(Some(Val::Vector(out)))
}

fn floats(w: &Window) -> Vec<f64> {
    w.floats.iter().map(|p| p.1).collect()
}

fn hist_or_ts(h: &(i64, Arc<lakewatch_model::FloatHistogram>), ts: bool) -> Out {
    if ts {
        Some((h.0 as f64 / 1000.0, None))
    } else {
        Some((0.0, Some(h.1.clone())))
    }
}

/// Prometheus `compareOverTime`: the extreme value (or its timestamp in seconds).
fn compare(w: &Window, better: impl Fn(f64, f64) -> bool, ts: bool) -> Out {
    let (mut best, mut best_t) = (w.floats[0].1, w.floats[0].0);
    for &(t, v) in w.floats {
        if better(v, best) {
            best = v;
            best_t = t;
        }
    }
    Some((if ts { best_t as f64 / 1000.0 } else { best }, None))
}

/// Prometheus `quantile`: linear interpolation between closest ranks; NaNs sort first.
pub(crate) fn quantile(q: f64, mut vals: Vec<f64>) -> f64 {
    if vals.is_empty() || q.is_nan() {
        return f64::NAN;
    }
    if q < 0.0 {
        return f64::NEG_INFINITY;
    }
    if q > 1.0 {
        return f64::INFINITY;
    }
    vals.sort_by(|a, b| match (a.is_nan(), b.is_nan()) {
        (true, true) => std::cmp::Ordering::Equal,
        (true, false) => std::cmp::Ordering::Less,
        (false, true) => std::cmp::Ordering::Greater,
        _ => a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal),
    });
    let n = vals.len() as f64;
    let rank = q * (n - 1.0);
    let lower = rank.floor().max(0.0);
    let upper = (lower + 1.0).min(n - 1.0);
    let weight = rank - rank.floor();
    vals[lower as usize] * (1.0 - weight) + vals[upper as usize] * weight
}

/// Double exponential smoothing (formerly `holt_winters`).
fn des(pts: &[(i64, f64)], sf: f64, tf: f64) -> Out {
    if pts.len() < 2 {
        return None;
    }
    let (mut s0, mut s1) = (0.0f64, pts[0].1);
    let mut b = pts[1].1 - pts[0].1;
    for (i, p) in pts.iter().enumerate().skip(1) {
        let x = sf * p.1;
        if i > 1 {
            b = tf * (s1 - s0) + (1.0 - tf) * b;
        }
        let y = (1.0 - sf) * (s1 + b);
        s0 = s1;
        s1 = x + y;
    }
    Some((s1, None))
}
