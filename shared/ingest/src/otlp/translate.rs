//! `ExportMetricsServiceRequest` → [`MetricsBatch`], as Prometheus 3's OTLP receiver translates
//! by default (`storage/remote/otlptranslator/prometheusremotewrite`, strategy
//! `UnderscoreEscapingWithSuffixes`): gauges and sums as samples (monotonic sums get `_total`),
//! explicit histograms as classic `_bucket{le}`/`_sum`/`_count`, exponential histograms as native
//! histograms, summaries as `{quantile}`/`_sum`/`_count`, a `target_info` series per resource,
//! exemplars with `trace_id`/`span_id`. Delta temporality is refused per metric (Prometheus's
//! default without `otlp-deltatocumulative`/`native-delta-ingestion`), the rest is kept.

use super::attrs::{create_attributes, LabelSettings, ScopeInfo, IDENTIFYING};
use super::exp_histogram;
use super::names::{format_float, metric_name, MetricKind};
use crate::limits::IngestLimits;
use crate::remote_write::exemplar;
use crate::validate::check_timestamp;
use lakewatch_model::{
    Exemplar, Labels, MetricMetadata, MetricType, MetricsBatch, Sample, TimeSeries,
    METRIC_NAME, STALE_NAN_BITS,
};
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::metrics::v1::{
    exemplar::Value as ExValue, metric::Data, number_data_point::Value as NumValue,
    AggregationTemporality, Exemplar as OtlpExemplar, NumberDataPoint,
};
use std::collections::{BTreeMap, HashMap};

/// Interval between generated `target_info` samples: half of the 5m lookback delta (ms).
pub const TARGET_INFO_INTERVAL_MS: i64 = 150_000;

/// The outcome of a translation: the batch to write, the number of data points refused (for
/// OTLP `partial_success.rejected_data_points`) and the reasons.
#[derive(Debug, Default)]
pub struct Translation {
    pub batch: MetricsBatch,
    pub rejected_data_points: i64,
    pub errors: Vec<String>,
}

#[derive(Default)]
struct Builder {
    index: HashMap<Labels, usize>,
    series: Vec<TimeSeries>,
}

impl Builder {
    fn series(&mut self, labels: Labels) -> &mut TimeSeries {
        let i = match self.index.get(&labels) {
            Some(i) => *i,
            None => {
                self.series.push(TimeSeries {
                    labels: labels.clone(),
                    ..Default::default()
                });
                self.index.insert(labels, self.series.len() - 1);
                self.series.len() - 1
            }
        };
        &mut self.series[i]
    }
}

fn ns_to_ms(ns: u64) -> i64 {
    (ns / 1_000_000) as i64
}

fn labels_with(base: &BTreeMap<String, String>, name: &str, extra: Option<(&str, String)>) -> Labels {
    let mut l = base.clone();
    if let Some((k, v)) = extra {
        l.insert(k.to_string(), v);
    }
    l.insert(METRIC_NAME.to_string(), name.to_string());
    Labels::from_pairs(l)
}

