//! Semantic checks run before evaluation, with Tempo's messages (`pkg/traceql/ast_validate.go`):
//! operand types, regex syntax, aggregates and `by()` that must reference the span, `x = nil`
//! on intrinsics, and the syntax Tempo parses but does not evaluate (`parent.` attributes, the
//! `parent` intrinsic, scalar filters other than `aggregate op constant`), reported as
//! `… not yet supported`.

use super::field::{regex_for, type_valid};
use super::value::ValueType;
use super::EvalError;
use crate::ast::{
    Aggregate, AggregateOp, Attribute, FieldExpr, FieldOp, Intrinsic, Pipeline, PipelineExpr,
    ScalarExpr, Scope, SpansetExpr, Stage, Static, UnaryOp,
};

/// Tempo's message for scalar filters whose left side is not a single aggregate (including
/// `({…} | count()) > ({…} | count())`); the `%v` is verbatim in Tempo.
pub const UNSUPPORTED_SCALAR_LHS: &str = "scalar filter lhs of type (%v) not yet supported";

fn err<T>(msg: String) -> Result<T, EvalError> {
    Err(EvalError(msg))
}

/// Validates a whole search expression.
pub fn validate_root(e: &PipelineExpr) -> Result<(), EvalError> {
    match e {
        PipelineExpr::Pipeline(p) => validate_pipeline(p),
        PipelineExpr::Op { lhs, rhs, .. } => {
            validate_root(lhs)?;
            validate_root(rhs)
        }
        PipelineExpr::ScalarFilter { .. } => err(UNSUPPORTED_SCALAR_LHS.into()),
    }
}

/// Validates every stage of a pipeline.
pub fn validate_pipeline(p: &Pipeline) -> Result<(), EvalError> {
    for st in &p.stages {
        match st {
            Stage::Spanset(s) => validate_spanset(s)?,
            Stage::ScalarFilter(f) => {
                validate_scalar(&f.lhs)?;
                validate_scalar(&f.rhs)?;
                let (lt, rt) = (scalar_type(&f.lhs), scalar_type(&f.rhs));
                let op = FieldOp::Cmp(f.op);
                let text = || format!("{} {} {}", scalar_str(&f.lhs), f.op, scalar_str(&f.rhs));
                if !lt.is_matching_operand(rt) {
                    return err(format!(
                        "binary operations must operate on the same type: {}",
                        text()
                    ));
                }
                if !type_valid(op, lt) || !type_valid(op, rt) {
                    return err(format!("illegal operation for the given types: {}", text()));
                }
                if !matches!(f.lhs, ScalarExpr::Aggregate(_)) {
                    return err(UNSUPPORTED_SCALAR_LHS.into());
                }
                if !matches!(f.rhs, ScalarExpr::Static(_)) {
                    return err("scalar filter rhs of type (%v) not yet supported".into());
                }
            }
            Stage::GroupBy(e) => {
                if !references_span(e) {
                    return err(format!(
                        "grouping field expressions must reference the span: by({})",
                        tempo_str(e)
                    ));
                }
                validate_field(e)?;
            }
            Stage::Coalesce => {}
            Stage::Select(attrs) => {
                for a in attrs {
                    validate_attr(a)?;
                }
            }
        }
    }
    Ok(())
}

fn validate_spanset(s: &SpansetExpr) -> Result<(), EvalError> {
    match s {
        SpansetExpr::Filter(e) => {
            validate_field(e)?;
            let t = field_type(e);
            if t != ValueType::Attribute && t != ValueType::Bool {
                return err(format!(
                    "span filter field expressions must resolve to a boolean: {{ {} }}",
                    tempo_str(e)
                ));
            }
            Ok(())
        }
        SpansetExpr::Op { lhs, rhs, .. } => {
            validate_spanset(lhs)?;
            validate_spanset(rhs)
        }
    }
}

