//! Table-driven tests of the log pipeline: each case parses a real LogQL query, runs one
//! entry through `Pipeline::process` and checks the line and the three label categories
//! (stream / structured metadata / parsed) against what Loki produces. Expected values
//! follow Loki's `pkg/logql/log/*_test.go` and docs.

use lakewatch_logql::pipeline::{Pipeline, Processed, SampleHints};
use lakewatch_logql::*;
use lakewatch_model::{Label, Labels};

type Pairs<'a> = &'a [(&'a str, &'a str)];

/// A label set keeping empty values (the pipeline keeps `foo=""`, as Loki).
fn lbl(p: Pairs<'_>) -> Labels {
    let mut v: Vec<Label> = p
        .iter()
        .map(|(n, v)| Label {
            name: n.to_string(),
            value: v.to_string(),
        })
        .collect();
    v.sort_by(|a, b| a.name.cmp(&b.name));
    Labels::from_sorted(v)
}

fn stages(q: &str) -> Vec<Stage> {
    match parse(q).unwrap_or_else(|e| panic!("{q}: {e}")) {
        Expr::Log(l) => l.pipeline,
        Expr::Metric(MetricExpr::Range(r)) => r.log.pipeline,
        Expr::Metric(m) => panic!("unexpected query shape {m:?}"),
    }
}

fn run(q: &str, stream: Pairs<'_>, sm: Pairs<'_>, line: &str) -> Option<Processed> {
    let p = Pipeline::new(&stages(q)).unwrap_or_else(|e| panic!("{q}: {e}"));
    p.process(1_700_000_000_123_456_789, line, &lbl(stream), &lbl(sm))
}

/// One case: `want` is `None` when the entry must be dropped.
struct Case<'a> {
    name: &'a str,
    query: &'a str,
    stream: Pairs<'a>,
    sm: Pairs<'a>,
    line: &'a str,
    want: Option<Want<'a>>,
}

struct Want<'a> {
    /// Expected line; `None` = unchanged.
    line: Option<&'a str>,
    stream: Pairs<'a>,
    sm: Pairs<'a>,
    parsed: Pairs<'a>,
}

const NO: Pairs<'static> = &[];
const APP: Pairs<'static> = &[("app", "x")];

fn keep<'a>(parsed: Pairs<'a>) -> Option<Want<'a>> {
    Some(Want {
        line: None,
        stream: APP,
        sm: NO,
        parsed,
    })
}

