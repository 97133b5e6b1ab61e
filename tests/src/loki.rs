//! A small client for the Loki query API (`/loki/api/v1/query`, `query_range`, `labels`,
//! `label/<name>/values`, `series`) and flatteners for its result shapes, used by the Loki
//! client tests against Lakewatch.
//!
//! Times in requests are sent as integer **nanoseconds** (Loki reads an integer of more than
//! 10 digits as ns). Matrix/vector timestamps in answers are float **seconds**, converted to ms.

use crate::tenant_client::TenantClient;
use serde_json::Value;
use std::collections::BTreeMap;

/// A label set as a sorted map.
pub type LabelMap = BTreeMap<String, String>;

/// One Loki-compatible server and the tenant sent as `X-Scope-OrgID`.
#[derive(Clone)]
pub struct LokiApi {
    pub http: TenantClient,
}

/// Status and body of one call; `json` is `Null` when the body is not JSON (Loki answers
/// errors in plain text).
#[derive(Debug, Clone)]
pub struct LokiResponse {
    pub status: u16,
    pub text: String,
    pub json: Value,
}

impl LokiResponse {
    /// `data` of a `{"status":"success","data":…}` answer, else an error naming the status
    /// and body.
    pub fn data(&self) -> Result<&Value, String> {
        if self.status == 200 && self.json["status"] == "success" {
            Ok(&self.json["data"])
        } else {
            Err(format!(
                "HTTP {}: {}",
                self.status,
                &self.text[..self.text.len().min(400)]
            ))
        }
    }
}

/// One entry of a streams result with the labels of the stream it came in.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamEntry {
    pub labels: LabelMap,
    pub ts_ns: i64,
    pub line: String,
    /// `structuredMetadata` of a `categorize-labels` 3-tuple (empty otherwise).
    pub structured_metadata: LabelMap,
    /// `parsed` of a `categorize-labels` 3-tuple (empty otherwise).
    pub parsed: LabelMap,
}

