//! OTLP logs (`POST /otlp/v1/logs`) with Loki's OTLP→label mapping, in protobuf and JSON,
//! plus gzip and the error responses (`google.rpc.Status` bodies, as Loki's `OTLPError`).

mod loki_common;

use lakewatch_ingest::otlp::logs_decode::RpcStatus;
use lakewatch_model::Labels;
use loki_common::*;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{
    any_value::Value as Av, AnyValue, InstrumentationScope, KeyValue, KeyValueList,
};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::resource::v1::Resource;
use prost::Message;

const T: &str = "anonymous";
const PB: (&str, &str) = ("Content-Type", "application/x-protobuf");

fn s(v: &str) -> Option<AnyValue> {
    Some(AnyValue {
        value: Some(Av::StringValue(v.into())),
    })
}

fn kv(k: &str, v: Option<AnyValue>) -> KeyValue {
    KeyValue {
        key: k.into(),
        value: v,
        ..Default::default()
    }
}

fn int(i: i64) -> Option<AnyValue> {
    Some(AnyValue {
        value: Some(Av::IntValue(i)),
    })
}

fn request(t: u64) -> ExportLogsServiceRequest {
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: Some(Resource {
                attributes: vec![
                    kv("service.name", s("checkout")),
                    kv("k8s.pod.name", s("pod-1")),
                    kv("deployment.environment", s("prod")),
                    kv("host.name", s("h1")),
                ],
                ..Default::default()
            }),
            scope_logs: vec![ScopeLogs {
                scope: Some(InstrumentationScope {
                    name: "my.lib".into(),
                    version: "1.2".into(),
                    attributes: vec![kv("scope.attr", s("sa"))],
                    ..Default::default()
                }),
                log_records: vec![
                    LogRecord {
                        time_unix_nano: t,
                        observed_time_unix_nano: t + 5,
                        severity_number: 17,
                        severity_text: "ERROR".into(),
                        body: s("payment failed"),
                        attributes: vec![
                            kv("http.status_code", int(500)),
                            kv(
                                "req",
                                Some(AnyValue {
                                    value: Some(Av::KvlistValue(KeyValueList {
                                        values: vec![kv("method", s("GET"))],
                                    })),
                                }),
                            ),
                        ],
                        trace_id: (1..=16).collect(),
                        span_id: (1..=8).collect(),
                        event_name: "pay".into(),
                        flags: 1,
                        ..Default::default()
                    },
                    LogRecord {
                        observed_time_unix_nano: t + 1,
                        severity_number: 9,
                        body: Some(AnyValue {
                            value: Some(Av::KvlistValue(KeyValueList {
                                values: vec![kv("k", int(1))],
                            })),
                        }),
                        ..Default::default()
                    },
                ],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

fn check_mapping(streams: &[lakewatch_model::LogStream], t: i64) {
    assert_eq!(streams.len(), 1);
    let st = &streams[0];
    assert_eq!(
        st.labels,
        Labels::from_pairs([
            ("deployment_environment", "prod"),
            ("k8s_pod_name", "pod-1"),
            ("service_name", "checkout"),
        ])
    );
    assert_eq!(st.entries.len(), 2);
    let e0 = &st.entries[0];
    assert_eq!(e0.timestamp_ns, t);
    assert_eq!(e0.line, "payment failed");
    let want = Labels::from_pairs([
        ("host_name", "h1"),
        ("scope_attr", "sa"),
        ("scope_name", "my.lib"),
        ("scope_version", "1.2"),
        ("http_status_code", "500"),
        ("req_method", "GET"),
        ("observed_timestamp", &(t + 5).to_string()),
        ("severity_number", "17"),
        ("severity_text", "ERROR"),
        ("flags", "1"),
        ("trace_id", "0102030405060708090a0b0c0d0e0f10"),
        ("span_id", "0102030405060708"),
        ("event_name", "pay"),
        ("detected_level", "error"),
    ]);
    assert_eq!(e0.structured_metadata, want);
    let e1 = &st.entries[1];
    assert_eq!(
        e1.timestamp_ns,
        t + 1,
        "observed time when time_unix_nano is 0"
    );
    assert_eq!(e1.line, "{\"k\":1}");
    assert_eq!(e1.structured_metadata.get("observed_timestamp"), None);
    assert_eq!(e1.structured_metadata.get("detected_level"), Some("info"));
}

#[tokio::test]
async fn protobuf_mapping_as_loki() {
    let e = env();
    let t = now_ns() - 1_000_000_000;
    let r = e
        .send(
            "POST",
            "/otlp/v1/logs",
            &[PB],
            request(t as u64).encode_to_vec(),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert!(r.raw.is_empty());
    check_mapping(&e.streams(T).await, t);
}

#[tokio::test]
async fn json_mapping_as_loki_with_gzip() {
    let e = env();
    let t = now_ns() - 1_000_000_000;
    // OTLP/JSON as SDKs send it: hex ids, string int64s, enum names.
    let body = serde_json::json!({"resourceLogs": [{
        "resource": {"attributes": [
            {"key": "service.name", "value": {"stringValue": "checkout"}},
            {"key": "k8s.pod.name", "value": {"stringValue": "pod-1"}},
            {"key": "deployment.environment", "value": {"stringValue": "prod"}},
            {"key": "host.name", "value": {"stringValue": "h1"}}
        ]},
        "scopeLogs": [{
            "scope": {"name": "my.lib", "version": "1.2",
                      "attributes": [{"key": "scope.attr", "value": {"stringValue": "sa"}}]},
            "logRecords": [
                {"timeUnixNano": t.to_string(), "observedTimeUnixNano": (t + 5).to_string(),
                 "severityNumber": "SEVERITY_NUMBER_ERROR", "severityText": "ERROR",
                 "body": {"stringValue": "payment failed"},
                 "attributes": [
                    {"key": "http.status_code", "value": {"intValue": "500"}},
                    {"key": "req", "value": {"kvlistValue": {"values": [{"key": "method", "value": {"stringValue": "GET"}}]}}}
                 ],
                 "traceId": "0102030405060708090a0b0c0d0e0f10", "spanId": "0102030405060708",
                 "eventName": "pay", "flags": 1},
                {"observedTimeUnixNano": (t + 1).to_string(), "severityNumber": 9,
                 "body": {"kvlistValue": {"values": [{"key": "k", "value": {"intValue": 1}}]}}}
            ]
        }]
    }]});
    let r = e
        .send(
            "POST",
            "/otlp/v1/logs",
            &[
                ("Content-Type", "application/json"),
                ("Content-Encoding", "gzip"),
            ],
            gzip(body.to_string().as_bytes()),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    check_mapping(&e.streams(T).await, t);
}

#[tokio::test]
async fn service_name_discovery_and_unknown() {
    let e = env();
    let t = now_ns() as u64;
    let mut req = request(t);
    req.resource_logs[0].resource = Some(Resource {
        attributes: vec![kv("k8s.container.name", s("web"))],
        ..Default::default()
    });
    let mut other = req.resource_logs[0].clone();
    other.resource = Some(Resource {
        attributes: vec![kv("host.name", s("h2"))],
        ..Default::default()
    });
    req.resource_logs.push(other);
    let r = e
        .send("POST", "/otlp/v1/logs", &[PB], req.encode_to_vec())
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let mut labels: Vec<Labels> = e.streams(T).await.into_iter().map(|s| s.labels).collect();
    labels.sort();
    assert_eq!(
        labels,
        vec![
            Labels::from_pairs([("k8s_container_name", "web"), ("service_name", "web")]),
            Labels::from_pairs([("service_name", "unknown_service")]),
        ]
    );
}

fn status_message(raw: &[u8]) -> String {
    RpcStatus::decode(raw)
        .expect("google.rpc.Status body")
        .message
}

#[tokio::test]
async fn errors_as_loki_otlp() {
    let e = env();
    let r = e
        .send(
            "POST",
            "/otlp/v1/logs",
            &[("Content-Type", "text/plain")],
            b"x".to_vec(),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.headers["content-type"], "application/octet-stream");
    assert_eq!(
        status_message(&r.raw),
        "content type: text/plain is not supported"
    );
    let r = e
        .send("POST", "/otlp/v1/logs", &[PB], vec![0x0a, 0xff])
        .await;
    assert_eq!(r.status, 400);
    assert!(status_message(&r.raw).starts_with("proto: ExportLogsServiceRequest: "));
    let r = e
        .send(
            "POST",
            "/otlp/v1/logs",
            &[PB],
            ExportLogsServiceRequest::default().encode_to_vec(),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(
        status_message(&r.raw),
        "error at least one valid stream is required for ingestion"
    );
    let r = e
        .send(
            "POST",
            "/otlp/v1/logs",
            &[PB, ("Content-Encoding", "br")],
            vec![],
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(e.lines(T).await.is_empty());
}

#[tokio::test]
async fn too_old_record_rejected_rest_kept() {
    let e = env();
    let now = now_ns() as u64;
    let mut req = request(now);
    req.resource_logs[0].scope_logs[0].log_records[1].observed_time_unix_nano =
        now - 30 * 24 * 3600 * 1_000_000_000;
    let r = e
        .send("POST", "/otlp/v1/logs", &[PB], req.encode_to_vec())
        .await;
    assert_eq!(r.status, 400);
    let msg = status_message(&r.raw);
    assert!(
        msg.starts_with("entry for stream '{deployment_environment=\"prod\", k8s_pod_name=\"pod-1\", service_name=\"checkout\"}' has timestamp too old: "),
        "{msg}"
    );
    assert_eq!(e.lines(T).await, vec!["payment failed"]);
}

#[tokio::test]
async fn zstd_protobuf() {
    let e = env();
    let t = now_ns() - 1_000_000_000;
    let body = zstd::stream::encode_all(request(t as u64).encode_to_vec().as_slice(), 3).unwrap();
    let r = e
        .send(
            "POST",
            "/otlp/v1/logs",
            &[PB, ("Content-Encoding", "zstd")],
            body,
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    check_mapping(&e.streams(T).await, t);
}
