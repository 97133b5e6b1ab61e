//! Attribute look-ups of Tempo's metrics-generator (`processor/util`, `pkg/util/attributes.go`):
//! the first matching key wins and values are stringified as Tempo's `StringifyAnyValue`.

use opentelemetry_proto::tonic::common::v1::{any_value::Value as Av, AnyValue, KeyValue};
use std::fmt::Write;

/// Tempo's `StringifyAnyValue`: strings as is, ints decimal, doubles shortest decimal without
/// exponent, bools `true`/`false`, arrays `[` + elements concatenated + `]`, maps
/// `{k:v…}`, bytes and empty values `""`.
pub fn stringify(v: Option<&AnyValue>) -> String {
    let Some(Some(v)) = v.map(|v| v.value.as_ref()) else {
        return String::new();
    };
    match v {
        Av::StringValue(s) => s.clone(),
        Av::BoolValue(b) => b.to_string(),
        Av::IntValue(i) => i.to_string(),
        Av::DoubleValue(d) => format!("{d}"),
        Av::ArrayValue(a) => {
            let mut s = String::from("[");
            for x in &a.values {
                s.push_str(&stringify(Some(x)));
            }
            s.push(']');
            s
        }
        Av::KvlistValue(kv) => {
            let mut s = String::from("{");
            for x in &kv.values {
                s.push_str(&x.key);
                s.push(':');
                s.push_str(&stringify(x.value.as_ref()));
            }
            s.push('}');
            s
        }
        Av::BytesValue(_) | Av::StringValueStrindex(_) => String::new(),
    }
}

/// The stringified value of the first attribute named `key` in the first list holding one
/// (`None` when no list has it).
pub fn find(key: &str, lists: &[&[KeyValue]]) -> Option<String> {
    lists
        .iter()
        .flat_map(|l| l.iter())
        .find(|kv| kv.key == key)
        .map(|kv| stringify(kv.value.as_ref()))
}

/// The resource's `service.name` (first occurrence), if present.
pub fn service_name(resource_attrs: &[KeyValue]) -> Option<String> {
    find("service.name", &[resource_attrs])
}

/// Lower-case hex of a trace id without leading zeros, as Tempo's `TraceIDToHexString`
/// (used for exemplars; `""` for an empty id, `"0"` for an all-zero one).
pub fn trace_id_hex(b: &[u8]) -> String {
    if b.is_empty() {
        return String::new();
    }
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        let _ = write!(s, "{x:02x}");
    }
    let trimmed = s.trim_start_matches('0');
    if trimmed.is_empty() {
        "0".to_string()
    } else {
        trimmed.to_string()
    }
}
