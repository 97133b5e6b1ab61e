//! Remote write 2.0: symbols, label refs, metadata, exemplars, histograms, `*-Written` headers,
//! and the spec's partial-write behaviour (400 with the counts of what was written).

mod common;
use common::*;
use lakewatch_ingest::remote_write::proto::{histogram::Count, BucketSpan};
use lakewatch_ingest::remote_write::proto_v2 as v2;
use lakewatch_ingest::remote_write::snappy_compress;
use lakewatch_model::{Labels, MetricMetadata, MetricType, Sample};
use prost::Message;

const V2: &[(&str, &str)] = &[
    (
        "content-type",
        "application/x-protobuf;proto=io.prometheus.write.v2.Request",
    ),
    ("content-encoding", "snappy"),
    ("x-prometheus-remote-write-version", "2.0.0"),
];

fn symbols() -> Vec<String> {
    [
        "",
        "__name__",
        "http_requests_total",
        "job",
        "api",
        "Requests served.",
        "trace_id",
        "abc",
        "latency_seconds",
        "seconds",
        "code",
        "200",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn written(r: &Resp) -> (String, String, String) {
    let h = |n: &str| {
        r.headers
            .get(n)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    (
        h("X-Prometheus-Remote-Write-Samples-Written"),
        h("X-Prometheus-Remote-Write-Histograms-Written"),
        h("X-Prometheus-Remote-Write-Exemplars-Written"),
    )
}

fn enc(req: &v2::Request) -> Vec<u8> {
    snappy_compress(&req.encode_to_vec())
}

#[tokio::test]
async fn v2_round_trip_with_symbols() {
    let e = env();
    let t = now_ms() - 30_000;
    let req = v2::Request {
        symbols: symbols(),
        timeseries: vec![
            v2::TimeSeries {
                labels_refs: vec![1, 2, 10, 11, 3, 4],
                samples: vec![
                    v2::Sample {
                        value: 1.0,
                        timestamp: t,
                        start_timestamp: t - 1000,
                    },
                    v2::Sample {
                        value: 2.0,
                        timestamp: t + 1000,
                        start_timestamp: 0,
                    },
                ],
                exemplars: vec![v2::Exemplar {
                    labels_refs: vec![6, 7],
                    value: 1.0,
                    timestamp: t,
                }],
                metadata: Some(v2::Metadata {
                    r#type: v2::MetricType::Counter as i32,
                    help_ref: 5,
                    unit_ref: 0,
                }),
                ..Default::default()
            },
            v2::TimeSeries {
                labels_refs: vec![1, 8, 3, 4],
                histograms: vec![v2::Histogram {
                    count: Some(Count::CountInt(3)),
                    sum: 1.5,
                    schema: 0,
                    positive_spans: vec![BucketSpan {
                        offset: 0,
                        length: 2,
                    }],
                    positive_deltas: vec![1, 1],
                    timestamp: t,
                    start_timestamp: t - 5000,
                    ..Default::default()
                }],
                metadata: Some(v2::Metadata {
                    r#type: v2::MetricType::Histogram as i32,
                    help_ref: 0,
                    unit_ref: 9,
                }),
                ..Default::default()
            },
        ],
    };
    let r = e.send("POST", "/api/v1/write", V2, enc(&req)).await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(written(&r), ("2".into(), "1".into(), "1".into()));
    let got = e.all_series("anonymous").await;
    assert_eq!(got.len(), 2);
    let c = got
        .iter()
        .find(|s| s.labels.metric_name() == Some("http_requests_total"))
        .unwrap();
    assert_eq!(
        c.labels,
        Labels::from_pairs([
            ("__name__", "http_requests_total"),
            ("code", "200"),
            ("job", "api")
        ])
    );
    assert_eq!(
        c.samples,
        vec![
            Sample {
                timestamp_ms: t,
                value: 1.0
            },
            Sample {
                timestamp_ms: t + 1000,
                value: 2.0
            }
        ]
    );
    let h = got
        .iter()
        .find(|s| s.labels.metric_name() == Some("latency_seconds"))
        .unwrap();
    assert_eq!(h.histograms[0].1.positive_buckets, vec![1.0, 2.0]);
    let ex = e.exemplars("anonymous").await;
    assert_eq!(ex[0].1[0].labels, Labels::from_pairs([("trace_id", "abc")]));
    let md = e.metadata("anonymous").await;
    assert_eq!(
        md,
        vec![
            MetricMetadata {
                metric_family_name: "http_requests_total".into(),
                metric_type: MetricType::Counter,
                help: "Requests served.".into(),
                unit: "".into()
            },
            MetricMetadata {
                metric_family_name: "latency_seconds".into(),
                metric_type: MetricType::Histogram,
                help: "".into(),
                unit: "seconds".into()
            },
        ]
    );
}

#[tokio::test]
async fn v2_partial_write_is_400_with_counts() {
    let e = env();
    let t = now_ms();
    let req = v2::Request {
        symbols: symbols(),
        timeseries: vec![
            v2::TimeSeries {
                labels_refs: vec![1, 2],
                samples: vec![v2::Sample {
                    value: 1.0,
                    timestamp: t,
                    start_timestamp: 0,
                }],
                ..Default::default()
            },
            v2::TimeSeries {
                labels_refs: vec![3, 4],
                samples: vec![v2::Sample {
                    value: 1.0,
                    timestamp: t,
                    start_timestamp: 0,
                }],
                ..Default::default()
            },
            v2::TimeSeries {
                labels_refs: vec![1, 99],
                samples: vec![v2::Sample {
                    value: 1.0,
                    timestamp: t,
                    start_timestamp: 0,
                }],
                ..Default::default()
            },
            v2::TimeSeries {
                labels_refs: vec![1, 8],
                ..Default::default()
            },
        ],
    };
    let r = e.send("POST", "/api/v1/write", V2, enc(&req)).await;
    assert_eq!(r.status, 400);
    assert!(
        r.body
            .contains(r#"series {job="api"}: missing metric name"#),
        "{}",
        r.body
    );
    assert!(
        r.body.contains("symbol reference 99 out of range"),
        "{}",
        r.body
    );
    assert!(
        r.body
            .contains(r#"series {__name__="latency_seconds"}: has neither samples nor histograms"#),
        "{}",
        r.body
    );
    assert_eq!(written(&r), ("1".into(), "0".into(), "0".into()));
    let got = e.all_series("anonymous").await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].labels.metric_name(), Some("http_requests_total"));
}

#[tokio::test]
async fn v2_errors_carry_written_headers() {
    let e = env();
    let r = e
        .send("POST", "/api/v1/write", V2, snappy_compress(b"\x22\x05"))
        .await;
    assert_eq!(r.status, 400);
    assert!(
        r.body
            .contains("invalid io.prometheus.write.v2.Request protobuf"),
        "{}",
        r.body
    );
    assert_eq!(written(&r), ("0".into(), "0".into(), "0".into()));
    let bad_symbols = v2::Request {
        symbols: vec!["x".into(), "__name__".into(), "m".into()],
        timeseries: vec![v2::TimeSeries {
            labels_refs: vec![1, 2],
            samples: vec![v2::Sample {
                value: 1.0,
                timestamp: now_ms(),
                start_timestamp: 0,
            }],
            ..Default::default()
        }],
    };
    let r = e.send("POST", "/api/v1/write", V2, enc(&bad_symbols)).await;
    assert_eq!(r.status, 400);
    assert!(r
        .body
        .contains("symbols table must start with an empty string"));
    assert_eq!(written(&r).0, "0");
    let r = e
        .send(
            "POST",
            "/api/v1/write",
            &[V2[0], ("content-encoding", "zstd")],
            enc(&bad_symbols),
        )
        .await;
    assert_eq!(r.status, 415);
    assert_eq!(written(&r).0, "0");
    e.assert_nothing_written("anonymous").await;
}
