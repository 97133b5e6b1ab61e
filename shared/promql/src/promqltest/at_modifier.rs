//! The Go runner's @-modifier step-invariance cases (`atModifierTestCases`): every vector
//! selector, matrix selector and subquery without `@` gets `@ <eval time>` (not inside an
//! already-`@`'d subquery), and the rewritten query must give the same result at
//! `-10t, 0, t/5, t, 10t` (or `-1000, 0, 1000` ms when `t = 0`).

use promql_parser::parser::{self, AtModifier, Expr};
use std::time::{Duration, SystemTime};

/// Functions whose result depends on the evaluation time itself (Prometheus
/// `AtModifierUnsafeFunctions`): expressions calling them are skipped.
const UNSAFE: &[&str] = &[
    "days_in_month",
    "day_of_month",
    "day_of_week",
    "day_of_year",
    "end",
    "hour",
    "minute",
    "month",
    "year",
    "predict_linear",
    "range",
    "start",
    "step",
    "time",
    "timestamp",
];

fn at_of(ms: i64) -> AtModifier {
    AtModifier::At(SystemTime::UNIX_EPOCH + Duration::from_millis(ms.max(0) as u64))
}

/// `true` if an existing `@` lies before the epoch (promql-parser cannot print it back).
fn negative_at(a: &Option<AtModifier>) -> bool {
    matches!(a, Some(AtModifier::At(t)) if *t < SystemTime::UNIX_EPOCH)
}

/// Sets `@` as Go's `parser.Inspect` pass does; returns `false` when the expression must be
/// skipped (unsafe function or an existing negative `@`).
fn set_at(e: &mut Expr, ms: i64) -> bool {
    match e {
        Expr::Aggregate(a) => {
            let ok = set_at(&mut a.expr, ms);
            match a.param.as_mut() {
                Some(p) => set_at(p, ms) && ok,
                None => ok,
            }
        }
        Expr::Unary(u) => set_at(&mut u.expr, ms),
        Expr::Binary(b) => {
            let l = set_at(&mut b.lhs, ms);
            set_at(&mut b.rhs, ms) && l
        }
        Expr::Paren(p) => set_at(&mut p.expr, ms),
        Expr::Subquery(s) => {
            if negative_at(&s.at) {
                return false;
            }
            if s.at.is_none() {
                s.at = Some(at_of(ms));
            }
            // Children of an @'d subquery are left alone (and not inspected).
            true
        }
        Expr::VectorSelector(v) => {
            if negative_at(&v.at) {
                return false;
            }
            if v.at.is_none() {
                v.at = Some(at_of(ms));
            }
            true
        }
        Expr::MatrixSelector(m) => {
            if negative_at(&m.vs.at) {
                return false;
            }
            if m.vs.at.is_none() {
                m.vs.at = Some(at_of(ms));
            }
            true
        }
        Expr::Call(c) => {
            let mut ok = !UNSAFE.contains(&c.func.name);
            for a in c.args.args.iter_mut() {
                ok = set_at(a, ms) && ok;
            }
            ok
        }
        _ => true,
    }
}

/// promql-parser prints positive infinity as `Inf`; Go's `String()` prints `+Inf`. Rewrites
/// bare `Inf` tokens outside string literals so annotation positions match Prometheus's.
fn go_number_spelling(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    let chars: Vec<char> = s.chars().collect();
    let mut quote: Option<char> = None;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if let Some(q) = quote {
            out.push(c);
            if c == '\\' && q != '`' && i + 1 < chars.len() {
                out.push(chars[i + 1]);
                i += 2;
                continue;
            }
            if c == q {
                quote = None;
            }
            i += 1;
            continue;
        }
        if c == '"' || c == '\'' || c == '`' {
            quote = Some(c);
            out.push(c);
            i += 1;
            continue;
        }
        let prev = if i > 0 { chars[i - 1] } else { ' ' };
        let is_inf = chars[i..].starts_with(&['I', 'n', 'f'])
            && !(prev.is_alphanumeric() || prev == '_' || prev == '+' || prev == '-')
            && chars
                .get(i + 3)
                .is_none_or(|n| !(n.is_alphanumeric() || *n == '_'));
        if is_inf {
            out.push_str("+Inf");
            i += 3;
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

/// The `(rewritten expression, evaluation time ms)` cases for an instant eval at `t_ms`;
/// empty when the expression is not step invariant or cannot be rewritten.
pub fn at_modifier_cases(expr: &str, t_ms: i64) -> Vec<(String, i64)> {
    let Ok(mut e) = parser::parse(expr) else {
        return vec![];
    };
    if !set_at(&mut e, t_ms) {
        return vec![];
    }
    let s = go_number_spelling(&e.to_string());
    let times = if t_ms == 0 {
        vec![-1000, 0, 1000]
    } else {
        vec![-10 * t_ms, 0, t_ms / 5, t_ms, 10 * t_ms]
    };
    times.into_iter().map(|t| (s.clone(), t)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_selectors() {
        let c = at_modifier_cases("sum(rate(foo[5m])) + bar", 60_000);
        assert_eq!(c.len(), 5);
        assert!(c[0].0.contains("foo[5m] @ 60.000"), "{}", c[0].0);
        assert!(c[0].0.contains("bar @ 60.000"), "{}", c[0].0);
        assert!(at_modifier_cases("time() + foo", 60_000).is_empty());
        assert_eq!(at_modifier_cases("foo", 0)[0].1, -1000);
        assert_eq!(
            go_number_spelling(r#"histogram_fraction(-Inf, Inf, x{a="Inf"} @ 1.000)"#),
            r#"histogram_fraction(-Inf, +Inf, x{a="Inf"} @ 1.000)"#
        );
    }
}
