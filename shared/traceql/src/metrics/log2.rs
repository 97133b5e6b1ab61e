//! Power-of-two histograms behind `histogram_over_time` and `quantile_over_time`, as Tempo's
//! `Log2Bucketize` / `Log2Quantile` (`pkg/traceql/engine_metrics.go`).

/// The bucket of `v`: the smallest power of two `>= v`; `None` below 2 (Tempo drops such
/// spans).
pub fn bucketize(v: u64) -> Option<f64> {
    if v < 2 {
        return None;
    }
    let bits = 64 - (v - 1).leading_zeros();
    Some(if bits >= 64 {
        2f64.powi(64)
    } else {
        (1u64 << bits) as f64
    })
}

/// The `p` quantile (0..=1) of a histogram given as `(bucket max, count)` sorted by bucket
/// max. Reads `ceil(p·total)` samples (at least one); a quantile landing inside a bucket is
/// interpolated exponentially between the previous bucket max (or max/2 for the first bucket)
/// and this one. Returns 0 for an empty histogram or `p` outside `[0, 1]`.
pub fn quantile(p: f64, buckets: &[(f64, f64)]) -> f64 {
    if p.is_nan() || !(0.0..=1.0).contains(&p) || buckets.is_empty() {
        return 0.0;
    }
    let total: f64 = buckets.iter().map(|b| b.1).sum();
    if total <= 0.0 {
        return 0.0;
    }
    let max_samples = ((p * total).ceil()).max(1.0);
    let mut consumed = 0.0;
    let mut idx = 0;
    for (i, (max, count)) in buckets.iter().enumerate() {
        idx = i;
        if consumed + count > max_samples {
            break;
        }
        consumed += count;
        if consumed == max_samples {
            return *max;
        }
    }
    let (max, count) = buckets[idx];
    let interp = (max_samples - consumed) / count;
    let hi = max.log2();
    let lo = if idx > 0 {
        buckets[idx - 1].0.log2()
    } else {
        hi - 1.0
    };
    2f64.powf(lo + (hi - lo) * interp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets() {
        assert_eq!(bucketize(0), None);
        assert_eq!(bucketize(1), None);
        assert_eq!(bucketize(2), Some(2.0));
        assert_eq!(bucketize(3), Some(4.0));
        assert_eq!(bucketize(4), Some(4.0));
        assert_eq!(bucketize(5), Some(8.0));
        assert_eq!(bucketize(1000), Some(1024.0));
    }

    #[test]
    fn quantiles() {
        let b = [(2.0, 1.0), (4.0, 1.0), (8.0, 2.0)];
        assert_eq!(quantile(0.0, &b), 2.0); // one sample read: exactly bucket 0
        assert_eq!(quantile(0.5, &b), 4.0);
        assert_eq!(quantile(1.0, &b), 8.0);
        // 0.75·4 = 3 samples: 2 consumed, half of the last bucket → 2^(2 + 0.5)
        assert!((quantile(0.75, &b) - 2f64.powf(2.5)).abs() < 1e-12);
        // first bucket interpolates from max/2
        let one = [(512.0, 3.0)];
        assert!((quantile(0.5, &one) - 2f64.powf(8.0 + 2.0 / 3.0)).abs() < 1e-9);
        assert_eq!(quantile(0.5, &[]), 0.0);
        assert_eq!(quantile(1.5, &b), 0.0);
    }
}
