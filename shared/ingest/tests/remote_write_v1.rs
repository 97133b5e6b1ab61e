//! Remote write 1.0: round trip through the handler and storage, and every bad-input case
//! (status, body text, nothing written).

mod common;
use common::*;
use lakewatch_ingest::remote_write::proto::{self, histogram::Count, histogram::ZeroCount};
use lakewatch_ingest::remote_write::{snappy_compress, write_request};
use lakewatch_ingest::{encode_v1, IngestLimits, NameValidation};
use lakewatch_model::{
    BucketSpan, Exemplar, FloatHistogram, Labels, MetricMetadata, MetricType, MetricsBatch,
    ResetHint, Sample, TimeSeries,
};
use lakewatch_storage::AuthConfig;
use prost::Message;

const V1: &[(&str, &str)] = &[
    ("content-type", "application/x-protobuf"),
    ("content-encoding", "snappy"),
    ("x-prometheus-remote-write-version", "0.1.0"),
];

fn label(n: &str, v: &str) -> proto::Label {
    proto::Label {
        name: n.into(),
        value: v.into(),
    }
}

fn series(labels: &[(&str, &str)], ts: i64, v: f64) -> proto::TimeSeries {
    proto::TimeSeries {
        labels: labels.iter().map(|(n, v)| label(n, v)).collect(),
        samples: vec![proto::Sample {
            value: v,
            timestamp: ts,
        }],
        ..Default::default()
    }
}

fn body(ts: Vec<proto::TimeSeries>) -> Vec<u8> {
    snappy_compress(
        &proto::WriteRequest {
            timeseries: ts,
            metadata: vec![],
        }
        .encode_to_vec(),
    )
}

fn int_histogram(ts: i64) -> proto::Histogram {
    // buckets 1,2,0,3 at indexes 0..=3 and one at 10 → deltas 1,1,-2,3 | 1
    proto::Histogram {
        count: Some(Count::CountInt(9)),
        sum: 12.5,
        schema: 1,
        zero_threshold: 0.001,
        zero_count: Some(ZeroCount::ZeroCountInt(1)),
        positive_spans: vec![
            proto::BucketSpan {
                offset: 0,
                length: 4,
            },
            proto::BucketSpan {
                offset: 6,
                length: 1,
            },
        ],
        positive_deltas: vec![1, 1, -2, 3, -2],
        negative_spans: vec![proto::BucketSpan {
            offset: -1,
            length: 1,
        }],
        negative_deltas: vec![1],
        reset_hint: proto::ResetHint::No as i32,
        timestamp: ts,
        ..Default::default()
    }
}

