//! OTLP exponential histogram data point → native histogram, as Prometheus's OTLP translator
//! (`exponentialToNativeHistogram`): scale becomes the schema, scales above 8 are downscaled to
//! 8 by merging `2^(scale-8)` buckets, scales below -4 are refused; OTLP bucket index `i`
//! (range `(base^i, base^(i+1)]`) is Prometheus index `i+1`; the zero threshold is
//! Prometheus's default 1e-128; the reset hint is unknown.

use lakewatch_model::{BucketSpan, FloatHistogram, ResetHint, STALE_NAN_BITS};
use opentelemetry_proto::tonic::metrics::v1::exponential_histogram_data_point::Buckets;
use opentelemetry_proto::tonic::metrics::v1::{ExponentialHistogramDataPoint, HistogramDataPoint};

/// Prometheus's default zero threshold for converted exponential histograms.
pub const DEFAULT_ZERO_THRESHOLD: f64 = 1e-128;

/// Dense OTLP buckets → one Prometheus span with absolute counts (leading and trailing empty
/// buckets trimmed).
fn convert_buckets(b: Option<&Buckets>, scale_down: i32) -> (Vec<BucketSpan>, Vec<f64>) {
    let Some(b) = b else {
        return (Vec::new(), Vec::new());
    };
    let mut first: Option<i32> = None;
    let mut counts: Vec<f64> = Vec::new();
    for (k, c) in b.bucket_counts.iter().enumerate() {
        let otlp_idx = b.offset.saturating_add(k as i32);
        let idx = (otlp_idx >> scale_down) + 1;
        let start = *first.get_or_insert(idx);
        let pos = (idx - start) as usize;
        if counts.len() <= pos {
            counts.resize(pos + 1, 0.0);
        }
        counts[pos] += *c as f64;
    }
    let Some(mut start) = first else {
        return (Vec::new(), Vec::new());
    };
    let lead = counts.iter().take_while(|c| **c == 0.0).count();
    counts.drain(..lead);
    start += lead as i32;
    while counts.last() == Some(&0.0) {
        counts.pop();
    }
    if counts.is_empty() {
        return (Vec::new(), Vec::new());
    }
    (
        vec![BucketSpan {
            offset: start,
            length: counts.len() as u32,
        }],
        counts,
    )
}

/// Converts one data point; errors (plain text) for scales below -4.
pub fn to_native(p: &ExponentialHistogramDataPoint) -> Result<FloatHistogram, String> {
    let mut scale = p.scale;
    if scale < -4 {
        return Err(format!(
            "cannot convert exponential to native histogram. Scale must be >= -4, was {scale}"
        ));
    }
    let mut scale_down = 0;
    if scale > 8 {
        scale_down = scale - 8;
        scale = 8;
    }
    let (positive_spans, positive_buckets) = convert_buckets(p.positive.as_ref(), scale_down);
    let (negative_spans, negative_buckets) = convert_buckets(p.negative.as_ref(), scale_down);
    let stale = p.flags & 1 == 1;
    Ok(FloatHistogram {
        counter_reset_hint: ResetHint::Unknown,
        schema: scale,
        zero_threshold: DEFAULT_ZERO_THRESHOLD,
        zero_count: p.zero_count as f64,
        count: if stale {
            f64::from_bits(STALE_NAN_BITS)
        } else {
            p.count as f64
        },
        sum: if stale {
            f64::from_bits(STALE_NAN_BITS)
        } else {
            p.sum.unwrap_or(0.0)
        },
        positive_spans,
        negative_spans,
        positive_buckets,
        negative_buckets,
        custom_values: Vec::new(),
    })
}

/// Explicit-bucket data point → native histogram with custom buckets (schema -53), as
/// Prometheus's `explicitHistogramToCustomBucketsHistogram` (`convert_histograms_to_nhcb`):
/// `custom_values` = the explicit bounds, bucket `i` (upper bound `bounds[i]`, the last one
/// +Inf) at index `i`, leading and trailing empty buckets left out, reset hint unknown.
pub fn explicit_to_nhcb(p: &HistogramDataPoint) -> FloatHistogram {
    let counts: Vec<f64> = p.bucket_counts.iter().map(|c| *c as f64).collect();
    let first = counts.iter().position(|c| *c != 0.0);
    let (positive_spans, positive_buckets) = match first {
        None => (Vec::new(), Vec::new()),
        Some(first) => {
            let last = counts.iter().rposition(|c| *c != 0.0).unwrap_or(first);
            let b = counts[first..=last].to_vec();
            (
                vec![BucketSpan {
                    offset: first as i32,
                    length: b.len() as u32,
                }],
                b,
            )
        }
    };
    let stale = p.flags & 1 == 1;
    FloatHistogram {
        counter_reset_hint: ResetHint::Unknown,
        schema: lakewatch_model::histogram::CUSTOM_BUCKETS_SCHEMA,
        zero_threshold: 0.0,
        zero_count: 0.0,
        count: if stale {
            f64::from_bits(STALE_NAN_BITS)
        } else {
            p.count as f64
        },
        sum: if stale {
            f64::from_bits(STALE_NAN_BITS)
        } else {
            p.sum.unwrap_or(0.0)
        },
        positive_spans,
        negative_spans: Vec::new(),
        positive_buckets,
        negative_buckets: Vec::new(),
        custom_values: p.explicit_bounds.clone(),
    }
}
