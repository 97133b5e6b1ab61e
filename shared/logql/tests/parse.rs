//! Table-driven parser tests: real queries from Loki's docs round-trip
//! (parse → print → parse gives an equal AST), malformed ones fail with Loki-style errors.

use lakewatch_logql::*;

/// Queries taken from Loki's `docs/sources/query/*.md`.
const VALID: &[&str] = &[
    r#"{container="query-frontend",namespace="loki-dev"} |= "metrics.go" | logfmt | duration > 10s and throughput_mb < 500"#,
    r#"{app="mysql",name="mysql-backup"}"#,
    r#"{name=~"mysql.+"}"#,
    r#"{job="db", name!~"mysql.+"}"#,
    r#"{job="db", name!~`mysql-\d+`}"#,
    r#"{job="mysql"} |= "error""#,
    r#"{name="kafka"} |~ "tsdb-ops.*io:2003""#,
    r#"{name="cassandra"} |~  `error=\w+`"#,
    r#"{instance=~"kafka-[23]",name="kafka"} != "kafka.server:type=ReplicaManager""#,
    r#"{job="mysql"} |= "error" != "timeout""#,
    r#"{job="mysql"} |= "error" or "timeout""#,
    r#"{job="mysql"} |> "<_> error <_>""#,
    r#"{job="mysql"} !> "<_> info <_>""#,
    r#"{app="foo"} |= ip("192.168.0.1")"#,
    r#"{app="foo"} | logfmt | remote_addr = ip("2001:db8::1-2001:db8::8") | level = "error""#,
    r#"{app="foo"} | logfmt | addr != ip("10.0.0.0/8")"#,
    r#"{job="mysql"} |~ "(?i)error""#,
    r#"{foo="bar"} |= "error" | json | line_format "{{.message}}""#,
    r#"{cluster="ops-tools1", namespace="loki-dev", job="loki-dev/query-frontend"} |= "metrics.go" !="out of order" | logfmt | duration > 30s or status_code!="200""#,
    r#"{job="loki"} | json first_server="servers[0]", ua="request.headers[\"User-Agent\"]""#,
    r#"{job="loki"} | json | __error__ != "JSONParserErr""#,
    r#"{job="loki"} | logfmt --strict --keep-empty host, fwd_ip="fwd_ip""#,
    r#"{job="loki"} | logfmt --strict"#,
    r#"{job="nginx"} | pattern `<ip> - - <_> "<method> <uri> <_>" <status> <size> <_> "<agent>" <_>`"#,
    r#"{job="loki"} | regexp "(?P<method>\\w+) (?P<path>[\\w|/]+) \\((?P<status>\\d+?)\\) (?P<duration>.*)""#,
    r#"{job="loki"} | unpack"#,
    r#"{job="loki"} | logfmt | duration > 1m and bytes_consumed > 20MB"#,
    r#"{job="loki"} | logfmt | level="error" or ( duration > 1m and bytes_consumed > 20KiB )"#,
    r#"{job="loki"} | logfmt | status >= 400, method="GET""#,
    r#"{job="loki"} | logfmt | duration >= 20ms or method="GET" and size <= 20KB"#,
    r#"{job="loki"} | logfmt | (duration >= 20ms or method="GET") and size <= 20KB"#,
    r#"{job="loki"} | logfmt | level="error" status_code="500""#,
    r#"{container="frontend"} | logfmt | line_format "{{.query}} {{.duration}}""#,
    r#"{job="loki"} | label_format foo=bar, baz="{{.status}}-{{.method}}""#,
    r#"{job="varlogs"} | logfmt | drop level, method="GET", path=~"/api.*""#,
    r#"{job="varlogs"} | logfmt | keep level, method="GET""#,
    r#"{job="loki"} | decolorize"#,
    r#"count_over_time({job="mysql"}[5m])"#,
    r#"sum by (host) (rate({job="mysql"} |= "error" != "timeout" | json | duration > 10s [1m]))"#,
    r#"topk(10,sum(rate({region="us-east1"}[5m])) by (name))"#,
    r#"avg(rate(({job="nginx"} |= "GET")[10s])) by (region)"#,
    r#"sum by (org_id) (sum_over_time({cluster="ops-tools1",container="loki-dev"} |= "metrics.go" | logfmt | unwrap bytes_processed [1m]))"#,
    r#"quantile_over_time(0.99, {cluster="ops-tools1",container="ingress-nginx"} | json | __error__ = "" | unwrap request_time [1m]) by (path)"#,
    r#"sum by (org_id) (bytes_over_time({job="loki"}[1h] offset 1d))"#,
    r#"avg_over_time({job="loki"} | logfmt | unwrap duration(latency) | __error__="" [5m]) by (cluster)"#,
    r#"sum(rate_counter({job="loki"} | logfmt | unwrap bytes(size) [1h30m]))"#,
    r#"max_over_time({job="loki"} | logfmt | unwrap duration_seconds(took) [100ms]) without (pod)"#,
    r#"sum(rate({app="foo", level="warn"}[1m])) / sum(rate({app="foo", level="error"}[1m]))"#,
    r#"sum(rate({app="foo"}[1m])) > bool 10"#,
    r#"rate({app="foo"}[1m]) and on (pod) rate({app="bar"}[1m])"#,
    r#"sum by (job) (rate({a="b"}[1m])) / ignoring (level) group_left (team) sum by (job, level) (rate({a="c"}[1m]))"#,
    r#"1 + 2 * 3 ^ 2 ^ 0.5 - 4 % 3"#,
    r#"rate({a="b"}[1m]) * on (x) group_right rate({a="c"}[1m])"#,
    r#"(1 + 2) * 3"#,
    r#"2 ^ (3 ^ 2)"#,
    r#"sum(count_over_time({job="a"}[1m])) or vector(0)"#,
    r#"label_replace(rate({job="api-server",service="a:c"} |= "err" [5m]), "foo", "$1", "service", "(.*):.*")"#,
    r#"sort_desc(sum by (level) (count_over_time({job="a"} | logfmt [5m])))"#,
    r#"bottomk(3, sum without (instance) (bytes_rate({job="a"}[2w])))"#,
    r#"absent_over_time({job="a"}[1y])"#,
    r#"stddev(stdvar_over_time({a="b"} | unwrap x [1m]) by (c)) unless count(rate({a="b"}[1m]))"#,
    r#"first_over_time({a="b"} | unwrap x [1m]) - last_over_time({a="b"} | unwrap x [1m]) < -1"#,
    "{app=\"x\"} # a comment\n |= \"tab\\there\" |= \"\\u00e9\\x41\\101\"",
    r#"{a="b"} | json | status_code < 500 | duration > 1.5s | size >= 1.5KB | latency == 2"#,
];

