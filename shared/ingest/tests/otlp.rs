//! OTLP/HTTP metrics: protobuf and JSON (gzip) with every metric type, the exact Prometheus
//! names and labels Prometheus 3's OTLP receiver produces by default, and bad inputs.

mod common;
use common::*;
use lakewatch_ingest::IngestLimits;
use lakewatch_model::{is_stale_nan, BucketSpan, Labels, MetricType, TimeSeries};
use lakewatch_storage::AuthConfig;
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::{
    exponential_histogram_data_point::Buckets, metric::Data, number_data_point,
    summary_data_point::ValueAtQuantile, AggregationTemporality, Exemplar, ExponentialHistogram,
    ExponentialHistogramDataPoint, Gauge, Histogram, HistogramDataPoint, Metric, NumberDataPoint,
    ResourceMetrics, ScopeMetrics, Sum, Summary, SummaryDataPoint,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use prost::Message;
use std::io::Write;

fn kv(k: &str, v: &str) -> KeyValue {
    KeyValue {
        key: k.into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(v.into())),
        }),
        ..Default::default()
    }
}

fn num(t: u64, attrs: Vec<KeyValue>, v: number_data_point::Value) -> NumberDataPoint {
    NumberDataPoint {
        attributes: attrs,
        time_unix_nano: t,
        start_time_unix_nano: t - 1_000_000_000,
        value: Some(v),
        ..Default::default()
    }
}

fn metric(name: &str, unit: &str, data: Data) -> Metric {
    Metric {
        name: name.into(),
        description: format!("{name} help"),
        unit: unit.into(),
        data: Some(data),
        ..Default::default()
    }
}

const TRACE: [u8; 16] = [
    0x5b, 0x8e, 0xff, 0xf7, 0x98, 0x03, 0x81, 0x03, 0xd2, 0x69, 0xb6, 0x33, 0x81, 0x3f, 0xc6, 0x0c,
];
const SPAN: [u8; 8] = [0xee, 0xe1, 0x9b, 0x7e, 0xc3, 0xc1, 0xb1, 0x74];

fn request(t: u64) -> ExportMetricsServiceRequest {
    let ex = |v: f64| Exemplar {
        time_unix_nano: t,
        trace_id: TRACE.to_vec(),
        span_id: SPAN.to_vec(),
        value: Some(opentelemetry_proto::tonic::metrics::v1::exemplar::Value::AsDouble(v)),
        ..Default::default()
    };
    let cumulative = AggregationTemporality::Cumulative as i32;
    let metrics = vec![
        metric(
            "system.memory.usage",
            "By",
            Data::Gauge(Gauge {
                data_points: vec![num(
                    t,
                    vec![kv("state", "used")],
                    number_data_point::Value::AsInt(100),
                )],
            }),
        ),
        metric(
            "cpu.utilization",
            "1",
            Data::Gauge(Gauge {
                data_points: vec![num(t, vec![], number_data_point::Value::AsDouble(0.25))],
            }),
        ),
        metric(
            "http.server.requests",
            "{request}",
            Data::Sum(Sum {
                data_points: vec![{
                    let mut p = num(
                        t,
                        vec![
                            kv("http.request.method", "GET"),
                            kv("a.b", "1"),
                            kv("a_b", "2"),
                        ],
                        number_data_point::Value::AsInt(42),
                    );
                    p.exemplars.push(ex(1.0));
                    p
                }],
                aggregation_temporality: cumulative,
                is_monotonic: true,
            }),
        ),
        metric(
            "queue.size",
            "1",
            Data::Sum(Sum {
                data_points: vec![num(t, vec![], number_data_point::Value::AsDouble(7.0))],
                aggregation_temporality: cumulative,
                is_monotonic: false,
            }),
        ),
        metric(
            "http.server.duration",
            "ms",
            Data::Histogram(Histogram {
                data_points: vec![HistogramDataPoint {
                    time_unix_nano: t,
                    count: 6,
                    sum: Some(300.0),
                    bucket_counts: vec![1, 2, 3],
                    explicit_bounds: vec![10.0, 100.0],
                    exemplars: vec![ex(50.0)],
                    ..Default::default()
                }],
                aggregation_temporality: cumulative,
            }),
        ),
        metric(
            "request.size",
            "By",
            Data::ExponentialHistogram(ExponentialHistogram {
                data_points: vec![ExponentialHistogramDataPoint {
                    time_unix_nano: t,
                    count: 16,
                    sum: Some(100.0),
                    scale: 10,
                    zero_count: 1,
                    positive: Some(Buckets {
                        offset: 3,
                        bucket_counts: vec![1, 2, 3, 4, 5],
                    }),
                    negative: Some(Buckets {
                        offset: -2,
                        bucket_counts: vec![0],
                    }),
                    ..Default::default()
                }],
                aggregation_temporality: cumulative,
            }),
        ),
        metric(
            "rpc.duration",
            "s",
            Data::Summary(Summary {
                data_points: vec![SummaryDataPoint {
                    time_unix_nano: t,
                    count: 10,
                    sum: 20.0,
                    quantile_values: vec![
                        ValueAtQuantile {
                            quantile: 0.5,
                            value: 1.5,
                        },
                        ValueAtQuantile {
                            quantile: 0.99,
                            value: 3.0,
                        },
                    ],
                    ..Default::default()
                }],
            }),
        ),
    ];
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: Some(Resource {
                attributes: vec![
                    kv("service.name", "svc"),
                    kv("service.namespace", "ns"),
                    kv("service.instance.id", "i-1"),
                    kv("host.name", "h1"),
                    kv("deployment.environment", "prod"),
                ],
                ..Default::default()
            }),
            scope_metrics: vec![ScopeMetrics {
                scope: Some(InstrumentationScope {
                    name: "my.lib".into(),
                    version: "1.0".into(),
                    ..Default::default()
                }),
                metrics,
                schema_url: "https://opentelemetry.io/schemas/1.21.0".into(),
            }],
            ..Default::default()
        }],
    }
}

