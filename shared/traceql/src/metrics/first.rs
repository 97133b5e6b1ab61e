//! First-stage metrics functions over spans (Tempo's `MetricsAggregate`,
//! `averageOverTimeAggregator`, `HistogramAggregator`): each observation is one span given
//! as `(start ns, by() values, function argument value)`, so this module runs on synthetic
//! observations as well as on evaluated traces.
//!
//! Result values per interval, as Tempo's final results:
//! - `rate()`: spans / step seconds; `count_over_time()`: spans; 0 in empty intervals of an
//!   existing series; without `by()` the series exists even when no span matched (all 0).
//! - `min/max/sum/avg_over_time(x)`: `NaN` (no sample) in empty intervals; spans without a
//!   numeric `x` are skipped. `duration` is in **seconds**; other attributes are taken as
//!   numbers as stored (ints, floats; duration-typed attributes as nanoseconds, as Tempo's
//!   `Static.Float`).
//! - `histogram_over_time(x)`: span counts per power-of-two bucket, label `__bucket` = bucket
//!   max (seconds for durations); spans with `x` < 2 or a float `x` are dropped.
//! - `quantile_over_time(x, q…)`: one series per `q` with label `p`, log2-interpolated from
//!   those buckets; 0 in empty intervals.
//!
//! Labels: `by()` attributes as TraceQL prints them (`resource.service.name`, `.foo`, `name`),
//! nil values omitted, all-nil → first label = `"nil"`; without `by()`: `{__name__="rate"}`
//! (function name), except histogram/quantile which only carry `__bucket` / `p`.

use std::collections::HashMap;

use super::exemplars::ExemplarBuckets;
use super::log2;
use super::series::{insert, Labels, SeriesSet, TimeSeries, NAME_LABEL};
use super::window::Window;
use super::Exemplar;
use crate::ast::{Attribute, Intrinsic, MetricsKind};
use crate::eval::Value;
// Kahan–Neumaier increment (Prometheus `kahanSumInc`): the new sum and compensation.
use lakewatch_model::histogram::kahan_inc;

/// A first-stage function (everything but `compare`, see [`super::compare`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Function {
    /// `rate()`.
    Rate,
    /// `count_over_time()`.
    CountOverTime,
    /// `min_over_time(x)`.
    MinOverTime,
    /// `max_over_time(x)`.
    MaxOverTime,
    /// `sum_over_time(x)`.
    SumOverTime,
    /// `avg_over_time(x)`.
    AvgOverTime,
    /// `histogram_over_time(x)`.
    HistogramOverTime,
    /// `quantile_over_time(x, q…)`.
    QuantileOverTime(Vec<f64>),
}

impl Function {
    /// Tempo's name, used as `__name__` of ungrouped series.
    pub fn name(&self) -> &'static str {
        match self {
            Function::Rate => "rate",
            Function::CountOverTime => "count_over_time",
            Function::MinOverTime => "min_over_time",
            Function::MaxOverTime => "max_over_time",
            Function::SumOverTime => "sum_over_time",
            Function::AvgOverTime => "avg_over_time",
            Function::HistogramOverTime => "histogram_over_time",
            Function::QuantileOverTime(_) => "quantile_over_time",
        }
    }

    /// The function and its argument for a parsed kind; `None` for `compare`.
    pub fn from_kind(kind: &MetricsKind) -> Option<(Function, Option<Attribute>)> {
        Some(match kind {
            MetricsKind::Rate => (Function::Rate, None),
            MetricsKind::CountOverTime => (Function::CountOverTime, None),
            MetricsKind::MinOverTime(a) => (Function::MinOverTime, Some(a.clone())),
            MetricsKind::MaxOverTime(a) => (Function::MaxOverTime, Some(a.clone())),
            MetricsKind::SumOverTime(a) => (Function::SumOverTime, Some(a.clone())),
            MetricsKind::AvgOverTime(a) => (Function::AvgOverTime, Some(a.clone())),
            MetricsKind::HistogramOverTime(a) => (Function::HistogramOverTime, Some(a.clone())),
            MetricsKind::QuantileOverTime(a, qs) => {
                (Function::QuantileOverTime(qs.clone()), Some(a.clone()))
            }
            MetricsKind::Compare { .. } => return None,
        })
    }

    fn bucketed(&self) -> bool {
        matches!(
            self,
            Function::HistogramOverTime | Function::QuantileOverTime(_)
        )
    }
}

