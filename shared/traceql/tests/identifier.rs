//! `parse_identifier` cases from Tempo's `TestParseIdentifier` / `TestParseIdentifierErrors`.

use lakewatch_traceql::*;

fn attr(scope: Scope, parent: bool, name: &str) -> Attribute {
    Attribute::Attr {
        scope,
        parent,
        name: name.into(),
    }
}

#[test]
fn identifiers() {
    use Intrinsic as I;
    let cases: Vec<(&str, Attribute)> = vec![
        ("name", Attribute::Intrinsic(I::Name)),
        ("duration", Attribute::Intrinsic(I::Duration)),
        ("rootServiceName", Attribute::Intrinsic(I::RootServiceName)),
        ("nestedSetParent", Attribute::Intrinsic(I::NestedSetParent)),
        (
            "trace:rootService",
            Attribute::Intrinsic(I::RootServiceName),
        ),
        ("trace:id", Attribute::Intrinsic(I::TraceId)),
        ("span:duration", Attribute::Intrinsic(I::Duration)),
        ("span:parentID", Attribute::Intrinsic(I::ParentId)),
        ("span:childCount", Attribute::Intrinsic(I::ChildCount)),
        (
            "event:timeSinceStart",
            Attribute::Intrinsic(I::EventTimeSinceStart),
        ),
        ("link:traceID", Attribute::Intrinsic(I::LinkTraceId)),
        (
            "instrumentation:version",
            Attribute::Intrinsic(I::InstrumentationVersion),
        ),
        (".name", attr(Scope::None, false, "name")),
        (".foo.bar.baz", attr(Scope::None, false, "foo.bar.baz")),
        (".http-status", attr(Scope::None, false, "http-status")),
        (".http+", attr(Scope::None, false, "http+")),
        (".foo.3", attr(Scope::None, false, "foo.3")),
        (r#"."0""#, attr(Scope::None, false, "0")),
        ("resource.foo.bar", attr(Scope::Resource, false, "foo.bar")),
        ("span.foo", attr(Scope::Span, false, "foo")),
        ("event.foo.bar", attr(Scope::Event, false, "foo.bar")),
        ("link.foo", attr(Scope::Link, false, "foo")),
        (
            "instrumentation.foo.bar",
            attr(Scope::Instrumentation, false, "foo.bar"),
        ),
        ("parent.duration", attr(Scope::None, true, "duration")),
        (
            "parent.resource.foo.bar",
            attr(Scope::Resource, true, "foo.bar"),
        ),
        ("parent.span.foo", attr(Scope::Span, true, "foo")),
        (
            r#".foo."bar baz".bar"#,
            attr(Scope::None, false, "foo.bar baz.bar"),
        ),
        (r#"span."bar z".foo"#, attr(Scope::Span, false, "bar z.foo")),
        (r#"parent."foo bar""#, attr(Scope::None, true, "foo bar")),
        (
            r#".foo."bar \" baz""#,
            attr(Scope::None, false, "foo.bar \" baz"),
        ),
        (
            r#".foo."bar \\"." baz""#,
            attr(Scope::None, false, "foo.bar \\. baz"),
        ),
        (".😝", attr(Scope::None, false, "😝")),
    ];
    for (input, want) in cases {
        let got = parse_identifier(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(got, want, "{input}");
        // The printed form parses back to the same attribute.
        let printed = got.to_string();
        assert_eq!(
            parse_identifier(&printed).ok(),
            Some(got),
            "{input} -> {printed}"
        );
    }
}

#[test]
fn identifier_errors() {
    for input in [
        "",
        "   ",
        "{ .foo }",
        ".foo &&",
        ".foo && .bar",
        ".foo > .bar",
        ".foo = \"bar\"",
        ".foo + .bar",
        ".foo != nil",
        "true",
        "123",
        "\"string\"",
        "count()",
        "max(.foo)",
        ":duration",
        "trace:name",
        "parent:id",
        ".",
        "span.",
        "parent.",
        ".\"foo",
        ".\"foo\\",
        "{ .foo } | { .bar }",
        "({ .foo })",
    ] {
        let err = parse_identifier(input).expect_err(input);
        assert!(
            err.to_string().contains("failed to parse identifier"),
            "{input}: {err}"
        );
    }
}
