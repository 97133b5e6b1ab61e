//! Label and stream metadata endpoints: `labels`, `label/<name>/values`, `series`,
//! `index/stats`, `index/volume`, `index/volume_range`, `detected_labels` (shapes of Loki's
//! `pkg/util/marshal/marshal.go` and `pkg/querier/querier.go`).

use super::encode::{push_point, push_seconds};
use super::error::{json_ok, LokiError, LokiResult};
use super::fetch;
use super::params::{self, DEFAULT_SINCE_NS, END_BEFORE_START, LABELS_DEFAULT_SINCE_NS};
use super::query::parse_range;
use crate::app::App;
use crate::json;
use crate::params::Params;
use crate::tenants::Tenants;
use lakewatch_model::{LabelMatcher, Labels};
use std::collections::{BTreeMap, BTreeSet};

/// `{"status":"success","data":[…]}`; `data` omitted when empty (Loki's `omitempty`).
fn string_list(values: &[String]) -> String {
    if values.is_empty() {
        return r#"{"status":"success"}"#.into();
    }
    format!(
        r#"{{"status":"success","data":{}}}"#,
        json::string_array(values)
    )
}

async fn label_sets(app: &App, tenants: &Tenants, p: &Params) -> Result<Vec<Labels>, LokiError> {
    let (start, end) = params::bounds(p, LABELS_DEFAULT_SINCE_NS, params::now_ns())?;
    let matchers = fetch::optional_matchers(p.value("query"))?;
    let sets = if matchers.is_empty() {
        Vec::new()
    } else {
        vec![matchers]
    };
    fetch::series(app, tenants, &sets, start, end).await
}

/// `GET|POST /loki/api/v1/labels` (also `/loki/api/v1/label`, `/api/prom/label`): label
/// names of the streams in `[start, end)` (default last 6 h) matching the optional `query`.
pub async fn labels(app: &App, tenants: &Tenants, p: &Params) -> LokiResult {
    let names: BTreeSet<String> = label_sets(app, tenants, p)
        .await?
        .iter()
        .flat_map(|l| l.iter().map(|l| l.name.clone()))
        .collect();
    Ok(json_ok(string_list(&names.into_iter().collect::<Vec<_>>())))
}

/// `GET|POST /loki/api/v1/label/<name>/values`: sorted distinct values of `name`.
pub async fn label_values(app: &App, tenants: &Tenants, name: &str, p: &Params) -> LokiResult {
    let values: BTreeSet<String> = label_sets(app, tenants, p)
        .await?
        .iter()
        .filter_map(|l| l.get(name).map(str::to_string))
        .collect();
    Ok(json_ok(string_list(
        &values.into_iter().collect::<Vec<_>>(),
    )))
}

/// Legacy `/api/prom/label…`: `{"values":[…]}` (`logproto.LabelResponse`).
pub async fn legacy_labels(
    app: &App,
    tenants: &Tenants,
    name: Option<&str>,
    p: &Params,
) -> LokiResult {
    let sets = label_sets(app, tenants, p).await?;
    let values: BTreeSet<String> = match name {
        Some(n) => sets
            .iter()
            .filter_map(|l| l.get(n).map(str::to_string))
            .collect(),
        None => sets
            .iter()
            .flat_map(|l| l.iter().map(|l| l.name.clone()))
            .collect(),
    };
    if values.is_empty() {
        return Ok(json_ok("{}".into()));
    }
    let values: Vec<String> = values.into_iter().collect();
    Ok(json_ok(format!(
        r#"{{"values":{}}}"#,
        json::string_array(&values)
    )))
}

/// `GET|POST /loki/api/v1/series`: `match[]` (or `match`, repeatable, union; none or a single
/// `{}` = all streams), `start`, `end`, `since`. `{"status":"success","data":[{…},…]}`.
pub async fn series(app: &App, tenants: &Tenants, p: &Params) -> LokiResult {
    let (start, end) = params::bounds(p, DEFAULT_SINCE_NS, params::now_ns())?;
    let mut groups: Vec<&str> = p.get_all("match");
    groups.extend(p.get_all("match[]"));
    groups.sort_unstable();
    groups.dedup();
    if groups.len() == 1 && groups[0].replace(' ', "") == "{}" {
        groups.clear();
    }
    let sets: Vec<Vec<LabelMatcher>> = groups
        .iter()
        .map(|g| fetch::parse_matchers(g))
        .collect::<Result<_, _>>()?;
    let all = fetch::series(app, tenants, &sets, start, end).await?;
    let mut out = String::from(r#"{"status":"success","data":["#);
    for (i, l) in all.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json::push_labels(&mut out, l);
    }
    out.push_str("]}");
    Ok(json_ok(out))
}

