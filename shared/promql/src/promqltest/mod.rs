//! Runner for Prometheus's PromQL conformance files (`promql/promqltest/testdata/*.test`).
//!
//! Format: `reference/prometheus.md` §1.2 (from Prometheus `promql/promqltest/test.go`).
//! [`run_file`] parses a file, loads data into a [`crate::MemStorage`], evaluates every `eval`
//! with [`test_engine`] (lookback 5m, max samples 10000, subquery step 1m) and classifies each
//! eval as [`Status::Unsupported`] (promql-parser rejects the expression), [`Status::Passed`]
//! or [`Status::Failed`] (with a reason). Comparison follows Go `compareResult`: relative
//! epsilon 1e-6, NaN == NaN, StaleNaN only == StaleNaN, histograms after `compact(0)`.
//! Not done: the @-modifier step-invariance re-evaluations of the Go runner; start timestamps
//! (`@st` lines are skipped).

pub mod compare;
pub mod nhcb;
pub mod parse;
pub mod run;
pub mod series;

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
