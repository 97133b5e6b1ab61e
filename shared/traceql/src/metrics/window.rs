//! The evaluation window of a metrics query: step alignment, interval mapping and sample
//! timestamps, as Tempo's `AlignRequest` + `IntervalMapper` (`pkg/traceql/engine_metrics.go`).
//!
//! Range queries: `start` is rounded down and `end` up to a multiple of `step`, then `start`
//! moves back one more step (Tempo's "additional initial bucket"). Intervals are right-closed,
//! `(start + i·step, start + (i+1)·step]`, and interval `i` is reported at timestamp
//! `start + (i+1)·step`. A span counts in the interval holding its **start** time; spans
//! starting at or before `start` or after `end` are ignored.
//!
//! Instant queries (`end - start == step`, Tempo's fallback rule for requests without the
//! `instant` flag, which is how `/api/metrics/query` reaches the engine): no alignment, one
//! interval `(start, end]` reported at `end`.

use super::MetricsRange;
use crate::eval::EvalError;

/// An aligned window. All fields are **nanoseconds** since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Exclusive lower bound (aligned for range queries).
    pub start: i64,
    /// Inclusive upper bound (aligned for range queries).
    pub end: i64,
    /// Step (= `end - start` for instant queries).
    pub step: i64,
    /// One interval `(start, end]`, reported at `end`.
    pub instant: bool,
}

impl Window {
    /// Validates and aligns `range`. Errors (Tempo's messages): `start required`,
    /// `end required`, `end must be greater than start`, `step required`.
    pub fn new(range: MetricsRange) -> Result<Window, EvalError> {
        let MetricsRange {
            start_ns,
            end_ns,
            step_ns,
        } = range;
        if start_ns <= 0 {
            return Err(EvalError("start required".into()));
        }
        if end_ns <= 0 {
            return Err(EvalError("end required".into()));
        }
        if end_ns <= start_ns {
            return Err(EvalError("end must be greater than start".into()));
        }
        if step_ns <= 0 {
            return Err(EvalError("step required".into()));
        }
        if end_ns - start_ns == step_ns {
            return Ok(Window {
                start: start_ns,
                end: end_ns,
                step: step_ns,
                instant: true,
            });
        }
        let mut start = start_ns - start_ns % step_ns;
        let rem = end_ns % step_ns;
        let end = if rem == 0 {
            end_ns
        } else {
            end_ns.saturating_add(step_ns - rem)
        };
        if start > step_ns {
            start -= step_ns;
        }
        Ok(Window {
            start,
            end,
            step: step_ns,
            instant: false,
        })
    }

    /// Number of intervals (samples per series): `(end - start) / step`, 1 when instant.
    pub fn intervals(&self) -> usize {
        if self.instant {
            1
        } else {
            ((self.end - self.start) / self.step) as usize
        }
    }

    /// The interval holding a span that started at `ts_ns`, `None` outside `(start, end]`.
    pub fn interval(&self, ts_ns: i64) -> Option<usize> {
        if ts_ns <= self.start || ts_ns > self.end {
            return None;
        }
        if self.instant {
            return Some(0);
        }
        let i = ((ts_ns - self.start - 1) / self.step) as usize;
        (i < self.intervals()).then_some(i)
    }

    /// The interval of a timestamp in **milliseconds** (exemplars), same bounds truncated to ms.
    pub fn interval_ms(&self, ts_ms: i64) -> Option<usize> {
        let start = self.start - self.start.rem_euclid(1_000_000);
        let end = self.end - self.end.rem_euclid(1_000_000);
        let ts = ts_ms.saturating_mul(1_000_000);
        if self.instant {
            return (ts >= start && ts <= end && end != start).then_some(0);
        }
        if ts <= start || ts > end {
            return None;
        }
        let i = ((ts - start - 1) / self.step) as usize;
        (i < self.intervals()).then_some(i)
    }

    /// Timestamp of interval `i` in **milliseconds**: `start + (i+1)·step`, or `end` when
    /// instant.
    pub fn timestamp_ms(&self, i: usize) -> i64 {
        let ns = if self.instant {
            self.end
        } else {
            self.start + (i as i64 + 1) * self.step
        };
        ns.div_euclid(1_000_000)
    }

