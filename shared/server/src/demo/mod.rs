//! Demo traffic: an AI gateway's metrics (HTTP golden signals, model providers, tokens, Redis,
//! rate limiter) written every `interval` through the real remote-write ingest path, and one
//! JSON log line per simulated request pushed through the real Loki push path ([`logs`]; the
//! lines carry the `trace_id` of the request's exemplars), after a backfill of the last
//! `backfill` so dashboards and Explore have data at once.
//!
//! Everything is written for the default tenant (`anonymous`), so a Grafana datasource without
//! credentials sees it.

pub mod catalog;
pub mod logs;
pub mod random;
pub mod requests;
pub mod sim;
pub mod writer;

use crate::backend::Backend;
use sim::Simulator;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::watch;

/// Seed of the demo simulator: the same seed gives the same traffic for the same timestamps.
pub const DEFAULT_SEED: u64 = 0x1a4e_3a7c;

/// How many simulated steps go into one backfill write request (40 × 15 s = 10 minutes).
pub const BACKFILL_STEPS_PER_WRITE: usize = 40;

/// Demo settings.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Spacing of samples (a scrape interval).
    pub interval: Duration,
    /// History to write at start.
    pub backfill: Duration,
    /// Simulator seed.
    pub seed: u64,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Writes the backfill, then one step every `opts.interval` until `stop` turns `true`.
pub async fn run(backend: Arc<Backend>, opts: DemoOptions, mut stop: watch::Receiver<bool>) {
    let step_ms = opts.interval.as_millis().max(1) as i64;
    let step_s = step_ms as f64 / 1000.0;
    let mut sim = Simulator::new(opts.seed);
    let mut w = writer::DemoWriter::new(backend.clone());
    let mut lw = logs::LogsWriter::new(backend.clone());
    let now = now_ms();
    let mut t = (now - opts.backfill.as_millis() as i64) / step_ms * step_ms;
    if let Some(last) = writer::last_demo_timestamp(&backend, now).await {
        if last + step_ms > t {
            t = last + step_ms;
        }
    }
    // Backfill up to now, BACKFILL_STEPS_PER_WRITE steps per request.
    let mut pending = Vec::new();
    let mut steps = 0;
    let mut written = 0usize;
    let mut lines = 0usize;
    while t <= now {
        pending.extend(sim.step(t, step_s));
        steps += 1;
        t += step_ms;
        if steps == BACKFILL_STEPS_PER_WRITE {
            written += w.write(std::mem::take(&mut pending)).await;
            lines += lw.write(&sim.take_requests()).await;
            steps = 0;
            if *stop.borrow() {
                return;
            }
        }
    }
    if !pending.is_empty() {
        written += w.write(pending).await;
        lines += lw.write(&sim.take_requests()).await;
    }
    if written > 0 || lines > 0 {
        tracing::info!(
            samples = written,
            log_lines = lines,
            "demo backfill written"
        );
    }
    // Live: one step at each multiple of the interval.
    loop {
        let wait = (t - now_ms()).max(0) as u64;
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(wait)) => {}
            _ = stop.changed() => {}
        }
        if *stop.borrow() {
            return;
        }
        let series = sim.step(t, step_s);
        w.write(series).await;
        lw.write(&sim.take_requests()).await;
        t += step_ms;
        // After a long pause (laptop sleep), skip ahead instead of bursting.
        let now = now_ms();
        if now - t > 10 * step_ms {
            t = now / step_ms * step_ms + step_ms;
        }
    }
}
