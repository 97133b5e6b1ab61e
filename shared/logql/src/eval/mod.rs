//! The LogQL evaluator: log queries (streams) and metric queries (range and vector
//! aggregations, binary operators, `label_replace`, `vector()`, literals) over a [`LogSource`].
//!
//! Times are nanoseconds since the epoch. Data access is two-phase, as for PromQL: the caller
//! asks [`selections`] what to read, fetches it (async, from storage) into a [`MemSource`],
//! then evaluates synchronously.

use crate::ast::Expr;
use lakewatch_model::{LabelMatcher, Labels, LogStream};

/// Evaluation errors; all are client errors (400) except `Internal`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvalError {
    /// Invalid query (bad regex, template, unsupported feature): Loki's 400 text.
    #[error("{0}")]
    BadQuery(String),
    /// A limit was exceeded (series, entries, points): 400 with Loki's text.
    #[error("{0}")]
    Limit(String),
    /// A pipeline error surfaced in a metric query (e.g. unwrap of a non-number) as Loki does.
    #[error("{0}")]
    Pipeline(String),
    #[error("internal error: {0}")]
    Internal(String),
}

/// What must be read for one stream selector of the query.
#[derive(Debug, Clone)]
pub struct Selection {
    pub matchers: Vec<LabelMatcher>,
    /// Inclusive start, ns.
    pub start_ns: i64,
    /// Exclusive end, ns.
    pub end_ns: i64,
    /// Substrings every matching line contains (pushdown hint from `|=` filters).
    pub line_contains: Vec<String>,
}

/// Entries available to the evaluator.
pub trait LogSource {
    /// Streams matching `matchers` with entries in `[start_ns, end_ns)`, entries ascending.
    fn select(&self, matchers: &[LabelMatcher], start_ns: i64, end_ns: i64) -> Vec<LogStream>;
}

/// An in-memory [`LogSource`] (what the API fetched, and tests).
#[derive(Debug, Clone, Default)]
pub struct MemSource {
    pub streams: Vec<LogStream>,
}

impl LogSource for MemSource {
    fn select(&self, matchers: &[LabelMatcher], start_ns: i64, end_ns: i64) -> Vec<LogStream> {
        let _ = (matchers, start_ns, end_ns);
        Vec::new()
    }
}

/// Query direction for log queries (`direction=forward|backward`, default backward).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    Forward,
    #[default]
    Backward,
}

/// Parameters of one query, as the HTTP API parsed them. For an instant query
/// `start_ns == end_ns` and `step_ns == 0`.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryParams {
    pub start_ns: i64,
    pub end_ns: i64,
    pub step_ns: i64,
    /// `interval` of range log queries (ns, 0 = none).
    pub interval_ns: i64,
    /// Max entries for log queries.
    pub limit: usize,
    pub direction: Direction,
}

/// One entry of a streams result: labels split as for `categorize-labels`.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultEntry {
    pub timestamp_ns: i64,
    pub line: String,
    pub structured_metadata: Labels,
    pub parsed: Labels,
}

/// One stream of a streams result (labels = stream labels after the pipeline).
#[derive(Debug, Clone, PartialEq)]
pub struct ResultStream {
    pub labels: Labels,
    pub entries: Vec<ResultEntry>,
}

/// A metric series: `(timestamp_ns, value)` points.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesResult {
    pub labels: Labels,
    pub points: Vec<(i64, f64)>,
}

/// The result of a query, shaped as Loki's `resultType`s.
#[derive(Debug, Clone, PartialEq)]
pub enum QueryResult {
    Streams(Vec<ResultStream>),
    /// Instant metric query.
    Vector(Vec<SeriesResult>),
    /// Range metric query.
    Matrix(Vec<SeriesResult>),
    /// `(timestamp_ns, value)`.
    Scalar(i64, f64),
}

/// Counters for the `stats` object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EvalStats {
    pub lines_processed: u64,
    pub bytes_processed: u64,
    pub post_filter_lines: u64,
    pub entries_returned: u64,
}

/// Limits applied while evaluating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EvalLimits {
    /// Max series in a metric result (Loki `max_query_series`, default 500).
    pub max_series: usize,
    /// Max points in a range result (11,000 per series as Loki).
    pub max_points_per_series: usize,
}

impl Default for EvalLimits {
    fn default() -> Self {
        EvalLimits {
            max_series: 500,
            max_points_per_series: 11_000,
        }
    }
}

/// The stream selectors `expr` reads, with the widened time range each needs (range and
/// offset included).
pub fn selections(expr: &Expr, params: &QueryParams) -> Vec<Selection> {
    let _ = (expr, params);
    Vec::new()
}

/// Evaluates `expr` over `source`.
pub fn evaluate(
    expr: &Expr,
    params: &QueryParams,
    limits: &EvalLimits,
    source: &dyn LogSource,
) -> Result<(QueryResult, EvalStats), EvalError> {
    let _ = (expr, params, limits, source);
    Err(EvalError::BadQuery("not implemented".into()))
}
