//! Spanset filters `{ … }` and spanset operators (`&&`, `||`, structural `> >> < << ~`, their
//! negated `!` and union `&` forms), as Tempo's `SpansetFilter.evaluate` and
//! `SpansetOperation.evaluate` (`pkg/traceql/ast.go`, `ast_execute.go`) with the relation
//! semantics of the storage layer's `ChildOf`/`DescendantOf`/`SiblingOf`
//! (`tempodb/encoding/vparquet5/block_traceql.go`):
//!
//! - `A > B` / `A >> B` / `A ~ B`: the spans of B with a parent / ancestor / sibling in A;
//! - `A < B` / `A << B`: the spans of B that are the parent / an ancestor of a span of A;
//! - `!` forms: the spans of B with **no** such span in A (disconnected spans included);
//! - `&` forms: every span of A and of B that takes part in such a pair.

use super::field::eval_span;
use super::trace::TraceView;
use super::value::Value;
use super::EvalError;
use crate::ast::{FieldExpr, SpansetExpr, SpansetOp};
use std::collections::{BTreeSet, HashMap};

/// A spanset during evaluation: span indexes plus spanset attributes and the last aggregate.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Set {
    /// Indexes into [`TraceView::spans`].
    pub spans: Vec<usize>,
    /// Spanset attributes (`by(…)`, `count()`…), in the order they were added.
    pub attrs: Vec<(String, Value)>,
}

impl Set {
    /// Appends a spanset attribute (Tempo's `AddAttribute`: repeated keys are kept, e.g.
    /// `| count() > 1 | count() > 2` reports `count()` twice).
    pub fn add_attr(&mut self, key: String, v: Value) {
        self.attrs.push((key, v));
    }
}

/// Tempo's error for structural operators over grouped input.
pub const ERR_MULTIPLE: &str = "spanset operators are not supported for multiple spansets per trace. consider using coalesce()";

/// Keeps, in each input spanset, the spans for which `e` is `true`; spansets left empty are
/// dropped.
pub fn filter(trace: &TraceView, e: &FieldExpr, input: Vec<Set>) -> Result<Vec<Set>, EvalError> {
    let mut out = Vec::with_capacity(input.len());
    for mut set in input {
        let mut keep = Vec::with_capacity(set.spans.len());
        for &s in &set.spans {
            if eval_span(trace, s, e)? == Value::Bool(true) {
                keep.push(s);
            }
        }
        if !keep.is_empty() {
            set.spans = keep;
            out.push(set);
        }
    }
    Ok(out)
}

/// Evaluates spanset filters combined with spanset operators on `input`.
pub fn eval_expr(
    trace: &TraceView,
    e: &SpansetExpr,
    input: Vec<Set>,
) -> Result<Vec<Set>, EvalError> {
    match e {
        SpansetExpr::Filter(f) => filter(trace, f, input),
        SpansetExpr::Op { op, lhs, rhs } => apply_op(trace, *op, input, &mut |side, curr| {
            let sub = if side { rhs } else { lhs };
            eval_expr(trace, sub, curr)
        }),
    }
}

/// Applies a spanset operator to every input spanset: `side(false, [curr])` evaluates the
/// left operand, `side(true, [curr])` the right one.
pub fn apply_op(
    trace: &TraceView,
    op: SpansetOp,
    input: Vec<Set>,
    side: &mut dyn FnMut(bool, Vec<Set>) -> Result<Vec<Set>, EvalError>,
) -> Result<Vec<Set>, EvalError> {
    let mut out = Vec::new();
    for curr in input {
        let lhs = side(false, vec![curr.clone()])?;
        let rhs = side(true, vec![curr.clone()])?;
        let matching = match op {
            SpansetOp::And if !lhs.is_empty() && !rhs.is_empty() => unique(&lhs, &rhs),
            SpansetOp::And => Vec::new(),
            SpansetOp::Union if !lhs.is_empty() || !rhs.is_empty() => unique(&lhs, &rhs),
            SpansetOp::Union => Vec::new(),
            _ => join(trace, op, &lhs, &rhs)?,
        };
        if !matching.is_empty() {
            out.push(Set {
                spans: matching,
                attrs: curr.attrs.clone(),
            });
        }
    }
    Ok(out)
}

/// All spans of both sides, each once, in trace order.
fn unique(a: &[Set], b: &[Set]) -> Vec<usize> {
    let all: BTreeSet<usize> = a
        .iter()
        .chain(b)
        .flat_map(|s| s.spans.iter().copied())
        .collect();
    all.into_iter().collect()
}

