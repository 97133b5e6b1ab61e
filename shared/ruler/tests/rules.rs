//! Rule files: the example files pass the real `promtool check rules` and our parser; bad files
//! get our errors word for word as promtool prints them (captured from Debian's promtool 2.42
//! and re-checked against it on every run); the Alertmanager example passes `amtool
//! check-config`; LogQL rule files parse; durations and labels survive the round trip.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use lakewatch_ruler::rules::{format_duration, parse_rule_file, parse_rule_group, ExprLanguage};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs a Debian tool, failing the test with an install hint when it is missing.
fn run_tool(tool: &str, args: &[&str]) -> std::process::Output {
    Command::new(tool).args(args).output().unwrap_or_else(|e| {
        panic!(
            "`{tool}` could not be run ({e}); install it with `DEBIAN_FRONTEND=noninteractive \
             apt-get install -y --no-install-recommends prometheus prometheus-alertmanager`"
        )
    })
}

/// `promtool check rules FILE`: (success, the error lines after `FAILED:` without the file
/// name prefix).
fn promtool_check(path: &Path) -> (bool, String) {
    let p = path.to_str().expect("utf-8 path");
    let out = run_tool("promtool", &["check", "rules", p]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let body = stderr
        .split_once("FAILED:\n")
        .map(|(_, b)| b)
        .unwrap_or("")
        .trim_end_matches('\n')
        .replace(&format!("{p}: "), "");
    (out.status.success(), body)
}

fn rule_files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
        .collect();
    out.sort();
    out
}

#[test]
fn example_promql_rule_files_pass_promtool_and_our_parser() {
    let files = rule_files(&repo_root().join("examples/rules"));
    assert!(
        files.len() >= 2,
        "expected example rule files, got {files:?}"
    );
    for f in files {
        let (ok, errs) = promtool_check(&f);
        assert!(ok, "promtool check rules {}: {errs}", f.display());
        let text = std::fs::read_to_string(&f).expect("read example");
        let parsed = parse_rule_file(&text, ExprLanguage::PromQL).unwrap_or_else(|e| {
            let lines: Vec<String> = e.iter().map(ToString::to_string).collect();
            panic!("{}: {}", f.display(), lines.join("\n"))
        });
        assert!(parsed.rule_count() > 0, "{}", f.display());
        for g in &parsed.groups {
            for r in g.rules.iter().filter(|r| r.is_alerting()) {
                let sev = r.labels.get("severity").map(String::as_str);
                assert!(
                    matches!(sev, Some("warning" | "critical")),
                    "{}: {} has severity {sev:?}",
                    f.display(),
                    r.name()
                );
                assert!(r.annotations.contains_key("summary"), "{}", r.name());
                assert!(r.annotations.contains_key("description"), "{}", r.name());
            }
        }
    }
}

#[test]
fn reference_alerts_are_all_there() {
    let text = std::fs::read_to_string(repo_root().join("examples/rules/ai-gateway-alerts.yml"))
        .expect("read alerts");
    let file = parse_rule_file(&text, ExprLanguage::PromQL).expect("valid");
    let names: Vec<&str> = file
        .groups
        .iter()
        .flat_map(|g| g.rules.iter().map(|r| r.name()))
        .collect();
    for want in [
        "HighErrorRate",
        "HighP95Latency",
        "TrafficSpike",
        "RateLimiterHitsWarning",
        "RateLimiterHitsCritical",
        "RateLimiterSpike",
        "RedisMemoryHigh",
        "HealthScoreLow",
    ] {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
}

#[test]
fn logql_rule_file_parses_and_validates() {
    let dir = repo_root().join("examples/rules/logs");
    let files = rule_files(&dir);
    assert!(
        !files.is_empty(),
        "no LogQL rule files in {}",
        dir.display()
    );
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read");
        let file = parse_rule_file(&text, ExprLanguage::LogQL).unwrap_or_else(|e| {
            let lines: Vec<String> = e.iter().map(ToString::to_string).collect();
            panic!("{}: {}", f.display(), lines.join("\n"))
        });
        assert!(file
            .groups
            .iter()
            .all(|g| g.language == ExprLanguage::LogQL));
        let exprs: Vec<&str> = file
            .groups
            .iter()
            .flat_map(|g| g.rules.iter().map(|r| r.expr.as_str()))
            .collect();
        assert!(
            exprs
                .iter()
                .any(|e| e.contains("{service_name=\"ai-gateway\"}")),
            "{exprs:?}"
        );
        let names: Vec<&str> = file
            .groups
            .iter()
            .flat_map(|g| g.rules.iter().map(|r| r.name()))
            .collect();
        for want in ["ErrorLogBurst", "UserAbuse", "ApiKeyAbuse"] {
            assert!(names.contains(&want), "{want} missing from {names:?}");
        }
        // The same file read as PromQL is rejected: LogQL is not PromQL.
        assert!(parse_rule_file(&text, ExprLanguage::PromQL).is_err());
    }
}

