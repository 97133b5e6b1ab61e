//! Tempo search and TraceQL metrics through `App::handle`: `/api/search` (TraceQL `q`, logfmt
//! `tags`, `minDuration`/`maxDuration`, `limit`, `spss`, windows), `/api/metrics/query_range`
//! and `/api/metrics/query` over spans written with `TracesWriter` on `memory://`; exact JSON
//! bodies (the `metrics` member checked separately) and Tempo's 400 texts.

mod common;

use common::tempo::{get_error, kv, s, traces_app};
use common::{get, get_with};
use lakewatch_api::App;
use lakewatch_model::TenantId;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{status, ResourceSpans, ScopeSpans, Span, Status};
use serde_json::{json, Value as Json};

/// 2023-11-14T22:13:20Z in s.
const T0_S: u64 = 1_700_000_000;
const NS: u64 = 1_000_000_000;
const MS: u64 = 1_000_000;
/// A window holding traces A, B and C (not D).
const WINDOW: &str = "start=1699999990&end=1700000100";

fn trace_id(n: u8) -> Vec<u8> {
    // Leading zero bytes: Tempo's hex trace ids drop leading zeros.
    let mut id = vec![0u8; 16];
    id[8] = n;
    id[15] = n;
    id
}

fn span(trace: u8, id: u8, parent: Option<u8>, name: &str, start_ns: u64, dur_ns: u64) -> Span {
    Span {
        trace_id: trace_id(trace),
        span_id: vec![0xa0, 0, 0, 0, 0, 0, trace, id],
        parent_span_id: parent
            .map(|p| vec![0xa0, 0, 0, 0, 0, 0, trace, p])
            .unwrap_or_default(),
        name: name.into(),
        kind: 2,
        start_time_unix_nano: start_ns,
        end_time_unix_nano: start_ns + dur_ns,
        ..Default::default()
    }
}

fn resource(service: &str, spans: Vec<Span>) -> ResourceSpans {
    ResourceSpans {
        resource: Some(Resource {
            attributes: vec![kv("service.name", s(service)), kv("cluster", s("eu-west"))],
            ..Default::default()
        }),
        scope_spans: vec![ScopeSpans {
            spans,
            ..Default::default()
        }],
        ..Default::default()
    }
}

/// Trace 1 at T0: `api` root `GET /users` (100 ms) with a `db` child `SELECT` (error, 30 ms).
/// Trace 2 at T0+10 s: `api` root `POST /orders` (2 s) with three `api` children.
/// Trace 3 at T0+20 s: a lone `worker` child span (its root not received), 5 ms.
/// Trace 4 at T0+2 h (outside [`WINDOW`]).
fn fixture() -> Vec<ResourceSpans> {
    let t0 = T0_S * NS;
    let mut a_root = span(1, 1, None, "GET /users", t0, 100 * MS);
    a_root.attributes = vec![
        kv("http.method", s("GET")),
        kv("http.status_code", Value::IntValue(200)),
    ];
    let mut a_child = span(1, 2, Some(1), "SELECT", t0 + 20 * MS, 30 * MS);
    a_child.attributes = vec![kv("db.system", s("postgres"))];
    a_child.status = Some(Status {
        message: "boom".into(),
        code: status::StatusCode::Error as i32,
    });
    let t2 = t0 + 10 * NS;
    let mut b_root = span(2, 1, None, "POST /orders", t2, 2 * NS);
    b_root.attributes = vec![
        kv("http.method", s("POST")),
        kv("http.status_code", Value::IntValue(201)),
    ];
    let b_kids: Vec<Span> = (2..5)
        .map(|i| {
            span(
                2,
                i,
                Some(1),
                &format!("step {i}"),
                t2 + u64::from(i) * MS,
                MS,
            )
        })
        .collect();
    let mut c = span(3, 7, Some(6), "consume", t0 + 20 * NS, 5 * MS);
    c.kind = 5;
    let d = span(4, 1, None, "GET /late", t0 + 7200 * NS, MS);
    let mut api = vec![a_root, b_root];
    api.extend(b_kids);
    api.push(d);
    vec![
        resource("api", api),
        resource("db", vec![a_child]),
        resource("worker", vec![c]),
    ]
}

