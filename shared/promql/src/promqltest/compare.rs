//! Result comparison as Prometheus `promqltest` `compareResult` / `almost.Equal` /
//! `compareNativeHistogram`.

use lakewatch_model::{is_stale_nan, BucketSpan, FloatHistogram};

/// Relative epsilon used by the Go runner (`defaultEpsilon`).
pub const EPSILON: f64 = 1e-6;
const MIN_NORMAL: f64 = 2.2250738585072014e-308;

/// `almost.Equal(a, b, eps)`: StaleNaN equals only StaleNaN, any NaN equals any NaN, otherwise
/// relative difference below `eps` (absolute `eps * MinNormal` when either side is 0).
pub fn almost_equal(a: f64, b: f64, eps: f64) -> bool {
    if is_stale_nan(a) || is_stale_nan(b) {
        return is_stale_nan(a) && is_stale_nan(b);
    }
    if a.is_nan() && b.is_nan() {
        return true;
    }
    if a == b {
        return true;
    }
    let abs_sum = a.abs() + b.abs();
    let diff = (a - b).abs();
    if a == 0.0 || b == 0.0 || abs_sum < MIN_NORMAL {
        return diff < eps * MIN_NORMAL;
    }
    diff / abs_sum.min(f64::MAX) < eps
}

fn buckets_match(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| almost_equal(*x, *y, EPSILON))
}

fn all_empty(s: &[BucketSpan]) -> bool {
    s.iter().all(|x| x.length == 0)
}

/// Spans equal after folding zero-length spans into the following span (Go `spansMatch`).
pub fn spans_match(s1: &[BucketSpan], s2: &[BucketSpan]) -> bool {
    if s1.is_empty() && s2.is_empty() {
        return true;
    }
    let (mut i1, mut i2) = (0, 0);
    loop {
        if i1 >= s1.len() {
            return all_empty(&s2[i2..]);
        }
        if i2 >= s2.len() {
            return all_empty(&s1[i1..]);
        }
        let (mut c1, mut c2) = (s1[i1], s2[i2]);
        i1 += 1;
        i2 += 1;
        for (cur, s, i) in [(&mut c1, s1, &mut i1), (&mut c2, s2, &mut i2)] {
            if cur.length == 0 {
                while *i < s.len() && s[*i].length == 0 {
                    cur.offset += s[*i].offset;
                    *i += 1;
                }
                if *i < s.len() {
                    cur.offset += s[*i].offset;
                    cur.length = s[*i].length;
                    *i += 1;
                }
            }
        }
        if c1.length == 0 && c2.length == 0 {
            return true;
        }
        if c1.offset != c2.offset || c1.length != c2.length {
            return false;
        }
    }
}

/// Compares an expected and an actual histogram after `compact(0)` of both; the counter-reset
/// hint only when the test gave it explicitly.
pub fn histograms_match(exp: &FloatHistogram, cur: &FloatHistogram, hint_set: bool) -> bool {
    let exp = exp.clone().compact(0);
    let cur = cur.clone().compact(0);
    if exp.schema != cur.schema
        || !almost_equal(exp.count, cur.count, EPSILON)
        || !almost_equal(exp.sum, cur.sum, EPSILON)
    {
        return false;
    }
    if exp.uses_custom_buckets() && exp.custom_values != cur.custom_values {
        return false;
    }
    if exp.zero_threshold != cur.zero_threshold
        || !almost_equal(exp.zero_count, cur.zero_count, EPSILON)
    {
        return false;
    }
    if !spans_match(&exp.negative_spans, &cur.negative_spans)
        || !buckets_match(&exp.negative_buckets, &cur.negative_buckets)
        || !spans_match(&exp.positive_spans, &cur.positive_spans)
        || !buckets_match(&exp.positive_buckets, &cur.positive_buckets)
    {
        return false;
    }
    !hint_set || exp.counter_reset_hint == cur.counter_reset_hint
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn almost() {
        assert!(almost_equal(f64::NAN, f64::NAN, EPSILON));
        let stale = f64::from_bits(lakewatch_model::STALE_NAN_BITS);
        assert!(!almost_equal(stale, f64::NAN, EPSILON));
        assert!(almost_equal(stale, stale, EPSILON));
        assert!(almost_equal(1.0, 1.0 + 1e-9, EPSILON));
        assert!(!almost_equal(1.0, 1.0001, EPSILON));
        assert!(!almost_equal(0.0, 1e-300, EPSILON));
        assert!(almost_equal(f64::INFINITY, f64::INFINITY, EPSILON));
    }

    #[test]
    fn spans() {
        let a = [
            BucketSpan {
                offset: 1,
                length: 0,
            },
            BucketSpan {
                offset: 2,
                length: 2,
            },
        ];
        let b = [BucketSpan {
            offset: 3,
            length: 2,
        }];
        assert!(spans_match(&a, &b));
        assert!(!spans_match(
            &b,
            &[BucketSpan {
                offset: 2,
                length: 2
            }]
        ));
    }
}