#[test]
fn logql_errors_name_group_and_rule() {
    let text = "groups:\n  - name: logs\n    rules:\n      - alert: Burst\n        expr: sum(rate({app=\"x\"} |= [5m]))\n      - alert: NotMetric\n        expr: '{app=\"x\"} |= \"error\"'\n";
    let errs = parse_rule_file(text, ExprLanguage::LogQL).expect_err("invalid");
    assert_eq!(errs.len(), 2, "{errs:?}");
    let first = errs[0].to_string();
    assert!(
        first.starts_with("5:15: group \"logs\", rule 1, \"Burst\": could not parse expression: "),
        "{first}"
    );
    let second = errs[1].to_string();
    assert!(
        second.starts_with(
            "7:15: group \"logs\", rule 2, \"NotMetric\": could not parse expression: "
        ),
        "{second}"
    );
}

#[test]
fn alertmanager_example_passes_amtool() {
    let path = repo_root().join("examples/alertmanager/alertmanager.yml");
    let out = run_tool(
        "amtool",
        &["check-config", path.to_str().expect("utf-8 path")],
    );
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "amtool check-config: {all}");
    assert!(all.contains("SUCCESS"), "{all}");
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(text.contains("severity=\"critical\"") || text.contains("severity: critical"));
    assert!(text.contains("severity=\"warning\"") || text.contains("severity: warning"));
}

