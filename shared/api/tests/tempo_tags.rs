//! Tempo tag autocomplete through `App::handle`: `/api/search/tags`, `/api/v2/search/tags`,
//! `/api/search/tag/<t>/values`, `/api/v2/search/tag/<t>/values` over spans written with
//! `TracesWriter` on `memory://`; exact JSON bodies, windows, `scope`, `q`, `limit`, errors.

mod common;

use common::get_with;
use common::tempo::{get_error, get_json, kv, s, traces_app};
use lakewatch_api::App;
use lakewatch_model::TenantId;
use opentelemetry_proto::tonic::common::v1::{any_value::Value, InstrumentationScope};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{
    span, status, ResourceSpans, ScopeSpans, Span, Status,
};
use serde_json::{json, Value as Json};

/// 2023-11-14T22:13:20Z in s.
const T0_S: u64 = 1_700_000_000;
const NS: u64 = 1_000_000_000;
/// The window holding trace A only.
const WINDOW: &str = "start=1699999990&end=1700000100";

fn span(trace: u8, id: u8, parent: Option<u8>, name: &str, start_ns: u64) -> Span {
    Span {
        trace_id: vec![trace; 16],
        span_id: vec![0, 0, 0, 0, 0, 0, 0, id],
        parent_span_id: parent
            .map(|p| vec![0, 0, 0, 0, 0, 0, 0, p])
            .unwrap_or_default(),
        name: name.into(),
        kind: 2,
        start_time_unix_nano: start_ns,
        end_time_unix_nano: start_ns + 1_000_000,
        ..Default::default()
    }
}

fn resource(service: &str, spans: Vec<Span>) -> ResourceSpans {
    ResourceSpans {
        resource: Some(Resource {
            attributes: vec![kv("service.name", s(service))],
            ..Default::default()
        }),
        scope_spans: vec![ScopeSpans {
            scope: Some(InstrumentationScope {
                name: "lib".into(),
                version: "1.0".into(),
                attributes: vec![kv("lib.attr", s("x"))],
                ..Default::default()
            }),
            spans,
            ..Default::default()
        }],
        ..Default::default()
    }
}

/// Trace A at T0 (`api` root with an event, `db` child with a link and an error); trace B two
/// hours later.
fn fixture() -> Vec<ResourceSpans> {
    let t0 = T0_S * NS;
    let mut root = span(1, 1, None, "GET /users", t0);
    root.attributes = vec![
        kv("http.method", s("GET")),
        kv("http.status_code", Value::IntValue(200)),
        kv("ratio", Value::DoubleValue(0.25)),
        kv("ok", Value::BoolValue(true)),
    ];
    root.events = vec![span::Event {
        time_unix_nano: t0 + 10,
        name: "cache miss".into(),
        attributes: vec![kv("key", s("user:1"))],
        dropped_attributes_count: 0,
    }];
    let mut child = span(1, 2, Some(1), "SELECT", t0 + 20 * 1_000_000);
    child.attributes = vec![
        kv("db.system", s("postgres")),
        kv("http.status_code", Value::IntValue(500)),
    ];
    child.links = vec![span::Link {
        trace_id: vec![2; 16],
        span_id: vec![9; 8],
        attributes: vec![kv("link.kind", s("follows"))],
        ..Default::default()
    }];
    child.status = Some(Status {
        message: "boom".into(),
        code: status::StatusCode::Error as i32,
    });
    let mut late = span(2, 9, None, "GET /late", t0 + 7200 * NS);
    late.attributes = vec![kv("late", s("yes"))];
    vec![
        resource("api", vec![root, late]),
        resource("db", vec![child]),
    ]
}

async fn app() -> App {
    let other = span(1, 7, None, "other", T0_S * NS);
    traces_app(vec![
        (TenantId::anonymous(), fixture()),
        (
            TenantId::new("other").unwrap(),
            vec![resource("other-svc", vec![other])],
        ),
    ])
    .await
}