/// `GET|POST /loki/api/v1/index/stats`: `{"streams":N,"chunks":N,"bytes":N,"entries":N}` for
/// the selector `query` over `[start, end)` (parameters checked as `query_range`'s).
pub async fn index_stats(app: &App, tenants: &Tenants, p: &Params) -> LokiResult {
    let rp = parse_range(app, p)?;
    let matchers = fetch::parse_matchers(&rp.query)?;
    let stats = fetch::stream_stats(app, tenants, &matchers, rp.qp.start_ns, rp.qp.end_ns).await?;
    let (mut chunks, mut bytes, mut entries) = (0u64, 0u64, 0u64);
    for s in &stats {
        chunks += s.chunks;
        bytes += s.bytes;
        entries += s.entries;
    }
    Ok(json_ok(format!(
        r#"{{"streams":{},"chunks":{chunks},"bytes":{bytes},"entries":{entries}}}"#,
        stats.len()
    )))
}

/// Parsed volume parameters (Loki `ParseVolumeInstantQuery`/`ParseVolumeRangeQuery`).
struct VolumeParams {
    matchers: Vec<LabelMatcher>,
    start: i64,
    end: i64,
    step: i64,
    limit: usize,
    target_labels: Vec<String>,
    by_labels: bool,
}

fn volume_params(app: &App, p: &Params, range: bool) -> Result<VolumeParams, LokiError> {
    let l = params::parse_int(p.value("limit"), 100)?;
    if l < 0 {
        return Err(LokiError::bad_request("limit must be a positive value"));
    }
    let limit = if l == 0 { 100 } else { l as usize };
    let (start, end, step) = if range {
        let rp = parse_range(app, p)?;
        (rp.qp.start_ns, rp.qp.end_ns, rp.qp.step_ns)
    } else {
        params::parse_timestamp(p.value("time"), 0)?;
        params::direction(p)?;
        let (start, end) = params::bounds(p, DEFAULT_SINCE_NS, params::now_ns())?;
        (start, end, 0)
    };
    let by_labels = match p.value("aggregateBy") {
        "" | "series" => false,
        "labels" => true,
        _ => return Err(LokiError::bad_request("invalid aggregation option")),
    };
    if end < start {
        return Err(LokiError::bad_request(END_BEFORE_START));
    }
    let target_labels: Vec<String> = p
        .value("targetLabels")
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    Ok(VolumeParams {
        matchers: fetch::parse_matchers(p.value("query"))?,
        start,
        end,
        step,
        limit,
        target_labels,
        by_labels,
    })
}

/// A volume series key: label pairs in name order (values may be empty for `aggregateBy=labels`).
type VolumeKey = Vec<(String, String)>;

/// Aggregates per-stream byte counts as Loki's volume does: by the labels named in the
/// selector (or `targetLabels`), or with `aggregateBy=labels` one series per label name with
/// an empty value.
fn aggregate(
    vp: &VolumeParams,
    stats: &[lakewatch_storage::StreamStats],
) -> BTreeMap<VolumeKey, u64> {
    let names: BTreeSet<&str> = if vp.target_labels.is_empty() {
        vp.matchers.iter().map(|m| m.name.as_str()).collect()
    } else {
        vp.target_labels.iter().map(String::as_str).collect()
    };
    let mut out: BTreeMap<VolumeKey, u64> = BTreeMap::new();
    for s in stats {
        if vp.by_labels {
            for l in s.labels.iter() {
                if vp.target_labels.is_empty() || names.contains(l.name.as_str()) {
                    *out.entry(vec![(l.name.clone(), String::new())])
                        .or_default() += s.bytes;
                }
            }
        } else {
            let key: VolumeKey = names
                .iter()
                .filter_map(|n| s.labels.get(n).map(|v| (n.to_string(), v.to_string())))
                .collect();
            if !key.is_empty() {
                *out.entry(key).or_default() += s.bytes;
            }
        }
    }
    out
}

