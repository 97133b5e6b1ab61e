//! Span metrics and service graphs generated at trace ingest (docs/span-metrics.md): OTLP
//! exports pushed through `lakewatch_ingest::handle` with a fake clock, the generated series
//! read back from the metrics store with `MetricsReader` and compared sample by sample.
//! (PromQL over the same series: shared/api/tests/span_metrics.rs.)

use bytes::Bytes;
use lakewatch_ingest::generator::Generator;
use lakewatch_ingest::{
    encode_traces_protobuf, handle, IngestContext, IngestLimits, INSTANCE_LABEL,
    METRICS_WRITE_FAILURES,
};
use lakewatch_model::{LabelMatcher, MatchOp, TenantId, TimeSeries};
use lakewatch_storage::{AuthConfig, MetricsReader, MetricsWriter, Store, TracesReader};
use opentelemetry_proto::tonic::common::v1::{any_value::Value as Av, AnyValue, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{
    span::SpanKind, status::StatusCode, ResourceSpans, ScopeSpans, Span, Status,
};
use prost::Message;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// 2023-11-14T22:13:20Z, ms.
const T: i64 = 1_700_000_000_000;

fn kv(k: &str, v: &str) -> KeyValue {
    KeyValue {
        key: k.into(),
        value: Some(AnyValue {
            value: Some(Av::StringValue(v.into())),
        }),
        ..Default::default()
    }
}

struct SpanSpec<'a> {
    trace: u8,
    id: u8,
    parent: Option<u8>,
    name: &'a str,
    kind: SpanKind,
    ms: u64,
    error: bool,
    attrs: Vec<KeyValue>,
}

fn span(s: SpanSpec<'_>) -> Span {
    let start = (T as u64) * 1_000_000;
    Span {
        trace_id: vec![0xab, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, s.trace],
        span_id: vec![0, 0, 0, 0, 0, 0, 0, s.id],
        parent_span_id: s
            .parent
            .map(|p| vec![0, 0, 0, 0, 0, 0, 0, p])
            .unwrap_or_default(),
        name: s.name.into(),
        kind: s.kind as i32,
        start_time_unix_nano: start,
        end_time_unix_nano: start + s.ms * 1_000_000,
        attributes: s.attrs,
        status: Some(Status {
            message: String::new(),
            code: if s.error {
                StatusCode::Error as i32
            } else {
                StatusCode::Unset as i32
            },
        }),
        ..Default::default()
    }
}

fn sp<'a>(
    trace: u8,
    id: u8,
    parent: Option<u8>,
    name: &'a str,
    kind: SpanKind,
    ms: u64,
) -> SpanSpec<'a> {
    SpanSpec {
        trace,
        id,
        parent,
        name,
        kind,
        ms,
        error: false,
        attrs: Vec::new(),
    }
}

fn resource(service: &str, spans: Vec<Span>) -> ResourceSpans {
    ResourceSpans {
        resource: Some(Resource {
            attributes: vec![kv("service.name", service)],
            ..Default::default()
        }),
        scope_spans: vec![ScopeSpans {
            spans,
            ..Default::default()
        }],
        ..Default::default()
    }
}

struct Env {
    ctx: IngestContext,
    store: Store,
    clock: Arc<AtomicI64>,
}

fn env_with(limits: IngestLimits) -> Env {
    let store = Store::memory();
    let clock = Arc::new(AtomicI64::new(T));
    let mut ctx = IngestContext::new(store.clone(), AuthConfig::disabled(), limits);
    let c = clock.clone();
    ctx.generator = Arc::new(
        Generator::new()
            .with_instance("test-instance")
            .with_clock(Arc::new(move || c.load(Ordering::SeqCst))),
    );
    Env { ctx, store, clock }
}

/// Default limits without the ingestion slack: every fixture span carries time `T` while the
/// fake clock moves minutes ahead (the slack has its own test below).
fn env() -> Env {
    let mut limits = IngestLimits::default();
    limits.traces.generator_ingestion_slack_ms = 0;
    env_with(limits)
}

