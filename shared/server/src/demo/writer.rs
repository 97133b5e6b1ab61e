//! Sends demo series through the real remote-write handler (`POST /api/v1/write`).

use crate::backend::{encode_remote_write_v1, Backend};
use bytes::Bytes;
use lakewatch_model::{Labels, MetricsBatch, TimeSeries};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Writes demo batches and logs failures once per change of state (not once per request).
pub struct DemoWriter {
    backend: Arc<Backend>,
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
    pub fn new(backend: Arc<Backend>) -> Self {
        DemoWriter {
            backend,
            failing: false,
        }
    }

    /// Encodes `series` as one remote-write 1.0 request and posts it to the local handler.
    /// Returns the number of samples acknowledged (0 on failure).
    pub async fn write(&mut self, series: Vec<TimeSeries>) -> usize {
        let batch = MetricsBatch {
            series: merge(series),
            metadata: super::catalog::metadata(),
        };
        let samples = batch.sample_count();
        let body = encode_remote_write_v1(&batch);
        let req = http::Request::builder()
            .method(http::Method::POST)
            .uri("/api/v1/write")
            .header(http::header::CONTENT_TYPE, "application/x-protobuf")
            .header(http::header::CONTENT_ENCODING, "snappy")
            .header("X-Prometheus-Remote-Write-Version", "0.1.0")
            .header(http::header::USER_AGENT, "lakewatch-demo")
            .body(body);
        let req = match req {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(error = %e, "demo: cannot build request");
                return 0;
            }
        };
        let resp = self.backend.handle(req).await;
        if resp.status().is_success() {
            if self.failing {
                tracing::info!("demo: writes succeed again");
            }
            self.failing = false;
            samples
        } else {
            if !self.failing {
                tracing::warn!(
                    status = resp.status().as_u16(),
                    body = %String::from_utf8_lossy(resp.body()),
                    "demo: remote write refused (further failures are logged at debug level)"
                );
            } else {
                tracing::debug!(
                    status = resp.status().as_u16(),
                    "demo: remote write refused"
                );
            }
            self.failing = true;
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
