//! Binary operators, as Loki's `BinOpStepEvaluator`/`LiteralStepEvaluator` and
//! `syntax.MergeBinOp`: literal legs are folded first (`1 + 1` is the literal `2`);
//! comparisons filter unless `bool` and keep the vector side's value; division and modulo by
//! zero give NaN; vector matching with `on`/`ignoring` and `group_left`/`group_right`.

use super::step::{eval, Ctx, Sample, Steps};
use super::EvalError;
use crate::ast::{BinOp, BinaryExpr, CmpOp, MetricExpr};
use lakewatch_model::Labels;
use std::collections::{HashMap, HashSet};

fn op_name(op: BinOp) -> &'static str {
    match op {
        BinOp::Add => "+",
        BinOp::Sub => "-",
        BinOp::Mul => "*",
        BinOp::Div => "/",
        BinOp::Mod => "%",
        BinOp::Pow => "^",
        BinOp::Cmp(CmpOp::Eq) => "==",
        BinOp::Cmp(CmpOp::Neq) => "!=",
        BinOp::Cmp(CmpOp::Gt) => ">",
        BinOp::Cmp(CmpOp::Gte) => ">=",
        BinOp::Cmp(CmpOp::Lt) => "<",
        BinOp::Cmp(CmpOp::Lte) => "<=",
        BinOp::And => "and",
        BinOp::Or => "or",
        BinOp::Unless => "unless",
    }
}

fn is_set_op(op: BinOp) -> bool {
    matches!(op, BinOp::And | BinOp::Or | BinOp::Unless)
}

/// Folds binary operations whose legs are both literals into a literal (comparisons give
/// 0/1), as Loki's parser does. Errors: a literal leg of `and`/`or`/`unless`, with Loki's text.
pub(crate) fn fold(expr: &MetricExpr) -> Result<MetricExpr, EvalError> {
    Ok(match expr {
        MetricExpr::Binary(b) => {
            let lhs = fold(&b.lhs)?;
            let rhs = fold(&b.rhs)?;
            if is_set_op(b.op) {
                for (side, e) in [("left", &lhs), ("right", &rhs)] {
                    if let MetricExpr::Literal(v) = e {
                        return Err(EvalError::BadQuery(format!(
                            "parse error : unexpected literal for {side} leg of logical/set binary operation ({}): {v:.6}",
                            op_name(b.op)
                        )));
                    }
                }
            }
            if let (MetricExpr::Literal(l), MetricExpr::Literal(r)) = (&lhs, &rhs) {
                return Ok(MetricExpr::Literal(
                    merge(b.op, *l, *r, false, false, false).unwrap_or(f64::NAN),
                ));
            }
            MetricExpr::Binary(BinaryExpr {
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
                ..b.clone()
            })
        }
        MetricExpr::Vector(v) => {
            let mut v = v.clone();
            v.expr = Box::new(fold(&v.expr)?);
            MetricExpr::Vector(v)
        }
        MetricExpr::LabelReplace {
            expr,
            dst,
            replacement,
            src,
            regex,
        } => MetricExpr::LabelReplace {
            expr: Box::new(fold(expr)?),
            dst: dst.clone(),
            replacement: replacement.clone(),
            src: src.clone(),
            regex: regex.clone(),
        },
        other => other.clone(),
    })
}

/// Loki's `MergeBinOp` on two values: `None` when a filtering comparison is false. With
/// `filter` and `is_cmp`, a true comparison returns the vector side's value (`right` when
/// `swap`, else `left`).
fn merge(op: BinOp, l: f64, r: f64, swap: bool, filter: bool, is_cmp: bool) -> Option<f64> {
    let res = match op {
        BinOp::Add => Some(l + r),
        BinOp::Sub => Some(l - r),
        BinOp::Mul => Some(l * r),
        BinOp::Div => Some(if r == 0.0 { f64::NAN } else { l / r }),
        BinOp::Mod => Some(if r == 0.0 { f64::NAN } else { l % r }),
        BinOp::Pow => Some(l.powf(r)),
        BinOp::Cmp(c) => {
            let t = match c {
                CmpOp::Eq => l == r,
                CmpOp::Neq => l != r,
                CmpOp::Gt => l > r,
                CmpOp::Gte => l >= r,
                CmpOp::Lt => l < r,
                CmpOp::Lte => l <= r,
            };
            if t {
                Some(1.0)
            } else if filter {
                None
            } else {
                Some(0.0)
            }
        }
        BinOp::And | BinOp::Or | BinOp::Unless => None,
    };
    if is_cmp && filter && res.is_some() {
        return Some(if swap { r } else { l });
    }
    res
}

/// Evaluates a folded binary expression with at most one literal leg.
pub(crate) fn eval_binary(b: &BinaryExpr, ctx: &mut Ctx<'_>) -> Result<Steps, EvalError> {
    let is_cmp = matches!(b.op, BinOp::Cmp(_));
    let filter = !b.return_bool;
    if let MetricExpr::Literal(v) = *b.lhs {
        let steps = eval(&b.rhs, ctx)?;
        return Ok(map_samples(steps, |s| {
            merge(b.op, v, s.value, true, filter, is_cmp)
        }));
    }
    if let MetricExpr::Literal(v) = *b.rhs {
        let steps = eval(&b.lhs, ctx)?;
        return Ok(map_samples(steps, |s| {
            merge(b.op, s.value, v, false, filter, is_cmp)
        }));
    }
    let lhs = eval(&b.lhs, ctx)?;
    let rhs = eval(&b.rhs, ctx)?;
    let mut out = Vec::with_capacity(lhs.len());
    for ((ts, l), (_, r)) in lhs.into_iter().zip(rhs) {
        let v = match b.op {
            BinOp::And => set_op(b, l, r, |found| found, false),
            BinOp::Or => vector_or(b, l, r),
            BinOp::Unless => set_op(b, l, r, |found| !found, true),
            _ => vector_binop(b, l, r)?,
        };
        out.push((ts, v));
    }
    Ok(out)
}