fn stale() -> f64 {
    f64::from_bits(STALE_NAN_BITS)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Prometheus `getPromExemplars`: value, ms timestamp, `trace_id`/`span_id` (lower hex, when
/// not all zero) and the filtered attributes if all labels stay within 128 runes.
fn exemplars(list: &[OtlpExemplar]) -> Vec<Exemplar> {
    let mut out = Vec::new();
    for e in list {
        let value = match e.value {
            Some(ExValue::AsDouble(d)) => d,
            Some(ExValue::AsInt(i)) => i as f64,
            None => continue,
        };
        let mut pairs: Vec<(String, String)> = Vec::new();
        let mut runes = 0;
        if !e.trace_id.is_empty() && e.trace_id.iter().any(|b| *b != 0) {
            let v = hex(&e.trace_id);
            runes += "trace_id".len() + v.len();
            pairs.push(("trace_id".into(), v));
        }
        if !e.span_id.is_empty() && e.span_id.iter().any(|b| *b != 0) {
            let v = hex(&e.span_id);
            runes += "span_id".len() + v.len();
            pairs.push(("span_id".into(), v));
        }
        let attrs: Vec<(String, String)> = e
            .filtered_attributes
            .iter()
            .map(|kv| (kv.key.clone(), super::attrs::any_value_string(kv.value.as_ref())))
            .collect();
        runes += attrs
            .iter()
            .map(|(k, v)| k.chars().count() + v.chars().count())
            .sum::<usize>();
        if runes <= crate::remote_write::MAX_EXEMPLAR_RUNES {
            pairs.extend(attrs);
        }
        out.extend(exemplar(pairs, value, ns_to_ms(e.time_unix_nano)));
    }
    out
}

fn number_value(p: &NumberDataPoint) -> f64 {
    if p.flags & 1 == 1 {
        return stale();
    }
    match p.value {
        Some(NumValue::AsDouble(d)) => d,
        Some(NumValue::AsInt(i)) => i as f64,
        None => 0.0,
    }
}

fn point_count(d: &Data) -> usize {
    match d {
        Data::Gauge(g) => g.data_points.len(),
        Data::Sum(s) => s.data_points.len(),
        Data::Histogram(h) => h.data_points.len(),
        Data::ExponentialHistogram(h) => h.data_points.len(),
        Data::Summary(s) => s.data_points.len(),
    }
}

fn point_times(d: &Data) -> Vec<u64> {
    match d {
        Data::Gauge(g) => g.data_points.iter().map(|p| p.time_unix_nano).collect(),
        Data::Sum(s) => s.data_points.iter().map(|p| p.time_unix_nano).collect(),
        Data::Histogram(h) => h.data_points.iter().map(|p| p.time_unix_nano).collect(),
        Data::ExponentialHistogram(h) => h.data_points.iter().map(|p| p.time_unix_nano).collect(),
        Data::Summary(s) => s.data_points.iter().map(|p| p.time_unix_nano).collect(),
    }
}

struct Ctx<'a> {
    resource: &'a [KeyValue],
    scope: &'a ScopeInfo,
    settings: &'a LabelSettings,
    now_ms: i64,
    limits: &'a IngestLimits,
}

impl Ctx<'_> {
    fn base(&self, attrs: &[KeyValue]) -> BTreeMap<String, String> {
        create_attributes(self.resource, attrs, Some(self.scope), self.settings, &[])
    }
    fn ts(&self, ns: u64, what: &str) -> Result<i64, String> {
        let ms = ns_to_ms(ns);
        check_timestamp(ms, self.now_ms, self.limits)
            .map_err(|e| format!("metric {what:?}: data point {e}"))?;
        Ok(ms)
    }
}

fn push(b: &mut Builder, labels: Labels, t: i64, v: f64) -> usize {
    let s = b.series(labels.clone());
    s.samples.push(Sample {
        timestamp_ms: t,
        value: v,
    });
    b.index[&labels]
}

