//! From an evaluated trace to metrics observations: the values a first-stage function or
//! `compare()` needs from one matched span, read with [`crate::eval::attribute_value`].

use crate::ast::{Attribute, Intrinsic, Scope};
use crate::eval::{attribute_value, TraceView, Value};

/// Lowercase hex of an id.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Exemplar labels of a span: `trace:id` and `span:id` (hex strings).
pub fn exemplar_labels(trace: &TraceView, span: usize) -> Vec<(String, Value)> {
    let mut out = vec![("trace:id".to_string(), Value::Str(hex(&trace.trace_id)))];
    if let Some(r) = trace.spans.get(span) {
        out.push(("span:id".into(), Value::Str(hex(&r.span.span_id))));
    }
    out
}

/// Span start in ns since the epoch.
pub fn start_ns(trace: &TraceView, span: usize) -> i64 {
    trace.spans.get(span).map(|r| r.start_ns()).unwrap_or(0)
}

/// Intrinsics compare() reads on every span (Tempo's "select all": span, trace and
/// instrumentation intrinsics except ids, start time, nested sets and durations).
const COMPARE_INTRINSICS: [Intrinsic; 8] = [
    Intrinsic::Name,
    Intrinsic::Status,
    Intrinsic::StatusMessage,
    Intrinsic::Kind,
    Intrinsic::RootName,
    Intrinsic::RootServiceName,
    Intrinsic::InstrumentationName,
    Intrinsic::InstrumentationVersion,
];

/// Every attribute of a span for compare(): the intrinsics above (empty strings skipped),
/// then resource and span attributes, names as TraceQL prints them (`resource.service.name`,
/// `span.http.method`, `name`, `status`).
pub fn all_attributes(trace: &TraceView, span: usize) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let Some(rec) = trace.spans.get(span) else {
        return out;
    };
    for i in COMPARE_INTRINSICS {
        let attr = Attribute::Intrinsic(i);
        match attribute_value(trace, span, &attr) {
            Value::Nil => {}
            Value::Str(s) if s.is_empty() => {}
            v => out.push((attr.to_string(), v)),
        }
    }
    let scoped = |scope: Scope, name: &str| Attribute::Attr {
        scope,
        parent: false,
        name: name.to_string(),
    };
    let resource_keys = rec
        .resource
        .resource
        .as_ref()
        .map(|r| r.attributes.iter().map(|kv| kv.key.clone()).collect())
        .unwrap_or_else(Vec::new);
    for key in resource_keys {
        let attr = scoped(Scope::Resource, &key);
        let v = attribute_value(trace, span, &attr);
        if v != Value::Nil {
            out.push((attr.to_string(), v));
        }
    }
    for kv in &rec.span.attributes {
        let attr = scoped(Scope::Span, &kv.key);
        let v = attribute_value(trace, span, &attr);
        if v != Value::Nil {
            out.push((attr.to_string(), v));
        }
    }
    out
}