fn map_samples(steps: Steps, f: impl Fn(&Sample) -> Option<f64>) -> Steps {
    steps
        .into_iter()
        .map(|(ts, vec)| {
            let vec = vec
                .into_iter()
                .filter_map(|s| {
                    f(&s).map(|value| Sample {
                        labels: s.labels,
                        value,
                    })
                })
                .collect();
            (ts, vec)
        })
        .collect()
}

/// The matching signature: the `on` labels, or all labels minus the `ignoring` ones.
fn signature(b: &BinaryExpr, labels: &Labels) -> Labels {
    let Some(m) = &b.matching else {
        return labels.clone();
    };
    Labels::from_pairs(
        labels
            .iter()
            .filter(|l| m.labels.contains(&l.name) == m.on)
            .map(|l| (l.name.clone(), l.value.clone())),
    )
}

/// `and` (keep left samples with a match) / `unless` (keep those without). An empty side
/// short-circuits as in Loki: `and` gives nothing, `unless` the left side.
fn set_op(
    b: &BinaryExpr,
    l: Vec<Sample>,
    r: Vec<Sample>,
    keep: impl Fn(bool) -> bool,
    empty_keeps_left: bool,
) -> Vec<Sample> {
    if l.is_empty() || r.is_empty() {
        return if empty_keeps_left { l } else { Vec::new() };
    }
    let right: HashSet<Labels> = r.iter().map(|s| signature(b, &s.labels)).collect();
    l.into_iter()
        .filter(|s| keep(right.contains(&signature(b, &s.labels))))
        .collect()
}

/// `or`: all left samples plus right samples whose signature is not on the left.
fn vector_or(b: &BinaryExpr, l: Vec<Sample>, r: Vec<Sample>) -> Vec<Sample> {
    if l.is_empty() {
        return r;
    }
    if r.is_empty() {
        return l;
    }
    let left: HashSet<Labels> = l.iter().map(|s| signature(b, &s.labels)).collect();
    let mut out = l;
    out.extend(
        r.into_iter()
            .filter(|s| !left.contains(&signature(b, &s.labels))),
    );
    out
}

/// Arithmetic and comparison between two vectors (Loki's `vectorBinop`).
fn vector_binop(b: &BinaryExpr, l: Vec<Sample>, r: Vec<Sample>) -> Result<Vec<Sample>, EvalError> {
    let group = b.matching.as_ref().and_then(|m| m.group.as_ref());
    let one_to_many = group.is_some_and(|g| g.right);
    let one_to_one = group.is_none();
    let (many, one) = if one_to_many { (r, l) } else { (l, r) };
    let mut one_side: HashMap<Labels, &Sample> = HashMap::new();
    for s in &one {
        if one_side.insert(signature(b, &s.labels), s).is_some() {
            let side = if one_to_many { "left" } else { "right" };
            return Err(EvalError::Internal(format!(
                "found duplicate series on the {side} hand-side;many-to-many matching not allowed: matching labels must be unique on one side"
            )));
        }
    }
    let is_cmp = matches!(b.op, BinOp::Cmp(_));
    let filter = !b.return_bool;
    let mut matched: HashMap<Labels, HashSet<Labels>> = HashMap::new();
    let mut out = Vec::new();
    for s in &many {
        let sig = signature(b, &s.labels);
        let Some(o) = one_side.get(&sig) else {
            continue;
        };
        let metric = result_metric(b, &s.labels, &o.labels);
        if one_to_one {
            if matched.insert(sig, HashSet::new()).is_some() {
                return Err(EvalError::Internal(
                    "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)".into(),
                ));
            }
        } else if !matched.entry(sig).or_default().insert(metric.clone()) {
            return Err(EvalError::Internal(
                "multiple matches for labels: grouping labels must ensure unique matches".into(),
            ));
        }
        let (lv, rv) = if one_to_many {
            (o.value, s.value)
        } else {
            (s.value, o.value)
        };
        if let Some(value) = merge(b.op, lv, rv, false, filter, is_cmp) {
            out.push(Sample {
                labels: metric,
                value,
            });
        }
    }
    Ok(out)
}

/// Result labels: the "many" side's labels; one-to-one keeps only the `on` labels (or drops
/// the `ignoring` ones); `group_x(…)` labels are copied from the "one" side.
fn result_metric(b: &BinaryExpr, many: &Labels, one: &Labels) -> Labels {
    let mut out = many.clone();
    let Some(m) = &b.matching else {
        return out;
    };
    match &m.group {
        None => {
            out = Labels::from_pairs(
                many.iter()
                    .filter(|l| m.labels.contains(&l.name) == m.on)
                    .map(|l| (l.name.clone(), l.value.clone())),
            );
        }
        Some(g) => {
            for name in &g.labels {
                out.set(name, one.get(name).unwrap_or(""));
            }
        }
    }
    out
}
