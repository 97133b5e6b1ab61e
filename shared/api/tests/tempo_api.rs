//! The Tempo query API through `App::handle`: trace by id (v1, v2; protobuf and JSON decoded
//! back and compared with what was written), time range, tenants, echo, buildinfo, routing.

mod common;

use base64::Engine;
use bytes::Bytes;
use common::get_with;
use common::tempo::{kv, traces_app};
use http::Request;
use lakewatch_api::tempo::proto::{Trace, TraceByIdResponse};
use lakewatch_api::{App, QueryConfig};
use lakewatch_model::TenantId;
use lakewatch_storage::{AuthConfig, Store};
use opentelemetry_proto::tonic::common::v1::{any_value::Value, InstrumentationScope};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{
    span, status, ResourceSpans, ScopeSpans, Span, Status,
};
use prost::Message;

/// 2023-11-14T22:13:20Z in ns.
const T0: u64 = 1_700_000_000_000_000_000;
const TRACE_A: [u8; 16] = [
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
];
const TRACE_A_HEX: &str = "000000000000000123456789abcdef0";
const TRACE_B: [u8; 16] = [0xbb; 16];

fn span(trace: [u8; 16], id: u8, parent: Option<u8>, name: &str, start_off_ms: u64) -> Span {
    Span {
        trace_id: trace.to_vec(),
        span_id: vec![0, 0, 0, 0, 0, 0, 0, id],
        parent_span_id: parent
            .map(|p| vec![0, 0, 0, 0, 0, 0, 0, p])
            .unwrap_or_default(),
        name: name.into(),
        kind: if parent.is_none() { 2 } else { 3 },
        start_time_unix_nano: T0 + start_off_ms * 1_000_000,
        end_time_unix_nano: T0 + (start_off_ms + 250) * 1_000_000,
        attributes: vec![
            kv("http.method", Value::StringValue("GET".into())),
            kv("http.status_code", Value::IntValue(200)),
            kv("ratio", Value::DoubleValue(0.25)),
            kv("ok", Value::BoolValue(true)),
        ],
        events: vec![span::Event {
            time_unix_nano: T0 + (start_off_ms + 10) * 1_000_000,
            name: "cache miss".into(),
            attributes: vec![kv("key", Value::StringValue("user:1".into()))],
            dropped_attributes_count: 0,
        }],
        status: Some(Status {
            message: if parent.is_some() {
                "boom".into()
            } else {
                String::new()
            },
            code: if parent.is_some() {
                status::StatusCode::Error as i32
            } else {
                0
            },
        }),
        ..Default::default()
    }
}

fn resource(service: &str, spans: Vec<Span>) -> ResourceSpans {
    ResourceSpans {
        resource: Some(Resource {
            attributes: vec![kv("service.name", Value::StringValue(service.into()))],
            ..Default::default()
        }),
        scope_spans: vec![ScopeSpans {
            scope: Some(InstrumentationScope {
                name: "lib".into(),
                version: "1.0".into(),
                ..Default::default()
            }),
            spans,
            ..Default::default()
        }],
        ..Default::default()
    }
}

/// Trace A: `api` root + `db` child (two resources); trace B: one span an hour later.
fn fixture() -> Vec<ResourceSpans> {
    vec![
        resource(
            "api",
            vec![
                span(TRACE_A, 1, None, "GET /users", 0),
                span(TRACE_B, 9, None, "GET /late", 3_600_000),
            ],
        ),
        resource("db", vec![span(TRACE_A, 2, Some(1), "SELECT", 20)]),
    ]
}

async fn app() -> App {
    // Tenant `other` holds a different trace under the same id as trace A.
    let other = span(TRACE_A, 7, None, "other", 0);
    traces_app(vec![
        (TenantId::anonymous(), fixture()),
        (
            TenantId::new("other").unwrap(),
            vec![resource("other-svc", vec![other])],
        ),
    ])
    .await
}

