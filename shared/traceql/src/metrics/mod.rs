//! The TraceQL metrics engine (`/api/metrics/query_range`, `/api/metrics/query`): evaluates a
//! metrics query ([`crate::Body::Metrics`]) over traces fed one at a time, as Tempo's
//! `pkg/traceql/engine_metrics.go` (+ `_compare.go`, `_average.go`, `ast_metrics*.go`) does
//! end to end (querier raw results combined by the frontend), without sharding.
//!
//! Modules: [`window`] (step alignment, intervals, timestamps), [`first`] (rate and
//! `*_over_time` on `(start, by values, value)` observations), [`compare`], [`second`]
//! (topk/bottomk/filters), [`math`] (arithmetic), [`log2`] (power-of-two buckets and
//! quantiles), [`exemplars`] (limits), [`series`] (intermediate series and output),
//! [`spans`] (reading observations from an evaluated trace), [`plan`] (the expression tree).
//!
//! Usage: `MetricsQuery::compile(&query, range)?`, then `observe(&trace)` for every trace that
//! may hold spans starting in the window, then `finish()`. Instant queries pass
//! `step_ns = end_ns - start_ns` (see [`window`]).

pub mod compare;
pub mod exemplars;
pub mod first;
pub mod log2;
pub mod math;
pub mod plan;
pub mod second;
pub mod series;
pub mod spans;
pub mod window;

use crate::ast::{Body, Query, Static};
use crate::eval::{EvalError, TraceView, Value};
use window::Window;

/// The evaluation window: spans starting in `(start_ns, end_ns]`, **nanoseconds** since the epoch; the step
/// in **nanoseconds**. Range queries are aligned to the step as Tempo's frontend does
/// ([`window::Window::new`]); `end_ns - start_ns == step_ns` is an instant query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricsRange {
    pub start_ns: i64,
    pub end_ns: i64,
    pub step_ns: i64,
}

/// One exemplar: a span's labels (`trace:id`, `span:id` as hex strings; compare() adds the
/// span's attributes), value (the function's argument, `duration` in seconds; `NaN` for
/// counts) and the span's start time (**ms**).
#[derive(Debug, Clone, PartialEq)]
pub struct Exemplar {
    pub labels: Vec<(String, Value)>,
    pub value: f64,
    pub timestamp_ms: i64,
}

/// One output series: labels as Tempo names them (`resource.service.name`, `__name__`,
/// `p`, `__bucket`, `__meta_type`…, in TraceQL order, not sorted), samples
/// `(timestamp ms, value)` in time order (intervals without a value omitted).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub labels: Vec<(String, Value)>,
    pub samples: Vec<(i64, f64)>,
    pub exemplars: Vec<Exemplar>,
}

/// A compiled metrics query accumulating over traces.
#[derive(Debug)]
pub struct MetricsQuery {
    window: Window,
    root: plan::Node,
}

/// The exemplar budget from the query's `with(exemplars=N|true|false)` hint and the request's
/// `exemplars` parameter (0 = unset), capped at [`exemplars::MAX_EXEMPLARS`], as Tempo's
/// frontend `normalizeRequestExemplars`.
pub fn exemplar_budget(query: &Query, requested: u32) -> u32 {
    let mut n = if requested == 0 {
        exemplars::MAX_EXEMPLARS
    } else {
        requested
    };
    for h in query.hints.iter().filter(|h| h.name == "exemplars") {
        match h.value {
            Static::Int(v) => n = v.clamp(0, u32::MAX as i64) as u32,
            Static::Bool(false) => n = 0,
            _ => {}
        }
    }
    n.min(exemplars::MAX_EXEMPLARS)
}

impl MetricsQuery {
    /// Compiles `query` (must be `Body::Metrics`) for `range` with the default exemplar
    /// budget (hint, else 100). Errors: a search query (`not a metrics query`), a bad range
    /// (`start required`, `end must be greater than start`, `step required`…), invalid
    /// arguments (`compiling query: quantile must be between 0 and 1: 2`, `… limit must be
    /// greater than 0`, compare() bounds) or syntax the spanset engine rejects.
    pub fn compile(query: &Query, range: MetricsRange) -> Result<MetricsQuery, EvalError> {
        Self::compile_with_exemplars(query, range, 0)
    }

    /// As [`MetricsQuery::compile`] with the request's `exemplars` parameter (0 = unset).
    pub fn compile_with_exemplars(
        query: &Query,
        range: MetricsRange,
        exemplars: u32,
    ) -> Result<MetricsQuery, EvalError> {
        let Body::Metrics(expr) = &query.body else {
            return Err(EvalError("not a metrics query".into()));
        };
        let window = Window::new(range)?;
        let budget = exemplar_budget(query, exemplars);
        let root = plan::compile(expr, window, budget)?;
        Ok(MetricsQuery { window, root })
    }

    /// The aligned window (ns): callers fetch traces with spans starting in
    /// `(window.start, window.end]`.
    pub fn window(&self) -> Window {
        self.window
    }

    /// Feeds one trace (its matching spans count at their **start** time). Errors: runtime
    /// errors of the spanset engine.
    pub fn observe(&mut self, trace: &TraceView) -> Result<(), EvalError> {
        self.root.observe(trace, &self.window)
    }

    /// The result series (second stages and arithmetic applied), ordered by labels.
    pub fn finish(self) -> Vec<Series> {
        let set = self.root.finish(&self.window);
        series::to_output(set, &self.window)
    }
}