impl Env {
    async fn push_at(&self, at_ms: i64, rs: Vec<ResourceSpans>) {
        self.clock.store(at_ms, Ordering::SeqCst);
        let req = http::Request::post("/v1/traces")
            .header("content-type", "application/x-protobuf")
            .body(Bytes::from(encode_traces_protobuf(&rs)))
            .unwrap();
        let r = handle(req, &self.ctx).await;
        assert_eq!(r.status(), 200, "{:?}", r.body());
    }

    /// All series of `name` whose labels contain `want`, as (labels without `__name__` and the
    /// instance label, [(t, v)]).
    async fn series(&self, name: &str, want: &[(&str, &str)]) -> Vec<TimeSeries> {
        let mut m = vec![LabelMatcher::new(MatchOp::Equal, "__name__", name).unwrap()];
        for (k, v) in want {
            m.push(LabelMatcher::new(MatchOp::Equal, k, v).unwrap());
        }
        MetricsReader::new(self.store.clone())
            .select(&TenantId::anonymous(), &m, 0, i64::MAX)
            .await
            .unwrap()
    }

    async fn samples(&self, name: &str, want: &[(&str, &str)]) -> Vec<(i64, f64)> {
        let s = self.series(name, want).await;
        assert_eq!(s.len(), 1, "{name}{want:?}: {s:#?}");
        points(&s[0])
    }
}

/// `(timestamp ms, value)` of `s`'s samples.
fn points(s: &TimeSeries) -> Vec<(i64, f64)> {
    s.samples
        .iter()
        .map(|x| (x.timestamp_ms, x.value))
        .collect()
}

async fn assert_trace_stored(store: &Store, trace: u8) {
    let id: [u8; 16] = [0xab, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, trace];
    let t = TracesReader::new(store.clone())
        .trace_by_id(&TenantId::anonymous(), &id, None, None)
        .await
        .unwrap();
    let n: usize = t
        .iter()
        .flat_map(|r| &r.scope_spans)
        .map(|s| s.spans.len())
        .sum();
    assert_eq!(n, 3);
}

/// One internal span of service `other` in trace `trace`: an export that only advances the
/// generator's clock (no span metrics of the tested services, no edges).
fn unrelated(trace: u8) -> Vec<ResourceSpans> {
    vec![resource(
        "other",
        vec![span(sp(trace, 1, None, "x", SpanKind::Internal, 1))],
    )]
}

fn frontend_backend(trace: u8) -> Vec<ResourceSpans> {
    vec![
        resource(
            "frontend",
            vec![
                span(sp(trace, 1, None, "GET /api", SpanKind::Server, 250)),
                span(sp(trace, 2, Some(1), "call backend", SpanKind::Client, 100)),
            ],
        ),
        resource(
            "backend",
            vec![span(SpanSpec {
                error: true,
                ..sp(trace, 3, Some(2), "handle", SpanKind::Server, 50)
            })],
        ),
    ]
}

