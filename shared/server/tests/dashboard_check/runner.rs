//! Runs panel queries over HTTP against a Lakewatch process the way Grafana's datasources call
//! it: the provisioned base URL (its host replaced by the process's address) plus the
//! Prometheus, Loki or Tempo API path, over the dashboards' last hour.

use super::model::{
    is_layout_panel, panel_name, target_datasource, target_query, Dashboard, Query,
};
use super::provisioning::Provisioning;
use super::vars::{panel_step_s, substitute, variables, RANGE_S};
use crate::common::{enc, http_get};
use serde_json::Value;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// The metrics Grafana's Tempo service map asks the service-map datasource for (Grafana's
/// Tempo datasource `serviceMapMetrics`), and whether a panel needs the series to exist
/// (`request_failed_total` only exists once an edge failed).
pub const SERVICE_MAP_METRICS: [(&str, bool); 3] = [
    ("traces_service_graph_request_server_seconds_sum", true),
    ("traces_service_graph_request_total", true),
    ("traces_service_graph_request_failed_total", false),
];

/// A Lakewatch process as Grafana's provisioned datasources see it.
pub struct Target<'a> {
    /// `host:port` of the process.
    pub addr: String,
    pub prov: &'a Provisioning,
}

/// One query that ran: what, how many series/streams/traces came back, how long it took.
#[derive(Debug)]
pub struct Ran {
    pub what: String,
    pub results: usize,
    pub millis: u128,
}

fn now_s() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