fn label_map(v: &Value) -> LabelMap {
    v.as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// Flattens a `resultType: streams` answer's `data` into entries, in answer order.
/// Errors: another result type or a malformed value.
pub fn stream_entries(data: &Value) -> Result<Vec<StreamEntry>, String> {
    if data["resultType"] != "streams" {
        return Err(format!("resultType {} is not streams", data["resultType"]));
    }
    let mut out = Vec::new();
    for s in data["result"].as_array().into_iter().flatten() {
        let labels = label_map(&s["stream"]);
        for v in s["values"].as_array().into_iter().flatten() {
            let ts_ns = v[0]
                .as_str()
                .and_then(|t| t.parse::<i64>().ok())
                .ok_or_else(|| format!("bad entry timestamp in {v}"))?;
            let line = v[1]
                .as_str()
                .ok_or_else(|| format!("bad entry line in {v}"))?
                .to_string();
            out.push(StreamEntry {
                labels: labels.clone(),
                ts_ns,
                line,
                structured_metadata: label_map(&v[2]["structuredMetadata"]),
                parsed: label_map(&v[2]["parsed"]),
            });
        }
    }
    Ok(out)
}

/// A metric series key: the label set printed as `{a="x", b="y"}` (sorted).
pub fn series_key(labels: &LabelMap) -> String {
    let inner: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
    format!("{{{}}}", inner.join(", "))
}

fn parse_point(p: &Value) -> Result<(i64, f64), String> {
    let t = p[0]
        .as_f64()
        .ok_or_else(|| format!("bad point timestamp {p}"))?;
    let v = p[1]
        .as_str()
        .and_then(|s| s.parse::<f64>().ok())
        .ok_or_else(|| format!("bad point value {p}"))?;
    Ok(((t * 1000.0).round() as i64, v))
}

/// A `vector` answer's `data` as series key → value. Errors: another result type.
pub fn vector(data: &Value) -> Result<BTreeMap<String, f64>, String> {
    if data["resultType"] != "vector" {
        return Err(format!("resultType {} is not vector", data["resultType"]));
    }
    let mut out = BTreeMap::new();
    for s in data["result"].as_array().into_iter().flatten() {
        let (_, v) = parse_point(&s["value"])?;
        out.insert(series_key(&label_map(&s["metric"])), v);
    }
    Ok(out)
}

/// A `matrix` answer's `data` as series key → `(timestamp_ms, value)` points.
/// Errors: another result type.
pub fn matrix(data: &Value) -> Result<BTreeMap<String, Vec<(i64, f64)>>, String> {
    if data["resultType"] != "matrix" {
        return Err(format!("resultType {} is not matrix", data["resultType"]));
    }
    let mut out = BTreeMap::new();
    for s in data["result"].as_array().into_iter().flatten() {
        let mut points = Vec::new();
        for p in s["values"].as_array().into_iter().flatten() {
            points.push(parse_point(p)?);
        }
        out.insert(series_key(&label_map(&s["metric"])), points);
    }
    Ok(out)
}

impl LokiApi {
    pub fn new(base: &str, tenant: &str) -> Self {
        LokiApi {
            http: TenantClient::new(base, tenant),
        }
    }

    /// GET `path?k=v&…` with extra request headers. Errors: transport failure.
    pub async fn get(
        &self,
        path: &str,
        params: &[(&str, String)],
        headers: &[(&str, &str)],
    ) -> Result<LokiResponse, String> {
        let r = self.http.get(path, params, headers).await?;
        let text = r.text();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Ok(LokiResponse {
            status: r.status,
            text,
            json,
        })
    }

    /// `query_range` for a log or metric query over `(start_ns, end_ns)`; `step_s` is sent
    /// when given, `limit` and `direction` always.
    pub async fn query_range(
        &self,
        query: &str,
        (start_ns, end_ns): (i64, i64),
        step_s: Option<u64>,
        limit: usize,
        direction: &str,
        headers: &[(&str, &str)],
    ) -> Result<LokiResponse, String> {
        let mut params = vec![
            ("query", query.to_string()),
            ("start", start_ns.to_string()),
            ("end", end_ns.to_string()),
            ("limit", limit.to_string()),
            ("direction", direction.to_string()),
        ];
        if let Some(s) = step_s {
            params.push(("step", s.to_string()));
        }
        self.get("/loki/api/v1/query_range", &params, headers).await
    }

    /// Instant `query` at `time_ns`.
    pub async fn query(&self, query: &str, time_ns: i64) -> Result<LokiResponse, String> {
        let params = [("query", query.to_string()), ("time", time_ns.to_string())];
        self.get("/loki/api/v1/query", &params, &[]).await
    }

    /// `label/<name>/values` (or `labels` when `name` is `None`) over `[start_ns, end_ns]`,
    /// as a list of strings.
    pub async fn label_values(
        &self,
        name: Option<&str>,
        start_ns: i64,
        end_ns: i64,
    ) -> Result<Vec<String>, String> {
        let path = match name {
            Some(n) => format!("/loki/api/v1/label/{n}/values"),
            None => "/loki/api/v1/labels".to_string(),
        };
        let params = [("start", start_ns.to_string()), ("end", end_ns.to_string())];
        let r = self.get(&path, &params, &[]).await?;
        let d = r.data()?;
        Ok(d.as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect())
    }

    /// `series` for one `match[]` selector over `[start_ns, end_ns]`.
    pub async fn series(
        &self,
        selector: &str,
        start_ns: i64,
        end_ns: i64,
    ) -> Result<Vec<LabelMap>, String> {
        let params = [
            ("match[]", selector.to_string()),
            ("start", start_ns.to_string()),
            ("end", end_ns.to_string()),
        ];
        let r = self.get("/loki/api/v1/series", &params, &[]).await?;
        Ok(r.data()?
            .as_array()
            .into_iter()
            .flatten()
            .map(label_map)
            .collect())
    }
}
