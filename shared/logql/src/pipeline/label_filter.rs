//! Label filters (`| status=~"5.."`, `| duration > 10s and size >= 20KB or level="error"`),
//! as Loki's `pkg/logql/log/label_filter.go`: string matchers are fully anchored (a missing
//! label is ""; `__error__` reads the current error); typed comparisons drop entries
//! without the label, and a value that does not convert sets `__error__=LabelFilterErr`
//! (with Go's conversion error as details, unless an error is already set) and *keeps* the
//! entry.

use super::builder::{Builder, ERROR_LABEL};
use super::convert::{parse_bytes, parse_duration, parse_float};
use super::go_regex;
use super::ip::IpMatcher;
use super::ERR_LABEL_FILTER;
use crate::ast::{CmpOp, LabelFilter, MatchOp, Matcher};
use regex::Regex;

/// A compiled string matcher (Prometheus semantics, regexes anchored).
#[derive(Debug, Clone)]
pub enum StrMatch {
    /// `= "v"`.
    Eq(String),
    /// `!= "v"`.
    Neq(String),
    /// `=~` (compiled anchored).
    Re(Regex),
    /// `!~`.
    Nre(Regex),
    /// `=~ ".*"`: always true (Loki turns it into a no-op, even for values with newlines).
    True,
    /// `!~ ".*"`: always false.
    False,
}

impl StrMatch {
    /// Compiles `m`'s operator and value.
    pub fn new(m: &Matcher) -> Result<StrMatch, String> {
        Ok(match m.op {
            MatchOp::Eq => StrMatch::Eq(m.value.clone()),
            MatchOp::Neq => StrMatch::Neq(m.value.clone()),
            MatchOp::Re if m.value == ".*" => StrMatch::True,
            MatchOp::Re => StrMatch::Re(go_regex::compile_anchored(&m.value)?),
            MatchOp::Nre if m.value == ".*" => StrMatch::False,
            MatchOp::Nre => StrMatch::Nre(go_regex::compile_anchored(&m.value)?),
        })
    }

    /// True when `v` matches.
    pub fn matches(&self, v: &str) -> bool {
        match self {
            StrMatch::Eq(s) => v == s,
            StrMatch::Neq(s) => v != s,
            StrMatch::Re(r) => r.is_match(v),
            StrMatch::Nre(r) => !r.is_match(v),
            StrMatch::True => true,
            StrMatch::False => false,
        }
    }
}

/// A compiled label filter expression.
#[derive(Debug, Clone)]
pub enum LabelFilterExpr {
    /// String matcher on a label.
    Str {
        /// Label name.
        name: String,
        /// Matcher.
        m: StrMatch,
    },
    /// Float comparison.
    Number {
        /// Label name.
        name: String,
        /// Operator.
        op: CmpOp,
        /// Literal.
        value: f64,
    },
    /// Duration comparison (ns).
    Duration {
        /// Label name.
        name: String,
        /// Operator.
        op: CmpOp,
        /// Literal in ns.
        value: i64,
    },
    /// Byte-size comparison.
    Bytes {
        /// Label name.
        name: String,
        /// Operator.
        op: CmpOp,
        /// Literal in bytes.
        value: u64,
    },
    /// `name = ip("…")` / `!=`.
    Ip {
        /// Label name.
        name: String,
        /// `!=`.
        negated: bool,
        /// Pattern.
        m: IpMatcher,
    },
    /// Both sides (always both evaluated, as Loki, so either may set an error).
    And(Box<LabelFilterExpr>, Box<LabelFilterExpr>),
    /// Either (right side evaluated only when the left fails).
    Or(Box<LabelFilterExpr>, Box<LabelFilterExpr>),
}

fn cmp<T: PartialOrd>(op: CmpOp, a: T, b: T) -> bool {
    match op {
        CmpOp::Eq => a == b,
        CmpOp::Neq => a != b,
        CmpOp::Gt => a > b,
        CmpOp::Gte => a >= b,
        CmpOp::Lt => a < b,
        CmpOp::Lte => a <= b,
    }
}

