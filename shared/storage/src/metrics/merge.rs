//! Merging series from several sources with last-write-wins deduplication.
//!
//! Sources are pushed in ascending priority (older data first). For each series, float
//! samples and histograms with the same timestamp are kept once — the last pushed wins — and
//! identical exemplars (timestamp, value, labels) are kept once. Identical re-sends after a
//! client retry therefore collapse to one sample.

use super::encode::SeriesRef;
use super::schema::series_id;
use lakewatch_model::{Labels, TimeSeries, METRIC_NAME};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Accumulates series; see the module docs.
#[derive(Debug, Default)]
pub struct SeriesMerger {
    /// Distinct series in first-push order.
    series: Vec<TimeSeries>,
    /// [`series_id`] → index of the first series with that id in `series`.
    by_id: HashMap<u64, usize, BuildHasherDefault<IdHasher>>,
    /// Next series with the same id (hash collisions), parallel to `series`.
    next: Vec<Option<usize>>,
}

/// Passes a [`series_id`] (already an FNV-1a hash) through as the map hash.
#[derive(Debug, Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ *b as u64).wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

impl SeriesMerger {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one series' data (appended after anything pushed before for the same labels).
    /// Moves `ts`; the labels are hashed once and compared only with same-hash series.
    pub fn push(&mut self, ts: TimeSeries) {
        let id = series_id(&ts.labels);
        let mut cur = self.by_id.get(&id).copied();
        let mut last = None;
        while let Some(i) = cur {
            if self.series[i].labels == ts.labels {
                let acc = &mut self.series[i];
                acc.samples.extend(ts.samples);
                acc.histograms.extend(ts.histograms);
                acc.exemplars.extend(ts.exemplars);
                return;
            }
            last = Some(i);
            cur = self.next[i];
        }
        let n = self.series.len();
        match last {
            Some(l) => self.next[l] = Some(n),
            None => {
                self.by_id.insert(id, n);
            }
        }
        self.series.push(ts);
        self.next.push(None);
    }

    /// Number of distinct series so far.
    pub fn len(&self) -> usize {
        self.series.len()
    }

    /// Whether nothing was pushed.
    pub fn is_empty(&self) -> bool {
        self.series.is_empty()
    }

    /// Sorted, deduplicated series (sorted by labels; samples, histograms and exemplars by
    /// timestamp). Series left without any data are dropped.
    pub fn finish(self) -> Vec<TimeSeries> {
        let mut out: Vec<TimeSeries> = self
            .series
            .into_iter()
            .map(|mut ts| {
                if !is_normalized(&ts) {
                    normalize_series(&mut ts);
                }
                ts
            })
            .filter(|ts| {
                !(ts.samples.is_empty() && ts.histograms.is_empty() && ts.exemplars.is_empty())
            })
            .collect();
        // Label sets are distinct, so an unstable sort gives the same order.
        out.sort_unstable_by(|a, b| a.labels.cmp(&b.labels));
        out
    }
}

/// Where one series of a [`BatchPlan`] comes from.
#[derive(Debug, Clone, Copy)]
enum Source {
    /// Used as is: `series[i]` is the only series with its labels and already normalized.
    Batch(usize),
    /// `merged[i]`: several batch series with the same labels, or one that needed sorting.
    Merged(usize),
}

/// A batch's series in object row order, deduplicated as [`SeriesMerger`] would, without
/// copying the common case. Remote write sends each series once per request with its
/// samples in time order, so usually every series is used in place; only series whose labels
/// repeat in the batch (merged in batch order, the last sample of a timestamp wins) or whose
/// data is not strictly time-ordered are copied and normalized.
#[derive(Debug)]
pub struct BatchPlan<'a> {
    series: &'a [TimeSeries],
    /// (metric name, series id, source) in row order.
    keys: Vec<(&'a str, u64, Source)>,
    merged: Vec<TimeSeries>,
}

