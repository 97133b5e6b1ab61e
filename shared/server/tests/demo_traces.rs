//! The demo's traces go through the real OTLP/HTTP ingest path and share their trace ids with
//! the demo's logs and exemplars: the demo backfill runs against an in-process `memory://`
//! backend, then trace ids taken from the Loki API (an error log line) and from the exemplars
//! API are looked up with `TracesReader::trace_by_id`, and the stored trace is compared with
//! the one a second simulator with the same seed produces.

use bytes::Bytes;
use lakewatch_model::TenantId;
use lakewatch_server::demo::requests::RequestRecord;
use lakewatch_server::demo::sim::Simulator;
use lakewatch_server::demo::traces::{request_spans, trace_id_bytes, SERVICE_NAME};
use lakewatch_server::demo::writer::encode_query_component as enc;
use lakewatch_server::demo::{backfill, DemoWriters};
use lakewatch_server::Backend;
use lakewatch_storage::TracesReader;
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyV;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, Span};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

const SEED: u64 = 21;
const STEP_MS: i64 = 15_000;
/// Backfilled history: 1 h, as the default `--demo-backfill` (6 backfill writes of 40 steps, then
/// a partial one).
const WINDOW_MS: i64 = 60 * 60_000;

async fn get(backend: &Backend, path: &str) -> Value {
    let req = http::Request::builder()
        .uri(path)
        .body(Bytes::new())
        .expect("request");
    let resp = backend.handle(req).await;
    let body = String::from_utf8_lossy(resp.body()).to_string();
    assert_eq!(resp.status(), 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
}

fn attr<'a>(s: &'a Span, key: &str) -> Option<&'a AnyV> {
    s.attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
        .and_then(|v| v.value.as_ref())
}

fn str_attr<'a>(s: &'a Span, key: &str) -> Option<&'a str> {
    match attr(s, key) {
        Some(AnyV::StringValue(v)) => Some(v),
        _ => None,
    }
}

fn int_attr(s: &Span, key: &str) -> Option<i64> {
    match attr(s, key) {
        Some(AnyV::IntValue(v)) => Some(*v),
        _ => None,
    }
}

/// All spans of a stored trace with the `service.name` of their resource.
fn spans(trace: &[ResourceSpans]) -> Vec<(String, Span)> {
    let mut out = Vec::new();
    for rs in trace {
        let service = rs
            .resource
            .as_ref()
            .and_then(|r| r.attributes.iter().find(|kv| kv.key == "service.name"))
            .and_then(|kv| kv.value.as_ref())
            .and_then(|v| match &v.value {
                Some(AnyV::StringValue(s)) => Some(s.clone()),
                _ => None,
            })
            .unwrap_or_default();
        for ss in &rs.scope_spans {
            for s in &ss.spans {
                out.push((service.clone(), s.clone()));
            }
        }
    }
    out
}

