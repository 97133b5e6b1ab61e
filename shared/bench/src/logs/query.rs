//! LogQL latency over the compacted logs store: `App::handle` in-process (as
//! [`crate::query`] does for PromQL) on `/loki/api/v1/query_range`, each answer checked
//! against the generator's totals.
//!
//! - **needle**: `{env="prod"} |= `"trace_id":"<id>"`` over all the data (one line in it);
//! - **volume**: `sum by (level) (count_over_time({env="prod"}[1m]))`, step 1 m, over all the
//!   data (the sum of every point per level must equal the entries of that level);
//! - **json filter**: `sum(count_over_time({env="prod"} | json | status >= 500 [1m]))`, step
//!   1 m (must add up to the 5xx entries): the cost of parsing every line.

use super::gen::LogsTotals;
use crate::query::{time_runs, Timing};
use bytes::Bytes;
use lakewatch_api::App;
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use serde_json::Value;
use std::time::Duration;

const MINUTE_NS: i64 = 60_000_000_000;

/// One timed LogQL query.
#[derive(Debug, Clone)]
pub struct LogQuery {
    pub name: &'static str,
    pub expr: String,
    pub path: String,
}

/// Outcome of one query: timings (ms) and the check of its answer.
#[derive(Debug, Clone)]
pub struct LogQueryResult {
    pub query: LogQuery,
    pub timing: Result<Timing, String>,
    /// `Ok(description)` when the answer matched the generated data.
    pub check: Result<String, String>,
}

/// `[start, end]` in ns covering every entry with 1-minute windows `(t-1m, t]` at steps
/// `start+1m … end`.
fn minute_range(t: &LogsTotals) -> (i64, i64) {
    let start = (t.first_ns - 1).div_euclid(MINUTE_NS) * MINUTE_NS;
    let end = (t.last_ns + MINUTE_NS - 1).div_euclid(MINUTE_NS) * MINUTE_NS;
    (start, end)
}

fn path(expr: &str, start_ns: i64, end_ns: i64, step: Option<i64>, limit: usize) -> String {
    let mut p = format!(
        "/loki/api/v1/query_range?query={}&start={start_ns}&end={end_ns}&limit={limit}&direction=backward",
        utf8_percent_encode(expr, NON_ALPHANUMERIC),
    );
    if let Some(s) = step {
        p.push_str(&format!("&step={s}"));
    }
    p
}

/// The three queries over data with totals `t`.
pub fn queries(t: &LogsTotals) -> Vec<LogQuery> {
    let (start, end) = minute_range(t);
    let mut out = Vec::new();
    if let Some((id, _, _)) = &t.needle {
        let expr = format!("{{env=\"prod\"}} |= `\"trace_id\":\"{id}\"`");
        out.push(LogQuery {
            name: "needle",
            path: path(&expr, start, end + 1, None, 100),
            expr,
        });
    }
    let expr = "sum by (level) (count_over_time({env=\"prod\"}[1m]))".to_string();
    out.push(LogQuery {
        name: "volume by level",
        path: path(&expr, start + MINUTE_NS, end, Some(60), 100),
        expr,
    });
    let expr = "sum(count_over_time({env=\"prod\"} | json | status >= 500 [1m]))".to_string();
    out.push(LogQuery {
        name: "json 5xx count",
        path: path(&expr, start + MINUTE_NS, end, Some(60), 100),
        expr,
    });
    out
}

fn run_one(rt: &tokio::runtime::Runtime, app: &App, path: &str) -> Result<Vec<u8>, String> {
    let mut req = http::Request::new(Bytes::new());
    *req.uri_mut() = path.parse().map_err(|e| format!("bad uri: {e}"))?;
    let resp = rt.block_on(app.handle(req));
    if resp.status() != http::StatusCode::OK {
        return Err(format!(
            "{}: {}",
            resp.status(),
            String::from_utf8_lossy(&resp.body()[..resp.body().len().min(500)])
        ));
    }
    Ok(resp.body().to_vec())
}