fn validate_scalar(s: &ScalarExpr) -> Result<(), EvalError> {
    match s {
        ScalarExpr::Aggregate(a) => validate_aggregate(a),
        ScalarExpr::Static(_) => Ok(()),
        ScalarExpr::Op { lhs, rhs, .. } => {
            validate_scalar(lhs)?;
            validate_scalar(rhs)
        }
    }
}

fn validate_aggregate(a: &Aggregate) -> Result<(), EvalError> {
    let Some(e) = &a.expr else {
        return Ok(());
    };
    validate_field(e)?;
    let t = field_type(e);
    let name = super::pipeline::aggregate_name(a);
    if t != ValueType::Attribute && !t.is_numeric() {
        return err(format!(
            "aggregate field expressions must resolve to a number type: {name}"
        ));
    }
    if !references_span(e) {
        return err(format!(
            "aggregate field expressions must reference the span: {name}"
        ));
    }
    Ok(())
}

fn validate_attr(a: &Attribute) -> Result<(), EvalError> {
    match a {
        Attribute::Attr { parent: true, .. } => err("parent not yet supported".into()),
        Attribute::Intrinsic(Intrinsic::Parent) => {
            err("intrinsic (parent) not yet supported".into())
        }
        _ => Ok(()),
    }
}

/// Validates a field expression (Tempo's `BinaryOperation/UnaryOperation/Attribute.validate`).
pub fn validate_field(e: &FieldExpr) -> Result<(), EvalError> {
    match e {
        FieldExpr::Static(_) => Ok(()),
        FieldExpr::Attribute(a) => validate_attr(a),
        FieldExpr::Unary { op, expr } => {
            validate_field(expr)?;
            if *op == UnaryOp::NotExists {
                if let FieldExpr::Attribute(a) = expr.as_ref() {
                    match a {
                        Attribute::Intrinsic(_) => {
                            return err(format!(
                                "{a}=nil is not valid because intrinsics cannot be nil"
                            ))
                        }
                        Attribute::Attr {
                            scope: Scope::Resource,
                            parent: false,
                            name,
                        } if name == "service.name" => {
                            return err(format!(
                                "{a}=nil is not valid because resource.service.name cannot be nil"
                            ))
                        }
                        _ => {}
                    }
                }
            }
            let t = field_type(expr);
            if t == ValueType::Attribute {
                return Ok(());
            }
            let ok = match op {
                UnaryOp::Neg => t.is_numeric(),
                UnaryOp::Not => t == ValueType::Bool,
                UnaryOp::Exists | UnaryOp::NotExists => true,
            };
            if !ok {
                return err(format!(
                    "illegal operation for the given type: {}",
                    tempo_str(e)
                ));
            }
            Ok(())
        }
        FieldExpr::Binary { op, lhs, rhs } => {
            validate_field(lhs)?;
            validate_field(rhs)?;
            let (lt, rt) = (field_type(lhs), field_type(rhs));
            if !lt.is_matching_operand(rt) {
                return err(format!(
                    "binary operations must operate on the same type: {}",
                    tempo_str(e)
                ));
            }
            if !type_valid(*op, lt) || !type_valid(*op, rt) {
                return err(format!(
                    "illegal operation for the given types: {}",
                    tempo_str(e)
                ));
            }
            if matches!(op, FieldOp::Regex | FieldOp::NotRegex) {
                match rhs.as_ref() {
                    FieldExpr::Static(Static::Str(p)) => {
                        regex_for(p)?;
                    }
                    other => {
                        return err(format!("invalid type for =~ or !~: {}", tempo_str(other)));
                    }
                }
            }
            Ok(())
        }
    }
}