/// The spans of trace `id` in the fixture, grouped as the reader returns them (by resource and
/// scope in order of first span, spans by start).
fn expected(id: [u8; 16]) -> Vec<ResourceSpans> {
    let mut out: Vec<ResourceSpans> = Vec::new();
    for rs in fixture() {
        let mut rs = rs.clone();
        for ss in &mut rs.scope_spans {
            ss.spans.retain(|s| s.trace_id == id);
        }
        rs.scope_spans.retain(|ss| !ss.spans.is_empty());
        if !rs.scope_spans.is_empty() {
            out.push(rs);
        }
    }
    out
}

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

#[tokio::test]
async fn v1_protobuf_roundtrips_what_was_written() {
    let app = app().await;
    let r = get_with(
        &app,
        &format!("/api/traces/{TRACE_A_HEX}"),
        &[("accept", "application/protobuf")],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.content_type(), "application/protobuf");
    let t = Trace::decode(r.body.as_ref()).expect("tempopb.Trace");
    assert_eq!(t.resource_spans, expected(TRACE_A));
}

#[tokio::test]
async fn v1_json_is_tempo_jsonpb_with_batches() {
    let app = app().await;
    let r = get_with(&app, "/api/traces/123456789ABCDEF0", &[]).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.content_type(), "application/json");
    let j = r.json();
    let batches = j["batches"].as_array().expect("batches");
    assert_eq!(batches.len(), 2);
    assert!(j.get("resourceSpans").is_none());
    let api = &batches[0];
    assert_eq!(
        api["resource"]["attributes"][0],
        serde_json::json!({"key": "service.name", "value": {"stringValue": "api"}})
    );
    let ss = &api["scopeSpans"][0];
    assert_eq!(
        ss["scope"],
        serde_json::json!({"name": "lib", "version": "1.0"})
    );
    let s = &ss["spans"][0];
    // Ids are base64 (gogo jsonpb bytes), 64-bit ints strings, enums names.
    assert_eq!(s["traceId"], b64(&TRACE_A));
    assert_eq!(s["spanId"], b64(&[0, 0, 0, 0, 0, 0, 0, 1]));
    assert!(s.get("parentSpanId").is_none());
    assert_eq!(s["name"], "GET /users");
    assert_eq!(s["kind"], "SPAN_KIND_SERVER");
    assert_eq!(s["startTimeUnixNano"], T0.to_string());
    assert_eq!(s["endTimeUnixNano"], (T0 + 250_000_000).to_string());
    assert_eq!(
        s["attributes"],
        serde_json::json!([
            {"key": "http.method", "value": {"stringValue": "GET"}},
            {"key": "http.status_code", "value": {"intValue": "200"}},
            {"key": "ratio", "value": {"doubleValue": 0.25}},
            {"key": "ok", "value": {"boolValue": true}},
        ])
    );
    assert_eq!(
        s["events"],
        serde_json::json!([{
            "timeUnixNano": (T0 + 10_000_000).to_string(),
            "name": "cache miss",
            "attributes": [{"key": "key", "value": {"stringValue": "user:1"}}],
        }])
    );
    // Status with code 0 and no message: an empty object, as jsonpb writes it.
    assert_eq!(s["status"], serde_json::json!({}));
    let db = &batches[1]["scopeSpans"][0]["spans"][0];
    assert_eq!(db["parentSpanId"], b64(&[0, 0, 0, 0, 0, 0, 0, 1]));
    assert_eq!(db["kind"], "SPAN_KIND_CLIENT");
    assert_eq!(
        db["status"],
        serde_json::json!({"message": "boom", "code": "STATUS_CODE_ERROR"})
    );
}