/// Checks the stored trace of `record` against its shape and against the spans the demo
/// generates for it; returns (server, redis, provider) spans.
fn check_trace(record: &RequestRecord, stored: &[ResourceSpans]) -> (Span, Span, Span) {
    let all = spans(stored);
    assert_eq!(all.len(), 3, "{}: {all:?}", record.trace_id);
    for (service, _) in &all {
        assert_eq!(service, SERVICE_NAME);
    }
    let roots: Vec<&Span> = all
        .iter()
        .map(|(_, s)| s)
        .filter(|s| s.parent_span_id.is_empty())
        .collect();
    assert_eq!(roots.len(), 1);
    let root = roots[0].clone();
    let child = |pred: &dyn Fn(&Span) -> bool| -> Span {
        let found: Vec<&Span> = all.iter().map(|(_, s)| s).filter(|s| pred(s)).collect();
        assert_eq!(found.len(), 1, "{all:?}");
        found[0].clone()
    };
    let redis = child(&|s| str_attr(s, "db.system") == Some("redis"));
    let call = child(&|s| str_attr(s, "gen_ai.request.model").is_some());
    // Parent links and kinds.
    assert_eq!(redis.parent_span_id, root.span_id);
    assert_eq!(call.parent_span_id, root.span_id);
    assert_eq!(root.kind, SpanKind::Server as i32);
    assert_eq!(redis.kind, SpanKind::Client as i32);
    assert_eq!(call.kind, SpanKind::Client as i32);
    // The server span is the request: its method, route, status and duration.
    assert_eq!(str_attr(&root, "http.request.method"), Some(record.method));
    assert_eq!(str_attr(&root, "http.route"), Some(record.route));
    assert_eq!(
        int_attr(&root, "http.response.status_code").map(|c| c.to_string()),
        Some(record.status.to_string())
    );
    assert_eq!(root.end_time_unix_nano, record.timestamp_ns as u64);
    let dur = (root.end_time_unix_nano - root.start_time_unix_nano) as f64 / 1e9;
    assert!((dur - record.duration_s).abs() < 1e-6, "{dur} {record:?}");
    for c in [&redis, &call] {
        assert!(c.start_time_unix_nano >= root.start_time_unix_nano);
        assert!(c.end_time_unix_nano <= root.end_time_unix_nano);
    }
    assert!(redis.end_time_unix_nano <= call.start_time_unix_nano);
    // Exactly what the demo generated for this request (same seed → same span ids).
    let want = request_spans(record);
    let mut want: Vec<Span> = want
        .server
        .into_iter()
        .chain(want.redis)
        .chain(want.provider)
        .collect();
    let mut got: Vec<Span> = all.into_iter().map(|(_, s)| s).collect();
    want.sort_by(|a, b| a.span_id.cmp(&b.span_id));
    got.sort_by(|a, b| a.span_id.cmp(&b.span_id));
    assert_eq!(got, want);
    (root, redis, call)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_traces_match_logs_and_exemplars() {
    refused_traces_do_not_stop_metrics_and_logs().await;
    // The backfill's traces are up to an hour old: widen Tempo's 30 s ingestion slack while
    // this backend opens so they all feed span metrics (checked in step 6).
    std::env::set_var("LAKEWATCH_TRACES_GENERATOR_INGESTION_SLACK_MS", "7200000");
    let backend = Backend::open("memory://").await;
    std::env::remove_var("LAKEWATCH_TRACES_GENERATOR_INGESTION_SLACK_MS");
    let backend = Arc::new(backend.expect("backend"));
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64;
    let first = (now_ms - WINDOW_MS) / STEP_MS * STEP_MS;
    let mut writers = DemoWriters::new(backend.clone());
    let mut sim = Simulator::new(SEED);
    let b = backfill(&mut writers, &mut sim, first, now_ms, STEP_MS, None).await;
    assert!(!b.stopped);

    // The same seed and steps give the same requests: index them by trace id.
    let mut again = Simulator::new(SEED);
    let mut records: HashMap<String, RequestRecord> = HashMap::new();
    let mut t = first;
    while t <= now_ms {
        again.step(t, STEP_MS as f64 / 1000.0);
        t += STEP_MS;
    }
    for r in again.take_requests() {
        records.insert(r.trace_id.clone(), r);
    }
    let expected_spans: usize = records.values().map(|r| request_spans(r).len()).sum();
    assert_eq!(b.written.log_lines, records.len());
    assert_eq!(b.written.spans, expected_spans, "every span acknowledged");
    assert!(expected_spans > 2 * records.len());
    eprintln!(
        "backfill of {} min: {} requests, {} spans, {} samples",
        WINDOW_MS / 60_000,
        records.len(),
        b.written.spans,
        b.written.samples
    );

    let reader = TracesReader::new(backend.store().clone());
    let tenant = TenantId::anonymous();
    let lookup = |id: String| {
        let reader = reader.clone();
        let tenant = tenant.clone();
        async move {
            let bytes = trace_id_bytes(&id).unwrap_or_else(|| panic!("bad trace id {id}"));
            reader
                .trace_by_id(&tenant, &bytes, None, None)
                .await
                .unwrap_or_else(|e| panic!("trace_by_id {id}: {e}"))
        }
    };

    // 1. A failed model call found through its error log line.
    let (start_ns, end_ns) = ((first - 60_000) * 1_000_000, (now_ms + 1_000) * 1_000_000);
    let q = "{service_name=\"ai-gateway\", level=\"error\"} |= \"upstream provider error\" | json";
    let v = get(
        &backend,
        &format!(
            "/loki/api/v1/query_range?query={}&start={start_ns}&end={end_ns}&limit=5",
            enc(q)
        ),
    )
    .await;
    let line = v["data"]["result"][0]["values"][0][1]
        .as_str()
        .unwrap_or_else(|| panic!("no provider error logged: {v}"));
    let line: Value = serde_json::from_str(line).expect("json line");
    let id = line["trace_id"].as_str().expect("trace_id").to_string();
    let record = records.get(&id).expect("logged id is a simulated request");
    let stored = lookup(id.clone()).await;
    let (root, _, call) = check_trace(record, &stored);
    assert_eq!(root.status.as_ref().map(|s| s.code), Some(2), "5xx → ERROR");
    assert_eq!(call.status.as_ref().map(|s| s.code), Some(2));
    assert_eq!(call.events.len(), 1);
    assert_eq!(call.events[0].name, "exception");
    assert_eq!(str_attr(&call, "gen_ai.system"), line["provider"].as_str());
    assert_eq!(
        str_attr(&call, "gen_ai.request.model"),
        line["model"].as_str()
    );
    let msg = call.events[0]
        .attributes
        .iter()
        .find(|kv| kv.key == "exception.message")
        .and_then(|kv| kv.value.as_ref())
        .and_then(|v| match &v.value {
            Some(AnyV::StringValue(s)) => Some(s.as_str()),
            _ => None,
        });
    assert_eq!(msg, line["error"].as_str());

    // 2. Model calls found through the exemplars of model_inference_duration_seconds.
    let v = get(
        &backend,
        &format!(
            "/api/v1/query_exemplars?query={}&start={}&end={}",
            enc("model_inference_duration_seconds_bucket"),
            first / 1000 - 60,
            now_ms / 1000 + 1
        ),
    )
    .await;
    let ids: Vec<String> = v["data"]
        .as_array()
        .expect("exemplar series")
        .iter()
        .flat_map(|s| s["exemplars"].as_array().cloned().unwrap_or_default())
        .filter_map(|e| e["labels"]["trace_id"].as_str().map(str::to_string))
        .collect();
    assert!(ids.len() >= 5, "{v}");
    let mut completed = 0;
    for id in ids.iter().take(20) {
        let record = records.get(id).expect("exemplar id is a simulated request");
        let stored = lookup(id.clone()).await;
        let (root, _, call) = check_trace(record, &stored);
        if record.status == "200" {
            completed += 1;
            assert!(root.status.is_none());
            assert!(int_attr(&call, "gen_ai.usage.input_tokens").unwrap_or(0) > 0);
            assert!(int_attr(&call, "gen_ai.usage.output_tokens").is_some());
        }
    }
    assert!(completed > 0);

    // 3. Grafana's Tempo datasource gets the same trace from the Tempo API.
    let v = get(&backend, &format!("/api/v2/traces/{}", ids[0])).await;
    let names: Vec<&str> = v["trace"]["resourceSpans"]
        .as_array()
        .expect("resourceSpans")
        .iter()
        .flat_map(|r| r["scopeSpans"].as_array().cloned().unwrap_or_default())
        .flat_map(|s| s["spans"].as_array().cloned().unwrap_or_default())
        .filter_map(|s| {
            s["name"]
                .as_str()
                .map(|n| n.split(' ').next().unwrap_or("").to_string())
        })
        .map(|n| match n.as_str() {
            "POST" | "GET" => "server",
            "EVALSHA" => "redis",
            _ => "provider",
        })
        .collect();
    assert_eq!(names.len(), 3, "{v}");
    assert!(names.contains(&"server") && names.contains(&"redis"), "{v}");

    // 4. An unknown id is not found.
    assert!(lookup("0123456789abcdef0123456789abcdef".into())
        .await
        .is_empty());

    // 5. TraceQL search finds the failed model call of step 1 by its provider and status.
    let q = format!(
        "{{ span.gen_ai.system = \"{}\" && status = error }}",
        line["provider"].as_str().expect("provider")
    );
    let v = get(
        &backend,
        &format!(
            "/api/search?q={}&start={}&end={}&limit=100000",
            enc(&q),
            first / 1000 - 60,
            now_ms / 1000 + 1
        ),
    )
    .await;
    let found: Vec<&str> = v["traces"]
        .as_array()
        .unwrap_or_else(|| panic!("no traces: {v}"))
        .iter()
        .filter_map(|t| t["traceID"].as_str())
        .collect();
    assert!(
        found.contains(&id.trim_start_matches('0')),
        "{id} not in {v}"
    );

    // 6. Span metrics and the service graph of the demo traces, through PromQL: one server
    //    span per simulated request; the Redis calls are a database edge.
    //    Generated series are written at the wall-clock time of each export: query after them.
    let at = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs_f64()
        + 1.0;
    let promql = |q: &str| format!("/api/v1/query?query={}&time={at}", enc(q));
    let v = get(
        &backend,
        &promql("sum(traces_spanmetrics_calls_total{service=\"ai-gateway\",span_kind=\"SPAN_KIND_SERVER\"})"),
    )
    .await;
    assert_eq!(
        v["data"]["result"][0]["value"][1],
        records.len().to_string(),
        "{v}"
    );
    let v = get(
        &backend,
        &promql("group by (client, server, connection_type) (traces_service_graph_request_total)"),
    )
    .await;
    let edges: Vec<(String, String, String)> = v["data"]["result"]
        .as_array()
        .unwrap_or_else(|| panic!("no edges: {v}"))
        .iter()
        .map(|r| {
            let m = &r["metric"];
            let l = |k: &str| m[k].as_str().unwrap_or("").to_string();
            (l("client"), l("server"), l("connection_type"))
        })
        .collect();
    assert!(
        edges.contains(&("ai-gateway".into(), "redis".into(), "database".into())),
        "{v}"
    );
}

/// With trace exports refused (a 1-span request limit, set only while this backend opens: the
/// tests of this file run inside one test function, so no other backend sees it), the backfill
/// still writes every metric sample and log line.
async fn refused_traces_do_not_stop_metrics_and_logs() {
    std::env::set_var("LAKEWATCH_TRACES_MAX_SPANS_PER_REQUEST", "1");
    let backend = Backend::open("memory://").await;
    std::env::remove_var("LAKEWATCH_TRACES_MAX_SPANS_PER_REQUEST");
    let backend = Arc::new(backend.expect("backend"));
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64;
    let first = (now_ms - 15 * 60_000) / STEP_MS * STEP_MS;
    let mut writers = DemoWriters::new(backend.clone());
    let mut sim = Simulator::new(SEED);
    let b = backfill(&mut writers, &mut sim, first, now_ms, STEP_MS, None).await;
    assert_eq!(b.written.spans, 0);
    assert!(b.written.samples > 10_000, "{b:?}");
    assert!(b.written.log_lines > 5_000, "{b:?}");
    let q = enc("sum(count_over_time({service_name=\"ai-gateway\"}[1h]))");
    let v = get(
        &backend,
        &format!("/loki/api/v1/query?query={q}&time={}", now_ms * 1_000_000),
    )
    .await;
    assert_eq!(
        v["data"]["result"][0]["value"][1].as_str(),
        Some(b.written.log_lines.to_string().as_str()),
        "{v}"
    );
}
