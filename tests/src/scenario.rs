//! The Prometheus comparison scenario: Lakewatch (in-process, on a free port, over a given
//! store) receives Prometheus's own metrics by remote write; then every expression of
//! [`crate::queries`] is evaluated by both at the same times and the answers are compared.

use crate::client::PromApi;
use crate::compare::{compare_data, compare_sets};
use crate::env::{require, SKIP_PROMETHEUS};
use crate::prometheus::Prometheus;
use crate::queries::{expressions, metadata_calls, RANGE_S, STEP_S};
use crate::tempdir::TempDir;
use lakewatch_server::{DevConfig, DevServer};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Seconds of data collected before evaluating (covers the largest window: a 20 s range query
/// over 20 s windows plus a 2 s offset, and a margin for Prometheus's first scrapes).
pub const WARMUP_S: f64 = 55.0;
/// Tenant Prometheus writes as (its basic-auth user name).
pub const TENANT: &str = "e2e";

/// Outcome of one scenario.
#[derive(Debug, Default)]
pub struct Report {
    /// Comparisons made (instant + range per expression).
    pub total: usize,
    /// Comparisons whose answers matched.
    pub matched: usize,
    /// One line per mismatch.
    pub mismatches: Vec<String>,
}

impl Report {
    /// Panics with every mismatch listed unless all comparisons matched.
    pub fn assert_all_match(&self, label: &str) {
        assert!(self.total > 0, "{label}: nothing was compared");
        assert!(
            self.mismatches.is_empty(),
            "{label}: {}/{} comparisons matched Prometheus; mismatches:\n{}",
            self.matched,
            self.total,
            self.mismatches.join("\n")
        );
    }
}

/// Seconds since the epoch.
pub fn now_s() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// Starts Lakewatch in this process over `store_url` (no demo traffic, compactor every 15 s,
/// no in-process ruler: the ruler tests run passes themselves).
pub async fn start_lakewatch(store_url: &str) -> DevServer {
    let cfg = DevConfig {
        listen: "127.0.0.1:0".parse().expect("literal address"),
        store_url: store_url.to_string(),
        demo: false,
        compaction_interval: Duration::from_secs(15),
        ruler_interval: Duration::ZERO,
        ..DevConfig::default()
    };
    lakewatch_server::start(cfg)
        .await
        .unwrap_or_else(|e| panic!("lakewatch did not start on {store_url}: {e}"))
}

/// Evaluation time: `lag_s` in the past, moved to half-way between two scrapes so that no
/// window boundary falls on a sample (Prometheus 2.42 ranges are closed `[t-r, t]`, Prometheus
/// 3's — which Lakewatch follows — left-open `(t-r, t]`; they differ only on such ties).
pub fn evaluation_time(now: f64, sample_ts: f64, lag_s: f64) -> f64 {
    let sample_ms = (sample_ts * 1000.0).round() as i64;
    let offset_ms = (sample_ms.rem_euclid(1000) + 500) % 1000;
    let base_ms = ((now - lag_s) * 1000.0) as i64 / 1000 * 1000;
    (base_ms + offset_ms - 1000) as f64 / 1000.0
}

async fn compare_one(
    prom: &PromApi,
    lw: &PromApi,
    what: &str,
    expr: &str,
    range: Option<(f64, f64, f64)>,
    at: f64,
    report: &mut Report,
) {
    let (e, a) = match range {
        None => (prom.query(expr, at).await, lw.query(expr, at).await),
        Some((s, t, st)) => (
            prom.query_range(expr, s, t, st).await,
            lw.query_range(expr, s, t, st).await,
        ),
    };
    report.total += 1;
    let outcome = match (e, a) {
        (Err(e), _) => Err(format!("Prometheus call failed: {e}")),
        (_, Err(a)) => Err(format!("Lakewatch call failed: {a}")),
        (Ok(e), Ok(a)) => match (e.data(), a.data()) {
            (Some(ed), Some(ad)) => compare_data(ed, ad),
            (None, None) => Ok(()),
            (Some(_), None) => Err(format!(
                "Lakewatch error: {}",
                a.error().unwrap_or_default()
            )),
            (None, Some(_)) => Err(format!(
                "Prometheus error {} but Lakewatch answered",
                e.error().unwrap_or_default()
            )),
        },
    };
    match outcome {
        Ok(()) => {
            report.matched += 1;
            println!("MATCH     {what:<7} {expr}");
        }
        Err(msg) => {
            println!("MISMATCH  {what:<7} {expr}\n          {msg}");
            report.mismatches.push(format!("[{what}] {expr}: {msg}"));
        }
    }
}

/// Runs the scenario over `store_url` (label names temp folders and the report).
/// Returns `None` when skipped with `LAKEWATCH_E2E_SKIP_PROMETHEUS=1`; panics with a clear
/// message when `prometheus` is missing or a process fails to start.
pub async fn run(label: &str, store_url: &str) -> Option<Report> {
    let binary = require(
        "prometheus",
        SKIP_PROMETHEUS,
        "apt-get install -y --no-install-recommends prometheus",
    )?;
    let dir = TempDir::new(&format!("prom-{label}")).expect("temp dir");
    let lakewatch = start_lakewatch(store_url).await;
    let write_url = format!("{}/api/v1/write", lakewatch.base_url());
    let mut prom = match Prometheus::start(&binary, dir.path(), &write_url, TENANT).await {
        Ok(p) => p,
        Err(e) => {
            lakewatch.shutdown().await;
            panic!("{e}");
        }
    };
    let report = drive(&prom, &lakewatch, label).await;
    // Stop Prometheus before its receiver so it does not wait for remote-write retries.
    prom.stop();
    lakewatch.shutdown().await;
    Some(report)
}

async fn drive(prom: &Prometheus, lakewatch: &DevServer, label: &str) -> Report {
    let started = now_s();
    println!(
        "[{label}] Prometheus on port {}, Lakewatch on {}",
        prom.port,
        lakewatch.addr()
    );
    while now_s() < started + WARMUP_S {
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let now = now_s();
    let sample_ts = match prom.api.scalar_value("timestamp(up)", now).await {
        Some(t) => t,
        None => panic!(
            "Prometheus has no `up` sample after {WARMUP_S}s\n{}",
            prom.log_tail()
        ),
    };
    let t = evaluation_time(now, sample_ts, 4.0);
    // Wait until Prometheus has sent (and Lakewatch acknowledged) every sample up to t.
    let mut synced = false;
    for _ in 0..60 {
        if let Some(sent) = prom.highest_sent(now_s()).await {
            if sent >= t + 1.0 {
                synced = true;
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    if !synced {
        println!("[{label}] WARNING: Prometheus had not confirmed sending up to {t} after 30 s");
    }
    match lakewatch.backend().compact_once().await {
        Ok(s) => println!("[{label}] compaction before queries: {s}"),
        Err(e) => println!("[{label}] compaction before queries failed: {e}"),
    }
    let prom_api = prom.api.clone();
    let lw_api = PromApi::new(&lakewatch.base_url(), Some(TENANT));
    let mut report = Report::default();
    let at = t - 7.0;
    for expr in expressions(at) {
        compare_one(&prom_api, &lw_api, "instant", &expr, None, t, &mut report).await;
        let range = Some((t - RANGE_S, t, STEP_S));
        compare_one(&prom_api, &lw_api, "range", &expr, range, t, &mut report).await;
    }
    let exprs = report.total / 2;
    for (path, selector) in metadata_calls() {
        let mut params = vec![
            ("start", crate::client::ts(t - RANGE_S)),
            ("end", crate::client::ts(t)),
        ];
        if let Some(m) = selector {
            params.push(("match[]", m.to_string()));
        }
        let what = format!("{path} match[]={}", selector.unwrap_or(""));
        let (e, a) = (
            prom_api.get(path, &params).await,
            lw_api.get(path, &params).await,
        );
        report.total += 1;
        let outcome = match (e, a) {
            (Ok(e), Ok(a)) => match (e.data(), a.data()) {
                (Some(ed), Some(ad)) => compare_sets(ed, ad),
                _ => Err(format!(
                    "Prometheus: {:?}, Lakewatch: {:?}",
                    e.error(),
                    a.error()
                )),
            },
            (e, a) => Err(format!("call failed: {:?} / {:?}", e.err(), a.err())),
        };
        match outcome {
            Ok(()) => {
                report.matched += 1;
                println!("MATCH     meta    {what}");
            }
            Err(msg) => {
                println!("MISMATCH  meta    {what}\n          {msg}");
                report.mismatches.push(format!("[meta] {what}: {msg}"));
            }
        }
    }
    println!(
        "[{label}] {}/{} comparisons match Prometheus ({exprs} expressions as instant and range \
         queries, {} metadata calls; evaluated at {t})",
        report.matched,
        report.total,
        report.total - 2 * exprs
    );
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evaluation_time_is_between_scrapes() {
        let t = evaluation_time(1000.9, 990.123, 4.0);
        assert!((t - 995.623).abs() < 1e-9, "{t}");
        assert!(t <= 1000.9 - 4.0);
    }
}