fn is_duration(attr: Option<&Attribute>) -> bool {
    matches!(attr, Some(Attribute::Intrinsic(Intrinsic::Duration)))
}

/// The number a span contributes to min/max/sum/avg (Tempo's `FloatizeAttribute`, `duration`
/// in seconds); `None` when absent or not numeric.
pub fn numeric(attr: Option<&Attribute>, v: &Value) -> Option<f64> {
    let f = match v {
        Value::Duration(ns) if is_duration(attr) => *ns as f64 / 1e9,
        Value::Duration(ns) => *ns as f64,
        Value::Int(i) => *i as f64,
        Value::Float(f) => *f,
        _ => return None,
    };
    (!f.is_nan()).then_some(f)
}

/// The power-of-two bucket of a span's value (seconds for durations), `None` = dropped.
pub fn bucket(v: &Value) -> Option<f64> {
    match v {
        Value::Duration(ns) if *ns >= 2 => log2::bucketize(*ns as u64).map(|b| b / 1e9),
        Value::Int(i) if *i >= 2 => log2::bucketize(*i as u64),
        _ => None,
    }
}

/// Accumulator of one interval. `v` = count, min, max, sum or mean; `comp` = Kahan
/// compensation; `weight` = samples of a mean.
#[derive(Debug, Clone, Copy)]
struct Cell {
    v: f64,
    comp: f64,
    weight: f64,
}

impl Cell {
    fn add_count(&mut self) {
        self.v += 1.0;
    }

    fn add_min(&mut self, x: f64) {
        if self.v.is_nan() || x < self.v {
            self.v = x;
        }
    }

    fn add_max(&mut self, x: f64) {
        if self.v.is_nan() || x > self.v {
            self.v = x;
        }
    }

    fn add_sum(&mut self, x: f64) {
        if self.v.is_nan() {
            self.v = x;
            return;
        }
        let (s, c) = kahan_inc(x - self.comp, self.v, 0.0);
        self.v = s;
        self.comp = c;
    }

    fn add_mean(&mut self, x: f64) {
        if self.v.is_nan() {
            *self = Cell {
                v: x,
                comp: 0.0,
                weight: 1.0,
            };
            return;
        }
        self.weight += 1.0;
        let inc = x / self.weight - self.v / self.weight;
        if self.v.is_infinite() && (inc.is_finite() || inc.signum() == self.v.signum()) {
            return;
        }
        let (m, c) = kahan_inc(inc, self.v, self.comp);
        self.v = m;
        self.comp = c;
    }
}

#[derive(Debug, Clone)]
struct Group {
    values: Vec<Value>,
    bucket: Option<f64>,
    cells: Vec<Cell>,
    exemplars: Vec<Exemplar>,
    admitted: ExemplarBuckets,
}

/// A first-stage function accumulating spans into series.
#[derive(Debug, Clone)]
pub struct FirstStage {
    function: Function,
    attr: Option<Attribute>,
    by: Vec<String>,
    window: Window,
    exemplar_limit: u32,
    groups: HashMap<String, Group>,
}

impl FirstStage {
    /// `function` of argument `attr` grouped by labels `by` (names as printed, e.g.
    /// `resource.service.name`) over `window`, keeping up to `exemplar_limit` exemplars per
    /// series.
    pub fn new(
        function: Function,
        attr: Option<Attribute>,
        by: Vec<String>,
        window: Window,
        exemplar_limit: u32,
    ) -> FirstStage {
        let mut stage = FirstStage {
            function,
            attr,
            by,
            window,
            exemplar_limit,
            groups: HashMap::new(),
        };
        // Tempo's ungrouped counter always reports its series, zeros when nothing matched.
        if stage.by.is_empty() && matches!(stage.function, Function::Rate | Function::CountOverTime)
        {
            stage.group(&[], None);
        }
        stage
    }

