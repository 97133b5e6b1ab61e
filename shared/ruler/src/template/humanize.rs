//! Prometheus's number formatting functions: `humanize`, `humanize1024`, `humanizeDuration`
//! (prometheus/common `HumanizeDuration`), `humanizePercentage`, `humanizeTimestamp`.

use gotmpl::{FuncMap, TemplateError, Value};

use super::format::go_g;
use super::funcs::{add, timestamp_ns};
use super::values::{arity, as_time, call_err, to_float, FnResult};

pub(crate) fn num(name: &'static str, a: &[Value]) -> Result<f64, TemplateError> {
    arity(name, a, 1)?;
    to_float(&a[0]).map_err(|e| call_err(name, e))
}

pub(crate) fn s(v: String) -> FnResult {
    Ok(Value::String(v.into()))
}

/// `humanize`: metric prefixes (`1.235M`, `120m`), `%.4g`.
pub(crate) fn humanize(mut v: f64) -> String {
    if v == 0.0 || v.is_nan() || v.is_infinite() {
        return go_g(v, 4);
    }
    let mut prefix = "";
    if v.abs() >= 1.0 {
        for p in ["k", "M", "G", "T", "P", "E", "Z", "Y"] {
            if v.abs() < 1000.0 {
                break;
            }
            prefix = p;
            v /= 1000.0;
        }
    } else {
        for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
            if v.abs() >= 1.0 {
                break;
            }
            prefix = p;
            v *= 1000.0;
        }
    }
    format!("{}{prefix}", go_g(v, 4))
}

/// `humanize1024`: binary prefixes (`1Mi`), values with |v| <= 1 unchanged.
pub(crate) fn humanize1024(mut v: f64) -> String {
    if v.abs() <= 1.0 || v.is_nan() || v.is_infinite() {
        return go_g(v, 4);
    }
    let mut prefix = "";
    for p in ["ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"] {
        if v.abs() < 1024.0 {
            break;
        }
        prefix = p;
        v /= 1024.0;
    }
    format!("{}{prefix}", go_g(v, 4))
}

/// `humanizeDuration` (prometheus/common `HumanizeDuration`): seconds as `1d 2h 3m 4s`,
/// `1.234s`, `100ms`.
pub(crate) fn humanize_duration(mut v: f64) -> String {
    if v.is_nan() || v.is_infinite() {
        return go_g(v, 4);
    }
    if v == 0.0 {
        return format!("{}s", go_g(v, 4));
    }
    if v.abs() >= 1.0 {
        let sign = if v < 0.0 { "-" } else { "" };
        v = v.abs();
        let d = v as i64;
        let (secs, mins, hours, days) = (d % 60, (d / 60) % 60, (d / 3600) % 24, d / 86400);
        if days != 0 {
            return format!("{sign}{days}d {hours}h {mins}m {secs}s");
        }
        if hours != 0 {
            return format!("{sign}{hours}h {mins}m {secs}s");
        }
        if mins != 0 {
            return format!("{sign}{mins}m {secs}s");
        }
        return format!("{sign}{}s", go_g(v, 4));
    }
    let mut prefix = "";
    for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
        if v.abs() >= 1.0 {
            break;
        }
        prefix = p;
        v *= 1000.0;
    }
    format!("{}{prefix}s", go_g(v, 4))
}

pub(crate) fn register_numbers(m: &mut FuncMap) {
    add(m, "humanize", |a| s(humanize(num("humanize", a)?)));
    add(m, "humanize1024", |a| {
        s(humanize1024(num("humanize1024", a)?))
    });
    add(m, "humanizeDuration", |a| {
        s(humanize_duration(num("humanizeDuration", a)?))
    });
    add(m, "humanizePercentage", |a| {
        s(format!(
            "{}%",
            go_g(num("humanizePercentage", a)? * 100.0, 4)
        ))
    });
    add(m, "humanizeTimestamp", |a| {
        if let Some(ns) = a.first().and_then(as_time) {
            arity("humanizeTimestamp", a, 1)?;
            return s(super::format::go_time_string(ns));
        }
        let v = num("humanizeTimestamp", a)?;
        if v.is_nan() || v.is_infinite() {
            return s(go_g(v, 4));
        }
        let ns = timestamp_ns(v).map_err(|e| call_err("humanizeTimestamp", e))?;
        s(super::format::go_time_string(ns))
    });
}
