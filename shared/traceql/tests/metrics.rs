//! TraceQL metrics: table-driven cases (`tests/metrics_cases/*.txt`: fixture traces + query →
//! expected series, behaviour as Tempo's `engine_metrics*_test.go`) plus API-level checks
//! (exemplars, instant queries, errors).
//!
//! Case file syntax (one directive per line, `#` comments):
//! - `range start=100s end=130s step=10s`: window of the following queries;
//! - `span t=1 id=2 parent=1 start=101s dur=200ms name="GET /" svc=api status=error
//!   kind=server span.k=v resource.k=v`: a fixture span (ids are small integers; values
//!   `"str"`, ints, floats, `true`/`false`);
//! - `query <TraceQL>`: starts a case; then `series {label=value, …} ts:value …` (timestamp in
//!   seconds, value a float, `NaN` or `2^x`) for every expected series, or `error <message>`.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use lakewatch_storage::traces::record::{ResourceInfo, ScopeInfo, SpanRecord};
use lakewatch_traceql::eval::{TraceView, Value};
use lakewatch_traceql::metrics::{MetricsQuery, MetricsRange, Series};
use lakewatch_traceql::{parse, Kind, Status as SpanStatus};
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{span, status, Span, Status};

const S: i64 = 1_000_000_000;

// ---------------------------------------------------------------- parsing helpers

fn tokens(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            c if c.is_whitespace() && !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn duration_ns(s: &str) -> i64 {
    let units: [(&str, f64); 6] = [
        ("ns", 1.0),
        ("us", 1e3),
        ("ms", 1e6),
        ("s", 1e9),
        ("m", 60e9),
        ("h", 3600e9),
    ];
    for (u, mult) in units {
        if let Some(n) = s.strip_suffix(u) {
            if let Ok(v) = n.parse::<f64>() {
                return (v * mult).round() as i64;
            }
        }
    }
    s.parse().unwrap_or_else(|_| panic!("bad duration {s}"))
}

fn value(s: &str) -> Value {
    if let Some(inner) = s.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        return Value::Str(inner.to_string());
    }
    match s {
        "true" => return Value::Bool(true),
        "false" => return Value::Bool(false),
        "server" => return Value::Kind(Kind::Server),
        "client" => return Value::Kind(Kind::Client),
        "internal" => return Value::Kind(Kind::Internal),
        "error" => return Value::Status(SpanStatus::Error),
        "ok" => return Value::Status(SpanStatus::Ok),
        "unset" => return Value::Status(SpanStatus::Unset),
        _ => {}
    }
    if let Ok(i) = s.parse::<i64>() {
        return Value::Int(i);
    }
    if let Ok(f) = s.parse::<f64>() {
        return Value::Float(f);
    }
    Value::Str(s.to_string())
}

fn any(v: &Value) -> AnyValue {
    let v = match v {
        Value::Str(s) => any_value::Value::StringValue(s.clone()),
        Value::Int(i) => any_value::Value::IntValue(*i),
        Value::Float(f) => any_value::Value::DoubleValue(*f),
        Value::Bool(b) => any_value::Value::BoolValue(*b),
        other => panic!("unsupported fixture value {other:?}"),
    };
    AnyValue { value: Some(v) }
}

fn kv(k: &str, v: &Value) -> KeyValue {
    KeyValue {
        key: k.to_string(),
        value: Some(any(v)),
        ..Default::default()
    }
}

fn trace_id(n: u64) -> [u8; 16] {
    let mut id = [0u8; 16];
    id[8..].copy_from_slice(&n.to_be_bytes());
    id[0] = 0xab;
    id
}

fn span_id(n: u64) -> Vec<u8> {
    (n | 0x0100_0000_0000_0000).to_be_bytes().to_vec()
}