async fn app() -> App {
    // Trace 1's root re-sent in another object: returned once.
    let t0 = T0_S * NS;
    let mut again = span(1, 1, None, "GET /users", t0, 100 * MS);
    again.attributes = vec![
        kv("http.method", s("GET")),
        kv("http.status_code", Value::IntValue(200)),
    ];
    let other = span(9, 1, None, "other", T0_S * NS, MS);
    traces_app(vec![
        (TenantId::anonymous(), fixture()),
        (TenantId::anonymous(), vec![resource("api", vec![again])]),
        (
            TenantId::new("other").unwrap(),
            vec![resource("other-svc", vec![other])],
        ),
    ])
    .await
}

/// The body without its `metrics` member (byte counts depend on the Parquet encoding).
async fn get_json(app: &App, uri: &str) -> Json {
    let mut v = common::tempo::get_json(app, uri).await;
    let m = v
        .as_object_mut()
        .and_then(|o| o.remove("metrics"))
        .unwrap_or_else(|| panic!("{uri}: no metrics: {v}"));
    assert!(m.is_object(), "{uri}: {m}");
    v
}

fn enc(q: &str) -> String {
    percent_encoding::utf8_percent_encode(q, percent_encoding::NON_ALPHANUMERIC).to_string()
}

// ---- tags (no TraceQL engine involved) ----

fn meta_1() -> Json {
    json!({"traceID": "100000000000001", "rootServiceName": "api",
           "rootTraceName": "GET /users", "startTimeUnixNano": "1700000000000000000",
           "durationMs": 100})
}

fn meta_2() -> Json {
    json!({"traceID": "200000000000002", "rootServiceName": "api",
           "rootTraceName": "POST /orders", "startTimeUnixNano": "1700000010000000000",
           "durationMs": 2000})
}

fn meta_3() -> Json {
    json!({"traceID": "300000000000003", "rootServiceName": "<root span not yet received>",
           "startTimeUnixNano": "1700000020000000000", "durationMs": 5})
}

#[tokio::test]
async fn tags_search() {
    let app = app().await;
    let search = |extra: &str| format!("/api/search?{WINDOW}&{extra}");
    // Most recent first.
    assert_eq!(
        get_json(&app, &search("tags=")).await,
        json!({"traces": [meta_3(), meta_2(), meta_1()]})
    );
    assert_eq!(
        get_json(&app, &search("tags=service.name%3Dap")).await,
        json!({"traces": [meta_2(), meta_1()]}),
        "service.name is a substring match"
    );
    assert_eq!(
        get_json(&app, &search("tags=db.system%3Dpostgres")).await,
        json!({"traces": [meta_1()]})
    );
    assert_eq!(
        get_json(&app, &search("tags=db.system%3Dpostgre")).await,
        json!({}),
        "generic tags are exact"
    );
    assert_eq!(
        get_json(&app, &search("tags=status.code%3Derror+name%3DSELECT")).await,
        json!({"traces": [meta_1()]})
    );
    assert_eq!(
        get_json(&app, &search("tags=http.status_code%3D201")).await,
        json!({"traces": [meta_2()]})
    );
    assert_eq!(
        get_json(&app, &search("tags=root.name%3D%22POST+%2Forders%22")).await,
        json!({"traces": [meta_2()]})
    );
    assert_eq!(
        get_json(&app, &search("tags=&minDuration=50ms&maxDuration=1s")).await,
        json!({"traces": [meta_1()]})
    );
    assert_eq!(
        get_json(&app, &search("tags=&minDuration=1s")).await,
        json!({"traces": [meta_2()]})
    );
    assert_eq!(
        get_json(&app, &search("tags=&limit=2")).await,
        json!({"traces": [meta_3(), meta_2()]})
    );
    // Old-style tags as parameters (no q, tags, start, end): the last hour, so nothing here.
    assert_eq!(
        get_json(&app, "/api/search?service.name=api").await,
        json!({})
    );
    // Another window: trace 4 only; another tenant sees its own trace.
    assert_eq!(
        get_json(&app, "/api/search?start=1700007000&end=1700007300&tags=").await["traces"]
            .as_array()
            .map(|a| a.len()),
        Some(1)
    );
    let uri = format!("/api/search?{WINDOW}&tags=");
    let v = get_with(&app, &uri, &[("X-Scope-OrgID", "other")])
        .await
        .json();
    assert_eq!(v["traces"][0]["rootServiceName"], "other-svc");
}

