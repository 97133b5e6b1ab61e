//! Canonical TraceQL printer: `Display` on the AST. Output re-parses to an equal AST.
//! Non-leaf operands are parenthesised (as Tempo's `String()`), strings and attribute names
//! are quoted only when needed, durations use the largest exact unit (`1500ms`, `2h`).

use crate::ast::*;
use crate::eval::value::{kind_name, status_name};
use crate::lexer::is_attribute_char;
use std::fmt::{self, Display, Formatter, Write};

impl Display for Query {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.body)?;
        if !self.hints.is_empty() {
            f.write_str(" with(")?;
            for (i, h) in self.hints.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{}={}", h.name, h.value)?;
            }
            f.write_str(")")?;
        }
        Ok(())
    }
}

impl Display for Body {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Body::Spans(p) => write!(f, "{p}"),
            Body::Metrics(m) => write!(f, "{m}"),
        }
    }
}

impl Display for PipelineExpr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            PipelineExpr::Pipeline(p) => write!(f, "{p}"),
            PipelineExpr::Op { op, lhs, rhs } => {
                write!(f, "({}) {} ({})", Bare(lhs), op, Bare(rhs))
            }
            PipelineExpr::ScalarFilter { op, lhs, rhs } => write!(f, "{lhs} {op} {rhs}"),
        }
    }
}

/// A pipeline expression printed without its own outer parentheses.
struct Bare<'a>(&'a PipelineExpr);

impl Display for Bare<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Display for ScalarPipelineExpr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            ScalarPipelineExpr::Pipeline {
                pipeline,
                aggregate,
            } => write!(f, "({pipeline} | {aggregate})"),
            ScalarPipelineExpr::Static(s) => write!(f, "{s}"),
            ScalarPipelineExpr::Op { op, lhs, rhs } => write!(f, "({lhs} {op} {rhs})"),
        }
    }
}

impl Display for Pipeline {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for (i, s) in self.stages.iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            write!(f, "{s}")?;
        }
        Ok(())
    }
}

impl Display for Stage {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Stage::Spanset(s) => write!(f, "{s}"),
            Stage::ScalarFilter(s) => write!(f, "{} {} {}", s.lhs, s.op, s.rhs),
            Stage::GroupBy(e) => write!(f, "by({e})"),
            Stage::Coalesce => f.write_str("coalesce()"),
            Stage::Select(a) => write!(f, "select({})", List(a)),
        }
    }
}

struct List<'a>(&'a [Attribute]);

impl Display for List<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for (i, a) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{a}")?;
        }
        Ok(())
    }
}

impl Display for SpansetExpr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            SpansetExpr::Filter(e) => write!(f, "{{ {e} }}"),
            SpansetExpr::Op { op, lhs, rhs } => {
                for (i, side) in [lhs, rhs].into_iter().enumerate() {
                    if i == 1 {
                        write!(f, " {op} ")?;
                    }
                    match side.as_ref() {
                        SpansetExpr::Filter(_) => write!(f, "{side}")?,
                        _ => write!(f, "({side})")?,
                    }
                }
                Ok(())
            }
        }
    }
}

impl Display for SpansetOp {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SpansetOp::And => "&&",
            SpansetOp::Union => "||",
            SpansetOp::Child => ">",
            SpansetOp::Parent => "<",
            SpansetOp::Descendant => ">>",
            SpansetOp::Ancestor => "<<",
            SpansetOp::Sibling => "~",
            SpansetOp::NotChild => "!>",
            SpansetOp::NotParent => "!<",
            SpansetOp::NotDescendant => "!>>",
            SpansetOp::NotAncestor => "!<<",
            SpansetOp::NotSibling => "!~",
            SpansetOp::UnionChild => "&>",
            SpansetOp::UnionParent => "&<",
            SpansetOp::UnionDescendant => "&>>",
            SpansetOp::UnionAncestor => "&<<",
            SpansetOp::UnionSibling => "&~",
        })
    }
}

impl Display for CmpOp {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CmpOp::Eq => "=",
            CmpOp::Neq => "!=",
            CmpOp::Lt => "<",
            CmpOp::Lte => "<=",
            CmpOp::Gt => ">",
            CmpOp::Gte => ">=",
        })
    }
}

impl Display for ArithOp {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
            ArithOp::Div => "/",
            ArithOp::Mod => "%",
            ArithOp::Pow => "^",
        })
    }
}

