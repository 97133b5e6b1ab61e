//! Cumulative counters and classic histograms keyed by label set, as the registry of Tempo's
//! metrics-generator (`modules/generator/registry/{counter,histogram}.go`), but collected on
//! demand (once per trace ingest request) instead of every 15 s.
//!
//! - A counter series holds one cumulative value.
//! - A histogram series holds cumulative bucket counts for the configured upper bounds plus
//!   `+Inf`, a `_sum` and a `_count`; an observation `v` lands in the first bucket whose bound
//!   is `>= v` (Prometheus `le` semantics, Tempo's `sort.SearchFloat64s`) and in all larger
//!   ones. The last trace id observed per bucket becomes an exemplar (label `traceID`, Tempo's
//!   default `trace_id_label_name`), emitted once.
//! - [`Registry::collect`] emits one sample per series touched since the previous collection,
//!   at the given timestamp; a series never emitted before first gets a `0` sample 1 ms
//!   earlier so that PromQL `rate()`/`increase()` count its first increment (Tempo writes the
//!   same zero, at the end of the previous minute).

use lakewatch_model::{Exemplar, Labels, Sample, TimeSeries, METRIC_NAME};
use std::collections::HashMap;

/// Exemplar label carrying the hex trace id (Tempo's default `trace_id_label_name`).
pub const TRACE_ID_LABEL: &str = "traceID";

#[derive(Debug, Clone)]
struct Histogram {
    /// Upper bounds without `+Inf`, ascending.
    bounds: Vec<f64>,
    /// Cumulative counts per bound, then the `+Inf` count (`bounds.len() + 1` entries).
    buckets: Vec<f64>,
    sum: f64,
    count: f64,
    /// Pending exemplar per bucket: (hex trace id, observed value).
    exemplars: Vec<Option<(String, f64)>>,
}

#[derive(Debug, Clone)]
enum Value {
    Counter(f64),
    Histogram(Histogram),
}

#[derive(Debug, Clone)]
struct Entry {
    value: Value,
    /// Emitted at least once (its initial zero is in the store).
    written: bool,
    /// Updated since the last collection.
    touched: bool,
    /// Last update, ms since the epoch (for stale-series removal).
    last_update_ms: i64,
    /// Last emission, ms since the epoch (for the periodic refresh).
    last_emit_ms: i64,
}

/// What [`Registry::collect`] emitted: the series to write and the keys needed by
/// [`Registry::restore`] if the write fails.
#[derive(Debug, Clone, Default)]
pub struct Collected {
    /// Series with samples (and exemplars) to write.
    pub series: Vec<TimeSeries>,
    /// Keys emitted for the first time (they carried the initial zero).
    pub new_keys: Vec<Labels>,
    /// All keys emitted.
    pub touched_keys: Vec<Labels>,
    /// The collection's timestamp, ms.
    pub ts_ms: i64,
}

/// Cumulative series of one tenant. Keys are label sets including `__name__` (the counter
/// name, or the histogram family name without `_bucket`/`_sum`/`_count`).
#[derive(Debug, Clone, Default)]
pub struct Registry {
    series: HashMap<Labels, Entry>,
    /// Series refused because the registry was full (see [`Registry::new`]).
    pub dropped_series: u64,
    max_series: usize,
}

fn with_name(labels: &Labels, name: &str) -> Labels {
    let mut l = labels.clone();
    l.set(METRIC_NAME, name);
    l
}

fn format_le(b: f64) -> String {
    if b.is_infinite() {
        "+Inf".to_string()
    } else {
        // Shortest round-trip decimal without exponent, as Go's FormatFloat(b, 'f', -1, 64).
        format!("{b}")
    }
}

impl Registry {
    /// An empty registry holding at most `max_series` label sets (0 = unlimited); a new label
    /// set beyond that is dropped and counted in [`Registry::dropped_series`].
    pub fn new(max_series: usize) -> Self {
        Registry {
            series: HashMap::new(),
            dropped_series: 0,
            max_series,
        }
    }

    /// Number of label sets held (a histogram counts once).
    pub fn len(&self) -> usize {
        self.series.len()
    }

    /// `true` when no series is held.
    pub fn is_empty(&self) -> bool {
        self.series.is_empty()
    }