#[tokio::test]
async fn raw_body_and_metrics() {
    let app = app().await;
    let r = get(
        &app,
        &format!("/api/search?{WINDOW}&tags=db.system%3Dpostgres"),
    )
    .await;
    assert_eq!(r.status, 200);
    let text = String::from_utf8(r.body.to_vec()).unwrap();
    let want = concat!(
        r#"{"traces":[{"traceID":"100000000000001","rootServiceName":"api","#,
        r#""rootTraceName":"GET /users","startTimeUnixNano":"1700000000000000000","#,
        r#""durationMs":100}],"metrics":{"inspectedTraces":3,"inspectedBytes":""#
    );
    assert!(text.starts_with(want), "{text}");
    let v: Json = serde_json::from_str(&text).unwrap();
    assert_eq!(v["metrics"]["inspectedTraces"], 3);
    assert_eq!(v["metrics"]["totalBlocks"], 2);
    assert_eq!(v["metrics"]["inspectedSpans"], "9");
    assert_eq!(v["metrics"]["totalJobs"], 1);
}

#[tokio::test]
async fn search_errors() {
    let app = app().await;
    for (uri, want) in [
        (
            "/api/search?start=abc",
            "invalid start: strconv.ParseUint: parsing \"abc\": invalid syntax",
        ),
        (
            "/api/search?q=%7B%7D&tags=a%3Db",
            "invalid request: can't specify tags and q in the same query",
        ),
        (
            "/api/search?tags=%3Db",
            "invalid tags: unexpected '=' at pos 1",
        ),
        (
            "/api/search?tags=a%3D1+a%3D2",
            "invalid tags: tag a has been set twice",
        ),
        (
            "/api/search?minDuration=5",
            "invalid minDuration: time: missing unit in duration \"5\"",
        ),
        (
            "/api/search?minDuration=2s&maxDuration=1s",
            "invalid maxDuration: must be greater than minDuration",
        ),
        (
            "/api/search?limit=0",
            "invalid limit: must be a positive number",
        ),
        (
            "/api/search?spss=x",
            "invalid spss: strconv.ParseUint: parsing \"x\": invalid syntax",
        ),
        (
            "/api/search?start=20&end=10",
            "http parameter start must be before end. received start=20 end=10",
        ),
        (
            "/api/search?limit=300000",
            "limit 300000 exceeds max limit 262144",
        ),
        (
            "/api/search?q=%7B+.a+%3D+%7D",
            "invalid TraceQL query: parse error at line 1, col 8: syntax error: unexpected }",
        ),
        (
            "/api/search?start=1&end=1000000&q=%7B%7D",
            "range specified by start and end exceeds 168h0m0s. received start=1 end=1000000",
        ),
        (
            "/api/search?spss=101&q=%7B%7D",
            "spans per span set exceeds 100. received 101",
        ),
    ] {
        assert_eq!(get_error(&app, uri).await, (400, want.to_string()), "{uri}");
    }
}

#[tokio::test]
async fn scan_budget() {
    let mut app = app().await;
    app.tempo.max_bytes_scanned = 10;
    let (status, msg) = get_error(&app, &format!("/api/search?{WINDOW}&tags=")).await;
    assert_eq!(status, 400);
    assert!(msg.starts_with("query would read "), "{msg}");
    assert!(msg.ends_with("(LAKEWATCH_TEMPO_MAX_BYTES_SCANNED): narrow the time range"));
}

// ---- TraceQL search (needs the lakewatch_traceql engine) ----

fn span_json(trace: u8, id: u8, name: &str, start: u64, dur: u64, attrs: Json) -> Json {
    let mut v = json!({
        "spanID": format!("a00000000000{trace:02x}{id:02x}"),
        "name": name,
        "startTimeUnixNano": start.to_string(),
        "durationNanos": dur.to_string(),
    });
    if attrs.as_array().is_some_and(|a| !a.is_empty()) {
        v["attributes"] = attrs;
    }
    v
}

fn with_spanset(mut meta: Json, set: Json, stats: Json) -> Json {
    meta["spanSet"] = set.clone();
    meta["spanSets"] = json!([set]);
    meta["serviceStats"] = stats;
    meta
}

