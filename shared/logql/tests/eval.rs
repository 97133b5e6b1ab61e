//! Table-driven LogQL engine tests (issue 3 point 5): every `tests/cases/*.txt` file holds
//! input streams and cases (query, parameters, expected output), evaluated with
//! `lakewatch_logql::eval` and compared as text. Format (see `tests/cases/README.md`):
//!
//! ```text
//! %input                      # starts a new input set (replaces the previous one)
//! {app="api", env="prod"}     # a stream
//! 10 GET /users 200           # entry: <seconds | Nns> <line> (`\x1b` is ESC)
//!   sm {trace_id="t1"}        # structured metadata of the previous entry
//! %case name
//! query sum by (env) (count_over_time({app="api"}[1m]))
//! range 0 120 60              # start end step (seconds); or `instant 60`
//! limit 100                   # log queries (default 100)
//! direction forward           # default backward
//! interval 10                 # seconds
//! stats                       # also print the stats counters
//! max_series 2                # EvalLimits::max_series (default 500)
//! categorized                 # render categorize_streams(…) (categorize-labels)
//! gap <why>                   # known divergence: `expect` is Loki's output and must differ
//! expect                      # expected rendering follows until the next `%`
//! matrix
//! {env="prod"} 0:1 60:3 120:2
//! ```
//!
//! Renderings: `streams` then `{labels}` and `  <t> <line>` per entry (`categorized` for
//! the categorize-labels grouping: `  <t> <line> # sm={…} parsed={…}`); `matrix`/`vector`
//! lines `{labels} <t>:<v> …`; `scalar <t>:<v>`; `error <first line of the message>`.
//! Times are seconds; values print as Loki prints them (`+Inf`, `NaN`).

use lakewatch_logql::eval::{
    categorize_streams, evaluate, Direction, EvalLimits, EvalStats, MemSource, QueryParams,
    QueryResult,
};
use lakewatch_logql::{parse, Expr, MatchOp};
use lakewatch_model::{Labels, LogEntry, LogStream};
use std::fmt::Write;
use std::path::PathBuf;

const NS: f64 = 1e9;

fn labels_of(text: &str) -> Labels {
    let expr = parse(text).unwrap_or_else(|e| panic!("bad label set {text}: {e}"));
    let Expr::Log(log) = expr else {
        panic!("not a selector: {text}")
    };
    Labels::from_pairs(log.selector.iter().map(|m| {
        assert_eq!(m.op, MatchOp::Eq, "{text}");
        (m.name.clone(), m.value.clone())
    }))
}

fn parse_ts(t: &str) -> i64 {
    if let Some(ns) = t.strip_suffix("ns") {
        return ns.parse().unwrap_or_else(|_| panic!("bad ts {t}"));
    }
    let s: f64 = t.parse().unwrap_or_else(|_| panic!("bad ts {t}"));
    (s * NS).round() as i64
}

fn fmt_ts(ns: i64) -> String {
    if ns % 1_000_000 == 0 {
        format!("{}", ns as f64 / NS)
    } else {
        format!("{ns}ns")
    }
}

fn fmt_value(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v == f64::INFINITY {
        "+Inf".into()
    } else if v == f64::NEG_INFINITY {
        "-Inf".into()
    } else {
        format!("{v}")
    }
}

#[derive(Default, Clone)]
struct Case {
    name: String,
    line: usize,
    query: String,
    params: Option<QueryParams>,
    limit: usize,
    direction: Direction,
    interval_ns: i64,
    stats: bool,
    max_series: Option<usize>,
    categorized: bool,
    /// Known divergence from Loki (the expected output is Loki's): the case must still fail.
    gap: Option<String>,
    expect: Vec<String>,
}

