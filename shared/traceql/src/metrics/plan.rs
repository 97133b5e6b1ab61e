//! A compiled metrics expression: one leaf per `pipeline | function` sub-query, combined by
//! arithmetic and second stages, as Tempo's `RootExpr` with `MathExpression` /
//! `ChainedSecondStage`.

use super::compare::{self, Compare};
use super::first::{FirstStage, Function};
use super::series::SeriesSet;
use super::window::Window;
use super::{math, second, spans};
use crate::ast::{ArithOp, Attribute, FieldExpr, MetricsExpr, MetricsKind, SecondStage};
use crate::eval::{attribute_value, field_value, EvalError, SpansQuery, TraceView, Value};

/// The accumulator of a leaf.
#[derive(Debug)]
pub enum Stage {
    /// rate, *_over_time.
    First(FirstStage),
    /// compare() with its selection filter.
    Compare(Compare, FieldExpr),
}

/// One `pipeline | function` sub-query.
#[derive(Debug)]
pub struct Leaf {
    spans: SpansQuery,
    by: Vec<Attribute>,
    stage: Stage,
    second: Vec<SecondStage>,
    max_exemplars: usize,
    exemplars: usize,
}

/// The expression tree.
#[derive(Debug)]
pub enum Node {
    Leaf(Box<Leaf>),
    Binary {
        op: ArithOp,
        lhs: Box<Node>,
        rhs: Box<Node>,
    },
    Scalar {
        op: ArithOp,
        value: f64,
        scalar_left: bool,
        expr: Box<Node>,
    },
    Second {
        expr: Box<Node>,
        second: Vec<SecondStage>,
    },
}

fn compiling(msg: impl std::fmt::Display) -> EvalError {
    EvalError(format!("compiling query: {msg}"))
}

fn validate_second(stages: &[SecondStage]) -> Result<(), EvalError> {
    for s in stages {
        if let SecondStage::TopK(n) | SecondStage::BottomK(n) = s {
            if *n <= 0 {
                return Err(compiling("limit must be greater than 0"));
            }
        }
    }
    Ok(())
}

fn count_leaves(expr: &MetricsExpr) -> usize {
    match expr {
        MetricsExpr::Pipeline { .. } => 1,
        MetricsExpr::Op { lhs, rhs, .. } => count_leaves(lhs) + count_leaves(rhs),
        MetricsExpr::ScalarOp { expr, .. } | MetricsExpr::Second { expr, .. } => count_leaves(expr),
    }
}

/// Compiles `expr` for `window`; `exemplars` is the query's total exemplar budget (split
/// between sub-queries, at least one each when non-zero).
pub fn compile(expr: &MetricsExpr, window: Window, exemplars: u32) -> Result<Node, EvalError> {
    let leaves = count_leaves(expr).max(1);
    let per_leaf = match exemplars as usize / leaves {
        0 if exemplars > 0 => 1,
        n => n,
    };
    build(expr, window, exemplars, per_leaf)
}

