//! Trace JSON exactly as Tempo writes it: gogo `jsonpb.Marshaler{}` defaults over the
//! `tempopb` messages. That is **not** OTLP/JSON:
//!
//! - field names lowerCamelCase (`resourceSpans`, `scopeSpans`, `startTimeUnixNano`), in the
//!   order the fields are declared in the `.proto` files (`Span.flags` right after
//!   `parentSpanId`);
//! - zero values omitted (empty strings, 0, empty lists, absent messages, enum value 0), except
//!   the member of a `oneof` (`{"intValue":"0"}`, `{"stringValue":""}`);
//! - 64-bit integers (`startTimeUnixNano`, `intValue`, `inspectedBytes`) as JSON strings,
//!   32-bit ones as numbers;
//! - enums by name (`"kind":"SPAN_KIND_SERVER"`, `"code":"STATUS_CODE_ERROR"`);
//! - `bytes` (trace, span and parent span ids, `bytesValue`) as **standard base64**;
//! - strings escaped as Go's `encoding/json` does (`<`, `>`, `&`, U+2028, U+2029 as `\uXXXX`);
//! - doubles as Go's `encoding/json`; NaN and ±Inf as `"NaN"`, `"Infinity"`, `"-Infinity"`.
//!
//! [`trace_v1`] is Tempo's `tempopb.MarshalToJSONV1` (the first `resourceSpans` key renamed
//! `batches`), [`trace_by_id_v2`] the `TraceByIDResponse` of `/api/v2/traces/<id>`.

use super::proto::{PartialStatus, TraceByIdResponse};
use base64::Engine;
use opentelemetry_proto::tonic::common::v1::{
    any_value::Value, AnyValue, EntityRef, InstrumentationScope, KeyValue,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{span, ResourceSpans, ScopeSpans, Span, Status};

/// `GET /api/traces/<id>` JSON: `{"batches":[…]}` (`{}` for no spans).
pub fn trace_v1(resource_spans: &[ResourceSpans]) -> String {
    let mut out = String::new();
    let mut o = Obj::new(&mut out);
    o.list("batches", resource_spans, resource_spans_json);
    o.end();
    out
}

/// `GET /api/v2/traces/<id>` JSON:
/// `{"trace":{"resourceSpans":[…]},"metrics":{…},"status":"PARTIAL","message":"…"}`
/// (`status` omitted when `COMPLETE`, `message` when empty).
pub fn trace_by_id_v2(resp: &TraceByIdResponse) -> String {
    let mut out = String::new();
    let mut o = Obj::new(&mut out);
    if let Some(t) = &resp.trace {
        o.key("trace");
        let mut t_obj = Obj::new(o.out);
        t_obj.list("resourceSpans", &t.resource_spans, resource_spans_json);
        t_obj.end();
    }
    if let Some(m) = &resp.metrics {
        o.key("metrics");
        let mut m_obj = Obj::new(o.out);
        m_obj.u64_str("inspectedBytes", m.inspected_bytes);
        m_obj.end();
    }
    if resp.status != 0 {
        let name = match PartialStatus::try_from(resp.status) {
            Ok(PartialStatus::Partial) => "PARTIAL".to_string(),
            Ok(PartialStatus::Complete) => "COMPLETE".to_string(),
            Err(_) => resp.status.to_string(),
        };
        o.raw("status", &quote(&name));
    }
    o.string("message", &resp.message);
    o.end();
    out
}

/// A JSON object being written: tracks the comma between members.
struct Obj<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Obj<'a> {
    fn new(out: &'a mut String) -> Self {
        out.push('{');
        Obj { out, first: true }
    }

    fn key(&mut self, name: &str) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        self.out.push('"');
        self.out.push_str(name);
        self.out.push_str("\":");
    }

    fn raw(&mut self, name: &str, value: &str) {
        self.key(name);
        self.out.push_str(value);
    }

    /// A string member, omitted when empty.
    fn string(&mut self, name: &str, v: &str) {
        if !v.is_empty() {
            self.key(name);
            push_str(self.out, v);
        }
    }

    /// A bytes member as base64, omitted when empty.
    fn bytes(&mut self, name: &str, v: &[u8]) {
        if !v.is_empty() {
            self.key(name);
            push_bytes(self.out, v);
        }
    }

    /// A 32-bit unsigned member as a number, omitted when 0.
    fn u32_num(&mut self, name: &str, v: u32) {
        if v != 0 {
            self.raw(name, &v.to_string());
        }
    }

    /// A 64-bit unsigned member as a string, omitted when 0.
    fn u64_str(&mut self, name: &str, v: u64) {
        if v != 0 {
            self.raw(name, &format!("\"{v}\""));
        }
    }

    /// An enum member by name, omitted when 0.
    fn enum_name(&mut self, name: &str, v: i32, names: &[&str]) {
        if v == 0 {
            return;
        }
        match usize::try_from(v).ok().and_then(|i| names.get(i)) {
            Some(n) => self.raw(name, &format!("\"{n}\"")),
            None => self.raw(name, &v.to_string()),
        }
    }

    /// A repeated message member, omitted when empty.
    fn list<T>(&mut self, name: &str, items: &[T], f: fn(&mut String, &T)) {
        if items.is_empty() {
            return;
        }
        self.key(name);
        self.out.push('[');
        for (i, it) in items.iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            f(self.out, it);
        }
        self.out.push(']');
    }

    /// An optional message member, omitted when absent.
    fn message<T>(&mut self, name: &str, v: Option<&T>, f: fn(&mut String, &T)) {
        if let Some(v) = v {
            self.key(name);
            f(self.out, v);
        }
    }

    fn end(self) {
        self.out.push('}');
    }
}