impl Display for ScalarExpr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            ScalarExpr::Aggregate(a) => write!(f, "{a}"),
            ScalarExpr::Static(s) => write!(f, "{s}"),
            ScalarExpr::Op { op, lhs, rhs } => write!(f, "({lhs} {op} {rhs})"),
        }
    }
}

impl Display for Aggregate {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let name = match self.op {
            AggregateOp::Count => "count",
            AggregateOp::Avg => "avg",
            AggregateOp::Min => "min",
            AggregateOp::Max => "max",
            AggregateOp::Sum => "sum",
        };
        match &self.expr {
            Some(e) => write!(f, "{name}({e})"),
            None => write!(f, "{name}()"),
        }
    }
}

impl Display for FieldOp {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            FieldOp::Arith(a) => write!(f, "{a}"),
            FieldOp::Cmp(c) => write!(f, "{c}"),
            FieldOp::Regex => f.write_str("=~"),
            FieldOp::NotRegex => f.write_str("!~"),
            FieldOp::And => f.write_str("&&"),
            FieldOp::Or => f.write_str("||"),
        }
    }
}

/// Field-expression operand: leaves bare, everything else in parentheses (as Tempo).
struct Wrap<'a>(&'a FieldExpr);

impl Display for Wrap<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self.0 {
            FieldExpr::Static(_) | FieldExpr::Attribute(_) => write!(f, "{}", self.0),
            e => write!(f, "({e})"),
        }
    }
}

impl Display for FieldExpr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            FieldExpr::Static(s) => write!(f, "{s}"),
            FieldExpr::Attribute(a) => write!(f, "{a}"),
            FieldExpr::Binary { op, lhs, rhs } => {
                write!(f, "{} {op} {}", Wrap(lhs), Wrap(rhs))
            }
            FieldExpr::Unary { op, expr } => match op {
                UnaryOp::Neg => write!(f, "-{}", Wrap(expr)),
                UnaryOp::Not => write!(f, "!{}", Wrap(expr)),
                UnaryOp::Exists => write!(f, "{} != nil", Wrap(expr)),
                UnaryOp::NotExists => write!(f, "{} = nil", Wrap(expr)),
            },
        }
    }
}

/// Go-style quoted string literal.
fn quote(s: &str, f: &mut Formatter<'_>) -> fmt::Result {
    f.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c if c.is_control() => write!(f, "\\u{:04x}", c as u32)?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

/// Float printed so that it lexes back as a float (`2.0`, `0.5`, `1e-7`).
pub(crate) fn float(v: f64) -> String {
    let s = format!("{v:?}");
    if s.contains(['.', 'e', 'E', 'i', 'N']) {
        s
    } else {
        format!("{s}.0")
    }
}

/// Number printed for metrics values (integral values without a fraction).
fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        float(v)
    }
}

/// Duration in the largest exact unit (`2h`, `90s`, `1500us`).
pub(crate) fn duration(ns: i64) -> String {
    let sign = if ns < 0 { "-" } else { "" };
    let a = ns.unsigned_abs();
    if a == 0 {
        return "0s".into();
    }
    let units: [(u64, &str); 6] = [
        (3_600_000_000_000, "h"),
        (60_000_000_000, "m"),
        (1_000_000_000, "s"),
        (1_000_000, "ms"),
        (1_000, "us"),
        (1, "ns"),
    ];
    for (n, u) in units {
        if a.is_multiple_of(n) {
            return format!("{sign}{}{u}", a / n);
        }
    }
    format!("{sign}{a}ns")
}

impl Display for Static {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Static::Str(s) => quote(s, f),
            Static::Int(i64::MIN) => f.write_str("minInt"),
            Static::Int(i) => write!(f, "{i}"),
            Static::Float(v) => f.write_str(&float(*v)),
            Static::Bool(b) => write!(f, "{b}"),
            Static::Duration(d) => f.write_str(&duration(*d)),
            Static::Status(s) => f.write_str(status_name(*s)),
            Static::Kind(k) => f.write_str(kind_name(*k)),
        }
    }
}

