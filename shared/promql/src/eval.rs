//! The evaluator: walks the AST evaluating each node over all steps at once (as Prometheus's
//! `evaluator.eval`), so a range query's step `k` equals an instant query at that time.

use crate::types::{MatrixArg, Sample, StepVec, Steps, Val};
use crate::{Annotations, EngineOptions, QueryError, Queryable};
use promql_parser::parser::{AtModifier, Expr, Offset};
use std::time::{SystemTime, UNIX_EPOCH};

/// Evaluation state of one query.
pub(crate) struct Evaluator<'a> {
    pub storage: &'a dyn Queryable,
    pub opts: &'a EngineOptions,
    /// Query start/end (ms), for `@ start()` / `@ end()`.
    pub query_start: i64,
    pub query_end: i64,
    /// Whether this is a range query (for the sort warning).
    pub is_range: bool,
    pub annotations: Annotations,
    /// Samples loaded so far (checked against `max_samples`).
    pub samples: usize,
    /// The query text (for annotation positions).
    pub query: String,
    /// Query step (ms; 0 for instant queries), for `step()`.
    pub query_step: i64,
    /// Selectors below `histogram_count/sum/avg` decode histogram statistics only, which
    /// (as Prometheus's `HistogramStatsIterator`) derives counter-reset hints on the fly.
    pub stats_decoding: bool,
}

/// Offset of a selector/subquery in ms (negative offsets look ahead).
pub(crate) fn offset_ms(o: &Option<Offset>) -> i64 {
    match o {
        None => 0,
        Some(Offset::Pos(d)) => d.as_millis() as i64,
        Some(Offset::Neg(d)) => -(d.as_millis() as i64),
    }
}

/// Milliseconds since the epoch of a `SystemTime` (negative before 1970).
pub(crate) fn systime_ms(t: &SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_millis() as i64,
        Err(e) => -(e.duration().as_millis() as i64),
    }
}

/// Removes parentheses around an expression.
pub(crate) fn unwrap_parens(e: &Expr) -> &Expr {
    match e {
        Expr::Paren(p) => unwrap_parens(&p.expr),
        _ => e,
    }
}

impl<'a> Evaluator<'a> {
    pub fn new(
        storage: &'a dyn Queryable,
        opts: &'a EngineOptions,
        query_start: i64,
        query_end: i64,
        is_range: bool,
    ) -> Self {
        Evaluator {
            storage,
            opts,
            query_start,
            query_end,
            is_range,
            annotations: Annotations::default(),
            samples: 0,
            query: String::new(),
            query_step: 0,
            stats_decoding: false,
        }
    }

    /// The absolute time of an `@` modifier, if any.
    pub fn at_time(&self, at: &Option<AtModifier>) -> Option<i64> {
        match at {
            None => None,
            Some(AtModifier::Start) => Some(self.query_start),
            Some(AtModifier::End) => Some(self.query_end),
            Some(AtModifier::At(t)) => Some(systime_ms(t)),
        }
    }

    /// Adds a `PromQL warning: ...` (deduplicated).
    pub fn warn(&mut self, msg: String) {
        let s = format!("PromQL warning: {msg}");
        if !self.annotations.warnings.contains(&s) {
            self.annotations.warnings.push(s);
        }
    }

    /// Adds a warning positioned at `e` (` (line:col)` suffix as Prometheus).
    pub fn warn_at(&mut self, msg: String, e: &Expr) {
        let pos = crate::positions::suffix(&self.query, e);
        self.warn(format!("{msg}{pos}"));
    }

    /// Adds an info positioned at `e`.
    pub fn info_at(&mut self, msg: String, e: &Expr) {
        let pos = crate::positions::suffix(&self.query, e);
        self.info(format!("{msg}{pos}"));
    }

    /// Adds a histogram annotation (warning or info) positioned at `e`.
    pub fn annotate(&mut self, a: &crate::native::Annotation, e: &Expr) {
        if a.is_warning() {
            self.warn_at(a.message(), e);
        } else {
            self.info_at(a.message(), e);
        }
    }

    /// Adds a `PromQL info: ...` (deduplicated).
    pub fn info(&mut self, msg: String) {
        let s = format!("PromQL info: {msg}");
        if !self.annotations.infos.contains(&s) {
            self.annotations.infos.push(s);
        }
    }

