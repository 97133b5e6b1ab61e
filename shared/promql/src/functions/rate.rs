//! Counter/gauge change functions over range vectors: `rate`, `increase`, `delta`
//! (extrapolated, as Prometheus `extrapolatedRate`), `irate`, `idelta`, `deriv`,
//! `predict_linear`, `changes`, `resets`.

use super::{over_windows, scalar_arg, Out, Window};
use crate::eval::Evaluator;
use crate::native::Annotation;
use crate::types::{MSeries, Steps, Val};
use crate::QueryError;
use lakewatch_model::{FloatHistogram, ResetHint};
use promql_parser::parser::Call;
use std::sync::Arc;

const COUNTER_SUFFIXES: [&str; 4] = ["_total", "_sum", "_count", "_bucket"];

/// Evaluates the function if it belongs to this family.
pub(crate) fn eval(
    ev: &mut Evaluator,
    name: &str,
    c: &Call,
    steps: &Steps,
) -> Result<Option<Val>, QueryError> {
    let f: fn(&Window, f64, &mut Vec<Annotation>) -> Out = match name {
        "rate" => |w, _, a| extrapolated(w, true, true, a),
        "increase" => |w, _, a| extrapolated(w, true, false, a),
        "delta" => |w, _, a| extrapolated(w, false, false, a),
        "irate" => |w, _, a| instant_value(w, true, a),
        "idelta" => |w, _, a| instant_value(w, false, a),
        "deriv" => |w, _, _| deriv(w),
        "predict_linear" => |w, p, _| predict_linear(w, p),
        "changes" => |w, _, _| changes(w),
        "resets" => |w, _, _| resets(w),
        _ => return Ok(None),
    };
    let m = ev.eval_matrix(super::arg(c, 0)?, steps)?;
    let params = if name == "predict_linear" {
        scalar_arg(ev, c, 1, steps)?
    } else {
        vec![0.0; steps.len()]
    };
    let mut annos: Vec<Annotation> = Vec::new();
    let mut non_counter: Vec<String> = Vec::new();
    let mut ignored: Vec<String> = Vec::new();
    // Whether the series of the previous window is named like a non-counter (windows come
    // series by series, so the labels are looked at once per series, not once per step).
    let mut last: Option<(*const MSeries, Option<String>)> = None;
    let out = over_windows(&m, steps, false, |w| {
        if (name == "deriv" || name == "predict_linear")
            && !w.floats.is_empty()
            && !w.hists.is_empty()
        {
            ignored.push(metric_name(w));
        }
        let r = f(w, params[w.k], &mut annos);
        if (name == "rate" || name == "increase") && r.as_ref().is_some_and(|r| r.1.is_none()) {
            let ptr: *const MSeries = w.series;
            let suspect = match &last {
                Some((p, n)) if *p == ptr => n.clone(),
                _ => {
                    let n = non_counter_name(w.series);
                    last = Some((ptr, n.clone()));
                    n
                }
            };
            non_counter.extend(suspect);
        }
        r
    });
    let a0 = super::arg(c, 0)?;
    for a in crate::native::merge_annotations(annos) {
        ev.annotate(&a, a0);
    }
    for n in ignored {
        ev.info_at(
            format!("ignored histograms in a range containing both floats and histograms for metric name \"{n}\""),
            a0,
        );
    }
    for n in non_counter {
        ev.info_at(
            format!(
                "metric might not be a counter, name does not end in _total/_sum/_count/_bucket: \"{n}\""
            ),
            a0,
        );
    }
    Ok(Some(Val::Vector(out)))
}

/// The metric name of `s` if it is neither typed as a counter nor named like one (Prometheus
/// annotates `rate`/`increase` of such series).
fn non_counter_name(s: &MSeries) -> Option<String> {
    let n = s.metric.metric_name()?;
    let typed_counter = s.metric.get("__type__") == Some("counter");
    (!typed_counter && !COUNTER_SUFFIXES.iter().any(|suf| n.ends_with(suf))).then(|| n.to_string())
}

fn metric_name(w: &Window) -> String {
    w.series.metric.metric_name().unwrap_or("").to_string()
}

fn mixed(w: &Window, annos: &mut Vec<Annotation>) -> bool {
    if !w.floats.is_empty() && !w.hists.is_empty() {
        annos.push(Annotation::MixedFloatsHistograms {
            metric_name: metric_name(w),
        });
        return true;
    }
    false
}