/// Sum of every point's value per series (label set as JSON text) of a matrix answer.
fn matrix_sums(body: &[u8]) -> Result<Vec<(String, f64)>, String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let d = &v["data"];
    if d["resultType"] != "matrix" {
        return Err(format!("resultType {}", d["resultType"]));
    }
    Ok(d["result"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            let sum = s["values"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| p[1].as_str()?.parse::<f64>().ok())
                .sum();
            (s["metric"].to_string(), sum)
        })
        .collect())
}

fn check(q: &LogQuery, body: &[u8], t: &LogsTotals) -> Result<String, String> {
    match q.name {
        "needle" => {
            let v: Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
            let lines: Vec<&str> = v["data"]["result"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|s| s["values"].as_array().into_iter().flatten())
                .filter_map(|e| e[1].as_str())
                .collect();
            let want = t.needle.as_ref().map(|n| n.2.as_str());
            if lines.len() == 1 && Some(lines[0]) == want {
                Ok("1 line, the needle".into())
            } else {
                Err(format!("{} lines", lines.len()))
            }
        }
        "volume by level" => {
            let sums = matrix_sums(body)?;
            for (level, n) in &t.per_level {
                let key = format!("{{\"level\":\"{level}\"}}");
                let got = sums.iter().find(|(k, _)| *k == key).map_or(0.0, |s| s.1);
                if got != *n as f64 {
                    return Err(format!("level {level}: {got} entries, want {n}"));
                }
            }
            Ok(format!("{} series, totals match", sums.len()))
        }
        _ => {
            let sums = matrix_sums(body)?;
            let got: f64 = sums.iter().map(|s| s.1).sum();
            if got == t.status_5xx as f64 {
                Ok(format!("{got} 5xx lines, matches"))
            } else {
                Err(format!("{got} 5xx lines, want {}", t.status_5xx))
            }
        }
    }
}

/// Times every query (one warm-up, then up to `reps` runs within `budget` each) and checks
/// the answers.
pub fn run(
    rt: &tokio::runtime::Runtime,
    app: &App,
    t: &LogsTotals,
    reps: usize,
    budget: Duration,
) -> Vec<LogQueryResult> {
    queries(t)
        .into_iter()
        .map(|q| {
            crate::log(format!("logs query {:?}: {}", q.name, q.expr));
            let r = time_runs(reps, budget, || run_one(rt, app, &q.path));
            let (timing, check) = match r {
                Ok((timing, body)) => (Ok(timing), check(&q, &body, t)),
                Err(e) => (Err(e.clone()), Err(e)),
            };
            LogQueryResult {
                query: q,
                timing,
                check,
            }
        })
        .collect()
}

/// Storage alone: `LogsReader::select` of `{env="prod"}` over all the data, without and with
/// the needle as `line_contains` pushdown hint, timed like a query. Returns one
/// `(what, timing, entries returned)` per variant.
pub fn storage_select(
    rt: &tokio::runtime::Runtime,
    app: &App,
    t: &LogsTotals,
    reps: usize,
    budget: Duration,
) -> Vec<(String, Result<Timing, String>, usize)> {
    use lakewatch_model::{LabelMatcher, MatchOp, TenantId};
    use lakewatch_storage::LogSelect;
    let Ok(env) = LabelMatcher::new(MatchOp::Equal, "env", "prod") else {
        return Vec::new();
    };
    let (start, end) = minute_range(t);
    let tenant = TenantId::anonymous();
    let mut variants = vec![("all entries".to_string(), Vec::new())];
    if let Some((id, _, _)) = &t.needle {
        variants.push((
            "with the needle as `line_contains`".to_string(),
            vec![format!("\"trace_id\":\"{id}\"")],
        ));
    }
    variants
        .into_iter()
        .map(|(what, hint)| {
            let sel = LogSelect {
                matchers: vec![env.clone()],
                start_ns: start,
                end_ns: end + 1,
                line_contains: hint,
            };
            let mut found = 0usize;
            let r = time_runs(reps, budget, || {
                let v = rt
                    .block_on(app.logs_reader.select(&tenant, &sel))
                    .map_err(|e| e.to_string())?;
                found = v.iter().map(|s| s.entries.len()).sum();
                Ok(Vec::new())
            });
            (what, r.map(|(t, _)| t), found)
        })
        .collect()
}
