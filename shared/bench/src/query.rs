//! Step 3: a Grafana-like dashboard of range queries, timed against Lakewatch (`App::handle`
//! in-process over the compacted file:// store) and against Prometheus over HTTP, with the
//! two answers compared.

use crate::gen::Dataset;
use bytes::Bytes;
use lakewatch_api::App;
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use std::time::{Duration, Instant};

/// One dashboard panel: a range query ending at the newest data.
#[derive(Debug, Clone)]
pub struct QuerySpec {
    pub name: &'static str,
    pub expr: String,
    /// Start and end (seconds since the epoch, multiples of `step_s`).
    pub start_s: i64,
    pub end_s: i64,
    pub step_s: i64,
}

impl QuerySpec {
    /// `/api/v1/query_range?...` for this panel.
    pub fn path(&self) -> String {
        format!(
            "/api/v1/query_range?query={}&start={}&end={}&step={}",
            utf8_percent_encode(&self.expr, NON_ALPHANUMERIC),
            self.start_s,
            self.end_s,
            self.step_s
        )
    }

    /// Range length in hours, for display.
    pub fn hours(&self) -> f64 {
        (self.end_s - self.start_s) as f64 / 3600.0
    }
}

/// Seconds kept free at the start of the data: no range-vector window (≤ 10 min) of any
/// panel reaches before the first sample, where Prometheus 2.42 and ≥ 2.51 extrapolate
/// `rate()` differently (prometheus/prometheus#13725).
pub const START_MARGIN_S: i64 = 900;

/// The dashboard over `d`: 9 panels, 1–3 h ranges (clamped to the data minus
/// [`START_MARGIN_S`]), 15–60 s steps.
pub fn dashboard(d: &Dataset) -> Vec<QuerySpec> {
    let span_s = ((d.max_time_ms - d.min_time_ms) / 1000 - START_MARGIN_S).max(60);
    let end_ms = d.max_time_ms;
    let q = |name, expr: &str, range_s: i64, step_s: i64| {
        let end_s = (end_ms / 1000).div_euclid(step_s) * step_s;
        let range_s = range_s.min(span_s - span_s % step_s);
        QuerySpec {
            name,
            expr: expr.to_string(),
            start_s: end_s - range_s,
            end_s,
            step_s,
        }
    };
    vec![
        q(
            "requests/s by route",
            "sum by (route) (rate(http_requests_total[5m]))",
            3 * 3600,
            60,
        ),
        q(
            "p95 latency by route",
            "histogram_quantile(0.95, sum by (le, route) (rate(http_request_duration_seconds_bucket[5m])))",
            3 * 3600,
            60,
        ),
        q(
            "error ratio by route",
            "sum by (route) (rate(http_requests_total{code=~\"5..\"}[5m])) / sum by (route) (rate(http_requests_total[5m]))",
            3600,
            15,
        ),
        q(
            "top 5 instances",
            "topk(5, sum by (instance) (rate(http_requests_total[5m])))",
            3600,
            30,
        ),
        q(
            "mean latency",
            "sum(rate(http_request_duration_seconds_sum[5m])) / sum(rate(http_request_duration_seconds_count[5m]))",
            3 * 3600,
            60,
        ),
        q(
            "queue depth avg_over_time",
            "max by (queue) (avg_over_time(queue_depth[10m]))",
            3 * 3600,
            60,
        ),
        q(
            "cpu by mode",
            "sum by (mode) (rate(node_cpu_seconds_total{mode!=\"idle\"}[5m]))",
            3600,
            15,
        ),
        q(
            "one instance memory",
            "process_resident_memory_bytes{instance=\"host-000:9100\"}",
            3 * 3600,
            15,
        ),
        q(
            "net rx by instance",
            "sum by (instance) (rate(node_network_receive_bytes_total{device!=\"lo\"}[5m]))",
            2 * 3600,
            30,
        ),
    ]
}