#[test]
fn round_trip_docs_queries() {
    assert!(VALID.len() >= 40, "{} queries", VALID.len());
    for q in VALID {
        let ast = parse(q).unwrap_or_else(|e| panic!("{q}: {e}"));
        let printed = ast.to_string();
        let again = parse(&printed).unwrap_or_else(|e| panic!("{q} -> {printed}: {e}"));
        assert_eq!(ast, again, "round trip of {q} via {printed}");
        assert_eq!(printed, again.to_string(), "printing is canonical for {q}");
    }
}

/// Malformed queries and a fragment of the expected error.
const INVALID: &[(&str, &str)] = &[
    (
        r#"{app="foo""#,
        "parse error at line 1, col 11: syntax error: unexpected $end, expecting } or ,",
    ),
    (
        r#"{app=~".*"}"#,
        "queries require at least one regexp or equality matcher",
    ),
    (r#"{app="foo"} |= "x" | foo >"#, "unexpected $end"),
    (r#"rate({app="foo"})"#, "unexpected ), expecting ["),
    (
        r#"sum_over_time({app="foo"}[5m])"#,
        "invalid aggregation sum_over_time without unwrap",
    ),
    (
        r#"count_over_time({a="b"} | unwrap x [5m])"#,
        "invalid aggregation count_over_time with unwrap",
    ),
    (
        r#"rate({a="b"}[5m]) by (x)"#,
        "grouping not allowed for rate aggregation",
    ),
    (r#"{a="b"} |~ "(""#, "invalid regex"),
    (
        r#"{a="b"} | unwrap x | json"#,
        "only label filters are allowed after unwrap",
    ),
    (
        r#"sum(rate({a="b"}[5m])) + bool 1"#,
        "bool modifier can only be used on comparison",
    ),
    (r#"{a="b"} | logfmt --bogus"#, "unexpected --bogus"),
    (r#"{a="b"}[5x]"#, "invalid duration or bytes literal 5x"),
    (
        "{a=\"b\"}\n | json foo=",
        "parse error at line 2, col 13: syntax error: unexpected $end, expecting STRING",
    ),
    (r#"count_over_time({a="b"}[5m]) + {a="b"}"#, "unexpected"),
    (r#"{a="\q"}"#, "invalid escape sequence"),
    (r#"{a="b"}[5m]"#, "only valid inside a range aggregation"),
    (
        r#"sum by (a) (rate({a="b"}[1m])) by (b)"#,
        "unexpected IDENTIFIER by",
    ),
    (r#"{a="b"} | json | level"#, "expecting comparison operator"),
];

#[test]
fn malformed_queries_fail() {
    assert!(INVALID.len() >= 10);
    for (q, frag) in INVALID {
        match parse(q) {
            Ok(e) => panic!("{q} parsed as {e:?}"),
            Err(e) => {
                let msg = e.to_string();
                assert!(msg.starts_with("parse error "), "{q}: {msg}");
                assert!(msg.contains(frag), "{q}: {msg} lacks {frag}");
            }
        }
    }
}

#[test]
fn ast_shape() {
    let e = parse(
        r#"sum by (host) (rate({job="mysql"} |= "error" | json | duration > 10s [1m] offset 5m))"#,
    )
    .unwrap();
    let Expr::Metric(MetricExpr::Vector(v)) = e else {
        panic!("{e:?}")
    };
    assert_eq!(v.op, VectorOp::Sum);
    assert_eq!(
        v.grouping,
        Some(Grouping {
            without: false,
            labels: vec!["host".into()]
        })
    );
    let MetricExpr::Range(r) = *v.expr else {
        panic!()
    };
    assert_eq!(r.op, RangeOp::Rate);
    assert_eq!(r.range, 60_000_000_000);
    assert_eq!(r.offset, Some(300_000_000_000));
    assert_eq!(
        r.log.selector[0],
        Matcher {
            name: "job".into(),
            op: MatchOp::Eq,
            value: "mysql".into()
        }
    );
    assert_eq!(r.log.pipeline.len(), 3);
    assert_eq!(
        r.log.pipeline[2],
        Stage::LabelFilter(LabelFilter::Duration {
            name: "duration".into(),
            op: CmpOp::Gt,
            value: 10_000_000_000
        })
    );
}

#[test]
fn precedence_and_literals() {
    let e = parse("1 + 2 * 3").unwrap();
    let Expr::Metric(MetricExpr::Binary(b)) = e else {
        panic!()
    };
    assert_eq!(b.op, BinOp::Add);
    assert_eq!(*b.lhs, MetricExpr::Literal(1.0));
    // ^ is right associative
    let e = parse("2 ^ 3 ^ 2").unwrap();
    assert_eq!(e.to_string(), "2 ^ 3 ^ 2");
    let Expr::Metric(MetricExpr::Binary(b)) = e else {
        panic!()
    };
    assert_eq!(*b.lhs, MetricExpr::Literal(2.0));
    // - is left associative
    assert_eq!(parse("1 - (2 - 3)").unwrap().to_string(), "1 - (2 - 3)");
    assert_eq!(parse("(1 - 2) - 3").unwrap().to_string(), "1 - 2 - 3");
}

#[test]
fn durations_and_bytes() {
    let e = parse(r#"{a="b"} | logfmt | d > 1h30m | s > 20MB | k < 1KiB"#).unwrap();
    let Expr::Log(l) = &e else { panic!() };
    assert_eq!(
        l.pipeline[1],
        Stage::LabelFilter(LabelFilter::Duration {
            name: "d".into(),
            op: CmpOp::Gt,
            value: 5_400_000_000_000
        })
    );
    assert_eq!(
        l.pipeline[2],
        Stage::LabelFilter(LabelFilter::Bytes {
            name: "s".into(),
            op: CmpOp::Gt,
            value: 20_000_000
        })
    );
    assert_eq!(
        l.pipeline[3],
        Stage::LabelFilter(LabelFilter::Bytes {
            name: "k".into(),
            op: CmpOp::Lt,
            value: 1024
        })
    );
    assert_eq!(
        e.to_string(),
        r#"{a="b"} | logfmt | d>1h30m | s>20000000B | k<1024B"#
    );
}

#[test]
fn strings_unescape() {
    let e = parse("{a=\"x\\\"y\\n\"} |= `raw\\d`").unwrap();
    let Expr::Log(l) = &e else { panic!() };
    assert_eq!(l.selector[0].value, "x\"y\n");
    assert_eq!(
        l.pipeline[0],
        Stage::LineFilter(LineFilter {
            op: LineFilterOp::Contains,
            values: vec![LineFilterValue::Str("raw\\d".into())]
        })
    );
}