fn join(
    trace: &TraceView,
    op: SpansetOp,
    lhs: &[Set],
    rhs: &[Set],
) -> Result<Vec<usize>, EvalError> {
    if rhs.is_empty() {
        return Ok(Vec::new());
    }
    if lhs.len() > 1 || rhs.len() > 1 {
        return Err(EvalError(ERR_MULTIPLE.into()));
    }
    let r = &rhs[0].spans;
    if r.is_empty() {
        return Ok(Vec::new());
    }
    let l: &[usize] = lhs.first().map(|s| s.spans.as_slice()).unwrap_or(&[]);
    Ok(relate(trace, op, l, r))
}

/// A structural relation "x has a … in the set".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rel {
    /// x's parent is in the set.
    Parent,
    /// x is the parent of a span in the set.
    Child,
    /// x has an ancestor in the set.
    Ancestor,
    /// x has a descendant in the set.
    Descendant,
    /// x has a sibling (another span with the same parent) in the set.
    Sibling,
}

/// (relation tested on the right-hand spans, its reverse tested on the left-hand spans for
/// the union forms, negated, union).
fn classify(op: SpansetOp) -> (Rel, Rel, bool, bool) {
    use SpansetOp as O;
    let (rel, rev) = match op {
        O::Child | O::NotChild | O::UnionChild => (Rel::Parent, Rel::Child),
        O::Parent | O::NotParent | O::UnionParent => (Rel::Child, Rel::Parent),
        O::Descendant | O::NotDescendant | O::UnionDescendant => (Rel::Ancestor, Rel::Descendant),
        O::Ancestor | O::NotAncestor | O::UnionAncestor => (Rel::Descendant, Rel::Ancestor),
        O::Sibling | O::NotSibling | O::UnionSibling | O::And | O::Union => {
            (Rel::Sibling, Rel::Sibling)
        }
    };
    let negated = matches!(
        op,
        O::NotChild | O::NotParent | O::NotDescendant | O::NotAncestor | O::NotSibling
    );
    let union = matches!(
        op,
        O::UnionChild | O::UnionParent | O::UnionDescendant | O::UnionAncestor | O::UnionSibling
    );
    (rel, rev, negated, union)
}

/// The parent of `x` in the nested-set tree (none for roots and disconnected spans).
fn tree_parent(trace: &TraceView, x: usize) -> Option<usize> {
    if trace.nested[x].left == 0 {
        return None;
    }
    trace.parent[x].filter(|&p| trace.nested[p].left != 0)
}

/// For every span of the trace, whether `rel` holds against the spans in `set`.
fn holds(trace: &TraceView, rel: Rel, set: &[usize]) -> Vec<bool> {
    let n = trace.spans.len();
    let mut in_set = vec![false; n];
    for &x in set {
        in_set[x] = true;
    }
    let mut out = vec![false; n];
    match rel {
        Rel::Parent => {
            for (x, o) in out.iter_mut().enumerate() {
                *o = tree_parent(trace, x).is_some_and(|p| in_set[p]);
            }
        }
        Rel::Child => {
            for &y in set {
                if let Some(p) = tree_parent(trace, y) {
                    out[p] = true;
                }
            }
        }
        Rel::Ancestor => {
            // Parents have smaller left bounds: visit in left order so parents come first.
            let mut order: Vec<usize> = (0..n).filter(|&x| trace.nested[x].left != 0).collect();
            order.sort_unstable_by_key(|&x| trace.nested[x].left);
            for x in order {
                if let Some(p) = tree_parent(trace, x) {
                    out[x] = in_set[p] || out[p];
                }
            }
        }
        Rel::Descendant => {
            for &y in set {
                let mut cur = tree_parent(trace, y);
                while let Some(p) = cur {
                    if out[p] {
                        break;
                    }
                    out[p] = true;
                    cur = tree_parent(trace, p);
                }
            }
        }
        Rel::Sibling => {
            let mut count: HashMap<i64, usize> = HashMap::new();
            for &y in set {
                let p = trace.nested[y].parent;
                if p != 0 {
                    *count.entry(p).or_default() += 1;
                }
            }
            for (x, o) in out.iter_mut().enumerate() {
                let p = trace.nested[x].parent;
                if p != 0 {
                    let c = count.get(&p).copied().unwrap_or(0);
                    *o = c > usize::from(in_set[x]);
                }
            }
        }
    }
    out
}

fn relate(trace: &TraceView, op: SpansetOp, l: &[usize], r: &[usize]) -> Vec<usize> {
    let (rel, rev, negated, union) = classify(op);
    let on_r = holds(trace, rel, l);
    if !union {
        return r.iter().copied().filter(|&x| on_r[x] != negated).collect();
    }
    let on_l = holds(trace, rev, r);
    let out: BTreeSet<usize> = r
        .iter()
        .copied()
        .filter(|&x| on_r[x])
        .chain(l.iter().copied().filter(|&x| on_l[x]))
        .collect();
    out.into_iter().collect()
}
