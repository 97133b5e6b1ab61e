//! A storage failure is a retryable 500 and nothing is acknowledged.

mod common;
use bytes::Bytes;
use lakewatch_ingest::{encode_v1, handle, IngestContext, IngestLimits};
use lakewatch_model::{Labels, MetricsBatch, Sample, TimeSeries};
use lakewatch_storage::{AuthConfig, Store};
use std::sync::Arc;

#[tokio::test]
async fn storage_failure_is_500() {
    // A store rooted at a regular file: every PUT fails (not a directory).
    let file =
        std::env::temp_dir().join(format!("lakewatch-ingest-not-a-dir-{}", std::process::id()));
    std::fs::write(&file, b"x").unwrap();
    let fs = object_store::local::LocalFileSystem::new_with_prefix(&file).unwrap();
    let ctx = IngestContext::new(
        Store::new(Arc::new(fs), ""),
        AuthConfig::disabled(),
        IngestLimits::default(),
    );
    let batch = MetricsBatch {
        series: vec![TimeSeries {
            labels: Labels::from_pairs([("__name__", "up")]),
            samples: vec![Sample {
                timestamp_ms: common::now_ms(),
                value: 1.0,
            }],
            ..Default::default()
        }],
        metadata: vec![],
    };
    let req = http::Request::post("/api/v1/write")
        .header("content-type", "application/x-protobuf")
        .header("content-encoding", "snappy")
        .body(Bytes::from(encode_v1(&batch)))
        .unwrap();
    let r = handle(req, &ctx).await;
    let _ = std::fs::remove_file(&file);
    assert_eq!(r.status(), 500, "{:?}", r.body());
    assert!(String::from_utf8_lossy(r.body()).contains("storage error (retry later)"));
}
