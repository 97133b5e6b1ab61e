//! Merging series from several sources with last-write-wins deduplication.
//!
//! Sources are pushed in ascending priority (older data first). For each series, float
//! samples and histograms with the same timestamp are kept once — the last pushed wins — and
//! identical exemplars (timestamp, value, labels) are kept once. Identical re-sends after a
//! client retry therefore collapse to one sample.

use lakewatch_model::{Labels, TimeSeries};
use std::collections::HashMap;

/// Accumulates series; see the module docs.
#[derive(Debug, Default)]
pub struct SeriesMerger {
    map: HashMap<Labels, TimeSeries>,
}

impl SeriesMerger {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one series' data (appended after anything pushed before for the same labels).
    pub fn push(&mut self, ts: TimeSeries) {
        match self.map.get_mut(&ts.labels) {
            Some(acc) => {
                acc.samples.extend(ts.samples);
                acc.histograms.extend(ts.histograms);
                acc.exemplars.extend(ts.exemplars);
            }
            None => {
                self.map.insert(ts.labels.clone(), ts);
            }
        }
    }

    /// Number of distinct series so far.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether nothing was pushed.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Sorted, deduplicated series (sorted by labels; samples, histograms and exemplars by
    /// timestamp). Series left without any data are dropped.
    pub fn finish(self) -> Vec<TimeSeries> {
        let mut out: Vec<TimeSeries> = self
            .map
            .into_values()
            .map(|mut ts| {
                normalize_series(&mut ts);
                ts
            })
            .filter(|ts| {
                !(ts.samples.is_empty() && ts.histograms.is_empty() && ts.exemplars.is_empty())
            })
            .collect();
        out.sort_by(|a, b| a.labels.cmp(&b.labels));
        out
    }
}

/// Sorts one series' data by timestamp and removes duplicates (last occurrence wins).
pub fn normalize_series(ts: &mut TimeSeries) {
    ts.samples.sort_by_key(|s| s.timestamp_ms);
    dedup_keep_last(&mut ts.samples, |s| s.timestamp_ms);
    ts.histograms.sort_by_key(|h| h.0);
    dedup_keep_last(&mut ts.histograms, |h| h.0);
    ts.exemplars.sort_by_key(|e| e.timestamp_ms);
    let mut kept: Vec<lakewatch_model::Exemplar> = Vec::with_capacity(ts.exemplars.len());
    for e in ts.exemplars.drain(..) {
        let dup = kept
            .iter()
            .rev()
            .take_while(|k| k.timestamp_ms == e.timestamp_ms)
            .any(|k| k.value.to_bits() == e.value.to_bits() && k.labels == e.labels);
        if !dup {
            kept.push(e);
        }
    }
    ts.exemplars = kept;
}

/// In a vector stably sorted by `key`, keeps only the last element of each run of equal keys.
fn dedup_keep_last<T, K: PartialEq>(v: &mut Vec<T>, key: impl Fn(&T) -> K) {
    if v.len() < 2 {
        return;
    }
    let mut w = 0;
    for r in 0..v.len() {
        if r + 1 < v.len() && key(&v[r]) == key(&v[r + 1]) {
            continue;
        }
        v.swap(w, r);
        w += 1;
    }
    v.truncate(w);
}

#[cfg(test)]
mod tests {
    use super::*;
    use lakewatch_model::Sample;

    #[test]
    fn last_wins_and_sorted() {
        let l = Labels::from_pairs([("__name__", "up")]);
        let mut m = SeriesMerger::new();
        let s = |t, v| Sample {
            timestamp_ms: t,
            value: v,
        };
        m.push(TimeSeries {
            labels: l.clone(),
            samples: vec![s(3, 1.0), s(1, 1.0), s(1, 2.0)],
            ..Default::default()
        });
        m.push(TimeSeries {
            labels: l.clone(),
            samples: vec![s(3, 9.0), s(2, 5.0)],
            ..Default::default()
        });
        let out = m.finish();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].samples, vec![s(1, 2.0), s(2, 5.0), s(3, 9.0)]);
    }
}
