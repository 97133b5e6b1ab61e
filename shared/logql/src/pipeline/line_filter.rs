//! Line filters `|= != |~ !~ |> !>` with `or` alternatives and `ip("…")`, as Loki's
//! `pkg/logql/log/filter.go`: `|=` is a substring test (`|= ""` keeps everything), `|~` an
//! unanchored RE2 match, `|>` a pattern test; negated forms negate the whole `or` chain
//! (`!= "a" or "b"` keeps lines containing neither).

use super::go_regex;
use super::ip::IpMatcher;
use super::pattern::Pattern;
use crate::ast::{LineFilter, LineFilterOp, LineFilterValue};
use regex::Regex;

/// One compiled alternative (positive form).
#[derive(Debug, Clone)]
enum Alt {
    /// Always true (`|= ""`, `|~ ".*"`, `|~ ""`).
    True,
    /// Non-empty line (`|~ ".+"`).
    NonEmpty,
    Contains(String),
    Regex(Regex),
    Pattern(Pattern),
    Ip(IpMatcher),
}

impl Alt {
    fn test(&self, line: &str) -> bool {
        match self {
            Alt::True => true,
            Alt::NonEmpty => !line.is_empty(),
            Alt::Contains(s) => line.contains(s.as_str()),
            Alt::Regex(r) => r.is_match(line),
            Alt::Pattern(p) => p.test(line),
            Alt::Ip(m) => m.matches(line),
        }
    }
}

/// A compiled line filter stage.
#[derive(Debug, Clone)]
pub struct LineFilterStage {
    negated: bool,
    alts: Vec<Alt>,
    /// `|= "lit"` without alternatives: usable as a storage pushdown hint.
    hint: Option<String>,
}

impl LineFilterStage {
    /// Compiles `f`. Errors: invalid regex / pattern / ip pattern, `ip()` with an operator
    /// other than `|=` / `!=` (`ip: invalid operation`).
    pub fn new(f: &LineFilter) -> Result<Self, String> {
        let negated = matches!(
            f.op,
            LineFilterOp::NotContains | LineFilterOp::NotMatch | LineFilterOp::NotPattern
        );
        let mut alts = Vec::new();
        for v in &f.values {
            let alt = match v {
                LineFilterValue::Ip(p) => {
                    if !matches!(f.op, LineFilterOp::Contains | LineFilterOp::NotContains) {
                        return Err("ip: invalid operation".into());
                    }
                    Alt::Ip(IpMatcher::new(p)?)
                }
                LineFilterValue::Str(s) => match f.op {
                    LineFilterOp::Contains | LineFilterOp::NotContains => {
                        if s.is_empty() {
                            Alt::True
                        } else {
                            Alt::Contains(s.clone())
                        }
                    }
                    LineFilterOp::Match | LineFilterOp::NotMatch => match s.as_str() {
                        "" | ".*" => Alt::True,
                        ".+" => Alt::NonEmpty,
                        _ => Alt::Regex(go_regex::compile(s)?),
                    },
                    LineFilterOp::Pattern | LineFilterOp::NotPattern => {
                        Alt::Pattern(Pattern::new_line_filter(s)?)
                    }
                },
            };
            alts.push(alt);
        }
        // Loki's `newOrFilter` drops always-true alternatives when others exist
        // (`|= "" or "x"` is `|= "x"`).
        if alts.iter().any(|a| !matches!(a, Alt::True)) {
            alts.retain(|a| !matches!(a, Alt::True));
        }
        let hint = match (f.op, f.values.as_slice()) {
            (LineFilterOp::Contains, [LineFilterValue::Str(s)]) if !s.is_empty() => Some(s.clone()),
            _ => None,
        };
        Ok(LineFilterStage {
            negated,
            alts,
            hint,
        })
    }

    /// True when the line passes.
    pub fn test(&self, line: &str) -> bool {
        self.alts.iter().any(|a| a.test(line)) != self.negated
    }

    /// The literal every passing line contains (`|= "x"` only).
    pub fn contains_hint(&self) -> Option<&str> {
        self.hint.as_deref()
    }

    /// True when the filter keeps every line (e.g. `|= ""`).
    pub fn is_noop(&self) -> bool {
        !self.negated && self.alts.iter().any(|a| matches!(a, Alt::True))
    }
}
