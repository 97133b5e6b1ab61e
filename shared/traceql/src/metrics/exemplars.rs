//! Exemplar limits, as Tempo's `limitedBucketSet`: a series keeps at most `limit` exemplars,
//! spread over `limit / 2` equal time buckets of the window with at most 2 per bucket.
//! Instant queries keep none.

use super::window::Window;

/// Tempo's `maxExemplarsPerBucket`.
const PER_BUCKET: usize = 2;

/// Default and maximum exemplars per query (Tempo's frontend `max_exemplars` default).
pub const MAX_EXEMPLARS: u32 = 100;

/// Per-series exemplar admission.
#[derive(Debug, Clone)]
pub struct ExemplarBuckets {
    limit: usize,
    start_ms: i64,
    end_ms: i64,
    width: i64,
    counts: Vec<usize>,
    total: usize,
}

impl ExemplarBuckets {
    /// Buckets for `limit` exemplars over `window` (none for instant windows).
    pub fn new(limit: u32, window: &Window) -> ExemplarBuckets {
        let limit = if window.instant { 0 } else { limit as usize };
        let n = (limit / PER_BUCKET).max(1);
        let start_ms = window.start.div_euclid(1_000_000);
        let end_ms = window.end.div_euclid(1_000_000);
        ExemplarBuckets {
            limit,
            start_ms,
            end_ms,
            width: ((end_ms - start_ms) / n as i64).max(1),
            counts: vec![0; n],
            total: 0,
        }
    }

    /// Whether the series is full.
    pub fn full(&self) -> bool {
        self.total >= self.limit
    }

    /// Admits an exemplar at `ts_ms` (true) or refuses it (out of range, series full, or its
    /// bucket full).
    pub fn admit(&mut self, ts_ms: i64) -> bool {
        if self.full() || ts_ms < self.start_ms || ts_ms > self.end_ms {
            return false;
        }
        let i = (((ts_ms - self.start_ms) / self.width) as usize).min(self.counts.len() - 1);
        if self.counts[i] >= PER_BUCKET {
            return false;
        }
        self.counts[i] += 1;
        self.total += 1;
        true
    }
}
