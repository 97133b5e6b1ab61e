//! Log limits from `LAKEWATCH_LOGS_*` variables, and acknowledgement only after a durable
//! write: a storage failure is a retryable 500 (503 for OTLP) even when part of the request
//! was also invalid.

mod loki_common;

use bytes::Bytes;
use lakewatch_ingest::otlp::logs_decode::RpcStatus;
use lakewatch_ingest::{handle, IngestContext, IngestLimits};
use lakewatch_storage::{AuthConfig, Store};
use prost::Message;
use std::collections::HashMap;
use std::sync::Arc;

#[test]
fn logs_limits_from_env() {
    let (d, _) = IngestLimits::from_lookup(|_| None);
    assert_eq!(d.logs.max_line_size, 262_144);
    assert_eq!(d.logs.max_label_names_per_series, 15);
    assert_eq!(d.logs.reject_old_samples_max_age_ms, 7 * 24 * 3_600_000);
    assert_eq!(d.logs.creation_grace_period_ms, 600_000);
    assert!(d.logs.discover_log_levels);
    assert_eq!(d.logs.discover_service_name[0], "service");
    let vars: HashMap<&str, &str> = [
        ("LAKEWATCH_LOGS_MAX_LINE_SIZE", "1MiB"),
        ("LAKEWATCH_LOGS_MAX_LABELS", "30"),
        ("LAKEWATCH_LOGS_MAX_STREAMS_PER_REQUEST", "many"),
        ("LAKEWATCH_LOGS_REJECT_OLD_SAMPLES_MAX_AGE_MS", "0"),
        ("LAKEWATCH_LOGS_DISCOVER_LOG_LEVELS", "false"),
        ("LAKEWATCH_LOGS_DISCOVER_SERVICE_NAME", "app, job"),
    ]
    .into_iter()
    .collect();
    let (l, w) = IngestLimits::from_lookup(|k| vars.get(k).map(|s| s.to_string()));
    assert_eq!(l.logs.max_line_size, 1 << 20);
    assert_eq!(l.logs.max_label_names_per_series, 30);
    assert_eq!(l.logs.max_streams_per_request, 10_000);
    assert_eq!(w.len(), 1);
    assert!(w[0].contains("LAKEWATCH_LOGS_MAX_STREAMS_PER_REQUEST"));
    assert_eq!(l.logs.reject_old_samples_max_age_ms, 0);
    assert!(!l.logs.discover_log_levels);
    assert_eq!(l.logs.discover_service_name, vec!["app", "job"]);
}

#[tokio::test]
async fn too_many_streams_refuses_request() {
    let mut limits = IngestLimits::default();
    limits.logs.max_streams_per_request = 2;
    let e = loki_common::env_with(limits);
    let t = loki_common::now_ns().to_string();
    let b = serde_json::json!({"streams": [
        {"stream": {"a": "1"}, "values": [[t, "x"]]},
        {"stream": {"a": "2"}, "values": [[t, "x"]]},
        {"stream": {"a": "3"}, "values": [[t, "x"]]}
    ]});
    let r = e.push_json(&b.to_string()).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        "too many streams in request: 3 (limit 2, LAKEWATCH_LOGS_MAX_STREAMS_PER_REQUEST)\n"
    );
    assert!(e.lines("anonymous").await.is_empty());
}

fn broken_ctx(tag: &str) -> (IngestContext, std::path::PathBuf) {
    // A store rooted at a regular file: every PUT fails (not a directory).
    let file = std::env::temp_dir().join(format!(
        "lakewatch-logs-not-a-dir-{tag}-{}",
        std::process::id()
    ));
    std::fs::write(&file, b"x").unwrap();
    let fs = object_store::local::LocalFileSystem::new_with_prefix(&file).unwrap();
    let ctx = IngestContext::new(
        Store::new(Arc::new(fs), ""),
        AuthConfig::disabled(),
        IngestLimits::default(),
    );
    (ctx, file)
}

#[tokio::test]
async fn storage_failure_is_500_not_ack() {
    let (ctx, file) = broken_ctx("push");
    let t = loki_common::now_ns();
    let b = serde_json::json!({"streams": [{"stream": {"app": "a"}, "values": [
        [t.to_string(), "valid"],
        [(t - 30 * 24 * 3600 * 1_000_000_000i64).to_string(), "too old"]
    ]}]});
    let req = http::Request::post("/loki/api/v1/push")
        .header("content-type", "application/json")
        .body(Bytes::from(b.to_string()))
        .unwrap();
    let r = handle(req, &ctx).await;
    assert_eq!(r.status(), 500, "{:?}", r.body());
    assert!(String::from_utf8_lossy(r.body()).contains("storage error (retry later)"));

    let otlp = opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest {
        resource_logs: vec![opentelemetry_proto::tonic::logs::v1::ResourceLogs {
            scope_logs: vec![opentelemetry_proto::tonic::logs::v1::ScopeLogs {
                log_records: vec![opentelemetry_proto::tonic::logs::v1::LogRecord {
                    time_unix_nano: t as u64,
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    let req = http::Request::post("/otlp/v1/logs")
        .header("content-type", "application/x-protobuf")
        .body(Bytes::from(otlp.encode_to_vec()))
        .unwrap();
    let r = handle(req, &ctx).await;
    let _ = std::fs::remove_file(&file);
    assert_eq!(r.status(), 503);
    let st = RpcStatus::decode(r.body().as_ref()).unwrap();
    assert!(
        st.message.contains("storage error (retry later)"),
        "{}",
        st.message
    );
}