/// Prometheus `extrapolatedRate`: rate/increase/delta with extrapolation to the window edges.
fn extrapolated(w: &Window, is_counter: bool, is_rate: bool, annos: &mut Vec<Annotation>) -> Out {
    if mixed(w, annos) {
        return None;
    }
    let range_start = w.end - w.range;
    let range_end = w.end;
    let (first_t, last_t, n_minus_one, mut result_f, first_v, hist);
    if w.hists.len() > 1 {
        let (ft, fh) = &w.hists[0];
        let (lt, _) = &w.hists[w.hists.len() - 1];
        let pts: Vec<&FloatHistogram> = w.hists.iter().map(|p| p.1.as_ref()).collect();
        let (h, a) = crate::native::histogram_rate_delta(&pts, is_counter, &metric_name(w));
        annos.extend(a);
        let h = h?;
        first_t = *ft;
        last_t = *lt;
        n_minus_one = w.hists.len() - 1;
        result_f = 0.0;
        first_v = fh.count;
        hist = Some(h);
    } else if w.floats.len() > 1 {
        let fl = w.floats;
        n_minus_one = fl.len() - 1;
        first_t = fl[0].0;
        last_t = fl[n_minus_one].0;
        result_f = fl[n_minus_one].1 - fl[0].1;
        first_v = fl[0].1;
        hist = None;
        if is_counter {
            let mut prev = fl[0].1;
            for p in &fl[1..] {
                if p.1 < prev {
                    result_f += prev;
                }
                prev = p.1;
            }
        }
    } else {
        return None;
    }
    let mut duration_to_start = (first_t - range_start) as f64 / 1000.0;
    let mut duration_to_end = (range_end - last_t) as f64 / 1000.0;
    let sampled_interval = (last_t - first_t) as f64 / 1000.0;
    let avg_between = sampled_interval / n_minus_one as f64;
    let threshold = avg_between * 1.1;
    if duration_to_start >= threshold {
        duration_to_start = avg_between / 2.0;
    }
    if is_counter {
        let result_for_zero = match &hist {
            Some(h) => h.count,
            None => result_f,
        };
        let mut duration_to_zero = duration_to_start;
        if result_for_zero > 0.0 && first_v >= 0.0 {
            duration_to_zero = sampled_interval * (first_v / result_for_zero);
        }
        if duration_to_zero < duration_to_start {
            duration_to_start = duration_to_zero;
        }
    }
    if duration_to_end >= threshold {
        duration_to_end = avg_between / 2.0;
    }
    let mut factor = (sampled_interval + duration_to_start + duration_to_end) / sampled_interval;
    if is_rate {
        factor /= w.range as f64 / 1000.0;
    }
    match hist {
        Some(h) => Some((0.0, Some(Arc::new(h.mul(factor))))),
        None => {
            result_f *= factor;
            Some((result_f, None))
        }
    }
}

/// `irate`/`idelta`: from the last two samples, as Prometheus `instantValue`.
fn instant_value(w: &Window, is_rate: bool, annos: &mut Vec<Annotation>) -> Out {
    // Last two points across floats and histograms.
    type Point<'a> = (i64, Option<f64>, Option<&'a Arc<FloatHistogram>>);
    let mut pts: Vec<Point> = Vec::with_capacity(4);
    for p in w.floats.iter().rev().take(2) {
        pts.push((p.0, Some(p.1), None));
    }
    for p in w.hists.iter().rev().take(2) {
        pts.push((p.0, None, Some(&p.1)));
    }
    pts.sort_by_key(|p| p.0);
    if pts.len() < 2 {
        return None;
    }
    let (a, b) = (&pts[pts.len() - 2], &pts[pts.len() - 1]);
    let interval = b.0 - a.0;
    if interval == 0 {
        return None;
    }
    match (a.1, b.1, a.2, b.2) {
        (Some(x), Some(y), _, _) => {
            let mut v = if is_rate && y < x { y } else { y - x };
            if is_rate {
                v /= interval as f64 / 1000.0;
            }
            Some((v, None))
        }
        (None, None, Some(x), Some(y)) => {
            let name = metric_name(w);
            let gauge = |h: &FloatHistogram| h.counter_reset_hint == ResetHint::Gauge;
            if is_rate && (gauge(x) || gauge(y)) {
                annos.push(Annotation::NotCounter {
                    metric_name: name.clone(),
                });
            }
            if !is_rate && (!gauge(x) || !gauge(y)) {
                annos.push(Annotation::NotGauge {
                    metric_name: name.clone(),
                });
            }
            let mut h = if is_rate && y.detect_reset(x) {
                (**y).clone()
            } else {
                crate::hist::combine(y, x, true, &name, annos)?
            };
            h.counter_reset_hint = ResetHint::Gauge;
            if is_rate {
                h = h.div(interval as f64 / 1000.0);
            }
            Some((0.0, Some(Arc::new(h.compact(0)))))
        }
        _ => {
            annos.push(Annotation::MixedFloatsHistograms {
                metric_name: metric_name(w),
            });
            None
        }
    }
}

