//! The PromQL engine (Prometheus 3 semantics) on `promql-parser`.
//!
//! Shape of a query: the caller parses nothing itself; it hands the query string, the
//! evaluation time(s) in **milliseconds** and a [`Queryable`] to [`Engine`]. The HTTP layer
//! first asks [`selection_hints`] which series and time ranges the query needs, fetches them
//! from object storage asynchronously into a [`MemStorage`], then evaluates synchronously.
//!
//! Evaluation model (as Prometheus's `evaluator`): every AST node is evaluated over all steps
//! at once, so a range query's step `k` is exactly the instant query at that time. Selectors
//! read storage once over the union of the windows all steps need, then slice per step
//! (lookback `(t-δ, t]`, ranges `(t-r, t]`, `@`, offsets). Subqueries evaluate their inner
//! expression once on steps aligned to absolute multiples of the subquery step. `__name__` is
//! removed lazily (Prometheus 3 delayed name removal) when the result is assembled, which is
//! also where duplicate label sets are rejected. Annotations carry Prometheus's texts; their
//! ` (line:col)` positions are recovered from the query text (the parser keeps none).
//!
//! Modules: `eval` (dispatch), `selectors`, `subquery`, `functions/*` (one file per family),
//! `aggregate`, `binary`, `result` (output assembly), `hints` ([`selection_hints`]), `hist`
//! (adapters over [`native`] histogram math), `kahan`, `positions`.

mod aggregate;
mod binary;
mod eval;
mod functions;
mod hints;
mod hist;
mod kahan;
pub mod native;
mod positions;
pub mod promqltest;
mod result;
mod selectors;
pub mod storage;
mod subquery;
#[cfg(test)]
mod tests;
mod types;
pub mod value;

pub use storage::{select_in_range, MemStorage, Queryable, SelectHint};
pub use value::{Annotations, InstantSample, QueryError, QueryResult, RangeSeries, Value};

use std::time::Duration;

/// Engine limits and defaults, as Prometheus's engine options.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Lookback delta for instant vector selectors (Prometheus default 5 minutes).
    pub lookback_delta: Duration,
    /// Max samples held in memory at once (`query.max-samples`, Prometheus default 50,000,000).
    /// Exceeding it fails with "query processing would load too many samples into memory in query execution".
    pub max_samples: usize,
    /// Max series a selector may return (0 = unlimited); exceeding it is an execution error.
    pub max_series: usize,
    /// Default subquery step when a subquery gives none (Prometheus: the global evaluation interval, 1m).
    pub default_subquery_step: Duration,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            lookback_delta: Duration::from_secs(300),
            max_samples: 50_000_000,
            max_series: 0,
            default_subquery_step: Duration::from_secs(60),
        }
    }
}

/// Evaluates PromQL. Cheap to construct; holds only options.
#[derive(Debug, Clone, Default)]
pub struct Engine {
    pub opts: EngineOptions,
}

impl Engine {
    pub fn new(opts: EngineOptions) -> Self {
        Engine { opts }
    }

    /// Instant query at `time_ms` (ms since epoch), as `/api/v1/query`.
    /// Errors: [`QueryError::Parse`] (HTTP 400 `bad_data`) or [`QueryError::Execution`] (422).
    pub fn instant_query(
        &self,
        query: &str,
        time_ms: i64,
        storage: &dyn Queryable,
    ) -> Result<QueryResult, QueryError> {
        let expr = parse(query)?;
        result::instant(&self.opts, query, &expr, time_ms, storage)
    }

    /// Range query over `[start_ms, end_ms]` every `step_ms`, as `/api/v1/query_range`.
    /// The result is always a [`Value::Matrix`] sorted by labels; step `k` equals
    /// [`Engine::instant_query`] at `start_ms + k * step_ms`.
    /// Errors: [`QueryError::Parse`] for unparsable queries, a non-positive step, `end < start`
    /// or more than 11,000 steps (Prometheus's limit); [`QueryError::Execution`] for evaluation
    /// errors and range-vector/string results.
    pub fn range_query(
        &self,
        query: &str,
        start_ms: i64,
        end_ms: i64,
        step_ms: i64,
        storage: &dyn Queryable,
    ) -> Result<QueryResult, QueryError> {
        let expr = parse(query)?;
        if step_ms <= 0 {
            return Err(QueryError::Parse(
                "zero or negative query resolution step widths are not accepted. Try a positive integer".into(),
            ));
        }
        if end_ms < start_ms {
            return Err(QueryError::Parse(
                "end timestamp must not be before start time".into(),
            ));
        }
        // As Prometheus's HTTP API: at most 11,000 points per series.
        if (end_ms - start_ms) / step_ms > 11_000 {
            return Err(QueryError::Parse(
                "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)".into(),
            ));
        }
        result::range(&self.opts, query, &expr, start_ms, end_ms, step_ms, storage)
    }
}

/// Which selectors a query evaluates over which time ranges (like Prometheus `FindMinMaxTimes`),
/// accounting for lookback, range, offset, `@` and subqueries. `start_ms == end_ms` for instant
/// queries. Errors: [`QueryError::Parse`].
pub fn selection_hints(
    query: &str,
    start_ms: i64,
    end_ms: i64,
    opts: &EngineOptions,
) -> Result<Vec<SelectHint>, QueryError> {
    let expr = parse(query)?;
    hints::find(&expr, start_ms, end_ms, opts)
}

/// Parses with `promql-parser`, mapping errors to [`QueryError::Parse`].
fn parse(query: &str) -> Result<promql_parser::parser::Expr, QueryError> {
    promql_parser::parser::parse(query).map_err(QueryError::Parse)
}
