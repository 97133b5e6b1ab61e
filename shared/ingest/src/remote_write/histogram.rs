//! Remote-write native histograms ↔ [`FloatHistogram`] (absolute bucket counts).
//! Integer histograms (`count_int`, `*_deltas`) are turned into absolute float counts; float
//! histograms (`count_float`, `*_counts`) are taken as they are.

use super::proto::{self, histogram::Count, histogram::ZeroCount};
use lakewatch_model::{is_stale_nan, BucketSpan, FloatHistogram, ResetHint};

fn spans(s: &[proto::BucketSpan]) -> Vec<BucketSpan> {
    s.iter()
        .map(|s| BucketSpan {
            offset: s.offset,
            length: s.length,
        })
        .collect()
}

fn deltas_to_counts(deltas: &[i64]) -> Result<Vec<f64>, String> {
    let mut cur: i64 = 0;
    let mut out = Vec::with_capacity(deltas.len());
    for d in deltas {
        cur = cur
            .checked_add(*d)
            .ok_or_else(|| "bucket delta overflow".to_string())?;
        if cur < 0 {
            return Err(format!("bucket count {cur} is negative"));
        }
        out.push(cur as f64);
    }
    Ok(out)
}

/// The reset hint of a proto histogram.
pub fn reset_hint(v: i32) -> ResetHint {
    match proto::ResetHint::try_from(v) {
        Ok(proto::ResetHint::Yes) => ResetHint::CounterReset,
        Ok(proto::ResetHint::No) => ResetHint::NotCounterReset,
        Ok(proto::ResetHint::Gauge) => ResetHint::Gauge,
        _ => ResetHint::Unknown,
    }
}

/// Converts one remote-write histogram to `(timestamp_ms, FloatHistogram)`. Errors (plain text)
/// for integer histograms whose buckets go negative, or whose count differs from the bucket
/// total while the sum is not NaN (Prometheus `ErrHistogramCountMismatch`).
pub fn to_float(h: &proto::Histogram) -> Result<(i64, FloatHistogram), String> {
    let is_int = matches!(h.count, Some(Count::CountInt(_)) | None)
        && h.positive_counts.is_empty()
        && h.negative_counts.is_empty();
    let (positive_buckets, negative_buckets) = if is_int {
        (
            deltas_to_counts(&h.positive_deltas).map_err(|e| format!("positive side: {e}"))?,
            deltas_to_counts(&h.negative_deltas).map_err(|e| format!("negative side: {e}"))?,
        )
    } else {
        (h.positive_counts.clone(), h.negative_counts.clone())
    };
    let count = match h.count {
        Some(Count::CountInt(c)) if c == lakewatch_model::STALE_NAN_BITS => {
            f64::from_bits(lakewatch_model::STALE_NAN_BITS)
        }
        Some(Count::CountInt(c)) => c as f64,
        Some(Count::CountFloat(c)) => c,
        None => 0.0,
    };
    let zero_count = match h.zero_count {
        Some(ZeroCount::ZeroCountInt(c)) => c as f64,
        Some(ZeroCount::ZeroCountFloat(c)) => c,
        None => 0.0,
    };
    let fh = FloatHistogram {
        counter_reset_hint: reset_hint(h.reset_hint),
        schema: h.schema,
        zero_threshold: h.zero_threshold,
        zero_count,
        count,
        sum: h.sum,
        positive_spans: spans(&h.positive_spans),
        negative_spans: spans(&h.negative_spans),
        positive_buckets,
        negative_buckets,
        custom_values: h.custom_values.clone(),
    };
    if is_int && !h.sum.is_nan() && !is_stale_nan(h.sum) {
        let total: f64 = fh.zero_count
            + fh.positive_buckets.iter().sum::<f64>()
            + fh.negative_buckets.iter().sum::<f64>();
        if total != fh.count {
            return Err(format!(
                "{total} observations found in buckets, but the count is {}",
                fh.count
            ));
        }
    }
    Ok((h.timestamp, fh))
}

/// Encodes a [`FloatHistogram`] as a float remote-write histogram (`count_float`, `*_counts`).
pub fn from_float(ts: i64, h: &FloatHistogram) -> proto::Histogram {
    let sp = |s: &[BucketSpan]| {
        s.iter()
            .map(|s| proto::BucketSpan {
                offset: s.offset,
                length: s.length,
            })
            .collect()
    };
    proto::Histogram {
        count: Some(Count::CountFloat(h.count)),
        sum: h.sum,
        schema: h.schema,
        zero_threshold: h.zero_threshold,
        zero_count: Some(ZeroCount::ZeroCountFloat(h.zero_count)),
        negative_spans: sp(&h.negative_spans),
        negative_deltas: Vec::new(),
        negative_counts: h.negative_buckets.clone(),
        positive_spans: sp(&h.positive_spans),
        positive_deltas: Vec::new(),
        positive_counts: h.positive_buckets.clone(),
        reset_hint: match h.counter_reset_hint {
            ResetHint::Unknown => proto::ResetHint::Unknown,
            ResetHint::CounterReset => proto::ResetHint::Yes,
            ResetHint::NotCounterReset => proto::ResetHint::No,
            ResetHint::Gauge => proto::ResetHint::Gauge,
        } as i32,
        timestamp: ts,
        custom_values: h.custom_values.clone(),
    }
}
