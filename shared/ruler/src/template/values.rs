//! How Prometheus's Go values travel through the `gotmpl` engine, which has only untyped
//! values: a query result is a list of sample maps (`Labels`, `Value`), a label set a map of
//! strings, a `*time.Time` (from `toTime`) a one-key map holding Unix nanoseconds. Also Go's
//! type names (for `%T` in errors) and `fmt.Print` text of these values.

use std::collections::BTreeMap;
use std::sync::Arc;

use gotmpl::{TemplateError, Value};
use lakewatch_model::Labels;

use lakewatch_logql::template::go::go_print_with;
pub(crate) use lakewatch_logql::template::go::{arity, call_err, FnResult};

use super::format::{go_time_string, parse_float};
use super::QuerySample;

/// Key of the one-entry map that stands for a Go `*time.Time` (Unix nanoseconds, UTC).
pub(crate) const TIME_KEY: &str = "__lakewatch_time_ns__";

/// A label set as the template's `map[string]string`.
pub(crate) fn labels_value(labels: &Labels) -> Value {
    let map: BTreeMap<Arc<str>, Value> = labels
        .iter()
        .map(|l| {
            (
                Arc::from(l.name.as_str()),
                Value::String(Arc::from(l.value.as_str())),
            )
        })
        .collect();
    Value::Map(Arc::new(map))
}

/// A query sample as Prometheus's `*sample{Labels, Value}`.
pub(crate) fn sample_value(s: &QuerySample) -> Value {
    let mut m: BTreeMap<Arc<str>, Value> = BTreeMap::new();
    m.insert(Arc::from("Labels"), labels_value(&s.labels));
    m.insert(Arc::from("Value"), Value::Float(s.value));
    Value::Map(Arc::new(m))
}

/// A `*time.Time` for `toTime`.
pub(crate) fn time_value(ns: i64) -> Value {
    let mut m: BTreeMap<Arc<str>, Value> = BTreeMap::new();
    m.insert(Arc::from(TIME_KEY), Value::Int(ns));
    Value::Map(Arc::new(m))
}

/// The nanoseconds of a `toTime` value.
pub(crate) fn as_time(v: &Value) -> Option<i64> {
    match v {
        Value::Map(m) if m.len() == 1 => match m.get(TIME_KEY) {
            Some(Value::Int(ns)) => Some(*ns),
            _ => None,
        },
        _ => None,
    }
}

/// Whether `m` is a query sample (`Labels`, `Value`).
pub(crate) fn is_sample(m: &BTreeMap<Arc<str>, Value>) -> bool {
    m.len() == 2 && m.contains_key("Labels") && m.contains_key("Value")
}

/// Go's `%T` of the value as Prometheus's template sees it.
pub(crate) fn go_type(v: &Value) -> &'static str {
    match v {
        Value::Nil => "<nil>",
        Value::Bool(_) => "bool",
        Value::Int(_) => "int",
        Value::Uint(_) => "uint",
        Value::Float(_) => "float64",
        Value::String(_) => "string",
        Value::List(items) => {
            if items
                .iter()
                .all(|i| matches!(i, Value::Map(m) if is_sample(m)))
            {
                "template.queryResult"
            } else {
                "[]interface {}"
            }
        }
        Value::Map(m) => {
            if as_time(v).is_some() {
                "*time.Time"
            } else if is_sample(m) {
                "*template.sample"
            } else if m.values().all(|x| matches!(x, Value::String(_))) {
                "map[string]string"
            } else {
                "map[string]interface {}"
            }
        }
        Value::Function(_) => "func",
    }
}

/// Prometheus's `convertToFloat`: float64, string (`strconv.ParseFloat`), int, uint; anything
/// else `can't convert T to float`.
pub(crate) fn to_float(v: &Value) -> Result<f64, String> {
    match v {
        Value::Float(f) => Ok(*f),
        Value::String(s) => parse_float(s),
        Value::Int(i) => Ok(*i as f64),
        Value::Uint(u) => Ok(*u as f64),
        other => Err(format!("can't convert {} to float", go_type(other))),
    }
}

/// A string argument (Go's `wrong type for value; expected string; got T`).
pub(crate) fn str_arg(v: &Value) -> Result<&str, TemplateError> {
    match v {
        Value::String(s) => Ok(s),
        Value::Nil => Err(TemplateError::Exec(
            "invalid value; expected string".to_string(),
        )),
        other => Err(TemplateError::Exec(format!(
            "wrong type for value; expected string; got {}",
            go_type(other)
        ))),
    }
}

/// Writes `v` as Go's `fmt.Print` in a template action: floats as `%v` (`1e+06`), maps as
/// `map[k:v]`, a `toTime` value as `time.Time.String()`, a query sample as `&{labels value}`,
/// a missing label (`nil`) as `""` (the zero value of a `map[string]string` entry under
/// `missingkey=zero`), but `<nil>` inside a composite. The generic part is the LogQL
/// templates' printer; the Prometheus types are this module's hook.
pub(crate) fn go_print(v: &Value, out: &mut String) {
    if !matches!(v, Value::Nil) {
        go_print_with(v, out, &prometheus_types);
    }
}

/// Prints the values that stand for Prometheus's Go types (`*time.Time`, `*template.sample`);
/// `false` for everything else.
fn prometheus_types(v: &Value, out: &mut String) -> bool {
    let Value::Map(m) = v else {
        return false;
    };
    if let Some(ns) = as_time(v) {
        out.push_str(&go_time_string(ns));
        return true;
    }
    if !is_sample(m) {
        return false;
    }
    out.push_str("&{");
    if let Some(l) = m.get("Labels") {
        go_print_with(l, out, &prometheus_types);
    }
    out.push(' ');
    if let Some(x) = m.get("Value") {
        go_print_with(x, out, &prometheus_types);
    }
    out.push('}');
    true
}
