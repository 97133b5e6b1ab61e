//! Span metrics and service graphs generated at trace ingest (shared/ingest/src/generator),
//! queried with the exact PromQL shapes Grafana's Tempo datasource sends to its linked
//! Prometheus datasource (service graph and RED table, reference loki_tempo_otlp.md §4.1).
//! Traces are pushed through `lakewatch_ingest::handle` with fake clocks into a `memory://`
//! store that an `App` reads; expected values are worked out from Prometheus's `rate()`
//! extrapolation and `histogram_quantile()` interpolation.

mod common;

use bytes::Bytes;
use common::{enc, get};
use lakewatch_api::{App, QueryConfig};
use lakewatch_ingest::generator::{Clock, Generator};
use lakewatch_ingest::{encode_traces_protobuf, handle, IngestContext, IngestLimits};
use lakewatch_storage::{AuthConfig, Store};
use opentelemetry_proto::tonic::common::v1::{any_value::Value as Av, AnyValue, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{
    span::SpanKind, status::StatusCode, ResourceSpans, ScopeSpans, Span, Status,
};
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::sync::Arc;

/// 2023-11-14T22:13:20Z, ms.
const T: i64 = 1_700_000_000_000;

fn span(
    trace: u8,
    id: u8,
    parent: Option<u8>,
    name: &str,
    kind: SpanKind,
    ms: u64,
    err: bool,
) -> Span {
    let start = (T as u64) * 1_000_000;
    Span {
        trace_id: vec![0xab, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, trace],
        span_id: vec![0, 0, 0, 0, 0, 0, 0, id],
        parent_span_id: parent
            .map(|p| vec![0, 0, 0, 0, 0, 0, 0, p])
            .unwrap_or_default(),
        name: name.into(),
        kind: kind as i32,
        start_time_unix_nano: start,
        end_time_unix_nano: start + ms * 1_000_000,
        status: Some(Status {
            message: String::new(),
            code: if err {
                StatusCode::Error as i32
            } else {
                StatusCode::Ok as i32
            },
        }),
        ..Default::default()
    }
}

fn resource(service: &str, spans: Vec<Span>) -> ResourceSpans {
    ResourceSpans {
        resource: Some(Resource {
            attributes: vec![KeyValue {
                key: "service.name".into(),
                value: Some(AnyValue {
                    value: Some(Av::StringValue(service.into())),
                }),
                ..Default::default()
            }],
            ..Default::default()
        }),
        scope_spans: vec![ScopeSpans {
            spans,
            ..Default::default()
        }],
        ..Default::default()
    }
}

/// frontend `GET /api` (server, 250 ms, root) → frontend `call backend` (client, 100 ms) →
/// backend `handle` (server, 50 ms, error).
fn trace(t: u8) -> Vec<ResourceSpans> {
    vec![
        resource(
            "frontend",
            vec![
                span(t, 1, None, "GET /api", SpanKind::Server, 250, false),
                span(t, 2, Some(1), "call backend", SpanKind::Client, 100, false),
            ],
        ),
        resource(
            "backend",
            vec![span(t, 3, Some(2), "handle", SpanKind::Server, 50, true)],
        ),
    ]
}

/// An ingest context (a Lambda instance named `instance`) over `store` whose span-metrics
/// generator reads the time (ms) from `clock`. No ingestion slack: the fixture spans keep
/// their times while the clock moves minutes ahead.
fn ingest_context(store: &Store, instance: &str, clock: Clock) -> IngestContext {
    let mut limits = IngestLimits::default();
    limits.traces.generator_ingestion_slack_ms = 0;
    let mut ctx = IngestContext::new(store.clone(), AuthConfig::disabled(), limits);
    ctx.generator = Arc::new(Generator::new().with_instance(instance).with_clock(clock));
    ctx
}

/// Pushes `rs` through a new ingest context ("another Lambda instance") whose generator clock
/// is fixed at `at_ms`.
async fn push(store: &Store, instance: &str, at_ms: i64, rs: Vec<ResourceSpans>) {
    let ctx = ingest_context(store, instance, Arc::new(move || at_ms));
    push_with(&ctx, rs).await;
}

async fn push_with(ctx: &IngestContext, rs: Vec<ResourceSpans>) {
    let req = http::Request::post("/v1/traces")
        .header("content-type", "application/x-protobuf")
        .body(Bytes::from(encode_traces_protobuf(&rs)))
        .unwrap();
    let r = handle(req, ctx).await;
    assert_eq!(r.status(), 200, "{:?}", r.body());
}

/// Instant query at `time_ms`: result as (labels, value) sorted by labels.
async fn query(app: &App, q: &str, time_ms: i64) -> Vec<(BTreeMap<String, String>, f64)> {
    let uri = format!(
        "/api/v1/query?query={}&time={}",
        enc(q),
        time_ms as f64 / 1000.0
    );
    let r = get(app, &uri).await;
    assert_eq!(r.status, 200, "{q}: {}", r.text());
    let v = r.json();
    assert_eq!(v["data"]["resultType"], "vector", "{q}: {v}");
    let mut out: Vec<(BTreeMap<String, String>, f64)> = v["data"]["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let labels = s["metric"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                .collect();
            let val: f64 = s["value"][1].as_str().unwrap().parse().unwrap();
            (labels, val)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn l(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn assert_close(got: &[(BTreeMap<String, String>, f64)], want: &[(BTreeMap<String, String>, f64)]) {
    assert_eq!(got.len(), want.len(), "got {got:?}, want {want:?}");
    for ((gl, gv), (wl, wv)) in got.iter().zip(want) {
        assert_eq!(gl, wl);
        assert!(
            (gv - wv).abs() <= 1e-12 * wv.abs().max(1.0),
            "{gl:?}: got {gv}, want {wv}"
        );
    }
}

#[tokio::test]
async fn grafana_red_table_and_service_graph_queries() {
    let store = Store::memory();
    let clock = Arc::new(std::sync::atomic::AtomicI64::new(T));
    let c = clock.clone();
    let ctx = ingest_context(
        &store,
        "a",
        Arc::new(move || c.load(std::sync::atomic::Ordering::SeqCst)),
    );
    push_with(&ctx, trace(1)).await;
    clock.store(T + 60_000, std::sync::atomic::Ordering::SeqCst);
    push_with(&ctx, trace(2)).await;
    let app = App::new(
        store.clone(),
        AuthConfig::disabled(),
        QueryConfig::default(),
    );
    let at = T + 60_000;

    // Counters: samples (T-1, 0), (T, 1), (T+60 s, 2): increase 2 over [5m] (no extrapolation
    // before a first sample of 0, none after the last one at the query time).
    let two = 2.0 / 300.0;
    let q = r#"sum by (span_name)(rate(traces_spanmetrics_calls_total{span_kind="SPAN_KIND_SERVER"}[5m]))"#;
    let want = vec![
        (l(&[("span_name", "GET /api")]), two),
        (l(&[("span_name", "handle")]), two),
    ];
    assert_close(&query(&app, q, at).await, &want);
    let q = r#"topk(5, sum(rate(traces_spanmetrics_calls_total{span_kind="SPAN_KIND_SERVER"}[5m])) by (span_name))"#;
    assert_close(&query(&app, q, at).await, &want);
    let q = r#"sum(rate(traces_spanmetrics_calls_total{status_code="STATUS_CODE_ERROR",span_name=~"GET /api|handle"}[5m])) by (span_name)"#;
    assert_close(
        &query(&app, q, at).await,
        &[(l(&[("span_name", "handle")]), two)],
    );
    // p90 over 6 observations: 2 × 0.05 s (le 0.064), 2 × 0.1 s (le 0.128), 2 × 0.25 s
    // (le 0.256): rank 5.4 in (0.128, 0.256] → 0.128 + 0.128 × (5.4 − 4) / 2 = 0.2176.
    let q = r#"histogram_quantile(.9, sum(rate(traces_spanmetrics_latency_bucket{span_name=~"GET /api|call backend|handle"}[5m])) by (le))"#;
    assert_close(&query(&app, q, at).await, &[(l(&[]), 0.2176)]);

    // Service graph: frontend → backend paired in each request (failed: backend errored);
    // the root span of trace 1 expired at the second request → user → frontend virtual node
    // (samples (T+60 s − 1 ms, 0), (T+60 s, 1)).
    let fb = l(&[("client", "frontend"), ("server", "backend")]);
    let uf = l(&[("client", "user"), ("server", "frontend")]);
    let q = "sum by (client, server) (rate(traces_service_graph_request_total[5m]))";
    assert_close(
        &query(&app, q, at).await,
        &[(fb.clone(), two), (uf.clone(), 1.0 / 300.0)],
    );
    let q = "sum by (client, server) (rate(traces_service_graph_request_failed_total[5m]))";
    assert_close(&query(&app, q, at).await, &[(fb.clone(), two)]);
    let q = "sum by (client, server) (rate(traces_service_graph_request_server_seconds_sum[5m]))";
    assert_close(
        &query(&app, q, at).await,
        &[(fb.clone(), 0.1 / 300.0), (uf.clone(), 0.25 / 300.0)],
    );
    let q =
        "sum by (client, server) (rate(traces_service_graph_request_server_seconds_bucket[5m]))";
    assert_eq!(query(&app, q, at).await.len(), 2);
    let q = "group by (client, connection_type, server) (traces_service_graph_request_total)";
    assert_close(
        &query(&app, q, at).await,
        &[
            (fb.clone(), 1.0),
            (
                l(&[
                    ("client", "user"),
                    ("connection_type", "virtual_node"),
                    ("server", "frontend"),
                ]),
                1.0,
            ),
        ],
    );
    // Drill-down p90: 0.05 s in (0, 0.1] → 0.09; 0.25 s in (0.2, 0.4] → 0.38.
    let q = "histogram_quantile(0.9, sum(rate(traces_service_graph_request_server_seconds_bucket[5m])) by (le, client, server))";
    assert_close(&query(&app, q, at).await, &[(fb, 0.09), (uf, 0.38)]);

    // A second process ("Lambda instance") adds its own series; sum() adds them up.
    push(&store, "b", at, trace(3)).await;
    let q = "count(count by (__metrics_gen_instance) (traces_spanmetrics_calls_total))";
    assert_close(&query(&app, q, at).await, &[(l(&[]), 2.0)]);
    let q = r#"sum by (span_name)(rate(traces_spanmetrics_calls_total{span_kind="SPAN_KIND_SERVER"}[5m]))"#;
    let three = 3.0 / 300.0;
    assert_close(
        &query(&app, q, at).await,
        &[
            (l(&[("span_name", "GET /api")]), three),
            (l(&[("span_name", "handle")]), three),
        ],
    );

    // Exemplars: the latest trace id per bucket (Tempo's `traceID` label, leading zeros
    // trimmed), at the sample time.
    let uri = format!(
        "/api/v1/query_exemplars?query={}&start={}&end={}",
        enc(
            r#"traces_spanmetrics_latency_bucket{span_name="GET /api",__metrics_gen_instance="a"}"#
        ),
        T / 1000 - 10,
        at / 1000 + 10
    );
    let r = get(&app, &uri).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v: Json = r.json();
    let data = v["data"].as_array().unwrap();
    assert_eq!(data.len(), 1, "{v}");
    assert_eq!(data[0]["seriesLabels"]["le"], "0.256");
    let ex = data[0]["exemplars"].as_array().unwrap();
    let ids: Vec<&str> = ex
        .iter()
        .map(|e| e["labels"]["traceID"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "ab000000000000000000000000000001",
            "ab000000000000000000000000000002"
        ]
    );
    assert_eq!(ex[0]["value"], "0.25");
}