#[tokio::test]
async fn span_metrics_are_cumulative_with_initial_zero() {
    let e = env();
    e.push_at(T, frontend_backend(1)).await;
    e.push_at(T + 60_000, frontend_backend(2)).await;

    let calls = e.series("traces_spanmetrics_calls_total", &[]).await;
    assert_eq!(calls.len(), 3);
    let server = e
        .series(
            "traces_spanmetrics_calls_total",
            &[("span_name", "GET /api")],
        )
        .await;
    let l = &server[0].labels;
    assert_eq!(l.get("service"), Some("frontend"));
    assert_eq!(l.get("span_kind"), Some("SPAN_KIND_SERVER"));
    assert_eq!(l.get("status_code"), Some("STATUS_CODE_UNSET"));
    assert_eq!(l.get(INSTANCE_LABEL), Some("test-instance"));
    assert_eq!(l.len(), 6, "{l:?}");
    let want = vec![(T - 1, 0.0), (T, 1.0), (T + 60_000, 2.0)];
    assert_eq!(
        e.samples(
            "traces_spanmetrics_calls_total",
            &[("span_name", "GET /api")]
        )
        .await,
        want
    );
    assert_eq!(
        e.samples(
            "traces_spanmetrics_calls_total",
            &[
                ("span_name", "handle"),
                ("status_code", "STATUS_CODE_ERROR")
            ]
        )
        .await,
        want
    );

    // Latency: 250 ms lands in le="0.256" (not "0.128"); 15 buckets with +Inf.
    let buckets = e
        .series(
            "traces_spanmetrics_latency_bucket",
            &[("span_name", "GET /api")],
        )
        .await;
    let mut les: Vec<&str> = buckets.iter().filter_map(|s| s.labels.get("le")).collect();
    les.sort_by(|a, b| {
        let f = |x: &str| x.parse::<f64>().unwrap_or(f64::INFINITY);
        f(a).total_cmp(&f(b))
    });
    assert_eq!(
        les,
        [
            "0.002", "0.004", "0.008", "0.016", "0.032", "0.064", "0.128", "0.256", "0.512",
            "1.024", "2.048", "4.096", "8.192", "16.384", "+Inf"
        ]
    );
    let bucket = |le: &'static str| {
        let e = &e;
        async move {
            e.samples(
                "traces_spanmetrics_latency_bucket",
                &[("span_name", "GET /api"), ("le", le)],
            )
            .await
        }
    };
    assert_eq!(
        bucket("0.128").await,
        vec![(T - 1, 0.0), (T, 0.0), (T + 60_000, 0.0)]
    );
    assert_eq!(bucket("0.256").await, want);
    assert_eq!(bucket("+Inf").await, want);
    assert_eq!(
        e.samples(
            "traces_spanmetrics_latency_sum",
            &[("span_name", "GET /api")]
        )
        .await,
        vec![(T - 1, 0.0), (T, 0.25), (T + 60_000, 0.5)]
    );
    assert_eq!(
        e.samples(
            "traces_spanmetrics_latency_count",
            &[("span_name", "GET /api")]
        )
        .await,
        want
    );
    // Size: the protobuf-encoded span size in bytes.
    let size = span(sp(1, 1, None, "GET /api", SpanKind::Server, 250)).encoded_len() as f64;
    assert_eq!(
        e.samples(
            "traces_spanmetrics_size_total",
            &[("span_name", "GET /api")]
        )
        .await,
        vec![(T - 1, 0.0), (T, size), (T + 60_000, 2.0 * size)]
    );
    // The spans themselves are stored as usual.
    assert_trace_stored(&e.store, 1).await;
}

#[tokio::test]
async fn edges_pair_across_requests_and_fail_on_either_side() {
    let e = env();
    // Client side first, server side 5 s later (within Tempo's 10 s wait).
    e.push_at(
        T,
        vec![resource(
            "frontend",
            vec![span(sp(1, 2, Some(1), "call", SpanKind::Client, 400))],
        )],
    )
    .await;
    assert_eq!(e.ctx.generator.pending_edges(&TenantId::anonymous()), 1);
    assert!(e
        .series("traces_service_graph_request_total", &[])
        .await
        .is_empty());
    e.push_at(
        T + 5_000,
        vec![resource(
            "backend",
            vec![span(SpanSpec {
                error: true,
                ..sp(1, 3, Some(2), "handle", SpanKind::Server, 300)
            })],
        )],
    )
    .await;
    assert_eq!(e.ctx.generator.pending_edges(&TenantId::anonymous()), 0);
    let edge = [("client", "frontend"), ("server", "backend")];
    let total = e.series("traces_service_graph_request_total", &edge).await;
    assert_eq!(total.len(), 1);
    assert_eq!(total[0].labels.get("connection_type"), None);
    assert_eq!(total[0].labels.len(), 4, "{:?}", total[0].labels);
    let one = vec![(T + 4_999, 0.0), (T + 5_000, 1.0)];
    assert_eq!(
        e.samples("traces_service_graph_request_total", &edge).await,
        one
    );
    assert_eq!(
        e.samples("traces_service_graph_request_failed_total", &edge)
            .await,
        one
    );
    // Server 0.3 s, client 0.4 s; buckets 0.1·2^k (8) + Inf.
    let b = |n: &'static str, le: &'static str| {
        let e = &e;
        async move {
            let mut w = edge.to_vec();
            w.push(("le", le));
            e.samples(n, &w).await.last().map(|x| x.1)
        }
    };
    let srv = "traces_service_graph_request_server_seconds_bucket";
    let cli = "traces_service_graph_request_client_seconds_bucket";
    assert_eq!(b(srv, "0.2").await, Some(0.0));
    assert_eq!(b(srv, "0.4").await, Some(1.0));
    assert_eq!(b(cli, "0.4").await, Some(1.0));
    assert_eq!(b(cli, "12.8").await, Some(1.0));
    assert_eq!(e.series(srv, &edge).await.len(), 9);
    assert_eq!(
        e.samples("traces_service_graph_request_client_seconds_sum", &edge)
            .await,
        vec![(T + 4_999, 0.0), (T + 5_000, 0.4)]
    );
    // Exemplar: the trace id without leading zeros ... is on the bucket the value fell in
    // (exemplars are checked through the API tests; here the value only).
}

