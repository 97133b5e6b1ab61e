//! Go's `fmt` printing for `print`, `println`, `printf` and the comparison built-ins, where the
//! engine's own versions print floats the Rust way (`1e+06`, `%!d(float64=2.5)`, `%T`) or
//! compare a missing label (`nil`) differently from Go's `""`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use gotmpl::{TemplateError, Value};

use super::format::go_float;
use super::values::{call_err, go_print, go_type, FnResult};

/// `fmt.Sprint`: operands separated by a space when neither side is a string.
pub(crate) fn sprint(args: &[Value]) -> String {
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        let is_str = |v: &Value| matches!(v, Value::String(_));
        if i > 0 && !is_str(a) && !is_str(&args[i - 1]) {
            out.push(' ');
        }
        print_operand(a, &mut out);
    }
    out
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
/// replaced by `%s` and the operand by that text.
pub(crate) fn go_operands(format: &str, args: &[Value]) -> (String, Vec<Value>) {
    let mut out: Vec<Value> = args.to_vec();
    let mut new_format = String::with_capacity(format.len());
    let b = format.as_bytes();
    let mut arg = 0usize;
    let mut i = 0;
    let mut copied = 0usize;
    while i < b.len() {
        if b[i] != b'%' {
            i += 1;
            continue;
        }
        let spec_start = i;
        i += 1;
        if b.get(i) == Some(&b'%') {
            i += 1;
            continue;
        }
        let mut plain = true;
        while let Some(c) = b.get(i) {
            match c {
                b'+' | b'#' => plain = false,
                b'-' | b' ' | b'0'..=b'9' | b'.' => {}
                b'*' => arg += 1,
                _ => break,
            }
            i += 1;
        }
        let Some(&verb) = b.get(i) else { break };
        i += 1;
        if verb == b'T' {
            new_format.push_str(&format[copied..spec_start]);
            new_format.push_str("%s");
            copied = i;
            if let Some(v) = args.get(arg) {
                out[arg] = Value::String(go_type(v).into());
            }
            arg += 1;
            continue;
        }
        if let Some(Value::Nil) = args.get(arg) {
            // A missing label is the zero value of map[string]string's element: "".
            out[arg] = Value::String("".into());
        }
        if let (b'd' | b'o' | b'O' | b'c' | b'U', Some(Value::Float(f))) = (verb, args.get(arg)) {
            new_format.push_str(&format[copied..spec_start]);
            new_format.push_str("%s");
            copied = i;
            out[arg] =
                Value::String(format!("%!{}(float64={})", verb as char, go_float(*f)).into());
            arg += 1;
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
        arg += 1;
    }
    new_format.push_str(&format[copied..]);
    (new_format, out)
}

/// Calls the engine's own built-in `func` (a one-action template per operand count, cached).
pub(crate) fn engine_call(func: &'static str, args: Vec<Value>) -> FnResult {
    type Cache = Mutex<HashMap<(&'static str, usize), Arc<gotmpl::Template>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let n = args.len();
    let tmpl = {
        let mut cache = CACHE
            .get_or_init(Default::default)
            .lock()
            .map_err(|_| TemplateError::Exec(format!("{func}: lock poisoned")))?;
        match cache.get(&(func, n)) {
            Some(t) => t.clone(),
            None => {
                let operands: String = (0..n).map(|i| format!(" (index . {i})")).collect();
                let t = gotmpl::Template::new(func).parse(&format!("{{{{{func}{operands}}}}}"))?;
                let t = Arc::new(t);
                cache.insert((func, n), t.clone());
                t
            }
        }
    };
    let mut out = String::new();
    tmpl.execute_fmt(&mut out, &Value::List(args.into()))?;
    Ok(Value::String(out.into()))
}
