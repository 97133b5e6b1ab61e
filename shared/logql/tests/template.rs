//! Go `text/template` as Loki's `line_format`/`label_format` run it: every control structure
//! and every function of Loki's `template_functions.md`, with the output Go/Sprig produce.

use std::collections::BTreeMap;

use lakewatch_logql::template::{Template, TemplateContext};

/// 2009-11-10T23:04:05.123456789Z
const TS: i64 = 1_257_894_245_123_456_789;
const LINE: &str = "GET /api 200";

fn labels() -> BTreeMap<String, String> {
    [
        ("app", "api"),
        ("status", "500"),
        ("level", "error"),
        ("msg", "Hello World"),
        ("path", "/api/v1/users"),
        ("size", "1.5KB"),
        ("dur", "1m30s"),
        ("n", "5"),
        ("f", "2.5"),
        ("json", r#"{"a":1,"b":[1,2],"c":"x"}"#),
        ("b64", "aGVsbG8="),
        ("url", "a+b%26c"),
        ("epoch", "1673798889"),
        ("empty", ""),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn render_with(src: &str, labels: &BTreeMap<String, String>) -> Result<String, String> {
    let t = Template::parse(src)?;
    t.render(&TemplateContext {
        labels,
        line: LINE,
        timestamp_ns: TS,
    })
}

fn render(src: &str) -> Result<String, String> {
    render_with(src, &labels())
}

fn check(cases: &[(&str, &str)]) {
    let mut failures = Vec::new();
    for (src, want) in cases {
        match render(src) {
            Ok(got) if got == *want => {}
            other => failures.push(format!("{src:?}: want {want:?}, got {other:?}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn fields_pipelines_and_literals() {
    check(&[
        ("{{.app}}", "api"),
        ("{{ .missing }}", ""),
        ("x{{ .missing }}y", "xy"),
        ("{{ .app }} {{ .status }}", "api 500"),
        ("{{ .app | ToUpper }}", "API"),
        (
            "{{ .msg | lower | replace \"world\" \"there\" }}",
            "hello there",
        ),
        ("{{ 3 | printf \"%d items\" }}", "3 items"),
        (
            "{{ \"str\" }} {{ 42 }} {{ 1.5 }} {{ true }} {{ `raw\\n` }}",
            "str 42 1.5 true raw\\n",
        ),
        (
            "{{ 0x1F }} {{ 1e6 }} {{ 1000000.0 }} {{ -7 }}",
            "31 1e+06 1e+06 -7",
        ),
        ("{{/* a comment */}}x", "x"),
        ("a  {{- .app -}}  b", "aapib"),
        ("a {{- .app }} b", "aapi b"),
        ("{{ $.app }}", "api"),
        ("plain text", "plain text"),
        ("", ""),
    ]);
}

#[test]
fn control_structures() {
    check(&[
        (
            "{{ if eq .status \"500\" }}err{{ else if eq .status \"404\" }}nf{{ else }}ok{{ end }}",
            "err",
        ),
        (
            "{{ if eq .level \"info\" }}i{{ else if eq .level \"error\" }}e{{ else }}o{{ end }}",
            "e",
        ),
        ("{{ if .missing }}y{{ else }}n{{ end }}", "n"),
        ("{{ if eq .missing \"\" }}empty{{ end }}", "empty"),
        ("{{ if and .app (not .missing) }}yes{{ end }}", "yes"),
        ("{{ with .app }}[{{ . }}]{{ end }}", "[api]"),
        ("{{ with .missing }}x{{ else }}none{{ end }}", "none"),
        ("{{ with $x := .app }}{{ $x }}{{ end }}", "api"),
        ("{{ range (fromJson .json).b }}<{{ . }}>{{ end }}", "<1><2>"),
        ("{{ range $i, $e := (fromJson .json).b }}{{ $i }}:{{ $e }} {{ end }}", "0:1 1:2 "),
        ("{{ range (fromJson \"[]\") }}x{{ else }}empty{{ end }}", "empty"),
        (
            "{{ range $i, $e := (fromJson \"[1,2,3,4]\") }}{{ if eq $i 2 }}{{ break }}{{ end }}{{ $e }}{{ end }}",
            "12",
        ),
        (
            "{{ range $i, $e := (fromJson \"[1,2,3]\") }}{{ if eq $i 1 }}{{ continue }}{{ end }}{{ $e }}{{ end }}",
            "13",
        ),
        ("{{ range 3 }}{{ . }}{{ end }}", "012"),
        ("{{ $x := .app }}{{ $x }}-{{ $x | upper }}", "api-API"),
        ("{{ $x := 1 }}{{ $x = 2 }}{{ $x }}", "2"),
        ("{{ define \"x\" }}[{{ .app }}]{{ end }}{{ template \"x\" . }}", "[api]"),
    ]);
}

#[test]
fn whole_label_map() {
    let small: BTreeMap<String, String> = [("a", "1"), ("b", "x y")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let r = |s: &str| render_with(s, &small);
    assert_eq!(r("{{ . }}").unwrap(), "map[a:1 b:x y]");
    assert_eq!(
        r("{{ range $k, $v := . }}{{ $k }}={{ $v }};{{ end }}").unwrap(),
        "a=1;b=x y;"
    );
    assert_eq!(r("{{ range . }}{{ . }},{{ end }}").unwrap(), "1,x y,");
    assert_eq!(r("{{ len . }}").unwrap(), "2");
    // A missing label indexes to "" (map[string]string), a missing JSON key to nil.
    assert_eq!(
        r("{{ range $k, $v := . }}[{{ index $ (print $k \"x\") }}]{{ end }}").unwrap(),
        "[][]"
    );
    assert_eq!(
        r("{{ index (fromJson `{\"a\":1}`) \"b\" }}").unwrap(),
        "<nil>"
    );
    assert_eq!(r("{{ index \"abc\" 1 }}").unwrap(), "98");
    assert!(r("{{ index (fromJson `[1]`) 3 }}")
        .unwrap_err()
        .ends_with("error calling index: index out of range: 3"));
    assert_eq!(
        r("{{ index . \"b\" }}|{{ index . \"zz\" }}|").unwrap(),
        "x y||"
    );
}

#[test]
fn go_builtins() {
    check(&[
        ("{{ and .app .status }}", "500"),
        ("{{ and .app .missing .status }}", ""),
        ("{{ or .missing .app }}", "api"),
        ("{{ not .missing }}", "true"),
        ("{{ len .app }}", "3"),
        ("{{ index . \"app\" }}", "api"),
        ("{{ index (fromJson .json).b 1 }}", "2"),
        ("{{ print .app 1 2 \"x\" }}", "api1 2x"),
        (
            "{{ printf \"%s=%05.1f|%d|%q|%x|%v\" .app 3.14159 42 .app 255 true }}",
            "api=003.1|42|\"api\"|ff|true",
        ),
        ("{{ println .app 1 }}", "api 1\n"),
        ("{{ print 1e6 2.5 \"x\" }}", "1e+06 2.5x"),
        (
            "{{ printf \"%v|%v|%5v|%s\" 1e6 (fromJson .json) .app 5 }}",
            "1e+06|map[a:1 b:[1 2] c:x]|  api|%!s(int=5)",
        ),
        (
            "{{ printf \"%6.2f|%-4d|%x|%e|%d%%\" 3.14159 42 \"hi\" 1234.5678 5 }}",
            "  3.14|42  |6869|1.234568e+03|5%",
        ),
        ("{{ printf \"%s|%d\" }}", "%!s(MISSING)|%!d(MISSING)"),
        (
            "{{ html \"<a>\" }} {{ urlquery \"a b\" }} {{ js \"a'b\" }}",
            "&lt;a&gt; a+b a\\'b",
        ),
        ("{{ slice .app 1 2 }}", "p"),
        ("{{ eq .app \"api\" }}", "true"),
        ("{{ eq .level \"warn\" \"error\" }}", "true"),
        ("{{ ne .app \"x\" }}", "true"),
        ("{{ lt 1 2 }}", "true"),
        ("{{ le 2 2 }}", "true"),
        ("{{ gt .app \"aaa\" }}", "true"),
        ("{{ ge 1 2 }}", "false"),
    ]);
}

#[test]
fn line_and_timestamp() {
    check(&[
        ("{{ __line__ }}", LINE),
        ("{{ __line__ | ToUpper }}", "GET /API 200"),
        ("[{{ .app }}] {{ __line__ }}", "[api] GET /api 200"),
        (
            "{{ __timestamp__ }}",
            "2009-11-10 23:04:05.123456789 +0000 UTC",
        ),
        (
            "{{ __timestamp__ | date \"2006-01-02T15:04:05.000Z07:00\" }}",
            "2009-11-10T23:04:05.123Z",
        ),
        (
            "{{ date \"Mon Jan _2 15:04:05 2006\" __timestamp__ }}",
            "Tue Nov 10 23:04:05 2009",
        ),
        (
            "{{ __timestamp__ | date \"3:04PM 002 .999999\" }}",
            "11:04PM 314 .123456",
        ),
        (
            "{{ __timestamp__ | date \"January 2, 06 Monday\" }}",
            "November 10, 09 Tuesday",
        ),
        ("{{ __timestamp__ | unixEpoch }}", "1257894245"),
        ("{{ __timestamp__ | unixEpochMillis }}", "1257894245123"),
        (
            "{{ __timestamp__ | unixEpochNanos }}",
            "1257894245123456789",
        ),
    ]);
}

#[test]
fn date_functions() {
    check(&[
        ("{{ date \"2006-01-02\" 0 }}", "1970-01-01"),
        ("{{ toDate \"2006-01-02\" \"2024-02-29\" }}", "2024-02-29 00:00:00 +0000 UTC"),
        ("{{ toDate \"2006-01-02\" \"2024-02-29\" | unixEpoch }}", "1709164800"),
        ("{{ toDate \"2006-01-02\" \"nope\" }}", "0001-01-01 00:00:00 +0000 UTC"),
        (
            "{{ toDate \"2006-01-02 15:04 -0700\" \"2024-01-02 10:00 -0500\" | date \"15:04\" }}",
            "15:00",
        ),
        (
            "{{ toDate \"02/Jan/2006:15:04:05 -0700\" \"10/Oct/2000:13:55:36 -0700\" | unixEpoch }}",
            "971211336",
        ),
        ("{{ toDateInZone \"2006-01-02\" \"UTC\" \"2024-01-02\" | unixEpoch }}", "1704153600"),
        (
            "{{ toDateInZone \"2006-01-02 15:04\" \"America/New_York\" \"2021-11-02 10:00\" }}",
            "2021-11-02 10:00:00 -0400 EDT",
        ),
        (
            "{{ toDateInZone \"2006-01-02 15:04\" \"America/New_York\" \"2021-11-02 10:00\" | unixEpoch }}",
            "1635861600",
        ),
        (
            "{{ toDateInZone \"2006-01-02 15:04\" \"Europe/Paris\" \"2021-01-02 10:00\" | date \"15:04 MST\" }}",
            "09:00 UTC",
        ),
        ("{{ toDateInZone \"2006-01-02\" \"No/Such_Zone\" \"2024-01-02\" | unixEpoch }}", "1704153600"),
        ("{{ unixToTime .epoch }}", "2023-01-15 16:08:09 +0000 UTC"),
        ("{{ unixToTime \"19373\" | date \"2006-01-02\" }}", "2023-01-16"),
        ("{{ unixToTime \"1673798889902\" | unixEpochMillis }}", "1673798889902"),
        ("{{ gt (now | unixEpoch | int) 1700000000 }}", "true"),
        ("{{ .dur | duration }}", "90"),
        ("{{ duration_seconds \"1.5s\" }}", "1.5"),
        ("{{ duration \"250ms\" }}", "0.25"),
        ("{{ .size | bytes }}", "1500"),
        ("{{ bytes \"1MB\" }}", "1e+06"),
        ("{{ bytes \"2 KiB\" }}", "2048"),
    ]);
}

#[test]
fn string_functions() {
    check(&[
        ("{{ ToLower .msg }}", "hello world"),
        ("{{ ToUpper .msg }}", "HELLO WORLD"),
        ("{{ Replace .msg \"l\" \"L\" 2 }}", "HeLLo World"),
        ("{{ Replace .msg \"o\" \"0\" -1 }}", "Hell0 W0rld"),
        ("{{ Trim \"xxhixx\" \"x\" }}", "hi"),
        ("{{ TrimLeft \"xxhixx\" \"x\" }}", "hixx"),
        ("{{ TrimRight \"xxhixx\" \"x\" }}", "xxhi"),
        ("{{ TrimPrefix .path \"/api\" }}", "/v1/users"),
        ("{{ TrimSuffix .path \"/users\" }}", "/api/v1"),
        ("{{ TrimSpace \"  a b  \" }}", "a b"),
        ("[{{ alignLeft 5 .app }}]", "[api  ]"),
        ("{{ alignLeft 2 .app }}", "ap"),
        ("[{{ alignRight 5 .app }}]", "[  api]"),
        ("{{ alignRight 2 .app }}", "pi"),
        ("{{ b64enc .app }}", "YXBp"),
        ("{{ b64dec .b64 }}", "hello"),
        ("{{ b64dec \"aGk\" }}", "hi"),
        ("{{ .missing | default \"none\" }}", "none"),
        ("{{ .app | default \"none\" }}", "api"),
        ("{{ default \"d\" .empty }}", "d"),
        ("{{ default \"d\" 0 }}", "d"),
        ("{{ (fromJson .json).c }}", "x"),
        ("{{ fromJson .json }}", "map[a:1 b:[1 2] c:x]"),
        ("{{ fromJson \"not json\" }}", "<nil>"),
        ("{{ lower \"ABC\" }}", "abc"),
        ("{{ upper \"abc\" }}", "ABC"),
        ("{{ title \"hello wide-world\" }}", "Hello Wide-World"),
        ("{{ indent 2 \"a\\nb\" }}", "  a\n  b"),
        ("{{ nindent 2 \"a\\nb\" }}", "\n  a\n  b"),
        ("{{ repeat 3 \"ab\" }}", "ababab"),
        ("{{ replace \" \" \"_\" .msg }}", "Hello_World"),
        ("{{ substr 0 5 .msg }}", "Hello"),
        ("{{ substr 6 100 .msg }}", "World"),
        ("{{ substr -1 5 .msg }}", "Hello"),
        ("{{ trim \"  x  \" }}", "x"),
        ("{{ trimAll \"$\" \"$5.00$\" }}", "5.00"),
        ("{{ trimPrefix \"/api\" .path }}", "/v1/users"),
        ("{{ trimSuffix \"/users\" .path }}", "/api/v1"),
        ("{{ trunc 5 .msg }}", "Hello"),
        ("{{ trunc -5 .msg }}", "World"),
        ("{{ trunc 50 .msg }}", "Hello World"),
        ("{{ urlencode \"a b&c=d\" }}", "a+b%26c%3Dd"),
        ("{{ urldecode .url }}", "a b&c"),
    ]);
}

#[test]
fn logic_and_regex_functions() {
    check(&[
        ("{{ contains \"api\" .path }}", "true"),
        ("{{ contains \"zzz\" .path }}", "false"),
        ("{{ if contains \"v1\" .path }}v1{{ end }}", "v1"),
        ("{{ hasPrefix \"/api\" .path }}", "true"),
        ("{{ hasSuffix \"users\" .path }}", "true"),
        ("{{ hasSuffix \"api\" .path }}", "false"),
        ("{{ count \"l\" .msg }}", "3"),
        ("{{ count `[aeiou]` .msg }}", "3"),
        // Go's \w is ASCII-only.
        ("{{ count `\\w+` \"héllo wörld\" }}", "4"),
        (
            "{{ regexReplaceAll `(\\w+) (\\w+)` .msg \"${2} $1\" }}",
            "World Hello",
        ),
        (
            "{{ regexReplaceAllLiteral `o` .msg \"$1\" }}",
            "Hell$1 W$1rld",
        ),
    ]);
}

#[test]
fn math_functions() {
    check(&[
        ("{{ add 1 2 .n }}", "8"),
        ("{{ .status | int | add 1 }}", "501"),
        ("{{ sub .n 2 }}", "3"),
        ("{{ mul 2 3 .n }}", "30"),
        ("{{ div 7 2 }}", "3"),
        ("{{ mod 7 .n }}", "2"),
        ("{{ addf 0.1 0.2 }}", "0.3"),
        ("{{ subf 1 0.9 }}", "0.1"),
        ("{{ mulf 1.1 3 }}", "3.3"),
        ("{{ divf 10 4 }}", "2.5"),
        ("{{ divf 1 3 }}", "0.3333333333333333"),
        ("{{ max 1 .n 3 }}", "5"),
        ("{{ min 4 .n 3 }}", "3"),
        ("{{ maxf 1.5 .f }}", "2.5"),
        ("{{ minf 1.5 .f }}", "1.5"),
        ("{{ ceil .f }}", "3"),
        ("{{ floor .f }}", "2"),
        ("{{ round 3.14159 2 }}", "3.14"),
        ("{{ round 2.5 0 }}", "3"),
        ("{{ round 1.25 1 0.6 }}", "1.2"),
        ("{{ int .f }}", "2"),
        ("{{ int \"0x10\" }}", "16"),
        ("{{ int \"abc\" }}", "0"),
        ("{{ float64 .n }}", "5"),
        ("{{ float64 \"1e6\" }}", "1e+06"),
        ("{{ (fromJson .json).a | add 1 }}", "2"),
    ]);
}

#[test]
fn parse_errors_use_go_text() {
    assert_eq!(
        Template::parse("{{ foo .app }}").unwrap_err(),
        "template: line:1: function \"foo\" not defined"
    );
    assert_eq!(
        Template::parse("a\n{{ .x | bar }}").unwrap_err(),
        "template: line:2: function \"bar\" not defined"
    );
    assert_eq!(
        Template::parse_named("{{ foo }}", "label").unwrap_err(),
        "template: label:1: function \"foo\" not defined"
    );
    assert_eq!(
        Template::parse("{{ .app").unwrap_err(),
        "template: line:1: unclosed action"
    );
    for (src, want) in [
        ("{{ if .a }}x", "template: line:1: unexpected EOF"),
        ("x{{ end }}y", "template: line:1: unexpected {{end}}"),
        ("{{ else }}", "template: line:1: unexpected {{else}}"),
        ("{{ $x }}", "template: line:1: undefined variable \"$x\""),
        (
            "{{ $x = 1 }}",
            "template: line:1: undefined variable \"$x\"",
        ),
        (
            "{{ break }}",
            "template: line:1: {{break}} outside {{range}}",
        ),
        ("{{ .a | }}", "template: line:1: empty command"),
    ] {
        assert_eq!(Template::parse(src).unwrap_err(), want, "{src}");
    }
    // Structure that is fine: nested blocks, else-if chains, comments and quoted braces.
    for src in [
        "{{ if .a }}{{ range $i, $v := . }}{{ if eq $i \"x\" }}{{ break }}{{ end }}{{ end }}{{ else if .b }}b{{ else }}c{{ end }}",
        "{{- /* {{ end }} */ -}}{{ \"{{ end }}\" }}{{ `}}` }}",
        "{{ with $x := .a }}{{ $x }}{{ else }}{{ $x }}{{ end }}",
    ] {
        assert!(Template::parse(src).is_ok(), "{src}: {:?}", Template::parse(src).err());
    }
}

#[test]
fn render_errors() {
    let err = |s: &str| render(s).unwrap_err();
    // Go's full text, as Loki puts it in __error_details__.
    assert_eq!(
        err("{{ substr -1 50 .msg }}"),
        "template: line:1:3: executing \"line\" at <substr -1 50 .msg>: error calling substr: \
         runtime error: slice bounds out of range [:50] with length 11"
    );
    assert_eq!(
        err("a\n{{ .msg | trunc 2 | substr 5 50 }}"),
        "template: line:2:20: executing \"line\" at <substr 5 50>: error calling substr: \
         runtime error: slice bounds out of range [5:2]"
    );
    assert_eq!(
        err("{{ duration \"1d\" }}"),
        "template: line:1:3: executing \"line\" at <duration \"1d\">: error calling duration: \
         time: unknown unit \"d\" in duration \"1d\""
    );
    assert_eq!(
        err("{{ trunc 5 }}"),
        "template: line:1:3: executing \"line\" at <trunc>: wrong number of args for trunc: want 2 got 1"
    );
    assert_eq!(
        err("{{ regexReplaceAll \"(\" .msg \"x\" }}")
            .split(": error calling")
            .next(),
        Some("template: line:1:3: executing \"line\" at <regexReplaceAll \"(\" ...>")
    );
    assert!(
        err("{{ substr -1 50 .msg }}").contains(
            "error calling substr: runtime error: slice bounds out of range [:50] with length 11"
        ),
        "{}",
        err("{{ substr -1 50 .msg }}")
    );
    assert!(
        err("{{ div 1 0 }}").contains("error calling div: runtime error: integer divide by zero")
    );
    assert!(err("{{ divf 1 0 }}").contains("error calling divf: decimal division by 0"));
    assert!(err("{{ .dur | duration | int }}x{{ duration \"1d\" }}")
        .contains("time: unknown unit \"d\" in duration \"1d\""));
    assert!(err("{{ bytes \"12 parsecs\" }}").contains("unhandled size name: parsecs"));
    assert!(err("{{ unixToTime \"123\" }}").contains("unable to parse time '123'"));
    assert!(err("{{ urldecode \"%zz\" }}").contains("invalid URL escape \"%zz\""));
    assert!(err("{{ count \"(\" .msg }}").contains("error calling count: error parsing regexp"));
    assert!(err("{{ trunc .n .msg }}").contains("expected int; got string"));
    assert!(err("{{ .app | len | ToUpper }}").contains("expected string; got int"));
    assert_eq!(
        err("{{ .app.x }}"),
        "template: line:1:7: executing \"line\" at <.app.x>: can't evaluate field x in type string"
    );
}

#[test]
fn templates_are_reusable_and_report_labels() {
    let t = Template::parse("{{ .b }}-{{ $.a }}-{{ index . \"c\" }}-{{ __line__ }}").unwrap();
    assert_eq!(t.required_labels(), vec!["a", "b", "c"]);
    let mut l = BTreeMap::new();
    for (i, line) in ["one", "two"].iter().enumerate() {
        l.insert("a".to_string(), i.to_string());
        let out = t
            .render(&TemplateContext {
                labels: &l,
                line,
                timestamp_ns: 0,
            })
            .unwrap();
        assert_eq!(out, format!("-{i}--{line}"));
    }
}

/// The examples of Loki's `docs/sources/query/template_functions.md`, with the output Go
/// prints (the docs write `124.0` for `ceil 123.001`, Go prints `124`; they give `1.5` for
/// `minf 1 2.5 3`, Sprig returns `1`).
#[test]
fn loki_documentation_examples() {
    let mut l = labels();
    l.insert("queries".into(), r#"[{"query":"a"},{"query":"b"}]"#.into());
    l.insert("err".into(), "ErrTimeout".into());
    l.insert("some_label".into(), "aaabc".into());
    l.insert("ts".into(), "ts=123".into());
    let cases = [
        ("{{ .path | replace \"/\" \"_\" | trunc 5 | upper }}", "_API_"),
        ("{{ if and (contains \"he\" \"hello\") (contains \"llo\" \"hello\") }} yes {{end}}", " yes "),
        ("{{ if contains \"ErrTimeout\" .missing }} timeout {{else if contains \"he\" \"hello\"}} yes {{else}} no {{end}}", " yes "),
        ("{{ __timestamp__ | date \"2006-01-02T15:04:05.00Z-07:00\" }}", "2009-11-10T23:04:05.12Z+00:00"),
        ("{{ date \"2006-01-02\" (unixToTime .epoch) }}", "2023-01-15"),
        ("{{ toDate \"2006-01-02\" \"2021-11-02\" }}", "2021-11-02 00:00:00 +0000 UTC"),
        ("{{ \"2021-11-02T10:00:00.5Z\" | toDateInZone \"2006-01-02T15:04:05.999999999Z\" \"UTC\" | unixEpochMillis }}", "1635847200500"),
        ("{{ alignLeft 5 \"hello world\"}}", "hello"),
        ("{{ alignLeft 5 \"hi\"}}", "hi   "),
        ("{{ alignRight 5 \"hello world\"}}", "world"),
        ("{{ alignRight 5 \"hi\"}}", "   hi"),
        ("{{ default \"-\" \"\" }}", "-"),
        ("{{ default \"-\" \"foo\" }}", "foo"),
        ("{{fromJson \"{\\\"foo\\\": 55}\"}}", "map[foo:55]"),
        ("{{ range $q := fromJson .queries }} {{ $q.query }} {{ end }}", " a  b "),
        ("{{ repeat 3 \"hello\" }}", "hellohellohello"),
        ("{{ printf \"The IP address was %s\" \"129.168.1.1\" }}", "The IP address was 129.168.1.1"),
        ("{{ printf \"%-5.5s|%15.15s\" \"GETTING\" \"host\" }}", "GETTI|           host"),
        ("{{ replace \"hello\" \"world\" \"hello world\" }}", "world world"),
        ("{{ substr 0 5 \"hello world\"}}", "hello"),
        ("{{ substr 6 11 \"hello world\"}}", "world"),
        ("{{ title \"hello world\"}}", "Hello World"),
        ("{{ trim \"   hello    \" }}", "hello"),
        ("{{ trimAll \"$\" \"$5.00\" }}", "5.00"),
        ("{{ trimPrefix \"-\" \"-hello\" }}", "hello"),
        ("{{ trimSuffix \"-\" \"hello-\" }}", "hello"),
        ("{{ trunc 5 \"hello world\"}}", "hello"),
        ("{{ trunc -5 \"hello world\"}}", "world"),
        ("{{ if contains \"he\" \"hello\" }} yes {{end}}", " yes "),
        ("{{ if eq \"ErrTimeout\" .err }} timeout {{end}}", " timeout "),
        // Sprig's argument order (substring first): the docs' example never matches.
        ("{{ if hasSuffix .err \"Timeout\" }} timeout {{end}}", ""),
        ("{{ if hasPrefix \"he\" \"hello\" }} yes {{end}}", " yes "),
        ("{{ add 3 2 5 }}", "10"),
        ("{{ addf 3.5 2 5 }}", "10.5"),
        ("{{ ceil 123.001 }}", "124"),
        ("{{ div 10 2}}", "5"),
        ("{{ divf 10 2 4}}", "1.25"),
        ("{{ \"3.5\" | float64 }}", "3.5"),
        ("{{ floor 123.9999 }}", "123"),
        ("{{ \"3\" | int }}", "3"),
        ("{{ max 1 2 3 }}", "3"),
        ("{{ maxf 1 2.5 3 }}", "3"),
        ("{{ min 1 2 3 }}", "1"),
        // The docs say 1.5; Sprig's minf is math.Min over all arguments.
        ("{{ minf 1 2.5 3 }}", "1"),
        ("{{ mul 5 2 3}}", "30"),
        ("{{ mulf 5.5 2 2.5 }}", "27.5"),
        ("{{ mod 10 3}}", "1"),
        ("{{ round 123.555555 3 }}", "123.556"),
        ("{{ round 123.88571428571 5 .2 }}", "123.88572"),
        ("{{ sub 5 2 }}", "3"),
        ("{{ subf  5.5 2 1.5 }}", "2"),
        ("{{ count \"a|b\" \"abab\" }}", "4"),
        ("{{ count \"o\" \"foo\" }}", "2"),
        ("{{ __line__ | count \"GET\" }}", "1"),
        ("{{ regexReplaceAll \"(a*)bc\" .some_label \"${1}a\" }}", "aaaa"),
        ("{{ regexReplaceAllLiteral \"(ts=)\" .ts \"timestamp=\" }}", "timestamp=123"),
    ];
    let mut failures = Vec::new();
    for (src, want) in cases {
        match render_with(src, &l) {
            Ok(got) if got == want => {}
            other => failures.push(format!("{src:?}: want {want:?}, got {other:?}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn template_is_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Template>();
    let t = std::sync::Arc::new(Template::parse("{{ .app }}:{{ __line__ }}").unwrap());
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let t = t.clone();
            std::thread::spawn(move || {
                let l = labels();
                let line = format!("line{i}");
                t.render(&TemplateContext {
                    labels: &l,
                    line: &line,
                    timestamp_ns: 0,
                })
            })
        })
        .collect();
    for (i, h) in handles.into_iter().enumerate() {
        assert_eq!(h.join().unwrap().unwrap(), format!("api:line{i}"));
    }
}
