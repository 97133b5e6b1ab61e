//! The demo gateway's request logs, pushed through the Loki push handler (in-process or over
//! HTTP, see [`Sink`])
//! (`POST /loki/api/v1/push`, snappy protobuf as Grafana Alloy and Promtail send it).
//!
//! One JSON line per simulated request ([`RequestRecord::line`]) in the stream
//! `{service_name="ai-gateway", job="ai-gateway", instance="gateway-N:8000", level="info|warn|error"}`
//! (6 streams: low cardinality, `job`/`instance` as on the gateway's metrics so Grafana can
//! correlate them), with the request's `trace_id` — the same id its exemplars carry — also as
//! structured metadata, as Loki 3 recommends for high-cardinality fields.

use super::requests::RequestRecord;
use super::sink::{Outgoing, Sink};
use crate::backend::Backend;
use lakewatch_model::{Labels, LogEntry, LogStream, LogsBatch};
use std::collections::BTreeMap;
use std::sync::Arc;

/// `service_name` (and `job`) of the demo logs.
pub const SERVICE_NAME: &str = super::catalog::GATEWAY_JOB;

/// Stream labels of one request's log line.
pub fn stream_labels(r: &RequestRecord) -> Labels {
    Labels::from_pairs([
        ("instance", r.instance),
        ("job", super::catalog::GATEWAY_JOB),
        ("level", r.level()),
        ("service_name", SERVICE_NAME),
    ])
}

/// The push batch of `records`: one stream per label set, entries in time order, `trace_id`
/// as structured metadata.
pub fn batch(records: &[RequestRecord]) -> LogsBatch {
    let mut by: BTreeMap<Labels, Vec<LogEntry>> = BTreeMap::new();
    for r in records {
        by.entry(stream_labels(r)).or_default().push(LogEntry {
            timestamp_ns: r.timestamp_ns,
            line: r.line(),
            structured_metadata: Labels::from_pairs([("trace_id", r.trace_id.as_str())]),
        });
    }
    LogsBatch {
        streams: by
            .into_iter()
            .map(|(labels, mut entries)| {
                entries.sort_by_key(|e| e.timestamp_ns);
                LogStream { labels, entries }
            })
            .collect(),
    }
}

/// Pushes demo request logs; logs failures once per change of state (not once per request).
pub struct LogsWriter {
    sink: Sink,
    failing: bool,
}

impl LogsWriter {
    /// Pushes to `backend`'s in-process router.
    pub fn new(backend: Arc<Backend>) -> Self {
        Self::with_sink(Sink::local(backend))
    }

    /// Pushes to `sink` (in-process or HTTP).
    pub fn with_sink(sink: Sink) -> Self {
        LogsWriter {
            sink,
            failing: false,
        }
    }

    /// Pushes `records` as snappy-protobuf Loki push requests to `/loki/api/v1/push` of at most
    /// [`Sink::max_lines_per_push`] lines. Returns the number of lines acknowledged (0 on failure or
    /// when `records` is empty).
    pub async fn write(&mut self, records: &[RequestRecord]) -> usize {
        let mut acked = 0;
        for part in records.chunks(self.sink.max_lines_per_push().max(1)) {
            acked += self.push(part).await;
        }
        acked
    }

    async fn push(&mut self, records: &[RequestRecord]) -> usize {
        if records.is_empty() {
            return 0;
        }
        let batch = batch(records);
        let req = Outgoing {
            path: "/loki/api/v1/push",
            headers: vec![("Content-Type", "application/x-protobuf")],
            body: bytes::Bytes::from(lakewatch_ingest::loki::encode_push_protobuf(&batch)),
        };
        let result = self.sink.send(req).await;
        super::writer::report(&mut self.failing, "log push", result.map(|_| records.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::sim::Simulator;

    #[test]
    fn one_entry_per_request_in_few_sorted_streams() {
        let mut sim = Simulator::new(9);
        let t0 = 1_700_000_000_000;
        let mut records = Vec::new();
        for i in 0..8 {
            sim.step(t0 + i * 15_000, 15.0);
            records.extend(sim.take_requests());
        }
        let b = batch(&records);
        assert_eq!(b.entry_count(), records.len());
        assert!(b.streams.len() <= 6, "{}", b.streams.len());
        for s in &b.streams {
            assert_eq!(s.labels.get("service_name"), Some("ai-gateway"));
            assert!(s
                .entries
                .windows(2)
                .all(|w| w[0].timestamp_ns <= w[1].timestamp_ns));
            for e in &s.entries {
                let id = e.structured_metadata.get("trace_id").unwrap();
                assert!(e.line.contains(id));
                assert!(e
                    .line
                    .contains(&format!("\"level\":\"{}\"", s.labels.get("level").unwrap())));
            }
        }
        // Entries fall inside the simulated steps.
        let ts: Vec<i64> = records.iter().map(|r| r.timestamp_ns).collect();
        assert!(ts
            .iter()
            .all(|t| *t > (t0 - 15_000) * 1_000_000 && *t < (t0 + 8 * 15_000) * 1_000_000));
    }
}
