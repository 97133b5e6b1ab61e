//! Go's `fmt` printing for `print`, `println`, `printf` and the comparison built-ins, where the
//! engine's own versions print floats the Rust way (`1e+06`, `%!d(float64=2.5)`, `%T`) or
//! compare a missing label (`nil`) differently from Go's `""`.

use gotmpl::Value;

use super::format::go_float;
use super::values::{call_err, go_print, go_type, FnResult};
/// The engine's own built-ins, called the same way as the LogQL templates do.
pub(crate) use lakewatch_logql::template::go::engine_call;
use lakewatch_logql::template::go::{printf_verbs, sprint_with, sprintln_with, FmtVerb};

/// `fmt.Sprint` of the operands, each as [`print_operand`].
pub(crate) fn sprint(args: &[Value]) -> String {
    sprint_with(args, print_operand)
}

/// `fmt.Sprintln` of the operands, each as [`print_operand`].
pub(crate) fn sprintln(args: &[Value]) -> String {
    sprintln_with(args, print_operand)
}

/// `fmt.Print` of one operand; a missing label (`nil`) is `""` as in Go's `map[string]string`.
pub(crate) fn print_operand(v: &Value, out: &mut String) {
    go_print(v, out);
}

/// Calls the engine's comparison built-in `func` (`eq`, `ne`, `lt`, …) with a missing label
/// (`nil`) compared as `""`, the zero value Go's `map[string]string` lookup gives.
pub(crate) fn engine_compare(func: &'static str, args: &[Value]) -> FnResult {
    let has_string = args.iter().any(|a| matches!(a, Value::String(_)));
    let args: Vec<Value> = args
        .iter()
        .map(|a| match a {
            Value::Nil if has_string => Value::String("".into()),
            other => other.clone(),
        })
        .collect();
    let result = engine_call(func, args).map_err(|e| {
        let msg = e.to_string();
        let msg = msg.strip_prefix("execution error: ").unwrap_or(&msg);
        if msg.starts_with("incompatible types for comparison") {
            call_err(func, "incompatible types for comparison")
        } else {
            call_err(func, msg)
        }
    })?;
    match result {
        Value::String(s) if &*s == "true" => Ok(Value::Bool(true)),
        Value::String(s) if &*s == "false" => Ok(Value::Bool(false)),
        other => Ok(other),
    }
}

/// Replaces operands the engine would print differently from Go (floats under `%v`, lists,
/// maps, times under `%v`/`%s`) by their Go text.
/// Integer verbs on a float print Go's bad-verb text (`%!d(float64=2.5)`): the verb is
/// replaced by `%s` and the operand by that text. Verbs and their operands are found as for
/// LogQL's `printf` (Go's `[n]` operand indexes included).
pub(crate) fn go_operands(format: &str, args: &[Value]) -> (String, Vec<Value>) {
    let mut out: Vec<Value> = args.to_vec();
    let mut new_format = String::with_capacity(format.len());
    let mut copied = 0usize;
    for FmtVerb {
        start,
        end,
        verb,
        plain,
        arg,
    } in printf_verbs(format)
    {
        if verb == b'T' {
            new_format.push_str(&format[copied..start]);
            new_format.push_str("%s");
            copied = end;
            if let Some(v) = args.get(arg) {
                out[arg] = Value::String(go_type(v).into());
            }
            continue;
        }
        if let Some(Value::Nil) = args.get(arg) {
            // A missing label is the zero value of map[string]string's element: "".
            out[arg] = Value::String("".into());
        }
        if let (b'd' | b'o' | b'O' | b'c' | b'U', Some(Value::Float(f))) = (verb, args.get(arg)) {
            new_format.push_str(&format[copied..start]);
            new_format.push_str("%s");
            copied = end;
            out[arg] =
                Value::String(format!("%!{}(float64={})", verb as char, go_float(*f)).into());
            continue;
        }
        let textual = (verb == b'v' && plain) || verb == b's';
        if textual {
            if let Some(v @ (Value::Float(_) | Value::List(_) | Value::Map(_))) = args.get(arg) {
                if verb == b'v' || !matches!(v, Value::Float(_)) {
                    let mut s = String::new();
                    go_print(v, &mut s);
                    out[arg] = Value::String(s.into());
                }
            }
        }
    }
    new_format.push_str(&format[copied..]);
    (new_format, out)
}
