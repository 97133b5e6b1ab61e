//! Canonical LogQL printer: `Display` for the AST. Output re-parses to an equal tree
//! (durations printed as `1h30m`, bytes as `<n>B`, strings Go-quoted).

use crate::ast::*;
use crate::parser::precedence;
use std::fmt::{self, Display, Formatter, Write};

/// Go-style double-quoted string.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Duration (ns) as `1h30m`, `100ms`, `0s` (largest units first, as Prometheus).
pub(crate) fn fmt_duration(ns: i64) -> String {
    if ns == 0 {
        return "0s".into();
    }
    let units: [(&str, i64); 10] = [
        ("y", 365 * 86_400_000_000_000),
        ("w", 7 * 86_400_000_000_000),
        ("d", 86_400_000_000_000),
        ("h", 3_600_000_000_000),
        ("m", 60_000_000_000),
        ("s", 1_000_000_000),
        ("ms", 1_000_000),
        ("us", 1_000),
        ("ns", 1),
        ("", 0),
    ];
    let mut rest = ns;
    let mut out = String::new();
    for (name, size) in units.iter().filter(|u| u.1 > 0) {
        if rest >= *size {
            let _ = write!(out, "{}{}", rest / size, name);
            rest %= size;
        }
    }
    out
}

fn labels(l: &[String]) -> String {
    l.join(", ")
}

impl Display for MatchOp {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MatchOp::Eq => "=",
            MatchOp::Neq => "!=",
            MatchOp::Re => "=~",
            MatchOp::Nre => "!~",
        })
    }
}

impl Display for Matcher {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}{}", self.name, self.op, quote(&self.value))
    }
}

impl Display for CmpOp {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CmpOp::Eq => "==",
            CmpOp::Neq => "!=",
            CmpOp::Gt => ">",
            CmpOp::Gte => ">=",
            CmpOp::Lt => "<",
            CmpOp::Lte => "<=",
        })
    }
}

impl Display for LineFilter {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self.op {
            LineFilterOp::Contains => "|=",
            LineFilterOp::NotContains => "!=",
            LineFilterOp::Match => "|~",
            LineFilterOp::NotMatch => "!~",
            LineFilterOp::Pattern => "|>",
            LineFilterOp::NotPattern => "!>",
        })?;
        for (i, v) in self.values.iter().enumerate() {
            if i > 0 {
                f.write_str(" or")?;
            }
            match v {
                LineFilterValue::Str(s) => write!(f, " {}", quote(s))?,
                LineFilterValue::Ip(s) => write!(f, " ip({})", quote(s))?,
            }
        }
        Ok(())
    }
}

impl LabelFilter {
    fn prec(&self) -> u8 {
        match self {
            LabelFilter::Or(..) => 1,
            LabelFilter::And(..) => 2,
            _ => 3,
        }
    }
}

impl Display for LabelFilter {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let bin = |f: &mut Formatter<'_>, a: &LabelFilter, b: &LabelFilter, kw: &str, p: u8| {
            if a.prec() < p {
                write!(f, "({a})")?;
            } else {
                write!(f, "{a}")?;
            }
            write!(f, " {kw} ")?;
            if b.prec() <= p {
                write!(f, "({b})")
            } else {
                write!(f, "{b}")
            }
        };
        match self {
            LabelFilter::Matcher(m) => write!(f, "{m}"),
            LabelFilter::Number { name, op, value } => write!(f, "{name}{op}{value}"),
            LabelFilter::Duration { name, op, value } => {
                write!(f, "{name}{op}{}", fmt_duration(*value))
            }
            LabelFilter::Bytes { name, op, value } => write!(f, "{name}{op}{value}B"),
            LabelFilter::Ip {
                name,
                negated,
                value,
            } => write!(
                f,
                "{name}{}ip({})",
                if *negated { "!=" } else { "=" },
                quote(value)
            ),
            LabelFilter::And(a, b) => bin(f, a, b, "and", 2),
            LabelFilter::Or(a, b) => bin(f, a, b, "or", 1),
        }
    }
}

fn extractions(f: &mut Formatter<'_>, params: &[LabelExtraction]) -> fmt::Result {
    for (i, p) in params.iter().enumerate() {
        f.write_str(if i == 0 { " " } else { ", " })?;
        match &p.expr {
            Some(e) => write!(f, "{}={}", p.name, quote(e))?,
            None => f.write_str(&p.name)?,
        }
    }
    Ok(())
}

fn label_sels(f: &mut Formatter<'_>, items: &[LabelSel]) -> fmt::Result {
    for (i, s) in items.iter().enumerate() {
        f.write_str(if i == 0 { " " } else { ", " })?;
        match s {
            LabelSel::Name(n) => f.write_str(n)?,
            LabelSel::Matcher(m) => write!(f, "{m}")?,
        }
    }
    Ok(())
}