    /// The step in seconds (`rate()` divides counts by it).
    pub fn step_seconds(&self) -> f64 {
        self.step as f64 / 1e9
    }
}

/// The step Tempo picks when `query_range` has no `step` (Tempo's `DefaultQueryRangeStep`):
/// about 240 points, rounded down to 1h, 5m, 1m, 15s, 5s or 1s (minimum 1s); windows under a
/// minute use multiples of 50ms (minimum 50ms). Input and output in **nanoseconds**.
pub fn default_step(start_ns: i64, end_ns: i64) -> i64 {
    const MS: i64 = 1_000_000;
    const SEC: i64 = 1_000 * MS;
    let delta = end_ns.saturating_sub(start_ns).max(0);
    let baseline = delta / 240;
    if delta < 60 * SEC {
        let g = 50 * MS;
        return if baseline > g { baseline / g * g } else { g };
    }
    for g in [3600 * SEC, 300 * SEC, 60 * SEC, 15 * SEC, 5 * SEC, SEC] {
        if baseline > g {
            return baseline / g * g;
        }
    }
    SEC
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000_000;

    fn range(start: i64, end: i64, step: i64) -> Window {
        Window::new(MetricsRange {
            start_ns: start,
            end_ns: end,
            step_ns: step,
        })
        .unwrap()
    }

    #[test]
    fn aligns_like_tempo() {
        // start 100s..160s step 15s: start 90 → 75 (extra bucket), end 165.
        let w = range(100 * S, 160 * S, 15 * S);
        assert_eq!((w.start, w.end), (75 * S, 165 * S));
        assert_eq!(w.intervals(), 6);
        assert_eq!(w.timestamp_ms(0), 90_000);
        assert_eq!(w.timestamp_ms(5), 165_000);
    }

    #[test]
    fn right_closed_intervals() {
        // start 10s is not > step: no extra bucket → (10,20] (20,30] (30,40]
        let w = range(10 * S, 40 * S, 10 * S);
        assert_eq!((w.start, w.intervals()), (10 * S, 3));
        assert_eq!(w.interval(10 * S), None);
        assert_eq!(w.interval(10 * S + 1), Some(0));
        assert_eq!(w.interval(20 * S), Some(0));
        assert_eq!(w.interval(20 * S + 1), Some(1));
        assert_eq!(w.interval(40 * S), Some(2));
        assert_eq!(w.interval(40 * S + 1), None);
    }

    #[test]
    fn instant() {
        let w = range(7 * S, 67 * S, 60 * S);
        assert!(w.instant);
        assert_eq!(w.intervals(), 1);
        assert_eq!(w.interval(7 * S), None);
        assert_eq!(w.interval(8 * S), Some(0));
        assert_eq!(w.interval(67 * S), Some(0));
        assert_eq!(w.timestamp_ms(0), 67_000);
        assert_eq!(w.step_seconds(), 60.0);
    }

    #[test]
    fn default_steps() {
        assert_eq!(default_step(0, 3600 * S), 15 * S); // 1h → 15s (240 points)
        assert_eq!(default_step(0, 6 * 3600 * S), 60 * S); // 6h/240 = 90s → 1m
        assert_eq!(default_step(0, 10 * S), 50_000_000); // short → 50ms
        assert_eq!(default_step(0, 30 * S), 100_000_000); // 30s/240 = 125ms → 100ms
        assert_eq!(default_step(0, 120 * S), S); // 2m → 1s minimum
        assert_eq!(default_step(0, 7 * 24 * 3600 * S), 2400 * S); // 7d/240 = 42m → 40m
    }

    #[test]
    fn errors() {
        let e = |s, e, st| {
            Window::new(MetricsRange {
                start_ns: s,
                end_ns: e,
                step_ns: st,
            })
            .unwrap_err()
            .0
        };
        assert_eq!(e(0, 5, 1), "start required");
        assert_eq!(e(5, 0, 1), "end required");
        assert_eq!(e(5, 5, 1), "end must be greater than start");
        assert_eq!(e(5, 9, 0), "step required");
    }
}
