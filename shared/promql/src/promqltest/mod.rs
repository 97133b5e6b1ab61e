//! Runner for Prometheus's PromQL conformance files (`promql/promqltest/testdata/*.test`).
//!
//! Format: `reference/prometheus.md` §1.2 (from Prometheus `promql/promqltest/test.go`).
//! [`run_file`] parses a file, loads data into a [`crate::MemStorage`], evaluates every `eval`
//! with [`test_engine`] (lookback 5m, max samples 10000, subquery step 1m) and classifies each
//! eval as [`Status::Unsupported`] (promql-parser rejects the expression), [`Status::Passed`]
//! or [`Status::Failed`] (with a reason). Comparison follows Go `compareResult`: relative
//! epsilon 1e-6, NaN == NaN, StaleNaN only == StaleNaN, histograms after `compact(0)`.
//! Also done, as in Go: the range-mode equivalence check and the @-modifier step-invariance
//! re-evaluations ([`RunOptions`]). Not done: start timestamps (`@st` lines are skipped; the
//! storage keeps none).

pub mod at_modifier;
pub mod compare;
pub mod nhcb;
pub mod parse;
pub mod run;
pub mod series;
pub mod tsdb_hints;

pub use parse::{parse_test_file, Command, EvalCmd, EvalKind, Expected, LoadCmd, TextMatch};
pub use run::{run_commands, test_engine, EvalOutcome, RunOptions, Status};

use crate::Engine;

/// Outcomes of one `.test` file.
#[derive(Debug, Clone)]
pub struct FileReport {
    /// File name (e.g. `functions.test`).
    pub name: String,
    pub outcomes: Vec<EvalOutcome>,
}

impl FileReport {
    fn count(&self, s: Status) -> usize {
        self.outcomes.iter().filter(|o| o.status == s).count()
    }
    /// Number of eval blocks (including unparsable blocks).
    pub fn evals(&self) -> usize {
        self.outcomes.len()
    }
    /// Evals whose expression promql-parser rejects.
    pub fn unsupported(&self) -> usize {
        self.count(Status::Unsupported)
    }
    /// Evals whose expression parses (= passed + failed).
    pub fn parseable(&self) -> usize {
        self.evals() - self.unsupported()
    }
    pub fn passed(&self) -> usize {
        self.count(Status::Passed)
    }
    pub fn failed(&self) -> usize {
        self.count(Status::Failed)
    }
}

/// Parses and runs one test file's text with `engine`.
pub fn run_file(name: &str, content: &str, engine: &Engine, opts: RunOptions) -> FileReport {
    let cmds = parse_test_file(content);
    FileReport {
        name: name.to_string(),
        outcomes: run_commands(&cmds, engine, opts),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The runner must fail wrong expectations, not only pass right ones.
    #[test]
    fn runner_passes_and_fails_as_prometheus() {
        let text = r#"
load 5m
  foo{a="1"} 1+1x3
  h {{schema:0 count:2 sum:3 buckets:[1 1]}}x2

eval instant at 10m foo
  foo{a="1"} 3

eval instant at 10m foo
  foo{a="1"} 4

eval instant at 10m foo

eval range from 0 to 10m step 5m foo
  foo{a="1"} 1 2 3

eval range from 0 to 10m step 5m foo
  foo{a="1"} 1 2

eval instant at 5m h
  h {{schema:0 count:2 sum:3 buckets:[1 1]}}

eval instant at 5m h
  h {{schema:0 count:2 sum:3 buckets:[1 2]}}

eval instant at 0 no_such_function(foo)

eval instant at 0 1
  1

eval instant at 10m foo
  expect warn
  foo{a="1"} 3

eval instant at 5m h
  h {{schema:0 count:2 sum:3 buckets:[1 1] counter_reset_hint:not_reset}}
"#;
        let r = run_file("self.test", text, &test_engine(), RunOptions::default());
        let got: Vec<Status> = r.outcomes.iter().map(|o| o.status).collect();
        use Status::*;
        assert_eq!(
            got,
            vec![
                Passed,
                Failed,
                Failed,
                Passed,
                Failed,
                Passed,
                Failed,
                Unsupported,
                Passed,
                Failed,
                Passed
            ],
            "{:#?}",
            r.outcomes
        );
    }
}