impl Display for Stage {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if let Stage::LineFilter(lf) = self {
            return write!(f, "{lf}");
        }
        f.write_str("| ")?;
        match self {
            Stage::LineFilter(_) => Ok(()),
            Stage::Json(p) => {
                f.write_str("json")?;
                extractions(f, p)
            }
            Stage::Logfmt {
                strict,
                keep_empty,
                params,
            } => {
                f.write_str("logfmt")?;
                if *strict {
                    f.write_str(" --strict")?;
                }
                if *keep_empty {
                    f.write_str(" --keep-empty")?;
                }
                extractions(f, params)
            }
            Stage::Regexp(s) => write!(f, "regexp {}", quote(s)),
            Stage::Pattern(s) => write!(f, "pattern {}", quote(s)),
            Stage::Unpack => f.write_str("unpack"),
            Stage::LabelFilter(lf) => write!(f, "{lf}"),
            Stage::LineFormat(s) => write!(f, "line_format {}", quote(s)),
            Stage::LabelFormat(items) => {
                f.write_str("label_format")?;
                for (i, it) in items.iter().enumerate() {
                    f.write_str(if i == 0 { " " } else { ", " })?;
                    match it {
                        LabelFmt::Rename { dst, src } => write!(f, "{dst}={src}")?,
                        LabelFmt::Template { dst, template } => {
                            write!(f, "{dst}={}", quote(template))?
                        }
                    }
                }
                Ok(())
            }
            Stage::Drop(items) => {
                f.write_str("drop")?;
                label_sels(f, items)
            }
            Stage::Keep(items) => {
                f.write_str("keep")?;
                label_sels(f, items)
            }
            Stage::Decolorize => f.write_str("decolorize"),
            Stage::Unwrap { label, conv } => match conv {
                None => write!(f, "unwrap {label}"),
                Some(UnwrapConv::Duration) => write!(f, "unwrap duration({label})"),
                Some(UnwrapConv::DurationSeconds) => write!(f, "unwrap duration_seconds({label})"),
                Some(UnwrapConv::Bytes) => write!(f, "unwrap bytes({label})"),
            },
        }
    }
}

impl Display for LogExpr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, m) in self.selector.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{m}")?;
        }
        f.write_str("}")?;
        for s in &self.pipeline {
            write!(f, " {s}")?;
        }
        Ok(())
    }
}

impl Display for Grouping {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let kw = if self.without { "without" } else { "by" };
        write!(f, "{kw} ({})", labels(&self.labels))
    }
}

fn name_of<T: PartialEq + Copy>(table: &[(T, &'static str)], op: T) -> &'static str {
    table
        .iter()
        .find(|(o, _)| *o == op)
        .map(|(_, n)| *n)
        .unwrap_or("?")
}

impl Display for RangeAgg {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}(", name_of(RANGE_OPS, self.op))?;
        if let Some(p) = self.param {
            write!(f, "{p}, ")?;
        }
        if self.log.pipeline.is_empty() {
            write!(f, "{}[{}]", self.log, fmt_duration(self.range))?;
        } else {
            write!(f, "{} [{}]", self.log, fmt_duration(self.range))?;
        }
        if let Some(o) = self.offset {
            write!(f, " offset {}", fmt_duration(o))?;
        }
        f.write_str(")")?;
        if let Some(g) = &self.grouping {
            write!(f, " {g}")?;
        }
        Ok(())
    }
}

impl Display for VectorAgg {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(name_of(VECTOR_OPS, self.op))?;
        if let Some(g) = &self.grouping {
            write!(f, " {g} ")?;
        }
        f.write_str("(")?;
        if let Some(p) = self.param {
            write!(f, "{p}, ")?;
        }
        write!(f, "{})", self.expr)
    }
}

fn binop_str(op: BinOp) -> String {
    match op {
        BinOp::Add => "+".into(),
        BinOp::Sub => "-".into(),
        BinOp::Mul => "*".into(),
        BinOp::Div => "/".into(),
        BinOp::Mod => "%".into(),
        BinOp::Pow => "^".into(),
        BinOp::Cmp(c) => c.to_string(),
        BinOp::And => "and".into(),
        BinOp::Or => "or".into(),
        BinOp::Unless => "unless".into(),
    }
}

impl MetricExpr {
    fn prec(&self) -> u8 {
        match self {
            MetricExpr::Binary(b) => precedence(b.op),
            // Negative literals bind like unary minus: parenthesize under `^`.
            MetricExpr::Literal(n) if *n < 0.0 => 6,
            _ => 7,
        }
    }
}

impl Display for BinaryExpr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let p = precedence(self.op);
        let right_assoc = self.op == BinOp::Pow;
        let (lp, rp) = (self.lhs.prec(), self.rhs.prec());
        let lhs_paren = lp < p || (lp == p && right_assoc);
        let rhs_paren = rp < p || (rp == p && !right_assoc);
        if lhs_paren {
            write!(f, "({})", self.lhs)?;
        } else {
            write!(f, "{}", self.lhs)?;
        }
        write!(f, " {}", binop_str(self.op))?;
        if self.return_bool {
            f.write_str(" bool")?;
        }
        if let Some(m) = &self.matching {
            let kw = if m.on { "on" } else { "ignoring" };
            write!(f, " {kw} ({})", labels(&m.labels))?;
            if let Some(g) = &m.group {
                let kw = if g.right { "group_right" } else { "group_left" };
                write!(f, " {kw}")?;
                if !g.labels.is_empty() {
                    write!(f, " ({})", labels(&g.labels))?;
                }
            }
        }
        if rhs_paren {
            write!(f, " ({})", self.rhs)
        } else {
            write!(f, " {}", self.rhs)
        }
    }
}

impl Display for MetricExpr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            MetricExpr::Range(r) => write!(f, "{r}"),
            MetricExpr::Vector(v) => write!(f, "{v}"),
            MetricExpr::Binary(b) => write!(f, "{b}"),
            MetricExpr::Literal(n) => write!(f, "{n}"),
            MetricExpr::VectorLit(n) => write!(f, "vector({n})"),
            MetricExpr::LabelReplace {
                expr,
                dst,
                replacement,
                src,
                regex,
            } => write!(
                f,
                "label_replace({expr}, {}, {}, {}, {})",
                quote(dst),
                quote(replacement),
                quote(src),
                quote(regex)
            ),
        }
    }
}

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Log(l) => write!(f, "{l}"),
            Expr::Metric(m) => write!(f, "{m}"),
        }
    }
}
