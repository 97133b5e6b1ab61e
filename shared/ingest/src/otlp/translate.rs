//! `ExportMetricsServiceRequest` → [`MetricsBatch`], as Prometheus 3.14's OTLP receiver
//! translates with its default settings (`storage/remote/otlptranslator/prometheusremotewrite`,
//! strategy `UnderscoreEscapingWithSuffixes`): gauges and sums as samples (monotonic sums get
//! `_total`), explicit histograms as classic `_bucket{le}`/`_sum`/`_count`, exponential
//! histograms as native histograms, summaries as `{quantile}`/`_sum`/`_count`, a `target_info`
//! series per resource, exemplars with `trace_id`/`span_id`.
//!
//! Like Prometheus (which rolls the whole request back when translation fails), any
//! translation error — delta temporality (no `otlp-deltatocumulative`/`native-delta-ingestion`
//! here), a name that cannot be normalized, an exponential scale below -4, a missing metric
//! type, an invalid timestamp — rejects the whole request; we answer 400 (never succeeds)
//! where Prometheus answers 500.

use super::attrs::{create_attributes, LabelSettings, ScopeInfo, IDENTIFYING};
use super::exp_histogram;
use super::names::{format_float, metric_name, unit_name, MetricKind};
use crate::limits::IngestLimits;
use crate::remote_write::exemplar;
use crate::validate::check_timestamp;
use lakewatch_model::{
    Exemplar, Labels, MetricMetadata, MetricType, MetricsBatch, Sample, TimeSeries, METRIC_NAME,
    STALE_NAN_BITS,
};
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::metrics::v1::{
    exemplar::Value as ExValue, metric::Data, number_data_point::Value as NumValue,
    AggregationTemporality, Exemplar as OtlpExemplar, NumberDataPoint,
};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Interval between generated `target_info` samples: half of the 5m lookback delta (ms).
pub const TARGET_INFO_INTERVAL_MS: i64 = 150_000;

/// The outcome of a successful translation: the batch to write and warnings (e.g. metrics
/// without data points, which Prometheus drops with a warning).
#[derive(Debug, Default)]
pub struct Translation {
    pub batch: MetricsBatch,
    pub warnings: Vec<String>,
}

#[derive(Default)]
struct Builder {
    index: HashMap<Labels, usize>,
    series: Vec<TimeSeries>,
    metadata: BTreeMap<String, MetricMetadata>,
    seen_target_info: HashSet<(Labels, i64)>,
}

impl Builder {
    fn series(&mut self, labels: Labels) -> usize {
        if let Some(i) = self.index.get(&labels) {
            return *i;
        }
        self.series.push(TimeSeries {
            labels: labels.clone(),
            ..Default::default()
        });
        self.index.insert(labels, self.series.len() - 1);
        self.series.len() - 1
    }

    fn push(&mut self, labels: Labels, t: i64, v: f64) -> usize {
        let i = self.series(labels);
        self.series[i].samples.push(Sample {
            timestamp_ms: t,
            value: v,
        });
        i
    }

    fn metadata(&mut self, m: MetricMetadata) {
        self.metadata
            .entry(m.metric_family_name.clone())
            .or_insert(m);
    }
}

fn ns_to_ms(ns: u64) -> i64 {
    (ns / 1_000_000) as i64
}

fn labels_with(
    base: &BTreeMap<String, String>,
    name: &str,
    extra: Option<(&str, String)>,
) -> Labels {
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
/// not all zero) and the filtered attributes if all labels stay within 128 runes. Exemplars
/// without a value or with invalid labels are dropped.
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
        if e.trace_id.iter().any(|b| *b != 0) {
            let v = hex(&e.trace_id);
            runes += "trace_id".len() + v.len();
            pairs.push(("trace_id".into(), v));
        }
        if e.span_id.iter().any(|b| *b != 0) {
            let v = hex(&e.span_id);
            runes += "span_id".len() + v.len();
            pairs.push(("span_id".into(), v));
        }
        let attrs: Vec<(String, String)> = e
            .filtered_attributes
            .iter()
            .map(|kv| {
                (
                    kv.key.clone(),
                    super::attrs::any_value_string(kv.value.as_ref()),
                )
            })
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
    otlp_name: &'a str,
}

impl Ctx<'_> {
    fn base(&self, attrs: &[KeyValue]) -> Result<BTreeMap<String, String>, String> {
        create_attributes(self.resource, attrs, Some(self.scope), self.settings, &[])
            .map_err(|e| format!("metric {:?}: {e}", self.otlp_name))
    }
    fn ts(&self, ns: u64) -> Result<i64, String> {
        let ms = ns_to_ms(ns);
        check_timestamp(ms, self.now_ms, self.limits)
            .map_err(|e| format!("metric {:?}: data point {e}", self.otlp_name))?;
        Ok(ms)
    }
}

