//! Metadata endpoints: `/api/v1/labels`, `/api/v1/label/<name>/values`, `/api/v1/series`,
//! `/api/v1/metadata`, `/api/v1/status/buildinfo` (`/api/v1/rules`: [`crate::rules::list`],
//! `/api/v1/alerts`: [`crate::rules::alerts`])
//! (Prometheus `web/api/v1/api.go` semantics).

use super::encode;
use super::query::{parse_limit, TRUNCATED_WARNING};
use crate::app::App;
use crate::escape::unescape_name;
use crate::json;
use crate::matchers::parse_match_params;
use crate::params::Params;
use crate::response::{ApiData, ApiError, ApiResult};
use crate::tenants::{Tenants, TENANT_LABEL};
use crate::time::{parse_time_param, MAX_TIME_MS, MIN_TIME_MS};
use lakewatch_model::{LabelMatcher, Labels, MetricMetadata, MetricType};
use std::collections::{BTreeMap, BTreeSet};

/// The Prometheus version reported by `/api/v1/status/buildinfo` (Grafana picks features by it).
pub const PROMETHEUS_VERSION: &str = "3.5.0";

/// `start`/`end` (defaults: all time) and `match[]` of the metadata endpoints.
fn range_and_matchers(p: &Params) -> Result<(i64, i64, Vec<Vec<LabelMatcher>>), ApiError> {
    let start = parse_time_param("start", p.get("start"), MIN_TIME_MS)
        .map_err(|e| ApiError::invalid_param("start", e))?;
    let end = parse_time_param("end", p.get("end"), MAX_TIME_MS)
        .map_err(|e| ApiError::invalid_param("end", e))?;
    let sets = parse_match_params(&p.get_all("match[]"))?;
    Ok((start, end, sets))
}

/// Applies `limit` to a list, adding Prometheus's truncation warning.
fn limited<T>(mut items: Vec<T>, limit: usize) -> (Vec<T>, Vec<String>) {
    if limit > 0 && items.len() > limit {
        items.truncate(limit);
        return (items, vec![TRUNCATED_WARNING.to_string()]);
    }
    (items, Vec::new())
}

/// `GET|POST /api/v1/labels`: sorted label names; `start`, `end`, `match[]`, `limit`.
pub async fn labels(app: &App, tenant: &Tenants, p: &Params) -> ApiResult {
    let limit = parse_limit(p)?;
    let (start, end, sets) = range_and_matchers(p)?;
    let mut all: BTreeSet<String> = BTreeSet::new();
    for (t, sets) in tenant.plan(&sets) {
        let names = app
            .reader
            .label_names(&t, &sets, start, end)
            .await
            .map_err(ApiError::internal)?;
        if tenant.is_federated() && !names.is_empty() {
            all.insert(TENANT_LABEL.to_string());
        }
        all.extend(names);
    }
    let names: Vec<String> = all.into_iter().collect();
    let (names, warnings) = limited(names, limit);
    Ok(ApiData {
        data: Some(json::string_array(&names)),
        warnings,
        infos: Vec::new(),
    })
}

/// `GET /api/v1/label/<name>/values`: sorted values; `<name>` may be `U__`-escaped. An empty
/// or non-UTF-8 name is 400 `invalid label name` (Prometheus 3 accepts any UTF-8 name).
pub async fn label_values(app: &App, tenant: &Tenants, raw_name: &str, p: &Params) -> ApiResult {
    let name = unescape_name(raw_name);
    if name.is_empty() || name.contains(char::REPLACEMENT_CHARACTER) {
        return Err(ApiError::bad_data(format!("invalid label name: {name:?}")));
    }
    let limit = parse_limit(p)?;
    let (start, end, sets) = range_and_matchers(p)?;
    let mut all: BTreeSet<String> = BTreeSet::new();
    for (t, sets) in tenant.plan(&sets) {
        if tenant.is_federated() && name == TENANT_LABEL {
            let any = app
                .reader
                .series(&t, &sets, start, end)
                .await
                .map_err(ApiError::internal)?;
            if !any.is_empty() {
                all.insert(t.as_str().to_string());
            }
            continue;
        }
        let values = app
            .reader
            .label_values(&t, &name, &sets, start, end)
            .await
            .map_err(ApiError::internal)?;
        all.extend(values);
    }
    let values: Vec<String> = all.into_iter().collect();
    let (values, warnings) = limited(values, limit);
    Ok(ApiData {
        data: Some(json::string_array(&values)),
        warnings,
        infos: Vec::new(),
    })
}

