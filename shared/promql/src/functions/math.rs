//! Element-wise math on instant vectors (`abs`, `ln`, trig, `clamp`, `round`, ...), as
//! Prometheus `simpleFloatFunc` and friends. Histogram samples are skipped.

use super::{arg, map_vector, scalar_arg};
use crate::eval::Evaluator;
use crate::types::{Steps, Val};
use crate::QueryError;
use promql_parser::parser::Call;

fn simple(name: &str) -> Option<fn(f64) -> f64> {
    Some(match name {
        "abs" => f64::abs,
        "ceil" => f64::ceil,
        "floor" => f64::floor,
        "exp" => f64::exp,
        "sqrt" => f64::sqrt,
        "ln" => f64::ln,
        "log2" => f64::log2,
        "log10" => f64::log10,
        "sin" => f64::sin,
        "cos" => f64::cos,
        "tan" => f64::tan,
        "asin" => f64::asin,
        "acos" => f64::acos,
        "atan" => f64::atan,
        "sinh" => f64::sinh,
        "cosh" => f64::cosh,
        "tanh" => f64::tanh,
        "asinh" => f64::asinh,
        "acosh" => f64::acosh,
        "atanh" => f64::atanh,
        "deg" => |x| x * 180.0 / std::f64::consts::PI,
        "rad" => |x| x * std::f64::consts::PI / 180.0,
        "sgn" => |x: f64| {
            if x < 0.0 {
                -1.0
            } else if x > 0.0 {
                1.0
            } else {
                x
            }
        },
        _ => return None,
    })
}

/// Evaluates the function if it belongs to this family.
pub(crate) fn eval(
    ev: &mut Evaluator,
    name: &str,
    c: &Call,
    steps: &Steps,
) -> Result<Option<Val>, QueryError> {
    if let Some(f) = simple(name) {
        let v = ev.eval_vector(arg(c, 0)?, steps)?;
        return Ok(Some(Val::Vector(map_vector(v, |_, s| {
            s.h.is_none().then(|| f(s.f))
        }))));
    }
    match name {
        "clamp" | "clamp_min" | "clamp_max" => {
            let v = ev.eval_vector(arg(c, 0)?, steps)?;
            let (lo, hi) = match name {
                "clamp" => (scalar_arg(ev, c, 1, steps)?, scalar_arg(ev, c, 2, steps)?),
                "clamp_min" => (scalar_arg(ev, c, 1, steps)?, vec![f64::NAN; steps.len()]),
                _ => (vec![f64::NAN; steps.len()], scalar_arg(ev, c, 1, steps)?),
            };
            let out = map_vector(v, |k, s| {
                if s.h.is_some() {
                    return None;
                }
                match name {
                    "clamp" => {
                        if hi[k] < lo[k] {
                            None
                        } else {
                            Some(go_max(lo[k], go_min(hi[k], s.f)))
                        }
                    }
                    "clamp_min" => Some(go_max(lo[k], s.f)),
                    _ => Some(go_min(hi[k], s.f)),
                }
            });
            Ok(Some(Val::Vector(out)))
        }
        "round" => {
            let v = ev.eval_vector(arg(c, 0)?, steps)?;
            let nearest = if c.args.args.len() > 1 {
                scalar_arg(ev, c, 1, steps)?
            } else {
                vec![1.0; steps.len()]
            };
            Ok(Some(Val::Vector(map_vector(v, |k, s| {
                if s.h.is_some() {
                    return None;
                }
                let inv = 1.0 / nearest[k];
                Some((s.f * inv + 0.5).floor() / inv)
            }))))
        }
        "pi" => Ok(Some(Val::Scalar(vec![std::f64::consts::PI; steps.len()]))),
        _ => Ok(None),
    }
}

/// Go `math.Max`: NaN if either is NaN.
pub(crate) fn go_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}

/// Go `math.Min`: NaN if either is NaN.
pub(crate) fn go_min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.min(b)
    }
}