impl LabelFilterExpr {
    /// Compiles `f`. Errors: invalid regex or ip pattern.
    pub fn new(f: &LabelFilter) -> Result<Self, String> {
        Ok(match f {
            LabelFilter::Matcher(m) => LabelFilterExpr::Str {
                name: m.name.clone(),
                m: StrMatch::new(m)?,
            },
            LabelFilter::Number { name, op, value } => LabelFilterExpr::Number {
                name: name.clone(),
                op: *op,
                value: *value,
            },
            LabelFilter::Duration { name, op, value } => LabelFilterExpr::Duration {
                name: name.clone(),
                op: *op,
                value: *value,
            },
            LabelFilter::Bytes { name, op, value } => LabelFilterExpr::Bytes {
                name: name.clone(),
                op: *op,
                value: *value,
            },
            LabelFilter::Ip {
                name,
                negated,
                value,
            } => LabelFilterExpr::Ip {
                name: name.clone(),
                negated: *negated,
                m: IpMatcher::new(value)?,
            },
            LabelFilter::And(a, b) => {
                LabelFilterExpr::And(Box::new(Self::new(a)?), Box::new(Self::new(b)?))
            }
            LabelFilter::Or(a, b) => {
                LabelFilterExpr::Or(Box::new(Self::new(a)?), Box::new(Self::new(b)?))
            }
        })
    }

    /// The label a non-binary filter reads (used for Loki's early filtering in parsers).
    pub fn single_label(&self) -> Option<&str> {
        match self {
            LabelFilterExpr::Str { name, .. }
            | LabelFilterExpr::Number { name, .. }
            | LabelFilterExpr::Duration { name, .. }
            | LabelFilterExpr::Bytes { name, .. }
            | LabelFilterExpr::Ip { name, .. } => Some(name),
            _ => None,
        }
    }

    /// Every label name the filter reads.
    pub fn names(&self) -> Vec<String> {
        match self {
            LabelFilterExpr::And(a, b) | LabelFilterExpr::Or(a, b) => {
                let mut v = a.names();
                for n in b.names() {
                    if !v.contains(&n) {
                        v.push(n);
                    }
                }
                v
            }
            _ => self
                .single_label()
                .map(str::to_string)
                .into_iter()
                .collect(),
        }
    }

    /// True when `=~".*"` (Loki drops such stages).
    pub fn is_noop(&self) -> bool {
        matches!(
            self,
            LabelFilterExpr::Str {
                m: StrMatch::True,
                ..
            }
        )
    }

    /// Applies the filter; may set `__error__=LabelFilterErr`.
    pub fn process(&self, b: &mut Builder<'_>) -> bool {
        match self {
            LabelFilterExpr::Str { name, m } => {
                let v = if name == ERROR_LABEL {
                    b.err()
                } else {
                    b.get(name).unwrap_or("")
                };
                m.matches(v)
            }
            LabelFilterExpr::Number { name, op, value } => {
                typed(b, name, parse_float, |v| cmp(*op, v, *value))
            }
            LabelFilterExpr::Duration { name, op, value } => {
                typed(b, name, parse_duration, |v| cmp(*op, v, *value))
            }
            LabelFilterExpr::Bytes { name, op, value } => {
                typed(b, name, parse_bytes, |v| cmp(*op, v, *value))
            }
            LabelFilterExpr::Ip { name, negated, m } => {
                if b.has_err() {
                    return true;
                }
                match b.get(name) {
                    None => false,
                    Some(v) => m.matches(v) != *negated,
                }
            }
            LabelFilterExpr::And(l, r) => {
                let a = l.process(b);
                let c = r.process(b);
                a && c
            }
            LabelFilterExpr::Or(l, r) => l.process(b) || r.process(b),
        }
    }
}

fn typed<T>(
    b: &mut Builder<'_>,
    name: &str,
    conv: impl Fn(&str) -> Result<T, String>,
    test: impl Fn(T) -> bool,
) -> bool {
    let Some(v) = b.get(name) else {
        return false;
    };
    match conv(v) {
        Ok(v) => test(v),
        Err(e) => {
            if !b.has_err() {
                b.set_err(ERR_LABEL_FILTER);
                b.set_err_details(&e);
            }
            true
        }
    }
}
