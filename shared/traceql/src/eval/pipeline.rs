//! Pipelines (`|`): spanset stages, aggregate filters (`count() > 2`, `avg(duration) > 1s`),
//! `by()`, `coalesce()`, `select()`; spanset operators between parenthesised pipelines; and
//! the attributes reported per matched span. As Tempo's `Pipeline.evaluate`,
//! `GroupOperation`, `CoalesceOperation`, `Aggregate`, `ScalarFilter` (`pkg/traceql/ast.go`,
//! `ast_execute.go`) and `asTraceSearchMetadata` (`engine.go`).

use super::field::{attr_value, eval_span, is_event_attr, is_link_attr, visit_attrs, SpanCtx};
use super::spanset::{apply_op, eval_expr, Set};
use super::trace::TraceView;
use super::value::Value;
use super::{EvalError, MatchedSpan, Spanset};
use crate::ast::{
    Aggregate, AggregateOp, Attribute, CmpOp, FieldExpr, Intrinsic, Pipeline, PipelineExpr,
    ScalarExpr, ScalarFilter, SpansetExpr, Stage,
};
use std::collections::HashMap;

/// Evaluates a root expression on one trace: the input is one spanset with every span.
pub fn eval_root(e: &PipelineExpr, trace: &TraceView) -> Result<Vec<Set>, EvalError> {
    if trace.spans.is_empty() {
        return Ok(Vec::new());
    }
    let input = vec![Set {
        spans: (0..trace.spans.len()).collect(),
        attrs: Vec::new(),
    }];
    eval_pipeline_expr(e, trace, input)
}

fn eval_pipeline_expr(
    e: &PipelineExpr,
    trace: &TraceView,
    input: Vec<Set>,
) -> Result<Vec<Set>, EvalError> {
    match e {
        PipelineExpr::Pipeline(p) => eval_pipeline(p, trace, input),
        PipelineExpr::Op { op, lhs, rhs } => apply_op(trace, *op, input, &mut |side, curr| {
            eval_pipeline_expr(if side { rhs } else { lhs }, trace, curr)
        }),
        PipelineExpr::ScalarFilter { .. } => {
            Err(EvalError(super::validate::UNSUPPORTED_SCALAR_LHS.into()))
        }
    }
}

/// Runs the stages in order; stops with no spansets as soon as one stage yields none.
pub fn eval_pipeline(
    p: &Pipeline,
    trace: &TraceView,
    input: Vec<Set>,
) -> Result<Vec<Set>, EvalError> {
    let mut sets = input;
    for stage in &p.stages {
        sets = match stage {
            Stage::Spanset(e) => eval_expr(trace, e, sets)?,
            Stage::ScalarFilter(f) => scalar_filter(trace, f, sets)?,
            Stage::GroupBy(e) => group_by(trace, e, sets)?,
            Stage::Coalesce => coalesce(sets),
            Stage::Select(_) => sets,
        };
        if sets.is_empty() {
            return Ok(Vec::new());
        }
    }
    Ok(sets)
}

fn group_by(trace: &TraceView, e: &FieldExpr, input: Vec<Set>) -> Result<Vec<Set>, EvalError> {
    let key = format!("by({})", super::validate::tempo_str(e));
    let mut out = Vec::new();
    for set in input {
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut groups: Vec<Set> = Vec::new();
        for &s in &set.spans {
            let v = eval_span(trace, s, e)?;
            let k = v.map_key();
            let g = *index.entry(k).or_insert_with(|| {
                let mut g = Set {
                    spans: Vec::new(),
                    attrs: set.attrs.clone(),
                };
                g.add_attr(key.clone(), v.clone());
                groups.push(g);
                groups.len() - 1
            });
            groups[g].spans.push(s);
        }
        out.extend(groups);
    }
    Ok(out)
}

fn coalesce(input: Vec<Set>) -> Vec<Set> {
    vec![Set {
        spans: input.into_iter().flat_map(|s| s.spans).collect(),
        attrs: Vec::new(),
    }]
}

