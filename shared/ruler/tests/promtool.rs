//! `promtool test rules` files under `tests/promtool/` run through our runner with the same
//! verdicts (and, for the failing file, the same messages) as the real Debian promtool 2.42.

use std::path::{Path, PathBuf};
use std::process::Command;

use lakewatch_ruler::promtool::run_test_file;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/promtool")
}

fn test_files() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir())
        .expect("tests/promtool exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with("_test.yml"))
        .collect();
    v.sort();
    v
}

/// promtool's combined output (stdout + stderr) and whether it passed, if promtool is here.
fn promtool(file: &Path) -> Option<(bool, String)> {
    let out = Command::new("promtool")
        .arg("test")
        .arg("rules")
        .arg(file.file_name()?)
        .current_dir(file.parent()?)
        .output()
        .ok()?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Some((out.status.success(), text))
}

#[test]
fn passing_files_pass() {
    let files = test_files();
    assert!(files.len() >= 7, "expected the test files, got {files:?}");
    for f in files {
        if f.to_string_lossy().contains("/failing") {
            continue;
        }
        let report = run_test_file(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert!(report.groups_run >= 1);
        assert!(report.passed(), "{}", report.render());
        if let Some((ok, text)) = promtool(&f) {
            assert!(ok, "promtool failed on {}:\n{text}", f.display());
        }
    }
}

#[test]
fn failing_file_fails_with_promtool_messages() {
    let f = dir().join("failing_test.yml");
    let report = run_test_file(&f).expect("readable");
    assert!(!report.passed());
    assert_eq!(report.errors.len(), 4, "{}", report.render());
    assert!(report.errors[0].starts_with(
        "    name: wrong alert expectations,\n    alertname: DiskFull, time: 0s, \n        exp:["
    ));
    assert!(report.errors[0].ends_with("        got:[]"));
    assert!(report.errors[2].contains("exp: {__name__=\"disk:free:sum\"} 5E+02"));
    assert!(report.errors[2].contains("got: {__name__=\"disk:free:sum\"} 5.5E+02"));
    assert!(report.errors[3].ends_with("got: nil"));
    if let Some((ok, text)) = promtool(&f) {
        assert!(!ok);
        // Every message of ours appears verbatim in promtool's output.
        for e in &report.errors {
            assert!(
                text.contains(e.as_str()),
                "promtool output lacks\n{e}\n---\n{text}"
            );
        }
    }
}

#[test]
fn rule_errors_stop_the_test_group_like_promtool() {
    let f = dir().join("failing_eval_error_test.yml");
    let report = run_test_file(&f).expect("readable");
    assert_eq!(
        report.errors,
        vec!["    rule: ManyDown, time: 1m0s, err: exceeded limit of 1 with 2 alerts".to_string()]
    );
    if let Some((ok, text)) = promtool(&f) {
        assert!(!ok);
        assert!(text.contains(report.errors[0].as_str()), "{text}");
    }
}

#[test]
fn start_timestamp_shifts_inputs_and_evaluations() {
    // Prometheus 3 only (promtool 2.42 rejects the field), so not in tests/promtool/.
    let tmp = std::env::temp_dir().join(format!("lw-promtool-st-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).expect("tmp dir");
    std::fs::write(
        tmp.join("r.yml"),
        "groups:\n  - name: g\n    rules:\n      - alert: Down\n        expr: up == 0\n        for: 1m\n      - record: t\n        expr: timestamp(up)\n",
    )
    .expect("write");
    let f = tmp.join("t.yml");
    std::fs::write(
        &f,
        "rule_files: [r.yml]\ntests:\n  - interval: 1m\n    start_timestamp: '2024-01-01T00:00:00Z'\n    input_series:\n      - series: 'up{i=\"a\"}'\n        values: '0 0 0'\n    alert_rule_test:\n      - eval_time: 1m\n        alertname: Down\n        exp_alerts: [{exp_labels: {i: a}}]\n    promql_expr_test:\n      - expr: t\n        eval_time: 2m\n        exp_samples: [{labels: 't{i=\"a\"}', value: 1704067320}]\n",
    )
    .expect("write");
    let r = run_test_file(&f).expect("valid file");
    assert!(r.passed(), "{}", r.render());
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn missing_alertname_and_bad_file() {
    let tmp = std::env::temp_dir().join(format!("lw-promtool-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).expect("tmp dir");
    let f = tmp.join("t.yml");
    std::fs::write(
        &f,
        "tests:\n  - interval: 1m\n    name: g1\n    alert_rule_test:\n      - eval_time: 5m\n",
    )
    .expect("write");
    let r = run_test_file(&f).expect("valid file");
    assert_eq!(
        r.errors,
        vec![
            "an item under alert_rule_test misses required attribute alertname at eval_time 5m (in TestGroup g1)"
                .to_string()
        ]
    );
    std::fs::write(&f, "tests:\n  - interval: 1m\n    bogus: 1\n").expect("write");
    let e = run_test_file(&f).expect_err("unknown field");
    assert!(e.contains("bogus"), "{e}");
    std::fs::write(&f, "group_eval_order: [a, a]\ntests: []\n").expect("write");
    let r = run_test_file(&f).expect("valid file");
    assert_eq!(
        r.errors,
        vec!["group name repeated in evaluation order: a".to_string()]
    );
    let _ = std::fs::remove_dir_all(&tmp);
}
