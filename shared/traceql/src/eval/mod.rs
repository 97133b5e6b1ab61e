//! The TraceQL spanset engine: evaluates a search query ([`crate::Body::Spans`]) against one
//! trace at a time ([`TraceView`]) and returns the matching spansets, as Tempo's
//! `pkg/traceql/engine.go` + `ast_conditions.go` + `ast_execute.go` do.
//!
//! Modules: [`trace`] (tree, nested sets, root, trace intrinsics), [`value`] (runtime values
//! and Tempo's comparison rules), [`field`] (per-span expressions), [`spanset`] (filters and
//! spanset operators), [`pipeline`] (aggregates, `by`, `coalesce`, `select`, reported
//! attributes), [`validate`] (Tempo's `validate()` errors and unsupported syntax).

pub mod field;
pub mod pipeline;
pub mod spanset;
pub mod trace;
pub mod validate;
pub mod value;

pub use trace::TraceView;
pub use value::Value;

use crate::ast::{Attribute, Body, FieldExpr, Hint, Pipeline, PipelineExpr, Query};

/// An evaluation (or "unsupported") error. `Display` is Tempo's message, sent as the 400 body.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct EvalError(pub String);

/// One span of a result spanset: its index in [`TraceView::spans`] and the attributes Tempo
/// reports with it (the attributes the query's conditions referenced and `select()`ed ones,
/// keys as Tempo prints them, e.g. `http.status_code`, `service.name`; intrinsics other than
/// name/start/duration as Tempo names them, e.g. `status`, `kind`).
#[derive(Debug, Clone, PartialEq)]
pub struct MatchedSpan {
    pub index: usize,
    pub attributes: Vec<(String, Value)>,
}

/// One spanset of a trace: its spans (in trace order) and its spanset-level attributes
/// (`by(…)` groups as `by(resource.service.name)`, aggregates as `count()`, `avg(duration)`…).
///
/// Tempo's `matched` count is `spans.len()` (before the caller truncates to
/// `spss`/spans-per-spanset).
#[derive(Debug, Clone, PartialEq)]
pub struct Spanset {
    pub spans: Vec<MatchedSpan>,
    pub attributes: Vec<(String, Value)>,
}

/// A compiled spanset query (`Body::Spans`), reusable across traces.
#[derive(Debug, Clone)]
pub struct SpansQuery {
    expr: PipelineExpr,
    reported: Vec<Attribute>,
    event_filters: Vec<FieldExpr>,
    hints: Vec<Hint>,
}

impl SpansQuery {
    /// Compiles a parsed query for search. Errors: a metrics query, or a query Tempo's
    /// `validate()` rejects (types, regexes, `parent.`…), with Tempo's message.
    pub fn compile(query: &Query) -> Result<SpansQuery, EvalError> {
        let expr = match &query.body {
            Body::Spans(e) => e.clone(),
            Body::Metrics(_) => {
                return Err(EvalError(
                    "metrics queries are not supported by search: use /api/metrics/query_range"
                        .into(),
                ))
            }
        };
        Self::validated(expr, query.hints.clone())
    }

    /// Compiles one pipeline (e.g. the spanset part of a metrics query `{…} | … | rate()`).
    /// Errors: as [`SpansQuery::compile`].
    pub fn from_pipeline(pipeline: &Pipeline) -> Result<SpansQuery, EvalError> {
        Self::validated(PipelineExpr::Pipeline(pipeline.clone()), Vec::new())
    }

    /// Validates `expr` (Tempo's `validate()`) and precomputes what evaluation needs.
    fn validated(expr: PipelineExpr, hints: Vec<Hint>) -> Result<SpansQuery, EvalError> {
        validate::validate_root(&expr)?;
        let reported = pipeline::reported_attributes(&expr);
        Ok(SpansQuery {
            event_filters: pipeline::event_link_filters(&expr),
            expr,
            reported,
            hints,
        })
    }

    /// The query's `with(…)` hints (accepted, not interpreted here; e.g. `most_recent=true`
    /// is for the caller's result ordering).
    pub fn hints(&self) -> &[Hint] {
        &self.hints
    }

    /// The attributes reported on matched spans, in query order.
    pub fn reported_attributes(&self) -> &[Attribute] {
        &self.reported
    }

    /// The spansets `trace` yields (empty = the trace does not match). Errors: runtime errors
    /// Tempo raises (integer division by zero, structural operators over several spansets…).
    pub fn evaluate(&self, trace: &TraceView) -> Result<Vec<Spanset>, EvalError> {
        let sets = pipeline::eval_root(&self.expr, trace)?;
        Ok(sets
            .into_iter()
            .map(|s| pipeline::to_spanset(trace, s, &self.reported, &self.event_filters))
            .collect())
    }

    /// The indexes of the spans of `trace` in any result spanset (trace order, no repeats):
    /// what a metrics function counts.
    pub fn matching_spans(&self, trace: &TraceView) -> Result<Vec<usize>, EvalError> {
        let sets = pipeline::eval_root(&self.expr, trace)?;
        let mut out: Vec<usize> = sets.into_iter().flat_map(|s| s.spans).collect();
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }
}

/// The value of an attribute or intrinsic on span `span` of `trace` ([`Value::Nil`] when
/// absent). `.x` = span attribute, else resource attribute. Event/link values come from the
/// span's first event/link that has one.
pub fn attribute_value(trace: &TraceView, span: usize, attr: &Attribute) -> Value {
    pipeline::reported_value(trace, span, attr)
}

/// The value of a field expression on span `span` of `trace` (conditions give `Bool`; a
/// condition over event/link values holds if it holds for some event/link). Runtime errors
/// (e.g. integer division by zero) give [`Value::Nil`].
pub fn field_value(trace: &TraceView, span: usize, expr: &FieldExpr) -> Value {
    field::eval_span(trace, span, expr).unwrap_or(Value::Nil)
}
