//! Sends demo series through the remote-write handler (`POST /api/v1/write`), in-process or
//! over HTTP (see [`Sink`]).

use super::sink::{Outgoing, SendError, Sink};
use crate::backend::{encode_remote_write_v1, Backend};
use bytes::Bytes;
use lakewatch_model::{Labels, MetricsBatch, TimeSeries};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Writes demo batches and logs failures once per change of state (not once per request).
pub struct DemoWriter {
    sink: Sink,
    failing: bool,
}

/// Merges one-sample-per-step series into one series per label set (samples in time order).
pub fn merge(series: Vec<TimeSeries>) -> Vec<TimeSeries> {
    let mut by: BTreeMap<Labels, TimeSeries> = BTreeMap::new();
    for s in series {
        match by.get_mut(&s.labels) {
            Some(t) => {
                t.samples.extend(s.samples);
                t.exemplars.extend(s.exemplars);
            }
            None => {
                by.insert(s.labels.clone(), s);
            }
        }
    }
    by.into_values().collect()
}

impl DemoWriter {
    /// Writes to `backend`'s in-process router.
    pub fn new(backend: Arc<Backend>) -> Self {
        Self::with_sink(Sink::local(backend))
    }

    /// Writes to `sink` (in-process or HTTP).
    pub fn with_sink(sink: Sink) -> Self {
        DemoWriter {
            sink,
            failing: false,
        }
    }

    /// Encodes `series` as one remote-write 1.0 request and posts it to `/api/v1/write`.
    /// Returns the number of samples acknowledged (0 on failure).
    pub async fn write(&mut self, series: Vec<TimeSeries>) -> usize {
        let batch = MetricsBatch {
            series: merge(series),
            metadata: super::catalog::metadata(),
        };
        let samples = batch.sample_count();
        if samples == 0 {
            return 0;
        }
        let req = Outgoing {
            path: "/api/v1/write",
            headers: vec![
                ("Content-Type", "application/x-protobuf"),
                ("Content-Encoding", "snappy"),
                ("X-Prometheus-Remote-Write-Version", "0.1.0"),
            ],
            body: encode_remote_write_v1(&batch),
        };
        let result = self.sink.send(req).await;
        report(&mut self.failing, "remote write", result.map(|_| samples))
    }
}

/// Logs a writer's failure once per change of state (a `warn` with the error when a signal
/// starts failing, `info` when it succeeds again, `debug` in between); returns the count to
/// acknowledge (0 on failure).
pub fn report(failing: &mut bool, what: &str, result: Result<usize, SendError>) -> usize {
    match result {
        Ok(n) => {
            if *failing {
                tracing::info!("demo: {what} succeeds again");
            }
            *failing = false;
            n
        }
        Err(e) => {
            if !*failing {
                tracing::warn!(error = %e, "demo: {what} refused (further failures are logged at debug level)");
            } else {
                tracing::debug!(error = %e, "demo: {what} refused");
            }
            *failing = true;
            0
        }
    }
}

/// The newest demo sample timestamp (ms) in the last hour, asked through the query API, so a
/// restart continues where the previous run stopped instead of writing the same hour twice.
/// `None` when there is none or the query fails.
pub async fn last_demo_timestamp(backend: &Backend, now_ms: i64) -> Option<i64> {
    let q = "max(max_over_time(timestamp(up{job=\"ai-gateway\"})[1h:15s]))";
    let uri = format!(
        "/api/v1/query?query={}&time={}",
        encode_query_component(q),
        now_ms as f64 / 1000.0
    );
    let req = http::Request::builder()
        .method(http::Method::GET)
        .uri(uri)
        .body(Bytes::new())
        .ok()?;
    let resp = backend.handle(req).await;
    if !resp.status().is_success() {
        return None;
    }
    let v: serde_json::Value = serde_json::from_slice(resp.body()).ok()?;
    let s = v["data"]["result"][0]["value"][1].as_str()?;
    let secs: f64 = s.parse().ok()?;
    secs.is_finite().then_some((secs * 1000.0).round() as i64)
}

/// Percent-encodes a query-string component (RFC 3986 unreserved characters kept).
pub fn encode_query_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