#[tokio::test]
async fn traceql_search() {
    let app = app().await;
    let t0 = T0_S * NS;
    let q = |q: &str, extra: &str| format!("/api/search?{WINDOW}&q={}{extra}", enc(q));
    let stats_1 = json!({"api": {"spanCount": 1}, "db": {"spanCount": 1, "errorCount": 1}});
    let stats_2 = json!({"api": {"spanCount": 4}});
    let set_1 = json!({"spans": [span_json(1, 2, "SELECT", t0 + 20 * MS, 30 * MS, json!([
        {"key": "status", "value": {"stringValue": "error"}}
    ]))], "matched": 1});
    assert_eq!(
        get_json(&app, &q("{ status = error }", "")).await,
        json!({"traces": [with_spanset(meta_1(), set_1, stats_1.clone())]})
    );
    // spss: 2 spans shown, 4 matched.
    let t2 = t0 + 10 * NS;
    let set_2 = json!({"spans": [
        span_json(2, 1, "POST /orders", t2, 2 * NS, json!([
            {"key": "service.name", "value": {"stringValue": "api"}}])),
        span_json(2, 2, "step 2", t2 + 2 * MS, MS, json!([
            {"key": "service.name", "value": {"stringValue": "api"}}])),
    ], "matched": 4});
    let got = get_json(
        &app,
        &q(r#"{ resource.service.name = "api" }"#, "&spss=2&limit=1"),
    )
    .await;
    assert_eq!(
        got,
        json!({"traces": [with_spanset(meta_2(), set_2, stats_2)]})
    );
    // No match.
    assert_eq!(
        get_json(&app, &q(r#"{ name = "nope" }"#, "")).await,
        json!({})
    );
    // Every trace, most recent first.
    let ids: Vec<Json> = get_json(&app, &q("{ }", "")).await["traces"]
        .as_array()
        .map(|a| a.iter().map(|t| t["traceID"].clone()).collect())
        .unwrap_or_default();
    assert_eq!(
        ids,
        vec![
            json!("300000000000003"),
            json!("200000000000002"),
            json!("100000000000001")
        ]
    );
    // A metrics query is no search.
    assert_eq!(
        get_error(&app, &q("{ } | rate()", "")).await,
        (
            400,
            "metrics queries are not supported by search: use /api/metrics/query_range".into()
        )
    );
    // Structural operator: the descendants of `GET /users`.
    let set = json!({"spans": [span_json(1, 2, "SELECT", t0 + 20 * MS, 30 * MS, json!([]))],
                     "matched": 1});
    assert_eq!(
        get_json(&app, &q(r#"{ name = "GET /users" } >> { }"#, "")).await,
        json!({"traces": [with_spanset(meta_1(), set, stats_1.clone())]})
    );
    // by(): one spanset per group, the group and aggregates as spanset attributes.
    let group = |svc: &str, span: Json| {
        json!({"spans": [span], "matched": 1, "attributes": [
            {"key": "by(resource.service.name)", "value": {"stringValue": svc}}]})
    };
    let api = json!([{"key": "service.name", "value": {"stringValue": "api"}}]);
    let db = json!([{"key": "service.name", "value": {"stringValue": "db"}}]);
    let mut want = with_spanset(
        meta_1(),
        group("api", span_json(1, 1, "GET /users", t0, 100 * MS, api)),
        stats_1.clone(),
    );
    want["spanSets"] = json!([
        want["spanSet"].clone(),
        group("db", span_json(1, 2, "SELECT", t0 + 20 * MS, 30 * MS, db)),
    ]);
    assert_eq!(
        get_json(
            &app,
            &q(
                r#"{ rootName = "GET /users" } | by(resource.service.name)"#,
                ""
            )
        )
        .await,
        json!({"traces": [want]})
    );
    // select(): selected attributes and intrinsics (not name/duration) on the spans.
    let set = json!({"spans": [span_json(1, 1, "GET /users", t0, 100 * MS, json!([
        {"key": "http.method", "value": {"stringValue": "GET"}},
        {"key": "http.status_code", "value": {"intValue": "200"}},
        {"key": "kind", "value": {"stringValue": "server"}},
    ]))], "matched": 1});
    assert_eq!(
        get_json(
            &app,
            &q(
                r#"{ span.http.method = "GET" } | select(span.http.status_code, kind, duration)"#,
                ""
            )
        )
        .await,
        json!({"traces": [with_spanset(meta_1(), set, stats_1.clone())]})
    );
}

// ---- TraceQL metrics (needs the lakewatch_traceql metrics engine) ----

#[tokio::test]
async fn metrics_errors() {
    let app = app().await;
    for (uri, want) in [
        (
            "/api/metrics/query_range?q=%7B%7D%7Crate()&start=x",
            "rpc error: code = Code(400) desc = could not parse 'start' parameter: strconv.ParseInt: parsing \"x\": invalid syntax",
        ),
        (
            "/api/metrics/query_range?q=%7B%7D%7Crate()&start=1700000000&end=1700000060&step=y",
            "rpc error: code = Code(400) desc = cannot parse \"y\" to a valid duration",
        ),
        (
            "/api/metrics/query_range?q=%7B%7D%7Crate()&since=x",
            "rpc error: code = Code(400) desc = could not parse 'since' parameter: not a valid duration string: \"x\"",
        ),
        (
            "/api/metrics/query_range?q=%7B%7D%7Crate()&start=1700000060&end=1700000000",
            "end must be greater than start",
        ),
        (
            "/api/metrics/query_range?q=%7B%7D%7Crate()&start=1600000000&end=1700000000",
            "metrics query time range exceeds the maximum allowed duration of 24h0m0s",
        ),
        (
            "/api/metrics/query_range?q=%7B%7D%7Crate()&start=1700000000&end=1700036000&step=1s",
            "step of 1s is too small, minimum step for given range is 3.6s",
        ),
        (
            "/api/metrics/query_range?q=%7B+.a+%3D+%7D&start=1700000000&end=1700000060",
            "parse error at line 1, col 8: syntax error: unexpected }",
        ),
        (
            "/api/metrics/query?q=%7B%7D%7Crate()&start=1700000060&end=1700000000",
            "end must be greater than start",
        ),
    ] {
        assert_eq!(get_error(&app, uri).await, (400, want.to_string()), "{uri}");
    }
}

fn label(k: &str, v: &str) -> Json {
    json!({"key": k, "value": {"stringValue": v}})
}

fn exemplar(trace: u8, span: u8, ts_s: u64) -> Json {
    json!({"labels": [
        label("trace:id", &format!("0000000000000000{trace:02x}000000000000{trace:02x}")),
        label("span:id", &format!("a00000000000{trace:02x}{span:02x}")),
    ], "value": "NaN", "timestampMs": format!("{}", ts_s * 1000)})
}

#[tokio::test]
async fn metrics_query_range() {
    let app = app().await;
    let uri = |q: &str, extra: &str| {
        format!(
            "/api/metrics/query_range?q={}&start=1699999980&end=1700000040&step=30s{extra}",
            enc(q)
        )
    };
    // Aligned: start one step before 1699999980, end 1700000040.
    let sample = |ts: u64, v: Option<u64>| match v {
        Some(v) => json!({"timestampMs": format!("{}", ts * 1000), "value": v}),
        None => json!({"timestampMs": format!("{}", ts * 1000)}),
    };
    let q = "{ } | count_over_time() by (resource.service.name)";
    let want = json!({"series": [
        {"labels": [label("resource.service.name", "api")],
         "samples": [sample(1699999950, None), sample(1699999980, None),
                     sample(1700000010, Some(2)), sample(1700000040, Some(3))],
         "exemplars": [exemplar(1, 1, T0_S), exemplar(2, 1, T0_S + 10)]},
        {"labels": [label("resource.service.name", "db")],
         "samples": [sample(1699999950, None), sample(1699999980, None),
                     sample(1700000010, Some(1)), sample(1700000040, None)]},
        {"labels": [label("resource.service.name", "worker")],
         "samples": [sample(1699999950, None), sample(1699999980, None),
                     sample(1700000010, None), sample(1700000040, Some(1))],
         "exemplars": [exemplar(3, 7, T0_S + 20)]},
    ]});
    assert_eq!(get_json(&app, &uri(q, "")).await, want);
    // The `exemplars` parameter caps exemplars (in series order).
    let got = get_json(&app, &uri(q, "&exemplars=1")).await;
    assert_eq!(got["series"][0]["exemplars"], json!([exemplar(1, 1, T0_S)]));
    assert_eq!(got["series"][2].get("exemplars"), None);
    // `since` instead of start/end: the last hour holds nothing here.
    let got = get_json(
        &app,
        &format!("/api/metrics/query_range?q={}&since=1h", enc(q)),
    )
    .await;
    assert_eq!(got, json!({}));
    // A search query is no metrics query.
    assert_eq!(
        get_error(&app, &uri("{ }", "")).await,
        (400, "not a metrics query".to_string())
    );
}

#[tokio::test]
async fn metrics_query_instant() {
    let app = app().await;
    let uri = format!(
        "/api/metrics/query?q={}&start=1699999980&end=1700000040",
        enc("{ resource.service.name = \"api\" } | count_over_time()")
    );
    let got = get_json(&app, &uri).await;
    assert_eq!(
        got,
        json!({"series": [{"labels": [
            {"key": "__name__", "value": {"stringValue": "count_over_time"}}
        ], "value": 5}]}),
        "{got}"
    );
}