fn find<'a>(got: &'a [TimeSeries], rendered: &str) -> &'a TimeSeries {
    got.iter()
        .find(|s| show(&s.labels) == rendered)
        .unwrap_or_else(|| {
            panic!(
                "no series {rendered}; have:\n{}",
                got.iter()
                    .map(|s| show(&s.labels))
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        })
}

const ID: &str = r#"instance="i-1", job="ns/svc""#;

async fn check_standard_translation(e: &Env, t_ms: i64) {
    let got = e.all_series("anonymous").await;
    let val = |r: &str| {
        let s = find(&got, r);
        assert_eq!(s.samples.len(), 1, "{r}");
        assert_eq!(s.samples[0].timestamp_ms, t_ms, "{r}");
        s.samples[0].value
    };
    assert_eq!(
        val(&format!(
            r#"system_memory_usage_bytes{{{ID}, state="used"}}"#
        )),
        100.0
    );
    assert_eq!(val(&format!(r#"cpu_utilization_ratio{{{ID}}}"#)), 0.25);
    assert_eq!(
        val(&format!(
            r#"http_server_requests_total{{a_b="1;2", http_request_method="GET", {ID}}}"#
        )),
        42.0
    );
    assert_eq!(val(&format!(r#"queue_size{{{ID}}}"#)), 7.0);
    assert_eq!(
        val(&format!(
            r#"http_server_duration_milliseconds_bucket{{{ID}, le="10"}}"#
        )),
        1.0
    );
    assert_eq!(
        val(&format!(
            r#"http_server_duration_milliseconds_bucket{{{ID}, le="100"}}"#
        )),
        3.0
    );
    assert_eq!(
        val(&format!(
            r#"http_server_duration_milliseconds_bucket{{{ID}, le="+Inf"}}"#
        )),
        6.0
    );
    assert_eq!(
        val(&format!(r#"http_server_duration_milliseconds_sum{{{ID}}}"#)),
        300.0
    );
    assert_eq!(
        val(&format!(
            r#"http_server_duration_milliseconds_count{{{ID}}}"#
        )),
        6.0
    );
    assert_eq!(
        val(&format!(r#"rpc_duration_seconds{{{ID}, quantile="0.5"}}"#)),
        1.5
    );
    assert_eq!(
        val(&format!(r#"rpc_duration_seconds{{{ID}, quantile="0.99"}}"#)),
        3.0
    );
    assert_eq!(val(&format!(r#"rpc_duration_seconds_sum{{{ID}}}"#)), 20.0);
    assert_eq!(val(&format!(r#"rpc_duration_seconds_count{{{ID}}}"#)), 10.0);
    assert_eq!(
        val(&format!(
            r#"target_info{{deployment_environment="prod", host_name="h1", {ID}}}"#
        )),
        1.0
    );
    let h = find(&got, &format!(r#"request_size_bytes{{{ID}}}"#));
    let (ht, fh) = &h.histograms[0];
    assert_eq!(*ht, t_ms);
    assert_eq!(fh.schema, 8);
    assert_eq!(
        fh.positive_spans,
        vec![BucketSpan {
            offset: 1,
            length: 2
        }]
    );
    assert_eq!(fh.positive_buckets, vec![1.0, 14.0]);
    assert!(fh.negative_buckets.is_empty());
    assert_eq!(
        (fh.count, fh.sum, fh.zero_count, fh.zero_threshold),
        (16.0, 100.0, 1.0, 1e-128)
    );
    assert_eq!(
        got.len(),
        15,
        "{:#?}",
        got.iter().map(|s| show(&s.labels)).collect::<Vec<_>>()
    );

    let ex = e.exemplars("anonymous").await;
    let want = Labels::from_pairs([
        ("trace_id", "5b8efff798038103d269b633813fc60c"),
        ("span_id", "eee19b7ec3c1b174"),
    ]);
    let names: Vec<String> = ex.iter().map(|(l, _)| show(l)).collect();
    assert_eq!(
        names,
        vec![
            format!(r#"http_server_duration_milliseconds_bucket{{{ID}, le="100"}}"#),
            format!(r#"http_server_requests_total{{a_b="1;2", http_request_method="GET", {ID}}}"#),
        ]
    );
    for (_, list) in &ex {
        assert_eq!(list[0].labels, want);
        assert_eq!(list[0].timestamp_ms, t_ms);
    }
    let md = e.metadata("anonymous").await;
    let ty = |n: &str| {
        md.iter()
            .find(|m| m.metric_family_name == n)
            .map(|m| (m.metric_type, m.help.clone(), m.unit.clone()))
    };
    assert_eq!(
        ty("http_server_requests_total"),
        Some((
            MetricType::Counter,
            "http.server.requests help".into(),
            "".into()
        ))
    );
    assert_eq!(ty("queue_size").unwrap().0, MetricType::Gauge);
    assert_eq!(
        ty("http_server_duration_milliseconds").unwrap().0,
        MetricType::Histogram
    );
    assert_eq!(ty("request_size_bytes").unwrap().0, MetricType::Histogram);
    assert_eq!(ty("rpc_duration_seconds").unwrap().0, MetricType::Summary);
    assert_eq!(
        ty("http_server_duration_milliseconds").unwrap().2,
        "milliseconds"
    );
    assert_eq!(
        ty("target_info"),
        Some((MetricType::Gauge, "Target metadata".into(), "".into()))
    );
}

fn t_now() -> (u64, i64) {
    let ms = now_ms() - 60_000;
    (ms as u64 * 1_000_000 + 123_456, ms)
}

#[tokio::test]
async fn otlp_protobuf_every_metric_type() {
    let e = env();
    let (t, ms) = t_now();
    let r = e
        .send(
            "POST",
            "/otlp/v1/metrics",
            &[("content-type", "application/x-protobuf")],
            request(t).encode_to_vec(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.headers["content-type"], "application/x-protobuf");
    assert!(r.raw.is_empty());
    let resp = ExportMetricsServiceResponse::decode(r.raw.as_ref()).unwrap();
    assert_eq!(resp.partial_success, None);
    check_standard_translation(&e, ms).await;
}

#[tokio::test]
async fn otlp_protobuf_gzip_on_prometheus_path() {
    let e = env();
    let (t, ms) = t_now();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&request(t).encode_to_vec()).unwrap();
    let r = e
        .send(
            "POST",
            "/api/v1/otlp/v1/metrics",
            &[
                ("content-type", "application/x-protobuf"),
                ("content-encoding", "gzip"),
            ],
            gz.finish().unwrap(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    check_standard_translation(&e, ms).await;
}

/// The same request as real SDKs send it in OTLP/JSON: hex ids, 64-bit ints as strings,
/// enum as int or name, gzip.
fn json_request(t: u64) -> String {
    format!(
        r#"{{"resourceMetrics":[{{"resource":{{"attributes":[
      {{"key":"service.name","value":{{"stringValue":"svc"}}}},
      {{"key":"service.namespace","value":{{"stringValue":"ns"}}}},
      {{"key":"service.instance.id","value":{{"stringValue":"i-1"}}}},
      {{"key":"host.name","value":{{"stringValue":"h1"}}}},
      {{"key":"deployment.environment","value":{{"stringValue":"prod"}}}},
      {{"key":"empty","value":{{}}}}]}},
    "scopeMetrics":[{{"scope":{{"name":"my.lib","version":"1.0"}},"schemaUrl":"https://opentelemetry.io/schemas/1.21.0","metrics":[
      {{"name":"system.memory.usage","unit":"By","description":"system.memory.usage help","gauge":{{"dataPoints":[{{"attributes":[{{"key":"state","value":{{"stringValue":"used"}}}}],"timeUnixNano":"{t}","asInt":"100"}}]}}}},
      {{"name":"cpu.utilization","unit":"1","gauge":{{"dataPoints":[{{"timeUnixNano":"{t}","asDouble":0.25}}]}}}},
      {{"name":"http.server.requests","unit":"{{request}}","description":"http.server.requests help","sum":{{"aggregationTemporality":2,"isMonotonic":true,"dataPoints":[{{"attributes":[{{"key":"http.request.method","value":{{"stringValue":"GET"}}}},{{"key":"a.b","value":{{"stringValue":"1"}}}},{{"key":"a_b","value":{{"intValue":"2"}}}}],"timeUnixNano":"{t}","asInt":42,
         "exemplars":[{{"timeUnixNano":"{t}","asDouble":1,"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"eee19b7ec3c1b174"}}]}}]}}}},
      {{"name":"queue.size","unit":"1","sum":{{"aggregationTemporality":"AGGREGATION_TEMPORALITY_CUMULATIVE","dataPoints":[{{"timeUnixNano":"{t}","asDouble":7}}]}}}},
      {{"name":"http.server.duration","unit":"ms","histogram":{{"aggregationTemporality":2,"dataPoints":[{{"timeUnixNano":"{t}","count":"6","sum":300,"bucketCounts":["1","2","3"],"explicitBounds":[10,100],
         "exemplars":[{{"timeUnixNano":"{t}","asDouble":50,"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174"}}]}}]}}}},
      {{"name":"request.size","unit":"By","exponentialHistogram":{{"aggregationTemporality":2,"dataPoints":[{{"timeUnixNano":"{t}","count":"16","sum":100,"scale":10,"zeroCount":"1","positive":{{"offset":3,"bucketCounts":["1","2","3","4","5"]}}}}]}}}},
      {{"name":"rpc.duration","unit":"s","summary":{{"dataPoints":[{{"timeUnixNano":"{t}","count":"10","sum":20,"quantileValues":[{{"quantile":0.5,"value":1.5}},{{"quantile":0.99,"value":3}}]}}]}}}}
    ]}}]}}]}}"#
    )
}

#[tokio::test]
async fn otlp_json_gzip_every_metric_type() {
    let e = env();
    let (t, ms) = t_now();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(json_request(t).as_bytes()).unwrap();
    let r = e
        .send(
            "POST",
            "/otlp/v1/metrics",
            &[
                ("content-type", "application/json; charset=utf-8"),
                ("content-encoding", "gzip"),
            ],
            gz.finish().unwrap(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.headers["content-type"], "application/json");
    assert_eq!(r.body, "{}");
    check_standard_translation(&e, ms).await;
}

#[tokio::test]
async fn otlp_json_success_body_is_empty_object() {
    let e = env();
    let r = e
        .send(
            "POST",
            "/otlp/v1/metrics",
            &[("content-type", "application/json")],
            b"{}".to_vec(),
        )
        .await;
    assert_eq!((r.status, r.body.as_str()), (200, "{}"));
    let r = e
        .send(
            "POST",
            "/otlp/v1/metrics",
            &[("content-type", "application/x-protobuf")],
            vec![],
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(r.raw.is_empty());
}

#[tokio::test]
async fn otlp_scope_promotion_and_stale_markers() {
    let limits = IngestLimits {
        otlp_promote_scope_metadata: true,
        ..Default::default()
    };
    let e = env_with(limits, AuthConfig::disabled());
    let (t, _) = t_now();
    let mut req = request(t);
    let sm = &mut req.resource_metrics[0].scope_metrics[0];
    sm.scope
        .as_mut()
        .unwrap()
        .attributes
        .push(kv("lib.attr", "x"));
    if let Some(Data::Gauge(g)) = &mut sm.metrics[1].data {
        g.data_points[0].flags = 1; // NoRecordedValue
    }
    let r = e
        .send(
            "POST",
            "/otlp/v1/metrics",
            &[("content-type", "application/x-protobuf")],
            req.encode_to_vec(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let got = e.all_series("anonymous").await;
    let s = find(
        &got,
        &format!(
            r#"cpu_utilization_ratio{{{ID}, otel_scope_lib_attr="x", otel_scope_name="my.lib", otel_scope_schema_url="https://opentelemetry.io/schemas/1.21.0", otel_scope_version="1.0"}}"#
        ),
    );
    assert!(is_stale_nan(s.samples[0].value));
    // target_info has no scope labels
    find(
        &got,
        &format!(r#"target_info{{deployment_environment="prod", host_name="h1", {ID}}}"#),
    );
}

#[tokio::test]
async fn otlp_target_info_spans_the_resource_interval() {
    let e = env();
    let (t, ms) = t_now();
    let mut req = request(t);
    if let Some(Data::Gauge(g)) = &mut req.resource_metrics[0].scope_metrics[0].metrics[0].data {
        let mut p = g.data_points[0].clone();
        p.time_unix_nano = t - 400_000_000_000; // 400 s earlier
        g.data_points.push(p);
    }
    let r = e
        .send(
            "POST",
            "/otlp/v1/metrics",
            &[("content-type", "application/x-protobuf")],
            req.encode_to_vec(),
        )
        .await;
    assert_eq!(r.status, 200);
    let got = e.all_series("anonymous").await;
    let ti = find(
        &got,
        &format!(r#"target_info{{deployment_environment="prod", host_name="h1", {ID}}}"#),
    );
    let ts: Vec<i64> = ti.samples.iter().map(|s| s.timestamp_ms).collect();
    assert_eq!(ts, vec![ms - 400_000, ms - 250_000, ms - 100_000, ms]);
}

async fn rejected(
    e: &Env,
    method: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
    status: u16,
    text: &str,
) {
    let r = e.send(method, "/otlp/v1/metrics", headers, body).await;
    assert_eq!(r.status, status, "{}", r.body);
    assert!(r.body.contains(text), "body {:?} lacks {text:?}", r.body);
    e.assert_nothing_written("anonymous").await;
}

#[tokio::test]
async fn otlp_bad_inputs() {
    let limits = IngestLimits {
        max_body_bytes: 2000,
        max_series_per_request: 10,
        ..Default::default()
    };
    let e = env_with(limits, AuthConfig::disabled());
    let (t, _) = t_now();
    let pb = &[("content-type", "application/x-protobuf")];
    rejected(&e, "GET", pb, vec![], 405, "not allowed").await;
    rejected(
        &e,
        "POST",
        &[("content-type", "text/plain")],
        b"x".to_vec(),
        415,
        "unsupported Content-Type",
    )
    .await;
    rejected(
        &e,
        "POST",
        &[
            ("content-type", "application/x-protobuf"),
            ("content-encoding", "br"),
        ],
        b"x".to_vec(),
        415,
        "unsupported Content-Encoding",
    )
    .await;
    rejected(&e, "POST", pb, vec![0xff; 10], 400, "invalid OTLP protobuf").await;
    rejected(
        &e,
        "POST",
        &[("content-type", "application/json")],
        b"{\"resourceMetrics\":[".to_vec(),
        400,
        "invalid OTLP JSON",
    )
    .await;
    rejected(
        &e,
        "POST",
        &[
            ("content-type", "application/x-protobuf"),
            ("content-encoding", "gzip"),
        ],
        b"not gzip".to_vec(),
        400,
        "gzip decode error",
    )
    .await;
    rejected(
        &e,
        "POST",
        pb,
        vec![0; 2001],
        413,
        "more than the limit of 2000 bytes",
    )
    .await;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&vec![0u8; 100_000]).unwrap();
    rejected(
        &e,
        "POST",
        &[
            ("content-type", "application/x-protobuf"),
            ("content-encoding", "gzip"),
        ],
        gz.finish().unwrap(),
        413,
        "decoded body is more than the limit",
    )
    .await;
    // 15 series > 10
    rejected(
        &e,
        "POST",
        pb,
        request(t).encode_to_vec(),
        400,
        "too many series in request: 15 (limit 10",
    )
    .await;
    // a data point an hour in the future rejects the whole request
    let mut req = request(t);
    if let Some(Data::Gauge(g)) = &mut req.resource_metrics[0].scope_metrics[0].metrics[1].data {
        g.data_points[0].time_unix_nano = t + 3_600_000_000_000;
    }
    let e2 = env();
    let r = e2
        .send("POST", "/otlp/v1/metrics", pb, req.encode_to_vec())
        .await;
    assert_eq!(r.status, 400);
    assert!(
        r.body
            .contains(r#"metric "cpu.utilization": data point timestamp"#)
            && r.body.contains("too far in the future"),
        "{}",
        r.body
    );
    e2.assert_nothing_written("anonymous").await;
}

/// The translation alone (no storage): values per series.
#[test]
fn translation_values_without_storage() {
    let (t, ms) = t_now();
    let tr = lakewatch_ingest::otlp::translate(&request(t), ms + 60_000, &IngestLimits::default())
        .unwrap();
    let v = |r: &str| {
        let s = find(&tr.batch.series, r);
        assert_eq!(s.samples[0].timestamp_ms, ms);
        s.samples[0].value
    };
    assert_eq!(
        v(&format!(
            r#"system_memory_usage_bytes{{{ID}, state="used"}}"#
        )),
        100.0
    );
    assert_eq!(
        v(&format!(
            r#"http_server_requests_total{{a_b="1;2", http_request_method="GET", {ID}}}"#
        )),
        42.0
    );
    assert_eq!(v(&format!(r#"queue_size{{{ID}}}"#)), 7.0);
    assert_eq!(
        v(&format!(
            r#"http_server_duration_milliseconds_bucket{{{ID}, le="+Inf"}}"#
        )),
        6.0
    );
    assert_eq!(
        v(&format!(r#"http_server_duration_milliseconds_sum{{{ID}}}"#)),
        300.0
    );
    assert_eq!(
        v(&format!(r#"rpc_duration_seconds{{{ID}, quantile="0.99"}}"#)),
        3.0
    );
    assert_eq!(
        v(&format!(
            r#"target_info{{deployment_environment="prod", host_name="h1", {ID}}}"#
        )),
        1.0
    );
    assert_eq!(tr.batch.series.len(), 15);
    assert!(tr.warnings.is_empty());
}

/// Translation errors reject the whole request (Prometheus 3.14 rolls the request back); 400
/// because resending cannot help.
#[tokio::test]
async fn otlp_translation_errors_reject_everything() {
    let pb = &[("content-type", "application/x-protobuf")];
    let (t, _) = t_now();
    type Mutation = Box<dyn Fn(&mut Vec<Metric>)>;
    let cases: Vec<(Mutation, &str)> = vec![
        (
            Box::new(move |ms: &mut Vec<Metric>| {
                ms.push(metric(
                    "delta.counter",
                    "",
                    Data::Sum(Sum {
                        data_points: vec![num(t, vec![], number_data_point::Value::AsInt(1))],
                        aggregation_temporality: AggregationTemporality::Delta as i32,
                        is_monotonic: true,
                    }),
                ))
            }),
            r#"invalid temporality and type combination for metric "delta.counter""#,
        ),
        (
            Box::new(move |ms: &mut Vec<Metric>| {
                ms.push(metric(
                    "delta.histogram",
                    "s",
                    Data::Histogram(Histogram {
                        data_points: vec![HistogramDataPoint {
                            time_unix_nano: t,
                            count: 1,
                            ..Default::default()
                        }],
                        aggregation_temporality: AggregationTemporality::Delta as i32,
                    }),
                ))
            }),
            r#"invalid temporality and type combination for metric "delta.histogram""#,
        ),
        (
            Box::new(move |ms: &mut Vec<Metric>| {
                ms.push(metric(
                    "@#$%",
                    "",
                    Data::Gauge(Gauge {
                        data_points: vec![num(t, vec![], number_data_point::Value::AsInt(1))],
                    }),
                ))
            }),
            r#"normalization for metric "@#$%" resulted in empty name"#,
        ),
        (
            Box::new(move |ms: &mut Vec<Metric>| {
                ms.push(metric(
                    "g",
                    "",
                    Data::Gauge(Gauge {
                        data_points: vec![num(
                            t,
                            vec![kv("ようこそ", "x")],
                            number_data_point::Value::AsInt(1),
                        )],
                    }),
                ))
            }),
            r#"metric "g": normalization for label name "ようこそ" resulted in invalid name "____""#,
        ),
        (
            Box::new(move |ms: &mut Vec<Metric>| {
                ms.push(metric(
                    "eh",
                    "",
                    Data::ExponentialHistogram(ExponentialHistogram {
                        data_points: vec![ExponentialHistogramDataPoint {
                            time_unix_nano: t,
                            scale: -5,
                            ..Default::default()
                        }],
                        aggregation_temporality: AggregationTemporality::Cumulative as i32,
                    }),
                ))
            }),
            "Scale must be >= -4, was -5",
        ),
        (
            Box::new(move |ms: &mut Vec<Metric>| {
                ms.push(Metric {
                    name: "nodata".into(),
                    ..Default::default()
                })
            }),
            r#"metric "nodata": unsupported metric type"#,
        ),
    ];
    for (mutate, text) in cases {
        let e = env();
        let mut req = request(t);
        mutate(&mut req.resource_metrics[0].scope_metrics[0].metrics);
        let r = e
            .send("POST", "/otlp/v1/metrics", pb, req.encode_to_vec())
            .await;
        assert_eq!(r.status, 400, "{}", r.body);
        assert!(r.body.contains(text), "body {:?} lacks {text:?}", r.body);
        e.assert_nothing_written("anonymous").await;
    }
}

#[tokio::test]
async fn otlp_empty_metrics_are_dropped_with_a_warning() {
    let e = env();
    let (t, ms) = t_now();
    let mut req = request(t);
    req.resource_metrics[0].scope_metrics[0]
        .metrics
        .push(metric(
            "empty.gauge",
            "",
            Data::Gauge(Gauge {
                data_points: vec![],
            }),
        ));
    let r = e
        .send(
            "POST",
            "/otlp/v1/metrics",
            &[("content-type", "application/x-protobuf")],
            req.encode_to_vec(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    check_standard_translation(&e, ms).await;
}

#[tokio::test]
async fn otlp_histograms_as_nhcb_when_configured() {
    let limits = IngestLimits {
        otlp_convert_histograms_to_nhcb: true,
        ..Default::default()
    };
    let e = env_with(limits, AuthConfig::disabled());
    let (t, ms) = t_now();
    let r = e
        .send(
            "POST",
            "/otlp/v1/metrics",
            &[("content-type", "application/x-protobuf")],
            request(t).encode_to_vec(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let got = e.all_series("anonymous").await;
    assert!(!got
        .iter()
        .any(|s| s.labels.metric_name().unwrap().ends_with("_bucket")));
    let h = find(
        &got,
        &format!(r#"http_server_duration_milliseconds{{{ID}}}"#),
    );
    let (ht, fh) = &h.histograms[0];
    assert_eq!(*ht, ms);
    assert_eq!(fh.schema, -53);
    assert_eq!(fh.custom_values, vec![10.0, 100.0]);
    assert_eq!(
        fh.positive_spans,
        vec![BucketSpan {
            offset: 0,
            length: 3
        }]
    );
    assert_eq!(fh.positive_buckets, vec![1.0, 2.0, 3.0]);
    assert_eq!((fh.count, fh.sum), (6.0, 300.0));
    assert_eq!(
        e.exemplars("anonymous")
            .await
            .iter()
            .filter(|(l, _)| l.metric_name() == Some("http_server_duration_milliseconds"))
            .count(),
        1
    );
}
