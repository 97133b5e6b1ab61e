//! Remote write 2.0 → [`MetricsBatch`], following the 2.0 spec: valid series are written,
//! invalid ones are reported (400 with the `*-Written` counts of what was written).
//! `start_timestamp` is accepted and ignored (Prometheus ingests it only behind a feature flag).

use super::decode_v1::exemplar;
use super::{histogram, proto_v2 as v2};
use crate::error::IngestError;
use crate::limits::IngestLimits;
use crate::validate::{build_labels, check_histogram, check_timestamp, SeriesName};
use lakewatch_model::{MetricMetadata, MetricType, MetricsBatch, Sample, TimeSeries};
use std::collections::BTreeMap;

/// What a v2 request decoded to: the valid part and one message per refused series.
#[derive(Debug, Default)]
pub struct V2Decoded {
    pub batch: MetricsBatch,
    pub errors: Vec<String>,
}

fn metric_type(v: i32) -> MetricType {
    use v2::MetricType as P;
    match P::try_from(v) {
        Ok(P::Counter) => MetricType::Counter,
        Ok(P::Gauge) => MetricType::Gauge,
        Ok(P::Histogram) => MetricType::Histogram,
        Ok(P::Gaugehistogram) => MetricType::Gaugehistogram,
        Ok(P::Summary) => MetricType::Summary,
        Ok(P::Info) => MetricType::Info,
        Ok(P::Stateset) => MetricType::Stateset,
        _ => MetricType::Unknown,
    }
}

fn symbol(symbols: &[String], r: u32) -> Result<&str, String> {
    symbols.get(r as usize).map(|s| s.as_str()).ok_or_else(|| {
        format!(
            "symbol reference {r} out of range (table has {})",
            symbols.len()
        )
    })
}

fn resolve(symbols: &[String], refs: &[u32]) -> Result<Vec<(String, String)>, String> {
    if !refs.len().is_multiple_of(2) {
        return Err(format!("odd number of label references ({})", refs.len()));
    }
    refs.chunks(2)
        .map(|p| {
            Ok((
                symbol(symbols, p[0])?.to_string(),
                symbol(symbols, p[1])?.to_string(),
            ))
        })
        .collect()
}

/// The family name metadata is recorded under: the series name without the `_bucket`/`_sum`/
/// `_count` (histograms, summaries) suffix.
fn family_name(name: &str, t: MetricType) -> String {
    let suffixes: &[&str] = match t {
        MetricType::Histogram | MetricType::Gaugehistogram => &["_bucket", "_sum", "_count"],
        MetricType::Summary => &["_sum", "_count"],
        _ => &[],
    };
    for s in suffixes {
        if let Some(base) = name.strip_suffix(s) {
            return base.to_string();
        }
    }
    name.to_string()
}

fn convert(
    symbols: &[String],
    ts: v2::TimeSeries,
    now_ms: i64,
    limits: &IngestLimits,
) -> Result<(TimeSeries, Option<MetricMetadata>), String> {
    let pairs = resolve(symbols, &ts.labels_refs).map_err(|e| format!("series labels: {e}"))?;
    let labels = build_labels(pairs, limits.name_validation)?;
    let shown = SeriesName(&labels);
    if ts.samples.is_empty() && ts.histograms.is_empty() {
        return Err(format!(
            "series {shown}: has neither samples nor histograms"
        ));
    }
    let mut samples = Vec::with_capacity(ts.samples.len());
    for s in &ts.samples {
        check_timestamp(s.timestamp, now_ms, limits)
            .map_err(|e| format!("series {shown}: sample {e}"))?;
        samples.push(Sample {
            timestamp_ms: s.timestamp,
            value: s.value,
        });
    }
    let mut histograms = Vec::with_capacity(ts.histograms.len());
    for h in ts.histograms {
        check_timestamp(h.timestamp, now_ms, limits)
            .map_err(|e| format!("series {shown}: histogram {e}"))?;
        let (t, fh) = histogram::to_float(&h.into_v1())
            .map_err(|e| format!("series {shown}: invalid native histogram: {e}"))?;
        check_histogram(&fh)
            .map_err(|e| format!("series {shown}: invalid native histogram: {e}"))?;
        histograms.push((t, fh));
    }
    let mut exemplars = Vec::new();
    for e in ts.exemplars {
        if let Ok(p) = resolve(symbols, &e.labels_refs) {
            exemplars.extend(exemplar(p, e.value, e.timestamp));
        }
    }
    let metadata = match ts.metadata {
        Some(m) => {
            let t = metric_type(m.r#type);
            let help =
                symbol(symbols, m.help_ref).map_err(|e| format!("series {shown}: help: {e}"))?;
            let unit =
                symbol(symbols, m.unit_ref).map_err(|e| format!("series {shown}: unit: {e}"))?;
            if t == MetricType::Unknown && help.is_empty() && unit.is_empty() {
                None
            } else {
                Some(MetricMetadata {
                    metric_family_name: family_name(labels.metric_name().unwrap_or(""), t),
                    metric_type: t,
                    help: help.to_string(),
                    unit: unit.to_string(),
                })
            }
        }
        None => None,
    };
    Ok((
        TimeSeries {
            labels,
            samples,
            histograms,
            exemplars,
        },
        metadata,
    ))
}

/// Decodes a v2 `Request`. Whole-request problems (symbol table not starting with `""`, too
/// many series) are returned as `Err` (400); per-series problems land in `errors`.
pub fn decode_v2(
    req: v2::Request,
    now_ms: i64,
    limits: &IngestLimits,
) -> Result<V2Decoded, IngestError> {
    limits.check_series_count(req.timeseries.len())?;
    if !req.timeseries.is_empty() && req.symbols.first().map(|s| s.as_str()) != Some("") {
        return Err(IngestError::bad_request(
            "symbols table must start with an empty string",
        ));
    }
    let mut out = V2Decoded::default();
    let mut meta: BTreeMap<String, MetricMetadata> = BTreeMap::new();
    for ts in req.timeseries {
        match convert(&req.symbols, ts, now_ms, limits) {
            Ok((s, m)) => {
                if let Some(m) = m {
                    meta.insert(m.metric_family_name.clone(), m);
                }
                out.batch.series.push(s);
            }
            Err(e) => out.errors.push(e),
        }
    }
    out.batch.metadata = meta.into_values().collect();
    Ok(out)
}