/// Translates one request. `Err` is a whole-request error (an invalid timestamp: nothing is
/// written, 400); per-metric problems (delta temporality, empty data points, unconvertible
/// exponential scale, unusable name) are skipped and reported in [`Translation`].
pub fn translate(
    req: &ExportMetricsServiceRequest,
    now_ms: i64,
    limits: &IngestLimits,
) -> Result<Translation, String> {
    let settings = LabelSettings {
        promote_resource_attributes: limits.otlp_promote_resource_attributes.clone(),
        promote_scope_metadata: limits.otlp_promote_scope_metadata,
    };
    let mut out = Translation::default();
    let mut b = Builder::default();
    let mut metadata: Vec<MetricMetadata> = Vec::new();
    for rm in &req.resource_metrics {
        let resource: &[KeyValue] = rm.resource.as_ref().map_or(&[], |r| &r.attributes);
        let mut earliest = u64::MAX;
        let mut latest = 0u64;
        for sm in &rm.scope_metrics {
            let scope = ScopeInfo {
                name: sm.scope.as_ref().map(|s| s.name.clone()).unwrap_or_default(),
                version: sm.scope.as_ref().map(|s| s.version.clone()).unwrap_or_default(),
                schema_url: sm.schema_url.clone(),
                attributes: sm.scope.as_ref().map(|s| s.attributes.clone()).unwrap_or_default(),
            };
            let ctx = Ctx {
                resource,
                scope: &scope,
                settings: &settings,
                now_ms,
                limits,
            };
            for m in &sm.metrics {
                let Some(data) = &m.data else {
                    out.errors.push(format!("unsupported metric type for metric {:?}", m.name));
                    continue;
                };
                for t in point_times(data) {
                    earliest = earliest.min(t);
                    latest = latest.max(t);
                }
                let (kind, temporality) = match data {
                    Data::Gauge(_) => (MetricKind::Gauge, None),
                    Data::Sum(s) if s.is_monotonic => {
                        (MetricKind::MonotonicCounter, Some(s.aggregation_temporality))
                    }
                    Data::Sum(s) => (MetricKind::NonMonotonicCounter, Some(s.aggregation_temporality)),
                    Data::Histogram(h) => (MetricKind::Histogram, Some(h.aggregation_temporality)),
                    Data::ExponentialHistogram(h) => {
                        (MetricKind::ExponentialHistogram, Some(h.aggregation_temporality))
                    }
                    Data::Summary(_) => (MetricKind::Summary, None),
                };
                if temporality.is_some_and(|t| t != AggregationTemporality::Cumulative as i32) {
                    out.rejected_data_points += point_count(data) as i64;
                    out.errors.push(format!(
                        "invalid temporality and type combination for metric {:?}",
                        m.name
                    ));
                    continue;
                }
                let name = match metric_name(&m.name, &m.unit, kind) {
                    Ok(n) => n,
                    Err(e) => {
                        out.rejected_data_points += point_count(data) as i64;
                        out.errors.push(e);
                        continue;
                    }
                };
                metadata.push(MetricMetadata {
                    metric_family_name: name.clone(),
                    metric_type: match kind {
                        MetricKind::Gauge | MetricKind::NonMonotonicCounter => MetricType::Gauge,
                        MetricKind::MonotonicCounter => MetricType::Counter,
                        MetricKind::Histogram | MetricKind::ExponentialHistogram => {
                            MetricType::Histogram
                        }
                        MetricKind::Summary => MetricType::Summary,
                    },
                    help: m.description.clone(),
                    unit: m.unit.clone(),
                });
                if point_count(data) == 0 {
                    out.errors.push(format!("empty data points. {} is dropped", m.name));
                    continue;
                }
                add_metric(&ctx, &mut b, &mut out, data, &name, &m.name)?;
            }
        }
        if earliest != u64::MAX {
            add_target_info(resource, limits, &mut b, earliest, latest);
        }
    }
    metadata.dedup_by(|a, b| a.metric_family_name == b.metric_family_name);
    out.batch = MetricsBatch {
        series: b.series,
        metadata,
    };
    Ok(out)
}