    /// The function's argument (`None` for `rate` / `count_over_time`).
    pub fn attribute(&self) -> Option<&Attribute> {
        self.attr.as_ref()
    }

    fn group(&mut self, group: &[Value], bucket: Option<f64>) -> &mut Group {
        let key = format!("{group:?}|{bucket:?}");
        let init = match self.function {
            Function::Rate | Function::CountOverTime | Function::HistogramOverTime => 0.0,
            Function::QuantileOverTime(_) => 0.0,
            _ => f64::NAN,
        };
        let n = self.window.intervals();
        let (limit, window) = (self.exemplar_limit, self.window);
        self.groups.entry(key).or_insert_with(|| Group {
            values: group.to_vec(),
            bucket,
            cells: vec![
                Cell {
                    v: init,
                    comp: 0.0,
                    weight: 0.0,
                };
                n
            ],
            exemplars: Vec::new(),
            admitted: ExemplarBuckets::new(limit, &window),
        })
    }

    /// Where a span goes: its interval and bucket, `None` when it is dropped.
    fn place(&self, start_ns: i64, value: &Value) -> Option<(usize, Option<f64>)> {
        let i = self.window.interval(start_ns)?;
        let b = if self.function.bucketed() {
            Some(bucket(value)?)
        } else {
            None
        };
        Some((i, b))
    }

    /// Adds one span that started at `start_ns` with `by()` values `group` and argument
    /// `value` (`Value::Nil` for `rate` / `count_over_time`).
    pub fn observe(&mut self, start_ns: i64, group: &[Value], value: &Value) {
        let Some((i, b)) = self.place(start_ns, value) else {
            return;
        };
        let x = numeric(self.attr.as_ref(), value);
        let function = self.function.clone();
        if matches!(
            function,
            Function::MinOverTime
                | Function::MaxOverTime
                | Function::SumOverTime
                | Function::AvgOverTime
        ) && x.is_none()
        {
            return;
        }
        let cell = &mut self.group(group, b).cells[i];
        let x = x.unwrap_or(f64::NAN);
        match function {
            Function::Rate
            | Function::CountOverTime
            | Function::HistogramOverTime
            | Function::QuantileOverTime(_) => cell.add_count(),
            Function::MinOverTime => cell.add_min(x),
            Function::MaxOverTime => cell.add_max(x),
            Function::SumOverTime => cell.add_sum(x),
            Function::AvgOverTime => cell.add_mean(x),
        }
    }

    /// Offers span `labels` (e.g. `trace:id`, `span:id`) as an exemplar of the span's series;
    /// value = the argument (`duration` in seconds), `NaN` for counts and histograms.
    pub fn observe_exemplar(
        &mut self,
        start_ns: i64,
        group: &[Value],
        value: &Value,
        labels: Labels,
    ) {
        let Some((_, b)) = self.place(start_ns, value) else {
            return;
        };
        let ex_value = match self.function {
            Function::Rate | Function::CountOverTime | Function::HistogramOverTime => f64::NAN,
            _ => numeric(self.attr.as_ref(), value).unwrap_or(0.0),
        };
        let ts_ms = start_ns.div_euclid(1_000_000);
        let g = self.group(group, b);
        if g.admitted.admit(ts_ms) {
            g.exemplars.push(Exemplar {
                labels,
                value: ex_value,
                timestamp_ms: ts_ms,
            });
        }
    }

    /// Labels of a group (see the module docs).
    fn labels(&self, values: &[Value]) -> Labels {
        let mut labels: Labels = self
            .by
            .iter()
            .zip(values)
            .filter(|(_, v)| **v != Value::Nil)
            .map(|(n, v)| (n.clone(), v.clone()))
            .collect();
        if labels.is_empty() && !self.function.bucketed() {
            match self.by.first() {
                Some(first) => labels.push((first.clone(), Value::Str("nil".into()))),
                None => labels.push((NAME_LABEL.into(), Value::Str(self.function.name().into()))),
            }
        }
        labels
    }