/// One fixture span from `span …` tokens.
fn fixture_span(toks: &[String]) -> (u64, SpanRecord) {
    let mut t = 1u64;
    let mut s = Span::default();
    let mut res: Vec<KeyValue> = Vec::new();
    let mut dur = 0i64;
    for tok in toks {
        let (k, v) = tok
            .split_once('=')
            .unwrap_or_else(|| panic!("bad span token {tok}"));
        match k {
            "t" => t = v.parse().expect("trace number"),
            "id" => s.span_id = span_id(v.parse().expect("span number")),
            "parent" if v != "-" => s.parent_span_id = span_id(v.parse().expect("parent")),
            "parent" => {}
            "start" => s.start_time_unix_nano = duration_ns(v) as u64,
            "dur" => dur = duration_ns(v),
            "name" => {
                if let Value::Str(n) = value(v) {
                    s.name = n;
                }
            }
            "svc" => res.push(kv("service.name", &Value::Str(v.trim_matches('"').into()))),
            "status" => {
                let code = match v {
                    "error" => status::StatusCode::Error,
                    "ok" => status::StatusCode::Ok,
                    _ => status::StatusCode::Unset,
                };
                s.status = Some(Status {
                    message: String::new(),
                    code: code as i32,
                });
            }
            "kind" => {
                let kind = match v {
                    "server" => span::SpanKind::Server,
                    "client" => span::SpanKind::Client,
                    "producer" => span::SpanKind::Producer,
                    "consumer" => span::SpanKind::Consumer,
                    _ => span::SpanKind::Internal,
                };
                s.kind = kind as i32;
            }
            _ => {
                if let Some(name) = k.strip_prefix("span.") {
                    s.attributes.push(kv(name, &value(v)));
                } else if let Some(name) = k.strip_prefix("resource.") {
                    res.push(kv(name, &value(v)));
                } else {
                    panic!("unknown span field {k}");
                }
            }
        }
    }
    s.end_time_unix_nano = s.start_time_unix_nano + dur as u64;
    s.trace_id = trace_id(t).to_vec();
    let rec = SpanRecord {
        trace_id: trace_id(t),
        resource: Arc::new(ResourceInfo {
            resource: Some(Resource {
                attributes: res,
                ..Default::default()
            }),
            schema_url: String::new(),
        }),
        scope: Arc::new(ScopeInfo::default()),
        span: s,
    };
    (t, rec)
}

fn split_top(s: &str, sep: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in s.chars() {
        if c == '"' {
            quoted = !quoted;
        }
        if c == sep && !quoted {
            out.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur);
    }
    out
}

fn parse_f(s: &str) -> f64 {
    if let Some(exp) = s.strip_prefix("2^") {
        return 2f64.powf(exp.parse().expect("exponent"));
    }
    s.parse().unwrap_or_else(|_| panic!("bad number {s}"))
}

/// `{a="x", b=1} 100:0.5 110:NaN` → (labels, samples).
/// Expected labels and samples of one series.
type Expected = (Vec<(String, Value)>, Vec<(i64, f64)>);

fn expected_series(rest: &str) -> Expected {
    let close = rest.find('}').expect("labels");
    let inner = &rest[1..close];
    let labels = split_top(inner, ',')
        .into_iter()
        .map(|l| {
            let (n, v) = l.trim().split_once('=').expect("label=value");
            (n.trim().to_string(), value(v.trim()))
        })
        .collect();
    let samples = rest[close + 1..]
        .split_whitespace()
        .map(|p| {
            let (ts, v) = p.split_once(':').expect("ts:value");
            ((parse_f(ts) * 1000.0).round() as i64, parse_f(v))
        })
        .collect();
    (labels, samples)
}

fn label_text(labels: &[(String, Value)]) -> String {
    let parts: Vec<String> = labels
        .iter()
        .map(|(n, v)| match v {
            Value::Str(s) => format!("{n}=\"{s}\""),
            Value::Int(i) => format!("{n}={i}"),
            Value::Float(f) => format!("{n}={f:?}"),
            Value::Kind(k) => format!("{n}={}", format!("{k:?}").to_lowercase()),
            Value::Status(st) => format!("{n}={}", format!("{st:?}").to_lowercase()),
            other => format!("{n}={other:?}"),
        })
        .collect();
    format!("{{{}}}", parts.join(", "))
}

fn close(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-12)
}

// ---------------------------------------------------------------- runner

struct Case {
    file: String,
    line: usize,
    query: String,
    range: MetricsRange,
    series: Vec<Expected>,
    error: Option<String>,
}

fn run_query(
    query: &str,
    range: MetricsRange,
    traces: &[TraceView],
) -> Result<Vec<Series>, String> {
    let q = parse(query).map_err(|e| e.to_string())?;
    let mut m = MetricsQuery::compile(&q, range).map_err(|e| e.to_string())?;
    for t in traces {
        m.observe(t).map_err(|e| e.to_string())?;
    }
    Ok(m.finish())
}

