//! OTLP/HTTP traces (`POST /v1/traces`, `/otlp/v1/traces`): protobuf and OTLP/JSON round trips
//! through the pure decoder and through storage (read back with `TracesReader::trace_by_id`
//! on a `memory://` store), gzip, `partial_success`, and every error status with its
//! `google.rpc.Status` body in the request's content type.

use bytes::Bytes;
use lakewatch_ingest::otlp::logs_decode::RpcStatus;
use lakewatch_ingest::otlp::traces_encode::gzip;
use lakewatch_ingest::otlp::OtlpFormat;
use lakewatch_ingest::{
    decode_traces, decode_traces_response, encode_traces_json, encode_traces_protobuf, handle,
    IngestContext, IngestLimits,
};
use lakewatch_model::TenantId;
use lakewatch_storage::{AuthConfig, Store, TracesReader};
use opentelemetry_proto::tonic::common::v1::{
    any_value::Value as Av, AnyValue, ArrayValue, InstrumentationScope, KeyValue, KeyValueList,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{span, ResourceSpans, ScopeSpans, Span, Status};
use prost::Message;
use std::sync::Arc;

const PB: &str = "application/x-protobuf";
const JSON: &str = "application/json";

fn av(v: Av) -> Option<AnyValue> {
    Some(AnyValue { value: Some(v) })
}

fn kv(k: &str, v: Av) -> KeyValue {
    KeyValue {
        key: k.into(),
        value: av(v),
        ..Default::default()
    }
}

fn s(v: &str) -> Av {
    Av::StringValue(v.into())
}

fn now_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
}

fn trace_id(n: u8) -> Vec<u8> {
    let mut t = vec![0xab; 16];
    t[15] = n;
    t
}

fn span_id(n: u8) -> Vec<u8> {
    vec![0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, n]
}