/// Tempo's `Aggregate.String()`: `count()`, `avg(duration)`.
pub fn aggregate_name(a: &Aggregate) -> String {
    let f = match a.op {
        AggregateOp::Count => "count",
        AggregateOp::Avg => "avg",
        AggregateOp::Min => "min",
        AggregateOp::Max => "max",
        AggregateOp::Sum => "sum",
    };
    match &a.expr {
        Some(e) => format!("{f}({})", super::validate::tempo_str(e)),
        None => format!("{f}()"),
    }
}

/// Adds `o` into `acc` when both have the same type (Tempo's `sumInto`; other types are
/// skipped).
fn sum_into(acc: &mut Value, o: &Value) {
    match (acc, o) {
        (Value::Int(a), Value::Int(b)) => *a = a.wrapping_add(*b),
        (Value::Duration(a), Value::Duration(b)) => *a = a.wrapping_add(*b),
        (Value::Float(a), Value::Float(b)) => *a += *b,
        _ => {}
    }
}

/// The aggregate of one spanset (`None` when no span has a value: the spanset is dropped).
pub fn aggregate(trace: &TraceView, a: &Aggregate, set: &Set) -> Result<Option<Value>, EvalError> {
    let e = match (&a.op, &a.expr) {
        (AggregateOp::Count, _) | (_, None) => return Ok(Some(Value::Int(set.spans.len() as i64))),
        (_, Some(e)) => e,
    };
    let mut acc: Option<Value> = None;
    let mut n = 0usize;
    for &s in &set.spans {
        let v = eval_span(trace, s, e)?;
        if v.is_nil() {
            continue;
        }
        n += 1;
        acc = Some(match (acc, a.op) {
            (None, _) => v,
            (Some(mut cur), AggregateOp::Sum | AggregateOp::Avg) => {
                sum_into(&mut cur, &v);
                cur
            }
            (Some(cur), AggregateOp::Max) => {
                if v.tempo_cmp(&cur).is_gt() {
                    v
                } else {
                    cur
                }
            }
            (Some(cur), _) => {
                if v.tempo_cmp(&cur).is_lt() {
                    v
                } else {
                    cur
                }
            }
        });
    }
    Ok(match (acc, a.op) {
        (Some(Value::Int(s)), AggregateOp::Avg) => Some(Value::Float(s as f64 / n as f64)),
        (Some(Value::Duration(s)), AggregateOp::Avg) => Some(Value::Duration(s / n as i64)),
        (Some(Value::Float(s)), AggregateOp::Avg) => Some(Value::Float(s / n as f64)),
        (acc, _) => acc,
    })
}

fn scalar_filter(
    trace: &TraceView,
    f: &ScalarFilter,
    input: Vec<Set>,
) -> Result<Vec<Set>, EvalError> {
    let (agg, rhs) = match (&f.lhs, &f.rhs) {
        (ScalarExpr::Aggregate(a), ScalarExpr::Static(s)) => (a, Value::from_static(s)),
        _ => return Err(EvalError(super::validate::UNSUPPORTED_SCALAR_LHS.into())),
    };
    let name = aggregate_name(agg);
    let mut out = Vec::new();
    for mut set in input {
        let Some(v) = aggregate(trace, agg, &set)? else {
            continue;
        };
        let keep = compare(f.op, &v, &rhs);
        set.add_attr(name.clone(), v);
        if keep {
            out.push(set);
        }
    }
    Ok(out)
}