#[tokio::test]
async fn v2_json_and_protobuf() {
    let app = app().await;
    let r = get_with(&app, &format!("/api/v2/traces/{TRACE_A_HEX}"), &[]).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let j = r.json();
    assert_eq!(j["trace"]["resourceSpans"].as_array().unwrap().len(), 2);
    assert!(j.get("status").is_none(), "COMPLETE is the zero value");
    assert_eq!(j["metrics"], serde_json::json!({}));
    assert_eq!(
        j["trace"]["resourceSpans"][1]["scopeSpans"][0]["spans"][0]["name"],
        "SELECT"
    );

    let r = get_with(
        &app,
        &format!("/api/v2/traces/{TRACE_A_HEX}"),
        &[("accept", "application/protobuf")],
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.content_type(), "application/protobuf");
    let resp = TraceByIdResponse::decode(r.body.as_ref()).expect("TraceByIDResponse");
    assert_eq!(resp.status, 0);
    assert_eq!(resp.trace.unwrap().resource_spans, expected(TRACE_A));
}

#[tokio::test]
async fn not_found() {
    let app = app().await;
    let r = get_with(&app, "/api/traces/abcdef", &[]).await;
    assert_eq!(r.status, 404);
    assert!(r.body.is_empty());
    let r = get_with(
        &app,
        "/api/traces/abcdef",
        &[("accept", "application/protobuf")],
    )
    .await;
    assert_eq!(r.status, 404);
    // v2: Tempo's combiner answers 200 with an empty trace.
    let r = get_with(&app, "/api/v2/traces/abcdef", &[]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), r#"{"trace":{},"metrics":{}}"#);
}

#[tokio::test]
async fn invalid_ids_and_params() {
    let app = app().await;
    let r = get_with(&app, "/api/traces/xyz", &[]).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.text(),
        "trace IDs can only contain hex characters: invalid character 'x' at position 1"
    );
    let r = get_with(&app, &format!("/api/v2/traces/{}", "a".repeat(33)), &[]).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.text(), "trace IDs can't be larger than 128 bits");
    let r = get_with(&app, &format!("/api/traces/{TRACE_A_HEX}?start=abc"), &[]).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.text(),
        "invalid start: strconv.ParseInt: parsing \"abc\": invalid syntax"
    );
    let r = get_with(
        &app,
        &format!("/api/traces/{TRACE_A_HEX}?start=200&end=100"),
        &[],
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.text(),
        "http parameter start must be before end. received start=200 end=100"
    );
}

