//! Demo traffic: an AI gateway's metrics (HTTP golden signals, 17 model providers with their
//! models, tokens, cost, circuit breakers, process CPU/memory, Redis, rate limiter; see [`sim`])
//! written every `interval` through the real remote-write ingest path, and one
//! JSON log line per simulated request pushed through the real Loki push path ([`logs`]; the
//! lines carry the `trace_id` of the request's exemplars) and one OTLP trace per simulated
//! request pushed through the real OTLP/HTTP path ([`traces`]; the same trace id: HTTP server
//! span, Redis span, provider call span), after a backfill of the last `backfill` so
//! dashboards and Explore have data at once. A refused write of one signal is logged and never
//! stops the others.
//!
//! `lakewatch dev` writes everything in-process for the default tenant (`anonymous`), so a
//! Grafana datasource without credentials sees it; `lakewatch demo --url` sends the same
//! traffic over HTTP to any Lakewatch ([`sink::Sink::http`], [`crate::demo_command`]).

pub mod breaker;
pub mod catalog;
pub mod logs;
pub mod random;
pub mod requests;
pub mod sim;
pub mod sink;
pub mod traces;
pub mod writer;

use crate::backend::Backend;
use lakewatch_model::TimeSeries;
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

/// The demo's three writers over one backend: metrics (remote write), request logs (Loki push)
/// and request traces (OTLP/HTTP).
pub struct DemoWriters {
    pub metrics: writer::DemoWriter,
    pub logs: logs::LogsWriter,
    pub traces: traces::TracesWriter,
}

/// What a write acknowledged: samples, log lines, spans; and how many requests it simulated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Written {
    /// Simulated gateway requests (one log line and one trace each).
    pub requests: usize,
    pub samples: usize,
    pub log_lines: usize,
    pub spans: usize,
}

impl DemoWriters {
    /// Writers over `backend`'s in-process router (`lakewatch dev`).
    pub fn new(backend: Arc<Backend>) -> Self {
        Self::with_sink(sink::Sink::local(backend))
    }

    /// Writers over `sink` (in-process, or a Lakewatch URL for `lakewatch demo`).
    pub fn with_sink(sink: sink::Sink) -> Self {
        DemoWriters {
            metrics: writer::DemoWriter::with_sink(sink.clone()),
            logs: logs::LogsWriter::with_sink(sink.clone()),
            traces: traces::TracesWriter::with_sink(sink),
        }
    }

    /// Writes `series` and the logs and traces of the requests `sim` simulated since the last
    /// call. Each signal is written even if another one is refused.
    pub async fn write(&mut self, sim: &mut Simulator, series: Vec<TimeSeries>) -> Written {
        let samples = self.metrics.write(series).await;
        let records = sim.take_requests();
        let log_lines = self.logs.write(&records).await;
        let spans = self.traces.write(&records).await;
        Written {
            requests: records.len(),
            samples,
            log_lines,
            spans,
        }
    }
}

/// Result of [`backfill`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Backfill {
    /// The first step (ms since the epoch) not written.
    pub next_ms: i64,
    /// Totals acknowledged.
    pub written: Written,
    /// Whether `stop` turned `true` before the end.
    pub stopped: bool,
}

/// Simulates the steps `from_ms, from_ms + step_ms, …` up to `to_ms` inclusive (ms since the
/// epoch) and writes them [`BACKFILL_STEPS_PER_WRITE`] steps per request of each signal;
/// returns early (with `stopped`) when `stop` is `true` after a write.
pub async fn backfill(
    writers: &mut DemoWriters,
    sim: &mut Simulator,
    from_ms: i64,
    to_ms: i64,
    step_ms: i64,
    stop: Option<&watch::Receiver<bool>>,
) -> Backfill {
    let step_ms = step_ms.max(1);
    let step_s = step_ms as f64 / 1000.0;
    let mut t = from_ms;
    let mut pending = Vec::new();
    let mut steps = 0;
    let mut total = Written::default();
    let mut add = |w: Written| {
        total.requests += w.requests;
        total.samples += w.samples;
        total.log_lines += w.log_lines;
        total.spans += w.spans;
    };
    while t <= to_ms {
        pending.extend(sim.step(t, step_s));
        steps += 1;
        t += step_ms;
        if steps == BACKFILL_STEPS_PER_WRITE {
            add(writers.write(sim, std::mem::take(&mut pending)).await);
            steps = 0;
            if stop.is_some_and(|s| *s.borrow()) {
                return Backfill {
                    next_ms: t,
                    written: total,
                    stopped: true,
                };
            }
        }
    }
    if !pending.is_empty() {
        add(writers.write(sim, pending).await);
    }
    Backfill {
        next_ms: t,
        written: total,
        stopped: false,
    }
}

/// Writes the backfill, then one step every `opts.interval` until `stop` turns `true`.
pub async fn run(backend: Arc<Backend>, opts: DemoOptions, mut stop: watch::Receiver<bool>) {
    let step_ms = opts.interval.as_millis().max(1) as i64;
    let step_s = step_ms as f64 / 1000.0;
    let mut sim = Simulator::new(opts.seed);
    let mut writers = DemoWriters::new(backend.clone());
    let now = now_ms();
    let mut t = (now - opts.backfill.as_millis() as i64) / step_ms * step_ms;
    if let Some(last) = writer::last_demo_timestamp(&backend, now).await {
        if last + step_ms > t {
            t = last + step_ms;
        }
    }
    let b = backfill(&mut writers, &mut sim, t, now, step_ms, Some(&stop)).await;
    if b.stopped {
        return;
    }
    t = b.next_ms;
    let w = b.written;
    if w != Written::default() {
        tracing::info!(
            samples = w.samples,
            log_lines = w.log_lines,
            spans = w.spans,
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
        writers.write(&mut sim, series).await;
        t += step_ms;
        // After a long pause (laptop sleep), skip ahead instead of bursting.
        let now = now_ms();
        if now - t > 10 * step_ms {
            t = now / step_ms * step_ms + step_ms;
        }
    }
}