#[tokio::test]
async fn round_trip_samples_exemplars_metadata_histograms() {
    let e = env();
    let t = now_ms() - 60_000;
    let mut req = proto::WriteRequest::default();
    let mut s = series(
        &[
            ("__name__", "http_requests_total"),
            ("job", "api"),
            ("code", "200"),
        ],
        t,
        10.0,
    );
    s.samples.push(proto::Sample {
        value: 12.0,
        timestamp: t + 15_000,
    });
    s.exemplars.push(proto::Exemplar {
        labels: vec![label("trace_id", "abc123")],
        value: 1.0,
        timestamp: t,
    });
    req.timeseries.push(s);
    // integer native histogram (deltas)
    req.timeseries.push(proto::TimeSeries {
        labels: vec![label("__name__", "latency_seconds")],
        histograms: vec![int_histogram(t)],
        ..Default::default()
    });
    // float native histogram
    req.timeseries.push(proto::TimeSeries {
        labels: vec![label("__name__", "float_hist")],
        histograms: vec![proto::Histogram {
            count: Some(Count::CountFloat(3.5)),
            sum: 2.0,
            schema: 0,
            zero_count: Some(ZeroCount::ZeroCountFloat(0.5)),
            positive_spans: vec![proto::BucketSpan {
                offset: 1,
                length: 2,
            }],
            positive_counts: vec![1.0, 2.0],
            timestamp: t,
            ..Default::default()
        }],
        ..Default::default()
    });
    // custom buckets (NHCB)
    req.timeseries.push(proto::TimeSeries {
        labels: vec![label("__name__", "nhcb")],
        histograms: vec![proto::Histogram {
            count: Some(Count::CountInt(7)),
            sum: 3.0,
            schema: -53,
            positive_spans: vec![proto::BucketSpan {
                offset: 0,
                length: 3,
            }],
            positive_deltas: vec![1, 2, 0],
            custom_values: vec![0.1, 1.0],
            timestamp: t,
            ..Default::default()
        }],
        ..Default::default()
    });
    req.metadata.push(proto::MetricMetadata {
        r#type: proto::MetricType::Counter as i32,
        metric_family_name: "http_requests_total".into(),
        help: "Requests.".into(),
        unit: "".into(),
    });
    let r = e
        .send(
            "POST",
            "/api/v1/write",
            V1,
            snappy_compress(&req.encode_to_vec()),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert!(r.body.is_empty());
    assert!(!r
        .headers
        .contains_key("x-prometheus-remote-write-samples-written"));

    let got = e.all_series("anonymous").await;
    assert_eq!(got.len(), 4);
    let by = |n: &str| {
        got.iter()
            .find(|s| s.labels.metric_name() == Some(n))
            .unwrap()
            .clone()
    };
    let c = by("http_requests_total");
    assert_eq!(
        show(&c.labels),
        r#"http_requests_total{code="200", job="api"}"#
    );
    assert_eq!(
        c.samples,
        vec![
            Sample {
                timestamp_ms: t,
                value: 10.0
            },
            Sample {
                timestamp_ms: t + 15_000,
                value: 12.0
            }
        ]
    );

    let h = by("latency_seconds");
    let (ht, fh) = &h.histograms[0];
    assert_eq!(*ht, t);
    assert_eq!(fh.positive_buckets, vec![1.0, 2.0, 0.0, 3.0, 1.0]);
    assert_eq!(
        fh.positive_spans,
        vec![
            BucketSpan {
                offset: 0,
                length: 4
            },
            BucketSpan {
                offset: 6,
                length: 1
            }
        ]
    );
    assert_eq!(fh.negative_buckets, vec![1.0]);
    assert_eq!(
        (
            fh.count,
            fh.zero_count,
            fh.sum,
            fh.schema,
            fh.zero_threshold
        ),
        (9.0, 1.0, 12.5, 1, 0.001)
    );
    assert_eq!(fh.counter_reset_hint, ResetHint::NotCounterReset);

    let f = by("float_hist");
    assert_eq!(f.histograms[0].1.positive_buckets, vec![1.0, 2.0]);
    assert_eq!(f.histograms[0].1.count, 3.5);

    let n = by("nhcb");
    assert_eq!(n.histograms[0].1.schema, -53);
    assert_eq!(n.histograms[0].1.custom_values, vec![0.1, 1.0]);
    assert_eq!(n.histograms[0].1.positive_buckets, vec![1.0, 3.0, 3.0]);

    let ex = e.exemplars("anonymous").await;
    assert_eq!(ex.len(), 1);
    assert_eq!(
        ex[0].1[0].labels,
        Labels::from_pairs([("trace_id", "abc123")])
    );
    assert_eq!(ex[0].1[0].timestamp_ms, t);

    let md = e.metadata("anonymous").await;
    assert_eq!(
        md,
        vec![MetricMetadata {
            metric_family_name: "http_requests_total".into(),
            metric_type: MetricType::Counter,
            help: "Requests.".into(),
            unit: "".into(),
        }]
    );
}

#[tokio::test]
async fn encode_v1_round_trips_a_batch() {
    let e = env();
    let t = now_ms() - 1000;
    let batch = MetricsBatch {
        series: vec![TimeSeries {
            labels: Labels::from_pairs([("__name__", "up"), ("job", "x")]),
            samples: vec![Sample {
                timestamp_ms: t,
                value: 1.0,
            }],
            histograms: vec![(
                t,
                FloatHistogram {
                    schema: 0,
                    count: 2.0,
                    sum: 1.0,
                    positive_spans: vec![BucketSpan {
                        offset: 0,
                        length: 1,
                    }],
                    positive_buckets: vec![2.0],
                    ..Default::default()
                },
            )],
            exemplars: vec![Exemplar {
                labels: Labels::from_pairs([("trace_id", "1")]),
                value: 1.0,
                timestamp_ms: t,
            }],
        }],
        metadata: vec![],
    };
    let decoded = proto::WriteRequest::decode(
        snap::raw::Decoder::new()
            .decompress_vec(&encode_v1(&batch))
            .unwrap()
            .as_slice(),
    )
    .unwrap();
    assert_eq!(decoded, write_request(&batch));
    let r = e.send("POST", "/api/v1/push", V1, encode_v1(&batch)).await;
    assert_eq!(r.status, 204, "{}", r.body);
    let got = e.all_series("anonymous").await;
    assert_eq!(got[0].labels, batch.series[0].labels);
    assert_eq!(got[0].samples, batch.series[0].samples);
    assert_eq!(got[0].histograms, batch.series[0].histograms);
}

#[tokio::test]
async fn metadata_only_and_empty_requests_are_accepted() {
    let e = env();
    let r = e.send("POST", "/api/v1/write", V1, body(vec![])).await;
    assert_eq!(r.status, 204);
    let req = proto::WriteRequest {
        timeseries: vec![],
        metadata: vec![proto::MetricMetadata {
            r#type: 2,
            metric_family_name: "g".into(),
            help: "h".into(),
            unit: "".into(),
        }],
    };
    let r = e
        .send(
            "POST",
            "/api/v1/write",
            &[],
            snappy_compress(&req.encode_to_vec()),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(
        e.metadata("anonymous").await[0].metric_type,
        MetricType::Gauge
    );
}

#[tokio::test]
async fn tenant_from_org_id_header() {
    let e = env();
    let t = now_ms();
    let mut h = V1.to_vec();
    h.push(("X-Scope-OrgID", "team-a"));
    let r = e
        .send(
            "POST",
            "/api/v1/write",
            &h,
            body(vec![series(&[("__name__", "up")], t, 1.0)]),
        )
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(e.all_series("team-a").await.len(), 1);
    assert!(e.all_series("anonymous").await.is_empty());
}

async fn expect_rejected(
    e: &Env,
    path: &str,
    method: &str,
    headers: &[(&str, &str)],
    b: Vec<u8>,
    status: u16,
    text: &str,
) {
    let r = e.send(method, path, headers, b).await;
    assert_eq!(r.status, status, "body: {}", r.body);
    assert!(r.body.contains(text), "body {:?} lacks {:?}", r.body, text);
    e.assert_nothing_written("anonymous").await;
}

#[tokio::test]
async fn method_and_content_negotiation_errors() {
    let e = env();
    let ok = body(vec![series(&[("__name__", "up")], now_ms(), 1.0)]);
    expect_rejected(
        &e,
        "/api/v1/write",
        "GET",
        V1,
        vec![],
        405,
        "method GET not allowed",
    )
    .await;
    let r = e.send("PUT", "/api/v1/write", V1, ok.clone()).await;
    assert_eq!(
        (r.status, r.headers["allow"].to_str().unwrap()),
        (405, "POST")
    );
    expect_rejected(
        &e,
        "/api/v1/write",
        "POST",
        &[("content-type", "application/json")],
        ok.clone(),
        415,
        "unsupported Content-Type",
    )
    .await;
    expect_rejected(
        &e,
        "/api/v1/write",
        "POST",
        &[("content-type", "application/x-protobuf;proto=foo.Bar")],
        ok.clone(),
        415,
        "unknown remote write protobuf message",
    )
    .await;
    expect_rejected(
        &e,
        "/api/v1/write",
        "POST",
        &[
            ("content-type", "application/x-protobuf"),
            ("content-encoding", "gzip"),
        ],
        ok.clone(),
        415,
        "only snappy",
    )
    .await;
    // explicit v1 proto= is accepted
    let r = e
        .send(
            "POST",
            "/api/v1/write",
            &[
                (
                    "content-type",
                    "application/x-protobuf;proto=prometheus.WriteRequest",
                ),
                ("content-encoding", "snappy"),
            ],
            ok,
        )
        .await;
    assert_eq!(r.status, 204);
}

#[tokio::test]
async fn size_limits() {
    let limits = IngestLimits {
        max_body_bytes: 1000,
        ..Default::default()
    };
    let e = env_with(limits, AuthConfig::disabled());
    let big = vec![0u8; 1001];
    expect_rejected(
        &e,
        "/api/v1/write",
        "POST",
        V1,
        big,
        413,
        "more than the limit of 1000 bytes",
    )
    .await;
    // compresses well, but decodes to more than 1000 bytes
    let long = "x".repeat(5000);
    let b = body(vec![series(
        &[("__name__", "up"), ("a", &long)],
        now_ms(),
        1.0,
    )]);
    assert!(b.len() < 1000);
    expect_rejected(&e, "/api/v1/write", "POST", V1, b, 413, "decoded body is").await;
}

#[tokio::test]
async fn corrupt_bodies() {
    let e = env();
    let good = body(vec![series(&[("__name__", "up")], now_ms(), 1.0)]);
    expect_rejected(
        &e,
        "/api/v1/write",
        "POST",
        V1,
        good[..good.len() - 3].to_vec(),
        400,
        "snappy decode error",
    )
    .await;
    expect_rejected(
        &e,
        "/api/v1/write",
        "POST",
        V1,
        snappy_compress(b"\xff\xff\xff\xff"),
        400,
        "invalid prometheus.WriteRequest protobuf",
    )
    .await;
}

#[tokio::test]
async fn invalid_series_reject_the_whole_request() {
    let e = env();
    let t = now_ms();
    let good = series(&[("__name__", "good"), ("job", "x")], t, 1.0);
    let cases: Vec<(proto::TimeSeries, &str)> = vec![
        (
            series(&[("job", "x")], t, 1.0),
            r#"series {job="x"}: missing metric name"#,
        ),
        (
            series(&[("__name__", ""), ("job", "x")], t, 1.0),
            "empty metric name",
        ),
        (
            series(&[("__name__", "m"), ("", "x")], t, 1.0),
            r#"series {__name__="m", ="x"}: empty label name"#,
        ),
        (
            series(&[("__name__", "m"), ("job", "a"), ("job", "b")], t, 1.0),
            r#"duplicate label name "job""#,
        ),
        (
            series(&[("__name__", "m")], -5, 1.0),
            r#"series {__name__="m"}: sample invalid timestamp -5"#,
        ),
        (
            series(&[("__name__", "m")], t + 3_600_000, 1.0),
            "too far in the future",
        ),
        (
            proto::TimeSeries {
                labels: vec![label("__name__", "h")],
                histograms: vec![proto::Histogram {
                    count: Some(Count::CountInt(0)),
                    schema: 9,
                    timestamp: t,
                    ..Default::default()
                }],
                ..Default::default()
            },
            r#"series {__name__="h"}: invalid native histogram: histogram has an invalid schema 9"#,
        ),
        (
            proto::TimeSeries {
                labels: vec![label("__name__", "h")],
                histograms: vec![proto::Histogram {
                    count: Some(Count::CountInt(1)),
                    positive_spans: vec![proto::BucketSpan {
                        offset: 0,
                        length: 2,
                    }],
                    positive_deltas: vec![1],
                    timestamp: t,
                    ..Default::default()
                }],
                ..Default::default()
            },
            "spans need 2 buckets, have 1 buckets",
        ),
        (
            proto::TimeSeries {
                labels: vec![label("__name__", "h")],
                histograms: vec![proto::Histogram {
                    count: Some(Count::CountFloat(f64::NAN)),
                    sum: 1.0,
                    timestamp: t,
                    ..Default::default()
                }],
                ..Default::default()
            },
            "count NaN is negative or NaN",
        ),
        (
            proto::TimeSeries {
                labels: vec![label("__name__", "h")],
                histograms: vec![proto::Histogram {
                    count: Some(Count::CountInt(5)),
                    sum: 1.0,
                    positive_spans: vec![proto::BucketSpan {
                        offset: 0,
                        length: 1,
                    }],
                    positive_deltas: vec![2],
                    timestamp: t,
                    ..Default::default()
                }],
                ..Default::default()
            },
            "2 observations found in buckets, but the count is 5",
        ),
    ];
    for (bad, text) in cases {
        expect_rejected(
            &e,
            "/api/v1/write",
            "POST",
            V1,
            body(vec![good.clone(), bad]),
            400,
            text,
        )
        .await;
    }
}

#[tokio::test]
async fn legacy_name_validation() {
    let limits = IngestLimits {
        name_validation: NameValidation::Legacy,
        ..Default::default()
    };
    let e = env_with(limits, AuthConfig::disabled());
    let t = now_ms();
    expect_rejected(
        &e,
        "/api/v1/write",
        "POST",
        V1,
        body(vec![series(
            &[("__name__", "m"), ("http.method", "GET")],
            t,
            1.0,
        )]),
        400,
        r#"invalid label name "http.method""#,
    )
    .await;
    expect_rejected(
        &e,
        "/api/v1/write",
        "POST",
        V1,
        body(vec![series(&[("__name__", "1m")], t, 1.0)]),
        400,
        r#"invalid metric name "1m""#,
    )
    .await;
    // UTF-8 names are fine by default (Prometheus 3)
    let e = env();
    let r = e
        .send(
            "POST",
            "/api/v1/write",
            V1,
            body(vec![series(
                &[("__name__", "my.metric"), ("http.method", "GET")],
                t,
                1.0,
            )]),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
}

#[tokio::test]
async fn too_many_series() {
    let limits = IngestLimits {
        max_series_per_request: 2,
        ..Default::default()
    };
    let e = env_with(limits, AuthConfig::disabled());
    let t = now_ms();
    let s: Vec<_> = (0..3)
        .map(|i| series(&[("__name__", "m"), ("i", &i.to_string())], t, 1.0))
        .collect();
    expect_rejected(
        &e,
        "/api/v1/write",
        "POST",
        V1,
        body(s),
        400,
        "too many series in request: 3 (limit 2",
    )
    .await;
}

#[tokio::test]
async fn auth_errors() {
    let e = env_with(
        IngestLimits::default(),
        AuthConfig::disabled().with_tenant("team-a", "s3cret"),
    );
    let b = body(vec![series(&[("__name__", "up")], now_ms(), 1.0)]);
    let mut h = V1.to_vec();
    h.push(("X-Scope-OrgID", "team-a"));
    let r = e.send("POST", "/api/v1/write", &h, b.clone()).await;
    assert_eq!(r.status, 401, "{}", r.body);
    assert!(r.body.contains("unauthorized"));
    h.push(("authorization", "Bearer wrong"));
    assert_eq!(
        e.send("POST", "/api/v1/write", &h, b.clone()).await.status,
        401
    );
    e.assert_nothing_written("team-a").await;
    h.pop();
    h.push(("authorization", "Bearer s3cret"));
    let r = e.send("POST", "/api/v1/write", &h, b).await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(e.all_series("team-a").await.len(), 1);
}

#[tokio::test]
async fn unknown_path_is_404() {
    let e = env();
    assert_eq!(e.send("POST", "/api/v1/nope", V1, vec![]).await.status, 404);
}

#[tokio::test]
async fn invalid_exemplars_are_dropped_not_fatal() {
    let e = env();
    let t = now_ms();
    let mut s = series(&[("__name__", "m")], t, 1.0);
    s.exemplars.push(proto::Exemplar {
        labels: vec![label("trace_id", &"x".repeat(200))],
        value: 1.0,
        timestamp: t,
    });
    let r = e.send("POST", "/api/v1/write", V1, body(vec![s])).await;
    assert_eq!(r.status, 204);
    assert_eq!(e.all_series("anonymous").await.len(), 1);
    assert!(e.exemplars("anonymous").await.is_empty());
}

#[tokio::test]
async fn too_old_samples_when_max_age_is_set() {
    let limits = IngestLimits {
        max_sample_age_ms: 3_600_000,
        ..Default::default()
    };
    let e = env_with(limits, AuthConfig::disabled());
    let old = now_ms() - 7_200_000;
    expect_rejected(
        &e,
        "/api/v1/write",
        "POST",
        V1,
        body(vec![series(&[("__name__", "m")], old, 1.0)]),
        400,
        "is too old",
    )
    .await;
}
