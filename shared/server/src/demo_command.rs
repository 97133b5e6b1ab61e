//! `lakewatch demo --url URL`: the demo gateway's traffic (the same generator as `lakewatch
//! dev`, [`crate::demo`]) sent over HTTP to any Lakewatch, local or deployed: metrics by
//! Prometheus remote write (`<url>/api/v1/write`), logs by Loki push (`<url>/loki/api/v1/push`),
//! traces by OTLP/HTTP (`<url>/v1/traces`), with `X-Scope-OrgID` and optional basic auth, at a
//! configurable rate, with a progress line on stderr.

use crate::demo::sim::Simulator;
use crate::demo::sink::{BasicAuth, Sink};
use crate::demo::{self, DemoWriters, Written};
use std::future::Future;
use std::io::Write;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Failed requests in a row (each after its retries) after which the demo stops.
pub const MAX_CONSECUTIVE_FAILURES: u64 = 3;

/// Settings of `lakewatch demo`.
#[derive(Debug, Clone)]
pub struct DemoCommandConfig {
    /// Base URL of the target Lakewatch (`http://127.0.0.1:9009`, an API Gateway URL, …).
    pub url: String,
    /// `X-Scope-OrgID` to send (none: the target's default tenant, `anonymous`).
    pub tenant: Option<String>,
    /// Basic-auth credentials, if the target needs them.
    pub auth: Option<BasicAuth>,
    /// Simulated gateway requests per second (mean over both replicas).
    pub rate: f64,
    /// Stop after this long (None: until Ctrl-C).
    pub duration: Option<Duration>,
    /// History to write first (0: none).
    pub backfill: Duration,
    /// Spacing of metric samples, like a scrape interval (≥ 1 s).
    pub interval: Duration,
    /// Simulator seed.
    pub seed: u64,
    /// Print the progress line on stderr.
    pub progress: bool,
}

impl Default for DemoCommandConfig {
    fn default() -> Self {
        DemoCommandConfig {
            url: "http://127.0.0.1:9009".into(),
            tenant: None,
            auth: None,
            rate: demo::catalog::base_rps(),
            duration: None,
            backfill: Duration::ZERO,
            interval: Duration::from_secs(15),
            seed: demo::DEFAULT_SEED,
            progress: true,
        }
    }
}

/// What `lakewatch demo` sent.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DemoSummary {
    /// Wall time since the start.
    pub elapsed: Duration,
    /// Requests simulated and samples, log lines and spans acknowledged.
    pub written: Written,
    /// Requests to the target that failed after their retries.
    pub errors: u64,
}

/// Why `lakewatch demo` stopped early.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// Bad settings (URL, rate, interval).
    #[error("{0}")]
    Config(String),
    /// The target refused the writes (`<status>: <body>`) or cannot be reached.
    #[error("stopped after {failures} failed request(s): {message}")]
    Target { failures: u64, message: String },
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The progress line: elapsed, requests, samples, log lines, spans, errors.
pub fn progress_line(s: &DemoSummary) -> String {
    let secs = s.elapsed.as_secs();
    format!(
        "elapsed {}:{:02}:{:02}  requests {}  samples {}  log lines {}  spans {}  errors {}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        s.written.requests,
        s.written.samples,
        s.written.log_lines,
        s.written.spans,
        s.errors
    )
}

struct Run {
    sink: Sink,
    writers: DemoWriters,
    sim: Simulator,
    started: Instant,
    total: Written,
    progress: bool,
}

impl Run {
    fn summary(&self) -> DemoSummary {
        DemoSummary {
            elapsed: self.started.elapsed(),
            written: self.total,
            errors: self.sink.errors(),
        }
    }

    fn add(&mut self, w: Written) {
        self.total.requests += w.requests;
        self.total.samples += w.samples;
        self.total.log_lines += w.log_lines;
        self.total.spans += w.spans;
    }

    fn show(&self) {
        if self.progress {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r{}", progress_line(&self.summary()));
            let _ = err.flush();
        }
    }

    /// An error when the target keeps failing or refuses for good (401/403/404/405).
    fn check(&self) -> Result<(), DemoError> {
        let failures = self.sink.consecutive_failures();
        match self.sink.last_error() {
            Some(e) if failures > 0 && (e.is_fatal() || failures >= MAX_CONSECUTIVE_FAILURES) => {
                Err(DemoError::Target {
                    failures,
                    message: e.message,
                })
            }
            _ => Ok(()),
        }
    }

    async fn step(&mut self, t_ms: i64, step_s: f64) -> Result<(), DemoError> {
        let series = self.sim.step(t_ms, step_s);
        let w = self.writers.write(&mut self.sim, series).await;
        self.add(w);
        self.show();
        self.check()
    }
}

