//! JSON of the search responses (`tempopb.SearchResponse` as gogo jsonpb writes it: fields in
//! `.proto` order, zero values omitted, 64-bit integers as strings) and the conversions Tempo
//! applies to ids and TraceQL values; shared with [`super::metrics`].

use super::jsonpb::{key_value_json, push_str};
use super::search::ScanMetrics;
use crate::loki::params::go_duration_string;
use bytes::Bytes;
use http::{header, HeaderValue, Response};
use lakewatch_traceql::eval::value::{kind_name, status_name};
use lakewatch_traceql::Value;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, ArrayValue, KeyValue};
use std::collections::BTreeMap;

/// Tempo's `search.RootSpanNotYetReceivedText`.
pub const ROOT_SPAN_NOT_YET_RECEIVED: &str = "<root span not yet received>";

/// One `tempopb.Span` of a result spanset.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SpanOut {
    pub(crate) span_id: String,
    pub(crate) name: String,
    pub(crate) start_ns: u64,
    pub(crate) duration_ns: u64,
    pub(crate) attributes: Vec<KeyValue>,
}

/// One `tempopb.SpanSet`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SpanSetOut {
    pub(crate) spans: Vec<SpanOut>,
    pub(crate) matched: u32,
    pub(crate) attributes: Vec<KeyValue>,
}

/// One `tempopb.TraceSearchMetadata`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TraceMeta {
    pub(crate) trace_id: String,
    pub(crate) root_service: String,
    pub(crate) root_name: String,
    pub(crate) start_ns: u64,
    pub(crate) duration_ms: u32,
    pub(crate) spansets: Vec<SpanSetOut>,
    /// Service → (span count, error count); empty for a tags search.
    pub(crate) service_stats: BTreeMap<String, (u32, u32)>,
}

/// Tempo's `util.TraceIDToHexString`: lowercase hex, leading zeros trimmed.
pub fn trace_id_hex(id: &[u8]) -> String {
    let h = hex(id);
    h.trim_start_matches('0').to_string()
}

