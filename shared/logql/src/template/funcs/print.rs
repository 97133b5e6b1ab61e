//! Go's `print`, `println` and `printf` with Go's `%v` for floats and composite values
//! (`1e+06`, `map[a:1]`); the engine's own versions print floats the Rust way.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use gotmpl::{FuncMap, TemplateError, Value};

use super::add;
use crate::template::value::{arity_min, go_print, str_arg, FnResult};

/// `fmt.Sprint`: operands separated by a space when neither side is a string.
fn sprint(args: &[Value]) -> String {
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        let is_str = |v: &Value| matches!(v, Value::String(_));
        if i > 0 && !is_str(a) && !is_str(&args[i - 1]) {
            out.push(' ');
        }
        go_print(a, &mut out);
    }
    out
}

/// `fmt.Sprintln`: operands always separated by a space, then a newline.
fn sprintln(args: &[Value]) -> String {
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        go_print(a, &mut out);
    }
    out.push('\n');
    out
}

/// Replaces the operands of plain `%v` verbs that the engine would print differently from Go
/// (floats, lists, maps) by their Go text.
fn go_operands(format: &str, args: &[Value]) -> Vec<Value> {
    let mut out: Vec<Value> = args.to_vec();
    let b = format.as_bytes();
    let mut arg = 0usize;
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'%' {
            i += 1;
            continue;
        }
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
                b'[' => {
                    let close = format[i..].find(']').map_or(b.len(), |e| i + e);
                    if let Ok(n) = format[i + 1..close.min(b.len())].parse::<usize>() {
                        arg = n.saturating_sub(1);
                    }
                    i = close;
                }
                _ => break,
            }
            i += 1;
        }
        let Some(&verb) = b.get(i) else { break };
        i += 1;
        if verb == b'v' && plain {
            if let Some(v @ (Value::Float(_) | Value::List(_) | Value::Map(_))) = args.get(arg) {
                let mut s = String::new();
                go_print(v, &mut s);
                out[arg] = Value::String(s.into());
            }
        }
        arg += 1;
    }
    out
}

/// Calls the engine's own built-in `func` (a one-action template per operand count, cached).
fn engine_call(func: &'static str, args: Vec<Value>) -> FnResult {
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

/// Registers `print`, `println` and `printf` (replacing the engine's built-ins).
pub(crate) fn register(m: &mut FuncMap) {
    add(m, "print", |a| Ok(Value::String(sprint(a).into())));
    add(m, "println", |a| Ok(Value::String(sprintln(a).into())));
    add(m, "printf", |a| {
        arity_min("printf", a, 1)?;
        let format = str_arg(&a[0])?;
        let mut args = vec![a[0].clone()];
        args.extend(go_operands(format, &a[1..]));
        engine_call("printf", args)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sprint_spacing_like_go() {
        let v = [
            Value::String("a".into()),
            Value::Int(1),
            Value::Int(2),
            Value::String("b".into()),
            Value::Float(1e6),
        ];
        assert_eq!(sprint(&v), "a1 2b1e+06");
        assert_eq!(sprintln(&v), "a 1 2 b 1e+06\n");
    }

    #[test]
    fn printf_operands() {
        let v = go_operands("%d %v %+v %[1]v", &[Value::Float(1e6), Value::Float(2e6)]);
        assert_eq!(v[0], Value::String("1e+06".into()));
        assert_eq!(v[1], Value::String("2e+06".into()));
    }
}
