//! The TraceQL spanset engine: evaluates a search query ([`crate::Body::Spans`]) against one
//! trace at a time ([`TraceView`]) and returns the matching spansets, as Tempo's
//! `pkg/traceql/engine.go` + `ast_conditions.go` + `ast_execute.go` do.
//!
//! STUB written by the lead: signatures fixed, bodies to be implemented.

pub mod trace;
pub mod value;

pub use trace::TraceView;
pub use value::Value;

use crate::ast::{Attribute, FieldExpr, Query};

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
#[derive(Debug, Clone, PartialEq)]
pub struct Spanset {
    pub spans: Vec<MatchedSpan>,
    pub attributes: Vec<(String, Value)>,
}

/// A compiled spanset query (`Body::Spans`), reusable across traces.
#[derive(Debug, Clone)]
pub struct SpansQuery {
    _query: Query,
}

impl SpansQuery {
    /// Compiles a parsed query for search. Errors: a metrics query, or syntax Tempo's engine
    /// does not evaluate (e.g. `parent.` attributes), with Tempo's message.
    pub fn compile(query: &Query) -> Result<SpansQuery, EvalError> {
        Ok(SpansQuery {
            _query: query.clone(),
        })
    }

    /// The spansets `trace` yields (empty = the trace does not match).
    pub fn evaluate(&self, _trace: &TraceView) -> Result<Vec<Spanset>, EvalError> {
        Err(EvalError("TraceQL evaluation not implemented yet".into()))
    }
}

/// The value of an attribute or intrinsic on span `span` of `trace` ([`Value::Nil`] when
/// absent). `.x` = span attribute, else resource attribute.
pub fn attribute_value(_trace: &TraceView, _span: usize, _attr: &Attribute) -> Value {
    Value::Nil
}

/// The value of a field expression on span `span` of `trace` (conditions give `Bool`).
pub fn field_value(_trace: &TraceView, _span: usize, _expr: &FieldExpr) -> Value {
    Value::Nil
}
