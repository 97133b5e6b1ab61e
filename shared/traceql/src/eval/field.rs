//! Per-span evaluation of field expressions (the inside of `{ … }`, `by(…)`, aggregates), as
//! Tempo's `BinaryOperation.execute`, `UnaryOperation.execute` and the storage layer's
//! `Span.AttributeFor` (`pkg/traceql/ast_execute.go`, `tempodb/encoding/vparquet5`).
//!
//! Event and link values (`event.x`, `event:name`, `link.x`, `link:traceID`…) belong to one
//! event/link at a time: a condition over them holds when it holds for **some** event (and
//! some link) of the span, as Tempo's event/link-level iterators do.

use super::trace::TraceView;
use super::value::{Value, ValueType};
use super::EvalError;
use crate::ast::{
    ArithOp, Attribute, CmpOp, FieldExpr, FieldOp, Intrinsic, Kind, Scope, Status, UnaryOp,
};
use opentelemetry_proto::tonic::common::v1::any_value::Value as Av;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue};
use regex::Regex;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// The span being evaluated plus the event and link currently in view.
#[derive(Debug, Clone, Copy)]
pub struct SpanCtx<'a> {
    /// The trace.
    pub trace: &'a TraceView,
    /// Span index in [`TraceView::spans`].
    pub span: usize,
    /// Event index in the span's `events` (None: no event in view).
    pub event: Option<usize>,
    /// Link index in the span's `links` (None: no link in view).
    pub link: Option<usize>,
}

/// Converts an OTLP attribute value (strings, ints, doubles, bools, arrays of those); bytes
/// and key-value lists are not queryable in Tempo and give [`Value::Nil`].
pub fn any_value(v: Option<&AnyValue>) -> Value {
    match v.and_then(|v| v.value.as_ref()) {
        Some(Av::StringValue(s)) => Value::Str(s.clone()),
        Some(Av::IntValue(i)) => Value::Int(*i),
        Some(Av::DoubleValue(f)) => Value::Float(*f),
        Some(Av::BoolValue(b)) => Value::Bool(*b),
        Some(Av::ArrayValue(a)) => Value::Array(
            a.values
                .iter()
                .map(|v| any_value(Some(v)))
                .filter(|v| !v.is_nil() && !matches!(v, Value::Array(_)))
                .collect(),
        ),
        _ => Value::Nil,
    }
}

fn find_kv(kvs: &[KeyValue], name: &str) -> Value {
    kvs.iter()
        .find(|kv| kv.key == name)
        .map(|kv| any_value(kv.value.as_ref()))
        .unwrap_or(Value::Nil)
}

/// Tempo's `SpanIDToHexString`: hex without leading zeros, left-padded to 16 digits.
pub fn span_id_hex(id: &[u8]) -> String {
    let h = hex(id);
    format!("{:0>16}", h.trim_start_matches('0'))
}