fn push_key(out: &mut String, key: &VolumeKey) {
    out.push('{');
    for (i, (n, v)) in key.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json::push_str(out, n);
        out.push(':');
        json::push_str(out, v);
    }
    out.push('}');
}

/// Series ordered by volume (descending, then key), at most `limit`.
fn top(totals: BTreeMap<VolumeKey, u64>, limit: usize) -> Vec<(VolumeKey, u64)> {
    let mut v: Vec<(VolumeKey, u64)> = totals.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v.truncate(limit);
    v
}

/// `GET|POST /loki/api/v1/index/volume`: Prometheus-style `vector` of bytes per aggregated
/// series over `[start, end)`, sorted by value descending, at most `limit` (default 100);
/// sample time = `end`.
pub async fn volume(app: &App, tenants: &Tenants, p: &Params) -> LokiResult {
    let vp = volume_params(app, p, false)?;
    let stats = fetch::stream_stats(app, tenants, &vp.matchers, vp.start, vp.end).await?;
    let mut out = String::from(r#"{"status":"success","data":{"resultType":"vector","result":["#);
    for (i, (key, bytes)) in top(aggregate(&vp, &stats), vp.limit).iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"metric\":");
        push_key(&mut out, key);
        out.push_str(",\"value\":[");
        push_seconds(&mut out, vp.end);
        out.push_str(&format!(",\"{bytes}\"]}}"));
    }
    out.push_str("]}}");
    Ok(json_ok(out))
}

/// A volume series with its Loki name (label string), key and `(time ns, bytes)` samples.
type NamedSeries = (String, VolumeKey, Vec<(i64, u64)>);

/// Loki `util.ForInterval(step, start, end, true)`: windows aligned to multiples of `step`
/// (the first starts at `start`); each window's sample is stamped at its end, which is the
/// next boundary minus 1 ms (Loki's `SplitGap`) except for the last window (`end`).
fn volume_windows(start: i64, end: i64, step: i64) -> Vec<(i64, i64)> {
    const SPLIT_GAP_NS: i64 = 1_000_000;
    let mut out = Vec::new();
    let mut t = start - start.rem_euclid(step);
    let mut first = true;
    while t < end {
        let boundary = t.saturating_add(step);
        let w_end = if boundary >= end {
            end
        } else {
            boundary - SPLIT_GAP_NS
        };
        out.push((if first { start } else { t }, w_end));
        first = false;
        t = boundary;
    }
    out
}

/// `GET|POST /loki/api/v1/index/volume_range`: bytes per aggregated series per step window
/// (see [`volume_windows`]; each window keeps its `limit` largest series), as Loki's volume
/// middleware: `matrix`, or `vector` when no series has more than one sample; series ordered
/// by their first sample's value (descending), then name.
pub async fn volume_range(app: &App, tenants: &Tenants, p: &Params) -> LokiResult {
    let vp = volume_params(app, p, true)?;
    let mut series: BTreeMap<VolumeKey, Vec<(i64, u64)>> = BTreeMap::new();
    for (from, through) in volume_windows(vp.start, vp.end, vp.step) {
        let stats = fetch::stream_stats(app, tenants, &vp.matchers, from, through).await?;
        for (key, bytes) in top(aggregate(&vp, &stats), vp.limit) {
            series.entry(key).or_default().push((through, bytes));
        }
    }
    let matrix = series.values().any(|v| v.len() > 1);
    let mut list: Vec<NamedSeries> = series
        .into_iter()
        .map(|(k, v)| {
            let mut name = String::new();
            push_key(&mut name, &k);
            (name, k, v)
        })
        .collect();
    list.sort_by(|a, b| b.2[0].1.cmp(&a.2[0].1).then_with(|| a.0.cmp(&b.0)));
    let mut out = format!(
        r#"{{"status":"success","data":{{"resultType":"{}","result":["#,
        if matrix { "matrix" } else { "vector" }
    );
    for (i, (_, key, samples)) in list.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"metric\":");
        push_key(&mut out, key);
        if matrix {
            out.push_str(",\"values\":[");
            for (j, (t, b)) in samples.iter().enumerate() {
                if j > 0 {
                    out.push(',');
                }
                push_point(&mut out, *t, *b as f64);
            }
            out.push_str("]}");
        } else {
            out.push_str(",\"value\":");
            push_point(&mut out, samples[0].0, samples[0].1 as f64);
            out.push('}');
        }
    }
    out.push_str("]}}");
    Ok(json_ok(out))
}