/// Least-squares fit `(slope, intercept)` with x in seconds relative to `intercept_t`,
/// as Prometheus `linearRegression`.
pub(crate) fn linear_regression(pts: &[(i64, f64)], intercept_t: i64) -> (f64, f64) {
    use crate::kahan::inc;
    let (mut n, mut sx, mut cx, mut sy, mut cy, mut sxy, mut cxy, mut sx2, mut cx2) =
        (0.0f64, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    let init_y = pts[0].1;
    let mut const_y = true;
    for (i, &(t, v)) in pts.iter().enumerate() {
        if const_y && i > 0 && v != init_y {
            const_y = false;
        }
        n += 1.0;
        let x = (t - intercept_t) as f64 / 1e3;
        (sx, cx) = inc(x, sx, cx);
        (sy, cy) = inc(v, sy, cy);
        (sxy, cxy) = inc(x * v, sxy, cxy);
        (sx2, cx2) = inc(x * x, sx2, cx2);
    }
    if const_y {
        if init_y.is_infinite() {
            return (f64::NAN, f64::NAN);
        }
        return (0.0, init_y);
    }
    sx += cx;
    sy += cy;
    sxy += cxy;
    sx2 += cx2;
    let cov = sxy - sx * sy / n;
    let var = sx2 - sx * sx / n;
    let slope = cov / var;
    (slope, sy / n - slope * sx / n)
}

fn deriv(w: &Window) -> Out {
    if w.floats.len() < 2 {
        return None;
    }
    Some((linear_regression(w.floats, w.floats[0].0).0, None))
}

fn predict_linear(w: &Window, duration: f64) -> Out {
    if w.floats.len() < 2 {
        return None;
    }
    let (slope, intercept) = linear_regression(w.floats, w.t);
    Some((slope * duration + intercept, None))
}

/// Floats and histograms of a window merged in time order.
fn merged<'a>(w: &'a Window) -> Vec<(i64, Result<f64, &'a FloatHistogram>)> {
    let mut v: Vec<(i64, Result<f64, &FloatHistogram>)> = w
        .floats
        .iter()
        .map(|p| (p.0, Ok(p.1)))
        .chain(w.hists.iter().map(|p| (p.0, Err(p.1.as_ref()))))
        .collect();
    v.sort_by_key(|p| p.0);
    v
}

/// `changes`: value changes, counting float/histogram transitions, as Prometheus.
fn changes(w: &Window) -> Out {
    let pts = merged(w);
    let mut n = 0.0;
    for p in pts.windows(2) {
        let changed = match (&p[0].1, &p[1].1) {
            (Ok(a), Ok(b)) => a != b && !(a.is_nan() && b.is_nan()),
            (Err(a), Err(b)) => !crate::hist::equal(a, b),
            _ => true,
        };
        if changed {
            n += 1.0;
        }
    }
    Some((n, None))
}

/// `resets`: counter resets, counting float/histogram transitions, as Prometheus.
fn resets(w: &Window) -> Out {
    let pts = merged(w);
    let mut n = 0.0;
    for p in pts.windows(2) {
        let reset = match (&p[0].1, &p[1].1) {
            (Ok(a), Ok(b)) => b < a,
            (Err(a), Err(b)) => b.detect_reset(a),
            _ => true,
        };
        if reset {
            n += 1.0;
        }
    }
    Some((n, None))
}