/// Tempo's `binOp` for aggregate filters: type checks, numeric comparison as floats,
/// `=`/`!=` as `Static.Equals`.
pub fn compare(op: CmpOp, l: &Value, r: &Value) -> bool {
    let (lt, rt) = (l.value_type(), r.value_type());
    let fop = crate::ast::FieldOp::Cmp(op);
    if !lt.is_matching_operand(rt)
        || !super::field::type_valid(fop, lt)
        || !super::field::type_valid(fop, rt)
    {
        return false;
    }
    let (a, b) = (l.as_f64(), r.as_f64());
    match op {
        CmpOp::Gt => a > b,
        CmpOp::Gte => a >= b,
        CmpOp::Lt => a < b,
        CmpOp::Lte => a <= b,
        CmpOp::Eq => l.tempo_eq(r),
        CmpOp::Neq => l.tempo_ne(r),
    }
}

/// Every attribute the query references (filters, `by`, aggregates, `select`), once each, in
/// query order, minus the intrinsics Tempo does not report per span (name, duration, span and
/// trace ids, trace duration, root name/service).
pub fn reported_attributes(e: &PipelineExpr) -> Vec<Attribute> {
    let mut out: Vec<Attribute> = Vec::new();
    let mut add = |a: &Attribute| {
        let skip = matches!(
            a,
            Attribute::Intrinsic(
                Intrinsic::Name
                    | Intrinsic::Duration
                    | Intrinsic::TraceDuration
                    | Intrinsic::RootServiceName
                    | Intrinsic::RootName
                    | Intrinsic::TraceId
                    | Intrinsic::SpanId
                    | Intrinsic::Parent
            )
        );
        if !skip && !out.contains(a) {
            out.push(a.clone());
        }
    };
    collect_root(e, &mut add);
    out
}

fn collect_root(e: &PipelineExpr, add: &mut dyn FnMut(&Attribute)) {
    match e {
        PipelineExpr::Pipeline(p) => collect_pipeline(p, add),
        PipelineExpr::Op { lhs, rhs, .. } => {
            collect_root(lhs, add);
            collect_root(rhs, add);
        }
        PipelineExpr::ScalarFilter { .. } => {}
    }
}

fn collect_pipeline(p: &Pipeline, add: &mut dyn FnMut(&Attribute)) {
    for st in &p.stages {
        match st {
            Stage::Spanset(s) => collect_spanset(s, add),
            Stage::ScalarFilter(f) => {
                collect_scalar(&f.lhs, add);
                collect_scalar(&f.rhs, add);
            }
            Stage::GroupBy(e) => visit_attrs(e, &mut |a| add(a)),
            Stage::Coalesce => {}
            Stage::Select(attrs) => attrs.iter().for_each(&mut *add),
        }
    }
}

fn collect_spanset(s: &SpansetExpr, add: &mut dyn FnMut(&Attribute)) {
    match s {
        SpansetExpr::Filter(e) => visit_attrs(e, &mut |a| add(a)),
        SpansetExpr::Op { lhs, rhs, .. } => {
            collect_spanset(lhs, add);
            collect_spanset(rhs, add);
        }
    }
}

fn collect_scalar(s: &ScalarExpr, add: &mut dyn FnMut(&Attribute)) {
    match s {
        ScalarExpr::Aggregate(a) => {
            if let Some(e) = &a.expr {
                visit_attrs(e, &mut |x| add(x));
            }
        }
        ScalarExpr::Static(_) => {}
        ScalarExpr::Op { lhs, rhs, .. } => {
            collect_scalar(lhs, add);
            collect_scalar(rhs, add);
        }
    }
}

/// The key Tempo uses for a reported attribute: the attribute name without scope
/// (`service.name`), or the intrinsic's name (`status`, `kind`, `span:childCount`).
pub fn reported_key(a: &Attribute) -> String {
    match a {
        Attribute::Intrinsic(i) => i.to_string(),
        Attribute::Attr { name, .. } => name.clone(),
    }
}

/// The value of `attr` on a span; event/link values from the first event/link that has one.
pub fn reported_value(trace: &TraceView, span: usize, attr: &Attribute) -> Value {
    reported_value_with(trace, span, attr, None, None)
}