/// Tempo's `String()` of a field expression: literals via `EncodeToString(true)` (backtick
/// strings, Go durations), attributes as written, non-leaf operands parenthesised.
pub fn tempo_str(e: &FieldExpr) -> String {
    fn wrap(e: &FieldExpr) -> String {
        match e {
            FieldExpr::Static(_) | FieldExpr::Attribute(_) => tempo_str(e),
            _ => format!("({})", tempo_str(e)),
        }
    }
    match e {
        FieldExpr::Static(s) => super::value::Value::from_static(s).encode_to_string(true),
        FieldExpr::Attribute(a) => a.to_string(),
        FieldExpr::Binary { op, lhs, rhs } => {
            format!("{} {op} {}", wrap(lhs), wrap(rhs))
        }
        FieldExpr::Unary { op, expr } => match op {
            UnaryOp::Neg => format!("-{}", wrap(expr)),
            UnaryOp::Not => format!("!{}", wrap(expr)),
            UnaryOp::Exists => format!("{} != nil", wrap(expr)),
            UnaryOp::NotExists => format!("{} = nil", wrap(expr)),
        },
    }
}

/// Whether an expression reads the span (contains an attribute or intrinsic).
pub fn references_span(e: &FieldExpr) -> bool {
    let mut found = false;
    super::field::visit_attrs(e, &mut |_| found = true);
    found
}

/// Tempo's `impliedType` of a field expression.
pub fn field_type(e: &FieldExpr) -> ValueType {
    match e {
        FieldExpr::Static(s) => static_type(s),
        FieldExpr::Attribute(a) => attr_type(a),
        FieldExpr::Unary { op, expr } => match op {
            UnaryOp::Exists | UnaryOp::NotExists => ValueType::Bool,
            _ => field_type(expr),
        },
        FieldExpr::Binary { op, lhs, rhs } => {
            if !matches!(op, FieldOp::Arith(_)) {
                return ValueType::Bool;
            }
            match field_type(lhs) {
                ValueType::Attribute => field_type(rhs),
                t => t,
            }
        }
    }
}

fn static_type(s: &Static) -> ValueType {
    match s {
        Static::Str(_) => ValueType::Str,
        Static::Int(_) => ValueType::Int,
        Static::Float(_) => ValueType::Float,
        Static::Bool(_) => ValueType::Bool,
        Static::Duration(_) => ValueType::Duration,
        Static::Status(_) => ValueType::Status,
        Static::Kind(_) => ValueType::Kind,
    }
}

/// Tempo's `Attribute.impliedType`: intrinsic types, `TypeAttribute` for attributes and the
/// instrumentation intrinsics.
pub fn attr_type(a: &Attribute) -> ValueType {
    use Intrinsic as I;
    match a {
        Attribute::Attr { .. } => ValueType::Attribute,
        Attribute::Intrinsic(i) => match i {
            I::Duration | I::TraceDuration | I::EventTimeSinceStart => ValueType::Duration,
            I::ChildCount | I::NestedSetLeft | I::NestedSetRight | I::NestedSetParent => {
                ValueType::Int
            }
            I::Name
            | I::StatusMessage
            | I::EventName
            | I::LinkTraceId
            | I::LinkSpanId
            | I::RootServiceName
            | I::RootName
            | I::TraceId
            | I::SpanId
            | I::ParentId => ValueType::Str,
            I::Status => ValueType::Status,
            I::Kind => ValueType::Kind,
            I::Parent => ValueType::Nil,
            I::InstrumentationName | I::InstrumentationVersion => ValueType::Attribute,
        },
    }
}

fn scalar_type(s: &ScalarExpr) -> ValueType {
    match s {
        ScalarExpr::Aggregate(a) => match (&a.op, &a.expr) {
            (AggregateOp::Count, _) | (_, None) => ValueType::Int,
            (_, Some(e)) => field_type(e),
        },
        ScalarExpr::Static(s) => static_type(s),
        ScalarExpr::Op { lhs, rhs, .. } => match scalar_type(lhs) {
            ValueType::Attribute => scalar_type(rhs),
            t => t,
        },
    }
}

fn scalar_str(s: &ScalarExpr) -> String {
    match s {
        ScalarExpr::Aggregate(a) => super::pipeline::aggregate_name(a),
        ScalarExpr::Static(s) => super::value::Value::from_static(s).encode_to_string(true),
        ScalarExpr::Op { op, lhs, rhs } => {
            format!("({}) {op} ({})", scalar_str(lhs), scalar_str(rhs))
        }
    }
}