fn check(cases: &[Case<'_>]) -> usize {
    for c in cases {
        let got = run(c.query, c.stream, c.sm, c.line);
        match (&c.want, got) {
            (None, None) => {}
            (None, Some(p)) => panic!("{}: expected drop, got {p:?}", c.name),
            (Some(_), None) => panic!("{}: unexpectedly dropped", c.name),
            (Some(w), Some(p)) => {
                assert_eq!(p.line, w.line.unwrap_or(c.line), "{}: line", c.name);
                assert_eq!(p.stream, lbl(w.stream), "{}: stream labels", c.name);
                assert_eq!(p.structured_metadata, lbl(w.sm), "{}: metadata", c.name);
                assert_eq!(p.parsed, lbl(w.parsed), "{}: parsed labels", c.name);
            }
        }
    }
    cases.len()
}

macro_rules! case {
    ($name:expr, $q:expr, $line:expr, $want:expr) => {
        Case {
            name: $name,
            query: $q,
            stream: APP,
            sm: NO,
            line: $line,
            want: $want,
        }
    };
    ($name:expr, $q:expr, $stream:expr, $sm:expr, $line:expr, $want:expr) => {
        Case {
            name: $name,
            query: $q,
            stream: $stream,
            sm: $sm,
            line: $line,
            want: $want,
        }
    };
}

#[test]
fn line_filters() {
    let pass = || keep(NO);
    let n = check(&[
        case!("contains", r#"{app="x"} |= "err""#, "an error", pass()),
        case!("contains miss", r#"{app="x"} |= "err""#, "fine", None),
        case!(
            "contains case sensitive",
            r#"{app="x"} |= "err""#,
            "ERR",
            None
        ),
        case!("not contains", r#"{app="x"} != "err""#, "fine", pass()),
        case!(
            "not contains miss",
            r#"{app="x"} != "err""#,
            "an error",
            None
        ),
        case!(
            "regex unanchored",
            r#"{app="x"} |~ "e.r""#,
            "an error",
            pass()
        ),
        case!("regex miss", r#"{app="x"} |~ "^err""#, "an error", None),
        case!("not regex", r#"{app="x"} !~ "^an""#, "an error", None),
        case!(
            "regex case insensitive",
            r#"{app="x"} |~ "(?i)ERROR""#,
            "an error",
            pass()
        ),
        case!(
            "regex \\d is ASCII (Go)",
            r#"{app="x"} |~ "\\d""#,
            "٣",
            None
        ),
        case!("regex \\d digit", r#"{app="x"} |~ "\\d""#, "a1", pass()),
        case!("or chain first", r#"{app="x"} |= "a" or "b""#, "xa", pass()),
        case!(
            "or chain second",
            r#"{app="x"} |= "a" or "b""#,
            "xb",
            pass()
        ),
        case!("or chain none", r#"{app="x"} |= "a" or "b""#, "cd", None),
        case!("negated or chain", r#"{app="x"} != "a" or "b""#, "xb", None),
        case!(
            "negated or chain none",
            r#"{app="x"} != "a" or "b""#,
            "cd",
            pass()
        ),
        case!(
            "regex or chain",
            r#"{app="x"} |~ "^a" or "z$""#,
            "xyz",
            pass()
        ),
        case!(
            "chained filters are AND",
            r#"{app="x"} |= "a" |= "b""#,
            "a",
            None
        ),
        case!(
            "chained filters pass",
            r#"{app="x"} |= "a" != "c""#,
            "ab",
            pass()
        ),
        case!(
            "empty contains keeps all",
            r#"{app="x"} |= """#,
            "anything",
            pass()
        ),
        case!(
            "empty not-contains drops all",
            r#"{app="x"} != """#,
            "anything",
            None
        ),
        case!(
            "empty alternative ignored",
            r#"{app="x"} |= "" or "z""#,
            "abc",
            None
        ),
        case!(
            "pattern",
            r#"{app="x"} |> "<_> error <_>""#,
            "an error here",
            pass()
        ),
        case!(
            "pattern needs text before",
            r#"{app="x"} |> "<_> error <_>""#,
            "error here",
            None
        ),
        case!(
            "pattern literal start",
            r#"{app="x"} |> "GET <_>""#,
            "GET /x",
            pass()
        ),
        case!(
            "not pattern",
            r#"{app="x"} !> "<_> info <_>""#,
            "an error here",
            pass()
        ),
        case!(
            "ip cidr",
            r#"{app="x"} |= ip("192.168.0.0/16")"#,
            "from 192.168.1.7 ok",
            pass()
        ),
        case!(
            "ip cidr miss",
            r#"{app="x"} |= ip("192.168.0.0/16")"#,
            "from 10.0.0.1",
            None
        ),
        case!(
            "ip single",
            r#"{app="x"} |= ip("10.0.0.1")"#,
            "x=10.0.0.1,y",
            pass()
        ),
        case!(
            "ip range",
            r#"{app="x"} |= ip("10.0.0.1-10.0.0.9")"#,
            "10.0.0.5",
            pass()
        ),
        case!(
            "ip v6",
            r#"{app="x"} |= ip("2001:db8::/32")"#,
            "src 2001:db8::1 dst",
            pass()
        ),
        case!(
            "not ip",
            r#"{app="x"} != ip("10.0.0.0/8")"#,
            "from 10.1.2.3",
            None
        ),
    ]);
    assert_eq!(n, 32);
}

#[test]
fn json_parser() {
    let n = check(&[
        case!(
            "all fields, nested joined, arrays and nulls skipped",
            r#"{app="x"} | json"#,
            r#"{"a":"b","n":1.5e3,"o":{"x":"y","z":{"w":true}},"arr":[1,2],"nul":null,"f":false}"#,
            keep(&[
                ("a", "b"),
                ("n", "1.5e3"),
                ("o_x", "y"),
                ("o_z_w", "true"),
                ("f", "false")
            ])
        ),
        case!(
            "keys sanitised",
            r#"{app="x"} | json"#,
            r#"{"cou-nter":1,"1st":"x","foo.bar":"y"," sp ":"z","ü":"u"}"#,
            keep(&[
                ("cou_nter", "1"),
                ("_1st", "x"),
                ("foo_bar", "y"),
                ("sp", "z"),
                ("_", "u")
            ])
        ),
        case!(
            "nested bad key",
            r#"{app="x"} | json"#,
            r#"{"foo":{"cou-nter":1}}"#,
            keep(&[("foo_cou_nter", "1")])
        ),
        case!(
            "collision with a stream label",
            r#"{app="x"} | json"#,
            r#"{"app":"foo","ns":"prod"}"#,
            keep(&[("app_extracted", "foo"), ("ns", "prod")])
        ),
        case!(
            "nested collision",
            r#"{app="x"} | json"#,
            &[("app", "x"), ("pod_uuid", "s")],
            NO,
            r#"{"pod":{"uuid":"u"}}"#,
            Some(Want {
                line: None,
                stream: &[("app", "x"), ("pod_uuid", "s")],
                sm: NO,
                parsed: &[("pod_uuid_extracted", "u")],
            })
        ),
        case!(
            "collision with structured metadata",
            r#"{app="x"} | json"#,
            APP,
            &[("trace", "t1")],
            r#"{"trace":"t2"}"#,
            Some(Want {
                line: None,
                stream: APP,
                sm: &[("trace", "t1")],
                parsed: &[("trace_extracted", "t2")],
            })
        ),
        case!(
            "escapes and empty values kept",
            r#"{app="x"} | json"#,
            r#"{"msg":"a\"b\u00e9\n","e":""}"#,
            keep(&[("msg", "a\"bé\n"), ("e", "")])
        ),
        case!(
            "first duplicate key wins",
            r#"{app="x"} | json"#,
            r#"{"k":"1","k":"2"}"#,
            keep(&[("k", "1")])
        ),
        case!(
            "not an object",
            r#"{app="x"} | json"#,
            "not json",
            keep(&[
                ("__error__", "JSONParserErr"),
                (
                    "__error_details__",
                    "Value looks like object, but can't find closing '}' symbol"
                )
            ])
        ),
        case!(
            "malformed member",
            r#"{app="x"} | json"#,
            "{n}",
            keep(&[
                ("__error__", "JSONParserErr"),
                (
                    "__error_details__",
                    "Value looks like object, but can't find closing '}' symbol"
                )
            ])
        ),
        case!(
            "truncated: fields before the error stay",
            r#"{app="x"} | json"#,
            r#"{"a":"b", "c"#,
            keep(&[
                ("a", "b"),
                ("__error__", "JSONParserErr"),
                ("__error_details__", "Malformed JSON error")
            ])
        ),
        case!(
            "unterminated string value",
            r#"{app="x"} | json"#,
            r#"{"a":"b"#,
            keep(&[
                ("__error__", "JSONParserErr"),
                (
                    "__error_details__",
                    "Value is string, but can't find closing '\"' symbol"
                )
            ])
        ),
        case!(
            "second json does not overwrite",
            r#"{app="x"} | json | label_format a="{{.b}}" | json"#,
            r#"{"a":"1","b":"2"}"#,
            keep(&[("a", "2"), ("b", "2")])
        ),
        case!(
            "params: paths",
            r#"{app="x"} | json first="a", nested="o.x", idx="arr[1]", q="[\"key sp\"]", alt="o[\"x\"]", obj="o", arr="arr", nul="n", b"#,
            r#"{"a":"A","b":true,"o":{"x":"y"},"arr":[1,"two"],"key sp":"v","n":null}"#,
            keep(&[
                ("first", "A"),
                ("nested", "y"),
                ("idx", "two"),
                ("q", "v"),
                ("alt", "y"),
                ("obj", r#"{"x":"y"}"#),
                ("arr", r#"[1,"two"]"#),
                ("nul", ""),
                ("b", "true")
            ])
        ),
        case!(
            "params: missing paths are empty",
            r#"{app="x"} | json missing="nope.nope", idx="arr[5]""#,
            r#"{"arr":[1]}"#,
            keep(&[("missing", ""), ("idx", "")])
        ),
        case!(
            "params: collision",
            r#"{app="x"} | json app="a""#,
            r#"{"a":"foo"}"#,
            keep(&[("app_extracted", "foo")])
        ),
        case!(
            "params: not JSON (no details, nothing set)",
            r#"{app="x"} | json a="a""#,
            "not json",
            keep(&[("__error__", "JSONParserErr")])
        ),
        case!(
            "params: empty line untouched",
            r#"{app="x"} | json a="a""#,
            "",
            keep(NO)
        ),
    ]);
    assert_eq!(n, 18);
}

#[test]
fn logfmt_parser() {
    let n = check(&[
        case!(
            "pairs",
            r#"{app="x"} | logfmt"#,
            r#"level=info msg="hello world" dur=10ms"#,
            keep(&[("level", "info"), ("msg", "hello world"), ("dur", "10ms")])
        ),
        case!(
            "bare key skipped",
            r#"{app="x"} | logfmt"#,
            "buzz bar=foo a=",
            keep(&[("bar", "foo")])
        ),
        case!(
            "keep empty",
            r#"{app="x"} | logfmt --keep-empty"#,
            "buzz bar=foo a=",
            keep(&[("buzz", ""), ("bar", "foo"), ("a", "")])
        ),
        case!(
            "invalid key names",
            r#"{app="x"} | logfmt"#,
            "foo.bar=10ms test-dash=foo",
            keep(&[("foo_bar", "10ms"), ("test_dash", "foo")])
        ),
        case!(
            "first duplicate wins",
            r#"{app="x"} | logfmt"#,
            r#"foobar="foo bar" foobar=10ms"#,
            keep(&[("foobar", "foo bar")])
        ),
        case!(
            "collision",
            r#"{app="x"} | logfmt"#,
            "app=y z=1",
            keep(&[("app_extracted", "y"), ("z", "1")])
        ),
        case!(
            "escapes in quoted values",
            r#"{app="x"} | logfmt"#,
            r#"a="foo\nbar\tbaz" b="q\"x""#,
            keep(&[("a", "foo\nbar\tbaz"), ("b", "q\"x")])
        ),
        case!(
            "replacement character becomes a space",
            r#"{app="x"} | logfmt"#,
            "buzz=foo bar=\u{FFFD}f",
            keep(&[("buzz", "foo"), ("bar", " f")])
        ),
        case!(
            "malformed, lenient",
            r#"{app="x"} | logfmt"#,
            "foobar====wqe=sdad1r",
            keep(NO)
        ),
        case!(
            "malformed, strict",
            r#"{app="x"} | logfmt --strict"#,
            "foobar====wqe=sdad1r",
            keep(&[
                ("__error__", "LogfmtParserErr"),
                (
                    "__error_details__",
                    "logfmt syntax error at pos 8 : unexpected '='"
                )
            ])
        ),
        case!(
            "lenient skips the bad pair",
            r#"{app="x"} | logfmt"#,
            r#"a=1 b"c=2 d=3"#,
            keep(&[("a", "1"), ("d", "3")])
        ),
        case!(
            "strict stops at the bad pair",
            r#"{app="x"} | logfmt --strict"#,
            r#"a=1 b"c=2 d=3"#,
            keep(&[
                ("a", "1"),
                ("__error__", "LogfmtParserErr"),
                (
                    "__error_details__",
                    "logfmt syntax error at pos 6 : unexpected '\"'"
                )
            ])
        ),
        case!(
            "strict unterminated quote",
            r#"{app="x"} | logfmt --strict"#,
            r#"a="x"#,
            keep(&[
                ("__error__", "LogfmtParserErr"),
                (
                    "__error_details__",
                    "logfmt syntax error at pos 5 : unterminated quoted value"
                )
            ])
        ),
        case!(
            "params",
            r#"{app="x"} | logfmt lvl="level", msg, missing"#,
            "level=info msg=hi other=1",
            keep(&[("lvl", "info"), ("msg", "hi"), ("missing", "")])
        ),
        case!(
            "params: collision",
            r#"{app="x"} | logfmt app"#,
            "app=y",
            keep(&[("app_extracted", "y")])
        ),
    ]);
    assert_eq!(n, 15);
}

#[test]
fn regexp_pattern_unpack() {
    let n = check(&[
        case!(
            "regexp named groups",
            r#"{app="x"} | regexp "(?P<method>\\w+) (?P<path>\\S+)( (?P<opt>\\d+))?""#,
            "GET /x",
            keep(&[("method", "GET"), ("path", "/x"), ("opt", "")])
        ),
        case!(
            "regexp no match",
            r#"{app="x"} | regexp "(?P<foo>foo|bar)buzz""#,
            "blah",
            keep(NO)
        ),
        case!(
            "regexp greedy",
            r#"{app="x"} | regexp "(?P<foo>.*)buzz""#,
            "matchebuzz barbuzz",
            keep(&[("foo", "matchebuzz bar")])
        ),
        case!(
            "regexp collision",
            r#"{app="x"} | regexp "(?P<app>\\w+)""#,
            "bar",
            keep(&[("app_extracted", "bar")])
        ),
        case!(
            "pattern",
            r#"{app="x"} | pattern "<ip> - <_> [<ts>] \"<method> <path> <_>\" <status> <size>""#,
            r#"10.0.0.1 - frank [10/Oct/2000:13:55:36] "GET /a.gif HTTP/1.0" 200 2326"#,
            keep(&[
                ("ip", "10.0.0.1"),
                ("ts", "10/Oct/2000:13:55:36"),
                ("method", "GET"),
                ("path", "/a.gif"),
                ("status", "200"),
                ("size", "2326")
            ])
        ),
        case!(
            "pattern stops at the end of the line",
            r#"{app="x"} | pattern "<a> <b> <c>""#,
            "x y",
            keep(&[("a", "x"), ("b", "y")])
        ),
        case!(
            "pattern leading literal must match",
            r#"{app="x"} | pattern "GET <path>""#,
            "POST /x",
            keep(NO)
        ),
        case!(
            "unpack",
            r#"{app="x"} | unpack"#,
            r#"{"_entry":"original \"line\"","app":"p","k":"v","n":1}"#,
            Some(Want {
                line: Some("original \"line\""),
                stream: APP,
                sm: NO,
                parsed: &[("app_extracted", "p"), ("k", "v")],
            })
        ),
        case!(
            "unpack without _entry adds nothing",
            r#"{app="x"} | unpack"#,
            r#"{"k":"v"}"#,
            keep(NO)
        ),
        case!(
            "unpack not an object",
            r#"{app="x"} | unpack"#,
            "abc",
            keep(&[
                ("__error__", "JSONParserErr"),
                (
                    "__error_details__",
                    "expecting json object(6), but it is not"
                )
            ])
        ),
        case!(
            "line filter after unpack sees the entry",
            r#"{app="x"} | unpack |= "orig""#,
            r#"{"_entry":"orig"}"#,
            Some(Want {
                line: Some("orig"),
                stream: APP,
                sm: NO,
                parsed: NO,
            })
        ),
        case!(
            "line filter after unpack drops",
            r#"{app="x"} | unpack |= "entry""#,
            r#"{"_entry":"orig"}"#,
            None
        ),
    ]);
    assert_eq!(n, 12);
}

#[test]
fn label_filters() {
    let n = check(&[
        case!(
            "number pass",
            r#"{app="x"} | logfmt | status >= 400"#,
            "status=500",
            keep(&[("status", "500")])
        ),
        case!(
            "number drop",
            r#"{app="x"} | logfmt | status >= 400"#,
            "status=200",
            None
        ),
        case!(
            "number eq with =",
            r#"{app="x"} | logfmt | status = 200"#,
            "status=200.0",
            keep(&[("status", "200.0")])
        ),
        case!(
            "number missing label drops",
            r#"{app="x"} | logfmt | status >= 400"#,
            "a=1",
            None
        ),
        case!(
            "number not convertible keeps the line with an error",
            r#"{app="x"} | logfmt | status >= 400"#,
            "status=abc",
            keep(&[
                ("status", "abc"),
                ("__error__", "LabelFilterErr"),
                (
                    "__error_details__",
                    "strconv.ParseFloat: parsing \"abc\": invalid syntax"
                )
            ])
        ),
        case!(
            "duration pass",
            r#"{app="x"} | logfmt | dur > 10ms"#,
            "dur=1.5s",
            keep(&[("dur", "1.5s")])
        ),
        case!(
            "duration drop",
            r#"{app="x"} | logfmt | dur > 10ms"#,
            "dur=5ms",
            None
        ),
        case!(
            "duration error",
            r#"{app="x"} | logfmt | dur > 10ms"#,
            "dur=2weeeeee",
            keep(&[
                ("dur", "2weeeeee"),
                ("__error__", "LabelFilterErr"),
                (
                    "__error_details__",
                    "time: unknown unit \"weeeeee\" in duration \"2weeeeee\""
                )
            ])
        ),
        case!(
            "bytes pass",
            r#"{app="x"} | logfmt | size > 1KB"#,
            "size=2KiB",
            keep(&[("size", "2KiB")])
        ),
        case!(
            "bytes drop",
            r#"{app="x"} | logfmt | size > 1KB"#,
            "size=999",
            None
        ),
        case!(
            "bytes error",
            r#"{app="x"} | logfmt | size > 1KB"#,
            "size=3qb",
            keep(&[
                ("size", "3qb"),
                ("__error__", "LabelFilterErr"),
                ("__error_details__", "unhandled size name: qb")
            ])
        ),
        case!(
            "string eq",
            r#"{app="x"} | logfmt | level="error""#,
            "level=error",
            keep(&[("level", "error")])
        ),
        case!(
            "string neq",
            r#"{app="x"} | logfmt | level!="info""#,
            "level=info",
            None
        ),
        case!(
            "regex anchored",
            r#"{app="x"} | logfmt | level=~"err.*""#,
            "level=xerror",
            None
        ),
        case!(
            "regex anchored match",
            r#"{app="x"} | logfmt | level=~"err.*""#,
            "level=error",
            keep(&[("level", "error")])
        ),
        case!(
            "not regex",
            r#"{app="x"} | logfmt | level!~"e.*""#,
            "level=info",
            keep(&[("level", "info")])
        ),
        case!(
            "missing label is empty",
            r#"{app="x"} | logfmt | level="""#,
            "a=1",
            keep(&[("a", "1")])
        ),
        case!("stream label", r#"{app="x"} | app="x""#, "l", keep(NO)),
        case!(
            "or",
            r#"{app="x"} | logfmt | level="error" or status >= 500"#,
            "level=info status=503",
            keep(&[("level", "info"), ("status", "503")])
        ),
        case!(
            "and",
            r#"{app="x"} | logfmt | level="error", status >= 500"#,
            "level=error status=200",
            None
        ),
        case!(
            "parentheses",
            r#"{app="x"} | logfmt | (level="info" or level="warn") and status >= 500"#,
            "level=warn status=500",
            keep(&[("level", "warn"), ("status", "500")])
        ),
        case!(
            "error filter removes errored lines",
            r#"{app="x"} | json | __error__="""#,
            "not json",
            None
        ),
        case!(
            "error filter keeps good lines",
            r#"{app="x"} | json | __error__="""#,
            r#"{"a":1}"#,
            keep(&[("a", "1")])
        ),
        case!(
            "only errored lines",
            r#"{app="x"} | json | __error__!="""#,
            "{}",
            None
        ),
        case!(
            "first error is kept",
            r#"{app="x"} | json | a > 1 | b > 1s"#,
            r#"{"a":"x","b":"y"}"#,
            keep(&[
                ("a", "x"),
                ("b", "y"),
                ("__error__", "LabelFilterErr"),
                (
                    "__error_details__",
                    "strconv.ParseFloat: parsing \"x\": invalid syntax"
                )
            ])
        ),
        case!(
            "early filtering in parsers (Loki's parser hints)",
            r#"{app="x"} | json | label_format status="{{.code}}" | status="500""#,
            r#"{"status":"200","code":"500"}"#,
            None
        ),
        case!(
            "ip label filter",
            r#"{app="x"} | logfmt | addr = ip("10.0.0.0/8")"#,
            "addr=10.1.2.3",
            keep(&[("addr", "10.1.2.3")])
        ),
        case!(
            "ip label filter miss",
            r#"{app="x"} | logfmt | addr = ip("10.0.0.0/8")"#,
            "addr=11.1.2.3",
            None
        ),
        case!(
            "not ip label filter",
            r#"{app="x"} | logfmt | addr != ip("10.0.0.0/8")"#,
            "addr=11.1.2.3",
            keep(&[("addr", "11.1.2.3")])
        ),
    ]);
    assert_eq!(n, 29);
}

#[test]
fn formatting() {
    let n = check(&[
        case!(
            "line_format",
            r#"{app="x"} | logfmt | line_format "{{.level}}: {{.msg}}""#,
            r#"level=info msg="hi there""#,
            Some(Want {
                line: Some("info: hi there"),
                stream: APP,
                sm: NO,
                parsed: &[("level", "info"), ("msg", "hi there")],
            })
        ),
        case!(
            "line_format simple key, missing label",
            r#"{app="x"} | line_format "{{.nope}}""#,
            "orig",
            Some(Want {
                line: Some(""),
                stream: APP,
                sm: NO,
                parsed: NO,
            })
        ),
        case!(
            "line_format __line__ and stream labels",
            r#"{app="x"} | line_format "{{.app}} {{__line__}}""#,
            "orig",
            Some(Want {
                line: Some("x orig"),
                stream: APP,
                sm: NO,
                parsed: NO,
            })
        ),
        case!(
            "line filter after line_format sees the new line",
            r#"{app="x"} | line_format "new" |= "orig""#,
            "orig",
            None
        ),
        case!(
            "label_format rename",
            r#"{app="x"} | logfmt | label_format lvl=level"#,
            "level=info",
            keep(&[("lvl", "info")])
        ),
        case!(
            "label_format rename a stream label",
            r#"{app="x"} | label_format service=app"#,
            "l",
            Some(Want {
                line: None,
                stream: NO,
                sm: NO,
                parsed: &[("service", "x")],
            })
        ),
        case!(
            "label_format template overrides a stream label",
            r#"{app="x"} | label_format app="{{.app}}-2""#,
            "l",
            Some(Want {
                line: None,
                stream: NO,
                sm: NO,
                parsed: &[("app", "x-2")],
            })
        ),
        case!(
            "label_format templates see one snapshot",
            r#"{app="x"} | label_format a="1", b="{{.a}}""#,
            "l",
            keep(&[("a", "1"), ("b", "")])
        ),
        case!(
            "label_format rename of a missing label does nothing",
            r#"{app="x"} | label_format a=nope"#,
            "l",
            keep(NO)
        ),
        case!(
            "decolorize",
            r#"{app="x"} | decolorize"#,
            "\u{1b}[31mred\u{1b}[0m text",
            Some(Want {
                line: Some("red text"),
                stream: APP,
                sm: NO,
                parsed: NO,
            })
        ),
        case!(
            "line filters move before decolorize (Loki reorders them)",
            r#"{app="x"} | decolorize |= "red text""#,
            "\u{1b}[31mred\u{1b}[0m text",
            None
        ),
    ]);
    assert_eq!(n, 11);
}

#[test]
fn drop_keep() {
    let n = check(&[
        case!(
            "drop names",
            r#"{app="x", env="p"} | logfmt | drop a, env"#,
            &[("app", "x"), ("env", "p")],
            NO,
            "a=1 b=2",
            keep(&[("b", "2")])
        ),
        case!(
            "drop with matcher",
            r#"{app="x"} | logfmt | drop level="debug", b=~"2|3""#,
            "level=info b=2",
            keep(&[("level", "info")])
        ),
        case!(
            "drop __error__ clears the error",
            r#"{app="x"} | json | drop __error__"#,
            "bad",
            keep(&[(
                "__error_details__",
                "Value looks like object, but can't find closing '}' symbol"
            )])
        ),
        case!(
            "drop __error__ and details",
            r#"{app="x"} | json | drop __error__, __error_details__"#,
            "bad",
            keep(NO)
        ),
        case!(
            "drop __error__ by value",
            r#"{app="x"} | json | drop __error__="LogfmtParserErr""#,
            "bad",
            keep(&[
                ("__error__", "JSONParserErr"),
                (
                    "__error_details__",
                    "Value looks like object, but can't find closing '}' symbol"
                )
            ])
        ),
        case!(
            "keep names",
            r#"{app="x", env="p"} | logfmt | keep a, app"#,
            &[("app", "x"), ("env", "p")],
            NO,
            "a=1 b=2",
            keep(&[("a", "1")])
        ),
        case!(
            "keep with matcher",
            r#"{app="x"} | logfmt | keep a="1", b="9""#,
            "a=1 b=2",
            Some(Want {
                line: None,
                stream: NO,
                sm: NO,
                parsed: &[("a", "1")],
            })
        ),
        case!(
            "keep never removes errors",
            r#"{app="x"} | json | keep app"#,
            "bad",
            keep(&[
                ("__error__", "JSONParserErr"),
                (
                    "__error_details__",
                    "Value looks like object, but can't find closing '}' symbol"
                )
            ])
        ),
    ]);
    assert_eq!(n, 8);
}

#[test]
fn structured_metadata_categories() {
    let n = check(&[
        case!(
            "metadata passes through",
            r#"{app="x"}"#,
            APP,
            &[("trace_id", "t")],
            "l",
            Some(Want {
                line: None,
                stream: APP,
                sm: &[("trace_id", "t")],
                parsed: NO,
            })
        ),
        case!(
            "metadata colliding with a stream label gets _extracted",
            r#"{app="x"}"#,
            APP,
            &[("app", "m")],
            "l",
            Some(Want {
                line: None,
                stream: APP,
                sm: &[("app_extracted", "m")],
                parsed: NO,
            })
        ),
        case!(
            "parsed label overrides metadata (label_format)",
            r#"{app="x"} | label_format trace_id="new""#,
            APP,
            &[("trace_id", "t")],
            "l",
            Some(Want {
                line: None,
                stream: APP,
                sm: NO,
                parsed: &[("trace_id", "new")],
            })
        ),
        case!(
            "metadata filter and drop",
            r#"{app="x"} | trace_id="t" | drop trace_id"#,
            APP,
            &[("trace_id", "t")],
            "l",
            Some(Want {
                line: None,
                stream: APP,
                sm: NO,
                parsed: NO,
            })
        ),
    ]);
    assert_eq!(n, 4);
}

fn sample(q: &str, line: &str) -> Option<(Option<f64>, Labels)> {
    run(q, APP, NO, line).map(|p| (p.value, p.parsed))
}

/// (name, query, line, expected (value, parsed labels) or drop).
type SampleCase<'a> = (&'a str, String, &'a str, Option<(f64, Pairs<'a>)>);

#[test]
fn unwrap() {
    let q = |conv: &str| format!(r#"sum_over_time({{app="x"}} | logfmt | unwrap {conv} [1m])"#);
    let cases: &[SampleCase<'_>] = &[
        ("float", q("v"), "v=1.5", Some((1.5, &[("v", "1.5")]))),
        (
            "float exponent",
            q("v"),
            "v=2e3",
            Some((2000.0, &[("v", "2e3")])),
        ),
        ("missing label drops", q("v"), "w=1", None),
        ("empty value drops", q("v"), "v=", None),
        (
            "duration",
            q("duration(d)"),
            "d=1m30s",
            Some((90.0, &[("d", "1m30s")])),
        ),
        (
            "duration_seconds",
            q("duration_seconds(d)"),
            "d=250ms",
            Some((0.25, &[("d", "250ms")])),
        ),
        (
            "bytes",
            q("bytes(b)"),
            "b=2KiB",
            Some((2048.0, &[("b", "2KiB")])),
        ),
        (
            "bytes SI",
            q("bytes(b)"),
            "b=1.5MB",
            Some((1_500_000.0, &[("b", "1.5MB")])),
        ),
        (
            "float error",
            q("v"),
            "v=not_a_number",
            Some((
                0.0,
                &[
                    ("v", "not_a_number"),
                    ("__error__", "SampleExtractionErr"),
                    (
                        "__error_details__",
                        "strconv.ParseFloat: parsing \"not_a_number\": invalid syntax",
                    ),
                ],
            )),
        ),
        (
            "duration error",
            q("duration(v)"),
            "v=not_a_number",
            Some((
                0.0,
                &[
                    ("v", "not_a_number"),
                    ("__error__", "SampleExtractionErr"),
                    (
                        "__error_details__",
                        "time: invalid duration \"not_a_number\"",
                    ),
                ],
            )),
        ),
        (
            "post filter drops errors",
            r#"sum_over_time({app="x"} | logfmt | unwrap v | __error__="" [1m])"#.to_string(),
            "v=abc",
            None,
        ),
        (
            "post filter keeps good samples",
            r#"sum_over_time({app="x"} | logfmt | unwrap v | __error__="" [1m])"#.to_string(),
            "v=3",
            Some((3.0, &[("v", "3")])),
        ),
        (
            "drop __error__ before unwrap does not hide the conversion error",
            r#"sum_over_time({app="x"} | logfmt | drop __error__ | unwrap v [1m])"#.to_string(),
            "v=abc",
            Some((
                0.0,
                &[
                    ("v", "abc"),
                    ("__error__", "SampleExtractionErr"),
                    (
                        "__error_details__",
                        "strconv.ParseFloat: parsing \"abc\": invalid syntax",
                    ),
                ],
            )),
        ),
    ];
    for (name, query, line, want) in cases {
        let got = sample(query, line);
        match (want, got) {
            (None, None) => {}
            (Some((v, parsed)), Some((gv, gp))) => {
                assert_eq!(gv, Some(*v), "{name}: value");
                assert_eq!(gp, lbl(parsed), "{name}: labels");
            }
            (w, g) => panic!("{name}: want {:?}, got {g:?}", w.as_ref().map(|x| x.0)),
        }
    }
    assert_eq!(cases.len(), 13);
}

#[test]
fn compile_errors() {
    let bad: &[(&str, Stage, &str)] = &[
        (
            "regexp without named capture",
            Stage::Regexp("(a)".into()),
            "at least one named capture must be supplied",
        ),
        (
            "invalid regexp",
            Stage::Regexp("(?P<a>".into()),
            "parse error : stage",
        ),
        (
            "pattern without capture",
            Stage::Pattern("foo".into()),
            "at least one capture is required",
        ),
        (
            "pattern consecutive captures",
            Stage::Pattern("<a><b>".into()),
            "found consecutive capture '<a><b>': invalid expression",
        ),
        (
            "pattern duplicate names",
            Stage::Pattern("<a> <a>".into()),
            "duplicate capture name (a): invalid expression",
        ),
        (
            "label_format __error__",
            Stage::LabelFormat(vec![LabelFmt::Rename {
                dst: "__error__".into(),
                src: "a".into(),
            }]),
            "__error__ cannot be formatted",
        ),
        (
            "label_format duplicate destination",
            Stage::LabelFormat(vec![
                LabelFmt::Rename {
                    dst: "a".into(),
                    src: "b".into(),
                },
                LabelFmt::Rename {
                    dst: "a".into(),
                    src: "c".into(),
                },
            ]),
            "multiple label name 'a' not allowed in a single format operation",
        ),
        (
            "bad ip pattern",
            Stage::LineFilter(LineFilter {
                op: LineFilterOp::Contains,
                values: vec![LineFilterValue::Ip("nope".into())],
            }),
            "ip: invalid pattern: \"nope\"",
        ),
        (
            "ip with a regex operator",
            Stage::LineFilter(LineFilter {
                op: LineFilterOp::Match,
                values: vec![LineFilterValue::Ip("10.0.0.1".into())],
            }),
            "ip: invalid operation",
        ),
        (
            "bad json path",
            Stage::Json(vec![LabelExtraction {
                name: "a".into(),
                expr: Some("a..b".into()),
            }]),
            "cannot parse expression [a..b]",
        ),
        (
            "named capture in a pattern line filter",
            Stage::LineFilter(LineFilter {
                op: LineFilterOp::Pattern,
                values: vec![LineFilterValue::Str("<a> x".into())],
            }),
            "named captures are not allowed: found '<a>'",
        ),
    ];
    for (name, stage, frag) in bad {
        let err = Pipeline::new(std::slice::from_ref(stage))
            .err()
            .unwrap_or_else(|| panic!("{name}: expected an error"));
        let msg = err.to_string();
        assert!(msg.contains(frag), "{name}: {msg:?} lacks {frag:?}");
        assert!(msg.starts_with("parse error : stage '"), "{name}: {msg}");
    }
}

#[test]
fn hints_and_fast_paths() {
    let p = Pipeline::new(&stages(
        r#"{app="x"} |= "a" | json |= "b" or "c" |~ "d" |= "e" | line_format "x" |= "f""#,
    ))
    .unwrap();
    assert_eq!(
        p.line_contains_hints(),
        vec!["a".to_string(), "e".to_string()]
    );
    assert!(!p.line_filters_only());
    let p = Pipeline::new(&stages(r#"{app="x"} |= "a" != "b""#)).unwrap();
    assert!(p.line_filters_only());
    assert!(p.test_line("xa"));
    assert!(!p.test_line("ab"));
    assert!(Pipeline::new(&[]).unwrap().is_noop());
    let p = Pipeline::new(&stages(r#"{app="x"} |= """#)).unwrap();
    assert!(p.is_noop());
    let p = Pipeline::new(&stages(
        r#"sum_over_time({app="x"} | logfmt | unwrap v [1m])"#,
    ))
    .unwrap();
    assert!(p.has_unwrap());
}

#[test]
fn timestamp_in_templates() {
    let p = run(
        r#"{app="x"} | line_format "{{ __timestamp__ | unixEpochNanos }}""#,
        APP,
        NO,
        "l",
    )
    .unwrap();
    assert_eq!(p.line, "1700000000123456789");
}

#[test]
fn template_errors_set_template_format_err() {
    // Execution errors keep the line and set TemplateFormatErr (Loki's fmt_test.go).
    let p = run(
        r#"{app="x"} | logfmt | line_format "{{.foo 1}}""#,
        APP,
        NO,
        "foo=bar",
    )
    .unwrap();
    assert_eq!(p.line, "foo=bar");
    assert_eq!(p.error(), Some("TemplateFormatErr"));
    // Loki: `template: line:1:2: executing "line" at <.foo>: foo is not a method but has
    // arguments`; the exact text is the template engine's business.
    let details = p.parsed.get("__error_details__").unwrap_or("");
    assert!(details.starts_with("template: line"), "{details}");
    // Unknown functions are rejected when the pipeline is built.
    let err = Pipeline::new(&[Stage::LineFormat("{{ nope_fn }}".into())]).unwrap_err();
    assert!(err.to_string().contains("invalid line template"), "{err}");
}

fn run_samples(q: &str, hints: &SampleHints, line: &str) -> Option<Processed> {
    let p = Pipeline::for_samples(&stages(q), hints).unwrap_or_else(|e| panic!("{q}: {e}"));
    p.process(1, line, &lbl(APP), &lbl(NO))
}

#[test]
fn metric_query_hints() {
    let by = |g: &[&str]| SampleHints {
        groups: g.iter().map(|s| s.to_string()).collect(),
        without: false,
        no_labels: false,
    };
    let singleton = SampleHints {
        groups: vec![],
        without: false,
        no_labels: true,
    };
    let count = r#"count_over_time({app="x"} | json [1m])"#;
    // `sum(count_over_time(... | json ...))`: nothing to extract, the parser does not run.
    let p = run_samples(count, &singleton, "not json").unwrap();
    assert_eq!(p.parsed, lbl(NO));
    // `sum by (level)`: parsing stops once `level` is found, a later error is not seen.
    let p = run_samples(count, &by(&["level"]), r#"{"level":"info","x":1, "bro"#).unwrap();
    assert_eq!(p.parsed, lbl(&[("level", "info")]));
    // ...but an error before it is.
    let p = run_samples(count, &by(&["level"]), "not json").unwrap();
    assert_eq!(p.error(), Some("JSONParserErr"));
    // Without hints (log queries) everything is parsed.
    let p = run(count, APP, NO, r#"{"level":"info","x":1, "bro"#).unwrap();
    assert_eq!(p.error(), Some("JSONParserErr"));
    // `by (__error__)` keeps errors as series: __preserve_error__.
    let p = run_samples(count, &by(&["__error__"]), "bad").unwrap();
    assert_eq!(p.parsed.get("__preserve_error__"), Some("true"));
    // `without` extracts everything.
    let hints = SampleHints {
        groups: vec!["level".into()],
        without: true,
        no_labels: false,
    };
    let p = run_samples(count, &hints, r#"{"level":"info","x":1}"#).unwrap();
    assert_eq!(p.parsed, lbl(&[("level", "info"), ("x", "1")]));
    // Labels read by later stages are extracted too.
    let q = r#"count_over_time({app="x"} | logfmt | status >= 500 | line_format "{{.msg}}" [1m])"#;
    let p = run_samples(q, &by(&["level"]), "level=e status=503 msg=boom other=1").unwrap();
    assert_eq!(p.line, "boom");
    assert_eq!(
        p.parsed,
        lbl(&[("level", "e"), ("status", "503"), ("msg", "boom")])
    );
    // Unwrap in `sum(sum_over_time(...))`: only the unwrapped label is extracted.
    let q = r#"sum_over_time({app="x"} | json | unwrap latency [1m])"#;
    let p = run_samples(q, &singleton, r#"{"a":"b","latency":2.5,"z":1}"#).unwrap();
    assert_eq!(p.value, Some(2.5));
    assert_eq!(p.parsed, lbl(&[("latency", "2.5")]));
}

/// Garbage lines through every parser must never panic (lines are request data).
#[test]
fn no_panics_on_garbage() {
    let queries = [
        r#"{app="x"} | json"#,
        r#"{app="x"} | json a="a.b[0]", b="[\"k\"]""#,
        r#"{app="x"} | logfmt --strict --keep-empty"#,
        r#"{app="x"} | logfmt a, b="c""#,
        r#"{app="x"} | unpack"#,
        r#"{app="x"} | pattern "<a> \"<b>\" <_> [<c>]""#,
        r#"{app="x"} | regexp "(?P<a>\\w+)=(?P<b>\\S*)""#,
        r#"{app="x"} |= ip("10.0.0.0/8") or ip("::1")"#,
        r#"{app="x"} |> "<_>=<_>\"<_>""#,
        r#"{app="x"} | decolorize | logfmt | a > 1 | b > 1s | c > 1KB"#,
    ];
    let pipelines: Vec<Pipeline> = queries
        .iter()
        .map(|q| Pipeline::new(&stages(q)).unwrap())
        .collect();
    let alphabet: Vec<char> = "{}[]\":,\\ =_eu0123456789abcfnrt.-:\u{e9}\u{FFFD}\u{1b}<>\t\n"
        .chars()
        .collect();
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut runs = 0;
    for _ in 0..3000 {
        let len = (next() % 40) as usize;
        let line: String = (0..len)
            .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
            .collect();
        for p in &pipelines {
            let _ = p.process(0, &line, &lbl(APP), &lbl(&[("a", "m")]));
            runs += 1;
        }
    }
    assert_eq!(runs, 30_000);
}

/// Go regex syntax: a `{` that does not start a repetition is a literal (an error in Rust).
#[test]
fn go_regex_literal_brace() {
    let p = Pipeline::new(&[Stage::LineFilter(LineFilter {
        op: LineFilterOp::Match,
        values: vec![LineFilterValue::Str(r#"{"level":"(error|warn)"}"#.into())],
    })])
    .unwrap();
    assert!(p.test_line(r#"x {"level":"warn"}"#));
    assert!(!p.test_line(r#"{"level":"info"}"#));
}