const SPAN_KINDS: &[&str] = &[
    "SPAN_KIND_UNSPECIFIED",
    "SPAN_KIND_INTERNAL",
    "SPAN_KIND_SERVER",
    "SPAN_KIND_CLIENT",
    "SPAN_KIND_PRODUCER",
    "SPAN_KIND_CONSUMER",
];

const STATUS_CODES: &[&str] = &["STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"];

fn resource_spans_json(out: &mut String, rs: &ResourceSpans) {
    let mut o = Obj::new(out);
    o.message("resource", rs.resource.as_ref(), resource_json);
    o.list("scopeSpans", &rs.scope_spans, scope_spans_json);
    o.string("schemaUrl", &rs.schema_url);
    o.end();
}

fn resource_json(out: &mut String, r: &Resource) {
    let mut o = Obj::new(out);
    o.list("attributes", &r.attributes, key_value_json);
    o.u32_num("droppedAttributesCount", r.dropped_attributes_count);
    o.list("entityRefs", &r.entity_refs, entity_ref_json);
    o.end();
}

fn entity_ref_json(out: &mut String, e: &EntityRef) {
    let mut o = Obj::new(out);
    o.string("schemaUrl", &e.schema_url);
    o.string("type", &e.r#type);
    o.list("idKeys", &e.id_keys, |out, s: &String| push_str(out, s));
    o.list("descriptionKeys", &e.description_keys, |out, s: &String| {
        push_str(out, s)
    });
    o.end();
}

fn scope_spans_json(out: &mut String, ss: &ScopeSpans) {
    let mut o = Obj::new(out);
    o.message("scope", ss.scope.as_ref(), scope_json);
    o.list("spans", &ss.spans, span_json);
    o.string("schemaUrl", &ss.schema_url);
    o.end();
}

fn scope_json(out: &mut String, s: &InstrumentationScope) {
    let mut o = Obj::new(out);
    o.string("name", &s.name);
    o.string("version", &s.version);
    o.list("attributes", &s.attributes, key_value_json);
    o.u32_num("droppedAttributesCount", s.dropped_attributes_count);
    o.end();
}

fn span_json(out: &mut String, s: &Span) {
    let mut o = Obj::new(out);
    o.bytes("traceId", &s.trace_id);
    o.bytes("spanId", &s.span_id);
    o.string("traceState", &s.trace_state);
    o.bytes("parentSpanId", &s.parent_span_id);
    o.u32_num("flags", s.flags);
    o.string("name", &s.name);
    o.enum_name("kind", s.kind, SPAN_KINDS);
    o.u64_str("startTimeUnixNano", s.start_time_unix_nano);
    o.u64_str("endTimeUnixNano", s.end_time_unix_nano);
    o.list("attributes", &s.attributes, key_value_json);
    o.u32_num("droppedAttributesCount", s.dropped_attributes_count);
    o.list("events", &s.events, event_json);
    o.u32_num("droppedEventsCount", s.dropped_events_count);
    o.list("links", &s.links, link_json);
    o.u32_num("droppedLinksCount", s.dropped_links_count);
    o.message("status", s.status.as_ref(), status_json);
    o.end();
}

fn event_json(out: &mut String, e: &span::Event) {
    let mut o = Obj::new(out);
    o.u64_str("timeUnixNano", e.time_unix_nano);
    o.string("name", &e.name);
    o.list("attributes", &e.attributes, key_value_json);
    o.u32_num("droppedAttributesCount", e.dropped_attributes_count);
    o.end();
}

fn link_json(out: &mut String, l: &span::Link) {
    let mut o = Obj::new(out);
    o.bytes("traceId", &l.trace_id);
    o.bytes("spanId", &l.span_id);
    o.string("traceState", &l.trace_state);
    o.list("attributes", &l.attributes, key_value_json);
    o.u32_num("droppedAttributesCount", l.dropped_attributes_count);
    o.u32_num("flags", l.flags);
    o.end();
}

fn status_json(out: &mut String, s: &Status) {
    let mut o = Obj::new(out);
    o.string("message", &s.message);
    o.enum_name("code", s.code, STATUS_CODES);
    o.end();
}

pub(crate) fn key_value_json(out: &mut String, kv: &KeyValue) {
    let mut o = Obj::new(out);
    o.string("key", &kv.key);
    o.message("value", kv.value.as_ref(), any_value_json);
    if kv.key_strindex != 0 {
        o.raw("keyStrindex", &kv.key_strindex.to_string());
    }
    o.end();
}

fn any_value_json(out: &mut String, v: &AnyValue) {
    let mut o = Obj::new(out);
    match &v.value {
        None => {}
        Some(Value::StringValue(s)) => {
            o.key("stringValue");
            push_str(o.out, s);
        }
        Some(Value::BoolValue(b)) => o.raw("boolValue", if *b { "true" } else { "false" }),
        Some(Value::IntValue(i)) => o.raw("intValue", &format!("\"{i}\"")),
        Some(Value::DoubleValue(d)) => o.raw("doubleValue", &go_double(*d)),
        Some(Value::ArrayValue(a)) => {
            o.key("arrayValue");
            let mut inner = Obj::new(o.out);
            inner.list("values", &a.values, any_value_json);
            inner.end();
        }
        Some(Value::KvlistValue(kv)) => {
            o.key("kvlistValue");
            let mut inner = Obj::new(o.out);
            inner.list("values", &kv.values, key_value_json);
            inner.end();
        }
        Some(Value::BytesValue(b)) => {
            o.key("bytesValue");
            push_bytes(o.out, b);
        }
        Some(Value::StringValueStrindex(i)) => o.raw("stringValueStrindex", &i.to_string()),
    }
    o.end();
}

/// A double as Go's `encoding/json` writes it (`'f'` format, `'e'` below 1e-6 or from 1e21 on
/// with a one-digit negative exponent `1e-7`); jsonpb quotes the non-finite values.
pub(crate) fn go_double(d: f64) -> String {
    if d.is_nan() {
        return "\"NaN\"".to_string();
    }
    if d.is_infinite() {
        return if d > 0.0 {
            "\"Infinity\""
        } else {
            "\"-Infinity\""
        }
        .to_string();
    }
    let abs = d.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let mut s = crate::format::go_exp(d);
        // Go's encoding/json shortens `e-07` to `e-7`.
        let n = s.len();
        if n >= 4 && &s[n - 4..n - 1] == "e-0" {
            s.remove(n - 2);
        }
        s
    } else {
        format!("{d}")
    }
}