#[tokio::test]
async fn virtual_nodes_database_and_messaging_edges() {
    let e = env();
    let mut db = sp(1, 4, Some(1), "SELECT", SpanKind::Client, 20);
    db.attrs = vec![kv("db.system", "postgresql"), kv("db.name", "orders")];
    let mut peer = sp(1, 5, Some(1), "charge", SpanKind::Client, 30);
    peer.attrs = vec![kv("peer.service", "payments")];
    e.push_at(
        T,
        vec![
            resource(
                "frontend",
                vec![
                    span(sp(1, 1, None, "GET /", SpanKind::Server, 100)),
                    span(db),
                    span(peer),
                    span(sp(1, 6, Some(1), "publish", SpanKind::Producer, 5)),
                ],
            ),
            resource(
                "worker",
                vec![span(sp(1, 7, Some(6), "consume", SpanKind::Consumer, 7))],
            ),
        ],
    )
    .await;
    // Database edges complete at once, named by db.name (no peer.service/server.address).
    let dbe = e
        .series(
            "traces_service_graph_request_total",
            &[("client", "frontend"), ("server", "orders")],
        )
        .await;
    assert_eq!(dbe[0].labels.get("connection_type"), Some("database"));
    assert_eq!(
        e.samples(
            "traces_service_graph_request_server_seconds_sum",
            &[("server", "orders")]
        )
        .await
        .last()
        .map(|x| x.1),
        Some(0.02)
    );
    let mq = e
        .series(
            "traces_service_graph_request_total",
            &[("client", "frontend"), ("server", "worker")],
        )
        .await;
    assert_eq!(
        mq[0].labels.get("connection_type"),
        Some("messaging_system")
    );
    // The root server span and the peer.service client wait; 3 s later nothing expired yet.
    assert_eq!(e.ctx.generator.pending_edges(&TenantId::anonymous()), 2);
    e.push_at(T + 3_000, vec![]).await; // empty export: no processing at all
    e.push_at(T + 3_000, unrelated(2)).await;
    assert_eq!(e.ctx.generator.pending_edges(&TenantId::anonymous()), 2);
    // After the 10 s wait, the next request turns them into virtual-node edges.
    e.push_at(T + 10_000, unrelated(3)).await;
    assert_eq!(e.ctx.generator.pending_edges(&TenantId::anonymous()), 0);
    for (client, server) in [("user", "frontend"), ("frontend", "payments")] {
        let s = e
            .series(
                "traces_service_graph_request_total",
                &[("client", client), ("server", server)],
            )
            .await;
        assert_eq!(s.len(), 1, "{client}->{server}");
        assert_eq!(s[0].labels.get("connection_type"), Some("virtual_node"));
        assert_eq!(points(&s[0]), vec![(T + 9_999, 0.0), (T + 10_000, 1.0)]);
    }
}

#[tokio::test]
async fn untouched_series_are_refreshed_every_15s() {
    let e = env();
    e.push_at(T, frontend_backend(1)).await;
    e.push_at(T + 10_000, unrelated(9)).await;
    e.push_at(T + 15_000, unrelated(9)).await;
    assert_eq!(
        e.samples(
            "traces_spanmetrics_calls_total",
            &[("span_name", "GET /api")]
        )
        .await,
        vec![(T - 1, 0.0), (T, 1.0), (T + 15_000, 1.0)]
    );
}