/// A trace shaped like the reference backend's: HTTP server span → Redis client span →
/// provider call span (model/provider/tokens attributes, error status), with every attribute
/// value type, an event and a link; plus a second service in another resource.
fn sample(tid: u8, t0: u64) -> Vec<ResourceSpans> {
    let server = Span {
        trace_id: trace_id(tid),
        span_id: span_id(1),
        name: "POST /v1/chat".into(),
        kind: span::SpanKind::Server as i32,
        start_time_unix_nano: t0,
        end_time_unix_nano: t0 + 250_000_000,
        flags: 0x301,
        trace_state: "vendor=x".into(),
        attributes: vec![
            kv("http.request.method", s("POST")),
            kv("http.response.status_code", Av::IntValue(502)),
            kv("http.route", s("/v1/chat")),
            kv("sampled", Av::BoolValue(true)),
            kv("ratio", Av::DoubleValue(0.25)),
            kv("raw", Av::BytesValue(vec![0, 1, 2, 255])),
            kv(
                "tags",
                Av::ArrayValue(ArrayValue {
                    values: vec![
                        AnyValue {
                            value: Some(s("a")),
                        },
                        AnyValue {
                            value: Some(Av::IntValue(-7)),
                        },
                    ],
                }),
            ),
            kv(
                "nested",
                Av::KvlistValue(KeyValueList {
                    values: vec![kv("inner", s("v"))],
                }),
            ),
        ],
        events: vec![span::Event {
            time_unix_nano: t0 + 1_000,
            name: "exception".into(),
            attributes: vec![kv("exception.message", s("upstream 502"))],
            dropped_attributes_count: 1,
        }],
        links: vec![span::Link {
            trace_id: trace_id(99),
            span_id: span_id(9),
            trace_state: String::new(),
            attributes: vec![kv("link.kind", s("follows"))],
            dropped_attributes_count: 0,
            flags: 1,
        }],
        status: Some(Status {
            message: "bad gateway".into(),
            code: 2,
        }),
        dropped_attributes_count: 3,
        dropped_events_count: 4,
        dropped_links_count: 5,
        ..Default::default()
    };
    let redis = Span {
        trace_id: trace_id(tid),
        span_id: span_id(2),
        parent_span_id: span_id(1),
        name: "GET".into(),
        kind: span::SpanKind::Client as i32,
        start_time_unix_nano: t0 + 1_000_000,
        end_time_unix_nano: t0 + 3_000_000,
        attributes: vec![kv("db.system", s("redis"))],
        status: Some(Status {
            message: String::new(),
            code: 1,
        }),
        ..Default::default()
    };
    let provider = Span {
        trace_id: trace_id(tid),
        span_id: span_id(3),
        parent_span_id: span_id(1),
        name: "chat gpt-4o".into(),
        kind: span::SpanKind::Client as i32,
        start_time_unix_nano: t0 + 5_000_000,
        end_time_unix_nano: t0 + 245_000_000,
        attributes: vec![
            kv("gen_ai.request.model", s("gpt-4o")),
            kv("gen_ai.system", s("openai")),
            kv("gen_ai.usage.input_tokens", Av::IntValue(1234)),
        ],
        status: Some(Status {
            message: "provider error".into(),
            code: 2,
        }),
        ..Default::default()
    };
    let worker = Span {
        trace_id: trace_id(tid),
        span_id: span_id(4),
        parent_span_id: span_id(1),
        name: "consume".into(),
        kind: span::SpanKind::Consumer as i32,
        start_time_unix_nano: t0 + 2_000_000,
        end_time_unix_nano: t0 + 2_000_000,
        ..Default::default()
    };
    vec![
        ResourceSpans {
            resource: Some(Resource {
                attributes: vec![
                    kv("service.name", s("gateway")),
                    kv("deployment.environment", s("prod")),
                ],
                dropped_attributes_count: 0,
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                scope: Some(InstrumentationScope {
                    name: "opentelemetry.instrumentation.fastapi".into(),
                    version: "0.48b0".into(),
                    attributes: vec![kv("scope.attr", s("x"))],
                    dropped_attributes_count: 0,
                }),
                spans: vec![server, redis, provider],
                schema_url: "https://opentelemetry.io/schemas/1.26.0".into(),
            }],
            schema_url: "https://opentelemetry.io/schemas/1.26.0".into(),
        },
        ResourceSpans {
            resource: Some(Resource {
                attributes: vec![kv("service.name", s("worker"))],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                scope: None,
                spans: vec![worker],
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        },
    ]
}

fn headers(ct: &str, enc: Option<&str>) -> http::HeaderMap {
    let mut h = http::HeaderMap::new();
    h.insert(http::header::CONTENT_TYPE, ct.parse().unwrap());
    if let Some(e) = enc {
        h.insert(http::header::CONTENT_ENCODING, e.parse().unwrap());
    }
    h
}

// ---------------------------------------------------------------- pure decoder

#[test]
fn protobuf_round_trip_through_decoder() {
    let rs = sample(1, 1_700_000_000_000_000_000);
    let d = decode_traces(
        &headers(PB, None),
        &encode_traces_protobuf(&rs),
        &IngestLimits::default(),
    )
    .unwrap();
    assert_eq!(d.format, Some(OtlpFormat::Protobuf));
    assert_eq!((d.accepted_spans, d.rejected_spans), (4, 0));
    assert!(d.errors.is_empty());
    assert_eq!(d.resource_spans, rs);
}

#[test]
fn json_round_trip_through_decoder() {
    let rs = sample(2, 1_700_000_000_000_000_000);
    let body = encode_traces_json(&rs);
    let text = String::from_utf8(body.clone()).unwrap();
    // Spec OTLP/JSON: hex ids, int64 as strings, enums as integers, no nulls.
    let tid = format!(r#""traceId":"{}02""#, "ab".repeat(15));
    assert!(text.contains(&tid), "{text}");
    assert!(text.contains(r#""parentSpanId":"1020304050607001""#));
    assert!(text.contains(r#""startTimeUnixNano":"1700000000000000000""#));
    assert!(text.contains(r#""kind":2"#));
    assert!(text.contains(r#""intValue":"502""#));
    assert!(!text.contains("null"), "{text}");
    let d = decode_traces(&headers(JSON, None), &body, &IngestLimits::default()).unwrap();
    assert_eq!(d.format, Some(OtlpFormat::Json));
    assert_eq!((d.accepted_spans, d.rejected_spans), (4, 0));
    assert_eq!(d.resource_spans, rs);
}

/// A body written by hand as the OTLP/JSON spec allows: upper-case hex ids, 64-bit ints as
/// strings and as numbers, enums as integers, unknown fields, empty `AnyValue {}`, `null`s.
/// Also what some senders emit outside the spec: enum names and base64 ids.
#[test]
fn spec_json_variants_decode() {
    let body = br#"{
      "resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "svc"}}]},
        "futureField": {"a": 1},
        "scopeSpans": [{
          "scope": {"name": "lib"},
          "spans": [
            {"traceId": "5B8EFFF798038103D269B633813FC60C", "spanId": "EEE19B7EC3C1B174",
             "parentSpanId": "", "name": "a", "kind": 2,
             "startTimeUnixNano": "1544712660000000000", "endTimeUnixNano": 1544712661000000000,
             "attributes": [{"key": "n", "value": {"intValue": 5}}, {"key": "e", "value": {}},
                            {"key": "s", "value": {"intValue": "6"}}],
             "events": [{"timeUnixNano": "1544712660500000000", "name": "ev"}],
             "status": {"code": 2, "message": "boom"}, "unknownSpanField": [1, 2]},
            {"traceId": "W47/95gDgQPSabYzgT/GDA==", "spanId": "7uGbfsPBsXQ=",
             "parentSpanId": null, "name": "b", "kind": "SPAN_KIND_CLIENT",
             "startTimeUnixNano": "1544712660000000000", "endTimeUnixNano": "1544712660000000001",
             "status": {"code": "STATUS_CODE_OK"}, "droppedAttributesCount": "2"}
          ]
        }]
      }]
    }"#;
    let d = decode_traces(&headers(JSON, None), body, &IngestLimits::default()).unwrap();
    assert_eq!(
        (d.accepted_spans, d.rejected_spans),
        (2, 0),
        "{:?}",
        d.errors
    );
    let spans = &d.resource_spans[0].scope_spans[0].spans;
    let tid = vec![
        0x5b, 0x8e, 0xff, 0xf7, 0x98, 0x03, 0x81, 0x03, 0xd2, 0x69, 0xb6, 0x33, 0x81, 0x3f, 0xc6,
        0x0c,
    ];
    let sid = vec![0xee, 0xe1, 0x9b, 0x7e, 0xc3, 0xc1, 0xb1, 0x74];
    for sp in spans {
        assert_eq!(sp.trace_id, tid);
        assert_eq!(sp.span_id, sid);
        assert!(sp.parent_span_id.is_empty());
    }
    assert_eq!(spans[0].kind, 2);
    assert_eq!(spans[0].end_time_unix_nano, 1_544_712_661_000_000_000);
    assert_eq!(spans[0].attributes[0].value, av(Av::IntValue(5)));
    assert_eq!(spans[0].attributes[1].value, None);
    assert_eq!(spans[0].attributes[2].value, av(Av::IntValue(6)));
    assert_eq!(spans[0].events[0].time_unix_nano, 1_544_712_660_500_000_000);
    assert_eq!(spans[0].status.as_ref().unwrap().code, 2);
    assert_eq!(spans[1].kind, 3);
    assert_eq!(spans[1].status.as_ref().unwrap().code, 1);
    assert_eq!(spans[1].dropped_attributes_count, 2);
}

#[test]
fn gzip_bodies_decode() {
    let rs = sample(3, 1_700_000_000_000_000_000);
    for (ct, body) in [
        (PB, encode_traces_protobuf(&rs)),
        (JSON, encode_traces_json(&rs)),
    ] {
        for enc in ["gzip", "GZIP", "x-gzip"] {
            let d = decode_traces(
                &headers(ct, Some(enc)),
                &gzip(&body),
                &IngestLimits::default(),
            )
            .unwrap();
            assert_eq!(d.resource_spans, rs, "{ct} {enc}");
        }
    }
    let d = decode_traces(
        &headers(PB, Some("identity")),
        &encode_traces_protobuf(&rs),
        &IngestLimits::default(),
    )
    .unwrap();
    assert_eq!(d.accepted_spans, 4);
}

/// Invalid spans are dropped with grouped reasons; the valid ones keep their resource and
/// scope; resources left empty disappear.
fn mixed(t0: u64) -> Vec<ResourceSpans> {
    let mut rs = sample(4, t0);
    let good = rs[0].scope_spans[0].spans[0].clone();
    let mut bad = Vec::new();
    let mut b = good.clone();
    b.trace_id = vec![1; 15];
    b.span_id = span_id(20);
    bad.push(b);
    let mut b = good.clone();
    b.trace_id = vec![0; 16];
    bad.push(b);
    let mut b = good.clone();
    b.trace_id = vec![2; 17];
    bad.push(b);
    let mut b = good.clone();
    b.span_id = vec![3; 4];
    bad.push(b);
    let mut b = good.clone();
    b.end_time_unix_nano = b.start_time_unix_nano - 1;
    bad.push(b);
    rs[0].scope_spans[0].spans.extend(bad.clone());
    // A resource with only invalid spans.
    rs[1].scope_spans[0].spans[0].span_id = vec![0; 8];
    rs
}

#[test]
fn partial_success_in_decoder() {
    let t0 = 1_700_000_000_000_000_000;
    let rs = mixed(t0);
    for (ct, body) in [
        (PB, encode_traces_protobuf(&rs)),
        (JSON, encode_traces_json(&rs)),
    ] {
        let d = decode_traces(&headers(ct, None), &body, &IngestLimits::default()).unwrap();
        assert_eq!((d.accepted_spans, d.rejected_spans), (3, 6), "{ct}");
        assert_eq!(d.resource_spans.len(), 1);
        assert_eq!(
            d.resource_spans[0].scope_spans[0].spans,
            sample(4, t0)[0].scope_spans[0].spans
        );
        let msg = d.error_message();
        assert!(
            msg.contains("1 span rejected: trace_id must be 16 bytes (32 hex digits), got 15 bytes (first: trace_id \"010101010101010101010101010101\", span_id \"1020304050607014\")"),
            "{msg}"
        );
        assert!(msg.contains("trace_id must be 16 bytes (32 hex digits), got 17 bytes"));
        assert!(msg.contains("1 span rejected: trace_id is all zeros"));
        assert!(msg.contains("1 span rejected: span_id must be 8 bytes"));
        assert!(msg.contains("1 span rejected: span_id is all zeros"));
        assert!(msg.contains("end_time_unix_nano is before start_time_unix_nano"));
    }
}

#[test]
fn decoder_errors() {
    let l = IngestLimits::default();
    let body = encode_traces_protobuf(&sample(5, 1));
    let status = |h: http::HeaderMap, b: &[u8], l: &IngestLimits| {
        decode_traces(&h, b, l).unwrap_err().status.as_u16()
    };
    assert_eq!(status(headers("text/plain", None), &body, &l), 415);
    assert_eq!(status(http::HeaderMap::new(), &body, &l), 415);
    assert_eq!(status(headers(PB, Some("br")), &body, &l), 415);
    assert_eq!(status(headers(PB, Some("gzip")), &body, &l), 400);
    assert_eq!(status(headers(PB, None), b"\xff\xff\xff", &l), 400);
    assert_eq!(status(headers(JSON, None), b"{not json", &l), 400);
    assert_eq!(
        status(headers(JSON, None), br#"{"resourceSpans":{}}"#, &l),
        400
    );
    // Odd-length hex id: undecodable JSON, the whole request is refused.
    let odd = br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"abc","spanId":"0102030405060708"}]}]}]}"#;
    let e = decode_traces(&headers(JSON, None), odd, &l).unwrap_err();
    assert_eq!(e.status.as_u16(), 400);
    assert!(e.message.contains("invalid OTLP JSON"), "{}", e.message);
    let small = IngestLimits {
        max_body_bytes: 64,
        ..Default::default()
    };
    assert_eq!(status(headers(PB, None), &body, &small), 413);
    // Compressed under the limit, decompressed over it.
    let zeros = gzip(&[b' '; 10_000]);
    assert!(zeros.len() < 64);
    assert_eq!(status(headers(JSON, Some("gzip")), &zeros, &small), 413);
    let mut few = IngestLimits::default();
    few.traces.max_spans_per_request = 3;
    let e = decode_traces(&headers(PB, None), &body, &few).unwrap_err();
    assert_eq!(e.status.as_u16(), 400);
    assert!(e.message.contains("too many spans in request: 4 (limit 3"));
    // Empty bodies are empty requests.
    for ct in [PB, JSON] {
        let d = decode_traces(&headers(ct, None), b"", &l).unwrap();
        assert_eq!((d.accepted_spans, d.rejected_spans), (0, 0));
    }
}

#[test]
fn spans_limit_from_env() {
    let (l, w) = IngestLimits::from_lookup(|k| {
        (k == "LAKEWATCH_TRACES_MAX_SPANS_PER_REQUEST").then(|| "42".to_string())
    });
    assert!(w.is_empty());
    assert_eq!(l.traces.max_spans_per_request, 42);
    assert_eq!(
        IngestLimits::default().traces.max_spans_per_request,
        100_000
    );
}

// ---------------------------------------------------------------- HTTP

struct Env {
    ctx: IngestContext,
    reader: TracesReader,
}

fn env_with(limits: IngestLimits, auth: AuthConfig) -> Env {
    let store = Store::from_url("memory://").expect("memory store");
    Env {
        ctx: IngestContext::new(store.clone(), auth, limits),
        reader: TracesReader::new(store),
    }
}

fn env() -> Env {
    env_with(IngestLimits::default(), AuthConfig::disabled())
}

struct Resp {
    status: u16,
    raw: Bytes,
    headers: http::HeaderMap,
}

impl Resp {
    fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
    /// The `google.rpc.Status` of an error response, decoded by its content type.
    fn rpc_status(&self) -> RpcStatus {
        if self.content_type() == JSON {
            let v: serde_json::Value = serde_json::from_slice(&self.raw).unwrap();
            RpcStatus {
                code: v["code"].as_i64().unwrap() as i32,
                message: v["message"].as_str().unwrap().to_string(),
            }
        } else {
            assert_eq!(self.content_type(), PB);
            RpcStatus::decode(self.raw.as_ref()).unwrap()
        }
    }
}

async fn send(
    ctx: &IngestContext,
    method: &str,
    path: &str,
    hs: &[(&str, &str)],
    body: Vec<u8>,
) -> Resp {
    let mut b = http::Request::builder().method(method).uri(path);
    for (k, v) in hs {
        b = b.header(*k, *v);
    }
    let r = handle(b.body(Bytes::from(body)).unwrap(), ctx).await;
    Resp {
        status: r.status().as_u16(),
        raw: r.body().clone(),
        headers: r.headers().clone(),
    }
}

fn tid16(n: u8) -> [u8; 16] {
    trace_id(n).try_into().unwrap()
}

/// Spans of one trace as stored, sorted by span id (ignoring grouping and order).
async fn stored_spans(e: &Env, tenant: &str, n: u8) -> Vec<(Vec<u8>, String)> {
    let got = e
        .reader
        .trace_by_id(&TenantId::new(tenant).unwrap(), &tid16(n), None, None)
        .await
        .unwrap();
    let mut v: Vec<(Vec<u8>, String)> = got
        .iter()
        .flat_map(|r| &r.scope_spans)
        .flat_map(|s| &s.spans)
        .map(|s| (s.span_id.clone(), s.name.clone()))
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn errors_before_storage() {
    let e = env();
    let body = encode_traces_protobuf(&sample(6, now_ns()));
    // 405 (protobuf Status by default, Allow header).
    let r = send(&e.ctx, "GET", "/v1/traces", &[], vec![]).await;
    assert_eq!(r.status, 405);
    assert_eq!(r.headers["allow"], "POST");
    assert_eq!(r.rpc_status().code, 12);
    // 405 with a JSON Content-Type answers in JSON.
    let r = send(
        &e.ctx,
        "PUT",
        "/otlp/v1/traces",
        &[("content-type", JSON)],
        vec![],
    )
    .await;
    assert_eq!((r.status, r.content_type()), (405, JSON));
    assert!(r.rpc_status().message.contains("PUT"));
    // 415 unsupported Content-Type / Content-Encoding.
    let r = send(
        &e.ctx,
        "POST",
        "/v1/traces",
        &[("content-type", "text/plain")],
        body.clone(),
    )
    .await;
    assert_eq!((r.status, r.content_type()), (415, PB));
    assert!(r.rpc_status().message.contains("unsupported Content-Type"));
    let r = send(
        &e.ctx,
        "POST",
        "/v1/traces",
        &[("content-type", JSON), ("content-encoding", "lz4")],
        b"{}".to_vec(),
    )
    .await;
    assert_eq!((r.status, r.content_type()), (415, JSON));
    assert_eq!(r.rpc_status().code, 3);
    // 400 undecodable, in both formats.
    let r = send(
        &e.ctx,
        "POST",
        "/v1/traces",
        &[("content-type", PB)],
        b"\xff\xff".to_vec(),
    )
    .await;
    assert_eq!((r.status, r.content_type()), (400, PB));
    assert_eq!(r.rpc_status().code, 3);
    let r = send(
        &e.ctx,
        "POST",
        "/v1/traces",
        &[("content-type", JSON)],
        b"[".to_vec(),
    )
    .await;
    assert_eq!((r.status, r.content_type()), (400, JSON));
    assert!(r.rpc_status().message.contains("invalid OTLP JSON"));
    // 413.
    let small = env_with(
        IngestLimits {
            max_body_bytes: 100,
            ..Default::default()
        },
        AuthConfig::disabled(),
    );
    let r = send(
        &small.ctx,
        "POST",
        "/v1/traces",
        &[("content-type", PB)],
        body.clone(),
    )
    .await;
    assert_eq!((r.status, r.rpc_status().code), (413, 8));
    // 400 too many spans.
    let mut few = IngestLimits::default();
    few.traces.max_spans_per_request = 1;
    let few = env_with(few, AuthConfig::disabled());
    let r = send(
        &few.ctx,
        "POST",
        "/v1/traces",
        &[("content-type", PB)],
        body.clone(),
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(r.rpc_status().message.contains("too many spans"));
    // Unknown path under the ingest router.
    let r = send(&e.ctx, "POST", "/v2/traces", &[("content-type", PB)], body).await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn auth_401_and_invalid_tenant_400() {
    let e = env_with(
        IngestLimits::default(),
        AuthConfig::disabled().with_tenant("acme", "s3cret"),
    );
    let body = encode_traces_json(&sample(7, now_ns()));
    let r = send(
        &e.ctx,
        "POST",
        "/v1/traces",
        &[("content-type", JSON)],
        body.clone(),
    )
    .await;
    assert_eq!((r.status, r.content_type()), (401, JSON));
    assert!(r.headers.contains_key("www-authenticate"));
    assert_eq!(r.rpc_status().code, 16);
    let r = send(
        &e.ctx,
        "POST",
        "/v1/traces",
        &[("content-type", JSON), ("authorization", "Bearer wrong")],
        body.clone(),
    )
    .await;
    assert_eq!(r.status, 401);
    let open = env();
    let r = send(
        &open.ctx,
        "POST",
        "/v1/traces",
        &[("content-type", JSON), ("x-scope-orgid", "a|b")],
        body,
    )
    .await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn empty_request_is_success() {
    let e = env();
    for (ct, body) in [(PB, vec![]), (JSON, b"{}".to_vec()), (JSON, vec![])] {
        let r = send(&e.ctx, "POST", "/v1/traces", &[("content-type", ct)], body).await;
        assert_eq!((r.status, r.content_type()), (200, ct));
        let fmt = if ct == PB {
            OtlpFormat::Protobuf
        } else {
            OtlpFormat::Json
        };
        assert_eq!(
            decode_traces_response(&r.raw, fmt).unwrap().partial_success,
            None
        );
    }
}

/// Every span invalid: nothing to write, 200 with `partial_success` (clients must not retry).
#[tokio::test]
async fn all_spans_invalid_is_partial_success() {
    let e = env();
    let mut rs = sample(8, now_ns());
    for sp in rs
        .iter_mut()
        .flat_map(|r| &mut r.scope_spans)
        .flat_map(|s| &mut s.spans)
    {
        sp.trace_id.clear();
    }
    let r = send(
        &e.ctx,
        "POST",
        "/v1/traces",
        &[("content-type", JSON)],
        encode_traces_json(&rs),
    )
    .await;
    assert_eq!((r.status, r.content_type()), (200, JSON));
    let v: serde_json::Value = serde_json::from_slice(&r.raw).unwrap();
    assert_eq!(v["partialSuccess"]["rejectedSpans"], "4");
    assert!(v["partialSuccess"]["errorMessage"]
        .as_str()
        .unwrap()
        .contains("4 spans rejected: trace_id must be 16 bytes (32 hex digits), got 0 bytes"));
}

// ------------------------------------------------- through storage (TracesWriter)

#[tokio::test]
async fn protobuf_and_json_round_trip_through_storage() {
    let e = env();
    let t0 = now_ns();
    let cases = [
        (10u8, "/v1/traces", PB, None),
        (11, "/otlp/v1/traces", JSON, None),
        (12, "/v1/traces/", PB, Some("gzip")),
        (
            13,
            "/lambda-url/ingest-traces/v1/traces",
            JSON,
            Some("gzip"),
        ),
    ];
    for (n, path, ct, enc) in cases {
        let rs = sample(n, t0);
        let mut body = if ct == PB {
            encode_traces_protobuf(&rs)
        } else {
            encode_traces_json(&rs)
        };
        let mut hs = vec![("content-type", ct), ("x-scope-orgid", "team-a")];
        if let Some(enc) = enc {
            body = gzip(&body);
            hs.push(("content-encoding", enc));
        }
        let r = send(&e.ctx, "POST", path, &hs, body).await;
        assert_eq!(r.status, 200, "{path}: {:?}", r.raw);
        assert_eq!(r.content_type(), ct);
        let fmt = if ct == PB {
            OtlpFormat::Protobuf
        } else {
            OtlpFormat::Json
        };
        assert_eq!(
            decode_traces_response(&r.raw, fmt).unwrap().partial_success,
            None
        );
        let got = e
            .reader
            .trace_by_id(&TenantId::new("team-a").unwrap(), &tid16(n), None, None)
            .await
            .unwrap();
        let mut got_spans: Vec<Span> = got
            .iter()
            .flat_map(|r| &r.scope_spans)
            .flat_map(|s| s.spans.clone())
            .collect();
        got_spans.sort_by(|a, b| a.span_id.cmp(&b.span_id));
        let mut want: Vec<Span> = rs
            .iter()
            .flat_map(|r| &r.scope_spans)
            .flat_map(|s| s.spans.clone())
            .collect();
        want.sort_by(|a, b| a.span_id.cmp(&b.span_id));
        assert_eq!(got_spans, want, "{path}");
        let svc: Vec<String> = got
            .iter()
            .filter_map(|r| r.resource.as_ref())
            .flat_map(|r| &r.attributes)
            .filter(|kv| kv.key == "service.name")
            .map(|kv| format!("{:?}", kv.value))
            .collect();
        assert!(svc.iter().any(|s| s.contains("gateway")), "{svc:?}");
        assert!(svc.iter().any(|s| s.contains("worker")), "{svc:?}");
    }
    // Tenants are isolated.
    assert!(stored_spans(&e, "anonymous", 10).await.is_empty());
}

#[tokio::test]
async fn partial_success_writes_the_valid_spans() {
    let e = env();
    let t0 = now_ns();
    let rs = mixed(t0);
    for (ct, fmt, body) in [
        (PB, OtlpFormat::Protobuf, encode_traces_protobuf(&rs)),
        (JSON, OtlpFormat::Json, encode_traces_json(&rs)),
    ] {
        let r = send(&e.ctx, "POST", "/v1/traces", &[("content-type", ct)], body).await;
        assert_eq!((r.status, r.content_type()), (200, ct), "{:?}", r.raw);
        let p = decode_traces_response(&r.raw, fmt)
            .unwrap()
            .partial_success
            .unwrap();
        assert_eq!(p.rejected_spans, 6);
        assert!(p.error_message.contains("trace_id is all zeros"));
    }
    // The valid spans are stored (once per span id: the same spans were sent twice).
    let got = stored_spans(&e, "anonymous", 4).await;
    assert_eq!(
        got,
        vec![
            (span_id(1), "POST /v1/chat".to_string()),
            (span_id(2), "GET".to_string()),
            (span_id(3), "chat gpt-4o".to_string()),
        ]
    );
}

/// A store whose every PUT fails: 503 with `Retry-After`, nothing acknowledged.
#[tokio::test]
async fn storage_failure_is_503_with_retry_after() {
    let file =
        std::env::temp_dir().join(format!("lakewatch-traces-not-a-dir-{}", std::process::id()));
    std::fs::write(&file, b"x").unwrap();
    let fs = object_store::local::LocalFileSystem::new_with_prefix(&file).unwrap();
    let ctx = IngestContext::new(
        Store::new(Arc::new(fs), ""),
        AuthConfig::disabled(),
        IngestLimits::default(),
    );
    for ct in [PB, JSON] {
        let body = if ct == PB {
            encode_traces_protobuf(&sample(14, now_ns()))
        } else {
            encode_traces_json(&sample(14, now_ns()))
        };
        let r = send(&ctx, "POST", "/v1/traces", &[("content-type", ct)], body).await;
        assert_eq!((r.status, r.content_type()), (503, ct), "{:?}", r.raw);
        assert_eq!(r.headers["retry-after"], "5");
        assert_eq!(r.rpc_status().code, 14);
        assert!(r
            .rpc_status()
            .message
            .contains("storage error (retry later)"));
    }
    let _ = std::fs::remove_file(&file);
}

// ------------------------------------------------- real client: OpenTelemetry Python SDK

const OTEL_TRACES_SCRIPT: &str = r#"
import sys
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.trace import SpanKind, Status, StatusCode

class Recording(SpanExporter):
    def __init__(self, inner):
        self.inner, self.results = inner, []
    def export(self, spans):
        r = self.inner.export(spans)
        self.results.append(r)
        return r
    def shutdown(self):
        self.inner.shutdown()

rec = Recording(OTLPSpanExporter(endpoint=sys.argv[1], compression=Compression.Gzip))
provider = TracerProvider(resource=Resource.create({"service.name": "gateway"}))
provider.add_span_processor(BatchSpanProcessor(rec))
tracer = provider.get_tracer("gateway.http", "1.0")
with tracer.start_as_current_span("POST /v1/chat", kind=SpanKind.SERVER,
        attributes={"http.request.method": "POST", "http.response.status_code": 502}) as root:
    with tracer.start_as_current_span("GET", kind=SpanKind.CLIENT, attributes={"db.system": "redis"}):
        pass
    with tracer.start_as_current_span("chat gpt-4o", kind=SpanKind.CLIENT,
            attributes={"gen_ai.request.model": "gpt-4o", "gen_ai.usage.input_tokens": 1234}) as call:
        call.record_exception(RuntimeError("provider 502"))
        call.set_status(Status(StatusCode.ERROR, "provider error"))
    print(format(root.get_span_context().trace_id, "032x"))
provider.force_flush()
provider.shutdown()
ok = rec.results and all(r == SpanExportResult.SUCCESS for r in rec.results)
sys.exit(0 if ok else 1)
"#;

/// Serves `lakewatch_ingest::handle` on an ephemeral 127.0.0.1 port; returns the port.
async fn serve(ctx: IngestContext) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
        let ctx = ctx.clone();
        async move {
            let (parts, body) = req.into_parts();
            let bytes = axum::body::to_bytes(body, 64 << 20)
                .await
                .unwrap_or_default();
            let resp = handle(http::Request::from_parts(parts, bytes), &ctx).await;
            let (p, b) = resp.into_parts();
            axum::response::Response::from_parts(p, axum::body::Body::from(b))
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    port
}

/// The OTel Python SDK's OTLP/HTTP exporter (protobuf, gzip) → `/v1/traces` → storage; the
/// trace is read back by the id the SDK generated. Skipped when the SDK is not installed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opentelemetry_python_sdk_traces() {
    use std::process::{Command, Stdio};
    let ok = Command::new("python3")
        .args([
            "-c",
            "import opentelemetry.exporter.otlp.proto.http, opentelemetry.sdk",
        ])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("SKIP: pip install opentelemetry-sdk opentelemetry-exporter-otlp-proto-http");
        return;
    }
    let e = env();
    let port = serve(e.ctx.clone()).await;
    let url = format!("http://127.0.0.1:{port}/v1/traces");
    let out = tokio::task::spawn_blocking(move || {
        Command::new("python3")
            .args(["-c", OTEL_TRACES_SCRIPT, &url])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "python: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let hex_id = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let id: Vec<u8> = (0..16)
        .map(|i| u8::from_str_radix(&hex_id[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    let got = e
        .reader
        .trace_by_id(
            &TenantId::new("anonymous").unwrap(),
            &id.clone().try_into().unwrap(),
            None,
            None,
        )
        .await
        .unwrap();
    let spans: Vec<&Span> = got
        .iter()
        .flat_map(|r| &r.scope_spans)
        .flat_map(|s| &s.spans)
        .collect();
    assert_eq!(spans.len(), 3, "{got:#?}");
    let by_name = |n: &str| *spans.iter().find(|s| s.name == n).unwrap();
    let root = by_name("POST /v1/chat");
    assert_eq!(root.kind, span::SpanKind::Server as i32);
    assert!(root.parent_span_id.is_empty());
    for child in ["GET", "chat gpt-4o"] {
        assert_eq!(by_name(child).parent_span_id, root.span_id);
        assert_eq!(by_name(child).trace_id, id);
    }
    let call = by_name("chat gpt-4o");
    assert_eq!(call.status.as_ref().unwrap().code, 2);
    assert_eq!(call.events[0].name, "exception");
    assert!(call
        .attributes
        .iter()
        .any(|kv| kv.key == "gen_ai.usage.input_tokens" && kv.value == av(Av::IntValue(1234))));
    let res = got[0].resource.as_ref().unwrap();
    assert!(res
        .attributes
        .iter()
        .any(|kv| kv.key == "service.name" && kv.value == av(s("gateway"))));
}
