//! Second stages on series (`| topk(n)`, `| bottomk(n)`, `> 10`…), applied left to right, as
//! Tempo's `TopKBottomK` and `MetricsFilter` (`pkg/traceql/ast_metrics.go`).
//!
//! - `topk(n)` / `bottomk(n)`: when there are more than `n` series, evaluated **per
//!   timestamp** (as PromQL): at each interval the `n` highest (lowest) non-`NaN` values are
//!   kept, everything else becomes `NaN`; a series never selected disappears. Ties prefer the
//!   greater (topk) / smaller (bottomk) label key.
//! - comparison filter: values failing the comparison (and `NaN`) become `NaN`, series left
//!   without values are dropped, exemplars failing it (or `NaN`) are dropped. Durations were
//!   converted to seconds by the parser.

use std::cmp::Ordering;

use super::series::SeriesSet;
use crate::ast::{CmpOp, SecondStage};

/// Applies `stages` in order to `set` of `intervals` values per series.
pub fn apply(stages: &[SecondStage], mut set: SeriesSet, intervals: usize) -> SeriesSet {
    for stage in stages {
        set = match stage {
            SecondStage::TopK(n) => top_bottom(set, intervals, *n, true),
            SecondStage::BottomK(n) => top_bottom(set, intervals, *n, false),
            SecondStage::Filter(op, v) => filter(set, *op, *v),
        };
    }
    set
}

/// Whether `v op rhs` holds.
pub fn compare(op: CmpOp, v: f64, rhs: f64) -> bool {
    match op {
        CmpOp::Eq => v == rhs,
        CmpOp::Neq => v != rhs,
        CmpOp::Lt => v < rhs,
        CmpOp::Lte => v <= rhs,
        CmpOp::Gt => v > rhs,
        CmpOp::Gte => v >= rhs,
    }
}

fn filter(set: SeriesSet, op: CmpOp, rhs: f64) -> SeriesSet {
    let mut out = SeriesSet::new();
    for (key, mut s) in set {
        let mut any = false;
        for v in s.values.iter_mut() {
            if v.is_nan() || !compare(op, *v, rhs) {
                *v = f64::NAN;
            } else {
                any = true;
            }
        }
        if !any {
            continue;
        }
        s.exemplars
            .retain(|e| !e.value.is_nan() && compare(op, e.value, rhs));
        out.insert(key, s);
    }
    out
}

fn top_bottom(set: SeriesSet, intervals: usize, n: i64, top: bool) -> SeriesSet {
    let n = n.max(0) as usize;
    if set.len() <= n {
        return set;
    }
    let mut out = SeriesSet::new();
    for i in 0..intervals {
        let mut cands: Vec<(&String, f64)> = set
            .iter()
            .filter_map(|(k, s)| s.values.get(i).map(|v| (k, *v)))
            .filter(|(_, v)| !v.is_nan())
            .collect();
        // Best first: by value, ties by key (greater key wins for topk, smaller for bottomk).
        cands.sort_by(|a, b| {
            let by_value = if top {
                b.1.partial_cmp(&a.1)
            } else {
                a.1.partial_cmp(&b.1)
            }
            .unwrap_or(Ordering::Equal);
            by_value.then_with(|| if top { b.0.cmp(a.0) } else { a.0.cmp(b.0) })
        });
        for (key, v) in cands.into_iter().take(n) {
            let entry = out.entry(key.clone()).or_insert_with(|| {
                let src = &set[key];
                let mut s = src.clone();
                s.values = vec![f64::NAN; intervals];
                s
            });
            entry.values[i] = v;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::Value;
    use crate::metrics::series::{insert, TimeSeries};

    fn set(rows: &[(&str, &[f64])]) -> SeriesSet {
        let mut s = SeriesSet::new();
        for (name, values) in rows {
            insert(
                &mut s,
                TimeSeries {
                    labels: vec![("x".into(), Value::Str(name.to_string()))],
                    values: values.to_vec(),
                    exemplars: vec![],
                },
            );
        }
        s
    }

    fn rows(s: &SeriesSet) -> Vec<(String, Vec<String>)> {
        s.values()
            .map(|t| {
                let name = match &t.labels[0].1 {
                    Value::Str(s) => s.clone(),
                    _ => String::new(),
                };
                (name, t.values.iter().map(|v| format!("{v}")).collect())
            })
            .collect()
    }

    #[test]
    fn topk_per_timestamp() {
        let s = set(&[
            ("a", &[1.0, 5.0]),
            ("b", &[3.0, 2.0]),
            ("c", &[2.0, f64::NAN]),
        ]);
        let out = apply(&[SecondStage::TopK(1)], s.clone(), 2);
        assert_eq!(
            rows(&out),
            vec![
                ("a".into(), vec!["NaN".into(), "5".into()]),
                ("b".into(), vec!["3".into(), "NaN".into()])
            ]
        );
        let out = apply(&[SecondStage::BottomK(2)], s.clone(), 2);
        assert_eq!(
            rows(&out),
            vec![
                ("a".into(), vec!["1".into(), "5".into()]),
                ("b".into(), vec!["NaN".into(), "2".into()]),
                ("c".into(), vec!["2".into(), "NaN".into()])
            ]
        );
        // n >= series: unchanged
        assert_eq!(
            rows(&apply(&[SecondStage::TopK(3)], s.clone(), 2)),
            rows(&s)
        );
    }

    #[test]
    fn filter_and_chain() {
        let s = set(&[("a", &[1.0, 5.0]), ("b", &[3.0, 2.0])]);
        let out = apply(&[SecondStage::Filter(CmpOp::Gt, 2.0)], s.clone(), 2);
        assert_eq!(
            rows(&out),
            vec![
                ("a".into(), vec!["NaN".into(), "5".into()]),
                ("b".into(), vec!["3".into(), "NaN".into()])
            ]
        );
        let out = apply(&[SecondStage::Filter(CmpOp::Gt, 10.0)], s.clone(), 2);
        assert!(out.is_empty());
        let out = apply(
            &[SecondStage::TopK(1), SecondStage::Filter(CmpOp::Gte, 5.0)],
            s,
            2,
        );
        assert_eq!(
            rows(&out),
            vec![("a".into(), vec!["NaN".into(), "5".into()])]
        );
    }
}