    fn entry(
        &mut self,
        key: Labels,
        now_ms: i64,
        make: impl FnOnce() -> Value,
    ) -> Option<&mut Entry> {
        if !self.series.contains_key(&key) {
            if self.max_series > 0 && self.series.len() >= self.max_series {
                self.dropped_series += 1;
                return None;
            }
            self.series.insert(
                key.clone(),
                Entry {
                    value: make(),
                    written: false,
                    touched: false,
                    last_update_ms: now_ms,
                    last_emit_ms: i64::MIN,
                },
            );
        }
        let e = self.series.get_mut(&key)?;
        e.touched = true;
        e.last_update_ms = now_ms;
        Some(e)
    }

    /// Adds `v` (>= 0) to the counter `key` (labels including `__name__`), creating it at 0.
    pub fn inc(&mut self, key: Labels, v: f64, now_ms: i64) {
        if let Some(e) = self.entry(key, now_ms, || Value::Counter(0.0)) {
            if let Value::Counter(c) = &mut e.value {
                *c += v;
            }
        }
    }

    /// Observes `v` in the histogram `key` (labels including `__name__` = family name) with
    /// upper `bounds` (ascending, without `+Inf`; fixed at the series' creation), remembering
    /// `trace_id` (hex) as the bucket's exemplar.
    pub fn observe(
        &mut self,
        key: Labels,
        bounds: &[f64],
        v: f64,
        trace_id: Option<String>,
        now_ms: i64,
    ) {
        let make = || {
            Value::Histogram(Histogram {
                bounds: bounds.to_vec(),
                buckets: vec![0.0; bounds.len() + 1],
                sum: 0.0,
                count: 0.0,
                exemplars: vec![None; bounds.len() + 1],
            })
        };
        if let Some(e) = self.entry(key, now_ms, make) {
            if let Value::Histogram(h) = &mut e.value {
                h.count += 1.0;
                h.sum += v;
                let first = h.bounds.partition_point(|b| *b < v);
                for c in &mut h.buckets[first..] {
                    *c += 1.0;
                }
                if let Some(t) = trace_id {
                    h.exemplars[first] = Some((t, v));
                }
            }
        }
    }

    /// Emits every series touched since the last collection at `ts_ms` (one sample each, plus
    /// a `0` at `ts_ms - 1` for a series never emitted), and, when `refresh_ms > 0`, every
    /// other series last emitted at least `refresh_ms` ago (its unchanged value, as Tempo's
    /// periodic collection re-sends all active series); marks them emitted and untouched.
    /// Histograms become `<name>_bucket{le}` (bounds then `+Inf`), `<name>_sum`, `<name>_count`.
    pub fn collect(&mut self, ts_ms: i64, refresh_ms: i64) -> Collected {
        let mut out = Collected {
            ts_ms,
            ..Default::default()
        };
        let due = |e: &Entry| {
            e.touched
                || (refresh_ms > 0
                    && e.written
                    && e.last_emit_ms <= ts_ms.saturating_sub(refresh_ms))
        };
        for (key, e) in self.series.iter_mut().filter(|(_, e)| due(e)) {
            let is_new = !e.written;
            let samples = |v: f64| {
                let mut s = Vec::with_capacity(2);
                if is_new {
                    s.push(Sample {
                        timestamp_ms: ts_ms - 1,
                        value: 0.0,
                    });
                }
                s.push(Sample {
                    timestamp_ms: ts_ms,
                    value: v,
                });
                s
            };
            match &mut e.value {
                Value::Counter(c) => out.series.push(TimeSeries {
                    labels: key.clone(),
                    samples: samples(*c),
                    ..Default::default()
                }),
                Value::Histogram(h) => {
                    let family = key.metric_name().unwrap_or_default().to_string();
                    let bucket_name = format!("{family}_bucket");
                    let les = h.bounds.iter().copied().chain([f64::INFINITY]);
                    for (i, le) in les.enumerate() {
                        let mut labels = with_name(key, &bucket_name);
                        labels.set("le", &format_le(le));
                        let exemplars = h.exemplars[i]
                            .take()
                            .map(|(t, v)| Exemplar {
                                labels: Labels::from_pairs([(TRACE_ID_LABEL, t)]),
                                value: v,
                                timestamp_ms: ts_ms,
                            })
                            .into_iter()
                            .collect();
                        out.series.push(TimeSeries {
                            labels,
                            samples: samples(h.buckets[i]),
                            histograms: Vec::new(),
                            exemplars,
                        });
                    }
                    out.series.push(TimeSeries {
                        labels: with_name(key, &format!("{family}_sum")),
                        samples: samples(h.sum),
                        ..Default::default()
                    });
                    out.series.push(TimeSeries {
                        labels: with_name(key, &format!("{family}_count")),
                        samples: samples(h.count),
                        ..Default::default()
                    });
                }
            }
            if is_new {
                out.new_keys.push(key.clone());
            }
            out.touched_keys.push(key.clone());
            e.written = true;
            e.touched = false;
            e.last_emit_ms = ts_ms;
        }
        out
    }

