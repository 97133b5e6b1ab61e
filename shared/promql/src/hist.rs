//! Native-histogram operations used by the engine: thin adapters over the histogram math in
//! `lakewatch_model::histogram` and [`crate::native`], returning annotations as values.

use crate::native::{Annotation, HistogramOp};
use lakewatch_model::{FloatHistogram, ResetHint};

/// `h * factor` (Prometheus `FloatHistogram.Mul`).
pub(crate) fn scale(h: &FloatHistogram, factor: f64) -> FloatHistogram {
    h.clone().mul(factor)
}

/// `h / d` (Prometheus `FloatHistogram.Div`; division by zero removes all buckets).
pub(crate) fn div(h: &FloatHistogram, d: f64) -> FloatHistogram {
    let mut h = h.clone().div(d);
    if d == 0.0 {
        h.positive_buckets.clear();
        h.negative_buckets.clear();
        h.positive_spans.clear();
        h.negative_spans.clear();
    }
    h
}

/// Histogram equality ignoring the counter-reset hint (Prometheus `FloatHistogram.Equals`).
pub(crate) fn equal(a: &FloatHistogram, b: &FloatHistogram) -> bool {
    a.schema == b.schema
        && a.zero_threshold.to_bits() == b.zero_threshold.to_bits()
        && a.zero_count.to_bits() == b.zero_count.to_bits()
        && a.count.to_bits() == b.count.to_bits()
        && a.sum.to_bits() == b.sum.to_bits()
        && a.positive_spans == b.positive_spans
        && a.negative_spans == b.negative_spans
        && a.positive_buckets == b.positive_buckets
        && a.negative_buckets == b.negative_buckets
        && a.custom_values == b.custom_values
}

/// `a + b` or `a - b` as the PromQL operators do: compacted, `-` yields a gauge histogram.
/// `None` when exponential and custom buckets are mixed (with the warning in `annos`).
pub(crate) fn combine(
    a: &FloatHistogram,
    b: &FloatHistogram,
    subtract: bool,
    metric_name: &str,
    annos: &mut Vec<Annotation>,
) -> Option<FloatHistogram> {
    let op = if subtract {
        HistogramOp::Subtraction
    } else {
        HistogramOp::Addition
    };
    let r = if subtract {
        a.clone().sub(b)
    } else {
        a.clone().add(b)
    };
    match r {
        Ok((h, info)) => {
            if info.counter_reset_collision {
                annos.push(Annotation::CounterResetCollision(op));
            }
            if info.nhcb_bounds_reconciled {
                annos.push(Annotation::MismatchedCustomBuckets(op));
            }
            let mut h = h.compact(0);
            if subtract {
                h.counter_reset_hint = ResetHint::Gauge;
            }
            Some(h)
        }
        Err(_) => {
            annos.push(Annotation::MixedExponentialCustom {
                metric_name: metric_name.to_string(),
            });
            None
        }
    }
}

/// Prometheus `FloatHistogram.String()` (used by `count_values`), e.g.
/// `{count:20, sum:10, [-2,-1):2, [-0.001,0.001]:2, (0.5,1]:1}`.
pub(crate) fn to_string(h: &FloatHistogram) -> String {
    use crate::native::format_go_float as g;
    let bucket = |b: &lakewatch_model::histogram::Bucket| {
        format!(
            "{}{},{}{}:{}",
            if b.lower_inclusive { "[" } else { "(" },
            g(b.lower),
            g(b.upper),
            if b.upper_inclusive { "]" } else { ")" },
            g(b.count)
        )
    };
    let mut s = format!("{{count:{}, sum:{}", g(h.count), g(h.sum));
    for b in h
        .negative_bucket_list()
        .iter()
        .rev()
        .filter(|b| b.count != 0.0)
    {
        s.push_str(", ");
        s.push_str(&bucket(b));
    }
    if h.zero_count != 0.0 {
        s.push_str(", ");
        s.push_str(&bucket(&h.zero_bucket()));
    }
    for b in h.positive_bucket_list().iter().filter(|b| b.count != 0.0) {
        s.push_str(", ");
        s.push_str(&bucket(b));
    }
    s.push('}');
    s
}

/// `sum`/`avg` of histograms via [`crate::native`], with the `sum` field added with Kahan
/// compensation as Prometheus does (large opposite sums cancel exactly).
pub(crate) fn sum_or_avg(
    hs: &[&FloatHistogram],
    metric_name: &str,
    avg: bool,
) -> crate::native::HistogramAggregate {
    let mut r = crate::native::sum_histograms(hs, metric_name);
    let total = crate::kahan::sum(hs.iter().map(|h| h.sum));
    if let Some(h) = r.histogram.as_mut() {
        h.sum = total;
        if avg {
            let n = hs.len() as f64;
            let direct = h.clone().div(n);
            // Prometheus averages incrementally once the direct sum overflows.
            *h = if direct.count.is_finite() {
                direct
            } else {
                incremental_mean(hs).unwrap_or(direct)
            };
            h.sum = total / n;
        }
    }
    r
}

/// `mean += h/n - mean/n` over the inputs (avoids overflowing the running sum).
fn incremental_mean(hs: &[&FloatHistogram]) -> Option<FloatHistogram> {
    let mut mean = hs.first().map(|h| (*h).clone())?;
    for (i, h) in hs.iter().enumerate().skip(1) {
        let n = (i + 1) as f64;
        let (delta, _) = (*h).clone().div(n).sub(&mean.clone().div(n)).ok()?;
        mean = mean.add(&delta).ok()?.0;
    }
    Some(mean.compact(0))
}