impl Target<'_> {
    /// The path prefix of datasource `uid` (`""` or `/logs`).
    fn base(&self, uid: &str) -> Result<String, String> {
        let ds = self
            .prov
            .get(uid)
            .ok_or_else(|| format!("datasource uid {uid:?} is not provisioned"))?;
        let rest = ds.url.split_once("://").map(|(_, r)| r).unwrap_or(&ds.url);
        Ok(rest
            .find('/')
            .map(|i| rest[i..].trim_end_matches('/').to_string())
            .unwrap_or_default())
    }

    async fn get_json(&self, path: &str) -> Result<Value, String> {
        let (status, body) = http_get(&self.addr, path)
            .await
            .map_err(|e| format!("GET {path}: {e}"))?;
        if status != 200 {
            return Err(format!("GET {path}: HTTP {status}: {body}"));
        }
        serde_json::from_str(&body).map_err(|e| format!("GET {path}: {e}: {body}"))
    }

    /// The array at `at` of the answer, or "no data" naming the request when it is empty.
    fn non_empty(v: &Value, at: &str, path: &str) -> Result<Vec<Value>, String> {
        let items = v
            .pointer(at)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if items.is_empty() {
            let mut body = v.to_string();
            body.truncate(300);
            return Err(format!("no data ({at} is empty) from GET {path}: {body}"));
        }
        Ok(items)
    }

    /// Runs `q` (variables already substituted) on datasource `uid` with Grafana's `step_s`
    /// over the last hour; the series / streams / traces answered, or why it failed.
    pub async fn run(&self, uid: &str, q: &Query, step_s: u64) -> Result<Vec<Value>, String> {
        let base = self.base(uid)?;
        let end = now_s();
        let start = end - RANGE_S as f64;
        match q {
            Query::Prom {
                expr,
                instant,
                exemplar,
            } => {
                let path = if *instant {
                    format!("{base}/api/v1/query?query={}&time={end:.3}", enc(expr))
                } else {
                    let (s, e) = (
                        (start as u64) / step_s * step_s,
                        (end as u64) / step_s * step_s,
                    );
                    format!(
                        "{base}/api/v1/query_range?query={}&start={s}&end={e}&step={step_s}",
                        enc(expr)
                    )
                };
                let v = self.get_json(&path).await?;
                if v["status"] != "success" {
                    return Err(format!("GET {path}: {v}"));
                }
                let n = Self::non_empty(&v, "/data/result", &path)?;
                if *exemplar {
                    let path = format!(
                        "{base}/api/v1/query_exemplars?query={}&start={}&end={}",
                        enc(expr),
                        start as u64,
                        end as u64
                    );
                    let v = self.get_json(&path).await?;
                    Self::non_empty(&v, "/data", &path).map_err(|e| format!("exemplars: {e}"))?;
                }
                Ok(n)
            }
            Query::Loki { expr, instant } => {
                let (s, e) = ((start * 1e9) as i128, (end * 1e9) as i128);
                let path = if *instant {
                    format!(
                        "{base}/loki/api/v1/query?query={}&time={e}&limit=100",
                        enc(expr)
                    )
                } else {
                    format!(
                        "{base}/loki/api/v1/query_range?query={}&start={s}&end={e}&step={step_s}s&limit=100&direction=backward",
                        enc(expr)
                    )
                };
                let v = self.get_json(&path).await?;
                Self::non_empty(&v, "/data/result", &path)
            }
            Query::TempoSearch { query, limit } => {
                let path = format!(
                    "{base}/api/search?q={}&limit={limit}&spss=3&start={}&end={}",
                    enc(query),
                    start as u64,
                    end as u64
                );
                let v = self.get_json(&path).await?;
                Self::non_empty(&v, "/traces", &path)
            }
            Query::TempoMetrics { query } => {
                let path = format!(
                    "{base}/api/metrics/query_range?q={}&start={}&end={}&step={step_s}s",
                    enc(query),
                    start as u64,
                    end as u64
                );
                let v = self.get_json(&path).await?;
                Self::non_empty(&v, "/series", &path)
            }
            Query::TempoServiceMap => {
                // Grafana: the Tempo datasource's `serviceMap.datasourceUid`, i.e. the metrics
                // datasource; instant queries over the dashboard range.
                let map_uid = self
                    .prov
                    .datasources
                    .iter()
                    .find(|d| d.kind == "prometheus")
                    .map(|d| d.uid.clone())
                    .ok_or("no Prometheus datasource for the service map")?;
                let mut n = Vec::new();
                for (metric, required) in SERVICE_MAP_METRICS {
                    let expr = format!(
                        "sum by (client, server) (rate({metric}[{}]))",
                        super::vars::hms(RANGE_S)
                    );
                    let q = Query::Prom {
                        expr,
                        instant: true,
                        exemplar: false,
                    };
                    match Box::pin(self.run(&map_uid, &q, step_s)).await {
                        Ok(k) => n.extend(k),
                        Err(e) if required => return Err(format!("service map: {e}")),
                        Err(e) if e.starts_with("no data") => {}
                        Err(e) => return Err(format!("service map: {e}")),
                    }
                }
                Ok(n)
            }
        }
    }

    /// Runs the query of every Prometheus `label_values(selector, label)` template variable
    /// of `dash` as Grafana does (`/api/v1/label/<label>/values?match[]=<selector>` over the
    /// range, other variables substituted): each must offer at least one value.
    pub async fn run_variables(&self, dash: &Dashboard) -> (Vec<Ran>, Vec<String>) {
        let (mut ran, mut errs) = (Vec::new(), Vec::new());
        let vars = match variables(dash, &Value::Null) {
            Ok(v) => v,
            Err(e) => return (ran, vec![format!("{}: {e}", dash.name())]),
        };
        for v in dash.variables() {
            if v["type"] != "query" {
                continue;
            }
            let name = v["name"].as_str().unwrap_or("");
            let what = format!("{}: variable {name:?}", dash.name());
            let q = v["query"]
                .as_str()
                .or_else(|| v["query"]["query"].as_str())
                .unwrap_or("");
            let Some(args) = q
                .trim()
                .strip_prefix("label_values(")
                .and_then(|r| r.strip_suffix(')'))
            else {
                errs.push(format!(
                    "{what}: only label_values(selector, label) is checked: {q:?}"
                ));
                continue;
            };
            let (selector, label) = match args.rsplit_once(',') {
                Some((sel, l)) => (sel.trim(), l.trim()),
                None => ("", args.trim()),
            };
            let selector = match substitute(selector, &vars) {
                Ok(s) => s,
                Err(e) => {
                    errs.push(format!("{what}: {e}"));
                    continue;
                }
            };
            let uid = v["datasource"]["uid"].as_str().unwrap_or("");
            let base = match self.base(uid) {
                Ok(b) => b,
                Err(e) => {
                    errs.push(format!("{what}: {e}"));
                    continue;
                }
            };
            let end = now_s() as u64;
            let mut path = format!(
                "{base}/api/v1/label/{label}/values?start={}&end={end}",
                end - RANGE_S
            );
            if !selector.is_empty() {
                path.push_str(&format!("&match[]={}", enc(&selector)));
            }
            let started = Instant::now();
            match self
                .get_json(&path)
                .await
                .and_then(|j| Self::non_empty(&j, "/data", &path))
            {
                Ok(n) => ran.push(Ran {
                    what: format!("{what}: {q}"),
                    results: n.len(),
                    millis: started.elapsed().as_millis(),
                }),
                Err(e) => errs.push(format!("{what}: query {q:?}: {e}")),
            }
        }
        (ran, errs)
    }

    /// Runs every query of every data panel of `dash` with its variables substituted. Returns
    /// what ran and the failures, each naming the dashboard, panel, datasource and query.
    pub async fn run_dashboard(&self, dash: &Dashboard) -> (Vec<Ran>, Vec<String>) {
        let mut ran = Vec::new();
        let mut errs = Vec::new();
        for p in dash.all_panels() {
            if is_layout_panel(p) {
                continue;
            }
            let pn = panel_name(p);
            let vars = match variables(dash, p) {
                Ok(v) => v,
                Err(e) => {
                    errs.push(format!("{}: {pn}: {e}", dash.name()));
                    continue;
                }
            };
            for t in p["targets"].as_array().cloned().unwrap_or_default() {
                if t["hide"].as_bool() == Some(true) {
                    continue;
                }
                let ds = target_datasource(p, &t);
                let uid = ds["uid"].as_str().unwrap_or("");
                let what = format!(
                    "{}: {pn} target {} ({uid})",
                    dash.name(),
                    t["refId"].as_str().unwrap_or("?")
                );
                let kind = self
                    .prov
                    .get(uid)
                    .map(|d| d.kind.clone())
                    .unwrap_or_default();
                let q = target_query(&kind, &t).and_then(|q| q.map_text(|s| substitute(s, &vars)));
                let q = match q {
                    Ok(q) => q,
                    Err(e) => {
                        errs.push(format!("{what}: {e}"));
                        continue;
                    }
                };
                let started = Instant::now();
                let answer = self.run(uid, &q, panel_step_s(p)).await.and_then(|items| {
                    legend_labels_present(t["legendFormat"].as_str().unwrap_or(""), &items)?;
                    Ok(items)
                });
                match answer {
                    Ok(items) => ran.push(Ran {
                        what: format!("{what}: {}", q.text()),
                        results: items.len(),
                        millis: started.elapsed().as_millis(),
                    }),
                    Err(e) => errs.push(format!("{what}: query {:?}: {e}", q.text())),
                }
            }
        }
        (ran, errs)
    }
}

/// Every `{{label}}` of a legend format must be a label of at least one answered series
/// (Prometheus and Loki metric results: `metric`; Loki streams: `stream`), so a misspelt
/// grouping label is caught even though the query has data.
pub fn legend_labels_present(legend: &str, items: &[Value]) -> Result<(), String> {
    let mut rest = legend;
    while let Some(i) = rest.find("{{") {
        let after = &rest[i + 2..];
        let Some(j) = after.find("}}") else { break };
        let label = after[..j].trim();
        let found = items
            .iter()
            .any(|it| it["metric"].get(label).is_some() || it["stream"].get(label).is_some());
        if !label.is_empty() && !found {
            return Err(format!(
                "legend {legend:?}: no series has the label {label:?}"
            ));
        }
        rest = &after[j + 2..];
    }
    Ok(())
}