    /// Undoes the bookkeeping of a collection whose write failed: its series are touched
    /// again (re-emitted by the next collection) and the new ones get their initial zero again.
    /// Series emitted again by a later collection (concurrent requests) are left as they are.
    pub fn restore(&mut self, c: &Collected) {
        for k in &c.touched_keys {
            if let Some(e) = self.series.get_mut(k) {
                if e.last_emit_ms == c.ts_ms {
                    e.touched = true;
                }
            }
        }
        for k in &c.new_keys {
            if let Some(e) = self.series.get_mut(k) {
                if e.last_emit_ms == c.ts_ms {
                    e.written = false;
                }
            }
        }
    }

    /// Forgets series not updated since `cutoff_ms` (Tempo's `stale_duration`, 15 min); one
    /// that comes back starts again from 0 (a counter reset for PromQL). Returns how many.
    pub fn remove_stale(&mut self, cutoff_ms: i64) -> usize {
        let before = self.series.len();
        self.series
            .retain(|_, e| e.touched || e.last_update_ms >= cutoff_ms);
        before - self.series.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str) -> Labels {
        Labels::from_pairs([(METRIC_NAME, name), ("a", "b")])
    }

    /// `(timestamp ms, value)` of the first collected series.
    fn first_points(c: &Collected) -> Vec<(i64, f64)> {
        c.series[0]
            .samples
            .iter()
            .map(|s| (s.timestamp_ms, s.value))
            .collect()
    }

    #[test]
    fn counter_new_series_gets_zero_then_cumulative() {
        let mut r = Registry::new(0);
        r.inc(key("c_total"), 2.0, 1000);
        let c = r.collect(1000, 0);
        assert_eq!(c.series.len(), 1);
        assert_eq!(first_points(&c), vec![(999, 0.0), (1000, 2.0)]);
        assert!(
            r.collect(1500, 0).series.is_empty(),
            "untouched series are not re-emitted"
        );
        r.inc(key("c_total"), 1.0, 2000);
        assert_eq!(first_points(&r.collect(2000, 0)), vec![(2000, 3.0)]);
        // Refresh: untouched series last emitted >= refresh_ms ago are re-sent unchanged.
        assert!(r.collect(2999, 1000).series.is_empty());
        assert_eq!(first_points(&r.collect(3000, 1000)), vec![(3000, 3.0)]);
    }

    #[test]
    fn histogram_buckets_are_cumulative_and_le_inclusive() {
        let mut r = Registry::new(0);
        let bounds = [0.1, 0.2, 0.4];
        r.observe(key("h"), &bounds, 0.2, Some("ab".into()), 1);
        r.observe(key("h"), &bounds, 5.0, None, 1);
        let c = r.collect(10, 0);
        let get = |name: &str, le: Option<&str>| {
            c.series
                .iter()
                .find(|s| s.labels.metric_name() == Some(name) && s.labels.get("le") == le)
                .map(|s| s.samples.last().map(|x| x.value).unwrap_or(f64::NAN))
        };
        assert_eq!(get("h_bucket", Some("0.1")), Some(0.0));
        assert_eq!(get("h_bucket", Some("0.2")), Some(1.0));
        assert_eq!(get("h_bucket", Some("0.4")), Some(1.0));
        assert_eq!(get("h_bucket", Some("+Inf")), Some(2.0));
        assert_eq!(get("h_sum", None), Some(5.2));
        assert_eq!(get("h_count", None), Some(2.0));
        let ex: Vec<_> = c.series.iter().flat_map(|s| &s.exemplars).collect();
        assert_eq!(ex.len(), 1);
        assert_eq!(ex[0].labels.get(TRACE_ID_LABEL), Some("ab"));
        assert_eq!(ex[0].value, 0.2);
    }

    #[test]
    fn restore_reemits_with_initial_zero_and_limit_drops() {
        let mut r = Registry::new(1);
        r.inc(key("a_total"), 1.0, 1);
        r.inc(key("b_total"), 1.0, 1);
        assert_eq!(r.dropped_series, 1);
        let c = r.collect(5, 0);
        r.restore(&c);
        let c2 = r.collect(7, 0);
        assert_eq!(c2.series[0].samples.len(), 2);
        assert_eq!(c2.series[0].samples[0].timestamp_ms, 6);
        assert_eq!(r.remove_stale(2), 1);
        assert!(r.is_empty());
    }
}
