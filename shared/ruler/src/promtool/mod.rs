//! Runs `promtool test rules` unit-test files (Prometheus `cmd/promtool/unittest.go`, docs
//! `configuration/unit_testing_rules.md`) through [`crate::eval::evaluate_group`] over a
//! `lakewatch_promql::MemStorage`, with promtool's pass/fail semantics and messages.
//!
//! Per test group: input series (series notation, step `interval`) are loaded lazily up to each
//! evaluation time; every group (ordered by `group_eval_order`, others in file order) is
//! evaluated at `0, evaluation_interval, …` up to the largest `eval_time`, its output
//! (recording results, `ALERTS`, stale markers) written back into the storage; alert tests at
//! `eval_time` compare the firing alerts after the evaluation at the last step `≤ eval_time`;
//! a rule error stops the test group (`rule: X, time: 1m0s, err: …`); `promql_expr_test`
//! queries run at the end over everything loaded and recorded. Times are ms from 0 (Unix
//! epoch), as promtool.

mod file;
pub mod format;
mod run;

use std::path::{Path, PathBuf};

pub use file::{
    AlertTestCase, DurationMs, ExpAlert, ExpSample, InputSeries, PromqlTestCase, StartTimestamp,
    TestGroup, UnitTestFile,
};

/// Result of one unit-test file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TestReport {
    /// The file as given.
    pub file: String,
    /// Test groups run (`tests` entries).
    pub groups_run: usize,
    /// Failure messages in promtool's order and words (each may span lines), e.g.
    /// `    alertname: HighErrorRate, time: 5m, \n        exp:[…], \n        got:[]`.
    pub errors: Vec<String>,
}

impl TestReport {
    /// True when promtool would print `SUCCESS` (exit 0).
    pub fn passed(&self) -> bool {
        self.errors.is_empty()
    }

    /// promtool's output for the file: `Unit Testing:  F\n  SUCCESS\n` or
    /// `Unit Testing:  F\n  FAILED:\n<error>\n\n<error>\n…` (promtool writes the errors to
    /// stderr, the rest to stdout).
    pub fn render(&self) -> String {
        let mut s = format!("Unit Testing:  {}\n", self.file);
        if self.passed() {
            s.push_str("  SUCCESS\n");
        } else {
            s.push_str("  FAILED:\n");
            for e in &self.errors {
                s.push_str(e);
                s.push_str("\n\n");
            }
        }
        s
    }
}

/// Runs the unit-test file at `path`. `Err` when the file cannot be read or is not a valid
/// unit-test file (promtool prints it under `FAILED:` too); everything else — rule-file errors,
/// rule evaluation errors, unexpected alerts or samples — is in the report's `errors`.
pub fn run_test_file(path: impl AsRef<Path>) -> Result<TestReport, String> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let file: UnitTestFile = serde_yaml::from_str(&text).map_err(|e| e.to_string())?;
    let base = path.parent().unwrap_or_else(|| Path::new("."));
    let rule_files = resolve_rule_files(base, &file.rule_files);
    let mut report = TestReport {
        file: path.display().to_string(),
        ..Default::default()
    };
    let mut order = std::collections::HashMap::new();
    for (i, g) in file.group_eval_order.iter().enumerate() {
        if order.insert(g.clone(), i).is_some() {
            report
                .errors
                .push(format!("group name repeated in evaluation order: {g}"));
            return Ok(report);
        }
    }
    let eval_interval = file.evaluation_interval.map_or(60_000, |d| d.0);
    for tg in &file.tests {
        report.groups_run += 1;
        let errs = run::run_test_group(tg, eval_interval, &order, &rule_files, file.fuzzy_compare);
        report.errors.extend(errs);
    }
    Ok(report)
}

/// Joins relative paths to the test file's directory and expands `*` / `?` globs in the last
/// path component (promtool `resolveAndGlobFilepaths`; unmatched patterns are dropped).
fn resolve_rule_files(base: &Path, files: &[String]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for f in files {
        if f.is_empty() {
            continue;
        }
        let p = Path::new(f);
        let p = if p.is_absolute() {
            p.to_path_buf()
        } else {
            base.join(p)
        };
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        if !name.contains(['*', '?']) {
            if p.exists() {
                out.push(p);
            }
            continue;
        }
        let dir = p.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut matched: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map(|rd| {
                rd.filter_map(|e| e.ok())
                    .filter(|e| glob_match(&name, &e.file_name().to_string_lossy()))
                    .map(|e| e.path())
                    .collect()
            })
            .unwrap_or_default();
        matched.sort();
        out.extend(matched);
    }
    out
}

/// `*` (any run) and `?` (one char) matching, as `filepath.Match` without classes.
fn glob_match(pat: &str, name: &str) -> bool {
    let p: Vec<char> = pat.chars().collect();
    let n: Vec<char> = name.chars().collect();
    let (mut pi, mut ni) = (0usize, 0usize);
    let (mut star, mut mark) = (None, 0usize);
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ni;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ni = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn globs() {
        assert!(glob_match("*.yml", "a.yml"));
        assert!(glob_match("rules-?.yml", "rules-1.yml"));
        assert!(!glob_match("*.yml", "a.yaml"));
    }
}