fn render(
    case: &Case,
    res: &Result<(QueryResult, EvalStats), lakewatch_logql::EvalError>,
) -> Vec<String> {
    let mut out = Vec::new();
    let (result, stats) = match res {
        Err(e) => {
            out.push(format!(
                "error {}",
                e.to_string().lines().next().unwrap_or("")
            ));
            return out;
        }
        Ok(r) => r,
    };
    match result {
        QueryResult::Streams(streams) => {
            if case.categorized {
                out.push("categorized".into());
                for s in categorize_streams(streams, case.direction) {
                    out.push(s.labels.to_string());
                    for e in &s.entries {
                        out.push(format!(
                            "  {} {} # sm={} parsed={}",
                            fmt_ts(e.timestamp_ns),
                            e.line,
                            e.structured_metadata,
                            e.parsed
                        ));
                    }
                }
            } else {
                out.push("streams".into());
                for s in streams {
                    out.push(s.labels.to_string());
                    for e in &s.entries {
                        out.push(format!("  {} {}", fmt_ts(e.timestamp_ns), e.line));
                    }
                }
            }
        }
        QueryResult::Matrix(series) | QueryResult::Vector(series) => {
            out.push(
                if matches!(result, QueryResult::Matrix(_)) {
                    "matrix"
                } else {
                    "vector"
                }
                .into(),
            );
            for s in series {
                let mut l = s.labels.to_string();
                for (t, v) in &s.points {
                    let _ = write!(l, " {}:{}", fmt_ts(*t), fmt_value(*v));
                }
                out.push(l);
            }
        }
        QueryResult::Scalar(t, v) => out.push(format!("scalar {}:{}", fmt_ts(*t), fmt_value(*v))),
    }
    if case.stats {
        out.push(format!(
            "stats lines={} bytes={} post={} returned={}",
            stats.lines_processed,
            stats.bytes_processed,
            stats.post_filter_lines,
            stats.entries_returned
        ));
    }
    out
}

/// Runs every case of one file; returns (cases run, failure reports).
fn run_file(path: &PathBuf) -> (usize, Vec<String>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let file = path
        .file_name()
        .and_then(|f| f.to_str())
        .unwrap_or("?")
        .to_string();
    let mut source = MemSource::default();
    let mut cases: Vec<(MemSource, Case)> = Vec::new();
    let mut in_input = false;
    let mut in_expect = false;
    let mut case: Option<Case> = None;
    let flush =
        |case: &mut Option<Case>, cases: &mut Vec<(MemSource, Case)>, source: &MemSource| {
            if let Some(mut c) = case.take() {
                while c.expect.last().is_some_and(|l| l.trim().is_empty()) {
                    c.expect.pop();
                }
                cases.push((source.clone(), c));
            }
        };
    for (no, raw) in text.lines().enumerate() {
        let line = raw.trim_end();
        if in_expect && !line.starts_with('%') {
            if !line.trim().is_empty() && !line.starts_with("//") {
                if let Some(c) = case.as_mut() {
                    c.expect.push(line.to_string());
                }
            }
            continue;
        }
        if line.trim().is_empty() || line.trim_start().starts_with("//") {
            continue;
        }
        if line == "%input" {
            flush(&mut case, &mut cases, &source);
            source = MemSource::default();
            in_input = true;
            in_expect = false;
            continue;
        }
        if let Some(name) = line.strip_prefix("%case ") {
            flush(&mut case, &mut cases, &source);
            in_input = false;
            in_expect = false;
            case = Some(Case {
                name: name.trim().to_string(),
                line: no + 1,
                limit: 100,
                ..Case::default()
            });
            continue;
        }
        if in_input {
            if line.starts_with('{') {
                source.streams.push(LogStream {
                    labels: labels_of(line),
                    entries: Vec::new(),
                });
            } else if let Some(sm) = line.trim_start().strip_prefix("sm ") {
                let e = source
                    .streams
                    .last_mut()
                    .and_then(|s| s.entries.last_mut())
                    .unwrap_or_else(|| panic!("{file}:{}: sm without entry", no + 1));
                e.structured_metadata = labels_of(sm);
            } else {
                let (ts, l) = line.split_once(' ').unwrap_or((line, ""));
                let s = source
                    .streams
                    .last_mut()
                    .unwrap_or_else(|| panic!("{file}:{}: entry without stream", no + 1));
                s.entries.push(LogEntry {
                    timestamp_ns: parse_ts(ts),
                    line: l.replace("\\x1b", "\u{1b}"),
                    structured_metadata: Labels::default(),
                });
            }
            continue;
        }
        let c = case
            .as_mut()
            .unwrap_or_else(|| panic!("{file}:{}: directive outside a case: {line}", no + 1));
        let (key, rest) = line.split_once(' ').unwrap_or((line, ""));
        let nums = || rest.split_whitespace().map(parse_ts).collect::<Vec<_>>();
        match key {
            "query" => c.query = rest.to_string(),
            "range" => {
                let n = nums();
                c.params = Some(QueryParams {
                    start_ns: n[0],
                    end_ns: n[1],
                    step_ns: n[2],
                    interval_ns: 0,
                    limit: 0,
                    direction: Direction::Backward,
                });
            }
            "instant" => {
                let n = nums();
                c.params = Some(QueryParams {
                    start_ns: n[0],
                    end_ns: n[0],
                    step_ns: 0,
                    interval_ns: 0,
                    limit: 0,
                    direction: Direction::Backward,
                });
            }
            "limit" => c.limit = rest.trim().parse().unwrap_or(100),
            "direction" => {
                c.direction = if rest.trim() == "forward" {
                    Direction::Forward
                } else {
                    Direction::Backward
                }
            }
            "interval" => c.interval_ns = parse_ts(rest.trim()),
            "stats" => c.stats = true,
            "max_series" => c.max_series = rest.trim().parse().ok(),
            "categorized" => c.categorized = true,
            "gap" => c.gap = Some(rest.trim().to_string()),
            "expect" => in_expect = true,
            other => panic!("{file}:{}: unknown directive {other}", no + 1),
        }
    }
    flush(&mut case, &mut cases, &source);

    let mut failures = Vec::new();
    for (source, c) in &cases {
        let mut params = c
            .params
            .clone()
            .unwrap_or_else(|| panic!("{file}:{}: case {} has no range/instant", c.line, c.name));
        params.limit = c.limit;
        params.direction = c.direction;
        params.interval_ns = c.interval_ns;
        let got = match parse(&c.query) {
            Err(e) => vec![format!("error {e}")],
            Ok(expr) => {
                let mut limits = EvalLimits::default();
                if let Some(m) = c.max_series {
                    limits.max_series = m;
                }
                render(c, &evaluate(&expr, &params, &limits, source))
            }
        };
        // Expected lines are read with trailing spaces trimmed.
        let got: Vec<String> = got.iter().map(|l| l.trim_end().to_string()).collect();
        if let Some(gap) = &c.gap {
            if got == c.expect {
                failures.push(format!(
                    "{file}:{} case `{}` now matches Loki: remove its `gap {gap}` line",
                    c.line, c.name
                ));
            } else {
                eprintln!("{file}:{} known gap ({gap}): {}", c.line, c.name);
            }
            continue;
        }
        if got != c.expect {
            failures.push(format!(
                "{file}:{} case `{}`\n  query: {}\n  expected:\n    {}\n  got:\n    {}",
                c.line,
                c.name,
                c.query,
                c.expect.join("\n    "),
                got.join("\n    ")
            ));
        }
    }
    (cases.len(), failures)
}

