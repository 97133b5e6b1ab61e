//! Series validation shared by every ingest path: label sets (as Prometheus's remote write
//! receiver checks them: non-empty names, no duplicates, a non-empty `__name__`), sample
//! timestamps (negative or beyond `now + max_future_ms`, Prometheus's `maxAheadTime`) and native
//! histograms (as Prometheus `histogram.Validate`). Errors are plain text naming the series.

use crate::limits::{IngestLimits, NameValidation};
use lakewatch_model::{is_stale_nan, FloatHistogram, Label, Labels, METRIC_NAME};

/// Renders raw label pairs as `{a="1", b="2"}` for error messages.
pub fn render_pairs(pairs: &[(String, String)]) -> String {
    let inner: Vec<String> = pairs.iter().map(|(n, v)| format!("{n}={v:?}")).collect();
    format!("{{{}}}", inner.join(", "))
}

/// Displays a label set as `{__name__="m", a="1"}` (the form used in error messages), computed
/// only when an error is actually formatted.
pub struct SeriesName<'a>(pub &'a Labels);

impl std::fmt::Display for SeriesName<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("{")?;
        for (i, l) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{}={:?}", l.name, l.value)?;
        }
        f.write_str("}")
    }
}

fn legacy_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn legacy_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' || c == ':' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// Builds a sorted [`Labels`] from raw pairs, rejecting what Prometheus rejects: an empty label
/// name, a duplicate name, a missing or empty `__name__`, and (with `Legacy` validation) names
/// outside the legacy character set. Empty values are dropped (absent label).
pub fn build_labels(
    mut pairs: Vec<(String, String)>,
    validation: NameValidation,
) -> Result<Labels, String> {
    let shown = || render_pairs(&pairs);
    for (n, _) in &pairs {
        if n.is_empty() {
            return Err(format!("series {}: empty label name", shown()));
        }
        if validation == NameValidation::Legacy && n != METRIC_NAME && !legacy_label_name(n) {
            return Err(format!("series {}: invalid label name {n:?}", shown()));
        }
    }
    let name = pairs
        .iter()
        .find(|(n, _)| n == METRIC_NAME)
        .map(|(_, v)| v.as_str());
    match name {
        None => {
            return Err(format!(
                "series {}: missing metric name (__name__ label)",
                shown()
            ))
        }
        Some("") => return Err(format!("series {}: empty metric name", shown())),
        Some(v) if validation == NameValidation::Legacy && !legacy_metric_name(v) => {
            return Err(format!("series {}: invalid metric name {v:?}", shown()))
        }
        _ => {}
    }
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    if let Some(w) = pairs.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(format!(
            "series {}: duplicate label name {:?}",
            render_pairs(&pairs),
            w[0].0
        ));
    }
    Ok(Labels::from_sorted(
        pairs
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(name, value)| Label { name, value })
            .collect(),
    ))
}

/// Checks one sample timestamp (**ms**) against the limits; `now_ms` is the receive time.
pub fn check_timestamp(ts: i64, now_ms: i64, limits: &IngestLimits) -> Result<(), String> {
    if ts < 0 {
        return Err(format!("invalid timestamp {ts} (negative)"));
    }
    if ts > now_ms.saturating_add(limits.max_future_ms) {
        return Err(format!(
            "timestamp {ts} is too far in the future (more than {} ms after now = {now_ms})",
            limits.max_future_ms
        ));
    }
    if limits.max_sample_age_ms > 0 && ts < now_ms.saturating_sub(limits.max_sample_age_ms) {
        return Err(format!(
            "timestamp {ts} is too old (more than {} ms before now = {now_ms})",
            limits.max_sample_age_ms
        ));
    }
    Ok(())
}

fn span_total(spans: &[lakewatch_model::BucketSpan]) -> Result<usize, String> {
    let mut n = 0usize;
    for (i, s) in spans.iter().enumerate() {
        if i > 0 && s.offset < 0 {
            return Err(format!("span number {} with offset {}", i + 1, s.offset));
        }
        n += s.length as usize;
    }
    Ok(n)
}

/// Validates a native histogram as Prometheus `FloatHistogram.Validate` does (schema range,
/// span/bucket agreement, no negative or NaN counts, count not smaller than the buckets, custom
/// bounds increasing). Stale markers (sum = stale NaN) are accepted as they are.
pub fn check_histogram(h: &FloatHistogram) -> Result<(), String> {
    if is_stale_nan(h.sum) {
        return Ok(());
    }
    let custom = h.schema == lakewatch_model::histogram::CUSTOM_BUCKETS_SCHEMA;
    if !custom && !(-4..=8).contains(&h.schema) {
        return Err(format!("histogram has an invalid schema {}", h.schema));
    }
    let np = span_total(&h.positive_spans).map_err(|e| format!("positive side: {e}"))?;
    let nn = span_total(&h.negative_spans).map_err(|e| format!("negative side: {e}"))?;
    if np != h.positive_buckets.len() {
        return Err(format!(
            "positive side: spans need {np} buckets, have {} buckets",
            h.positive_buckets.len()
        ));
    }
    if nn != h.negative_buckets.len() {
        return Err(format!(
            "negative side: spans need {nn} buckets, have {} buckets",
            h.negative_buckets.len()
        ));
    }
    if custom {
        if !h.negative_spans.is_empty() || !h.negative_buckets.is_empty() {
            return Err("custom buckets histogram must not have negative buckets".into());
        }
        if h.zero_count != 0.0 {
            return Err("custom buckets histogram must not have a zero bucket".into());
        }
        if h.custom_values.iter().any(|v| v.is_nan()) {
            return Err("custom buckets histogram has a NaN bound".into());
        }
        if h.custom_values.windows(2).any(|w| w[0] >= w[1]) {
            return Err("custom buckets histogram bounds must be strictly increasing".into());
        }
        let mut idx: i64 = -1;
        for s in &h.positive_spans {
            idx += s.offset as i64 + s.length as i64;
        }
        if h.positive_spans.first().is_some_and(|s| s.offset < 0) {
            return Err("custom buckets histogram has a negative first span offset".into());
        }
        if idx > h.custom_values.len() as i64 {
            return Err(format!(
                "custom buckets histogram has bucket index {idx} beyond its {} bounds",
                h.custom_values.len()
            ));
        }
    } else if !h.custom_values.is_empty() {
        return Err("histogram with exponential schema must not have custom bounds".into());
    }
    let mut total = h.zero_count;
    for (side, b) in [
        ("positive", &h.positive_buckets),
        ("negative", &h.negative_buckets),
    ] {
        for c in b.iter() {
            if c.is_nan() || *c < 0.0 {
                return Err(format!("{side} side: bucket count {c} is negative or NaN"));
            }
            total += c;
        }
    }
    if h.zero_count.is_nan() || h.zero_count < 0.0 {
        return Err(format!(
            "zero bucket count {} is negative or NaN",
            h.zero_count
        ));
    }
    if h.count.is_nan() || h.count < 0.0 {
        return Err(format!("count {} is negative or NaN", h.count));
    }
    if total > h.count * (1.0 + 1e-9) + 1e-9 {
        return Err(format!(
            "{total} observations found in buckets, but the count is only {}",
            h.count
        ));
    }
    Ok(())
}