fn add_metric(
    ctx: &Ctx,
    b: &mut Builder,
    out: &mut Translation,
    data: &Data,
    name: &str,
    otlp_name: &str,
) -> Result<(), String> {
    match data {
        Data::Gauge(g) => {
            for p in &g.data_points {
                let t = ctx.ts(p.time_unix_nano, otlp_name)?;
                push(b, labels_with(&ctx.base(&p.attributes), name, None), t, number_value(p));
            }
        }
        Data::Sum(s) => {
            for p in &s.data_points {
                let t = ctx.ts(p.time_unix_nano, otlp_name)?;
                let i = push(b, labels_with(&ctx.base(&p.attributes), name, None), t, number_value(p));
                b.series[i].exemplars.extend(exemplars(&p.exemplars));
            }
        }
        Data::Histogram(h) => {
            for p in &h.data_points {
                let t = ctx.ts(p.time_unix_nano, otlp_name)?;
                let base = ctx.base(&p.attributes);
                let st = p.flags & 1 == 1;
                if let Some(sum) = p.sum {
                    let v = if st { stale() } else { sum };
                    push(b, labels_with(&base, &format!("{name}_sum"), None), t, v);
                }
                let cv = if st { stale() } else { p.count as f64 };
                push(b, labels_with(&base, &format!("{name}_count"), None), t, cv);
                let bucket = format!("{name}_bucket");
                let mut cumulative: u64 = 0;
                let mut bounds: Vec<(f64, usize)> = Vec::new();
                for (bound, c) in p.explicit_bounds.iter().zip(p.bucket_counts.iter()) {
                    cumulative = cumulative.saturating_add(*c);
                    let v = if st { stale() } else { cumulative as f64 };
                    let i = push(b, labels_with(&base, &bucket, Some(("le", format_float(*bound)))), t, v);
                    bounds.push((*bound, i));
                }
                let i = push(b, labels_with(&base, &bucket, Some(("le", "+Inf".into()))), t, cv);
                bounds.push((f64::INFINITY, i));
                bounds.sort_by(|a, b| a.0.total_cmp(&b.0));
                for e in exemplars(&p.exemplars) {
                    if let Some((_, i)) = bounds.iter().find(|(bound, _)| e.value <= *bound) {
                        b.series[*i].exemplars.push(e);
                    }
                }
            }
        }
        Data::ExponentialHistogram(h) => {
            for p in &h.data_points {
                let t = ctx.ts(p.time_unix_nano, otlp_name)?;
                let fh = match exp_histogram::to_native(p) {
                    Ok(fh) => fh,
                    Err(e) => {
                        out.rejected_data_points += 1;
                        out.errors.push(format!("metric {otlp_name:?}: {e}"));
                        continue;
                    }
                };
                let s = b.series(labels_with(&ctx.base(&p.attributes), name, None));
                s.histograms.push((t, fh));
                s.exemplars.extend(exemplars(&p.exemplars));
            }
        }
        Data::Summary(s) => {
            for p in &s.data_points {
                let t = ctx.ts(p.time_unix_nano, otlp_name)?;
                let base = ctx.base(&p.attributes);
                let st = p.flags & 1 == 1;
                let pick = |v: f64| if st { stale() } else { v };
                push(b, labels_with(&base, &format!("{name}_sum"), None), t, pick(p.sum));
                push(b, labels_with(&base, &format!("{name}_count"), None), t, pick(p.count as f64));
                for q in &p.quantile_values {
                    let l = labels_with(&base, name, Some(("quantile", format_float(q.quantile))));
                    push(b, l, t, pick(q.value));
                }
            }
        }
    }
    Ok(())
}

/// Prometheus `addResourceTargetInfo`: a `target_info` series carrying the non-identifying
/// resource attributes, with value 1 from the earliest to the latest data point of the resource
/// every [`TARGET_INFO_INTERVAL_MS`], plus the latest; only when such attributes exist and `job`
/// or `instance` can be set.
fn add_target_info(
    resource: &[KeyValue],
    limits: &IngestLimits,
    b: &mut Builder,
    earliest_ns: u64,
    latest_ns: u64,
) {
    let non_identifying = resource
        .iter()
        .filter(|kv| !IDENTIFYING.contains(&kv.key.as_str()))
        .count();
    if non_identifying == 0 {
        return;
    }
    let ignore: &[&str] = if limits.otlp_keep_identifying_resource_attributes {
        &[]
    } else {
        &IDENTIFYING
    };
    let attrs = create_attributes(resource, resource, None, &LabelSettings::default(), ignore);
    if !attrs.contains_key("job") && !attrs.contains_key("instance") {
        return;
    }
    let labels = labels_with(&attrs, "target_info", None);
    let s = b.series(labels);
    let step = TARGET_INFO_INTERVAL_MS as u64 * 1_000_000;
    let mut t = earliest_ns;
    while t < latest_ns {
        s.samples.push(Sample {
            timestamp_ms: ns_to_ms(t),
            value: 1.0,
        });
        t = t.saturating_add(step);
    }
    let latest_ms = ns_to_ms(latest_ns);
    if s.samples.last().is_none_or(|x| x.timestamp_ms < latest_ms) {
        s.samples.push(Sample {
            timestamp_ms: latest_ms,
            value: 1.0,
        });
    }
}