fn run(name: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/cases")
        .join(name);
    let (n, failures) = run_file(&path);
    assert!(n > 0, "{name}: no cases");
    if !failures.is_empty() {
        panic!(
            "{} of {n} cases failed in {name}:\n\n{}",
            failures.len(),
            failures.join("\n\n")
        );
    }
    eprintln!("{name}: {n} cases passed");
}

/// Every case file is run by one of the tests below.
#[test]
fn all_case_files_are_listed() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .expect("cases dir")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|f| f.ends_with(".txt"))
        .collect();
    files.sort();
    assert_eq!(files, FILES);
}

const FILES: &[&str] = &[
    "binary.txt",
    "log_queries.txt",
    "parsers.txt",
    "range_aggregations.txt",
    "unwrap.txt",
    "vector_aggregations.txt",
];

#[test]
fn binary() {
    run("binary.txt");
}

#[test]
fn log_queries() {
    run("log_queries.txt");
}

#[test]
fn parsers() {
    run("parsers.txt");
}

#[test]
fn range_aggregations() {
    run("range_aggregations.txt");
}

#[test]
fn unwrap() {
    run("unwrap.txt");
}

#[test]
fn vector_aggregations() {
    run("vector_aggregations.txt");
}

fn params(start_s: i64, end_s: i64, step_s: i64) -> QueryParams {
    QueryParams {
        start_ns: start_s * 1_000_000_000,
        end_ns: end_s * 1_000_000_000,
        step_ns: step_s * 1_000_000_000,
        interval_ns: 0,
        limit: 100,
        direction: Direction::Backward,
    }
}

