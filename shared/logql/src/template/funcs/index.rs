//! Go's `index` built-in with the labels map typed as Loki's `map[string]string`: a missing
//! label indexes to `""` (its zero value), while a missing key of a `fromJson` map gives nil.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::sync::Arc;

use gotmpl::{FuncMap, TemplateError, Value};

use super::add;
use crate::template::value::{arity_min, call_err, go_type, FnResult};

thread_local! {
    static ROOT: Cell<usize> = const { Cell::new(0) };
}

/// Marks `labels` as the template's data map for `index` on this thread.
pub(crate) fn set_root(labels: &Arc<BTreeMap<Arc<str>, Value>>) {
    ROOT.with(|r| r.set(Arc::as_ptr(labels) as usize));
}

fn position(name: &str, i: &Value, len: usize) -> Result<usize, TemplateError> {
    let x = match i {
        Value::Int(x) => *x,
        Value::Uint(u) => i64::try_from(*u).unwrap_or(i64::MAX),
        other => {
            return Err(call_err(
                name,
                format!("cannot index slice/array with type {}", go_type(other)),
            ))
        }
    };
    if x < 0 || x as u64 >= len as u64 {
        return Err(call_err(name, format!("index out of range: {x}")));
    }
    Ok(x as usize)
}

fn index(args: &[Value]) -> FnResult {
    arity_min("index", args, 1)?;
    let mut item = args[0].clone();
    if matches!(item, Value::Nil) {
        return Err(call_err("index", "index of untyped nil"));
    }
    for i in &args[1..] {
        item = match &item {
            Value::List(l) => l[position("index", i, l.len())?].clone(),
            Value::String(s) => {
                Value::Uint(u64::from(s.as_bytes()[position("index", i, s.len())?]))
            }
            Value::Map(m) => {
                let Value::String(k) = i else {
                    return Err(call_err(
                        "index",
                        format!("value has type {}; should be string", go_type(i)),
                    ));
                };
                let is_labels = ROOT.with(Cell::get) == Arc::as_ptr(m) as usize;
                match m.get(k) {
                    Some(v) => v.clone(),
                    None if is_labels => Value::String("".into()),
                    None => Value::Nil,
                }
            }
            other => {
                return Err(call_err(
                    "index",
                    format!("can't index item of type {}", go_type(other)),
                ))
            }
        };
    }
    Ok(item)
}

/// Registers `index` (replacing the engine's built-in).
pub(crate) fn register(m: &mut FuncMap) {
    add(m, "index", index);
}
