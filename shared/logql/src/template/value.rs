//! Argument checking, Go/`spf13/cast` conversions and Go's `%v` printing for template values.

use gotmpl::{TemplateError, Value};

pub(crate) use super::go::{arity, call_err, go_float, go_print, FnResult};
use super::gotime::GoTime;

/// Go's name for the type of `v` as `text/template` reports it.
pub(crate) fn go_type(v: &Value) -> &'static str {
    match v {
        Value::Nil => "nil",
        Value::Bool(_) => "bool",
        Value::Int(_) => "int",
        Value::Uint(_) => "uint",
        Value::Float(_) => "float64",
        Value::String(_) => "string",
        Value::List(_) => "[]interface {}",
        Value::Map(_) => "map[string]interface {}",
        Value::Function(_) => "func",
    }
}

/// At least `n` arguments (variadic Go functions).
pub(crate) fn arity_min(name: &str, args: &[Value], n: usize) -> Result<(), TemplateError> {
    if args.len() >= n {
        return Ok(());
    }
    Err(TemplateError::Exec(format!(
        "wrong number of args for {name}: want at least {n} got {}",
        args.len()
    )))
}

fn wrong_type(expected: &str, v: &Value) -> TemplateError {
    super::go::wrong_type(expected, v, go_type)
}

/// A Go `string` parameter.
pub(crate) fn str_arg(v: &Value) -> Result<&str, TemplateError> {
    match v {
        Value::String(s) => Ok(s),
        other => Err(wrong_type("string", other)),
    }
}

/// A Go `int` parameter (integer constants and integer results; integral float constants).
pub(crate) fn int_arg(v: &Value) -> Result<i64, TemplateError> {
    match v {
        Value::Int(i) => Ok(*i),
        Value::Uint(u) => i64::try_from(*u).map_err(|_| wrong_type("int", v)),
        Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => Ok(*f as i64),
        other => Err(wrong_type("int", other)),
    }
}

/// A Go `time.Time` parameter (a time travels as its `String()` text, see `gotime`).
pub(crate) fn time_arg(v: &Value) -> Result<GoTime, TemplateError> {
    if let Value::String(s) = v {
        if let Some(t) = GoTime::decode(s) {
            return Ok(t);
        }
    }
    Err(TemplateError::Exec(format!(
        "wrong type for value; expected time.Time; got {}",
        go_type(v)
    )))
}

/// `strconv.ParseInt(s, 0, 64)`: optional sign, `0x`/`0o`/`0b`/leading-`0` prefixes, `_`.
pub(crate) fn parse_go_int(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d.to_string())
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d.to_string())
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d.to_string())
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, lower[1..].to_string())
    } else {
        (10, lower.clone())
    };
    if digits.is_empty() || digits.starts_with('_') || digits.ends_with('_') {
        return None;
    }
    if digits.contains("__") {
        return None;
    }
    let clean: String = digits.chars().filter(|c| *c != '_').collect();
    if clean.is_empty() || clean.starts_with(['+', '-']) {
        return None;
    }
    let mag = i128::from_str_radix(&clean, radix).ok()?;
    let v = if neg { -mag } else { mag };
    i64::try_from(v).ok()
}

/// `cast.ToInt64`: numbers convert, bools are 0/1, strings parse as Go integers after dropping
/// a decimal part (`"12.7"` → 12); anything that does not convert is 0.
pub(crate) fn cast_i64(v: &Value) -> i64 {
    match v {
        Value::Int(i) => *i,
        Value::Uint(u) => *u as i64,
        Value::Float(f) => *f as i64,
        Value::Bool(b) => i64::from(*b),
        Value::String(s) => {
            let s = trim_decimal(s);
            parse_go_int(&s).unwrap_or(0)
        }
        _ => 0,
    }
}

/// cast's `trimDecimal`: `"-12.50"` → `"-12"`, `".5"` → `"0"`; other text is unchanged.
fn trim_decimal(s: &str) -> String {
    let Some((int, frac)) = s.split_once('.') else {
        return s.to_string();
    };
    let digits = int.trim_start_matches(['+', '-']);
    let signs = int.len() - digits.len();
    if signs > 1
        || !digits.bytes().all(|c| c.is_ascii_digit())
        || !frac.bytes().all(|c| c.is_ascii_digit())
    {
        return s.to_string();
    }
    match int {
        "" => "0".to_string(),
        "-" | "+" => format!("{int}0"),
        _ => int.to_string(),
    }
}

/// `strconv.ParseFloat(s, 64)` (decimal forms, `inf`/`infinity`/`nan` in any case).
pub(crate) fn parse_go_float(s: &str) -> Option<f64> {
    let t = s.strip_prefix('+').unwrap_or(s);
    if t.is_empty() || t.contains('_') {
        return None;
    }
    let body = t.strip_prefix('-').unwrap_or(t).to_ascii_lowercase();
    if matches!(body.as_str(), "inf" | "infinity" | "nan") {
        return s.parse().ok();
    }
    if !body
        .bytes()
        .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'+' | b'-'))
    {
        return None;
    }
    t.parse().ok()
}

/// `cast.ToFloat64`: like [`cast_i64`] but strings parse as Go floats.
pub(crate) fn cast_f64(v: &Value) -> f64 {
    match v {
        Value::Int(i) => *i as f64,
        Value::Uint(u) => *u as f64,
        Value::Float(f) => *f,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::String(s) => parse_go_float(s).unwrap_or(0.0),
        _ => 0.0,
    }
}

/// Sprig's `empty`: nil, `false`, 0, and empty strings, lists and maps.
pub(crate) fn is_empty(v: &Value) -> bool {
    match v {
        Value::Nil => true,
        Value::Bool(b) => !b,
        Value::Int(i) => *i == 0,
        Value::Uint(u) => *u == 0,
        Value::Float(f) => *f == 0.0,
        Value::String(s) => s.is_empty(),
        Value::List(l) => l.is_empty(),
        Value::Map(m) => m.is_empty(),
        Value::Function(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_like_go() {
        for (f, s) in [
            (1e6, "1e+06"),
            (123456.0, "123456"),
            (1234567.0, "1.234567e+06"),
            (1.5, "1.5"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (-2.5e-7, "-2.5e-07"),
            (1e21, "1e+21"),
            (999999.5, "999999.5"),
            (100.0, "100"),
        ] {
            assert_eq!(go_float(f), s, "{f}");
        }
    }

    #[test]
    fn casts_follow_spf13_cast() {
        assert_eq!(cast_i64(&Value::String("12.7".into())), 12);
        assert_eq!(cast_i64(&Value::String("0x1f".into())), 31);
        assert_eq!(cast_i64(&Value::String("010".into())), 8);
        assert_eq!(cast_i64(&Value::String("abc".into())), 0);
        assert_eq!(cast_f64(&Value::String("1e3".into())), 1000.0);
    }
}