/// `selections`: one per selector, widened by range and offset (end inclusive: +1 ns), with
/// `|=` pushdown hints.
#[test]
fn selections_widen_ranges_and_carry_line_hints() {
    use lakewatch_logql::eval::selections;
    let s = 1_000_000_000i64;
    let q = parse(
        r#"sum(rate({app="a"} |= "err" | json [5m] offset 1m)) / sum(count_over_time({app="b"} |~ "x" [1m]))"#,
    )
    .expect("parse");
    let sels = selections(&q, &params(1000, 2000, 60));
    assert_eq!(sels.len(), 2);
    assert_eq!(sels[0].matchers.len(), 1);
    assert_eq!(sels[0].matchers[0].value, "a");
    assert_eq!(sels[0].start_ns, (1000 - 300 - 60) * s);
    assert_eq!(sels[0].end_ns, (2000 - 60) * s + 1);
    assert_eq!(sels[0].line_contains, vec!["err".to_string()]);
    assert_eq!(sels[1].start_ns, (1000 - 60) * s);
    assert_eq!(sels[1].end_ns, 2000 * s + 1);
    assert!(sels[1].line_contains.is_empty());

    let log =
        parse(r#"{app="a"} |= "x" or "y" |= "z" | line_format "{{.a}}" |= "w""#).expect("parse");
    let sels = selections(&log, &params(10, 20, 0));
    assert_eq!((sels[0].start_ns, sels[0].end_ns), (10 * s, 20 * s));
    assert_eq!(sels[0].line_contains, vec!["z".to_string()]);

    assert!(selections(&parse("vector(1) + 1").expect("parse"), &params(0, 0, 0)).is_empty());
}

/// `MemSource::select`: matchers on stream labels and `[start, end)` on entries.
#[test]
fn mem_source_selects_by_matchers_and_time() {
    use lakewatch_logql::eval::LogSource;
    use lakewatch_model::{LabelMatcher, MatchOp as M};
    let entry = |t: i64| LogEntry {
        timestamp_ns: t,
        line: format!("l{t}"),
        structured_metadata: Labels::default(),
    };
    let src = MemSource {
        streams: vec![
            LogStream {
                labels: labels_of(r#"{app="a", env="x"}"#),
                entries: vec![entry(1), entry(2), entry(3)],
            },
            LogStream {
                labels: labels_of(r#"{app="b"}"#),
                entries: vec![entry(2)],
            },
        ],
    };
    let m = |op, n: &str, v: &str| LabelMatcher::new(op, n, v).expect("matcher");
    let got = src.select(&[m(M::Regex, "app", "a|b")], 2, 3);
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].entries.len(), 1);
    assert_eq!(got[0].entries[0].timestamp_ns, 2);
    let got = src.select(&[m(M::Equal, "env", "")], 0, 10);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].labels, labels_of(r#"{app="b"}"#));
    assert!(src.select(&[m(M::Equal, "app", "a")], 4, 10).is_empty());
}

/// A source that only implements `select` (no in-place reads) gives the same results as
/// `MemSource`, including for unsorted input.
#[test]
fn select_only_sources_match_mem_source() {
    use lakewatch_logql::eval::LogSource;
    use lakewatch_model::LabelMatcher;
    struct Plain(MemSource);
    impl LogSource for Plain {
        fn select(&self, m: &[LabelMatcher], start_ns: i64, end_ns: i64) -> Vec<LogStream> {
            self.0.select(m, start_ns, end_ns)
        }
    }
    let s = 1_000_000_000i64;
    let entry = |t: i64, line: &str| LogEntry {
        timestamp_ns: t * s,
        line: line.into(),
        structured_metadata: Labels::default(),
    };
    let mem = MemSource {
        streams: vec![
            LogStream {
                labels: labels_of(r#"{app="a"}"#),
                // Unsorted on purpose: both paths must sort.
                entries: vec![entry(30, "c err"), entry(10, "a err"), entry(20, "b ok")],
            },
            LogStream {
                labels: labels_of(r#"{app="b"}"#),
                entries: vec![entry(15, "d err"), entry(25, "e err")],
            },
        ],
    };
    let plain = Plain(mem.clone());
    for (q, p) in [
        (r#"{app=~"a|b"} |= "err""#, params(0, 100, 0)),
        (
            r#"sum by (app) (count_over_time({app=~".+"} |= "err" [20s]))"#,
            params(20, 40, 10),
        ),
    ] {
        let expr = parse(q).expect("parse");
        let limits = EvalLimits::default();
        let a = evaluate(&expr, &p, &limits, &mem).expect("mem");
        let b = evaluate(&expr, &p, &limits, &plain).expect("plain");
        assert_eq!(a, b, "{q}");
    }
    let expr = parse(r#"{app="a"}"#).expect("parse");
    let (res, _) = evaluate(&expr, &params(0, 100, 0), &EvalLimits::default(), &mem).expect("eval");
    let QueryResult::Streams(streams) = res else {
        panic!("not streams")
    };
    let ts: Vec<i64> = streams[0]
        .entries
        .iter()
        .map(|e| e.timestamp_ns / s)
        .collect();
    assert_eq!(ts, vec![30, 20, 10]);
}