/// Tempo's `util.SpanIDToHexString`: hex left-padded with zeros to 16 characters.
pub fn span_id_hex(id: &[u8]) -> String {
    let h = hex(id);
    let t = h.trim_start_matches('0');
    format!("{t:0>16}")
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A TraceQL value as Tempo's `Static.AsAnyValue`: ints, floats, bools typed; durations as Go
/// duration strings (`1.5s`); status, kind, nil and strings as strings (`error`, `server`,
/// `nil`); arrays as `arrayValue`.
pub fn any_value(v: &Value) -> AnyValue {
    use any_value::Value as V;
    let value = match v {
        Value::Nil => V::StringValue("nil".into()),
        Value::Str(s) => V::StringValue(s.clone()),
        Value::Int(i) => V::IntValue(*i),
        Value::Float(f) => V::DoubleValue(*f),
        Value::Bool(b) => V::BoolValue(*b),
        Value::Duration(ns) => V::StringValue(go_duration_string(*ns)),
        Value::Status(s) => V::StringValue(status_name(*s).into()),
        Value::Kind(k) => V::StringValue(kind_name(*k).into()),
        Value::Array(items) => V::ArrayValue(ArrayValue {
            values: items.iter().map(any_value).collect(),
        }),
    };
    AnyValue { value: Some(value) }
}

/// An OTLP key/value from a name and a TraceQL value.
pub fn key_value(key: &str, v: &Value) -> KeyValue {
    KeyValue {
        key: key.to_string(),
        value: Some(any_value(v)),
        ..Default::default()
    }
}

pub(crate) fn json_response(body: String) -> Response<Bytes> {
    let mut resp = Response::new(Bytes::from(body));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// Appends `,"name":` (or without the comma for the first member).
pub(crate) fn member(out: &mut String, first: &mut bool, name: &str) {
    if !*first {
        out.push(',');
    }
    *first = false;
    out.push('"');
    out.push_str(name);
    out.push_str("\":");
}

/// `SearchMetrics` JSON (zero members omitted).
pub(crate) fn render_metrics(out: &mut String, m: &ScanMetrics) {
    let mut first = true;
    out.push('{');
    if m.inspected_traces != 0 {
        member(out, &mut first, "inspectedTraces");
        out.push_str(&m.inspected_traces.min(u64::from(u32::MAX)).to_string());
    }
    if m.inspected_bytes != 0 {
        member(out, &mut first, "inspectedBytes");
        out.push_str(&format!("\"{}\"", m.inspected_bytes));
    }
    if m.total_blocks != 0 {
        member(out, &mut first, "totalBlocks");
        out.push_str(&m.total_blocks.to_string());
    }
    member(out, &mut first, "completedJobs");
    out.push('1');
    member(out, &mut first, "totalJobs");
    out.push('1');
    if m.inspected_bytes != 0 {
        member(out, &mut first, "totalBlockBytes");
        out.push_str(&format!("\"{}\"", m.inspected_bytes));
    }
    if m.inspected_spans != 0 {
        member(out, &mut first, "inspectedSpans");
        out.push_str(&format!("\"{}\"", m.inspected_spans));
    }
    out.push('}');
}

/// A repeated KeyValue member, omitted when empty.
pub(crate) fn render_kvs(out: &mut String, first: &mut bool, name: &str, kvs: &[KeyValue]) {
    if kvs.is_empty() {
        return;
    }
    member(out, first, name);
    render_array(out, kvs, key_value_json);
}

/// A JSON array `[…]`, each element written by `each`.
pub(crate) fn render_array<T>(
    out: &mut String,
    items: impl IntoIterator<Item = T>,
    mut each: impl FnMut(&mut String, T),
) {
    out.push('[');
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        each(out, item);
    }
    out.push(']');
}

pub(crate) fn render_spanset(out: &mut String, ss: &SpanSetOut) {
    let mut first = true;
    out.push('{');
    if !ss.spans.is_empty() {
        member(out, &mut first, "spans");
        render_array(out, &ss.spans, |out, s| {
            let mut f = true;
            out.push('{');
            member(out, &mut f, "spanID");
            push_str(out, &s.span_id);
            if !s.name.is_empty() {
                member(out, &mut f, "name");
                push_str(out, &s.name);
            }
            if s.start_ns != 0 {
                member(out, &mut f, "startTimeUnixNano");
                out.push_str(&format!("\"{}\"", s.start_ns));
            }
            if s.duration_ns != 0 {
                member(out, &mut f, "durationNanos");
                out.push_str(&format!("\"{}\"", s.duration_ns));
            }
            render_kvs(out, &mut f, "attributes", &s.attributes);
            out.push('}');
        });
    }
    if ss.matched != 0 {
        member(out, &mut first, "matched");
        out.push_str(&ss.matched.to_string());
    }
    render_kvs(out, &mut first, "attributes", &ss.attributes);
    out.push('}');
}

fn render_trace(out: &mut String, t: &TraceMeta) {
    let mut first = true;
    out.push('{');
    if !t.trace_id.is_empty() {
        member(out, &mut first, "traceID");
        push_str(out, &t.trace_id);
    }
    member(out, &mut first, "rootServiceName");
    push_str(
        out,
        if t.root_service.is_empty() {
            ROOT_SPAN_NOT_YET_RECEIVED
        } else {
            &t.root_service
        },
    );
    if !t.root_name.is_empty() {
        member(out, &mut first, "rootTraceName");
        push_str(out, &t.root_name);
    }
    if t.start_ns != 0 {
        member(out, &mut first, "startTimeUnixNano");
        out.push_str(&format!("\"{}\"", t.start_ns));
    }
    if t.duration_ms != 0 {
        member(out, &mut first, "durationMs");
        out.push_str(&t.duration_ms.to_string());
    }
    if let Some(ss) = t.spansets.first() {
        member(out, &mut first, "spanSet");
        render_spanset(out, ss);
        member(out, &mut first, "spanSets");
        render_array(out, &t.spansets, render_spanset);
    }
    if !t.service_stats.is_empty() {
        member(out, &mut first, "serviceStats");
        out.push('{');
        for (i, (svc, (spans, errors))) in t.service_stats.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_str(out, svc);
            out.push(':');
            let mut f = true;
            out.push('{');
            if *spans != 0 {
                member(out, &mut f, "spanCount");
                out.push_str(&spans.to_string());
            }
            if *errors != 0 {
                member(out, &mut f, "errorCount");
                out.push_str(&errors.to_string());
            }
            out.push('}');
        }
        out.push('}');
    }
    out.push('}');
}

/// `SearchResponse` JSON: `traces` (omitted when empty, as jsonpb) and `metrics`.
pub(crate) fn render(traces: &[TraceMeta], metrics: &ScanMetrics) -> String {
    let mut out = String::from("{");
    let mut first = true;
    if !traces.is_empty() {
        member(&mut out, &mut first, "traces");
        render_array(&mut out, traces, render_trace);
    }
    member(&mut out, &mut first, "metrics");
    render_metrics(&mut out, metrics);
    out.push('}');
    out
}