/// Latencies of the timed runs (ms).
#[derive(Debug, Clone, Default)]
pub struct Timing {
    pub runs: Vec<f64>,
}

impl Timing {
    /// Median (ms).
    pub fn median(&self) -> f64 {
        self.pct(0.5)
    }

    /// 90th percentile, nearest rank (ms).
    pub fn p90(&self) -> f64 {
        self.pct(0.9)
    }

    fn pct(&self, p: f64) -> f64 {
        let mut v = self.runs.clone();
        if v.is_empty() {
            return f64::NAN;
        }
        v.sort_by(f64::total_cmp);
        let rank = ((p * v.len() as f64).ceil() as usize).clamp(1, v.len());
        v[rank - 1]
    }
}

/// Runs `f` once untimed (warm-up) then up to `reps` timed times, stopping early once the
/// timed runs took `budget` (at least one timed run). Returns the timings and the last body.
pub fn time_runs(
    reps: usize,
    budget: Duration,
    mut f: impl FnMut() -> Result<Vec<u8>, String>,
) -> Result<(Timing, Vec<u8>), String> {
    let mut body = f()?;
    let mut t = Timing::default();
    let started = Instant::now();
    for _ in 0..reps.max(1) {
        let s = Instant::now();
        body = f()?;
        t.runs.push(s.elapsed().as_secs_f64() * 1000.0);
        if started.elapsed() > budget {
            break;
        }
    }
    Ok((t, body))
}

/// One range query through `App::handle` (status 200 required).
pub fn lakewatch_query(
    rt: &tokio::runtime::Runtime,
    app: &App,
    path: &str,
) -> Result<Vec<u8>, String> {
    let mut req = http::Request::new(Bytes::new());
    *req.uri_mut() = path.parse().map_err(|e| format!("bad uri: {e}"))?;
    let resp = rt.block_on(app.handle(req));
    if resp.status() != http::StatusCode::OK {
        return Err(format!(
            "lakewatch {}: {}",
            resp.status(),
            String::from_utf8_lossy(resp.body())
        ));
    }
    Ok(resp.body().to_vec())
}

/// One range query against Prometheus on `port` (status 200 required).
pub fn prometheus_query(port: u16, path: &str) -> Result<Vec<u8>, String> {
    let (code, body) = crate::proc::http_get(port, path, Duration::from_secs(120))?;
    if code != 200 {
        return Err(format!(
            "prometheus {code}: {}",
            String::from_utf8_lossy(&body)
        ));
    }
    Ok(body)
}

/// Storage-only cost of the selective panel: `MetricsReader::select` of
/// `process_resident_memory_bytes{instance="host-000:9100"}` over `spec`'s range plus the
/// 5 min lookback, timed like a query. Returns the timings and the (series, samples) found.
pub fn storage_select(
    rt: &tokio::runtime::Runtime,
    store: &lakewatch_storage::Store,
    spec: &QuerySpec,
    reps: usize,
) -> Result<(Timing, usize, usize), String> {
    use lakewatch_model::{LabelMatcher, MatchOp, TenantId};
    let m = |n: &str, v: &str| LabelMatcher::new(MatchOp::Equal, n, v).map_err(|e| e.to_string());
    let matchers = vec![
        m("__name__", "process_resident_memory_bytes")?,
        m("instance", "host-000:9100")?,
    ];
    let reader = lakewatch_storage::MetricsReader::new(store.clone());
    let tenant = TenantId::anonymous();
    let (mint, maxt) = (spec.start_s * 1000 - 300_000, spec.end_s * 1000);
    let mut found = (0, 0);
    let (t, _) = time_runs(reps, Duration::from_secs(30), || {
        let v = rt
            .block_on(reader.select(&tenant, &matchers, mint, maxt))
            .map_err(|e| e.to_string())?;
        found = (v.len(), v.iter().map(|s| s.samples.len()).sum());
        Ok(Vec::new())
    })?;
    Ok((t, found.0, found.1))
}
