//! Native-histogram operations used by the engine. Thin adapters so the engine does not
//! depend on where the histogram math lives (`crate::native` once available).

use lakewatch_model::FloatHistogram;

/// `h * factor` (counts, sum and every bucket scaled), as Prometheus `FloatHistogram.Mul`.
pub(crate) fn scale(h: &FloatHistogram, factor: f64) -> FloatHistogram {
    let mut h = h.clone();
    h.count *= factor;
    h.sum *= factor;
    h.zero_count *= factor;
    for b in h.positive_buckets.iter_mut().chain(h.negative_buckets.iter_mut()) {
        *b *= factor;
    }
    h
}

/// `a + b` when both have identical layouts; `None` otherwise (until full histogram math exists).
pub(crate) fn add(a: &FloatHistogram, b: &FloatHistogram) -> Option<FloatHistogram> {
    combine(a, b, 1.0)
}

/// `a - b` when both have identical layouts; `None` otherwise.
pub(crate) fn sub(a: &FloatHistogram, b: &FloatHistogram) -> Option<FloatHistogram> {
    combine(a, b, -1.0)
}

fn combine(a: &FloatHistogram, b: &FloatHistogram, sign: f64) -> Option<FloatHistogram> {
    if a.schema != b.schema
        || a.positive_spans != b.positive_spans
        || a.negative_spans != b.negative_spans
        || a.custom_values != b.custom_values
        || a.zero_threshold != b.zero_threshold
    {
        return None;
    }
    let mut h = a.clone();
    h.count += sign * b.count;
    h.sum += sign * b.sum;
    h.zero_count += sign * b.zero_count;
    for (x, y) in h.positive_buckets.iter_mut().zip(&b.positive_buckets) {
        *x += sign * y;
    }
    for (x, y) in h.negative_buckets.iter_mut().zip(&b.negative_buckets) {
        *x += sign * y;
    }
    Some(h)
}

/// Prometheus `FloatHistogram.String()`-like rendering (used by `count_values`).
pub(crate) fn to_string(h: &FloatHistogram) -> String {
    format!("{{count:{}, sum:{}}}", h.count, h.sum)
}
