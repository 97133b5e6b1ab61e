//! Emulates the counter-reset hints Prometheus's TSDB returns for stored float histograms, so
//! loaded test data reads back as it does in the Go runner (`tsdb/chunkenc/float_histogram.go`
//! `appendable`/`AppendFloatHistogram`, `histogram_meta.go` `counterResetHint`):
//!
//! - histograms with hint `Gauge` live in gauge chunks and read back as `Gauge`;
//! - the first histogram of a counter chunk reads back as `Unknown`, later ones as
//!   `NotCounterReset`;
//! - a new chunk starts at the first histogram, after a float sample (incl. stale markers),
//!   after a gauge histogram, every 120 samples, and whenever the appender sees a counter
//!   reset (explicit `CounterReset` hint, count / zero-count / bucket decrease, changed custom
//!   bounds) or a schema / zero-threshold change.

use lakewatch_model::{FloatHistogram, ResetHint, TimeSeries};

const SAMPLES_PER_CHUNK: usize = 120;

/// Whether appending `h` after `prev` in the same counter chunk is impossible (new chunk).
fn needs_new_chunk(prev: &FloatHistogram, h: &FloatHistogram) -> bool {
    if h.counter_reset_hint == ResetHint::CounterReset || h.count < prev.count {
        return true;
    }
    if h.schema != prev.schema || h.zero_threshold != prev.zero_threshold {
        return true;
    }
    if h.uses_custom_buckets() && h.custom_values != prev.custom_values {
        return true;
    }
    if h.zero_count < prev.zero_count {
        return true;
    }
    let mut probe = h.clone();
    probe.counter_reset_hint = ResetHint::Unknown;
    probe.detect_reset(prev)
}

/// Rewrites the hints of `ts.histograms` as the TSDB would return them.
pub fn emulate_tsdb_hints(ts: &mut TimeSeries) {
    let floats: Vec<i64> = ts.samples.iter().map(|s| s.timestamp_ms).collect();
    let mut prev: Option<(i64, FloatHistogram)> = None; // previous counter histogram in chunk
    let mut in_chunk = 0usize;
    for (t, h) in ts.histograms.iter_mut() {
        let original = h.clone();
        if original.counter_reset_hint == ResetHint::Gauge {
            prev = None;
            continue;
        }
        let continues = match &prev {
            Some((pt, ph)) => {
                let float_between = floats.iter().any(|f| f > pt && f <= t);
                !float_between && in_chunk < SAMPLES_PER_CHUNK && !needs_new_chunk(ph, &original)
            }
            None => false,
        };
        if continues {
            in_chunk += 1;
            h.counter_reset_hint = ResetHint::NotCounterReset;
        } else {
            in_chunk = 1;
            h.counter_reset_hint = ResetHint::Unknown;
        }
        prev = Some((*t, original));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lakewatch_model::{BucketSpan, Sample};

    fn h(c: f64, hint: ResetHint) -> FloatHistogram {
        FloatHistogram {
            count: c,
            sum: c,
            positive_spans: vec![BucketSpan {
                offset: 0,
                length: 1,
            }],
            positive_buckets: vec![c],
            counter_reset_hint: hint,
            ..Default::default()
        }
    }

    #[test]
    fn hints() {
        let mut ts = TimeSeries {
            histograms: vec![
                (0, h(5.0, ResetHint::Unknown)),
                (1, h(10.0, ResetHint::Unknown)),
                (2, h(2.0, ResetHint::CounterReset)),
                (3, h(6.0, ResetHint::Unknown)),
                (5, h(7.0, ResetHint::Unknown)),
                (6, h(8.0, ResetHint::Gauge)),
            ],
            samples: vec![Sample {
                timestamp_ms: 4,
                value: 1.0,
            }],
            ..Default::default()
        };
        emulate_tsdb_hints(&mut ts);
        let got: Vec<ResetHint> = ts
            .histograms
            .iter()
            .map(|x| x.1.counter_reset_hint)
            .collect();
        use ResetHint::*;
        assert_eq!(
            got,
            vec![
                Unknown,
                NotCounterReset,
                Unknown,
                NotCounterReset,
                Unknown,
                Gauge
            ]
        );
    }
}
