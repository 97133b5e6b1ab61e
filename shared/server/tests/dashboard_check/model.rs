//! Dashboards as Grafana stores them (JSON model, schemaVersion 39): loading, the panels
//! (rows flattened) and each panel's queries.

use serde_json::Value;
use std::path::{Path, PathBuf};

/// One dashboard file.
#[derive(Debug, Clone)]
pub struct Dashboard {
    /// Where it came from (a file path, or a fixture name).
    pub source: String,
    pub json: Value,
}

impl Dashboard {
    /// Parses `text`; the error names `source` and serde's line and column.
    pub fn parse(source: &str, text: &str) -> Result<Self, String> {
        let json: Value =
            serde_json::from_str(text).map_err(|e| format!("{source}: invalid JSON: {e}"))?;
        if !json.is_object() {
            return Err(format!("{source}: not a JSON object"));
        }
        Ok(Dashboard {
            source: source.to_string(),
            json,
        })
    }

    pub fn title(&self) -> &str {
        self.json["title"].as_str().unwrap_or("(untitled)")
    }

    pub fn uid(&self) -> Option<&str> {
        self.json["uid"].as_str()
    }

    /// `"<title>" (<source>)`, for messages.
    pub fn name(&self) -> String {
        format!("dashboard {:?} ({})", self.title(), self.source)
    }

    /// The top-level panels (rows included, as laid out on the grid).
    pub fn top_panels(&self) -> Vec<&Value> {
        self.json["panels"]
            .as_array()
            .map(|a| a.iter().collect())
            .unwrap_or_default()
    }

    /// Every panel: top-level ones and those inside collapsed rows.
    pub fn all_panels(&self) -> Vec<&Value> {
        let mut out = Vec::new();
        for p in self.top_panels() {
            out.push(p);
            if let Some(inner) = p["panels"].as_array() {
                out.extend(inner.iter());
            }
        }
        out
    }

    /// The template variables (`templating.list`).
    pub fn variables(&self) -> Vec<&Value> {
        self.json["templating"]["list"]
            .as_array()
            .map(|a| a.iter().collect())
            .unwrap_or_default()
    }
}

/// `panel "<title>" (id N)`, for messages.
pub fn panel_name(p: &Value) -> String {
    format!(
        "panel {:?} (id {})",
        p["title"].as_str().unwrap_or(""),
        p["id"]
    )
}

/// Panels that draw no data (no targets to run).
pub fn is_layout_panel(p: &Value) -> bool {
    matches!(
        p["type"].as_str(),
        Some("row" | "text" | "dashlist" | "news")
    )
}

/// The datasource of a target: its own, else its panel's.
pub fn target_datasource<'a>(panel: &'a Value, target: &'a Value) -> &'a Value {
    if target["datasource"].is_object() {
        &target["datasource"]
    } else {
        &panel["datasource"]
    }
}

/// One query of a panel, by datasource type.
#[derive(Debug, Clone, PartialEq)]
pub enum Query {
    /// Prometheus `expr`; `instant` = `/api/v1/query` at the end of the range; `exemplar` =
    /// Grafana also asks `/api/v1/query_exemplars` (the trace links on the graph).
    Prom {
        expr: String,
        instant: bool,
        exemplar: bool,
    },
    /// Loki `expr`; `instant` = `/loki/api/v1/query`.
    Loki { expr: String, instant: bool },
    /// Tempo TraceQL search (`/api/search`).
    TempoSearch { query: String, limit: u64 },
    /// Tempo TraceQL metrics (`/api/metrics/query_range`).
    TempoMetrics { query: String },
    /// Tempo service map: Grafana runs PromQL on the service-map datasource.
    TempoServiceMap,
}

impl Query {
    /// The query text (for messages; empty for the service map).
    pub fn text(&self) -> &str {
        match self {
            Query::Prom { expr, .. } | Query::Loki { expr, .. } => expr,
            Query::TempoSearch { query, .. } | Query::TempoMetrics { query } => query,
            Query::TempoServiceMap => "",
        }
    }

    /// The same query with `f` applied to its text.
    pub fn map_text(&self, f: impl Fn(&str) -> Result<String, String>) -> Result<Self, String> {
        Ok(match self {
            Query::Prom {
                expr,
                instant,
                exemplar,
            } => Query::Prom {
                expr: f(expr)?,
                instant: *instant,
                exemplar: *exemplar,
            },
            Query::Loki { expr, instant } => Query::Loki {
                expr: f(expr)?,
                instant: *instant,
            },
            Query::TempoSearch { query, limit } => Query::TempoSearch {
                query: f(query)?,
                limit: *limit,
            },
            Query::TempoMetrics { query } => Query::TempoMetrics { query: f(query)? },
            Query::TempoServiceMap => Query::TempoServiceMap,
        })
    }
}

/// The query of `target` for a datasource of plugin type `kind`, as Grafana's datasource
/// plugins read it. Errors name what is missing.
pub fn target_query(kind: &str, target: &Value) -> Result<Query, String> {
    let s = |k: &str| target[k].as_str().map(str::to_string);
    match kind {
        "prometheus" => {
            let expr = s("expr").ok_or("Prometheus target without expr")?;
            let instant = target["instant"].as_bool() == Some(true)
                && target["range"].as_bool() != Some(true);
            Ok(Query::Prom {
                expr,
                instant,
                exemplar: target["exemplar"].as_bool() == Some(true),
            })
        }
        "loki" => {
            let expr = s("expr").ok_or("Loki target without expr")?;
            Ok(Query::Loki {
                expr,
                instant: s("queryType").as_deref() == Some("instant"),
            })
        }
        "tempo" => match s("queryType").as_deref() {
            Some("serviceMap") => Ok(Query::TempoServiceMap),
            Some("traceql") | Some("traceqlSearch") => {
                let query = s("query").ok_or("Tempo target without query")?;
                if target["metricsQueryType"].is_string() {
                    Ok(Query::TempoMetrics { query })
                } else {
                    Ok(Query::TempoSearch {
                        query,
                        limit: target["limit"].as_u64().unwrap_or(20),
                    })
                }
            }
            other => Err(format!("Tempo queryType {other:?} is not checked")),
        },
        other => Err(format!("datasource type {other:?} is not checked")),
    }
}

/// Every `*.json` under `dir` (recursively), sorted, with the folder it sits in relative to
/// `dir` (the Grafana folder under `foldersFromFilesStructure`).
pub fn json_files(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "json") {
                let folder = p
                    .parent()
                    .and_then(|f| f.strip_prefix(dir).ok())
                    .map(|f| f.display().to_string())
                    .unwrap_or_default();
                out.push((folder, p));
            }
        }
    }
    out.sort_by(|a, b| a.1.cmp(&b.1));
    out
}
