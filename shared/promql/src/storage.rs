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
        self.series
            .iter()
            .filter(|s| matchers.iter().all(|m| m.matches_labels(&s.labels)))
            .filter_map(|s| {
                let mut out = TimeSeries {
                    labels: s.labels.clone(),
                    ..Default::default()
                };
                out.samples = s
                    .samples
                    .iter()
                    .filter(|x| x.timestamp_ms >= mint_ms && x.timestamp_ms <= maxt_ms)
                    .copied()
                    .collect();
                out.histograms = s
                    .histograms
                    .iter()
                    .filter(|x| x.0 >= mint_ms && x.0 <= maxt_ms)
                    .cloned()
                    .collect();
                if out.samples.is_empty() && out.histograms.is_empty() {
                    None
                } else {
                    Some(Arc::new(out))
                }
            })
            .collect()
    }
}
