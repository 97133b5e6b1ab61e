//! Arithmetic between metrics sub-queries and with scalars, as Tempo's `MathExpression` and
//! `MetricsScalarOp` (`pkg/traceql/ast_metrics_math.go`).
//!
//! Series are matched by their labels without `__name__`. When one side has the label-less
//! series (an ungrouped sub-query such as `{} | rate()`), it is applied to every series of the
//! other side; otherwise only series present on both sides are kept. Labels of the result:
//! left labels then right labels not already present; `__name__` becomes `(l op r)` when both
//! sides have one, else it is dropped. `x / 0` is `NaN`; `NaN` propagates (IEEE-754).
//! Exemplars: both sides' when both match directly, else the non-fanned-out side's.

use super::series::{Labels, SeriesSet, TimeSeries, NAME_LABEL};
use crate::ast::ArithOp;
use crate::eval::Value;

/// `l op r` (`/` by 0 = `NaN`; `%` and `^` are not metrics operators and give `NaN`).
pub fn arith(op: ArithOp, l: f64, r: f64) -> f64 {
    match op {
        ArithOp::Add => l + r,
        ArithOp::Sub => l - r,
        ArithOp::Mul => l * r,
        ArithOp::Div if r == 0.0 => f64::NAN,
        ArithOp::Div => l / r,
        ArithOp::Mod | ArithOp::Pow => f64::NAN,
    }
}

/// Series `op` series.
pub fn binary(op: ArithOp, lhs: &SeriesSet, rhs: &SeriesSet) -> SeriesSet {
    let empty = String::new();
    let target = if rhs.contains_key(&empty) { lhs } else { rhs };
    let lookup = |set: &'_ SeriesSet, k: &String| -> Option<(TimeSeries, bool)> {
        if let Some(s) = set.get(k) {
            return Some((s.clone(), false));
        }
        set.get(&empty).map(|s| (s.clone(), true))
    };
    let mut out = SeriesSet::new();
    for key in target.keys() {
        let (Some((l, lfan)), Some((r, rfan))) = (lookup(lhs, key), lookup(rhs, key)) else {
            continue;
        };
        let exemplars = if lfan == rfan {
            let mut e = l.exemplars.clone();
            e.extend(r.exemplars.iter().cloned());
            e
        } else if lfan {
            r.exemplars.clone()
        } else {
            l.exemplars.clone()
        };
        let values = l
            .values
            .iter()
            .zip(&r.values)
            .map(|(a, b)| arith(op, *a, *b))
            .collect();
        let labels = merge_labels(op, &l.labels, &r.labels);
        out.insert(
            key.clone(),
            TimeSeries {
                labels,
                values,
                exemplars,
            },
        );
    }
    out
}

fn name_of(labels: &[(String, Value)]) -> Option<&str> {
    labels.iter().find_map(|(n, v)| match v {
        Value::Str(s) if n == NAME_LABEL => Some(s.as_str()),
        _ => None,
    })
}

fn merge_labels(op: ArithOp, l: &Labels, r: &Labels) -> Labels {
    let mut out = l.clone();
    for (name, v) in r {
        if name == NAME_LABEL || out.iter().any(|(n, _)| n == name) {
            continue;
        }
        out.push((name.clone(), v.clone()));
    }
    match (name_of(l), name_of(r)) {
        (Some(a), Some(b)) => {
            let combined = format!("({a} {op} {b})");
            for (n, v) in out.iter_mut() {
                if n == NAME_LABEL {
                    *v = Value::Str(combined.clone());
                }
            }
        }
        _ => out.retain(|(n, _)| n != NAME_LABEL),
    }
    out
}

/// `scalar op series` (`scalar_left`) or `series op scalar`, on values and exemplar values.
pub fn scalar(op: ArithOp, value: f64, scalar_left: bool, mut set: SeriesSet) -> SeriesSet {
    let apply = |x: f64| {
        if scalar_left {
            arith(op, value, x)
        } else {
            arith(op, x, value)
        }
    };
    for s in set.values_mut() {
        for v in s.values.iter_mut() {
            *v = apply(*v);
        }
        for e in s.exemplars.iter_mut() {
            e.value = apply(e.value);
        }
    }
    set
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::series::insert;

    fn ts(labels: &[(&str, &str)], values: &[f64]) -> TimeSeries {
        TimeSeries {
            labels: labels
                .iter()
                .map(|(n, v)| (n.to_string(), Value::Str(v.to_string())))
                .collect(),
            values: values.to_vec(),
            exemplars: vec![],
        }
    }

    #[test]
    fn ungrouped_ratio_names() {
        let mut a = SeriesSet::new();
        insert(&mut a, ts(&[("__name__", "rate")], &[1.0, 0.0]));
        let mut b = SeriesSet::new();
        insert(&mut b, ts(&[("__name__", "rate")], &[4.0, 0.0]));
        let out = binary(ArithOp::Div, &a, &b);
        let s = out.values().next().unwrap();
        assert_eq!(s.labels[0].1, Value::Str("(rate / rate)".into()));
        assert_eq!(s.values[0], 0.25);
        assert!(s.values[1].is_nan());
    }

    #[test]
    fn fan_out_and_matching() {
        let mut grouped = SeriesSet::new();
        insert(&mut grouped, ts(&[("svc", "a")], &[2.0]));
        insert(&mut grouped, ts(&[("svc", "b")], &[6.0]));
        let mut total = SeriesSet::new();
        insert(&mut total, ts(&[("__name__", "rate")], &[8.0]));
        let out = binary(ArithOp::Div, &grouped, &total);
        let vals: Vec<(Labels, f64)> = out
            .values()
            .map(|s| (s.labels.clone(), s.values[0]))
            .collect();
        assert_eq!(vals.len(), 2);
        assert_eq!(vals[0].1, 0.25);
        assert_eq!(vals[0].0, vec![("svc".into(), Value::Str("a".into()))]);
        // grouped on both sides: only common keys
        let mut other = SeriesSet::new();
        insert(&mut other, ts(&[("svc", "b")], &[3.0]));
        let out = binary(ArithOp::Sub, &grouped, &other);
        assert_eq!(out.len(), 1);
        assert_eq!(out.values().next().unwrap().values, vec![3.0]);
        // scalar
        let out = scalar(ArithOp::Sub, 10.0, true, other);
        assert_eq!(out.values().next().unwrap().values, vec![7.0]);
    }
}