/// Bad rule files and promtool 2.42's output for each (file name prefix removed).
const BAD: &[(&str, &str, &str)] = &[
    (
        "unparsable_expr",
        "groups:\n  - name: g\n    rules:\n      - alert: HighErrorRate\n        expr: sum(\n",
        "5:15: group \"g\", rule 1, \"HighErrorRate\": could not parse expression: 1:5: parse error: unclosed left parenthesis",
    ),
    (
        "record_and_alert",
        "groups:\n  - name: g\n    rules:\n      - record: job:foo:rate5m\n        alert: Both\n        expr: up\n",
        "4:17: 5:16: group \"g\", rule 1, \"Both\": only one of 'record' and 'alert' must be set",
    ),
    (
        "neither_record_nor_alert",
        "groups:\n  - name: g\n    rules:\n      - expr: up\n",
        "0:0: group \"g\", rule 1, \"\": one of 'record' or 'alert' must be set",
    ),
    (
        "recording_rule_fields",
        "groups:\n  - name: g\n    rules:\n      - record: \"bad-name\"\n        expr: up\n        for: 1m\n        keep_firing_for: 2m\n        annotations:\n          a: b\n",
        "4:17: group \"g\", rule 1, \"bad-name\": invalid field 'annotations' in recording rule\n\
         4:17: group \"g\", rule 1, \"bad-name\": invalid field 'for' in recording rule\n\
         4:17: group \"g\", rule 1, \"bad-name\": invalid field 'keep_firing_for' in recording rule\n\
         4:17: group \"g\", rule 1, \"bad-name\": invalid recording rule name: bad-name",
    ),
    (
        "record_with_braces",
        "groups:\n  - name: g\n    rules:\n      - record: \"a{b}\"\n        expr: up\n",
        "4:17: group \"g\", rule 1, \"a{b}\": invalid recording rule name: a{b}",
    ),
    (
        "invalid_label_name",
        "groups:\n  - name: g\n    rules:\n      - alert: Lbl\n        expr: up\n        labels:\n          \"bad-label\": x\n",
        "group \"g\", rule 1, \"Lbl\": invalid label name: bad-label",
    ),
    (
        "name_label",
        "groups:\n  - name: g\n    rules:\n      - alert: Lbl\n        expr: up\n        labels:\n          __name__: x\n",
        "group \"g\", rule 1, \"Lbl\": invalid label name: __name__",
    ),
    (
        "invalid_annotation_name",
        "groups:\n  - name: g\n    rules:\n      - alert: Ann\n        expr: up\n        annotations:\n          \"bad ann\": y\n",
        "group \"g\", rule 1, \"Ann\": invalid annotation name: bad ann",
    ),
    (
        "template_unclosed_action",
        "groups:\n  - name: g\n    rules:\n      - alert: Lbl\n        expr: up\n        annotations:\n          summary: \"{{ $labels.foo \"\n",
        "group \"g\", rule 1, \"Lbl\": annotation \"summary\": template: __alert_Lbl:1: unclosed action",
    ),
    (
        "template_unknown_function",
        "groups:\n  - name: g\n    rules:\n      - alert: Fn\n        expr: up\n        labels:\n          sev: \"{{ .Foo | nosuchfn }}\"\n",
        "group \"g\", rule 1, \"Fn\": label \"sev\": template: __alert_Fn:1: function \"nosuchfn\" not defined",
    ),
    (
        "unknown_function",
        "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: nosuchfunc(up)\n",
        "5:15: group \"g\", rule 1, \"A\": could not parse expression: 1:1: parse error: unknown function with name \"nosuchfunc\"",
    ),
    (
        "wrong_argument_type",
        "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: rate(up)\n",
        "5:15: group \"g\", rule 1, \"A\": could not parse expression: 1:6: parse error: expected type range vector in call to function \"rate\", got instant vector",
    ),
    (
        "expr_is_a_mapping",
        "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: {a: b}\n",
        "5:15: group \"g\", rule 1, \"A\": field 'expr' must be set in rule",
    ),
    (
        "record_is_a_mapping",
        "groups:\n  - name: g\n    rules:\n      - record: {a: b}\n        expr: up\n",
        "4:17: group \"g\", rule 1, \"\": one of 'record' or 'alert' must be set",
    ),
    (
        "flow_style_duplicate_group",
        "groups: [{name: g, rules: []}, {name: g, rules: []}]\n",
        "1:32: groupname: \"g\" is repeated in the same file",
    ),
    (
        "alias_duplicate_group",
        "groups:\n  - name: &n g\n    rules:\n      - alert: A\n        expr: up\n  - name: *n\n    rules: []\n",
        "6:5: groupname: \"g\" is repeated in the same file",
    ),
    (
        "quoted_keys",
        "groups:\n  - \"name\": g\n    rules:\n      - \"alert\": A\n        \"expr\": \"sum(\"\n",
        "5:17: group \"g\", rule 1, \"A\": could not parse expression: 1:5: parse error: unclosed left parenthesis",
    ),
    (
        "rules_scalar",
        "groups:\n  - name: g\n    rules: x\n",
        "yaml: unmarshal errors:\n  line 3: cannot unmarshal !!str `x` into []rulefmt.RuleNode",
    ),
    (
        "group_scalar",
        "groups:\n  - foo\n",
        "yaml: unmarshal errors:\n  line 2: cannot unmarshal !!str `foo` into rulefmt.RuleGroup",
    ),
    (
        "label_value_mapping",
        "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n        labels:\n          a: {b: c}\n",
        "yaml: unmarshal errors:\n  line 7: cannot unmarshal !!map into string",
    ),
    (
        "annotations_sequence",
        "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n        annotations: [a]\n",
        "yaml: unmarshal errors:\n  line 6: cannot unmarshal !!seq into map[string]string",
    ),
    (
        "for_sequence",
        "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n        for: [1m]\n",
        "yaml: unmarshal errors:\n  line 6: cannot unmarshal !!seq into string",
    ),
    (
        "yaml_unclosed_quote",
        "groups:\n  - name: \"g\n    rules: []\n",
        "yaml: line 2: found unexpected end of stream\nyaml: line 2: found unexpected end of stream",
    ),
    (
        "missing_expr",
        "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr:\n",
        "5:14: group \"g\", rule 1, \"A\": field 'expr' must be set in rule",
    ),
    (
        "absent_expr",
        "groups:\n  - name: g\n    rules:\n      - alert: A\n",
        "0:0: group \"g\", rule 1, \"A\": field 'expr' must be set in rule",
    ),
    (
        "duplicate_group",
        "groups:\n  - name: g\n    rules: []\n  - name: g\n    rules: []\n",
        "4:5: groupname: \"g\" is repeated in the same file",
    ),
    (
        "empty_group_name",
        "groups:\n  - name: \"\"\n    rules: []\n",
        "2:5: Groupname must not be empty",
    ),
    (
        "unknown_rule_field",
        "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n        foo: bar\n",
        "yaml: unmarshal errors:\n  line 6: field foo not found in type rulefmt.RuleNode",
    ),
    (
        "unknown_group_field",
        "groups:\n  - name: g\n    bogus: 1\n    rules: []\n",
        "yaml: unmarshal errors:\n  line 3: field bogus not found in type rulefmt.RuleGroup",
    ),
    (
        "unknown_top_field",
        "groupz: []\n",
        "yaml: unmarshal errors:\n  line 1: field groupz not found in type rulefmt.RuleGroups",
    ),
    (
        "type_errors",
        "groups:\n  - name: g\n    limit: abc\n    rules:\n      - alert: A\n        expr: up\n        labels: [a]\n        foo: 1\n",
        "yaml: unmarshal errors:\n  line 3: cannot unmarshal !!str `abc` into int\n  line 7: cannot unmarshal !!seq into map[string]string\n  line 8: field foo not found in type rulefmt.RuleNode",
    ),
    (
        "duplicate_key",
        "groups:\n  - name: g\n    name: h\n    rules: []\n",
        "yaml: unmarshal errors:\n  line 3: mapping key \"name\" already defined at line 2",
    ),
    (
        "bad_duration",
        "groups:\n  - name: g\n    interval: 5x\n    rules:\n      - alert: A\n        expr: up\n        for: 1h30m\n",
        "not a valid duration string: \"5x\"",
    ),
    (
        "fractional_duration",
        "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n        for: 1.5m\n",
        "not a valid duration string: \"1.5m\"",
    ),
    (
        "duration_out_of_order",
        "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n        for: 1m1h\n",
        "not a valid duration string: \"1m1h\"",
    ),
    (
        "top_level_scalar",
        "foo\n",
        "yaml: unmarshal errors:\n  line 1: cannot unmarshal !!str `foo` into rulefmt.RuleGroups\n\
         yaml: unmarshal errors:\n  line 1: cannot unmarshal !!str `foo` into rulefmt.ruleGroups",
    ),
    (
        "groups_scalar",
        "groups: foo\n",
        "yaml: unmarshal errors:\n  line 1: cannot unmarshal !!str `foo` into []rulefmt.RuleGroup\n\
         yaml: unmarshal errors:\n  line 1: cannot unmarshal !!str `foo` into []yaml.Node",
    ),
    (
        "yaml_mapping_in_value",
        "groups:\n  - name: g: h\n    rules: []\n",
        "yaml: line 2: mapping values are not allowed in this context\n\
         yaml: line 2: mapping values are not allowed in this context",
    ),
    (
        "yaml_bad_indent",
        "groups:\n  - name: g\n   rules: [\n",
        "yaml: line 1: did not find expected '-' indicator\n\
         yaml: line 1: did not find expected '-' indicator",
    ),
    (
        "yaml_tab",
        "groups:\n\t- name: g\n",
        "yaml: line 2: found character that cannot start any token\n\
         yaml: line 2: found character that cannot start any token",
    ),
];

