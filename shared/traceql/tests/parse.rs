//! Table-driven parser tests: queries from Tempo's docs (`docs/sources/tempo/traceql/*.md`,
//! `metrics-queries/functions.md`) and from the `valid:` list of Tempo's
//! `pkg/traceql/test_examples.yaml` round-trip (parse → print → parse gives an equal AST);
//! malformed ones (Tempo's `parse_fails:` list and `parse_test.go` error cases) fail with
//! Tempo's error texts.

use lakewatch_traceql::*;

const VALID: &[&str] = &[
    // docs: construct-traceql-queries.md
    "{ }",
    "{ span.http.status_code >= 200 && span.http.status_code < 300 } | count() > 2",
    r#"{resource.service.name = "frontend" && name = "POST /api/orders"}"#,
    r#"{span.service.name="frontend" && name = "GET /api/products/{id}"} && {span.db.system="postgresql"}"#,
    r#"{ span.http.request.header.Accept =~ "application.*" }"#,
    r#"{ span.http.request.header.Accept !~ "application.*" }"#,
    r#"{ resource.service.name="frontend" } >> { status = error }"#,
    r#"{ } !< { resource.service.name = "productcatalogservice" }"#,
    r#"{ resource.service.name = "productcatalogservice" } ~ { resource.service.name="frontend" }"#,
    r#"{ resource.service.name = "frontend" && span:childCount = 0 }"#,
    "{ span.http.status_code = 200 } | select(resource.service.name)",
    r#"{ span.http.method = "GET" && status = ok } && { span.http.method = "DELETE" && status != ok }"#,
    "{ trace:duration > 5s }",
    "{ span:duration < 5ms } | count_over_time() by(resource.service.name) | topk(10)",
    r#"{ resource.deployment.environment = "production" && trace:duration > 2s } | count() > 30"#,
    r#"{ resource.k8s.cluster.name="service-name" && trace:rootName !~ ".*perf.*"}"#,
    r#"{ event.exception.message =~ ".*something went wrong.*" }"#,
    r#"{ link.opentracing.ref_type = "child_of" }"#,
    r#"{ instrumentation.language = "java" }"#,
    r#"{ resource.service.name = "foo" } | rate() by (instrumentation:name)"#,
    r#"{ span."attribute name with space" = "value" }"#,
    r#"{ span.attribute."attribute name with space" = "value" }"#,
    "{ span.retry_count > -1 }",
    "{ span.value != minInt && span.value != maxInt }",
    "{ event:timeSinceStart > -5s }",
    "{ span.optional_field = nil }",
    "{ span.required_field != nil }",
    r#"{ span.http.status_code >= "400" }"#,
    // docs: metrics-queries/functions.md
    r#"({resource.service.name="frontend"} | rate()) / ({} | rate())"#,
    "({status=error} | rate() by (resource.service.name)) / ({} | rate() by (resource.service.name))",
    "({status=error} | rate()) / ({} | rate()) > 10",
    "({status=error} | rate()) / ({} | rate()) | topk(5)",
    "({} | avg_over_time(span.http.response.body.size)) / (1024 * 1024)",
    "({} | rate()) * (-100)",
    "({} | rate()) + ({} | count_over_time()) | topk(5)",
    "({} | rate()) + ({} | rate()) | topk(5) > 10",
    "({} | rate()) / 2.5",
    r#"{ resource.service.name = "foo" } | rate() by (span.http.url)  | bottomk(10)"#,
    r#"{ resource.service.name="a" && span.http.path="/myapi" } | compare({span:status=error})"#,
    r#"{ resource.service.name="api" } | rate() with(extrapolate=true)"#,
    r#"{ span:name = "GET /:endpoint" } | avg_over_time(span:duration) > 1s"#,
    r#"{ span:name = "GET /:endpoint" } | quantile_over_time(span:duration, .99, .9, .5)"#,
    r#"{ span:name = "GET /:endpoint" } | histogram_over_time(span:duration) by (span.http.target)"#,
    r#"{ span:name = "GET /:endpoint" } | sum_over_time(span.http.response.size)"#,
    "{} | compare({status=error}, 20, 1700000000000000000, 1700000600000000000)",
    // Tempo test_examples.yaml `valid:`
    "{ !true }",
    "{ -1 = 2 }",
    r#"{ !("test" != .c || ((true && .b) || 3 < .a)) }"#,
    "{ kind = consumer }",
    "{ 1 <= 1.1 }",
    r#"{ ."foo bar" = "v" }"#,
    r#"{ ."foo\" = \"bar" = "v" }"#,
    r#"{ ."a\\b" = "v" }"#,
    r#"{ trace:rootService = "a" }"#,
    r#"{ span:parentID = "84737586494" }"#,
    r#"{ link:spanID = "f1f1f1f1f1f1f1f1" }"#,
    r#"{ instrumentation:version = "v3.34" }"#,
    "{ duration < (10s * 20s) }",
    "{ 1 ^ 1 = 2 }",
    "{ true } &>> { true }",
    "{ true } !<< { true }",
    "{ true } &~ { true }",
    "({ true } | count() > 1 | { false }) >> ({ true } | count() > 1 | { false })",
    "({ true } | count() > 1 | { false }) || ({ true } | count() > 1 | { false })",
    "max(duration) > 3s | { status = error || .http.status = 500 }",
    "{ true } | max((1 + .a) * 2) = 1",
    "{} | select(.a,.b,.c)",
    "count() = 1 | { true }",
    "{ true } | by(1 + .a) | coalesce()",
    "{ true } | by(3 * .field - 2) | max(duration) < 1s",
    "{} | count_over_time() by (name) with(sample=0.1)",
    "{} | quantile_over_time(duration, 0, 0.9, 1) by (span.http.path)",
    "{} | avg_over_time(duration) by (span:name) | bottomk(10)",
    "{} | rate() by (span.client_ip) > 10 with(sample=0.1)",
    "({} | max_over_time(duration)) > 10s",
    "(({} | rate()) * ({} | count_over_time())) + ({} | rate())",
    "1 + 2 + ({} | rate())",
    "-2 - 20 / ({} | rate())",
    "({} | rate()) * 10 + 5 > 50 | topk(1)",
    "({} | rate() > 6) * 100 > 5",
    "min(span:childCount) < 2 / 6",
    "{} | rate() | topk(5) > 20 | bottomk (10) <= 10",
    "{ } >> { kind = server } | select(nestedSetLeft, nestedSetRight, nestedSetParent)",
    "{ nil != nil }",
    "{ name != nil }",
    "{ parent.span.a > 3 }",
    "{ parent.resource.a && true }",
    "({ true } | count()) / ({ true } | count()) > ({ true } | count()) / ({ true } | count())",
    "({ .http.status = 200 } | count()) + ({ name = `foo` } | avg(duration)) = 2",
    "{ .a } with(most_recent=true)",
    "{ .a } | rate() with(sample=true, exemplars=false)",
    "{ 1h30m = 5400s } // a comment",
];

