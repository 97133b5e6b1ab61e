//! Sprig's math functions. Arguments go through `spf13/cast` (label strings parse as numbers,
//! anything unparsable is 0); integer functions return `int64`, the `…f` ones `float64` computed
//! in `shopspring/decimal` (so `addf 0.1 0.2` is `0.3`).

use gotmpl::{FuncMap, TemplateError, Value};

use super::add;
use crate::template::numeric::Decimal;
use crate::template::value::{arity, arity_min, call_err, cast_f64, cast_i64, int_arg, FnResult};

type DecOp = fn(Decimal, Decimal) -> Result<Option<Decimal>, String>;

/// Sprig's `execDecimalOp`: folds the operands left to right in decimal arithmetic.
fn decimal_fold(
    name: &str,
    first: &Value,
    rest: &[Value],
    op: DecOp,
    fallback: fn(f64, f64) -> f64,
) -> FnResult {
    let dec = |v: &Value| Decimal::from_f64(cast_f64(v)).map_err(|e| call_err(name, e));
    let mut acc = dec(first)?;
    let mut float: Option<f64> = None;
    for v in rest {
        if let Some(f) = float {
            float = Some(fallback(f, cast_f64(v)));
            continue;
        }
        let d = dec(v)?;
        match op(acc, d).map_err(|e| call_err(name, e))? {
            Some(r) => acc = r,
            None => float = Some(fallback(acc.to_f64(), d.to_f64())),
        }
    }
    Ok(Value::Float(float.unwrap_or_else(|| acc.to_f64())))
}

fn int_div(name: &str, a: i64, b: i64, op: fn(i64, i64) -> i64) -> FnResult {
    if b == 0 {
        return Err(call_err(name, "runtime error: integer divide by zero"));
    }
    Ok(Value::Int(op(a, b)))
}

fn float_param(v: &Value) -> Result<f64, TemplateError> {
    match v {
        Value::Int(_) | Value::Uint(_) | Value::Float(_) => Ok(cast_f64(v)),
        other => Err(TemplateError::Exec(format!(
            "wrong type for value; expected float64; got {}",
            crate::template::value::go_type(other)
        ))),
    }
}

/// Registers the math functions.
pub(crate) fn register(m: &mut FuncMap) {
    add(m, "int", |a| {
        arity("int", a, 1)?;
        Ok(Value::Int(cast_i64(&a[0])))
    });
    add(m, "float64", |a| {
        arity("float64", a, 1)?;
        Ok(Value::Float(cast_f64(&a[0])))
    });
    add(m, "add", |a| {
        Ok(Value::Int(
            a.iter().map(cast_i64).fold(0i64, i64::wrapping_add),
        ))
    });
    add(m, "mul", |a| {
        arity_min("mul", a, 1)?;
        Ok(Value::Int(
            a.iter().map(cast_i64).fold(1i64, i64::wrapping_mul),
        ))
    });
    add(m, "sub", |a| {
        arity("sub", a, 2)?;
        Ok(Value::Int(cast_i64(&a[0]).wrapping_sub(cast_i64(&a[1]))))
    });
    add(m, "div", |a| {
        arity("div", a, 2)?;
        int_div("div", cast_i64(&a[0]), cast_i64(&a[1]), i64::wrapping_div)
    });
    add(m, "mod", |a| {
        arity("mod", a, 2)?;
        int_div("mod", cast_i64(&a[0]), cast_i64(&a[1]), i64::wrapping_rem)
    });
    add(m, "max", |a| {
        arity_min("max", a, 1)?;
        Ok(Value::Int(a.iter().map(cast_i64).max().unwrap_or(0)))
    });
    add(m, "min", |a| {
        arity_min("min", a, 1)?;
        Ok(Value::Int(a.iter().map(cast_i64).min().unwrap_or(0)))
    });
    add(m, "maxf", |a| {
        arity_min("maxf", a, 1)?;
        Ok(Value::Float(
            a[1..].iter().map(cast_f64).fold(cast_f64(&a[0]), go_max),
        ))
    });
    add(m, "minf", |a| {
        arity_min("minf", a, 1)?;
        Ok(Value::Float(
            a[1..].iter().map(cast_f64).fold(cast_f64(&a[0]), go_min),
        ))
    });
    add(m, "addf", |a| {
        decimal_fold(
            "addf",
            &Value::Float(0.0),
            a,
            |x, y| Ok(x.add(y)),
            |x, y| x + y,
        )
    });
    add(m, "subf", |a| {
        arity_min("subf", a, 1)?;
        decimal_fold("subf", &a[0], &a[1..], |x, y| Ok(x.sub(y)), |x, y| x - y)
    });
    add(m, "mulf", |a| {
        arity_min("mulf", a, 1)?;
        decimal_fold("mulf", &a[0], &a[1..], |x, y| Ok(x.mul(y)), |x, y| x * y)
    });
    add(m, "divf", |a| {
        arity_min("divf", a, 1)?;
        decimal_fold("divf", &a[0], &a[1..], |x, y| x.div(y), |x, y| x / y)
    });
    add(m, "ceil", |a| {
        arity("ceil", a, 1)?;
        Ok(Value::Float(cast_f64(&a[0]).ceil()))
    });
    add(m, "floor", |a| {
        arity("floor", a, 1)?;
        Ok(Value::Float(cast_f64(&a[0]).floor()))
    });
    add(m, "round", |a| {
        arity_min("round", a, 2)?;
        if a.len() > 3 {
            return Err(TemplateError::Exec(format!(
                "wrong number of args for round: want at most 3 got {}",
                a.len()
            )));
        }
        let places = int_arg(&a[1])?;
        let round_on = match a.get(2) {
            Some(v) => float_param(v)?,
            None => 0.5,
        };
        let val = cast_f64(&a[0]);
        let pow = 10f64.powf(places as f64);
        let digit = pow * val;
        let frac = digit - digit.trunc();
        let r = if frac >= round_on {
            digit.ceil()
        } else {
            digit.floor()
        };
        Ok(Value::Float(r / pow))
    });
}

/// Go's `math.Max` (NaN wins, +0 beats -0).
fn go_max(x: f64, y: f64) -> f64 {
    if x.is_nan() || y.is_nan() {
        return f64::NAN;
    }
    if x == 0.0 && y == 0.0 {
        return if x.is_sign_negative() { y } else { x };
    }
    x.max(y)
}

/// Go's `math.Min` (NaN wins, -0 beats +0).
fn go_min(x: f64, y: f64) -> f64 {
    if x.is_nan() || y.is_nan() {
        return f64::NAN;
    }
    if x == 0.0 && y == 0.0 {
        return if x.is_sign_negative() { x } else { y };
    }
    x.min(y)
}