/// Files promtool 2.42 accepts although they look wrong: null sequence items are dropped,
/// a float `limit` is truncated (go-yaml), a comment-only file has no groups.
const ACCEPTED: &[(&str, &str, usize)] = &[
    (
        "null_rule",
        "groups:\n  - name: g\n    rules:\n      - ~\n      - alert: A\n        expr: up\n",
        1,
    ),
    ("null_group", "groups:\n  -\n  - name: g\n", 0),
    (
        "float_limit",
        "groups:\n  - name: g\n    limit: 1.5\n    rules: []\n",
        0,
    ),
    ("comment_only", "# nothing\n", 0),
    (
        "numbers_as_names",
        "groups:\n  - name: 5\n    rules:\n      - alert: 7\n        expr: 1\n",
        1,
    ),
];

#[test]
fn files_promtool_accepts_are_accepted() {
    let dir = std::env::temp_dir().join(format!("lakewatch-rules-ok-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    for (name, text, rules) in ACCEPTED {
        let path = dir.join(format!("{name}.yml"));
        std::fs::write(&path, text).expect("write");
        let (ok, errs) = promtool_check(&path);
        assert!(ok, "{name}: promtool: {errs}");
        let f =
            parse_rule_file(text, ExprLanguage::PromQL).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_eq!(f.rule_count(), *rules, "{name}");
    }
    let _ = std::fs::remove_dir_all(&dir);
    let f = parse_rule_file(ACCEPTED[2].1, ExprLanguage::PromQL).expect("valid");
    assert_eq!(f.groups[0].limit, 1);
}

/// Removes the `L:C: ` Prometheus's PromQL parser puts before `parse error:`.
fn strip_expr_position(s: &str) -> String {
    let marker = "could not parse expression: ";
    match s.split_once(marker) {
        Some((head, tail)) => match tail.split_once("parse error: ") {
            Some((pos, rest))
                if pos
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == ':' || c == ' ') =>
            {
                format!("{head}{marker}parse error: {rest}")
            }
            _ => s.to_string(),
        },
        None => s.to_string(),
    }
}

