//! What the engine reads from: a synchronous, in-memory series source.

use lakewatch_model::{LabelMatcher, TimeSeries};
use std::sync::Arc;

/// A selection the engine will make: series matching all `matchers` with samples in
/// `[mint_ms, maxt_ms]` (inclusive, milliseconds).
#[derive(Debug, Clone)]
pub struct SelectHint {
    pub matchers: Vec<LabelMatcher>,
    pub mint_ms: i64,
    pub maxt_ms: i64,
}

/// A source of series for evaluation. Samples and histograms of each returned series are
/// sorted by timestamp with no duplicate timestamps; exemplars may be empty.
pub trait Queryable: Send + Sync {
    /// Series matching every matcher, restricted to samples in `[mint_ms, maxt_ms]`.
    fn select(&self, matchers: &[LabelMatcher], mint_ms: i64, maxt_ms: i64)
        -> Vec<Arc<TimeSeries>>;
}

/// Series held in memory: the conformance runner loads test data here, and the HTTP layer
/// loads what [`crate::selection_hints`] asked the object store for.
#[derive(Debug, Default, Clone)]
pub struct MemStorage {
    series: Vec<Arc<TimeSeries>>,
}

impl MemStorage {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds samples to a series (merged by label set; later samples at the same timestamp win).
    pub fn append(&mut self, ts: TimeSeries) {
        if let Some(existing) = self.series.iter_mut().find(|s| s.labels == ts.labels) {
            let s = Arc::make_mut(existing);
            s.samples.extend(ts.samples);
            s.samples.sort_by_key(|x| x.timestamp_ms);
            s.samples.reverse();
            s.samples.dedup_by_key(|x| x.timestamp_ms);
            s.samples.reverse();
            s.histograms.extend(ts.histograms);
            s.histograms.sort_by_key(|x| x.0);
            s.histograms.reverse();
            s.histograms.dedup_by_key(|x| x.0);
            s.histograms.reverse();
            s.exemplars.extend(ts.exemplars);
        } else {
            self.series.push(Arc::new(ts));
        }
    }

    pub fn clear(&mut self) {
        self.series.clear();
    }

    pub fn len(&self) -> usize {
        self.series.len()
    }

    pub fn is_empty(&self) -> bool {
        self.series.is_empty()
    }
}

impl Queryable for MemStorage {
    fn select(
        &self,
        matchers: &[LabelMatcher],
        mint_ms: i64,
        maxt_ms: i64,
    ) -> Vec<Arc<TimeSeries>> {
        select_in_range(&self.series, matchers, mint_ms, maxt_ms)
    }
}

/// [`Queryable::select`] over in-memory series: those of `series` (in their order) whose
/// labels match every matcher, each cut to its samples and histograms with a timestamp in
/// `[mint_ms, maxt_ms]` (inclusive, milliseconds), exemplars dropped; series with nothing in
/// range are left out. Linear in the samples; the input need not be sorted (the output keeps
/// the input's sample order). Used by [`MemStorage`] and other in-memory sources (the ruler's
/// per-evaluation layer).
pub fn select_in_range<'a>(
    series: impl IntoIterator<Item = &'a Arc<TimeSeries>>,
    matchers: &[LabelMatcher],
    mint_ms: i64,
    maxt_ms: i64,
) -> Vec<Arc<TimeSeries>> {
    let in_range = |t: i64| t >= mint_ms && t <= maxt_ms;
    series
        .into_iter()
        .filter(|s| matchers.iter().all(|m| m.matches_labels(&s.labels)))
        .filter_map(|s| {
            let out = TimeSeries {
                labels: s.labels.clone(),
                samples: s
                    .samples
                    .iter()
                    .filter(|x| in_range(x.timestamp_ms))
                    .copied()
                    .collect(),
                histograms: s
                    .histograms
                    .iter()
                    .filter(|x| in_range(x.0))
                    .cloned()
                    .collect(),
                exemplars: Vec::new(),
            };
            (!out.samples.is_empty() || !out.histograms.is_empty()).then(|| Arc::new(out))
        })
        .collect()
}