fn kind_of(data: &Data) -> (MetricKind, Option<i32>) {
    match data {
        Data::Gauge(_) => (MetricKind::Gauge, None),
        Data::Sum(s) if s.is_monotonic => (
            MetricKind::MonotonicCounter,
            Some(s.aggregation_temporality),
        ),
        Data::Sum(s) => (
            MetricKind::NonMonotonicCounter,
            Some(s.aggregation_temporality),
        ),
        Data::Histogram(h) => (MetricKind::Histogram, Some(h.aggregation_temporality)),
        Data::ExponentialHistogram(h) => (
            MetricKind::ExponentialHistogram,
            Some(h.aggregation_temporality),
        ),
        Data::Summary(_) => (MetricKind::Summary, None),
    }
}

/// Translates one request. `Err` (plain text naming the metric) rejects the whole request.
pub fn translate(
    req: &ExportMetricsServiceRequest,
    now_ms: i64,
    limits: &IngestLimits,
) -> Result<Translation, String> {
    let settings = LabelSettings {
        promote_resource_attributes: limits.otlp_promote_resource_attributes.clone(),
        promote_scope_metadata: limits.otlp_promote_scope_metadata,
    };
    let mut warnings = Vec::new();
    let mut b = Builder::default();
    for rm in &req.resource_metrics {
        let resource: &[KeyValue] = rm.resource.as_ref().map_or(&[], |r| &r.attributes);
        let mut earliest = u64::MAX;
        let mut latest = 0u64;
        for sm in &rm.scope_metrics {
            let scope = ScopeInfo {
                name: sm
                    .scope
                    .as_ref()
                    .map(|s| s.name.clone())
                    .unwrap_or_default(),
                version: sm
                    .scope
                    .as_ref()
                    .map(|s| s.version.clone())
                    .unwrap_or_default(),
                schema_url: sm.schema_url.clone(),
                attributes: sm
                    .scope
                    .as_ref()
                    .map(|s| s.attributes.clone())
                    .unwrap_or_default(),
            };
            for m in &sm.metrics {
                let Some(data) = &m.data else {
                    return Err(format!("metric {:?}: unsupported metric type", m.name));
                };
                for t in point_times(data) {
                    earliest = earliest.min(t);
                    latest = latest.max(t);
                }
                let (kind, temporality) = kind_of(data);
                if temporality.is_some_and(|t| t != AggregationTemporality::Cumulative as i32) {
                    return Err(format!(
                        "invalid temporality and type combination for metric {:?} (only cumulative temporality is accepted; configure the sender for cumulative temporality)",
                        m.name
                    ));
                }
                let name = metric_name(&m.name, &m.unit, kind)?;
                if point_times(data).is_empty() {
                    warnings.push(format!("empty data points. {} is dropped", m.name));
                    continue;
                }
                b.metadata(MetricMetadata {
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
                    unit: unit_name(&m.unit),
                });
                let ctx = Ctx {
                    resource,
                    scope: &scope,
                    settings: &settings,
                    now_ms,
                    limits,
                    otlp_name: &m.name,
                };
                add_metric(&ctx, &mut b, data, &name)?;
            }
        }
        if earliest != u64::MAX {
            add_target_info(resource, limits, &mut b, earliest, latest)?;
        }
    }
    Ok(Translation {
        batch: MetricsBatch {
            series: b.series,
            metadata: b.metadata.into_values().collect(),
        },
        warnings,
    })
}

