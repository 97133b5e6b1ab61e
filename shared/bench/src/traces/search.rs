//! TraceQL over the compacted traces store, through `App::handle` in-process (as Grafana's
//! Tempo datasource calls it): `/api/search` (limit 20, `spss` 3, the whole generated hour)
//! and `/api/metrics/query_range`, with the object reads each query made (GET requests and
//! bytes counted by [`lakewatch_storage::CountingStore`] around the store).
//!
//! Checks: the trace-id needle must return exactly that trace; the other searches exactly
//! `limit` traces (every query matches far more traces than that); the metrics query one
//! series per model with a sample for every minute.

use super::gen::TracesTotals;
use crate::query::{lakewatch_query, time_runs, Timing};
use lakewatch_api::App;
use lakewatch_storage::CountingStore;
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// `limit` of every search (Grafana's default).
pub const LIMIT: usize = 20;

/// One timed TraceQL query and its outcome.
#[derive(Debug, Clone)]
pub struct SearchResult {
    pub name: &'static str,
    pub query: String,
    pub timing: Result<Timing, String>,
    /// Object GETs and bytes read by the last timed run.
    pub gets: u64,
    pub bytes: u64,
    /// `Ok(description)` when the answer was as expected.
    pub check: Result<String, String>,
}

fn hex(id: &[u8; 16]) -> String {
    id.iter().map(|b| format!("{b:02x}")).collect()
}

/// Tempo's trace id text: hex without leading zeros.
fn tempo_hex(id: &[u8; 16]) -> String {
    let h = hex(id);
    let t = h.trim_start_matches('0');
    if t.is_empty() {
        "0".into()
    } else {
        t.into()
    }
}

fn json(body: &[u8]) -> Result<Value, String> {
    serde_json::from_slice(body).map_err(|e| format!("bad JSON: {e}"))
}

fn search_traces(v: &Value) -> Vec<String> {
    v["traces"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|t| t["traceID"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// What every timed query of [`run`] shares: the app, the read counter and the timing budget.
struct Timer<'a> {
    rt: &'a tokio::runtime::Runtime,
    app: &'a App,
    counting: &'a CountingStore,
    reps: usize,
    budget: Duration,
}

impl Timer<'_> {
    /// Times `GET path` ([`time_runs`]: `reps` runs within `budget`), takes the object GETs and
    /// bytes of the last run from the counter, and checks the JSON answer with `check`.
    fn query(
        &self,
        name: &'static str,
        query: String,
        path: &str,
        check: impl FnOnce(&Value) -> Result<String, String>,
    ) -> SearchResult {
        let timed = time_runs(self.reps, self.budget, || {
            self.counting.take();
            lakewatch_query(self.rt, self.app, path)
        });
        let (gets, bytes) = self.counting.take();
        let (timing, check) = match timed {
            Err(e) => (Err(e.clone()), Err(e)),
            Ok((t, body)) => (Ok(t), json(&body).and_then(|v| check(&v))),
        };
        SearchResult {
            name,
            query,
            timing,
            gets,
            bytes,
            check,
        }
    }
}

/// Runs the searches and the metrics query over the generated window.
pub fn run(
    rt: &tokio::runtime::Runtime,
    app: &App,
    counting: &Arc<CountingStore>,
    totals: &TracesTotals,
    reps: usize,
    budget: Duration,
) -> Vec<SearchResult> {
    let timer = Timer {
        rt,
        app,
        counting,
        reps,
        budget,
    };
    let start_s = totals.first_ns.div_euclid(1_000_000_000) - 60;
    let end_s = totals.last_ns.div_euclid(1_000_000_000) + 60;
    let mut out = Vec::new();
    let needle = totals.sample.first().map(|t| t.id);
    let mut searches: Vec<(&'static str, String)> = Vec::new();
    if let Some(id) = needle {
        searches.push((
            "trace-id needle",
            format!("{{ trace:id = \"{}\" }}", hex(&id)),
        ));
    }
    searches.push(("errors", "{ status = error }".into()));
    searches.push((
        "model and duration",
        "{ span.gen_ai.request.model = \"gpt-4o\" && duration > 2s }".into(),
    ));
    searches.push((
        "structural",
        "{ kind = server } >> { span.gen_ai.system = \"anthropic\" }".into(),
    ));
    for (name, q) in searches {
        let path = format!(
            "/api/search?q={}&limit={LIMIT}&spss=3&start={start_s}&end={end_s}",
            utf8_percent_encode(&q, NON_ALPHANUMERIC)
        );
        out.push(timer.query(name, q, &path, |v| {
            let ids = search_traces(v);
            match (name, needle) {
                ("trace-id needle", Some(id)) if ids == vec![tempo_hex(&id)] => {
                    Ok("exactly the trace".to_string())
                }
                ("trace-id needle", _) => Err(format!("got {ids:?}")),
                _ if ids.len() == LIMIT => Ok(format!("{LIMIT} traces")),
                _ => Err(format!("{} traces, want {LIMIT}", ids.len())),
            }
        }));
    }

    // TraceQL metrics: span rate per model, 1-minute steps over the hour.
    let q = "{ span.gen_ai.request.model != nil } | rate() by (span.gen_ai.request.model)";
    let path = format!(
        "/api/metrics/query_range?q={}&start={start_s}&end={end_s}&step=60s",
        utf8_percent_encode(q, NON_ALPHANUMERIC)
    );
    out.push(
        timer.query("metrics: rate by model", q.to_string(), &path, |v| {
            let n = v["series"].as_array().map_or(0, Vec::len);
            if n == super::gen::MODEL_COUNT {
                Ok(format!("{n} series (one per model)"))
            } else {
                Err(format!("{n} series, want {}", super::gen::MODEL_COUNT))
            }
        }),
    );
    out
}
