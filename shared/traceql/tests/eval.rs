//! Table-driven tests of the spanset engine (`lakewatch_traceql::eval`) against a fixture of
//! AI-gateway traces built below. Cases live in `tests/eval_cases/*.txt`, one per line:
//!
//! ```text
//! # comment
//! QUERY => RESULT          spansets of every trace, spans by name
//! QUERY =>attrs RESULT     same, each span followed by its reported attributes (k=v;…)
//! QUERY =>! MESSAGE        compile or evaluation error, exact text
//! ```
//!
//! RESULT is `none` or, per matching trace in fixture order and per spanset,
//! `T1:[span,span]` optionally followed by `{key=value;…}` spanset attributes, separated by
//! spaces. Values print as Tempo's `EncodeToString(false)` (durations as Go durations).

mod common;

use lakewatch_storage::traces::record::{ResourceInfo, ScopeInfo};
use lakewatch_storage::traces::SpanRecord;
use lakewatch_traceql::eval::{SpansQuery, TraceView};
use lakewatch_traceql::parse;
use opentelemetry_proto::tonic::common::v1::any_value::Value as Av;
use opentelemetry_proto::tonic::common::v1::{
    AnyValue, ArrayValue, InstrumentationScope, KeyValue,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::span::{Event, Link};
use opentelemetry_proto::tonic::trace::v1::{Span, Status};
use std::sync::Arc;

const BASE: u64 = 1_700_000_000_000_000_000;
const MS: u64 = 1_000_000;

#[derive(Clone)]
enum V {
    S(&'static str),
    I(i64),
    F(f64),
    B(bool),
    A(Vec<V>),
}

fn av(v: &V) -> AnyValue {
    AnyValue {
        value: Some(match v {
            V::S(s) => Av::StringValue(s.to_string()),
            V::I(i) => Av::IntValue(*i),
            V::F(f) => Av::DoubleValue(*f),
            V::B(b) => Av::BoolValue(*b),
            V::A(a) => Av::ArrayValue(ArrayValue {
                values: a.iter().map(av).collect(),
            }),
        }),
    }
}

fn kvs(attrs: &[(&str, V)]) -> Vec<KeyValue> {
    attrs
        .iter()
        .map(|(k, v)| KeyValue {
            key: k.to_string(),
            value: Some(av(v)),
            ..Default::default()
        })
        .collect()
}

fn resource(attrs: &[(&str, V)]) -> Arc<ResourceInfo> {
    Arc::new(ResourceInfo {
        resource: Some(Resource {
            attributes: kvs(attrs),
            ..Default::default()
        }),
        schema_url: String::new(),
    })
}

fn scope(name: &str, version: &str, attrs: &[(&str, V)]) -> Arc<ScopeInfo> {
    Arc::new(ScopeInfo {
        scope: Some(InstrumentationScope {
            name: name.into(),
            version: version.into(),
            attributes: kvs(attrs),
            dropped_attributes_count: 0,
        }),
        schema_url: String::new(),
    })
}

fn tid(n: u8) -> [u8; 16] {
    let mut t = [0u8; 16];
    t[15] = n;
    t[0] = 0xa0 + n;
    t
}

fn sid(t: u8, n: u8) -> Vec<u8> {
    vec![0, 0, 0, 0, 0, t, 0, n]
}

/// One fixture span: ids are small integers within trace `t` (see [`sid`]), times in ms from
/// [`BASE`]. Status defaults to unset, attributes, events and links to none, and resource and
/// scope to those of the trace (see [`records`]).
#[derive(Default)]
struct SpanSpec {
    id: u8,
    parent: Option<u8>,
    name: &'static str,
    kind: i32,
    start_ms: u64,
    dur_ms: u64,
    status: (i32, &'static str),
    attrs: Vec<(&'static str, V)>,
    events: Vec<Event>,
    links: Vec<Link>,
    origin: Option<(Arc<ResourceInfo>, Arc<ScopeInfo>)>,
}

fn sp(id: u8, parent: Option<u8>, name: &'static str, kind: i32, ms: (u64, u64)) -> SpanSpec {
    SpanSpec {
        id,
        parent,
        name,
        kind,
        start_ms: ms.0,
        dur_ms: ms.1,
        ..Default::default()
    }
}

impl SpanSpec {
    fn status(self, status: (i32, &'static str)) -> Self {
        SpanSpec { status, ..self }
    }
    fn attrs(self, attrs: Vec<(&'static str, V)>) -> Self {
        SpanSpec { attrs, ..self }
    }
    fn events(self, events: Vec<Event>) -> Self {
        SpanSpec { events, ..self }
    }
    fn links(self, links: Vec<Link>) -> Self {
        SpanSpec { links, ..self }
    }
    /// Resource and scope other than the trace's.
    fn on(self, res: &Arc<ResourceInfo>, sc: &Arc<ScopeInfo>) -> Self {
        SpanSpec {
            origin: Some((res.clone(), sc.clone())),
            ..self
        }
    }
}

fn record(t: u8, res: &Arc<ResourceInfo>, sc: &Arc<ScopeInfo>, s: SpanSpec) -> SpanRecord {
    let (resource, scope) = s.origin.unwrap_or_else(|| (res.clone(), sc.clone()));
    SpanRecord {
        trace_id: tid(t),
        resource,
        scope,
        span: Span {
            trace_id: tid(t).to_vec(),
            span_id: sid(t, s.id),
            parent_span_id: s.parent.map(|p| sid(t, p)).unwrap_or_default(),
            name: s.name.into(),
            kind: s.kind,
            start_time_unix_nano: BASE + s.start_ms * MS,
            end_time_unix_nano: BASE + (s.start_ms + s.dur_ms) * MS,
            attributes: kvs(&s.attrs),
            events: s.events,
            links: s.links,
            status: Some(Status {
                message: s.status.1.into(),
                code: s.status.0,
            }),
            ..Default::default()
        },
    }
}

/// The spans of trace `t`, in order, from `res` and `sc` unless a span says otherwise.
fn records(
    t: u8,
    res: &Arc<ResourceInfo>,
    sc: &Arc<ScopeInfo>,
    specs: Vec<SpanSpec>,
) -> Vec<SpanRecord> {
    specs.into_iter().map(|s| record(t, res, sc, s)).collect()
}

fn event(ms: u64, name: &str, attrs: &[(&str, V)]) -> Event {
    Event {
        time_unix_nano: BASE + ms * MS,
        name: name.into(),
        attributes: kvs(attrs),
        dropped_attributes_count: 0,
    }
}

const SERVER: i32 = 2;
const CLIENT: i32 = 3;
const INTERNAL: i32 = 1;
const CONSUMER: i32 = 5;
const OK: (i32, &str) = (1, "");

/// The fixture: four traces.
///
/// - T1 ai-gateway OK: `POST /v1/chat` (server, 120ms) → `redis GET` (client) and
///   `chat gpt-4o` (client, openai) → `POST /openai` (server, service llm-provider).
/// - T2 ai-gateway error: `POST /v1/chat` (error, 2.5s) → `redis GET`, `chat claude-3-opus`
///   (error, event `exception`), `chat claude-3-haiku` (ok).
/// - T3 billing: `GET /invoices` → `SELECT invoices` (jdbc scope) and `render` (internal).
/// - T4 worker, no root: `consume job` (consumer, orphan, link to T1) → `chat gpt-4o-mini`.
fn fixture() -> Vec<(String, TraceView)> {
    let gw = resource(&[
        ("service.name", V::S("ai-gateway")),
        ("deployment.environment", V::S("prod")),
    ]);
    let prov = resource(&[
        ("service.name", V::S("llm-provider")),
        ("deployment.environment", V::S("prod")),
    ]);
    let billing = resource(&[
        ("service.name", V::S("billing")),
        ("deployment.environment", V::S("staging")),
    ]);
    let worker = resource(&[("service.name", V::S("worker")), ("host.cpus", V::I(8))]);
    let gw_scope = scope("lakewatch-gw", "0.3.1", &[("language", V::S("rust"))]);
    let jdbc = scope(
        "io.opentelemetry.jdbc",
        "1.2.0",
        &[("language", V::S("java"))],
    );
    let plain = scope("", "", &[]);

    let t1 = records(
        1,
        &gw,
        &gw_scope,
        vec![
            sp(1, None, "POST /v1/chat", SERVER, (0, 120)).attrs(vec![
                ("http.method", V::S("POST")),
                ("http.route", V::S("/v1/chat")),
                ("http.status_code", V::I(200)),
            ]),
            sp(2, Some(1), "redis GET", CLIENT, (2, 2)).attrs(vec![
                ("db.system", V::S("redis")),
                ("cache.hit", V::B(true)),
            ]),
            sp(3, Some(1), "chat gpt-4o", CLIENT, (10, 100))
                .status(OK)
                .attrs(vec![
                    ("gen_ai.system", V::S("openai")),
                    ("gen_ai.request.model", V::S("gpt-4o")),
                    ("gen_ai.usage.input_tokens", V::I(120)),
                    ("gen_ai.usage.output_tokens", V::I(80)),
                    ("gen_ai.request.temperature", V::F(0.2)),
                    ("gen_ai.response.finish_reasons", V::A(vec![V::S("stop")])),
                ]),
            sp(4, Some(3), "POST /openai", SERVER, (12, 95))
                .on(&prov, &plain)
                .attrs(vec![
                    ("http.status_code", V::I(200)),
                    ("retry.attempts", V::A(vec![V::I(1), V::I(2)])),
                ]),
        ],
    );

    let t2 = records(
        2,
        &gw,
        &gw_scope,
        vec![
            sp(1, None, "POST /v1/chat", SERVER, (0, 2500))
                .status((2, "upstream failed"))
                .attrs(vec![
                    ("http.method", V::S("POST")),
                    ("http.route", V::S("/v1/chat")),
                    ("http.status_code", V::I(502)),
                ]),
            sp(2, Some(1), "redis GET", CLIENT, (1, 3)).attrs(vec![
                ("db.system", V::S("redis")),
                ("cache.hit", V::B(false)),
            ]),
            sp(3, Some(1), "chat claude-3-opus", CLIENT, (10, 2400))
                .status((2, "rate limited"))
                .attrs(vec![
                    ("gen_ai.system", V::S("anthropic")),
                    ("gen_ai.request.model", V::S("claude-3-opus")),
                    ("gen_ai.usage.input_tokens", V::I(300)),
                    (
                        "gen_ai.response.finish_reasons",
                        V::A(vec![V::S("length"), V::S("stop")]),
                    ),
                ])
                .events(vec![
                    event(
                        1010,
                        "exception",
                        &[
                            ("exception.message", V::S("rate limited")),
                            ("exception.type", V::S("RateLimitError")),
                        ],
                    ),
                    event(2000, "retry", &[("retry.count", V::I(1))]),
                ]),
            sp(4, Some(1), "chat claude-3-haiku", CLIENT, (2420, 50))
                .status(OK)
                .attrs(vec![
                    ("gen_ai.system", V::S("anthropic")),
                    ("gen_ai.request.model", V::S("claude-3-haiku")),
                    ("gen_ai.usage.input_tokens", V::I(10)),
                    ("gen_ai.usage.output_tokens", V::I(5)),
                    ("gen_ai.request.temperature", V::F(1.0)),
                ]),
        ],
    );

    let t3 = records(
        3,
        &billing,
        &plain,
        vec![
            sp(1, None, "GET /invoices", SERVER, (0, 40)).attrs(vec![
                ("http.method", V::S("GET")),
                ("http.status_code", V::I(200)),
            ]),
            sp(2, Some(1), "SELECT invoices", CLIENT, (5, 30))
                .on(&billing, &jdbc)
                .attrs(vec![
                    ("db.system", V::S("postgresql")),
                    ("db.rows", V::I(42)),
                ]),
            sp(3, Some(1), "render", INTERNAL, (36, 3)).attrs(vec![
                ("sample.ratio", V::F(0.5)),
                ("service.name", V::S("renderer")),
            ]),
        ],
    );

    let mut t4 = records(
        4,
        &worker,
        &plain,
        vec![
            sp(1, Some(9), "consume job", CONSUMER, (0, 80))
                .attrs(vec![("http.status_code", V::S("500")), ("job.id", V::I(7))])
                .links(vec![Link {
                    trace_id: tid(1).to_vec(),
                    span_id: sid(1, 1),
                    attributes: kvs(&[("opentracing.ref_type", V::S("follows_from"))]),
                    ..Default::default()
                }]),
            sp(2, Some(1), "chat gpt-4o-mini", CLIENT, (5, 60)).attrs(vec![
                ("gen_ai.system", V::S("openai")),
                ("gen_ai.request.model", V::S("gpt-4o-mini")),
                ("gen_ai.usage.input_tokens", V::I(50)),
                ("gen_ai.usage.output_tokens", V::I(25)),
                ("gen_ai.request.temperature", V::F(0.7)),
            ]),
        ],
    );
    // A repeated span (re-sent batch) must be deduplicated.
    t4.push(t4[1].clone());

    vec![
        ("T1".into(), TraceView::new(tid(1), t1)),
        ("T2".into(), TraceView::new(tid(2), t2)),
        ("T3".into(), TraceView::new(tid(3), t3)),
        ("T4".into(), TraceView::new(tid(4), t4)),
    ]
}

fn run(query: &str, traces: &[(String, TraceView)], with_attrs: bool) -> Result<String, String> {
    let q = parse(query).map_err(|e| e.to_string())?;
    let c = SpansQuery::compile(&q).map_err(|e| e.to_string())?;
    let mut parts = Vec::new();
    for (label, t) in traces {
        for ss in c.evaluate(t).map_err(|e| e.to_string())? {
            let spans: Vec<String> = ss
                .spans
                .iter()
                .map(|m| {
                    let name = t.spans[m.index].span.name.clone();
                    if with_attrs {
                        let a: Vec<String> = m
                            .attributes
                            .iter()
                            .map(|(k, v)| format!("{k}={}", v.encode_to_string(false)))
                            .collect();
                        format!("{name}({})", a.join(";"))
                    } else {
                        name
                    }
                })
                .collect();
            let mut s = format!("{label}:[{}]", spans.join(","));
            if !ss.attributes.is_empty() {
                let a: Vec<String> = ss
                    .attributes
                    .iter()
                    .map(|(k, v)| format!("{k}={}", v.encode_to_string(false)))
                    .collect();
                s.push_str(&format!("{{{}}}", a.join(";")));
            }
            parts.push(s);
        }
    }
    Ok(if parts.is_empty() {
        "none".into()
    } else {
        parts.join(" ")
    })
}

#[test]
fn eval_cases() {
    let traces = fixture();
    let files = common::case_files("eval_cases");
    let (mut total, mut failures) = (0, Vec::new());
    for f in &files {
        let text = std::fs::read_to_string(f).expect("read case file");
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (query, kind, want) = if let Some((q, w)) = line.split_once(" =>! ") {
                (q, "err", w)
            } else if let Some((q, w)) = line.split_once(" =>attrs ") {
                (q, "attrs", w)
            } else if let Some((q, w)) = line.split_once(" => ") {
                (q, "ok", w)
            } else {
                panic!("{}:{}: malformed case line", f.display(), n + 1);
            };
            total += 1;
            let got = run(query.trim(), &traces, kind == "attrs");
            let ok = match (kind, &got) {
                ("err", Err(e)) => e == want.trim(),
                ("ok" | "attrs", Ok(g)) => g == want.trim(),
                _ => false,
            };
            if !ok {
                failures.push(format!(
                    "{}:{}: {query}\n   want {kind}: {}\n   got: {got:?}",
                    f.file_name()
                        .map(|x| x.to_string_lossy())
                        .unwrap_or_default(),
                    n + 1,
                    want.trim()
                ));
            }
        }
    }
    assert!(total >= 100, "only {total} cases");
    assert!(
        failures.is_empty(),
        "{} of {total} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn trace_view_tree() {
    let traces = fixture();
    let t1 = &traces[0].1;
    assert_eq!(t1.spans.len(), 4);
    assert_eq!(t1.root, Some(0));
    assert_eq!(t1.root_name(), "POST /v1/chat");
    assert_eq!(t1.root_service_name(), "ai-gateway");
    assert_eq!(t1.duration_ns(), 120_000_000);
    assert!(t1.is_ancestor(0, 3));
    assert!(!t1.is_ancestor(3, 0));
    let t4 = &traces[3].1;
    assert_eq!(t4.spans.len(), 2, "repeated span deduplicated");
    assert_eq!(t4.root, None);
    assert_eq!(t4.root_name(), "");
}

#[test]
fn value_formatting() {
    use lakewatch_traceql::eval::value::go_duration;
    use lakewatch_traceql::Value;
    assert_eq!(go_duration(0), "0s");
    assert_eq!(go_duration(1_500), "1.5µs");
    assert_eq!(go_duration(2_000_000), "2ms");
    assert_eq!(go_duration(1_225_000_000), "1.225s");
    assert_eq!(go_duration(3_600_000_000_000), "1h0m0s");
    assert_eq!(go_duration(-90_000_000_000), "-1m30s");
    assert_eq!(Value::Float(1.0).encode_to_string(false), "1.0");
    assert_eq!(Value::Float(0.25).encode_to_string(false), "0.25");
    assert_eq!(Value::Float(1e21).encode_to_string(false), "1e+21");
    assert_eq!(Value::Str("a".into()).encode_to_string(true), "`a`");
    assert_eq!(
        Value::Array(vec![Value::Int(1), Value::Int(2)]).encode_to_string(false),
        "[1, 2]"
    );
}

#[test]
fn public_helpers() {
    use lakewatch_traceql::eval::{attribute_value, field_value};
    use lakewatch_traceql::{parse_identifier, Body, PipelineExpr, SpansetExpr, Stage, Value};
    let traces = fixture();
    let t2 = &traces[1].1;
    let model = parse_identifier("span.gen_ai.request.model").expect("identifier");
    assert_eq!(
        attribute_value(t2, 2, &model),
        Value::Str("claude-3-opus".into())
    );
    let ev = parse_identifier("event:name").expect("identifier");
    assert_eq!(attribute_value(t2, 2, &ev), Value::Str("exception".into()));
    let q = parse("{ event:name = \"retry\" }").expect("parse");
    let Body::Spans(PipelineExpr::Pipeline(p)) = &q.body else {
        panic!("not a pipeline")
    };
    let Stage::Spanset(SpansetExpr::Filter(f)) = &p.stages[0] else {
        panic!("not a filter")
    };
    assert_eq!(field_value(t2, 2, f), Value::Bool(true));
    assert_eq!(field_value(t2, 0, f), Value::Bool(false));
    let sq = SpansQuery::from_pipeline(p).expect("compile");
    assert_eq!(sq.matching_spans(t2).expect("eval"), vec![2]);
}

/// Unusual but valid queries: must return a result or an error, never panic.
#[test]
fn robustness() {
    let traces = fixture();
    let queries = [
        "{ } | 2 < count()",
        "{ } | count() > 1s",
        "{ span.gen_ai.usage.input_tokens / 0.0 > 1 }",
        "{ span.gen_ai.usage.input_tokens * 9223372036854775807 > 1 }",
        "{ -9223372036854775807 - span.gen_ai.usage.input_tokens < 0 }",
        "{ 3 ^ span.gen_ai.usage.input_tokens > 0 }",
        "{ span.gen_ai.response.finish_reasons > \"a\" }",
        "{ span.gen_ai.response.finish_reasons = span.gen_ai.response.finish_reasons }",
        "{ .a = .b }",
        "{ !(.a = .b) }",
        "{ nestedSetParent > nestedSetLeft }",
        "{ } | by(span.gen_ai.response.finish_reasons)",
        "{ } | avg(span.gen_ai.request.model) > 1",
        "{ } | max(span.http.status_code) > 1",
        "{ } ~ { } ~ { } ~ { }",
        "{ } &~ { } &>> { } &<< { }",
        "({ } | coalesce()) !~ ({ } | by(kind) | coalesce())",
        "{ event:timeSinceStart > -5s && link:spanID != nil }",
        "{ -span.gen_ai.request.model = \"a\" }",
        "{ span.x =~ \"\" }",
    ];
    for q in queries {
        let parsed = parse(q).unwrap_or_else(|e| panic!("{q}: {e}"));
        if let Ok(c) = SpansQuery::compile(&parsed) {
            for (_, t) in &traces {
                let _ = c.evaluate(t);
            }
        }
    }
    let empty = TraceView::new([0; 16], Vec::new());
    let c = SpansQuery::compile(&parse("{ }").expect("parse")).expect("compile");
    assert!(c.evaluate(&empty).expect("eval").is_empty());
}

/// Timing check on a 20 000-span trace (run with `--ignored --nocapture`).
#[test]
#[ignore]
fn large_trace_timing() {
    let res = resource(&[("service.name", V::S("big"))]);
    let sc = scope("", "", &[]);
    let mut recs = Vec::new();
    for i in 0..20_000u32 {
        let spec = sp(0, None, "op", CLIENT, (u64::from(i), 1))
            .attrs(vec![("k", V::S(if i % 2 == 0 { "even" } else { "odd" }))]);
        let mut s = record(9, &res, &sc, spec);
        s.span.span_id = i.to_be_bytes().to_vec();
        s.span.parent_span_id = if i == 0 {
            Vec::new()
        } else {
            ((i - 1) / 3).to_be_bytes().to_vec()
        };
        recs.push(s);
    }
    let t0 = std::time::Instant::now();
    let view = TraceView::new(tid(9), recs);
    println!("view: {:?}", t0.elapsed());
    for q in [
        "{ } >> { }",
        "{ } << { }",
        "{ } ~ { }",
        "{ } &> { }",
        "{ .k =~ \"ev.*\" }",
        "{ } | by(.k) | count() > 1",
    ] {
        let t = std::time::Instant::now();
        let c = SpansQuery::compile(&parse(q).expect("parse")).expect("compile");
        let n: usize = c
            .evaluate(&view)
            .expect("eval")
            .iter()
            .map(|s| s.spans.len())
            .sum();
        println!("{q}: {n} spans in {:?}", t.elapsed());
    }
}