    /// Accounts loaded samples; errors past `max_samples` as Prometheus does.
    pub fn add_samples(&mut self, n: usize) -> Result<(), QueryError> {
        self.samples += n;
        if self.samples > self.opts.max_samples {
            return Err(QueryError::Execution(
                "query processing would load too many samples into memory in query execution"
                    .into(),
            ));
        }
        Ok(())
    }

    /// Evaluates `e` with `stats_decoding` set to `mode`, restoring it afterwards.
    pub fn with_stats<T>(&mut self, mode: bool, f: impl FnOnce(&mut Self) -> T) -> T {
        let saved = std::mem::replace(&mut self.stats_decoding, mode);
        let r = f(self);
        self.stats_decoding = saved;
        r
    }

    /// Evaluates `e` at every step.
    pub fn eval(&mut self, e: &Expr, steps: &Steps) -> Result<Val, QueryError> {
        let n = steps.len();
        match e {
            Expr::NumberLiteral(l) => Ok(Val::Scalar(vec![l.val; n])),
            Expr::StringLiteral(s) => Ok(Val::Str(s.val.clone())),
            Expr::Paren(p) => self.eval(&p.expr, steps),
            Expr::Unary(u) => {
                let v = self.eval(&u.expr, steps)?;
                Ok(negate(v))
            }
            Expr::Binary(b) => crate::binary::eval(self, b, steps),
            Expr::Aggregate(a) => crate::aggregate::eval(self, a, steps),
            Expr::Call(c) => crate::functions::eval(self, c, steps),
            Expr::VectorSelector(vs) => Ok(Val::Vector(crate::selectors::eval_vector(
                self, vs, steps, false,
            )?)),
            Expr::MatrixSelector(_) | Expr::Subquery(_) => Err(QueryError::Execution(
                "range vector cannot be evaluated as an instant value".into(),
            )),
            Expr::Extension(_) => Err(QueryError::Execution(
                "unsupported expression extension".into(),
            )),
        }
    }

    /// Evaluates `e` expecting an instant vector.
    pub fn eval_vector(&mut self, e: &Expr, steps: &Steps) -> Result<Vec<StepVec>, QueryError> {
        match self.eval(e, steps)? {
            Val::Vector(v) => Ok(v),
            _ => Err(QueryError::Execution("expected instant vector".into())),
        }
    }

    /// Evaluates `e` expecting a scalar (one float per step).
    pub fn eval_scalar(&mut self, e: &Expr, steps: &Steps) -> Result<Vec<f64>, QueryError> {
        match self.eval(e, steps)? {
            Val::Scalar(v) => Ok(v),
            _ => Err(QueryError::Execution("expected scalar".into())),
        }
    }

    /// Evaluates a range-vector expression (matrix selector or subquery) for every step.
    pub fn eval_matrix(&mut self, e: &Expr, steps: &Steps) -> Result<MatrixArg, QueryError> {
        match e {
            Expr::Paren(p) => self.eval_matrix(&p.expr, steps),
            Expr::MatrixSelector(ms) => crate::selectors::eval_matrix(self, ms, steps),
            Expr::Subquery(sq) => crate::subquery::eval(self, sq, steps),
            _ => Err(QueryError::Execution("expected range vector".into())),
        }
    }
}

/// Unary minus: negates scalars and vector samples (dropping `__name__`).
fn negate(v: Val) -> Val {
    match v {
        Val::Scalar(s) => Val::Scalar(s.into_iter().map(|x| -x).collect()),
        Val::Vector(steps) => Val::Vector(
            steps
                .into_iter()
                .map(|vec| {
                    vec.into_iter()
                        .map(|mut s| {
                            s.f = -s.f;
                            if let Some(h) = s.h.take() {
                                let mut n = crate::hist::scale(&h, -1.0);
                                n.counter_reset_hint = lakewatch_model::ResetHint::Gauge;
                                s.h = Some(std::sync::Arc::new(n));
                            }
                            s.drop_name = true;
                            s
                        })
                        .collect::<Vec<Sample>>()
                })
                .collect(),
        ),
        other => other,
    }
}
