//! Traces layout: exact OTLP round trips (every span field, every `AnyValue` kind), traces
//! split over requests, dedupe of re-sent spans, pruning by time, multi-row-group lookups,
//! compaction levels.

mod traces_common;

use lakewatch_model::{Signal, TenantId};
use lakewatch_storage::compact::{run_once, CompactionOptions};
use lakewatch_storage::traces::TracesEncodeOptions;
use lakewatch_storage::{ManifestLog, StorageError, Store, TracesReader, TracesWriter};
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::{
    AnyValue, ArrayValue, EntityRef, InstrumentationScope, KeyValue, KeyValueList,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::span::{Event, Link};
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};
use std::time::Duration;
use traces_common::*;

const S: u64 = 1_000_000_000;
/// 2026-01-01T00:00:00Z in ns plus a sub-ms offset so ms rounding is visible.
const T0: u64 = 1_767_225_600 * S + 123_456;
const TID: [u8; 16] = [
    0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36,
];
const OTHER: [u8; 16] = [7; 16];

fn store() -> (Store, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!(
        "lakewatch-traces-{}-{}",
        std::process::id(),
        ulid::Ulid::new()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    (Store::from_url(dir.to_str().unwrap()).unwrap(), dir)
}

fn tenant() -> TenantId {
    TenantId::new("acme").unwrap()
}

fn any(v: Value) -> AnyValue {
    AnyValue { value: Some(v) }
}

/// Attributes of every kind: all `AnyValue` variants, an empty `AnyValue`, a `KeyValue`
/// without value, a duplicate key, dedicated keys with and without the dedicated type.
fn every_kind() -> Vec<KeyValue> {
    vec![
        s("str", "ü ✓"),
        s("empty.str", ""),
        kv("bool", Value::BoolValue(false)),
        i("int", -42),
        kv("double", Value::DoubleValue(-0.0)),
        kv("double2", Value::DoubleValue(1e308)),
        kv("bytes", Value::BytesValue(vec![0, 1, 255])),
        kv("bytes.empty", Value::BytesValue(vec![])),
        kv(
            "array",
            Value::ArrayValue(ArrayValue {
                values: vec![
                    any(Value::StringValue("a".into())),
                    any(Value::IntValue(1)),
                    AnyValue { value: None },
                    any(Value::ArrayValue(ArrayValue { values: vec![] })),
                ],
            }),
        ),
        kv(
            "kvlist",
            Value::KvlistValue(KeyValueList {
                values: vec![
                    s("inner", "x"),
                    kv("deep", Value::KvlistValue(KeyValueList::default())),
                ],
            }),
        ),
        KeyValue {
            key: "empty.anyvalue".into(),
            value: Some(AnyValue { value: None }),
            key_strindex: 0,
        },
        KeyValue {
            key: "no.value".into(),
            value: None,
            key_strindex: 0,
        },
        s("str", "duplicate key"),
    ]
}

fn span_attrs() -> Vec<KeyValue> {
    let mut v = vec![
        i("http.route", 7), // dedicated key, not a string: stays in the map
        s("http.request.method", "POST"),
        s("http.method", "GET"),      // second method key: stays in the map
        s("http.status_code", "200"), // string: not the int column
        i("http.response.status_code", 503),
        s("url.full", "https://api.example.com/v1/chat?x=1"),
        s("gen_ai.request.model", "gpt-4o"),
        s("llm.provider", "openai"),
        s("http.route", "/v1/chat"),
    ];
    v.extend(every_kind());
    v
}

fn full_span(sid: u8, start: u64) -> Span {
    Span {
        trace_id: TID.to_vec(),
        span_id: vec![sid; 8],
        trace_state: "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7".into(),
        parent_span_id: vec![9; 8],
        flags: 0x301,
        name: "POST /v1/chat".into(),
        kind: 2,
        start_time_unix_nano: start,
        end_time_unix_nano: start + 1_234_567,
        attributes: span_attrs(),
        dropped_attributes_count: 3,
        events: vec![
            Event {
                time_unix_nano: start + 10,
                name: "exception".into(),
                attributes: every_kind(),
                dropped_attributes_count: 1,
            },
            Event {
                time_unix_nano: start + 20,
                name: String::new(),
                attributes: vec![],
                dropped_attributes_count: 0,
            },
        ],
        dropped_events_count: 4,
        links: vec![Link {
            trace_id: OTHER.to_vec(),
            span_id: vec![5; 8],
            trace_state: "a=b".into(),
            attributes: vec![s("link", "attr")],
            dropped_attributes_count: 2,
            flags: 0x100,
        }],
        dropped_links_count: 5,
        status: Some(Status {
            message: "upstream said no".into(),
            code: 2,
        }),
    }
}

fn bare_span(tid: [u8; 16], sid: u8, start: u64, end: u64, status: Option<Status>) -> Span {
    Span {
        trace_id: tid.to_vec(),
        span_id: vec![sid; 8],
        name: format!("span {sid}"),
        start_time_unix_nano: start,
        end_time_unix_nano: end,
        status,
        ..Default::default()
    }
}

/// One trace in the canonical read order (groups in order of their first span, spans by start):
/// resource A with a full scope and a `None` scope, then a `None` resource.
fn canonical_trace() -> Vec<ResourceSpans> {
    let mut res_attrs = vec![s("service.name", "checkout")];
    res_attrs.extend(every_kind());
    vec![
        ResourceSpans {
            resource: Some(Resource {
                attributes: res_attrs,
                dropped_attributes_count: 2,
                entity_refs: vec![EntityRef {
                    schema_url: "https://opentelemetry.io/schemas/1.26.0".into(),
                    r#type: "service".into(),
                    id_keys: vec!["service.name".into()],
                    description_keys: vec!["service.version".into()],
                }],
            }),
            scope_spans: vec![
                ScopeSpans {
                    scope: Some(InstrumentationScope {
                        name: "io.opentelemetry.fastapi".into(),
                        version: "0.48b0".into(),
                        attributes: every_kind(),
                        dropped_attributes_count: 6,
                    }),
                    spans: vec![full_span(1, T0), full_span(3, T0 + 2_000)],
                    schema_url: "scope-schema".into(),
                },
                ScopeSpans {
                    scope: None,
                    // Ends before it starts (kept as sent); status present but default.
                    spans: vec![bare_span(
                        TID,
                        2,
                        T0 + 1_000,
                        T0 - 5,
                        Some(Status::default()),
                    )],
                    schema_url: String::new(),
                },
            ],
            schema_url: "resource-schema".into(),
        },
        ResourceSpans {
            resource: None,
            scope_spans: vec![ScopeSpans {
                scope: Some(InstrumentationScope::default()),
                spans: vec![bare_span(TID, 4, T0 + 3_000, 0, None)],
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        },
    ]
}

fn other_trace() -> ResourceSpans {
    ResourceSpans {
        resource: Some(resource("other", "pod-9")),
        scope_spans: vec![ScopeSpans {
            scope: Some(scope("x")),
            spans: vec![bare_span(OTHER, 1, T0 + 500, T0 + 900, None)],
            schema_url: String::new(),
        }],
        schema_url: String::new(),
    }
}

#[tokio::test]
async fn round_trip_every_field_before_and_after_compaction() {
    let (store, dir) = store();
    let t = tenant();
    let w = TracesWriter::new(store.clone());
    // The request holds the trace in another order plus another trace.
    let mut req = canonical_trace();
    req[0].scope_spans[0].spans.reverse();
    req.reverse();
    req.push(other_trace());
    let receipt = w.write(&t, &req).await.unwrap();
    assert_eq!((receipt.spans, receipt.traces), (5, 2));
    assert!(receipt.object_id.is_some() && receipt.bytes > 0);
    let r = TracesReader::new(store.clone());
    let got = r.trace_by_id(&t, &TID, None, None).await.unwrap();
    assert_eq!(got, canonical_trace());
    let other = r.trace_by_id(&t, &OTHER, None, None).await.unwrap();
    assert_eq!(other, vec![other_trace()]);
    assert!(r
        .trace_by_id(&t, &[1; 16], None, None)
        .await
        .unwrap()
        .is_empty());
    assert!(r
        .trace_by_id(&TenantId::new("nobody").unwrap(), &TID, None, None)
        .await
        .unwrap()
        .is_empty());

    // Compaction L0 -> L1 -> L2 keeps everything exactly.
    let opts = CompactionOptions {
        l0_min_objects: 1,
        l1_min_objects: 1,
        // T0 is fixed in the past.
        retention: Duration::from_secs(100 * 365 * 86400),
        ..Default::default()
    };
    let st = run_once(&store, &opts).await.unwrap();
    assert_eq!(st.errors, 0, "{st:?}");
    let m = ManifestLog::new(store.clone(), t.clone(), Signal::Traces)
        .load()
        .await
        .unwrap();
    assert!(m.objects.iter().all(|o| o.level == 2), "{:?}", m.objects);
    assert_eq!(m.objects.iter().map(|o| o.rows).sum::<u64>(), 5);
    assert_eq!(
        r.trace_by_id(&t, &TID, None, None).await.unwrap(),
        canonical_trace()
    );
    assert_eq!(
        r.trace_by_id(&t, &OTHER, None, None).await.unwrap(),
        vec![other_trace()]
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn trace_split_across_requests_is_returned_together() {
    let (store, dir) = store();
    let t = tenant();
    let w = TracesWriter::new(store.clone());
    let part = |svc: &str, sid: u8, start: u64| ResourceSpans {
        resource: Some(resource(svc, "pod-1")),
        scope_spans: vec![ScopeSpans {
            scope: Some(scope("s")),
            spans: vec![bare_span(TID, sid, start, start + 10, None)],
            schema_url: String::new(),
        }],
        schema_url: String::new(),
    };
    // The child arrives first, from another service; then the root.
    w.write(&t, &[part("redis", 2, T0 + 100)]).await.unwrap();
    w.write(&t, &[part("gateway", 1, T0)]).await.unwrap();
    w.write(&t, &[part("gateway", 3, T0 + 200), other_trace()])
        .await
        .unwrap();
    let r = TracesReader::new(store.clone());
    let got = r.trace_by_id(&t, &TID, None, None).await.unwrap();
    let mut gateway = part("gateway", 1, T0);
    gateway.scope_spans[0]
        .spans
        .push(bare_span(TID, 3, T0 + 200, T0 + 210, None));
    assert_eq!(got, vec![gateway, part("redis", 2, T0 + 100)]);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn resent_spans_are_returned_and_compacted_once() {
    let (store, dir) = store();
    let t = tenant();
    let w = TracesWriter::new(store.clone());
    let mut rng = Rng(7);
    let req = realistic_request(&mut rng, T0, 20, "pod-1");
    // Within one request too.
    let mut doubled = req.clone();
    doubled.extend(req.clone());
    let rc = w.write(&t, &doubled).await.unwrap();
    assert_eq!((rc.spans, rc.traces), (120, 20));
    w.write(&t, &req).await.unwrap();
    w.write(&t, &req).await.unwrap();
    let r = TracesReader::new(store.clone());
    let check = |got: Vec<ResourceSpans>, tid: [u8; 16]| {
        let want: Vec<Span> = all_spans(&req)
            .into_iter()
            .filter(|s| s.trace_id == tid)
            .collect();
        assert_eq!(all_spans(&got), want);
    };
    for tid in trace_ids(&req) {
        check(r.trace_by_id(&t, &tid, None, None).await.unwrap(), tid);
    }
    let opts = CompactionOptions {
        l0_min_objects: 1,
        l1_min_objects: 1,
        // T0 is fixed in the past.
        retention: Duration::from_secs(100 * 365 * 86400),
        ..Default::default()
    };
    let st = run_once(&store, &opts).await.unwrap();
    // L0 (3 objects, 360 rows) -> L1 (120 rows) -> L2 (120 rows).
    assert_eq!(
        (st.errors, st.rows_in, st.rows_out),
        (0, 480, 240),
        "{st:?}"
    );
    let m = ManifestLog::new(store.clone(), t.clone(), Signal::Traces)
        .load()
        .await
        .unwrap();
    assert_eq!(m.objects.iter().map(|o| o.rows).sum::<u64>(), 120);
    assert_eq!(m.objects.iter().map(|o| o.series).sum::<u64>(), 20);
    for tid in trace_ids(&req) {
        check(r.trace_by_id(&t, &tid, None, None).await.unwrap(), tid);
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn objects_are_pruned_by_time() {
    let (store, dir) = store();
    let t = tenant();
    let w = TracesWriter::new(store.clone());
    let one = |sid: u8, start: u64| ResourceSpans {
        resource: None,
        scope_spans: vec![ScopeSpans {
            scope: None,
            spans: vec![bare_span(TID, sid, start, start + 1, None)],
            schema_url: String::new(),
        }],
        schema_url: String::new(),
    };
    w.write(&t, &[one(1, T0)]).await.unwrap();
    w.write(&t, &[one(2, T0 + 3600 * S)]).await.unwrap();
    let r = TracesReader::new(store.clone());
    let n = |v: Vec<ResourceSpans>| {
        all_spans(&v)
            .iter()
            .map(|s| s.span_id[0])
            .collect::<Vec<u8>>()
    };
    let t0 = T0 as i64;
    let h = 3600 * S as i64;
    assert_eq!(
        n(r.trace_by_id(&t, &TID, None, None).await.unwrap()),
        vec![1, 2]
    );
    assert_eq!(
        n(r.trace_by_id(&t, &TID, Some(t0 - 1_000), Some(t0 + 1_000))
            .await
            .unwrap()),
        vec![1]
    );
    assert_eq!(
        n(r.trace_by_id(&t, &TID, Some(t0 + h / 2), None)
            .await
            .unwrap()),
        vec![2]
    );
    assert_eq!(
        n(r.trace_by_id(&t, &TID, None, Some(t0 + h / 2))
            .await
            .unwrap()),
        vec![1]
    );
    assert!(r
        .trace_by_id(&t, &TID, Some(t0 + 2 * h), None)
        .await
        .unwrap()
        .is_empty());
    assert!(r
        .trace_by_id(&t, &TID, Some(t0), Some(t0))
        .await
        .unwrap()
        .is_empty());
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn lookups_in_objects_with_many_row_groups_and_pages() {
    let (store, dir) = store();
    let t = tenant();
    let w = TracesWriter::new(store.clone()).with_encode_options(TracesEncodeOptions {
        row_group_rows: 1000,
        data_page_rows: 100,
        ..Default::default()
    });
    let mut rng = Rng(11);
    let req = realistic_request(&mut rng, T0, 1500, "pod-2");
    let rc = w.write(&t, &req).await.unwrap();
    assert_eq!((rc.spans, rc.traces), (9000, 1500));
    let r = TracesReader::new(store.clone());
    let spans = all_spans(&req);
    let ids = trace_ids(&req);
    for tid in ids
        .iter()
        .step_by(97)
        .chain([ids[0], ids[ids.len() - 1]].iter())
    {
        let got = r.trace_by_id(&t, tid, None, None).await.unwrap();
        let want: Vec<Span> = spans
            .iter()
            .filter(|s| s.trace_id == tid)
            .cloned()
            .collect();
        assert_eq!(want.len(), 6);
        assert_eq!(all_spans(&got), want);
        // Grouped: one resource, the four instrumentation scopes that have spans.
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].resource, req[0].resource);
    }
    for missing in [[0u8; 16], [0xff; 16], [0x80; 16]] {
        assert!(r
            .trace_by_id(&t, &missing, None, None)
            .await
            .unwrap()
            .is_empty());
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn invalid_trace_ids_are_rejected_and_empty_requests_write_nothing() {
    let (store, dir) = store();
    let t = tenant();
    let w = TracesWriter::new(store.clone());
    let mut bad = other_trace();
    bad.scope_spans[0].spans[0].trace_id = vec![1; 8];
    let err = w.write(&t, &[other_trace(), bad]).await.unwrap_err();
    assert!(matches!(err, StorageError::InvalidBatch(_)), "{err}");
    let rc = w.write(&t, &[]).await.unwrap();
    assert_eq!(rc.object_id, None);
    let empty = ResourceSpans {
        resource: None,
        scope_spans: vec![ScopeSpans::default()],
        schema_url: String::new(),
    };
    assert_eq!(w.write(&t, &[empty]).await.unwrap().object_id, None);
    let m = ManifestLog::new(store.clone(), t.clone(), Signal::Traces)
        .load()
        .await
        .unwrap();
    assert!(m.objects.is_empty());
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn retention_drops_old_traces() {
    let (store, dir) = store();
    let t = tenant();
    let w = TracesWriter::new(store.clone());
    w.write(&t, &[other_trace()]).await.unwrap();
    let opts = CompactionOptions {
        retention: Duration::from_secs(86400),
        gc_grace: Duration::from_millis(0),
        ..Default::default()
    };
    let st = run_once(&store, &opts).await.unwrap();
    assert_eq!((st.errors, st.retention_dropped), (0, 1), "{st:?}");
    let r = TracesReader::new(store.clone());
    assert!(r
        .trace_by_id(&t, &OTHER, None, None)
        .await
        .unwrap()
        .is_empty());
    let left = store.list("acme/traces/objects/").await.unwrap();
    assert!(left.is_empty(), "{left:?}");
    let _ = std::fs::remove_dir_all(dir);
}
