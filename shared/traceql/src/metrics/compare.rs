//! `compare({filter}, topN, start, end)`, as Tempo's `MetricsCompare` + `BaselineAggregator`
//! (`pkg/traceql/engine_metrics_compare.go`): every span is counted once per attribute it
//! carries, in the *selection* when the filter matches (and, with start/end, the span started
//! in `(start, end]`), else in the *baseline*.
//!
//! Output series (values = span counts per interval):
//! - `{__meta_type="baseline"|"selection", <attr>=<value>}` for the `topN` values of each
//!   attribute with the highest total count;
//! - `{__meta_type="baseline_total"|"selection_total", <attr>="nil"}`: all spans carrying
//!   the attribute;
//! - `{__meta_error="__too_many_values__", <attr>="nil"}` (no samples, so dropped from the
//!   output as Tempo drops sample-less series) when an attribute has more than `topN` values.
//!
//! Duration-typed values are skipped, as are trace id, span id, parent id and start time.

use std::collections::{BTreeMap, HashMap};

use super::series::{insert, SeriesSet, TimeSeries};
use super::window::Window;
use super::Exemplar;
use crate::eval::{EvalError, Value};

/// `__meta_type`.
pub const META_TYPE: &str = "__meta_type";
/// `__meta_error`.
pub const META_ERROR: &str = "__meta_error";

/// Validates compare()'s arguments with Tempo's messages.
pub fn validate(top_n: i64, start: i64, end: i64) -> Result<(), EvalError> {
    if !(1..=1000).contains(&top_n) {
        return Err(EvalError(
            "compare() top number of values must be an integer between 1 and 1000".into(),
        ));
    }
    if start == 0 && end == 0 {
        return Ok(());
    }
    if start <= 0 || end <= 0 {
        return Err(EvalError(
            "compare() timestamps must be positive integer unix nanoseconds".into(),
        ));
    }
    if end <= start {
        return Err(EvalError(
            "compare() end timestamp must be greater than start timestamp".into(),
        ));
    }
    Ok(())
}

#[derive(Debug, Default, Clone)]
struct Side {
    /// attribute → value key → (value, counts)
    values: BTreeMap<String, BTreeMap<String, (Value, Vec<f64>)>>,
    totals: BTreeMap<String, Vec<f64>>,
    exemplars: Vec<Exemplar>,
}

/// The compare() accumulator.
#[derive(Debug, Clone)]
pub struct Compare {
    window: Window,
    top_n: usize,
    start: i64,
    end: i64,
    exemplar_limit: usize,
    baseline: Side,
    selection: Side,
}

impl Compare {
    /// compare() over `window` with `top_n` values per attribute and an optional selection
    /// window `(start, end]` in ns (both 0 = none).
    pub fn new(window: Window, top_n: i64, start: i64, end: i64, exemplar_limit: u32) -> Compare {
        Compare {
            window,
            top_n: top_n.max(1) as usize,
            start,
            end,
            exemplar_limit: if window.instant {
                0
            } else {
                exemplar_limit as usize
            },
            baseline: Side::default(),
            selection: Side::default(),
        }
    }

    /// Whether a span whose filter result is `matched` and that started at `start_ns` is in
    /// the selection.
    pub fn is_selection(&self, start_ns: i64, matched: bool) -> bool {
        if self.start > 0 && self.end > 0 && (start_ns <= self.start || start_ns > self.end) {
            return false;
        }
        matched
    }

    /// Counts one span: its start, whether the filter matched, and all its attributes
    /// (`(name as printed, value)`: `span.x`, `resource.x`, `name`, `status`, …).
    pub fn observe(&mut self, start_ns: i64, matched: bool, attrs: &[(String, Value)]) {
        let Some(i) = self.window.interval(start_ns) else {
            return;
        };
        let n = self.window.intervals();
        let selected = self.is_selection(start_ns, matched);
        let side = if selected {
            &mut self.selection
        } else {
            &mut self.baseline
        };
        for (name, value) in attrs {
            if matches!(value, Value::Duration(_) | Value::Nil) {
                continue;
            }
            let vals = side.values.entry(name.clone()).or_default();
            let entry = vals
                .entry(format!("{value:?}"))
                .or_insert_with(|| (value.clone(), vec![0.0; n]));
            entry.1[i] += 1.0;
            side.totals
                .entry(name.clone())
                .or_insert_with(|| vec![0.0; n])[i] += 1.0;
        }
    }

    /// Offers an exemplar whose labels are the span's attributes (plus `trace:id`,
    /// `span:id`); it is attached to the `*_total` series of every attribute it names.
    pub fn observe_exemplar(&mut self, start_ns: i64, matched: bool, labels: Vec<(String, Value)>) {
        if self.window.interval(start_ns).is_none() {
            return;
        }
        if self.baseline.exemplars.len() >= self.exemplar_limit
            || self.selection.exemplars.len() >= self.exemplar_limit
        {
            return;
        }
        let e = Exemplar {
            labels,
            value: f64::NAN,
            timestamp_ms: start_ns.div_euclid(1_000_000),
        };
        if self.is_selection(start_ns, matched) {
            self.selection.exemplars.push(e);
        } else {
            self.baseline.exemplars.push(e);
        }
    }

    /// The series (see the module docs).
    pub fn finish(self) -> SeriesSet {
        let mut out = SeriesSet::new();
        let mut maxed: BTreeMap<String, ()> = BTreeMap::new();
        let top_n = self.top_n;
        let meta = |t: &str| (META_TYPE.to_string(), Value::Str(t.into()));
        for (side, kind, total_kind) in [
            (&self.baseline, "baseline", "baseline_total"),
            (&self.selection, "selection", "selection_total"),
        ] {
            for (attr, values) in &side.values {
                let mut ranked: Vec<&(Value, Vec<f64>)> = values.values().collect();
                if ranked.len() > top_n {
                    maxed.insert(attr.clone(), ());
                    // Stable sort: ties keep value order.
                    ranked.sort_by(|a, b| {
                        let (sa, sb): (f64, f64) = (a.1.iter().sum(), b.1.iter().sum());
                        sb.partial_cmp(&sa).unwrap_or(std::cmp::Ordering::Equal)
                    });
                    ranked.truncate(top_n);
                }
                for (value, counts) in ranked {
                    insert(
                        &mut out,
                        TimeSeries {
                            labels: vec![meta(kind), (attr.clone(), value.clone())],
                            values: counts.clone(),
                            exemplars: Vec::new(),
                        },
                    );
                }
            }
            let mut by_attr: HashMap<&str, Vec<Exemplar>> = HashMap::new();
            for e in &side.exemplars {
                for (name, _) in &e.labels {
                    by_attr.entry(name.as_str()).or_default().push(e.clone());
                }
            }
            for (attr, counts) in &side.totals {
                insert(
                    &mut out,
                    TimeSeries {
                        labels: vec![meta(total_kind), (attr.clone(), Value::Str("nil".into()))],
                        values: counts.clone(),
                        exemplars: by_attr.remove(attr.as_str()).unwrap_or_default(),
                    },
                );
            }
        }
        for attr in maxed.into_keys() {
            insert(
                &mut out,
                TimeSeries {
                    labels: vec![
                        (META_ERROR.into(), Value::Str("__too_many_values__".into())),
                        (attr, Value::Str("nil".into())),
                    ],
                    values: Vec::new(),
                    exemplars: Vec::new(),
                },
            );
        }
        out
    }
}