/// Tempo's `TraceIDToHexString`: hex without leading zeros.
pub fn trace_id_hex(id: &[u8]) -> String {
    let h = hex(id);
    let t = h.trim_start_matches('0');
    if t.is_empty() && !h.is_empty() {
        "0".into()
    } else {
        t.into()
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn status_of(code: i32) -> Status {
    match code {
        1 => Status::Ok,
        2 => Status::Error,
        _ => Status::Unset,
    }
}

fn kind_of(k: i32) -> Kind {
    match k {
        1 => Kind::Internal,
        2 => Kind::Server,
        3 => Kind::Client,
        4 => Kind::Producer,
        5 => Kind::Consumer,
        _ => Kind::Unspecified,
    }
}

/// The value of an attribute/intrinsic in `ctx` ([`Value::Nil`] when absent).
pub fn attr_value(ctx: &SpanCtx<'_>, attr: &Attribute) -> Value {
    let rec = &ctx.trace.spans[ctx.span];
    let span = &rec.span;
    let event = ctx.event.and_then(|i| span.events.get(i));
    let link = ctx.link.and_then(|i| span.links.get(i));
    let res_attrs = rec
        .resource
        .resource
        .as_ref()
        .map(|r| r.attributes.as_slice())
        .unwrap_or(&[]);
    let scope = rec.scope.scope.as_ref();
    match attr {
        Attribute::Attr {
            scope: sc, name, ..
        } => match sc {
            Scope::Span => find_kv(&span.attributes, name),
            Scope::Resource => find_kv(res_attrs, name),
            Scope::None => match find_kv(&span.attributes, name) {
                Value::Nil => find_kv(res_attrs, name),
                v => v,
            },
            Scope::Event => event
                .map(|e| find_kv(&e.attributes, name))
                .unwrap_or(Value::Nil),
            Scope::Link => link
                .map(|l| find_kv(&l.attributes, name))
                .unwrap_or(Value::Nil),
            Scope::Instrumentation => scope
                .map(|s| find_kv(&s.attributes, name))
                .unwrap_or(Value::Nil),
        },
        Attribute::Intrinsic(i) => {
            let t = ctx.trace;
            match i {
                Intrinsic::Duration => Value::Duration(
                    span.end_time_unix_nano
                        .saturating_sub(span.start_time_unix_nano) as i64,
                ),
                Intrinsic::Name => Value::Str(span.name.clone()),
                Intrinsic::Status => {
                    Value::Status(status_of(span.status.as_ref().map_or(0, |s| s.code)))
                }
                Intrinsic::StatusMessage => Value::Str(
                    span.status
                        .as_ref()
                        .map(|s| s.message.clone())
                        .unwrap_or_default(),
                ),
                Intrinsic::Kind => Value::Kind(kind_of(span.kind)),
                Intrinsic::SpanId => Value::Str(span_id_hex(&span.span_id)),
                Intrinsic::ParentId => Value::Str(span_id_hex(&span.parent_span_id)),
                // Tempo assigns child counts only in traces with a root span.
                Intrinsic::ChildCount if t.root.is_none() => Value::Int(0),
                Intrinsic::ChildCount => Value::Int(t.children[ctx.span].len() as i64),
                Intrinsic::Parent => Value::Nil,
                Intrinsic::RootName => Value::Str(t.root_name().to_string()),
                Intrinsic::RootServiceName => Value::Str(t.root_service_name()),
                Intrinsic::TraceDuration => Value::Duration(t.duration_ns()),
                Intrinsic::TraceId => Value::Str(trace_id_hex(&t.trace_id)),
                Intrinsic::NestedSetLeft => Value::Int(t.nested[ctx.span].left),
                Intrinsic::NestedSetRight => Value::Int(t.nested[ctx.span].right),
                Intrinsic::NestedSetParent => Value::Int(t.nested[ctx.span].parent),
                Intrinsic::EventName => event
                    .map(|e| Value::Str(e.name.clone()))
                    .unwrap_or(Value::Nil),
                Intrinsic::EventTimeSinceStart => event
                    .map(|e| {
                        Value::Duration(e.time_unix_nano as i64 - span.start_time_unix_nano as i64)
                    })
                    .unwrap_or(Value::Nil),
                Intrinsic::LinkTraceId => link
                    .map(|l| Value::Str(trace_id_hex(&l.trace_id)))
                    .unwrap_or(Value::Nil),
                Intrinsic::LinkSpanId => link
                    .map(|l| Value::Str(span_id_hex(&l.span_id)))
                    .unwrap_or(Value::Nil),
                Intrinsic::InstrumentationName => scope
                    .map(|s| Value::Str(s.name.clone()))
                    .unwrap_or(Value::Nil),
                Intrinsic::InstrumentationVersion => scope
                    .map(|s| Value::Str(s.version.clone()))
                    .unwrap_or(Value::Nil),
            }
        }
    }
}

/// Whether an attribute lives on events (`event.x`, `event:*`).
pub fn is_event_attr(a: &Attribute) -> bool {
    matches!(
        a,
        Attribute::Attr {
            scope: Scope::Event,
            ..
        } | Attribute::Intrinsic(Intrinsic::EventName | Intrinsic::EventTimeSinceStart)
    )
}

/// Whether an attribute lives on links (`link.x`, `link:*`).
pub fn is_link_attr(a: &Attribute) -> bool {
    matches!(
        a,
        Attribute::Attr {
            scope: Scope::Link,
            ..
        } | Attribute::Intrinsic(Intrinsic::LinkTraceId | Intrinsic::LinkSpanId)
    )
}

/// Calls `f` on every attribute referenced by `e`, left to right.
pub fn visit_attrs<'a>(e: &'a FieldExpr, f: &mut dyn FnMut(&'a Attribute)) {
    match e {
        FieldExpr::Static(_) => {}
        FieldExpr::Attribute(a) => f(a),
        FieldExpr::Binary { lhs, rhs, .. } => {
            visit_attrs(lhs, f);
            visit_attrs(rhs, f);
        }
        FieldExpr::Unary { expr, .. } => visit_attrs(expr, f),
    }
}

/// Evaluates `e` on span `span` trying every event and link of the span that the expression
/// needs (none when it references no event/link value). Returns the first `Bool(true)`
/// outcome, else the outcome for the first combination.
pub fn eval_span(trace: &TraceView, span: usize, e: &FieldExpr) -> Result<Value, EvalError> {
    let (mut ev, mut lk) = (false, false);
    visit_attrs(e, &mut |a| {
        ev |= is_event_attr(a);
        lk |= is_link_attr(a);
    });
    if !ev && !lk {
        let ctx = SpanCtx {
            trace,
            span,
            event: None,
            link: None,
        };
        return eval(&ctx, e);
    }
    let s = &trace.spans[span].span;
    let events: Vec<Option<usize>> = if ev && !s.events.is_empty() {
        (0..s.events.len()).map(Some).collect()
    } else {
        vec![None]
    };
    let links: Vec<Option<usize>> = if lk && !s.links.is_empty() {
        (0..s.links.len()).map(Some).collect()
    } else {
        vec![None]
    };
    let mut first = None;
    for &event in &events {
        for &link in &links {
            let ctx = SpanCtx {
                trace,
                span,
                event,
                link,
            };
            let v = eval(&ctx, e)?;
            if v == Value::Bool(true) {
                return Ok(v);
            }
            if first.is_none() {
                first = Some(v);
            }
        }
    }
    Ok(first.unwrap_or(Value::Nil))
}

/// Evaluates a field expression in `ctx` (Tempo's `execute`). Errors: integer division or
/// modulo by zero, `!`/`-` on a wrong type, array-vs-array operators.
pub fn eval(ctx: &SpanCtx<'_>, e: &FieldExpr) -> Result<Value, EvalError> {
    match e {
        FieldExpr::Static(s) => Ok(Value::from_static(s)),
        FieldExpr::Attribute(a) => Ok(attr_value(ctx, a)),
        FieldExpr::Unary { op, expr } => {
            let v = eval(ctx, expr)?;
            match op {
                UnaryOp::Exists => Ok(Value::Bool(!v.is_nil())),
                UnaryOp::NotExists => Ok(Value::Bool(v.is_nil())),
                UnaryOp::Not => match v {
                    Value::Bool(b) => Ok(Value::Bool(!b)),
                    // An absent attribute never matches (Tempo's fetch layer drops the span).
                    Value::Nil => Ok(Value::Bool(false)),
                    other => Err(EvalError(format!(
                        "expression ({}) expected a boolean, but got {}",
                        super::validate::tempo_str(e),
                        other.value_type().tempo_name()
                    ))),
                },
                UnaryOp::Neg => match v {
                    Value::Int(i) => Ok(Value::Int(i.wrapping_neg())),
                    Value::Float(f) => Ok(Value::Float(-f)),
                    Value::Duration(d) => Ok(Value::Duration(d.wrapping_neg())),
                    Value::Nil => Ok(Value::Nil),
                    other => Err(EvalError(format!(
                        "expression ({}) expected a numeric, but got {}",
                        super::validate::tempo_str(e),
                        other.value_type().tempo_name()
                    ))),
                },
            }
        }
        FieldExpr::Binary { op, lhs, rhs } => {
            let l = eval(ctx, lhs)?;
            match (op, &l) {
                (FieldOp::And, Value::Bool(false)) => return Ok(Value::Bool(false)),
                (FieldOp::Or, Value::Bool(true)) => return Ok(Value::Bool(true)),
                _ => {}
            }
            let r = eval(ctx, rhs)?;
            binary(*op, l, r)
        }
    }
}

fn is_boolean_op(op: FieldOp) -> bool {
    !matches!(op, FieldOp::Arith(_))
}

/// Tempo's `binaryTypeValid` for one operand type.
pub fn type_valid(op: FieldOp, t: ValueType) -> bool {
    use ValueType as T;
    match t {
        T::Attribute => true,
        T::Bool | T::BoolArray => matches!(
            op,
            FieldOp::And | FieldOp::Or | FieldOp::Cmp(CmpOp::Eq) | FieldOp::Cmp(CmpOp::Neq)
        ),
        T::Float | T::FloatArray | T::Int | T::IntArray | T::Duration => {
            matches!(op, FieldOp::Arith(_) | FieldOp::Cmp(_))
        }
        T::Str | T::StrArray => matches!(op, FieldOp::Cmp(_) | FieldOp::Regex | FieldOp::NotRegex),
        T::Nil | T::Status | T::Kind => {
            matches!(op, FieldOp::Cmp(CmpOp::Eq) | FieldOp::Cmp(CmpOp::Neq))
        }
        T::Spanset => false,
    }
}

/// A binary operation between two evaluated operands (Tempo's `BinaryOperation.execute`).
pub fn binary(op: FieldOp, l: Value, r: Value) -> Result<Value, EvalError> {
    let (lt, rt) = (l.value_type(), r.value_type());
    if !lt.is_matching_operand(rt) || !type_valid(op, lt) || !type_valid(op, rt) {
        return Ok(Value::Bool(false));
    }
    if lt.is_matching_array_element(rt) {
        return array_op(op, l, r);
    }
    scalar(op, l, r)
}

fn array_op(op: FieldOp, l: Value, r: Value) -> Result<Value, EvalError> {
    if !is_boolean_op(op) {
        return Err(EvalError("unsupported operation".into()));
    }
    let (mut elem_op, mut array, mut sc, mut flip) = (op, r, l, false);
    if let Value::Array(_) = sc {
        if let Value::Array(_) = array {
            return Err(EvalError(
                "array operators must consist of a scalar and an array operand".into(),
            ));
        }
        elem_op = flipped(op);
        std::mem::swap(&mut array, &mut sc);
        flip = matches!(elem_op, FieldOp::Regex | FieldOp::NotRegex);
    }
    let elems = match array {
        Value::Array(a) => a,
        other => vec![other],
    };
    let match_all = matches!(elem_op, FieldOp::Cmp(CmpOp::Neq) | FieldOp::NotRegex);
    let mut matched = 0usize;
    for el in &elems {
        let (a, b) = if flip {
            (el.clone(), sc.clone())
        } else {
            (sc.clone(), el.clone())
        };
        let (at, bt) = (a.value_type(), b.value_type());
        let res = if !at.is_matching_operand(bt)
            || !type_valid(elem_op, at)
            || !type_valid(elem_op, bt)
        {
            Value::Bool(false)
        } else {
            scalar(elem_op, a, b)?
        };
        if res == Value::Bool(true) {
            matched += 1;
            if !match_all {
                break;
            }
        }
    }
    Ok(Value::Bool(if match_all {
        matched == elems.len()
    } else {
        matched > 0
    }))
}

fn flipped(op: FieldOp) -> FieldOp {
    match op {
        FieldOp::Cmp(CmpOp::Gt) => FieldOp::Cmp(CmpOp::Lt),
        FieldOp::Cmp(CmpOp::Gte) => FieldOp::Cmp(CmpOp::Lte),
        FieldOp::Cmp(CmpOp::Lt) => FieldOp::Cmp(CmpOp::Gt),
        FieldOp::Cmp(CmpOp::Lte) => FieldOp::Cmp(CmpOp::Gte),
        o => o,
    }
}

/// Scalar operation after the type checks (string, int, bool fast paths, then the float
/// catch-all as Tempo).
fn scalar(op: FieldOp, l: Value, r: Value) -> Result<Value, EvalError> {
    match (&l, &r) {
        (Value::Str(a), Value::Str(b)) => match op {
            FieldOp::Cmp(CmpOp::Gt) => return Ok(Value::Bool(a > b)),
            FieldOp::Cmp(CmpOp::Gte) => return Ok(Value::Bool(a >= b)),
            FieldOp::Cmp(CmpOp::Lt) => return Ok(Value::Bool(a < b)),
            FieldOp::Cmp(CmpOp::Lte) => return Ok(Value::Bool(a <= b)),
            FieldOp::Regex | FieldOp::NotRegex => {
                let re = regex_for(b)?;
                return Ok(Value::Bool(re.is_match(a) == (op == FieldOp::Regex)));
            }
            _ => {}
        },
        (Value::Int(a), Value::Int(b)) => {
            let (a, b) = (*a, *b);
            let v = match op {
                FieldOp::Arith(ArithOp::Add) => Value::Int(a.wrapping_add(b)),
                FieldOp::Arith(ArithOp::Sub) => Value::Int(a.wrapping_sub(b)),
                FieldOp::Arith(ArithOp::Mul) => Value::Int(a.wrapping_mul(b)),
                FieldOp::Arith(ArithOp::Div) if b == 0 => {
                    return Err(EvalError("division by zero".into()))
                }
                FieldOp::Arith(ArithOp::Div) => Value::Int(a.wrapping_div(b)),
                FieldOp::Arith(ArithOp::Mod) if b == 0 => {
                    return Err(EvalError("modulo by zero".into()))
                }
                FieldOp::Arith(ArithOp::Mod) => Value::Int(a.wrapping_rem(b)),
                // Tempo computes intPow(rhs, lhs): the operands are swapped.
                FieldOp::Arith(ArithOp::Pow) => Value::Int((b as f64).powf(a as f64) as i64),
                FieldOp::Cmp(CmpOp::Gt) => Value::Bool(a > b),
                FieldOp::Cmp(CmpOp::Gte) => Value::Bool(a >= b),
                FieldOp::Cmp(CmpOp::Lt) => Value::Bool(a < b),
                FieldOp::Cmp(CmpOp::Lte) => Value::Bool(a <= b),
                _ => Value::Nil,
            };
            if !v.is_nil() {
                return Ok(v);
            }
        }
        (Value::Bool(a), Value::Bool(b)) => match op {
            FieldOp::And => return Ok(Value::Bool(*a && *b)),
            FieldOp::Or => return Ok(Value::Bool(*a || *b)),
            _ => {}
        },
        _ => {}
    }
    let (a, b) = (l.as_f64(), r.as_f64());
    Ok(match op {
        FieldOp::Arith(ArithOp::Add) => Value::Float(a + b),
        FieldOp::Arith(ArithOp::Sub) => Value::Float(a - b),
        FieldOp::Arith(ArithOp::Mul) => Value::Float(a * b),
        FieldOp::Arith(ArithOp::Div) => Value::Float(a / b),
        FieldOp::Arith(ArithOp::Mod) => Value::Float(a % b),
        FieldOp::Arith(ArithOp::Pow) => Value::Float(a.powf(b)),
        FieldOp::Cmp(CmpOp::Gt) => Value::Bool(a > b),
        FieldOp::Cmp(CmpOp::Gte) => Value::Bool(a >= b),
        FieldOp::Cmp(CmpOp::Lt) => Value::Bool(a < b),
        FieldOp::Cmp(CmpOp::Lte) => Value::Bool(a <= b),
        FieldOp::Cmp(CmpOp::Eq) => Value::Bool(l.tempo_eq(&r)),
        FieldOp::Cmp(CmpOp::Neq) => Value::Bool(l.tempo_ne(&r)),
        FieldOp::Regex => return Err(EvalError("unexpected operator =~".into())),
        FieldOp::NotRegex => return Err(EvalError("unexpected operator !~".into())),
        FieldOp::And => return Err(EvalError("unexpected operator &&".into())),
        FieldOp::Or => return Err(EvalError("unexpected operator ||".into())),
    })
}

/// Compiles a TraceQL regex as Prometheus' `FastRegexMatcher` (used by Tempo): fully
/// anchored, `.` matches newlines. Cached process-wide.
pub fn regex_for(pattern: &str) -> Result<Regex, EvalError> {
    static CACHE: OnceLock<Mutex<HashMap<String, Regex>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    if let Ok(c) = cache.lock() {
        if let Some(r) = c.get(pattern) {
            return Ok(r.clone());
        }
    }
    let re = Regex::new(&format!("^(?s:{pattern})$"))
        .map_err(|_| EvalError(format!("invalid regex: `{pattern}`")))?;
    if let Ok(mut c) = cache.lock() {
        if c.len() > 1000 {
            c.clear();
        }
        c.insert(pattern.to_string(), re.clone());
    }
    Ok(re)
}