fn build(
    expr: &MetricsExpr,
    window: Window,
    exemplars: u32,
    per_leaf: usize,
) -> Result<Node, EvalError> {
    Ok(match expr {
        MetricsExpr::Pipeline {
            pipeline,
            function,
            second,
        } => {
            let spans = SpansQuery::from_pipeline(pipeline).map_err(compiling)?;
            validate_second(second)?;
            let by_names: Vec<String> = function.by.iter().map(|a| a.to_string()).collect();
            let stage = match Function::from_kind(&function.kind) {
                Some((f, attr)) => {
                    let bucketed = matches!(
                        f,
                        Function::HistogramOverTime | Function::QuantileOverTime(_)
                    );
                    let n = function.by.len();
                    if (bucketed && n >= 5) || n > 5 {
                        return Err(compiling(format!(
                            "metrics group by {n} values not yet supported"
                        )));
                    }
                    if let Function::QuantileOverTime(qs) = &f {
                        if let Some(q) = qs.iter().find(|q| !(0.0..=1.0).contains(*q)) {
                            return Err(compiling(format!(
                                "quantile must be between 0 and 1: {q}"
                            )));
                        }
                    }
                    Stage::First(FirstStage::new(f, attr, by_names, window, exemplars))
                }
                None => {
                    let MetricsKind::Compare {
                        filter,
                        top_n,
                        start,
                        end,
                    } = &function.kind
                    else {
                        return Err(compiling("not a metrics query"));
                    };
                    compare::validate(*top_n, *start, *end).map_err(compiling)?;
                    Stage::Compare(
                        Compare::new(window, *top_n, *start, *end, exemplars),
                        filter.clone(),
                    )
                }
            };
            Node::Leaf(Box::new(Leaf {
                spans,
                by: function.by.clone(),
                stage,
                second: second.clone(),
                max_exemplars: if window.instant { 0 } else { per_leaf },
                exemplars: 0,
            }))
        }
        MetricsExpr::Op { op, lhs, rhs } => Node::Binary {
            op: *op,
            lhs: Box::new(build(lhs, window, exemplars, per_leaf)?),
            rhs: Box::new(build(rhs, window, exemplars, per_leaf)?),
        },
        MetricsExpr::ScalarOp {
            op,
            scalar,
            scalar_left,
            expr,
        } => Node::Scalar {
            op: *op,
            value: *scalar,
            scalar_left: *scalar_left,
            expr: Box::new(build(expr, window, exemplars, per_leaf)?),
        },
        MetricsExpr::Second { expr, second } => {
            validate_second(second)?;
            Node::Second {
                expr: Box::new(build(expr, window, exemplars, per_leaf)?),
                second: second.clone(),
            }
        }
    })
}

impl Leaf {
    /// Feeds the matching spans of `trace`.
    fn observe(&mut self, trace: &TraceView, window: &Window) -> Result<(), EvalError> {
        let matched = self.spans.matching_spans(trace)?;
        let mut exemplar_taken = self.exemplars >= self.max_exemplars;
        for idx in matched {
            let start = spans::start_ns(trace, idx);
            if window.interval(start).is_none() {
                continue;
            }
            let take_exemplar = !exemplar_taken;
            exemplar_taken = true;
            match &mut self.stage {
                Stage::First(f) => {
                    let group: Vec<Value> = self
                        .by
                        .iter()
                        .map(|a| attribute_value(trace, idx, a))
                        .collect();
                    let value = f
                        .attribute()
                        .map(|a| attribute_value(trace, idx, a))
                        .unwrap_or(Value::Nil);
                    f.observe(start, &group, &value);
                    if take_exemplar {
                        let labels = spans::exemplar_labels(trace, idx);
                        f.observe_exemplar(start, &group, &value, labels);
                    }
                }
                Stage::Compare(c, filter) => {
                    let hit = field_value(trace, idx, filter) == Value::Bool(true);
                    let attrs = spans::all_attributes(trace, idx);
                    if take_exemplar {
                        let mut labels = attrs.clone();
                        labels.extend(spans::exemplar_labels(trace, idx));
                        c.observe_exemplar(start, hit, labels);
                    }
                    c.observe(start, hit, &attrs);
                }
            }
            if take_exemplar {
                self.exemplars += 1;
            }
        }
        Ok(())
    }

    fn finish(self, window: &Window) -> SeriesSet {
        let set = match self.stage {
            Stage::First(f) => f.finish(),
            Stage::Compare(c, _) => c.finish(),
        };
        second::apply(&self.second, set, window.intervals())
    }
}

impl Node {
    /// Feeds one trace to every sub-query.
    pub fn observe(&mut self, trace: &TraceView, window: &Window) -> Result<(), EvalError> {
        match self {
            Node::Leaf(l) => l.observe(trace, window),
            Node::Binary { lhs, rhs, .. } => {
                lhs.observe(trace, window)?;
                rhs.observe(trace, window)
            }
            Node::Scalar { expr, .. } | Node::Second { expr, .. } => expr.observe(trace, window),
        }
    }

    /// The result series (intervals of `window`).
    pub fn finish(self, window: &Window) -> SeriesSet {
        match self {
            Node::Leaf(l) => l.finish(window),
            Node::Binary { op, lhs, rhs } => {
                math::binary(op, &lhs.finish(window), &rhs.finish(window))
            }
            Node::Scalar {
                op,
                value,
                scalar_left,
                expr,
            } => math::scalar(op, value, scalar_left, expr.finish(window)),
            Node::Second { expr, second } => {
                second::apply(&second, expr.finish(window), window.intervals())
            }
        }
    }
}