/// `GET|POST /api/v1/series`: label sets of the series matching any `match[]` (required).
pub async fn series(app: &App, tenant: &Tenants, p: &Params) -> ApiResult {
    if p.get_all("match[]").is_empty() {
        return Err(ApiError::bad_data("no match[] parameter provided"));
    }
    let limit = parse_limit(p)?;
    let (start, end, sets) = range_and_matchers(p)?;
    let mut series: Vec<Labels> = Vec::new();
    for (t, sets) in tenant.plan(&sets) {
        let part = app
            .reader
            .series(&t, &sets, start, end)
            .await
            .map_err(ApiError::internal)?;
        for mut l in part {
            tenant.tag(&t, &mut l);
            series.push(l);
        }
    }
    if tenant.is_federated() {
        series.sort();
    }
    let (series, warnings) = limited(series, limit);
    let items: Vec<String> = series.iter().map(encode::labels).collect();
    Ok(ApiData {
        data: Some(format!("[{}]", items.join(","))),
        warnings,
        infos: Vec::new(),
    })
}

fn type_str(t: MetricType) -> &'static str {
    match t {
        MetricType::Unknown => "unknown",
        MetricType::Counter => "counter",
        MetricType::Gauge => "gauge",
        MetricType::Histogram => "histogram",
        MetricType::Gaugehistogram => "gaugehistogram",
        MetricType::Summary => "summary",
        MetricType::Info => "info",
        MetricType::Stateset => "stateset",
    }
}

/// Parses an optional integer parameter of `/api/v1/metadata` (`-1` when absent).
fn metadata_int(p: &Params, name: &str) -> Result<i64, ApiError> {
    match p.get(name).filter(|s| !s.is_empty()) {
        None => Ok(-1),
        Some(s) => s
            .parse()
            .map_err(|_| ApiError::bad_data(format!("{name} must be a number"))),
    }
}

/// `GET /api/v1/metadata`: `{"<metric>":[{"type":…,"help":…,"unit":…}]}`; `limit` (metrics),
/// `limit_per_metric`, `metric`.
pub async fn metadata(app: &App, tenant: &Tenants, p: &Params) -> ApiResult {
    let limit = metadata_int(p, "limit")?;
    let per_metric = metadata_int(p, "limit_per_metric")?;
    let metric = p.value("metric");
    let mut all: Vec<MetricMetadata> = Vec::new();
    for t in tenant.as_slice() {
        all.extend(app.reader.metadata(t).await.map_err(ApiError::internal)?);
    }
    all.sort_by(|a, b| a.metric_family_name.cmp(&b.metric_family_name));
    let mut by_name: BTreeMap<&str, Vec<&MetricMetadata>> = BTreeMap::new();
    for m in &all {
        if !metric.is_empty() && m.metric_family_name != metric {
            continue;
        }
        let entry = by_name.entry(m.metric_family_name.as_str()).or_default();
        if per_metric > 0 && entry.len() as i64 >= per_metric {
            continue;
        }
        let dup = entry
            .iter()
            .any(|e| e.metric_type == m.metric_type && e.help == m.help && e.unit == m.unit);
        if !dup {
            entry.push(m);
        }
    }
    let mut out = String::from("{");
    for (i, (name, list)) in by_name.iter().enumerate() {
        if limit >= 0 && i as i64 >= limit {
            break;
        }
        if i > 0 {
            out.push(',');
        }
        json::push_str(&mut out, name);
        out.push_str(":[");
        for (j, m) in list.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            out.push_str("{\"type\":");
            json::push_str(&mut out, type_str(m.metric_type));
            out.push_str(",\"help\":");
            json::push_str(&mut out, &m.help);
            out.push_str(",\"unit\":");
            json::push_str(&mut out, &m.unit);
            out.push('}');
        }
        out.push(']');
    }
    out.push('}');
    Ok(ApiData::json(out))
}

/// `GET /api/v1/status/buildinfo`: a Prometheus-3-like version without `features`, so Grafana
/// treats the datasource as plain Prometheus (read-only rules).
pub fn buildinfo() -> ApiData {
    ApiData::json(format!(
        r#"{{"version":"{PROMETHEUS_VERSION}","revision":"lakewatch-{v}","branch":"lakewatch","buildUser":"lakewatch","buildDate":"","goVersion":"lakewatch-{v}"}}"#,
        v = env!("CARGO_PKG_VERSION")
    ))
}

/// `GET /prometheus/api/v1/status/buildinfo` (the Mimir-style prefix only): [`buildinfo`] plus
/// Mimir's `"application":"Grafana Mimir"` and `features` with `ruler_config_api` `"true"`:
/// Grafana's alerting (`discoverDataSourceFeatures`) then treats a datasource whose URL ends in
/// `/prometheus` as Mimir with an editable ruler (`/prometheus/config/v1/rules`; it needs both
/// fields). The bare path keeps answering without `features` (plain Prometheus, read-only
/// rules). See docs/api-rules.md.
pub fn buildinfo_mimir() -> ApiData {
    ApiData::json(format!(
        r#"{{"application":"Grafana Mimir","version":"{PROMETHEUS_VERSION}","revision":"lakewatch-{v}","branch":"lakewatch","buildUser":"lakewatch","buildDate":"","goVersion":"lakewatch-{v}","features":{{"alertmanager_config_api":"false","query_sharding":"false","ruler_config_api":"true","federated_rules":"false"}}}}"#,
        v = env!("CARGO_PKG_VERSION")
    ))
}