fn add_metric(ctx: &Ctx, b: &mut Builder, data: &Data, name: &str) -> Result<(), String> {
    match data {
        Data::Gauge(g) => {
            for p in &g.data_points {
                let t = ctx.ts(p.time_unix_nano)?;
                b.push(
                    labels_with(&ctx.base(&p.attributes)?, name, None),
                    t,
                    number_value(p),
                );
            }
        }
        Data::Sum(s) => {
            for p in &s.data_points {
                let t = ctx.ts(p.time_unix_nano)?;
                let l = labels_with(&ctx.base(&p.attributes)?, name, None);
                let i = b.push(l, t, number_value(p));
                b.series[i].exemplars.extend(exemplars(&p.exemplars));
            }
        }
        Data::Histogram(h) if ctx.limits.otlp_convert_histograms_to_nhcb => {
            for p in &h.data_points {
                let t = ctx.ts(p.time_unix_nano)?;
                let fh = exp_histogram::explicit_to_nhcb(p);
                let i = b.series(labels_with(&ctx.base(&p.attributes)?, name, None));
                b.series[i].histograms.push((t, fh));
                b.series[i].exemplars.extend(exemplars(&p.exemplars));
            }
        }
        Data::Histogram(h) => {
            for p in &h.data_points {
                let t = ctx.ts(p.time_unix_nano)?;
                let base = ctx.base(&p.attributes)?;
                let st = p.flags & 1 == 1;
                if let Some(sum) = p.sum {
                    let v = if st { stale() } else { sum };
                    b.push(labels_with(&base, &format!("{name}_sum"), None), t, v);
                }
                let cv = if st { stale() } else { p.count as f64 };
                b.push(labels_with(&base, &format!("{name}_count"), None), t, cv);
                let bucket = format!("{name}_bucket");
                // Exemplars go, in their order, to the first bucket whose bound is >= their
                // value (Prometheus `addHistogramDataPoints`); the rest to `+Inf`.
                let ex = exemplars(&p.exemplars);
                let mut next = 0;
                let mut cumulative: u64 = 0;
                for (bound, c) in p.explicit_bounds.iter().zip(p.bucket_counts.iter()) {
                    cumulative = cumulative.saturating_add(*c);
                    let v = if st { stale() } else { cumulative as f64 };
                    let l = labels_with(&base, &bucket, Some(("le", format_float(*bound))));
                    let i = b.push(l, t, v);
                    while next < ex.len() && ex[next].value <= *bound {
                        b.series[i].exemplars.push(ex[next].clone());
                        next += 1;
                    }
                }
                let l = labels_with(&base, &bucket, Some(("le", "+Inf".into())));
                let i = b.push(l, t, cv);
                b.series[i].exemplars.extend(ex.into_iter().skip(next));
            }
        }
        Data::ExponentialHistogram(h) => {
            for p in &h.data_points {
                let t = ctx.ts(p.time_unix_nano)?;
                let fh = exp_histogram::to_native(p)
                    .map_err(|e| format!("metric {:?}: {e}", ctx.otlp_name))?;
                let i = b.series(labels_with(&ctx.base(&p.attributes)?, name, None));
                b.series[i].histograms.push((t, fh));
                b.series[i].exemplars.extend(exemplars(&p.exemplars));
            }
        }
        Data::Summary(s) => {
            for p in &s.data_points {
                let t = ctx.ts(p.time_unix_nano)?;
                let base = ctx.base(&p.attributes)?;
                let st = p.flags & 1 == 1;
                let pick = |v: f64| if st { stale() } else { v };
                b.push(
                    labels_with(&base, &format!("{name}_sum"), None),
                    t,
                    pick(p.sum),
                );
                b.push(
                    labels_with(&base, &format!("{name}_count"), None),
                    t,
                    pick(p.count as f64),
                );
                for q in &p.quantile_values {
                    let l = labels_with(&base, name, Some(("quantile", format_float(q.quantile))));
                    b.push(l, t, pick(q.value));
                }
            }
        }
    }
    Ok(())
}

/// Prometheus `addResourceTargetInfo`: a `target_info` series (metadata: gauge, "Target
/// metadata") carrying the non-identifying resource attributes, with value 1 from the earliest
/// to the latest data point of the resource every [`TARGET_INFO_INTERVAL_MS`] plus the latest,
/// de-duplicated across resources; only when such attributes exist and `job` or `instance` is
/// set.
fn add_target_info(
    resource: &[KeyValue],
    limits: &IngestLimits,
    b: &mut Builder,
    earliest_ns: u64,
    latest_ns: u64,
) -> Result<(), String> {
    let non_identifying = resource
        .iter()
        .filter(|kv| !IDENTIFYING.contains(&kv.key.as_str()))
        .count();
    if non_identifying == 0 {
        return Ok(());
    }
    let ignore: &[&str] = if limits.otlp_keep_identifying_resource_attributes {
        &[]
    } else {
        &IDENTIFYING
    };
    let attrs = create_attributes(resource, resource, None, &LabelSettings::default(), ignore)
        .map_err(|e| format!("resource attributes: {e}"))?;
    if !attrs.contains_key("job") && !attrs.contains_key("instance") {
        return Ok(());
    }
    let labels = labels_with(&attrs, "target_info", None);
    let mut times = Vec::new();
    let step = TARGET_INFO_INTERVAL_MS as u64 * 1_000_000;
    let mut t = earliest_ns;
    while t < latest_ns {
        times.push(ns_to_ms(t));
        t = t.saturating_add(step);
    }
    times.push(ns_to_ms(latest_ns));
    for ts in times {
        if b.seen_target_info.insert((labels.clone(), ts)) {
            b.push(labels.clone(), ts, 1.0);
        }
    }
    b.metadata(MetricMetadata {
        metric_family_name: "target_info".into(),
        metric_type: MetricType::Gauge,
        help: "Target metadata".into(),
        unit: String::new(),
    });
    Ok(())
}