impl<'a> BatchPlan<'a> {
    /// Plans `series` (in batch order): one hash per series, one sort of indices.
    pub fn new(series: &'a [TimeSeries]) -> Self {
        let idx = sorted_indices(series);
        let mut keys = Vec::with_capacity(idx.len());
        let mut merged = Vec::new();
        let mut i = 0;
        while i < idx.len() {
            let (name, id, first) = idx[i];
            let mut j = i + 1;
            while j < idx.len() && idx[j].1 == id && series[idx[j].2].labels == series[first].labels
            {
                j += 1;
            }
            if j == i + 1 && is_normalized(&series[first]) {
                keys.push((name, id, Source::Batch(first)));
            } else {
                let mut ts = TimeSeries {
                    labels: series[first].labels.clone(),
                    ..Default::default()
                };
                for &(_, _, k) in &idx[i..j] {
                    let s = &series[k];
                    ts.samples.extend_from_slice(&s.samples);
                    ts.histograms.extend(s.histograms.iter().cloned());
                    ts.exemplars.extend(s.exemplars.iter().cloned());
                }
                normalize_series(&mut ts);
                keys.push((name, id, Source::Merged(merged.len())));
                merged.push(ts);
            }
            i = j;
        }
        BatchPlan {
            series,
            keys,
            merged,
        }
    }

    /// The distinct series in row order ([`SeriesRef::cmp_key`]), each normalized; series
    /// without data are included (the encoder skips them).
    pub fn refs(&self) -> Vec<SeriesRef<'_>> {
        self.keys
            .iter()
            .map(|&(name, id, src)| SeriesRef {
                name,
                id,
                ts: match src {
                    Source::Batch(i) => &self.series[i],
                    Source::Merged(i) => &self.merged[i],
                },
            })
            .collect()
    }

    /// Whether any series has a sample, histogram or exemplar.
    pub fn has_data(&self) -> bool {
        self.series
            .iter()
            .any(|s| !(s.samples.is_empty() && s.histograms.is_empty() && s.exemplars.is_empty()))
    }
}

/// The value of `__name__` (`""` if absent). `__name__` sorts before every lowercase label
/// name, so it is usually the first label: checked before the binary search.
fn metric_name(labels: &Labels) -> &str {
    match labels.as_slice().first() {
        Some(l) if l.name == METRIC_NAME => &l.value,
        _ => labels.metric_name().unwrap_or(""),
    }
}

/// `(metric name, series id, index)` of every series of `series`, sorted by name, id, labels
/// and index (so equal label sets are adjacent, in batch order). Names are ranked once, so
/// the sort compares integers; labels are compared only within runs of equal ids.
pub(crate) fn sorted_indices(series: &[TimeSeries]) -> Vec<(&str, u64, usize)> {
    let mut name_slot: HashMap<&str, u32> = HashMap::new();
    let mut names: Vec<&str> = Vec::new();
    let mut slots: Vec<u32> = Vec::with_capacity(series.len());
    let mut prev: Option<(&str, u32)> = None;
    for s in series {
        let name = metric_name(&s.labels);
        let slot = match prev {
            // Remote write sends a metric family's series together.
            Some((p, slot)) if p == name => slot,
            _ => *name_slot.entry(name).or_insert_with(|| {
                names.push(name);
                names.len() as u32 - 1
            }),
        };
        prev = Some((name, slot));
        slots.push(slot);
    }
    let mut order: Vec<u32> = (0..names.len() as u32).collect();
    order.sort_unstable_by_key(|&i| names[i as usize]);
    let mut rank = vec![0u32; names.len()];
    for (r, &i) in order.iter().enumerate() {
        rank[i as usize] = r as u32;
    }
    let mut keys: Vec<(u32, u64, usize)> = series
        .iter()
        .zip(&slots)
        .enumerate()
        .map(|(i, (s, &slot))| (rank[slot as usize], series_id(&s.labels), i))
        .collect();
    keys.sort_unstable();
    // Equal (name, id) runs: the same labels repeated, or (rarely) a hash collision, which
    // must be ordered by labels. A stable sort by labels keeps batch order among equals.
    let mut i = 0;
    while i < keys.len() {
        let mut j = i + 1;
        while j < keys.len() && keys[j].0 == keys[i].0 && keys[j].1 == keys[i].1 {
            j += 1;
        }
        if j > i + 2 || (j == i + 2 && series[keys[i].2].labels != series[keys[i + 1].2].labels) {
            keys[i..j].sort_by(|a, b| series[a.2].labels.cmp(&series[b.2].labels));
        }
        i = j;
    }
    keys.into_iter()
        .map(|(r, id, i)| (names[order[r as usize] as usize], id, i))
        .collect()
}