fn intrinsics() -> Json {
    json!([
        "duration",
        "event:name",
        "event:timeSinceStart",
        "instrumentation:name",
        "instrumentation:version",
        "kind",
        "name",
        "rootName",
        "rootServiceName",
        "span:duration",
        "span:kind",
        "span:name",
        "span:status",
        "span:statusMessage",
        "status",
        "statusMessage",
        "trace:duration",
        "trace:rootName",
        "trace:rootService",
        "traceDuration"
    ])
}

#[tokio::test]
async fn tags_v1() {
    let app = app().await;
    assert_eq!(
        get_json(&app, &format!("/api/search/tags?{WINDOW}")).await,
        json!({"tagNames": [
            "db.system", "http.method", "http.status_code", "key", "lib.attr", "link.kind",
            "ok", "ratio", "service.name"
        ]})
    );
    assert_eq!(
        get_json(&app, &format!("/api/search/tags?{WINDOW}&scope=resource")).await,
        json!({"tagNames": ["service.name"]})
    );
    assert_eq!(
        get_json(
            &app,
            &format!("/api/search/tags?{WINDOW}&scope=span&limit=2")
        )
        .await,
        json!({"tagNames": ["db.system", "http.method"]})
    );
    assert_eq!(
        get_json(&app, "/api/search/tags?scope=intrinsic").await,
        json!({ "tagNames": intrinsics() })
    );
    // Trace B only (end is inclusive at second granularity).
    let late = T0_S + 7200;
    assert_eq!(
        get_json(&app, &format!("/api/search/tags?start={late}&end={late}")).await,
        json!({"tagNames": ["late", "lib.attr", "service.name"]})
    );
    // The default window (last hour) holds nothing of 2023.
    assert_eq!(
        get_json(&app, "/api/search/tags").await,
        json!({"tagNames": []})
    );
    // Tenants are separate.
    let uri = format!("/api/search/tag/service.name/values?{WINDOW}");
    assert_eq!(
        get_with(&app, &uri, &[("X-Scope-OrgID", "other")])
            .await
            .json(),
        json!({"tagValues": ["other-svc"]})
    );
}

#[tokio::test]
async fn tags_v2() {
    let app = app().await;
    assert_eq!(
        get_json(&app, &format!("/api/v2/search/tags?{WINDOW}")).await,
        json!({"scopes": [
            {"name": "event", "tags": ["key"]},
            {"name": "instrumentation", "tags": ["lib.attr"]},
            {"name": "intrinsic", "tags": intrinsics()},
            {"name": "link", "tags": ["link.kind"]},
            {"name": "resource", "tags": ["service.name"]},
            {"name": "span", "tags": ["db.system", "http.method", "http.status_code", "ok", "ratio"]},
        ]})
    );
    assert_eq!(
        get_json(&app, &format!("/api/v2/search/tags?{WINDOW}&scope=span")).await,
        json!({"scopes": [
            {"name": "span", "tags": ["db.system", "http.method", "http.status_code", "ok", "ratio"]},
        ]})
    );
    // `q` with an equality on the resource: only the `db` span contributes.
    let q = "%7Bresource.service.name%3D%22db%22%7D";
    assert_eq!(
        get_json(
            &app,
            &format!("/api/v2/search/tags?{WINDOW}&scope=none&q={q}")
        )
        .await,
        json!({"scopes": [
            {"name": "instrumentation", "tags": ["lib.attr"]},
            {"name": "intrinsic", "tags": intrinsics()},
            {"name": "link", "tags": ["link.kind"]},
            {"name": "resource", "tags": ["service.name"]},
            {"name": "span", "tags": ["db.system", "http.status_code"]},
        ]})
    );
    // A `q` that is not simple equalities is ignored (unfiltered, as Tempo for a bad `q`).
    let unfiltered = get_json(&app, &format!("/api/v2/search/tags?{WINDOW}&scope=span")).await;
    let q = "%7Bspan.http.status_code%3E300%7D";
    assert_eq!(
        get_json(
            &app,
            &format!("/api/v2/search/tags?{WINDOW}&scope=span&q={q}")
        )
        .await,
        unfiltered
    );
    // `limit` is per scope and never cuts the intrinsics.
    assert_eq!(
        get_json(&app, &format!("/api/v2/search/tags?{WINDOW}&limit=1")).await,
        json!({"scopes": [
            {"name": "event", "tags": ["key"]},
            {"name": "instrumentation", "tags": ["lib.attr"]},
            {"name": "intrinsic", "tags": intrinsics()},
            {"name": "link", "tags": ["link.kind"]},
            {"name": "resource", "tags": ["service.name"]},
            {"name": "span", "tags": ["db.system"]},
        ]})
    );
    assert_eq!(
        get_json(&app, "/api/search/tags?scope=intrinsic&limit=2").await,
        json!({ "tagNames": intrinsics() })
    );
    assert_eq!(
        get_json(&app, "/api/v2/search/tags?scope=trace").await,
        json!({"scopes": []})
    );
    assert_eq!(
        get_json(&app, "/api/v2/search/tags?scope=resource").await,
        json!({"scopes": []})
    );
}