    /// The series (values per interval, see the module docs).
    pub fn finish(self) -> SeriesSet {
        if let Function::QuantileOverTime(qs) = self.function.clone() {
            return self.finish_quantiles(qs);
        }
        let mult = match self.function {
            Function::Rate => 1.0 / self.window.step_seconds(),
            _ => 1.0,
        };
        let mut out = SeriesSet::new();
        for g in self.groups.values() {
            let mut labels = self.labels(&g.values);
            if let Some(b) = g.bucket {
                labels.push(("__bucket".into(), Value::Float(b)));
            }
            let values = g
                .cells
                .iter()
                .map(|c| match self.function {
                    Function::AvgOverTime => c.v + c.comp,
                    _ => c.v * mult,
                })
                .collect();
            insert(
                &mut out,
                TimeSeries {
                    labels,
                    values,
                    exemplars: g.exemplars.clone(),
                },
            );
        }
        out
    }

    fn finish_quantiles(self, qs: Vec<f64>) -> SeriesSet {
        let n = self.window.intervals();
        // Per series (without bucket): per interval (bucket, count) lists, and exemplars.
        type Hist = Vec<Vec<(f64, f64)>>;
        let mut series: HashMap<String, (Vec<Value>, Hist, Vec<Exemplar>)> = HashMap::new();
        let mut overall: Vec<(f64, f64)> = Vec::new();
        let mut groups: Vec<&Group> = self.groups.values().collect();
        groups.sort_by(|a, b| {
            a.bucket
                .partial_cmp(&b.bucket)
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        for g in groups {
            let Some(b) = g.bucket else { continue };
            let entry = series
                .entry(format!("{:?}", g.values))
                .or_insert_with(|| (g.values.clone(), vec![Vec::new(); n], Vec::new()));
            for (i, c) in g.cells.iter().enumerate() {
                if c.v > 0.0 {
                    entry.1[i].push((b, c.v));
                    match overall.iter_mut().find(|(ob, _)| *ob == b) {
                        Some(o) => o.1 += c.v,
                        None => overall.push((b, c.v)),
                    }
                }
            }
            entry.2.extend(g.exemplars.iter().cloned());
        }
        overall.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal));
        let overall_q: Vec<f64> = qs.iter().map(|q| log2::quantile(*q, &overall)).collect();
        let mut out = SeriesSet::new();
        for (values, hist, exemplars) in series.into_values() {
            let base = self.labels(&values);
            for (qi, q) in qs.iter().enumerate() {
                let mut labels = base.clone();
                labels.push(("p".into(), Value::Float(*q)));
                let vals = hist.iter().map(|h| log2::quantile(*q, h)).collect();
                let exemplars = exemplars
                    .iter()
                    .filter(|e| closest(e.value, &overall_q) == Some(qi))
                    .cloned()
                    .collect();
                insert(
                    &mut out,
                    TimeSeries {
                        labels,
                        values: vals,
                        exemplars,
                    },
                );
            }
        }
        out
    }
}

