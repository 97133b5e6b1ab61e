//! Remote write 1.0 → [`MetricsBatch`]. Any invalid series rejects the **whole** request (400)
//! so that nothing partial is written (Mimir's choice; Prometheus skips bad series). Invalid
//! exemplars are dropped, never failing the request (as Prometheus).

use super::{histogram, proto};
use crate::error::IngestError;
use crate::limits::IngestLimits;
use crate::validate::{build_labels, check_histogram, check_timestamp, SeriesName};
use lakewatch_model::{
    Exemplar, Labels, MetricMetadata, MetricType, MetricsBatch, Sample, TimeSeries,
};

/// Maps the v1 metadata type enum to the model's.
pub fn metric_type(v: i32) -> MetricType {
    use proto::MetricType as P;
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

/// Max UTF-8 runes in an exemplar's label set (OpenMetrics, Prometheus `ValidateExemplar`).
pub const MAX_EXEMPLAR_RUNES: usize = 128;

/// Builds an exemplar or `None` if Prometheus would refuse it (empty or duplicate label names,
/// more than 128 runes of labels, negative timestamp).
pub fn exemplar(pairs: Vec<(String, String)>, value: f64, timestamp_ms: i64) -> Option<Exemplar> {
    if timestamp_ms < 0 || pairs.iter().any(|(n, _)| n.is_empty()) {
        return None;
    }
    let runes: usize = pairs
        .iter()
        .map(|(n, v)| n.chars().count() + v.chars().count())
        .sum();
    if runes > MAX_EXEMPLAR_RUNES {
        return None;
    }
    let mut names: Vec<&str> = pairs.iter().map(|(n, _)| n.as_str()).collect();
    names.sort_unstable();
    if names.windows(2).any(|w| w[0] == w[1]) {
        return None;
    }
    let labels = Labels::from_pairs(pairs);
    Some(Exemplar {
        labels,
        value,
        timestamp_ms,
    })
}

/// Converts one validated series; errors name the series.
pub(crate) fn convert_series(
    ts: proto::TimeSeries,
    now_ms: i64,
    limits: &IngestLimits,
) -> Result<TimeSeries, String> {
    let pairs: Vec<(String, String)> = ts.labels.into_iter().map(|l| (l.name, l.value)).collect();
    let labels = build_labels(pairs, limits.name_validation)?;
    let shown = SeriesName(&labels);
    let mut samples = Vec::with_capacity(ts.samples.len());
    for s in ts.samples {
        check_timestamp(s.timestamp, now_ms, limits)
            .map_err(|e| format!("series {shown}: sample {e}"))?;
        samples.push(Sample {
            timestamp_ms: s.timestamp,
            value: s.value,
        });
    }
    let mut histograms = Vec::with_capacity(ts.histograms.len());
    for h in &ts.histograms {
        check_timestamp(h.timestamp, now_ms, limits)
            .map_err(|e| format!("series {shown}: histogram {e}"))?;
        let (t, fh) = histogram::to_float(h)
            .map_err(|e| format!("series {shown}: invalid native histogram: {e}"))?;
        check_histogram(&fh)
            .map_err(|e| format!("series {shown}: invalid native histogram: {e}"))?;
        histograms.push((t, fh));
    }
    let exemplars = ts
        .exemplars
        .into_iter()
        .filter_map(|e| {
            exemplar(
                e.labels.into_iter().map(|l| (l.name, l.value)).collect(),
                e.value,
                e.timestamp,
            )
        })
        .collect();
    Ok(TimeSeries {
        labels,
        samples,
        histograms,
        exemplars,
    })
}

/// Decodes a v1 `WriteRequest` into a batch, validating every series against `limits` with
/// `now_ms` (ms) as the receive time. Errors are 400 with a reason naming the series.
pub fn decode_v1(
    req: proto::WriteRequest,
    now_ms: i64,
    limits: &IngestLimits,
) -> Result<MetricsBatch, IngestError> {
    limits.check_series_count(req.timeseries.len())?;
    let mut series = Vec::with_capacity(req.timeseries.len());
    for ts in req.timeseries {
        let s = convert_series(ts, now_ms, limits).map_err(IngestError::bad_request)?;
        if s.samples.is_empty() && s.histograms.is_empty() && s.exemplars.is_empty() {
            continue;
        }
        series.push(s);
    }
    let metadata = req
        .metadata
        .into_iter()
        .filter(|m| !m.metric_family_name.is_empty())
        .map(|m| MetricMetadata {
            metric_family_name: m.metric_family_name,
            metric_type: metric_type(m.r#type),
            help: m.help,
            unit: m.unit,
        })
        .collect();
    Ok(MetricsBatch { series, metadata })
}