fn check(case: &Case, traces: &[TraceView]) -> Result<(), String> {
    let got = run_query(&case.query, case.range, traces);
    if let Some(want) = &case.error {
        return match got {
            Err(e) if &e == want => Ok(()),
            Err(e) => Err(format!("error {e:?}, want {want:?}")),
            Ok(s) => Err(format!("got {} series, want error {want:?}", s.len())),
        };
    }
    let got = got?;
    let mut got: BTreeMap<String, Vec<(i64, f64)>> = got
        .into_iter()
        .map(|s| (label_text(&s.labels), s.samples))
        .collect();
    let mut problems = Vec::new();
    for (labels, want) in &case.series {
        let key = label_text(labels);
        match got.remove(&key) {
            None => problems.push(format!("missing {key}")),
            Some(samples) => {
                let ok = samples.len() == want.len()
                    && samples
                        .iter()
                        .zip(want)
                        .all(|(a, b)| a.0 == b.0 && close(a.1, b.1));
                if !ok {
                    problems.push(format!("{key}: got {samples:?}, want {want:?}"));
                }
            }
        }
    }
    for (key, samples) in got {
        problems.push(format!("unexpected {key} {samples:?}"));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n    "))
    }
}

fn load_cases() -> (Vec<Case>, BTreeMap<String, Vec<TraceView>>) {
    let files = common::case_files("metrics_cases");
    let mut cases = Vec::new();
    let mut fixtures = BTreeMap::new();
    for path in files {
        let file = path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = std::fs::read_to_string(&path).expect("read case file");
        let mut range = MetricsRange {
            start_ns: 100 * S,
            end_ns: 130 * S,
            step_ns: 10 * S,
        };
        let mut spans: BTreeMap<u64, Vec<SpanRecord>> = BTreeMap::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (directive, rest) = line.split_once(' ').unwrap_or((line, ""));
            match directive {
                "range" => {
                    for tok in tokens(rest) {
                        let (k, v) = tok.split_once('=').expect("range key=value");
                        let ns = duration_ns(v);
                        match k {
                            "start" => range.start_ns = ns,
                            "end" => range.end_ns = ns,
                            "step" => range.step_ns = ns,
                            _ => panic!("{file}:{}: bad range key {k}", i + 1),
                        }
                    }
                }
                "span" => {
                    let (t, rec) = fixture_span(&tokens(rest));
                    spans.entry(t).or_default().push(rec);
                }
                "query" => cases.push(Case {
                    file: file.clone(),
                    line: i + 1,
                    query: rest.to_string(),
                    range,
                    series: Vec::new(),
                    error: None,
                }),
                "series" => cases
                    .last_mut()
                    .expect("series after query")
                    .series
                    .push(expected_series(rest.trim())),
                "error" => {
                    cases.last_mut().expect("error after query").error = Some(rest.to_string())
                }
                "none" => {}
                _ => panic!("{file}:{}: unknown directive {directive}", i + 1),
            }
        }
        let traces = spans
            .into_iter()
            .map(|(t, recs)| TraceView::new(trace_id(t), recs))
            .collect();
        fixtures.insert(file, traces);
    }
    (cases, fixtures)
}