#[tokio::test]
async fn disabled_by_env_writes_no_metrics() {
    let (limits, warnings) = IngestLimits::from_lookup(|k| match k {
        "LAKEWATCH_TRACES_SPANMETRICS" => Some("0".into()),
        "LAKEWATCH_TRACES_SERVICE_GRAPHS" => Some("false".into()),
        "LAKEWATCH_TRACES_SERVICE_GRAPHS_WAIT_MS" => Some("2000".into()),
        _ => None,
    });
    assert!(warnings.is_empty());
    assert!(!limits.traces.spanmetrics && !limits.traces.service_graphs);
    assert_eq!(limits.traces.service_graphs_wait_ms, 2_000);
    let d = IngestLimits::default().traces;
    assert!(d.spanmetrics && d.service_graphs);
    assert_eq!(
        (d.service_graphs_wait_ms, d.service_graphs_max_items),
        (10_000, 10_000)
    );

    let e = env_with(limits);
    e.push_at(T, frontend_backend(1)).await;
    let all = MetricsReader::new(e.store.clone())
        .select(
            &TenantId::anonymous(),
            &[LabelMatcher::new(MatchOp::Regex, "__name__", ".+").unwrap()],
            0,
            i64::MAX,
        )
        .await
        .unwrap();
    assert!(all.is_empty(), "{all:?}");

    // Span metrics only.
    let mut limits = IngestLimits::default();
    limits.traces.service_graphs = false;
    let e = env_with(limits);
    e.push_at(T, frontend_backend(1)).await;
    assert_eq!(
        e.series("traces_spanmetrics_calls_total", &[]).await.len(),
        3
    );
    assert!(e
        .series("traces_service_graph_request_total", &[])
        .await
        .is_empty());
}

#[tokio::test]
async fn metrics_write_failure_keeps_the_export_successful() {
    let mut e = env();
    // A metrics writer rooted at a regular file: every PUT fails.
    let file = std::env::temp_dir().join(format!(
        "lakewatch-spanmetrics-not-a-dir-{}",
        std::process::id()
    ));
    std::fs::write(&file, b"x").unwrap();
    let fs = object_store::local::LocalFileSystem::new_with_prefix(&file).unwrap();
    let good = e.ctx.writer.clone();
    e.ctx.writer = MetricsWriter::new(Store::new(Arc::new(fs), ""));
    let before = METRICS_WRITE_FAILURES.load(Ordering::Relaxed);
    e.push_at(T, frontend_backend(1)).await; // 200: spans stored
    let _ = std::fs::remove_file(&file);
    assert!(METRICS_WRITE_FAILURES.load(Ordering::Relaxed) > before);
    assert_trace_stored(&e.store, 1).await;
    // Next request with a working store: the lost series are re-sent, with their initial zero.
    e.ctx.writer = good;
    e.push_at(T + 1_000, frontend_backend(2)).await;
    assert_eq!(
        e.samples(
            "traces_spanmetrics_calls_total",
            &[("span_name", "GET /api")]
        )
        .await,
        vec![(T + 999, 0.0), (T + 1_000, 2.0)]
    );
}

/// As Tempo's `metrics_ingestion_time_range_slack` (30 s): spans that ended more than 30 s
/// before (or after) the export's arrival are stored but feed no span metrics or edges.
#[tokio::test]
async fn spans_outside_the_ingestion_slack_feed_no_metrics() {
    let e = env_with(IngestLimits::default());
    // Trace 1 ends 250 ms after T: inside the slack at T + 30 s, outside at T + 31 s.
    e.push_at(T + 30_000, frontend_backend(1)).await;
    e.push_at(T + 31_000, frontend_backend(2)).await;
    assert_trace_stored(&e.store, 2).await;
    let got = e
        .samples(
            "traces_spanmetrics_calls_total",
            &[("span_name", "GET /api")],
        )
        .await;
    // Initial zero, trace 1, and the unchanged value re-sent with the second export at most.
    assert!(got.iter().all(|(_, v)| *v <= 1.0), "{got:?}");
    assert_eq!(got.last().map(|p| p.1), Some(1.0), "{got:?}");
    let edges = e.series("traces_service_graph_request_total", &[]).await;
    let total: f64 = edges
        .iter()
        .filter_map(|s| s.samples.last().map(|x| x.value))
        .sum();
    assert_eq!(total, 1.0, "only trace 1's edge: {edges:#?}");
}