#[tokio::test]
async fn start_end_select_by_span_start() {
    let app = app().await;
    let t0 = (T0 / 1_000_000_000) as i64;
    let a = TRACE_A_HEX;
    let b = hex(&TRACE_B);
    let status = |uri: String| {
        let app = app.clone();
        async move { get_with(&app, &uri, &[]).await.status }
    };
    // The end second is inclusive (Tempo compares block times in whole seconds).
    assert_eq!(
        status(format!("/api/traces/{a}?start={}&end={t0}", t0 - 100)).await,
        200
    );
    // Only start, only end.
    assert_eq!(
        status(format!("/api/traces/{a}?start={}", t0 - 1)).await,
        200
    );
    assert_eq!(status(format!("/api/traces/{a}?end={}", t0 - 1)).await, 404);
    // Windows before and after every span of the object find nothing.
    let before = format!("/api/traces/{b}?start={}&end={}", t0 - 7200, t0 - 3600);
    assert_eq!(status(before).await, 404);
    let after = format!("/api/traces/{b}?start={}&end={}", t0 + 7200, t0 + 9000);
    assert_eq!(status(after).await, 404);
    // Like Tempo's block selection, a window hitting the object returns the whole trace.
    let hit = format!("/api/v2/traces/{b}?start={}&end={}", t0 + 3000, t0 + 3600);
    let r = get_with(&app, &hit, &[]).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json()["trace"]["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["name"],
        "GET /late"
    );
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[tokio::test]
async fn tenants_are_isolated() {
    let app = app().await;
    let r = get_with(
        &app,
        &format!("/api/traces/{TRACE_A_HEX}"),
        &[
            ("accept", "application/protobuf"),
            ("x-scope-orgid", "other"),
        ],
    )
    .await;
    assert_eq!(r.status, 200);
    let t = Trace::decode(r.body.as_ref()).unwrap();
    assert_eq!(t.resource_spans.len(), 1);
    assert_eq!(t.resource_spans[0].scope_spans[0].spans[0].name, "other");
    let r = get_with(
        &app,
        &format!("/api/traces/{}", hex(&TRACE_B)),
        &[("x-scope-orgid", "other")],
    )
    .await;
    assert_eq!(r.status, 404);
    let r = get_with(
        &app,
        &format!("/api/traces/{}", hex(&TRACE_B)),
        &[("x-scope-orgid", "nobody")],
    )
    .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn echo_buildinfo_and_routing() {
    let app = app().await;
    let r = get_with(&app, "/api/echo", &[]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "echo\n");
    let r = get_with(&app, "/api/status/buildinfo", &[]).await;
    assert_eq!(r.status, 200);
    let j = r.json();
    assert_eq!(j["version"], "2.1.1");
    for k in ["revision", "branch", "buildUser", "buildDate", "goVersion"] {
        assert!(j[k].is_string(), "{k}");
    }
    // Prometheus keeps /api/v1/*, including its own buildinfo.
    let r = get_with(&app, "/api/v1/status/buildinfo", &[]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["status"], "success");
    // Through the Mimir-style prefix and cargo-lambda's prefix too.
    let r = get_with(&app, "/lambda-url/query-traces/api/echo", &[]).await;
    assert_eq!(r.text(), "echo\n");
    // Search and TraceQL metrics are served (tests/tempo_search.rs has the details).
    for p in [
        "/api/search?q=%7B%7D",
        "/api/metrics/query_range?q=%7B%7D%7Crate()",
        "/api/metrics/query?q=%7B%7D%7Crate()",
    ] {
        let r = get_with(&app, p, &[]).await;
        assert_eq!(r.status, 200, "{p}: {}", r.text());
    }
    // Unknown Tempo-looking paths are 404.
    assert_eq!(get_with(&app, "/api/metrics/nope", &[]).await.status, 404);
    assert_eq!(get_with(&app, "/api/traces/a/b", &[]).await.status, 404);
    // CORS like the other APIs.
    let r = get_with(&app, "/api/echo", &[("origin", "http://grafana")]).await;
    assert_eq!(r.headers.get("access-control-allow-origin").unwrap(), "*");
}

#[tokio::test]
async fn handle_query_traces_directly() {
    let app = app().await;
    let req = Request::get(format!("/api/traces/{TRACE_A_HEX}"))
        .header("accept", "application/json, application/protobuf")
        .body(Bytes::new())
        .unwrap();
    let r = app.handle_query_traces(req).await;
    assert_eq!(r.status(), 200);
    // protobuf wins when both are listed (Tempo checks protobuf first).
    assert!(Trace::decode(r.body().as_ref()).is_ok());
}

#[tokio::test]
async fn auth_is_checked() {
    let store = Store::memory();
    let auth = AuthConfig::parse("team-a:secret").expect("auth spec");
    let app = App::new(store, auth, QueryConfig::default());
    let r = get_with(&app, "/api/echo", &[]).await;
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn otlp_push_then_query_through_app_handle() {
    let app = App::new(
        Store::memory(),
        AuthConfig::disabled(),
        QueryConfig::default(),
    );
    let body = lakewatch_ingest::encode_traces_protobuf(&fixture());
    let req = Request::post("/v1/traces")
        .header("content-type", "application/x-protobuf")
        .header("x-scope-orgid", "pushed")
        .body(Bytes::from(body))
        .unwrap();
    let r = app.handle(req).await;
    assert_eq!(r.status(), 200, "{:?}", r.body());
    let r = get_with(
        &app,
        &format!("/api/v2/traces/{}", hex(&TRACE_B)),
        &[
            ("accept", "application/protobuf"),
            ("x-scope-orgid", "pushed"),
        ],
    )
    .await;
    assert_eq!(r.status, 200);
    let resp = TraceByIdResponse::decode(r.body.as_ref()).unwrap();
    assert_eq!(resp.trace.unwrap().resource_spans, expected(TRACE_B));
}
