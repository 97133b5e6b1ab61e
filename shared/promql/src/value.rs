//! Query results and errors, shaped like Prometheus's `promql.Result`.

use lakewatch_model::{FloatHistogram, Labels};

/// One element of an instant vector: either a float or a native histogram at `timestamp_ms`.
#[derive(Debug, Clone, PartialEq)]
pub struct InstantSample {
    pub labels: Labels,
    pub timestamp_ms: i64,
    pub value: f64,
    /// `Some` for histogram samples (then `value` is unused).
    pub histogram: Option<FloatHistogram>,
}

/// One series of a range result (matrix). Points sorted by time.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RangeSeries {
    pub labels: Labels,
    pub floats: Vec<(i64, f64)>,
    pub histograms: Vec<(i64, FloatHistogram)>,
}

/// A PromQL value. Times in milliseconds.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Vector(Vec<InstantSample>),
    Matrix(Vec<RangeSeries>),
    Scalar { timestamp_ms: i64, value: f64 },
    String { timestamp_ms: i64, value: String },
}

/// Warnings and infos, rendered as Prometheus renders them
/// (`PromQL warning: ...`, `PromQL info: ...`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Annotations {
    pub warnings: Vec<String>,
    pub infos: Vec<String>,
}

/// A successful evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryResult {
    pub value: Value,
    pub annotations: Annotations,
    /// Peak number of samples held during evaluation (for stats and limits).
    pub samples_loaded: usize,
}

/// Why a query failed; maps onto Prometheus `errorType`s.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QueryError {
    /// Unparsable query: `bad_data`, HTTP 400.
    #[error("{0}")]
    Parse(String),
    /// Evaluation error (many-to-many matching, too many samples, ...): `execution`, HTTP 422.
    #[error("{0}")]
    Execution(String),
    /// Evaluation exceeded its time budget: `timeout`, HTTP 503.
    #[error("query timed out in {0}")]
    Timeout(String),
}