#[test]
fn bad_rule_files_get_promtools_messages() {
    check_bad_files(BAD);
}

fn check_bad_files(cases: &[(&str, &str, &str)]) {
    let first = cases.first().map_or("none", |c| c.0);
    let dir = std::env::temp_dir().join(format!("lakewatch-rules-{}-{first}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut failures = Vec::new();
    for (name, text, want) in cases {
        let path = dir.join(format!("{name}.yml"));
        std::fs::write(&path, text).expect("write");
        let (ok, promtool) = promtool_check(&path);
        assert!(!ok, "{name}: promtool accepted it");
        assert_eq!(&promtool, want, "{name}: promtool's output changed");
        let ours = match parse_rule_file(text, ExprLanguage::PromQL) {
            Ok(_) => "<accepted>".to_string(),
            Err(errs) => errs
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n"),
        };
        // promql-parser reports no position inside the expression: compare without
        // promtool's `L:C: ` after `could not parse expression: ` (documented in docs/rules.md).
        let want = strip_expr_position(want);
        if ours != want {
            failures.push(format!("{name}:\n  ours:     {ours}\n  promtool: {want}"));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn accepted_forms_round_trip() {
    let text = r#"
groups:
  - name: api
    interval: 1h30m
    limit: 10
    query_offset: 1d
    labels:
      team: sre
    source_tenants: [a, b]
    rules:
      - record: job:http_requests:rate5m
        expr: sum by (job) (rate(http_requests_total[5m]))
        labels:
          kind: recorded
      - alert: Down
        expr: up == 0
        for: 1y2w3d4h5m6s7ms
        keep_firing_for: 0
        labels:
          severity: critical
        annotations:
          summary: "{{ $labels.instance }} down"
  - name: empty
  - name: legacy
    evaluation_delay: 30s
    align_evaluation_time_on_interval: true
    rules:
"#;
    let f = parse_rule_file(text, ExprLanguage::PromQL).expect("valid");
    assert_eq!(f.groups.len(), 3);
    let g = &f.groups[0];
    assert_eq!(g.interval, Some(Duration::from_secs(5400)));
    assert_eq!(g.limit, 10);
    assert_eq!(g.query_offset, Some(Duration::from_secs(86_400)));
    assert_eq!(g.labels.get("team").map(String::as_str), Some("sre"));
    assert_eq!(g.source_tenants, vec!["a".to_string(), "b".to_string()]);
    assert_eq!(
        g.rules[0].record.as_deref(),
        Some("job:http_requests:rate5m")
    );
    assert_eq!(g.rules[0].alert, None);
    let down = &g.rules[1];
    assert_eq!(down.name(), "Down");
    // Prometheus prints years and weeks only when they divide the duration exactly.
    assert_eq!(format_duration(down.for_), "382d4h5m6s7ms");
    assert_eq!(format_duration(Duration::from_secs(14 * 86_400)), "2w");
    assert_eq!(down.keep_firing_for, Duration::ZERO);
    assert_eq!(
        down.annotations.get("summary").map(String::as_str),
        Some("{{ $labels.instance }} down")
    );
    assert!(f.groups[1].rules.is_empty());
    assert_eq!(f.groups[1].interval, None);
    assert_eq!(f.groups[2].query_offset, Some(Duration::from_secs(30)));
    assert!(f.groups[2].align_evaluation_time_on_interval);
    assert_eq!(
        parse_rule_file("", ExprLanguage::PromQL),
        Ok(Default::default())
    );
    // Written back as YAML, the file reads back unchanged.
    let again = parse_rule_file(&f.to_yaml(), ExprLanguage::PromQL).expect("re-parse");
    assert_eq!(again, f);
    let group = parse_rule_group(&f.groups[0].to_yaml(), ExprLanguage::PromQL).expect("group");
    assert_eq!(group, f.groups[0]);
}

#[test]
fn examples_written_back_pass_promtool_and_read_back_unchanged() {
    let dir = std::env::temp_dir().join(format!("lakewatch-rules-rt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    for f in rule_files(&repo_root().join("examples/rules")) {
        let text = std::fs::read_to_string(&f).expect("read");
        let parsed = parse_rule_file(&text, ExprLanguage::PromQL).expect("valid");
        let yaml = parsed.to_yaml();
        let out = dir.join(f.file_name().expect("file name"));
        std::fs::write(&out, &yaml).expect("write");
        let (ok, errs) = promtool_check(&out);
        assert!(ok, "{}: promtool on our YAML: {errs}\n{yaml}", f.display());
        assert_eq!(parse_rule_file(&yaml, ExprLanguage::PromQL), Ok(parsed));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Compares our errors with promtool's on every `*.yml` in `$LAKEWATCH_RULES_COMPARE_DIR`
/// (a tool for finding new differences: `LAKEWATCH_RULES_COMPARE_DIR=/some/dir cargo test -p
/// lakewatch-ruler --test rules -- --ignored compare_dir_with_promtool --nocapture`).
#[test]
#[ignore = "needs LAKEWATCH_RULES_COMPARE_DIR"]
fn compare_dir_with_promtool() {
    let Ok(dir) = std::env::var("LAKEWATCH_RULES_COMPARE_DIR") else {
        return;
    };
    let mut differ = 0;
    for f in rule_files(Path::new(&dir)) {
        let text = std::fs::read_to_string(&f).expect("read");
        let (_, promtool) = promtool_check(&f);
        let ours = match parse_rule_file(&text, ExprLanguage::PromQL) {
            Ok(_) => String::new(),
            Err(errs) => errs
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n"),
        };
        if ours != strip_expr_position(&promtool) {
            differ += 1;
            println!(
                "{}:\n  ours:     {ours}\n  promtool: {promtool}",
                f.display()
            );
        }
    }
    assert_eq!(differ, 0, "files where our errors differ from promtool's");
}