/// As [`reported_value`], trying first the given event and link (the ones that satisfied the
/// query's event/link conditions, as Tempo reports values of the events that passed its
/// event-level filter).
fn reported_value_with(
    trace: &TraceView,
    span: usize,
    attr: &Attribute,
    event: Option<usize>,
    link: Option<usize>,
) -> Value {
    let s = &trace.spans[span].span;
    let mut ctx = SpanCtx {
        trace,
        span,
        event: None,
        link: None,
    };
    if is_event_attr(attr) {
        for i in event.into_iter().chain(0..s.events.len()) {
            ctx.event = Some(i);
            let v = attr_value(&ctx, attr);
            if !v.is_nil() {
                return v;
            }
        }
        return Value::Nil;
    }
    if is_link_attr(attr) {
        for i in link.into_iter().chain(0..s.links.len()) {
            ctx.link = Some(i);
            let v = attr_value(&ctx, attr);
            if !v.is_nil() {
                return v;
            }
        }
        return Value::Nil;
    }
    attr_value(&ctx, attr)
}

/// The filters of the query that read event or link values.
pub fn event_link_filters(e: &PipelineExpr) -> Vec<FieldExpr> {
    fn spanset(s: &SpansetExpr, out: &mut Vec<FieldExpr>) {
        match s {
            SpansetExpr::Filter(f) => {
                let mut hit = false;
                visit_attrs(f, &mut |a| hit |= is_event_attr(a) || is_link_attr(a));
                if hit {
                    out.push(f.clone());
                }
            }
            SpansetExpr::Op { lhs, rhs, .. } => {
                spanset(lhs, out);
                spanset(rhs, out);
            }
        }
    }
    fn root(e: &PipelineExpr, out: &mut Vec<FieldExpr>) {
        match e {
            PipelineExpr::Pipeline(p) => {
                for st in &p.stages {
                    if let Stage::Spanset(s) = st {
                        spanset(s, out);
                    }
                }
            }
            PipelineExpr::Op { lhs, rhs, .. } => {
                root(lhs, out);
                root(rhs, out);
            }
            PipelineExpr::ScalarFilter { .. } => {}
        }
    }
    let mut out = Vec::new();
    root(e, &mut out);
    out
}

/// The first (event, link) of span `span` for which one of `filters` holds.
fn witness(
    trace: &TraceView,
    span: usize,
    filters: &[FieldExpr],
) -> (Option<usize>, Option<usize>) {
    if filters.is_empty() {
        return (None, None);
    }
    let s = &trace.spans[span].span;
    let events: Vec<Option<usize>> = std::iter::once(None)
        .chain((0..s.events.len()).map(Some))
        .collect();
    let links: Vec<Option<usize>> = std::iter::once(None)
        .chain((0..s.links.len()).map(Some))
        .collect();
    for &event in &events {
        for &link in &links {
            if event.is_none() && link.is_none() {
                continue;
            }
            let ctx = SpanCtx {
                trace,
                span,
                event,
                link,
            };
            if filters
                .iter()
                .any(|f| super::field::eval(&ctx, f).ok() == Some(Value::Bool(true)))
            {
                return (event, link);
            }
        }
    }
    (None, None)
}

/// Converts an evaluated spanset to the public form with the reported attributes per span.
pub fn to_spanset(
    trace: &TraceView,
    set: Set,
    reported: &[Attribute],
    filters: &[FieldExpr],
) -> Spanset {
    let mut idx = set.spans;
    idx.sort_unstable();
    let spans = idx
        .iter()
        .map(|&i| {
            let (event, link) = witness(trace, i, filters);
            MatchedSpan {
                index: i,
                attributes: reported
                    .iter()
                    .filter_map(|a| {
                        let v = reported_value_with(trace, i, a, event, link);
                        (!v.is_nil()).then(|| (reported_key(a), v))
                    })
                    .collect(),
            }
        })
        .collect();
    Spanset {
        spans,
        attributes: set.attrs,
    }
}