/// Loki `containsAllIDTypes`: every value is a number or a UUID.
fn all_ids(values: &BTreeSet<String>) -> bool {
    values
        .iter()
        .all(|v| v.parse::<f64>().is_ok() || is_uuid(v))
}

/// UUID in the forms Go's `uuid.Parse` accepts (`xxxxxxxx-xxxx-…`, optionally `urn:uuid:` or
/// braces, or 32 hex digits).
fn is_uuid(v: &str) -> bool {
    let v = v.strip_prefix("urn:uuid:").unwrap_or(v);
    let v = v
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .unwrap_or(v);
    let hex = |s: &str| s.bytes().all(|b| b.is_ascii_hexdigit());
    match v.len() {
        32 => hex(v),
        36 => {
            let b = v.as_bytes();
            [8, 13, 18, 23].iter().all(|&i| b[i] == b'-')
                && hex(&v.replace('-', ""))
                && v.replace('-', "").len() == 32
        }
        _ => false,
    }
}

/// Loki `shouldRejectLabel`: no values; or only IDs (numbers/UUIDs), except one or two
/// boolean-like values (`0`/`1`).
fn reject_label(values: &BTreeSet<String>) -> bool {
    if values.is_empty() {
        return true;
    }
    if values.len() > 2 {
        return all_ids(values);
    }
    if values.iter().all(|v| v == "0" || v == "1") {
        return false;
    }
    all_ids(values)
}

/// `GET|POST /loki/api/v1/detected_labels`: `{"detectedLabels":[{"label":…,"cardinality":N}]}`
/// for the streams matching the optional `query` (sorted by label; `{}` when none). Labels
/// whose values are all IDs are left out, except `cluster`, `namespace`, `instance`, `pod`.
pub async fn detected_labels(app: &App, tenants: &Tenants, p: &Params) -> LokiResult {
    let (start, end) = params::bounds(p, DEFAULT_SINCE_NS, params::now_ns())?;
    if end < start {
        return Err(LokiError::bad_request(END_BEFORE_START));
    }
    let matchers = fetch::optional_matchers(p.value("query"))?;
    let sets = if matchers.is_empty() {
        Vec::new()
    } else {
        vec![matchers]
    };
    let all = fetch::series(app, tenants, &sets, start, end).await?;
    let mut values: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for l in &all {
        for l in l.iter() {
            values
                .entry(l.name.clone())
                .or_default()
                .insert(l.value.clone());
        }
    }
    const STATIC: [&str; 4] = ["cluster", "namespace", "instance", "pod"];
    let kept: Vec<(&String, usize)> = values
        .iter()
        .filter(|(k, v)| (STATIC.contains(&k.as_str()) && !v.is_empty()) || !reject_label(v))
        .map(|(k, v)| (k, v.len()))
        .collect();
    if kept.is_empty() {
        return Ok(json_ok("{}".into()));
    }
    let mut out = String::from(r#"{"detectedLabels":["#);
    for (i, (k, n)) in kept.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"label\":");
        json::push_str(&mut out, k);
        out.push_str(&format!(",\"cardinality\":{n}}}"));
    }
    out.push_str("]}");
    Ok(json_ok(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_like_loki() {
        let s = 1_000_000_000i64;
        assert_eq!(
            volume_windows(5 * s, 25 * s, 10 * s),
            vec![
                (5 * s, 10 * s - 1_000_000),
                (10 * s, 20 * s - 1_000_000),
                (20 * s, 25 * s)
            ]
        );
    }

    #[test]
    fn label_rejection() {
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
        assert!(reject_label(&s(&[])));
        assert!(!reject_label(&s(&["0", "1"])));
        assert!(reject_label(&s(&["12", "13", "14"])));
        assert!(reject_label(&s(&["550e8400-e29b-41d4-a716-446655440000"])));
        assert!(!reject_label(&s(&["api", "web"])));
        assert!(!reject_label(&s(&["api", "1", "2"])));
    }
}