/// Whether [`normalize_series`] would leave `ts` unchanged: samples and histograms strictly
/// increasing in time, exemplars too (a conservative test; equal exemplar times are merged).
pub fn is_normalized(ts: &TimeSeries) -> bool {
    ts.samples
        .windows(2)
        .all(|w| w[0].timestamp_ms < w[1].timestamp_ms)
        && ts.histograms.windows(2).all(|w| w[0].0 < w[1].0)
        && ts
            .exemplars
            .windows(2)
            .all(|w| w[0].timestamp_ms < w[1].timestamp_ms)
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

    fn s(t: i64, v: f64) -> Sample {
        Sample {
            timestamp_ms: t,
            value: v,
        }
    }

    fn series(pairs: &[(&str, &str)], samples: Vec<Sample>) -> TimeSeries {
        TimeSeries {
            labels: Labels::from_pairs(pairs.iter().copied()),
            samples,
            ..Default::default()
        }
    }

    /// The plan encodes exactly what the merger + `encode` path encodes, byte for byte.
    #[test]
    fn plan_matches_merger() {
        use crate::metrics::encode::{encode, encode_sorted, EncodeOptions};
        let batch = vec![
            series(&[("__name__", "b"), ("x", "1")], vec![s(1, 1.0)]),
            series(&[("__name__", "a"), ("x", "2")], vec![s(2, 2.5), s(1, 1.5)]),
            series(&[("__name__", "b"), ("x", "0")], vec![s(1, 3.0)]),
            series(&[("__name__", "b"), ("x", "1")], vec![s(1, 9.0), s(5, 4.0)]),
            series(&[("x", "nameless")], vec![s(7, 0.1 + 0.2)]),
            series(&[("__name__", "a"), ("x", "3")], vec![]),
            series(&[("__name__", "b"), ("x", "1")], vec![s(3, 7.0)]),
        ];
        let plan = BatchPlan::new(&batch);
        let refs = plan.refs();
        let mut m = SeriesMerger::new();
        for ts in &batch {
            m.push(ts.clone());
        }
        let merged = m.finish();
        let mut expect: Vec<SeriesRef<'_>> = merged.iter().map(SeriesRef::new).collect();
        expect.sort_by(SeriesRef::cmp_key);
        let got: Vec<&TimeSeries> = refs
            .iter()
            .filter(|r| !r.ts.samples.is_empty())
            .map(|r| r.ts)
            .collect();
        assert_eq!(got, expect.iter().map(|r| r.ts).collect::<Vec<_>>());
        assert_eq!(
            got.iter()
                .find(|t| t.labels.get("x") == Some("1"))
                .map(|t| &t.samples),
            Some(&vec![s(1, 9.0), s(3, 7.0), s(5, 4.0)])
        );
        assert_eq!(refs[0].ts.labels.get("x"), Some("nameless"));
        let opts = EncodeOptions::default();
        let a = encode(&merged, &[], &opts).unwrap();
        let b = encode_sorted(&refs, &[], &opts).unwrap();
        assert_eq!(a.stats, b.stats);
        assert_eq!(a.stats.series, 4);
        assert_eq!(a.stats.samples, 7);
        assert_eq!(a.bytes, b.bytes);
        assert!(plan.has_data());
        assert!(!BatchPlan::new(&batch[5..6]).has_data());
    }
}
