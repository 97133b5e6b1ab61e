//! Range aggregations over one series' samples in a window `(t - range, t]`, as Loki's
//! `pkg/logql/range_vector.go` (facts only, no code copied).

use crate::ast::RangeOp;

/// One extracted sample: timestamp (ns) and value (1 per line, line bytes, or the unwrapped value).
pub(crate) type Point = (i64, f64);

/// Aggregates the samples of one window. `range_ns` is the `[range]`, `range_end_ns` the
/// window end (only `rate_counter` uses it). `samples` is non-empty and ascending in time.
pub(crate) fn aggregate(
    op: RangeOp,
    param: Option<f64>,
    unwrapped: bool,
    samples: &[Point],
    range_ns: i64,
    range_end_ns: i64,
) -> f64 {
    let range_s = range_ns as f64 / 1e9;
    match op {
        // `rate` without unwrap: lines per second; with unwrap: sum of values per second.
        RangeOp::Rate if !unwrapped => samples.len() as f64 / range_s,
        RangeOp::Rate | RangeOp::BytesRate => sum(samples) / range_s,
        RangeOp::RateCounter => extrapolated_rate(samples, range_ns, range_end_ns),
        RangeOp::CountOverTime => samples.len() as f64,
        RangeOp::BytesOverTime | RangeOp::SumOverTime => sum(samples),
        RangeOp::AbsentOverTime => 1.0,
        RangeOp::AvgOverTime => avg(samples),
        RangeOp::MinOverTime => {
            samples.iter().fold(
                f64::NAN,
                |m, &(_, v)| {
                    if v < m || m.is_nan() {
                        v
                    } else {
                        m
                    }
                },
            )
        }
        RangeOp::MaxOverTime => {
            samples.iter().fold(
                f64::NAN,
                |m, &(_, v)| {
                    if v > m || m.is_nan() {
                        v
                    } else {
                        m
                    }
                },
            )
        }
        RangeOp::StdvarOverTime => stdvar(samples),
        RangeOp::StddevOverTime => stdvar(samples).sqrt(),
        RangeOp::FirstOverTime => samples.first().map_or(f64::NAN, |p| p.1),
        RangeOp::LastOverTime => samples.last().map_or(f64::NAN, |p| p.1),
        RangeOp::QuantileOverTime => {
            quantile(param.unwrap_or(0.0), samples.iter().map(|p| p.1).collect())
        }
    }
}

fn sum(samples: &[Point]) -> f64 {
    samples.iter().map(|p| p.1).sum()
}

/// Incremental mean with Loki's/Prometheus' infinity guards.
fn avg(samples: &[Point]) -> f64 {
    let (mut mean, mut count) = (0.0f64, 0.0f64);
    for &(_, v) in samples {
        count += 1.0;
        if mean.is_infinite() {
            if v.is_infinite() && (mean > 0.0) == (v > 0.0) {
                continue;
            }
            if !v.is_infinite() && !v.is_nan() {
                continue;
            }
        }
        mean += v / count - mean / count;
    }
    mean
}

/// Population variance (Welford), as Loki's `stdvar_over_time`.
fn stdvar(samples: &[Point]) -> f64 {
    let (mut aux, mut count, mut mean) = (0.0f64, 0.0f64, 0.0f64);
    for &(_, v) in samples {
        count += 1.0;
        let delta = v - mean;
        mean += delta / count;
        aux += delta * (v - mean);
    }
    aux / count
}

/// φ-quantile with linear interpolation between the closest ranks, as Prometheus'
/// `quantile_over_time`: NaN for no values, -Inf for φ < 0, +Inf for φ > 1.
pub(crate) fn quantile(q: f64, mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    if q < 0.0 {
        return f64::NEG_INFINITY;
    }
    if q > 1.0 {
        return f64::INFINITY;
    }
    values.sort_by(|a, b| a.total_cmp(b));
    let n = values.len() as f64;
    let rank = q * (n - 1.0);
    let lower = rank.floor().max(0.0);
    let upper = (lower + 1.0).min(n - 1.0);
    let weight = rank - rank.floor();
    values[lower as usize] * (1.0 - weight) + values[upper as usize] * weight
}

/// `rate_counter`: Prometheus' extrapolated counter rate, except that timestamps are ns and
/// the window bounds are `(range_end - range, range_end]` (Loki's variant). 0 with fewer than
/// two samples.
fn extrapolated_rate(samples: &[Point], range_ns: i64, range_end_ns: i64) -> f64 {
    if samples.len() < 2 {
        return 0.0;
    }
    let range_start = range_end_ns - range_ns;
    let (first, last) = (samples[0], samples[samples.len() - 1]);
    let mut result = last.1 - first.1;
    let mut prev = 0.0;
    for &(_, v) in samples {
        if v < prev {
            result += prev;
        }
        prev = v;
    }
    let mut to_start = (first.0 - range_start) as f64 / 1e9;
    let mut to_end = (range_end_ns - last.0) as f64 / 1e9;
    let sampled = (last.0 - first.0) as f64 / 1e9;
    let avg_between = sampled / (samples.len() - 1) as f64;
    let threshold = avg_between * 1.1;
    if to_start >= threshold {
        to_start = avg_between / 2.0;
    }
    let mut to_zero = to_start;
    if result > 0.0 && first.1 >= 0.0 {
        to_zero = sampled * (first.1 / result);
    }
    if to_zero < to_start {
        to_start = to_zero;
    }
    if to_end >= threshold {
        to_end = avg_between / 2.0;
    }
    let extrapolated = sampled + to_start + to_end;
    result *= extrapolated / sampled;
    result / (range_ns as f64 / 1e9)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_interpolates() {
        assert_eq!(quantile(0.5, vec![1.0, 2.0, 3.0, 4.0]), 2.5);
        assert!(quantile(0.99, vec![]).is_nan());
        assert_eq!(quantile(1.5, vec![1.0]), f64::INFINITY);
    }

    #[test]
    fn counter_rate_extrapolates_to_window() {
        // Samples every 10 s at 10..60 s with values 0..50: the zero point is the first
        // sample, so no extrapolation to the start: 50 / 60 s.
        let s: Vec<Point> = (1..=6)
            .map(|i| (i * 10_000_000_000, (i - 1) as f64 * 10.0))
            .collect();
        let r = extrapolated_rate(&s, 60_000_000_000, 60_000_000_000);
        assert!((r - 50.0 / 60.0).abs() < 1e-9, "{r}");
    }
}
