//! Runs Prometheus's PromQL conformance files (`/work/shared/conformance/promql/*.test`, or
//! `$PROMQL_CONFORMANCE_DIR`) through the engine, prints a per-file table, writes failure
//! details to `$CARGO_TARGET_TMPDIR/promql-conformance-failures.txt`, and enforces a ratchet:
//! no file may pass fewer evals than recorded in `tests/conformance-baseline.txt`.
//! `UPDATE_CONFORMANCE_BASELINE=1` rewrites the baseline upward (never lowers a count).
//! Like the Go runner, instant evals are also checked in range mode and with the @-modifier
//! step-invariance re-evaluations; `PROMQL_CONFORMANCE_AT_CHECK=0` skips the latter.

use lakewatch_promql::promqltest::{run_file, test_engine, FileReport, RunOptions, Status};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn conformance_dir() -> PathBuf {
    if let Ok(d) = std::env::var("PROMQL_CONFORMANCE_DIR") {
        return PathBuf::from(d);
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    // shared/promql -> repo root -> (sibling) /work/shared/conformance/promql
    for cand in [
        manifest.join("../../../shared/conformance/promql"),
        manifest.join("../../shared/conformance/promql"),
        PathBuf::from("/work/shared/conformance/promql"),
    ] {
        if cand.is_dir() {
            return cand;
        }
    }
    PathBuf::from("/work/shared/conformance/promql")
}

fn baseline_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance-baseline.txt")
}

/// Baseline lines: `<file> <min passed>`; `#` comments.
fn read_baseline() -> BTreeMap<String, usize> {
    let Ok(text) = std::fs::read_to_string(baseline_path()) else {
        return BTreeMap::new();
    };
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .filter_map(|l| {
            let mut it = l.split_whitespace();
            Some((it.next()?.to_string(), it.next()?.parse().ok()?))
        })
        .collect()
}

fn write_baseline(b: &BTreeMap<String, usize>) {
    let mut s = String::from(
        "# Minimum passing evals per conformance file (ratchet; see tests/conformance.rs).\n\
         # Regenerate upward with: UPDATE_CONFORMANCE_BASELINE=1 cargo test -p lakewatch-promql --test conformance\n",
    );
    for (f, n) in b {
        let _ = writeln!(s, "{f} {n}");
    }
    std::fs::write(baseline_path(), s).expect("write baseline");
}

#[test]
fn promql_conformance() {
    // Engine panics are caught per eval and reported as failures; keep the output readable.
    std::panic::set_hook(Box::new(|_| {}));
    let dir = conformance_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "test"))
        .collect();
    files.sort();
    let engine = test_engine();
    let opts = RunOptions {
        at_modifier_check: std::env::var("PROMQL_CONFORMANCE_AT_CHECK").map_or(true, |v| v != "0"),
        ..RunOptions::default()
    };
    let reports: Vec<FileReport> = files
        .iter()
        .map(|p| {
            let name = p
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .to_string();
            let text = std::fs::read_to_string(p).expect("read test file");
            run_file(&name, &text, &engine, opts)
        })
        .collect();
    let _ = std::panic::take_hook();

    let mut table = String::new();
    let _ = writeln!(
        table,
        "{:<28} {:>6} {:>12} {:>10} {:>7} {:>7}",
        "file", "evals", "unsupported", "parseable", "passed", "failed"
    );
    let (mut te, mut tu, mut tp, mut tpass, mut tf) = (0, 0, 0, 0, 0);
    for r in &reports {
        let _ = writeln!(
            table,
            "{:<28} {:>6} {:>12} {:>10} {:>7} {:>7}",
            r.name,
            r.evals(),
            r.unsupported(),
            r.parseable(),
            r.passed(),
            r.failed()
        );
        te += r.evals();
        tu += r.unsupported();
        tp += r.parseable();
        tpass += r.passed();
        tf += r.failed();
    }
    let _ = writeln!(
        table,
        "{:<28} {:>6} {:>12} {:>10} {:>7} {:>7}",
        "TOTAL", te, tu, tp, tpass, tf
    );
    println!("{table}");

    let mut details = String::new();
    for r in &reports {
        for o in &r.outcomes {
            let tag = match o.status {
                Status::Passed => continue,
                Status::Unsupported => "UNSUPPORTED",
                Status::Failed => "FAIL",
            };
            let _ = writeln!(
                details,
                "{}:{} [{tag}] {}\n    {}",
                r.name, o.line, o.expr, o.reason
            );
        }
    }
    let out_dir = option_env!("CARGO_TARGET_TMPDIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let _ = std::fs::create_dir_all(&out_dir);
    let out = out_dir.join("promql-conformance-failures.txt");
    std::fs::write(&out, format!("{table}\n{details}")).expect("write failures file");
    println!("failure details: {}", out.display());

    // Ratchet.
    let mut baseline = read_baseline();
    let mut regressions = Vec::new();
    for r in &reports {
        let min = baseline.get(&r.name).copied().unwrap_or(0);
        if r.passed() < min {
            regressions.push(format!(
                "{}: {} passed < baseline {}",
                r.name,
                r.passed(),
                min
            ));
        }
    }
    if std::env::var("UPDATE_CONFORMANCE_BASELINE").is_ok_and(|v| v == "1") {
        for r in &reports {
            let e = baseline.entry(r.name.clone()).or_insert(0);
            *e = (*e).max(r.passed());
        }
        write_baseline(&baseline);
        println!("baseline updated: {}", baseline_path().display());
    }
    println!("conformance: {tpass} passed, {tf} failed");
    assert!(
        regressions.is_empty(),
        "conformance regressions below baseline:\n{}",
        regressions.join("\n")
    );
}
