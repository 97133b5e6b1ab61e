//! Push request bodies from a [`LogsBatch`] (for clients, the demo traffic and benchmarks):
//! the snappy protobuf body Promtail/Alloy send and the JSON v1 body.

use super::labels::labels_string;
use super::proto::{EntryAdapter, LabelPairAdapter, PushRequest, StreamAdapter, Timestamp};
use lakewatch_model::LogsBatch;
use prost::Message;

/// The `logproto.PushRequest` of a batch: stream labels in Prometheus text form, timestamps
/// split into seconds + nanos, structured metadata as pairs.
pub fn push_request(batch: &LogsBatch) -> PushRequest {
    PushRequest {
        streams: batch
            .streams
            .iter()
            .map(|s| StreamAdapter {
                labels: labels_string(&s.labels),
                entries: s
                    .entries
                    .iter()
                    .map(|e| EntryAdapter {
                        timestamp: Some(Timestamp::from_ns(e.timestamp_ns)),
                        line: e.line.clone(),
                        structured_metadata: e
                            .structured_metadata
                            .iter()
                            .map(|l| LabelPairAdapter {
                                name: l.name.clone(),
                                value: l.value.clone(),
                            })
                            .collect(),
                        parsed: Vec::new(),
                    })
                    .collect(),
                hash: 0,
            })
            .collect(),
        format: String::new(),
    }
}

/// The body of `POST /loki/api/v1/push` with `Content-Type: application/x-protobuf`: the
/// snappy **block**-compressed `PushRequest` of `batch`.
pub fn encode_push_protobuf(batch: &LogsBatch) -> Vec<u8> {
    let raw = push_request(batch).encode_to_vec();
    crate::remote_write::snappy_compress(&raw)
}

/// The JSON v1 body (`Content-Type: application/json`) of `batch`: timestamps as strings of
/// ns, structured metadata as the optional third element.
pub fn encode_push_json(batch: &LogsBatch) -> Vec<u8> {
    use serde_json::{json, Map, Value};
    let streams: Vec<Value> = batch
        .streams
        .iter()
        .map(|s| {
            let stream: Map<String, Value> = s
                .labels
                .iter()
                .map(|l| (l.name.clone(), Value::String(l.value.clone())))
                .collect();
            let values: Vec<Value> = s
                .entries
                .iter()
                .map(|e| {
                    let mut v = vec![
                        Value::String(e.timestamp_ns.to_string()),
                        Value::String(e.line.clone()),
                    ];
                    if !e.structured_metadata.is_empty() {
                        let sm: Map<String, Value> = e
                            .structured_metadata
                            .iter()
                            .map(|l| (l.name.clone(), Value::String(l.value.clone())))
                            .collect();
                        v.push(Value::Object(sm));
                    }
                    Value::Array(v)
                })
                .collect();
            json!({"stream": stream, "values": values})
        })
        .collect();
    serde_json::to_vec(&json!({ "streams": streams })).unwrap_or_default()
}