impl Display for Intrinsic {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Intrinsic::Duration => "duration",
            Intrinsic::Name => "name",
            Intrinsic::Status => "status",
            Intrinsic::StatusMessage => "statusMessage",
            Intrinsic::Kind => "kind",
            Intrinsic::SpanId => "span:id",
            Intrinsic::ParentId => "span:parentID",
            Intrinsic::ChildCount => "span:childCount",
            Intrinsic::Parent => "parent",
            Intrinsic::RootName => "rootName",
            Intrinsic::RootServiceName => "rootServiceName",
            Intrinsic::TraceDuration => "traceDuration",
            Intrinsic::TraceId => "trace:id",
            Intrinsic::NestedSetLeft => "nestedSetLeft",
            Intrinsic::NestedSetRight => "nestedSetRight",
            Intrinsic::NestedSetParent => "nestedSetParent",
            Intrinsic::EventName => "event:name",
            Intrinsic::EventTimeSinceStart => "event:timeSinceStart",
            Intrinsic::LinkTraceId => "link:traceID",
            Intrinsic::LinkSpanId => "link:spanID",
            Intrinsic::InstrumentationName => "instrumentation:name",
            Intrinsic::InstrumentationVersion => "instrumentation:version",
        })
    }
}

impl Display for Attribute {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Attribute::Intrinsic(i) => write!(f, "{i}"),
            Attribute::Attr {
                scope,
                parent,
                name,
            } => {
                if *parent {
                    f.write_str("parent.")?;
                }
                f.write_str(match scope {
                    Scope::None if *parent => "",
                    Scope::None => ".",
                    Scope::Span => "span.",
                    Scope::Resource => "resource.",
                    Scope::Event => "event.",
                    Scope::Link => "link.",
                    Scope::Instrumentation => "instrumentation.",
                })?;
                // `.5` would lex as a float, `parent.span.x` as a scoped attribute.
                let digit_start = *scope == Scope::None
                    && !*parent
                    && name.starts_with(|c: char| c.is_ascii_digit());
                let plain = !name.is_empty()
                    && name.chars().all(|c| is_attribute_char(c) && c != '"')
                    && !name.starts_with("span.")
                    && !name.starts_with("resource.")
                    && !digit_start;
                if plain {
                    f.write_str(name)
                } else {
                    f.write_char('"')?;
                    for c in name.chars() {
                        if c == '"' || c == '\\' {
                            f.write_char('\\')?;
                        }
                        f.write_char(c)?;
                    }
                    f.write_char('"')
                }
            }
        }
    }
}

impl Display for MetricsExpr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            MetricsExpr::Pipeline {
                pipeline,
                function,
                second,
            } => {
                write!(f, "{pipeline} | {function}")?;
                write_second(f, second)
            }
            MetricsExpr::Op { op, lhs, rhs } => write!(f, "({lhs}) {op} ({rhs})"),
            MetricsExpr::ScalarOp {
                op,
                scalar,
                scalar_left,
                expr,
            } => {
                let s = number(*scalar);
                if *scalar_left {
                    write!(f, "{s} {op} ({expr})")
                } else {
                    write!(f, "({expr}) {op} {s}")
                }
            }
            MetricsExpr::Second { expr, second } => {
                write!(f, "({expr})")?;
                write_second(f, second)
            }
        }
    }
}

fn write_second(f: &mut Formatter<'_>, second: &[SecondStage]) -> fmt::Result {
    for s in second {
        match s {
            SecondStage::TopK(n) => write!(f, " | topk({n})")?,
            SecondStage::BottomK(n) => write!(f, " | bottomk({n})")?,
            SecondStage::Filter(op, v) => write!(f, " {op} {}", number(*v))?,
        }
    }
    Ok(())
}

impl Display for MetricsFunction {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match &self.kind {
            MetricsKind::Rate => f.write_str("rate()")?,
            MetricsKind::CountOverTime => f.write_str("count_over_time()")?,
            MetricsKind::MinOverTime(a) => write!(f, "min_over_time({a})")?,
            MetricsKind::MaxOverTime(a) => write!(f, "max_over_time({a})")?,
            MetricsKind::AvgOverTime(a) => write!(f, "avg_over_time({a})")?,
            MetricsKind::SumOverTime(a) => write!(f, "sum_over_time({a})")?,
            MetricsKind::HistogramOverTime(a) => write!(f, "histogram_over_time({a})")?,
            MetricsKind::QuantileOverTime(a, qs) => {
                write!(f, "quantile_over_time({a}")?;
                for q in qs {
                    write!(f, ", {}", float(*q))?;
                }
                f.write_str(")")?;
            }
            MetricsKind::Compare {
                filter,
                top_n,
                start,
                end,
            } => {
                write!(f, "compare({{ {filter} }}, {top_n}")?;
                if *start != 0 || *end != 0 {
                    write!(f, ", {start}, {end}")?;
                }
                f.write_str(")")?;
            }
        }
        if !self.by.is_empty() {
            write!(f, " by ({})", List(&self.by))?;
        }
        Ok(())
    }
}