#[test]
fn metrics_cases() {
    let (cases, fixtures) = load_cases();
    let mut failures = Vec::new();
    for case in &cases {
        if let Err(e) = check(case, &fixtures[&case.file]) {
            failures.push(format!(
                "{}:{}: {}\n    {e}",
                case.file, case.line, case.query
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    assert!(cases.len() >= 60, "only {} cases", cases.len());
}

// ---------------------------------------------------------------- API-level checks

fn demo_traces() -> Vec<TraceView> {
    let lines = [
        "t=1 id=1 start=101s dur=1s name=\"GET /\" svc=api kind=server",
        "t=1 id=2 parent=1 start=102s dur=250ms name=db svc=api kind=client",
        "t=2 id=1 start=111s dur=2s name=\"GET /\" svc=api kind=server status=error",
        "t=3 id=1 start=121s dur=4s name=\"GET /\" svc=web kind=server",
    ];
    let mut by: BTreeMap<u64, Vec<SpanRecord>> = BTreeMap::new();
    for l in lines {
        let (t, rec) = fixture_span(&tokens(l));
        by.entry(t).or_default().push(rec);
    }
    by.into_iter()
        .map(|(t, r)| TraceView::new(trace_id(t), r))
        .collect()
}

fn range(start_s: i64, end_s: i64, step_s: i64) -> MetricsRange {
    MetricsRange {
        start_ns: start_s * S,
        end_ns: end_s * S,
        step_ns: step_s * S,
    }
}

#[test]
fn exemplars_carry_trace_and_span_ids() {
    let traces = demo_traces();
    let q = parse("{ } | avg_over_time(duration) by (resource.service.name)").unwrap();
    let mut m = MetricsQuery::compile(&q, range(100, 130, 10)).unwrap();
    for t in &traces {
        m.observe(t).unwrap();
    }
    let out = m.finish();
    let api = out
        .iter()
        .find(|s| s.labels[0].1 == Value::Str("api".into()))
        .expect("api series");
    // One exemplar per trace: traces 1 and 2.
    assert_eq!(api.exemplars.len(), 2);
    let e = &api.exemplars[0];
    assert_eq!(e.timestamp_ms, 101_000);
    assert_eq!(e.value, 1.0);
    assert_eq!(
        e.labels[0],
        (
            "trace:id".into(),
            Value::Str("ab000000000000000000000000000001".into())
        )
    );
    assert_eq!(
        e.labels[1],
        ("span:id".into(), Value::Str("0100000000000001".into()))
    );
}

#[test]
fn exemplars_hint_and_instant() {
    let traces = demo_traces();
    let count = |query: &str, r: MetricsRange| {
        let q = parse(query).unwrap();
        let mut m = MetricsQuery::compile(&q, r).unwrap();
        for t in &traces {
            m.observe(t).unwrap();
        }
        m.finish().iter().map(|s| s.exemplars.len()).sum::<usize>()
    };
    assert_eq!(count("{ } | rate()", range(100, 130, 10)), 3);
    assert_eq!(
        count("{ } | rate() with(exemplars=false)", range(100, 130, 10)),
        0
    );
    assert_eq!(
        count("{ } | rate() with(exemplars=1)", range(100, 130, 10)),
        1
    );
    // instant queries carry no exemplars
    assert_eq!(count("{ } | rate()", range(100, 130, 30)), 0);
}

#[test]
fn instant_query_single_sample_at_end() {
    let traces = demo_traces();
    let q = parse("{ } | rate() by (resource.service.name)").unwrap();
    let mut m = MetricsQuery::compile(&q, range(100, 130, 30)).unwrap();
    assert!(m.window().instant);
    for t in &traces {
        m.observe(t).unwrap();
    }
    let out = m.finish();
    let got: Vec<(String, Vec<(i64, f64)>)> = out
        .iter()
        .map(|s| (label_text(&s.labels), s.samples.clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "{resource.service.name=\"api\"}".to_string(),
                vec![(130_000, 0.1)]
            ),
            (
                "{resource.service.name=\"web\"}".to_string(),
                vec![(130_000, 1.0 / 30.0)]
            ),
        ]
    );
}

#[test]
fn search_query_is_rejected() {
    let q = parse("{ }").unwrap();
    let e = MetricsQuery::compile(&q, range(100, 130, 10)).unwrap_err();
    assert_eq!(e.to_string(), "not a metrics query");
}

/// Rough throughput check (debug build): 20 000 spans through rate() by service and
/// quantile_over_time.
#[test]
fn many_spans_are_cheap() {
    let mut traces = Vec::new();
    for t in 0..2_000u64 {
        let mut recs = Vec::new();
        for s in 0..10u64 {
            let parent = if s == 0 {
                "-".to_string()
            } else {
                "1".to_string()
            };
            let line = format!(
                "t={} id={} parent={parent} start={}ms dur={}us svc=s{} span.http.status_code={}",
                t + 1,
                s + 1,
                100_000 + (t * 13 + s) % 30_000,
                50 + s * 7,
                t % 7,
                200 + (s % 3) * 100
            );
            recs.push(fixture_span(&tokens(&line)).1);
        }
        traces.push(TraceView::new(trace_id(t + 1), recs));
    }
    let started = std::time::Instant::now();
    for q in [
        "{} | rate() by (resource.service.name)",
        "{ span.http.status_code >= 300 } | quantile_over_time(duration, .5, .99) by (resource.service.name)",
    ] {
        let q = parse(q).unwrap();
        let mut m = MetricsQuery::compile(&q, range(100, 130, 1)).unwrap();
        for t in &traces {
            m.observe(t).unwrap();
        }
        assert!(!m.finish().is_empty());
    }
    let took = started.elapsed();
    assert!(took.as_secs() < 20, "took {took:?}");
}
