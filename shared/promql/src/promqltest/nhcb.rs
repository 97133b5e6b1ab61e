//! `load_with_nhcb`: classic histogram series (`*_bucket{le}`, `*_count`, `*_sum`) of one load
//! block converted into custom-bucket native histograms (schema -53) under the base metric
//! name, as Prometheus `promqltest` `appendCustomHistogram` + `util/convertnhcb`.

use super::series::SeqValue;
use lakewatch_model::histogram::CUSTOM_BUCKETS_SCHEMA;
use lakewatch_model::{BucketSpan, FloatHistogram, Labels, TimeSeries};
use std::collections::BTreeMap;

#[derive(Default)]
struct TempHistogram {
    /// (le, cumulative count) as added; duplicates of `le` ignored.
    buckets: Vec<(f64, f64)>,
    count: f64,
    has_count: bool,
    sum: f64,
    err: bool,
}

impl TempHistogram {
    fn set_bucket(&mut self, le: f64, c: f64) {
        if c < 0.0 {
            self.err = true;
        }
        if !self.buckets.iter().any(|b| b.0 == le) {
            self.buckets.push((le, c));
        }
    }

    /// `TempHistogram.Convert`: cumulative → per-bucket counts, +Inf bucket implied by count.
    fn convert(mut self) -> Option<FloatHistogram> {
        if self.err {
            return None;
        }
        self.buckets
            .sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal));
        if self.buckets.windows(2).any(|w| w[1].1 < w[0].1) {
            return None; // count is not cumulative
        }
        if !self.has_count {
            self.count = self.buckets.last()?.1;
        }
        if self.buckets.last().map(|b| b.0) != Some(f64::INFINITY) {
            self.buckets.push((f64::INFINITY, self.count));
        }
        let last = self.buckets.last()?.1;
        if self.count != last {
            return None; // count mismatch
        }
        let integral =
            self.buckets.iter().all(|b| b.1 == b.1.round()) && self.count == self.count.round();
        let mut prev = 0.0;
        let mut buckets = Vec::with_capacity(self.buckets.len());
        let mut custom_values = Vec::new();
        for (le, c) in &self.buckets {
            buckets.push(c - prev);
            prev = *c;
            if *le != f64::INFINITY {
                custom_values.push(*le);
            }
        }
        let h = FloatHistogram {
            schema: CUSTOM_BUCKETS_SCHEMA,
            count: self.count,
            sum: self.sum,
            positive_spans: vec![BucketSpan {
                offset: 0,
                length: buckets.len() as u32,
            }],
            positive_buckets: buckets,
            custom_values,
            ..Default::default()
        };
        // Integer histograms are compacted keeping up to 2 empty buckets, float ones fully.
        Some(h.compact(if integral { 2 } else { 0 }))
    }
}

fn parse_le(s: &str) -> Option<f64> {
    let l = s.trim().to_ascii_lowercase();
    let v = match l.as_str() {
        "+inf" | "inf" | "+infinity" | "infinity" => f64::INFINITY,
        "-inf" | "-infinity" => f64::NEG_INFINITY,
        _ => l.parse::<f64>().ok()?,
    };
    (!v.is_nan()).then_some(v)
}

/// Converts the classic histograms among `series` (values at `i * step_ms`) into native
/// histogram series. Timestamps whose data fails Prometheus's validation are skipped.
pub fn classic_to_nhcb(series: &[(Labels, Vec<SeqValue>)], step_ms: i64) -> Vec<TimeSeries> {
    let mut map: BTreeMap<Labels, BTreeMap<i64, TempHistogram>> = BTreeMap::new();
    for (labels, vals) in series {
        let Some(name) = labels.metric_name() else {
            continue;
        };
        enum Kind {
            Bucket(f64),
            Sum,
            Count,
        }
        let (kind, base) = if let Some(b) = name.strip_suffix("_bucket") {
            let Some(le) = labels.get("le").and_then(parse_le) else {
                continue;
            };
            (Kind::Bucket(le), b)
        } else if let Some(b) = name.strip_suffix("_sum") {
            (Kind::Sum, b)
        } else if let Some(b) = name.strip_suffix("_count") {
            (Kind::Count, b)
        } else {
            continue;
        };
        let mut base_labels = labels.clone();
        base_labels.set("__name__", base);
        base_labels.remove("le");
        let per_ts = map.entry(base_labels).or_default();
        for (i, v) in vals.iter().enumerate() {
            if v.omitted || v.histogram.is_some() {
                continue;
            }
            let h = per_ts.entry(i as i64 * step_ms).or_default();
            match kind {
                Kind::Bucket(le) => h.set_bucket(le, v.value),
                Kind::Sum => h.sum = v.value,
                Kind::Count => {
                    if v.value < 0.0 {
                        h.err = true;
                    }
                    h.count = v.value;
                    h.has_count = true;
                }
            }
        }
    }
    map.into_iter()
        .map(|(labels, per_ts)| TimeSeries {
            labels,
            histograms: per_ts
                .into_iter()
                .filter_map(|(t, h)| h.convert().map(|h| (t, h)))
                .collect(),
            ..Default::default()
        })
        .filter(|ts| !ts.histograms.is_empty())
        .collect()
}