fn quote(s: &str) -> String {
    let mut out = String::new();
    push_str(&mut out, s);
    out
}

fn push_bytes(out: &mut String, b: &[u8]) {
    out.push('"');
    out.push_str(&base64::engine::general_purpose::STANDARD.encode(b));
    out.push('"');
}

/// A JSON string as Go's `encoding/json` escapes it (HTML-safe).
pub(crate) fn push_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_and_strings() {
        assert_eq!(go_double(1.0), "1");
        assert_eq!(go_double(0.5), "0.5");
        assert_eq!(go_double(1e-7), "1e-7");
        assert_eq!(go_double(1e21), "1e+21");
        assert_eq!(go_double(f64::NAN), "\"NaN\"");
        assert_eq!(
            quote("a<b>&\"\n\u{1}"),
            r#""a\u003cb\u003e\u0026\"\n\u0001""#
        );
    }

    #[test]
    fn span_fields_in_tempo_shape() {
        let span = Span {
            trace_id: vec![1; 16],
            span_id: vec![2; 8],
            name: "GET /".into(),
            kind: 2,
            start_time_unix_nano: 1_700_000_000_000_000_000,
            end_time_unix_nano: 1_700_000_000_500_000_000,
            attributes: vec![KeyValue {
                key: "n".into(),
                value: Some(AnyValue {
                    value: Some(Value::IntValue(0)),
                }),
                ..Default::default()
            }],
            status: Some(Status {
                message: String::new(),
                code: 2,
            }),
            ..Default::default()
        };
        let rs = ResourceSpans {
            scope_spans: vec![ScopeSpans {
                spans: vec![span],
                ..Default::default()
            }],
            ..Default::default()
        };
        assert_eq!(
            trace_v1(&[rs]),
            concat!(
                r#"{"batches":[{"scopeSpans":[{"spans":[{"traceId":"AQEBAQEBAQEBAQEBAQEBAQ==","#,
                r#""spanId":"AgICAgICAgI=","name":"GET /","kind":"SPAN_KIND_SERVER","#,
                r#""startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000500000000","#,
                r#""attributes":[{"key":"n","value":{"intValue":"0"}}],"#,
                r#""status":{"code":"STATUS_CODE_ERROR"}}]}]}]}"#
            )
        );
        assert_eq!(trace_v1(&[]), "{}");
    }
}
