//! The TraceQL metrics engine (`/api/metrics/query_range`, `/api/metrics/query`): evaluates a
//! metrics query ([`crate::Body::Metrics`]) over traces fed one at a time, as Tempo's
//! `pkg/traceql/engine_metrics.go` does.
//!
//! STUB written by the lead: signatures fixed, bodies to be implemented.

use crate::ast::Query;
use crate::eval::{EvalError, TraceView, Value};

/// The evaluation window: `[start_ns, end_ns)` in **nanoseconds** since the epoch and the step
/// in **nanoseconds** (Tempo aligns start/end to the step).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricsRange {
    pub start_ns: i64,
    pub end_ns: i64,
    pub step_ns: i64,
}

/// One exemplar: a span's labels (trace id / span id), value and time (**ms**).
#[derive(Debug, Clone, PartialEq)]
pub struct Exemplar {
    pub labels: Vec<(String, Value)>,
    pub value: f64,
    pub timestamp_ms: i64,
}

/// One output series: labels as Tempo names them (`resource.service.name`, `__name__`,
/// `p`, `__bucket`, `__meta_type`…), samples `(timestamp ms, value)` in time order.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub labels: Vec<(String, Value)>,
    pub samples: Vec<(i64, f64)>,
    pub exemplars: Vec<Exemplar>,
}

/// A compiled metrics query accumulating over traces.
#[derive(Debug)]
pub struct MetricsQuery {
    _range: MetricsRange,
}

impl MetricsQuery {
    /// Compiles `query` (must be `Body::Metrics`) for `range`. Errors: a search query,
    /// unsupported syntax, a bad step, with Tempo's message.
    pub fn compile(_query: &Query, range: MetricsRange) -> Result<MetricsQuery, EvalError> {
        Ok(MetricsQuery { _range: range })
    }

    /// Feeds one trace (its matching spans count at their **start** time).
    pub fn observe(&mut self, _trace: &TraceView) -> Result<(), EvalError> {
        Err(EvalError("TraceQL metrics not implemented yet".into()))
    }

    /// The result series (second stages and arithmetic applied).
    pub fn finish(self) -> Vec<Series> {
        Vec::new()
    }
}