/// Runs the demo against `cfg.url` until `cfg.duration` has passed or `stop` completes
/// (Ctrl-C): the backfill if any (up to [`demo::BACKFILL_STEPS_PER_WRITE`] steps per request,
/// fewer above the default rate), else one step at once covering the last interval; then one
/// step every `cfg.interval` and a last partial step when stopping.
/// Errors: [`DemoError::Config`] for a bad URL, rate or interval; [`DemoError::Target`] when the
/// target answers 401/403/404/405 or fails [`MAX_CONSECUTIVE_FAILURES`] requests in a row
/// (429, 5xx and connection errors are retried first, see [`crate::demo::sink`]).
pub async fn run(
    cfg: DemoCommandConfig,
    stop: impl Future<Output = ()>,
) -> Result<DemoSummary, DemoError> {
    if !(cfg.rate.is_finite() && cfg.rate > 0.0) {
        return Err(DemoError::Config(format!(
            "invalid --rate {}: expected requests per second > 0",
            cfg.rate
        )));
    }
    if cfg.interval < Duration::from_secs(1) {
        return Err(DemoError::Config(format!(
            "invalid --interval {:?}: expected at least 1s",
            cfg.interval
        )));
    }
    let sink = Sink::http(&cfg.url, cfg.auth.clone())
        .map_err(DemoError::Config)?
        .with_tenant(cfg.tenant.clone());
    let mut run = Run {
        writers: DemoWriters::with_sink(sink.clone()),
        sink,
        sim: Simulator::new(cfg.seed).with_rate(cfg.rate),
        started: Instant::now(),
        total: Written::default(),
        progress: cfg.progress,
    };
    let result = drive(&mut run, &cfg, stop).await;
    if run.progress {
        run.show();
        eprintln!();
    }
    result.map(|()| run.summary())
}

async fn drive(
    run: &mut Run,
    cfg: &DemoCommandConfig,
    stop: impl Future<Output = ()>,
) -> Result<(), DemoError> {
    let step_ms = cfg.interval.as_millis() as i64;
    let deadline = cfg.duration.map(|d| run.started + d);
    let mut stop = std::pin::pin!(stop);
    let mut last = now_ms();
    if !cfg.backfill.is_zero() {
        let end = last;
        let mut t = (end - cfg.backfill.as_millis() as i64) / step_ms * step_ms;
        // Steps per request: 40 at the default rate, fewer at higher rates so each push
        // stays about the same size.
        let steps = (demo::BACKFILL_STEPS_PER_WRITE as f64 * demo::catalog::base_rps() / cfg.rate)
            .clamp(1.0, demo::BACKFILL_STEPS_PER_WRITE as f64) as i64;
        let chunk = (steps - 1) * step_ms;
        while t <= end {
            let b = demo::backfill(
                &mut run.writers,
                &mut run.sim,
                t,
                (t + chunk).min(end),
                step_ms,
                None,
            )
            .await;
            run.add(b.written);
            run.show();
            run.check()?;
            t = b.next_ms;
            let stopping = futures::FutureExt::now_or_never(stop.as_mut()).is_some();
            if stopping || deadline.is_some_and(|d| Instant::now() >= d) {
                return Ok(());
            }
        }
        last = t - step_ms;
    } else {
        // A first step right away (covering one interval) so the target has data at once.
        run.step(last, cfg.interval.as_secs_f64()).await?;
    }
    let mut next = last + step_ms;
    loop {
        // Wake every second for the progress line, at each step and at the deadline.
        let now = now_ms();
        let mut wait = Duration::from_millis((next - now).clamp(0, 1000) as u64);
        if let Some(d) = deadline {
            wait = wait.min(d.saturating_duration_since(Instant::now()));
        }
        let stopping = tokio::select! {
            _ = tokio::time::sleep(wait) => deadline.is_some_and(|d| Instant::now() >= d),
            _ = stop.as_mut() => true,
        };
        let now = now_ms();
        if stopping {
            // The partial interval since the last step.
            if now > last {
                run.step(now, (now - last) as f64 / 1000.0).await?;
            }
            return Ok(());
        }
        if now >= next {
            run.step(now, (now - last) as f64 / 1000.0).await?;
            last = now;
            next = now + step_ms;
        } else {
            run.show();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_line_has_every_counter() {
        let s = DemoSummary {
            elapsed: Duration::from_secs(3725),
            written: Written {
                requests: 10,
                samples: 20,
                log_lines: 10,
                spans: 25,
            },
            errors: 1,
        };
        assert_eq!(
            progress_line(&s),
            "elapsed 1:02:05  requests 10  samples 20  log lines 10  spans 25  errors 1"
        );
    }

    #[tokio::test]
    async fn bad_settings_are_refused() {
        let cfg = DemoCommandConfig {
            url: "localhost:9009".into(),
            progress: false,
            ..Default::default()
        };
        let e = run(cfg, std::future::pending()).await.unwrap_err();
        assert!(e.to_string().contains("invalid --url"), "{e}");
        let cfg = DemoCommandConfig {
            rate: 0.0,
            progress: false,
            ..Default::default()
        };
        let e = run(cfg, std::future::pending()).await.unwrap_err();
        assert!(e.to_string().contains("invalid --rate"), "{e}");
    }
}
