//! OTLP attribute values as strings (pdata `Value.AsString()`) and the label-set builder of
//! Prometheus's OTLP translator (`createAttributes`).

use super::names::{format_attr_double, label_name};
use base64::Engine;
use opentelemetry_proto::tonic::common::v1::{any_value::Value as Av, AnyValue, KeyValue};
use std::collections::BTreeMap;

fn to_json(v: &AnyValue) -> serde_json::Value {
    use serde_json::Value as J;
    match &v.value {
        None => J::Null,
        Some(Av::StringValue(s)) => J::String(s.clone()),
        Some(Av::BoolValue(b)) => J::Bool(*b),
        Some(Av::IntValue(i)) => J::from(*i),
        Some(Av::DoubleValue(d)) => serde_json::Number::from_f64(*d).map_or(J::Null, J::Number),
        Some(Av::BytesValue(b)) => J::String(base64::engine::general_purpose::STANDARD.encode(b)),
        Some(Av::ArrayValue(a)) => J::Array(a.values.iter().map(to_json).collect()),
        Some(Av::KvlistValue(kv)) => J::Object(
            kv.values
                .iter()
                .map(|kv| (kv.key.clone(), kv.value.as_ref().map_or(J::Null, to_json)))
                .collect(),
        ),
        Some(Av::StringValueStrindex(i)) => J::from(*i),
    }
}

/// The string form of an attribute value, as pdata `AsString`: strings as they are, ints in
/// decimal, doubles ES6-style, bools `true`/`false`, bytes base64, arrays and maps as JSON,
/// empty `""`.
pub fn any_value_string(v: Option<&AnyValue>) -> String {
    let Some(v) = v else {
        return String::new();
    };
    match &v.value {
        None => String::new(),
        Some(Av::StringValue(s)) => s.clone(),
        Some(Av::BoolValue(b)) => b.to_string(),
        Some(Av::IntValue(i)) => i.to_string(),
        Some(Av::DoubleValue(d)) => format_attr_double(*d),
        Some(Av::BytesValue(b)) => base64::engine::general_purpose::STANDARD.encode(b),
        Some(other) => to_json(&AnyValue {
            value: Some(other.clone()),
        })
        .to_string(),
    }
}

/// Looks up a string attribute.
pub fn get_attr<'a>(attrs: &'a [KeyValue], key: &str) -> Option<&'a KeyValue> {
    attrs.iter().find(|kv| kv.key == key)
}

/// Instrumentation scope data used when scope metadata is promoted.
#[derive(Debug, Clone, Default)]
pub struct ScopeInfo {
    pub name: String,
    pub version: String,
    pub schema_url: String,
    pub attributes: Vec<KeyValue>,
}

/// Settings of the label-set builder.
#[derive(Debug, Clone, Default)]
pub struct LabelSettings {
    pub promote_resource_attributes: Vec<String>,
    pub promote_scope_metadata: bool,
}

/// The resource attributes that identify a target (mapped to `job` and `instance`).
pub const IDENTIFYING: [&str; 3] = ["service.namespace", "service.name", "service.instance.id"];

/// Prometheus's `createAttributes` (3.14): data-point attributes except `ignore` and `__name__`
/// (sanitized; names colliding after sanitizing get their values joined with `;` in key
/// order), promoted resource attributes (if not already set), `job`
/// (`service.namespace/service.name`) and `instance` (`service.instance.id`), then, with scope
/// promotion, `otel_scope_<attr>` and `otel_scope_name`/`_version`/`_schema_url`. Returns
/// name → value (the metric name is added by the caller); errors when an attribute key cannot
/// be turned into a label name (Prometheus fails the request).
pub fn create_attributes(
    resource: &[KeyValue],
    attributes: &[KeyValue],
    scope: Option<&ScopeInfo>,
    settings: &LabelSettings,
    ignore: &[&str],
) -> Result<BTreeMap<String, String>, String> {
    let mut pairs: Vec<(&str, String)> = attributes
        .iter()
        .filter(|kv| !ignore.contains(&kv.key.as_str()) && kv.key != "__name__")
        .map(|kv| (kv.key.as_str(), any_value_string(kv.value.as_ref())))
        .collect();
    pairs.sort_by(|a, b| a.0.cmp(b.0));
    let mut l: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in pairs {
        let name = label_name(k)?;
        match l.get_mut(&name) {
            Some(existing) if !existing.is_empty() => {
                existing.push(';');
                existing.push_str(&v);
            }
            _ => {
                l.insert(name, v);
            }
        }
    }
    let mut promoted: Vec<(&str, String)> = resource
        .iter()
        .filter(|kv| {
            settings
                .promote_resource_attributes
                .iter()
                .any(|p| p == &kv.key)
        })
        .map(|kv| (kv.key.as_str(), any_value_string(kv.value.as_ref())))
        .collect();
    promoted.sort_by(|a, b| a.0.cmp(b.0));
    for (k, v) in promoted {
        let name = label_name(k)?;
        if l.get(&name).is_none_or(|x| x.is_empty()) {
            l.insert(name, v);
        }
    }
    if let Some(name) = get_attr(resource, "service.name") {
        let mut job = any_value_string(name.value.as_ref());
        if let Some(ns) = get_attr(resource, "service.namespace") {
            job = format!("{}/{job}", any_value_string(ns.value.as_ref()));
        }
        l.insert("job".into(), job);
    }
    if let Some(inst) = get_attr(resource, "service.instance.id") {
        l.insert("instance".into(), any_value_string(inst.value.as_ref()));
    }
    if let Some(scope) = scope.filter(|s| settings.promote_scope_metadata && !s.name.is_empty()) {
        for kv in &scope.attributes {
            let name = label_name(&format!("otel_scope_{}", kv.key))?;
            l.insert(name, any_value_string(kv.value.as_ref()));
        }
        l.insert("otel_scope_name".into(), scope.name.clone());
        l.insert("otel_scope_version".into(), scope.version.clone());
        l.insert("otel_scope_schema_url".into(), scope.schema_url.clone());
    }
    Ok(l)
}