/// Index of the quantile value closest to `v` (first on ties), Tempo's
/// `assignExemplarToQuantile`.
fn closest(v: f64, qs: &[f64]) -> Option<usize> {
    let mut best = None;
    let mut best_diff = f64::INFINITY;
    for (i, q) in qs.iter().enumerate() {
        let d = (v - q).abs();
        if d < best_diff {
            best_diff = d;
            best = Some(i);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::MetricsRange;

    const S: i64 = 1_000_000_000;

    fn window() -> Window {
        // (90,100] (100,110] (110,120] (120,130]
        Window::new(MetricsRange {
            start_ns: 100 * S,
            end_ns: 130 * S,
            step_ns: 10 * S,
        })
        .unwrap()
    }

    fn dur() -> Option<Attribute> {
        Some(Attribute::Intrinsic(Intrinsic::Duration))
    }

    fn only(set: &SeriesSet) -> &TimeSeries {
        assert_eq!(set.len(), 1, "{set:?}");
        set.values().next().unwrap()
    }

    fn same(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(x, y)| (x.is_nan() && y.is_nan()) || (x - y).abs() < 1e-12)
    }

    #[test]
    fn rate_counts_per_step_second() {
        let mut f = FirstStage::new(Function::Rate, None, vec![], window(), 0);
        for t in [95, 100, 101, 125, 131, 90] {
            f.observe(t * S, &[], &Value::Nil);
        }
        let set = f.finish();
        let s = only(&set);
        assert_eq!(
            s.labels,
            vec![("__name__".to_string(), Value::Str("rate".into()))]
        );
        assert!(same(&s.values, &[0.2, 0.1, 0.0, 0.1]));
    }

    #[test]
    fn by_labels_drop_nil() {
        let by = vec!["span.a".to_string(), "span.b".to_string()];
        let mut f = FirstStage::new(Function::CountOverTime, None, by, window(), 0);
        f.observe(101 * S, &[Value::Nil, Value::Int(2)], &Value::Nil);
        f.observe(102 * S, &[Value::Nil, Value::Nil], &Value::Nil);
        let labels: Vec<Labels> = f.finish().into_values().map(|s| s.labels).collect();
        assert!(labels.contains(&vec![("span.b".to_string(), Value::Int(2))]));
        assert!(labels.contains(&vec![("span.a".to_string(), Value::Str("nil".into()))]));
    }

    #[test]
    fn over_time_nan_when_empty() {
        for (f, want) in [
            (Function::MinOverTime, 1.0),
            (Function::MaxOverTime, 3.0),
            (Function::SumOverTime, 4.0),
            (Function::AvgOverTime, 2.0),
        ] {
            let mut st = FirstStage::new(f, dur(), vec![], window(), 0);
            st.observe(111 * S, &[], &Value::Duration(S));
            st.observe(112 * S, &[], &Value::Duration(3 * S));
            st.observe(113 * S, &[], &Value::Nil);
            let set = st.finish();
            assert!(same(
                &only(&set).values,
                &[f64::NAN, f64::NAN, want, f64::NAN]
            ));
        }
    }

    #[test]
    fn avg_is_precise() {
        let mut st = FirstStage::new(
            Function::AvgOverTime,
            Some(Attribute::Attr {
                scope: crate::ast::Scope::Span,
                parent: false,
                name: "x".into(),
            }),
            vec![],
            window(),
            0,
        );
        for _ in 0..10 {
            st.observe(101 * S, &[], &Value::Float(0.1));
        }
        let set = st.finish();
        assert!((only(&set).values[1] - 0.1).abs() < 1e-16);
    }

    #[test]
    fn histogram_and_quantile_labels() {
        let mut h = FirstStage::new(Function::HistogramOverTime, dur(), vec![], window(), 0);
        h.observe(101 * S, &[], &Value::Duration(3));
        h.observe(101 * S, &[], &Value::Duration(1)); // dropped
        let set = h.finish();
        assert_eq!(
            only(&set).labels,
            vec![("__bucket".to_string(), Value::Float(4e-9))]
        );
        let mut q = FirstStage::new(
            Function::QuantileOverTime(vec![0.5]),
            dur(),
            vec!["span.x".into()],
            window(),
            0,
        );
        q.observe(101 * S, &[Value::Str("y".into())], &Value::Duration(4));
        let set = q.finish();
        let s = only(&set);
        assert_eq!(
            s.labels,
            vec![
                ("span.x".to_string(), Value::Str("y".into())),
                ("p".to_string(), Value::Float(0.5))
            ]
        );
        assert!(same(&s.values, &[0.0, 4e-9, 0.0, 0.0]));
    }

    #[test]
    fn exemplars_limited_per_bucket() {
        let mut f = FirstStage::new(Function::MaxOverTime, dur(), vec![], window(), 4);
        for i in 0..10 {
            let labels = vec![("trace:id".to_string(), Value::Str(format!("{i}")))];
            f.observe_exemplar(101 * S + i, &[], &Value::Duration(S), labels);
        }
        let set = f.finish();
        // 4 exemplars over 2 buckets, at most 2 per bucket: all 10 fall in one bucket.
        assert_eq!(only(&set).exemplars.len(), 2);
        assert_eq!(only(&set).exemplars[0].value, 1.0);
    }
}
