//! Go's `print`, `println` and `printf` with Go's `%v` for floats and composite values
//! (`1e+06`, `map[a:1]`); the engine's own versions print floats the Rust way.

use gotmpl::{FuncMap, Value};

use super::add;
use crate::template::go::{engine_call, printf_verbs, sprint_with, sprintln_with};
use crate::template::value::{arity_min, go_print, str_arg};

/// `fmt.Sprint` with Go's `%v` of each operand.
fn sprint(args: &[Value]) -> String {
    sprint_with(args, go_print)
}

/// `fmt.Sprintln` with Go's `%v` of each operand.
fn sprintln(args: &[Value]) -> String {
    sprintln_with(args, go_print)
}

/// Replaces the operands of plain `%v` verbs that the engine would print differently from Go
/// (floats, lists, maps) by their Go text.
fn go_operands(format: &str, args: &[Value]) -> Vec<Value> {
    let mut out: Vec<Value> = args.to_vec();
    for v in printf_verbs(format) {
        if v.verb == b'v' && v.plain {
            if let Some(x @ (Value::Float(_) | Value::List(_) | Value::Map(_))) = args.get(v.arg) {
                let mut s = String::new();
                go_print(x, &mut s);
                out[v.arg] = Value::String(s.into());
            }
        }
    }
    out
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