#[tokio::test]
async fn tag_values_v1() {
    let app = app().await;
    assert_eq!(
        get_json(
            &app,
            &format!("/api/search/tag/service.name/values?{WINDOW}")
        )
        .await,
        json!({"tagValues": ["api", "db"]})
    );
    // Only string values in v1.
    assert_eq!(
        get_json(
            &app,
            &format!("/api/search/tag/http.status_code/values?{WINDOW}")
        )
        .await,
        json!({"tagValues": []})
    );
    assert_eq!(
        get_json(&app, "/api/search/tag/status.code/values").await,
        json!({"tagValues": ["error", "ok", "unset"]})
    );
    assert_eq!(
        get_json(
            &app,
            &format!("/api/search/tag/service.name/values?{WINDOW}&limit=1")
        )
        .await,
        json!({"tagValues": ["api"]})
    );
}

#[tokio::test]
async fn tag_values_v2() {
    let app = app().await;
    let v = |tag: &str| format!("/api/v2/search/tag/{tag}/values?{WINDOW}");
    let tv = |pairs: &[(&str, &str)]| {
        let vals: Vec<Json> = pairs
            .iter()
            .map(|(t, v)| json!({"type": t, "value": v}))
            .collect();
        json!({ "tagValues": vals })
    };
    assert_eq!(
        get_json(&app, &v("resource.service.name")).await,
        tv(&[("string", "api"), ("string", "db")])
    );
    assert_eq!(
        get_json(&app, &v("span.http.status_code")).await,
        tv(&[("int", "200"), ("int", "500")])
    );
    assert_eq!(get_json(&app, &v(".ratio")).await, tv(&[("float", "0.25")]));
    assert_eq!(get_json(&app, &v("span.ok")).await, tv(&[("bool", "true")]));
    // `.x` is span or resource.
    assert_eq!(
        get_json(&app, &v(".service.name")).await,
        tv(&[("string", "api"), ("string", "db")])
    );
    assert_eq!(
        get_json(&app, &v("event.key")).await,
        tv(&[("string", "user:1")])
    );
    assert_eq!(
        get_json(&app, &v("link.link.kind")).await,
        tv(&[("string", "follows")])
    );
    assert_eq!(
        get_json(&app, &v("name")).await,
        tv(&[("string", "GET /users"), ("string", "SELECT")])
    );
    assert_eq!(
        get_json(&app, &v("rootServiceName")).await,
        tv(&[("string", "api")])
    );
    assert_eq!(
        get_json(&app, &v("rootName")).await,
        tv(&[("string", "GET /users")])
    );
    assert_eq!(
        get_json(&app, &v("statusMessage")).await,
        tv(&[("string", "boom")])
    );
    assert_eq!(
        get_json(&app, &v("event:name")).await,
        tv(&[("string", "cache miss")])
    );
    assert_eq!(
        get_json(&app, &v("instrumentation:version")).await,
        tv(&[("string", "1.0")])
    );
    // Tempo's fixed keyword lists.
    assert_eq!(
        get_json(&app, "/api/v2/search/tag/status/values").await,
        tv(&[
            ("keyword", "ok"),
            ("keyword", "error"),
            ("keyword", "unset")
        ])
    );
    assert_eq!(
        get_json(&app, "/api/v2/search/tag/span:kind/values").await,
        tv(&[
            ("keyword", "client"),
            ("keyword", "server"),
            ("keyword", "producer"),
            ("keyword", "consumer"),
            ("keyword", "internal"),
            ("keyword", "unspecified"),
        ])
    );
    assert_eq!(
        get_json(&app, "/api/v2/search/tag/duration/values").await,
        tv(&[])
    );
    // A percent-encoded tag is decoded (once).
    assert_eq!(
        get_json(&app, &v("resource.service%2Ename")).await,
        tv(&[("string", "api"), ("string", "db")])
    );
    // `q` filters the spans.
    let q = "%7B%20resource.service.name%20%3D%20%22api%22%20%7D";
    assert_eq!(
        get_json(&app, &format!("{}&q={q}", v("name"))).await,
        tv(&[("string", "GET /users")])
    );
    let q = "%7Bname%3D%22SELECT%22%20%26%26%20.db.system%3D%22postgres%22%7D";
    assert_eq!(
        get_json(&app, &format!("{}&q={q}", v("span.http.status_code"))).await,
        tv(&[("int", "500")])
    );
    assert_eq!(
        get_json(&app, &format!("{}&limit=1", v("resource.service.name"))).await,
        tv(&[("string", "api")])
    );
}

