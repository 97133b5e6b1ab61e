//! Intermediate series: one value per interval (`NaN` = no sample), keyed like Tempo's
//! `SeriesMapKey` (all labels but `__name__`), and their conversion to output [`Series`]
//! (Tempo's `SeriesSet.ToProto`: `NaN` samples dropped, empty series dropped, exemplars kept
//! only where their interval has a value).

use std::collections::BTreeMap;

use super::window::Window;
use super::{Exemplar, Series};
use crate::eval::Value;

/// Label name of ungrouped series (`{__name__="rate"}`), as Prometheus' metric name.
pub const NAME_LABEL: &str = "__name__";

/// Labels in TraceQL order (not sorted), values typed.
pub type Labels = Vec<(String, Value)>;

/// One series during evaluation: `values[i]` is interval `i` (`NaN` = absent).
#[derive(Debug, Clone, PartialEq)]
pub struct TimeSeries {
    pub labels: Labels,
    pub values: Vec<f64>,
    pub exemplars: Vec<Exemplar>,
}

/// Series by [`series_key`]; ordered, so results are deterministic.
pub type SeriesSet = BTreeMap<String, TimeSeries>;

/// The identity of a label set: every label but `__name__`, in order, values with their type
/// (Tempo's `Labels.MapKey`). The ungrouped `{__name__="rate"}` has the empty key.
pub fn series_key(labels: &[(String, Value)]) -> String {
    let mut key = String::new();
    for (name, value) in labels {
        if name == NAME_LABEL {
            continue;
        }
        key.push_str(name);
        key.push('\u{1}');
        key.push_str(&format!("{value:?}"));
        key.push('\u{2}');
    }
    key
}

/// Inserts `series` under its key (replacing any series with the same key).
pub fn insert(set: &mut SeriesSet, series: TimeSeries) {
    set.insert(series_key(&series.labels), series);
}

/// Output form: samples `(timestamp ms, value)` for the non-`NaN` intervals, series without
/// samples dropped, exemplars outside the window or on a `NaN` interval dropped.
pub fn to_output(set: SeriesSet, window: &Window) -> Vec<Series> {
    let n = window.intervals();
    let mut out = Vec::with_capacity(set.len());
    for (_, s) in set {
        let samples: Vec<(i64, f64)> = s
            .values
            .iter()
            .take(n)
            .enumerate()
            .filter(|(_, v)| !v.is_nan())
            .map(|(i, v)| (window.timestamp_ms(i), *v))
            .collect();
        if samples.is_empty() {
            continue;
        }
        let exemplars = s
            .exemplars
            .into_iter()
            .filter(|e| {
                window
                    .interval_ms(e.timestamp_ms)
                    .and_then(|i| s.values.get(i))
                    .is_some_and(|v| !v.is_nan())
            })
            .collect();
        out.push(Series {
            labels: s.labels,
            samples,
            exemplars,
        });
    }
    out
}