fn roundtrip(q: &str) -> String {
    let a = parse(q).unwrap_or_else(|e| panic!("{q}: {e}"));
    let printed = a.to_string();
    let b = parse(&printed).unwrap_or_else(|e| panic!("{q} printed as {printed}: {e}"));
    assert_eq!(a, b, "{q} printed as {printed}");
    assert_eq!(printed, b.to_string(), "printer not idempotent for {q}");
    printed
}

#[test]
fn valid_queries_round_trip() {
    assert!(VALID.len() >= 60);
    for q in VALID {
        roundtrip(q);
    }
}

/// Malformed queries with the exact Tempo error (from `parse_test.go`) or, for the
/// `parse_fails:` list, the expected fragment.
const INVALID: &[(&str, &str)] = &[
    ("", "parse error : syntax error: unexpected $end"),
    ("{ .a } | { .b", "parse error at line 1, col 14: syntax error: unexpected $end"),
    ("{ .a | .b }", "parse error at line 1, col 6: syntax error: unexpected |"),
    ("({ .a } | { .b }", "parse error at line 1, col 17: syntax error: unexpected $end, expecting ) or |"),
    ("({ .a } | { .b }) + ({ .a } | { .b })", "parse error at line 1, col 19: syntax error: unexpected +, expecting with"),
    ("by(.a) && { .b }", "parse error at line 0, col 8: syntax error: unexpected &&, expecting with"),
    ("by()", "parse error at line 1, col 4: syntax error: unexpected )"),
    ("coalesce()", "parse error at line 1, col 1: syntax error: unexpected coalesce"),
    ("select()", "parse error at line 1, col 8: syntax error: unexpected )"),
    ("{ true } &&", "parse error at line 1, col 12: syntax error: unexpected $end, expecting { or ("),
    ("(avg(.foo) > count()) + sum(.bar)", "parse error at line 1, col 23: syntax error: unexpected +, expecting with"),
    ("count(", "parse error at line 1, col 7: syntax error: unexpected $end, expecting )"),
    ("count(avg)", "parse error at line 1, col 7: syntax error: unexpected avg, expecting )"),
    ("count(.thing)", "parse error at line 1, col 7: syntax error: unexpected ., expecting )"),
    ("wharblgarbl", "parse error at line 1, col 1: syntax error: unexpected IDENTIFIER"),
    ("{ 2 <> 3}", "parse error at line 1, col 6: syntax error: unexpected >"),
    ("{ 2 = .b ", "parse error at line 1, col 10: syntax error: unexpected $end"),
    ("{ + }", "parse error at line 1, col 3: syntax error: unexpected +"),
    ("{ . foo }", "parse error at line 1, col 3: syntax error: unexpected END_ATTRIBUTE, expecting IDENTIFIER"),
    (r#"{ . "foo" }"#, "parse error at line 1, col 3: syntax error: unexpected END_ATTRIBUTE, expecting IDENTIFIER"),
    ("select(.a) && { .b }", "parse error at line 0, col 12: syntax error: unexpected &&, expecting with"),
    ("{ .foo .bar }", "parse error at line 1, col 8: syntax error: unexpected ."),
    ("{ parent. }", "parse error at line 0, col 3: syntax error: unexpected END_ATTRIBUTE, expecting IDENTIFIER or resource. or span."),
    (".3foo", "parse error at line 1, col 3: syntax error: unexpected IDENTIFIER"),
    (r#"{ ."foo }"#, r#"parse error at line 0, col 3: unexpected EOF, expecting ""#),
    ("{} | topk(10)", "parse error at line 1, col 6: syntax error: unexpected topk"),
    ("{} | bottomk(10) with(sample=0.1)", "parse error at line 1, col 6: syntax error: unexpected bottomk"),
    ("{} | rate() | topk(-1)", "parse error at line 1, col 20: syntax error: unexpected -, expecting INTEGER"),
    ("{} > 10", "parse error at line 1, col 6: syntax error: unexpected INTEGER, expecting { or ("),
    ("{} = 10", "parse error at line 1, col 4: syntax error: unexpected =, expecting with"),
    // test_examples.yaml parse_fails (fragments)
    ("true", "unexpected true"),
    ("{ .a < 3", "unexpected $end"),
    ("{ attribute = 4 }", "unknown identifier: attribute"),
    ("{ span. }", "unexpected END_ATTRIBUTE, expecting IDENTIFIER"),
    ("{ true } + { true }", "unexpected +"),
    (r#"max(name) = "foo""#, "unexpected STRING"),
    ("max(status) = ok", "unexpected ok"),
    ("{ true } | count()", "unexpected $end"),
    ("{ true } | max() = 1", "unexpected )"),
    ("count() > 3 && { true }", "unexpected &&"),
    ("{} | rate() + 5", "unexpected +"),
    ("2 * 3", "syntax error"),
    ("({} | rate()) % 10", "unexpected %"),
    ("{ trace:status = error }", "unexpected status"),
    ("{} | rate() == 42", "unexpected ="),
    ("({} | rate()) * 100000000000000000000000000000", "value out of range"),
    ("({} | rate()) > (10s * 2)", "duration cannot be used in scalar arithmetic"),
    ("({} | rate()) * 10s", "duration cannot be used as a scalar operand in metric arithmetic"),
    ("{ .foo = \"unterminated }", "literal not terminated"),
    ("rate()", "unexpected rate"),
];

#[test]
fn malformed_queries_fail_like_tempo() {
    assert!(INVALID.len() >= 15);
    let mut failures = Vec::new();
    for (q, want) in INVALID {
        match parse(q) {
            Ok(e) => failures.push(format!("{q:?}: parsed as {e}")),
            Err(e) => {
                let got = e.to_string();
                if !got.contains(want) {
                    failures.push(format!("{q:?}: got {got:?}, want {want:?}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn canonical_forms() {
    let cases = [
        ("{}", "{ true }"),
        ("{ .a = 1 && .b = 2 }", "{ (.a = 1) && (.b = 2) }"),
        ("{ span:duration > 1.5s }", "{ duration > 1500ms }"),
        (
            "{ trace:rootService = `x` }",
            r#"{ rootServiceName = "x" }"#,
        ),
        ("{ .a }>>{ .b }", "{ .a } >> { .b }"),
        ("{} | rate() by(.x) > 1s", "{ true } | rate() by (.x) > 1"),
        ("{} | compare({ .a })", "{ true } | compare({ .a }, 10)"),
        ("({} | rate()) + 3 * 2", "({ true } | rate()) + 6"),
        (
            "{ .a } with(a=1) with(b=\"x\")",
            "{ .a } with(a=1, b=\"x\")",
        ),
    ];
    for (q, want) in cases {
        assert_eq!(roundtrip(q), want, "{q}");
    }
}

#[test]
fn ast_shapes() {
    let q = parse("{ span.http.status_code >= 500 } | count() > 2").expect("parses");
    let Body::Spans(PipelineExpr::Pipeline(p)) = &q.body else {
        panic!("{q:?}")
    };
    assert_eq!(p.stages.len(), 2);
    assert_eq!(
        p.stages[0],
        Stage::Spanset(SpansetExpr::Filter(FieldExpr::Binary {
            op: FieldOp::Cmp(CmpOp::Gte),
            lhs: Box::new(FieldExpr::Attribute(Attribute::Attr {
                scope: Scope::Span,
                parent: false,
                name: "http.status_code".into()
            })),
            rhs: Box::new(FieldExpr::Static(Static::Int(500))),
        }))
    );
    // && and || share one precedence level and associate left, as in Tempo.
    let a = parse("{ .a || .b && .c }").expect("parses");
    let b = parse("{ (.a || .b) && .c }").expect("parses");
    assert_eq!(a, b);
    // Unary minus binds looser than `*`: -(a*b).
    assert_eq!(
        parse("{ -.a * 2 = 1 }").expect("parses"),
        parse("{ -(.a * 2) = 1 }").expect("parses")
    );
    // Durations: Prometheus and Go syntaxes, ns.
    let d = parse("{ duration > 1h30m }").expect("parses");
    assert!(d.to_string().contains("90m"), "{d}");
    // Metrics pipeline shape.
    let m =
        parse("{ } | quantile_over_time(duration, .99, .5) by (resource.service.name) | topk(3)")
            .expect("parses");
    let Body::Metrics(MetricsExpr::Pipeline {
        function, second, ..
    }) = &m.body
    else {
        panic!("{m:?}")
    };
    assert_eq!(
        function.kind,
        MetricsKind::QuantileOverTime(Attribute::Intrinsic(Intrinsic::Duration), vec![0.99, 0.5])
    );
    assert_eq!(second, &vec![SecondStage::TopK(3)]);
}

/// Every prefix of every valid query either fails cleanly or round-trips (no panics).
#[test]
fn prefixes_never_panic() {
    for q in VALID {
        let chars: Vec<char> = q.chars().collect();
        for n in 0..chars.len() {
            let prefix: String = chars[..n].iter().collect();
            if parse(&prefix).is_ok() {
                roundtrip(&prefix);
            }
        }
    }
}

#[test]
fn long_inputs_stay_fast() {
    let q = format!("{{}} | count() > 1{}", " % 2".repeat(300));
    let start = std::time::Instant::now();
    assert!(parse(&q).is_err());
    let deep = format!("{}{{ .a }}{}", "(".repeat(200), ")".repeat(200));
    roundtrip(&deep);
    assert!(start.elapsed() < std::time::Duration::from_secs(5));
}