#[tokio::test]
async fn default_window_is_the_last_hour() {
    let now = chrono::Utc::now().timestamp_nanos_opt().unwrap() as u64;
    let app = traces_app(vec![(
        TenantId::anonymous(),
        vec![
            resource("recent", vec![span(3, 1, None, "a", now - 300 * NS)]),
            resource("old", vec![span(4, 1, None, "b", now - 7200 * NS)]),
        ],
    )])
    .await;
    assert_eq!(
        get_json(&app, "/api/search/tag/service.name/values").await,
        json!({"tagValues": ["recent"]})
    );
    // Only `start` given: still the default window, as Tempo (both are needed).
    assert_eq!(
        get_json(
            &app,
            "/api/v2/search/tag/resource.service.name/values?start=1"
        )
        .await,
        json!({"tagValues": [{"type": "string", "value": "recent"}]})
    );
}

#[tokio::test]
async fn errors() {
    let app = app().await;
    assert_eq!(
        get_error(&app, "/api/search/tags?scope=bogus").await,
        (400, "invalid scope: bogus".to_string())
    );
    assert_eq!(
        get_error(&app, "/api/v2/search/tags?start=abc&end=1").await,
        (
            400,
            "invalid start: strconv.ParseInt: parsing \"abc\": invalid syntax".to_string()
        )
    );
    assert_eq!(
        get_error(&app, "/api/search/tag/x/values?end=4294967296").await,
        (
            400,
            "invalid end: strconv.ParseInt: parsing \"4294967296\": value out of range".to_string()
        )
    );
    let (status, text) = get_error(&app, "/api/v2/search/tag/resource./values").await;
    assert_eq!(status, 400);
    assert!(
        text.starts_with("please provide a valid tagName: "),
        "{text}"
    );
    assert_eq!(
        get_error(&app, "/api/search/tag/x/values?limit=-1").await,
        (
            400,
            "invalid limit: strconv.ParseUint: parsing \"-1\": invalid syntax".to_string()
        )
    );
    assert_eq!(
        get_error(&app, "/api/v2/search/tag/.x/values?maxStaleValues=x").await,
        (
            400,
            "invalid maxStaleValues: strconv.ParseUint: parsing \"x\": invalid syntax".to_string()
        )
    );
    // The tags endpoints read `limit` leniently, as Tempo's frontend.
    assert_eq!(
        get_json(&app, "/api/search/tags?limit=-1").await,
        json!({"tagNames": []})
    );
}
