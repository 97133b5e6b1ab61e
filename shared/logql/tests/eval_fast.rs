//! The evaluator's fast paths (line filters only: series looked up per stream and metadata
//! set, lines only tested) give the same answers as the general pipeline, and `selections`
//! asks for no lines exactly when a query only counts entries.

use lakewatch_logql::eval::{evaluate, selections, Direction, EvalLimits, MemSource, QueryParams};
use lakewatch_logql::parse;
use lakewatch_model::{Labels, LogEntry, LogStream};

const S: i64 = 1_000_000_000;

fn params(start_s: i64, end_s: i64, step_s: i64) -> QueryParams {
    QueryParams {
        start_ns: start_s * S,
        end_ns: end_s * S,
        step_ns: step_s * S,
        interval_ns: 0,
        limit: 1000,
        direction: Direction::Forward,
    }
}

/// Two streams; entries every second with structured metadata that changes now and then
/// (`k` in runs, sometimes absent) and lines with or without "err".
fn source() -> MemSource {
    let mut streams = Vec::new();
    for (app, n) in [("a", 200i64), ("b", 150)] {
        let entries = (0..n)
            .map(|i| {
                let sm = match (i / 7) % 4 {
                    0 => Labels::default(),
                    1 => Labels::from_pairs([("k", "x")]),
                    2 => Labels::from_pairs([("k", "y"), ("trace", "t")]),
                    // A metadata name equal to a stream label (gets `_extracted`).
                    _ => Labels::from_pairs([("app", "shadow")]),
                };
                LogEntry {
                    // Two entries per timestamp now and then.
                    timestamp_ns: (i - i % 3 / 2) * S,
                    line: if i % 5 == 0 {
                        format!("err {app} {i}")
                    } else {
                        format!("ok {i}")
                    },
                    structured_metadata: sm,
                }
            })
            .collect();
        streams.push(LogStream {
            labels: Labels::from_pairs([("app", app), ("env", "prod")]),
            entries,
        });
    }
    MemSource { streams }
}

#[test]
fn fast_paths_match_the_general_pipeline() {
    let src = source();
    let limits = EvalLimits::default();
    // `| drop nothing_here` changes no label but forces the general pipeline.
    for (fast, agg) in [
        ("count_over_time({env=\"prod\"}[30s])", "count_over_time"),
        ("rate({env=\"prod\"} |= \"err\" [30s])", "rate"),
        (
            "bytes_over_time({env=\"prod\"} != \"ok 1\" [30s])",
            "bytes_over_time",
        ),
        (
            "sum by (k) (count_over_time({env=\"prod\"}[1m]))",
            "sum by k",
        ),
        (
            "sum by (app) (bytes_rate({env=\"prod\"} |~ \"err|ok 2\" [1m]))",
            "sum by app",
        ),
        (
            "sum without (trace) (count_over_time({env=\"prod\"}[1m]))",
            "sum without",
        ),
        (
            "absent_over_time({env=\"prod\"} |= \"nope\" [1m])",
            "absent",
        ),
    ] {
        let slow = if fast.contains("[") {
            let at = fast.find('[').unwrap_or(0);
            format!("{} | drop nothing_here {}", &fast[..at], &fast[at..])
        } else {
            fast.to_string()
        };
        for p in [params(0, 200, 10), params(100, 100, 0)] {
            let a = evaluate(&parse(fast).expect("parse"), &p, &limits, &src).expect("fast");
            let b = evaluate(&parse(&slow).expect("parse"), &p, &limits, &src).expect("slow");
            assert_eq!(a.0, b.0, "{agg}: {fast} vs {slow}");
            assert_eq!(a.1, b.1, "{agg} stats");
        }
    }
}

#[test]
fn log_queries_with_line_filters_match_the_general_pipeline() {
    let src = source();
    let limits = EvalLimits::default();
    for dir in [Direction::Forward, Direction::Backward] {
        let p = QueryParams {
            direction: dir,
            limit: 25,
            ..params(0, 200, 0)
        };
        let a = evaluate(
            &parse("{env=\"prod\"} |= \"err\"").expect("parse"),
            &p,
            &limits,
            &src,
        )
        .expect("fast");
        let b = evaluate(
            &parse("{env=\"prod\"} |= \"err\" | drop nothing_here").expect("parse"),
            &p,
            &limits,
            &src,
        )
        .expect("slow");
        assert_eq!(a, b, "{dir:?}");
    }
}

#[test]
fn selections_skip_lines_only_for_counts_without_pipeline() {
    let p = params(0, 600, 60);
    let skip = |q: &str| -> Vec<bool> {
        selections(&parse(q).expect("parse"), &p)
            .iter()
            .map(|s| s.skip_lines)
            .collect()
    };
    assert_eq!(skip("count_over_time({a=\"1\"}[1m])"), [true]);
    assert_eq!(skip("sum by (x) (rate({a=\"1\"}[5m]))"), [true]);
    assert_eq!(skip("absent_over_time({a=\"1\"}[1m])"), [true]);
    assert_eq!(skip("count_over_time({a=\"1\"} |= \"x\" [1m])"), [false]);
    assert_eq!(skip("bytes_over_time({a=\"1\"}[1m])"), [false]);
    assert_eq!(skip("{a=\"1\"}"), [false]);
    assert_eq!(
        skip("count_over_time({a=\"1\"}[1m]) / bytes_rate({a=\"2\"}[1m])"),
        [true, false]
    );
}
