//! OTLP/HTTP trace request bodies (`ExportTraceServiceRequest`, OTLP spec v1.11
//! "OTLP/HTTP"): Content-Type `application/x-protobuf` or `application/json` (else 415),
//! `Content-Encoding: gzip` (or none/identity; else 415), size limits (413), the span-count
//! limit (400), and per-span validation whose failures become `partial_success` (the valid
//! spans are kept).
//!
//! OTLP/JSON goes through `opentelemetry-proto`'s serde (hex ids, 64-bit ints as strings or
//! numbers, unknown fields ignored) after the shared fix-ups of [`super::decode::fix_json`]
//! plus the trace-specific ones of [`fix_trace_json`] (see docs/ingest-traces.md).

use super::decode::{decompress, fix_json, negotiate, OtlpFormat};
use crate::error::IngestError;
use crate::limits::IngestLimits;
use base64::Engine;
use http::HeaderMap;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::trace::v1::{span, status, ResourceSpans, ScopeSpans, Span};
use prost::Message;
use serde_json::Value;

/// The result of [`decode_traces`]: what to write and what to report as `partial_success`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DecodedTraces {
    /// Body format; the response uses the same.
    pub format: Option<OtlpFormat>,
    /// The valid spans, under their original resource and scope (resources/scopes left without
    /// spans are dropped).
    pub resource_spans: Vec<ResourceSpans>,
    /// Number of spans in `resource_spans`.
    pub accepted_spans: u64,
    /// Number of spans refused by [`validate_span`].
    pub rejected_spans: u64,
    /// One line per distinct rejection reason with its count and the first offending ids
    /// (empty when nothing was rejected); joined into `partial_success.error_message`.
    pub errors: Vec<String>,
}

impl DecodedTraces {
    /// `partial_success.error_message`: the reasons joined with `"; "`.
    pub fn error_message(&self) -> String {
        self.errors.join("; ")
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn check_id(name: &str, id: &[u8], len: usize, allow_empty: bool) -> Result<(), String> {
    if id.is_empty() && allow_empty {
        return Ok(());
    }
    if id.len() != len {
        return Err(format!(
            "{name} must be {len} bytes ({} hex digits), got {} bytes",
            len * 2,
            id.len()
        ));
    }
    if !allow_empty && id.iter().all(|b| *b == 0) {
        return Err(format!(
            "{name} is all zeros (invalid per W3C Trace Context)"
        ));
    }
    Ok(())
}

/// Checks one span: `trace_id` 16 bytes and not all zero, `span_id` 8 bytes and not all zero,
/// `parent_span_id` empty or 8 bytes, `end_time_unix_nano >= start_time_unix_nano` (both ns),
/// link ids 16/8 bytes. The error is the reason (without ids), used to group rejections.
pub fn validate_span(s: &Span) -> Result<(), String> {
    check_id("trace_id", &s.trace_id, 16, false)?;
    check_id("span_id", &s.span_id, 8, false)?;
    check_id("parent_span_id", &s.parent_span_id, 8, true)?;
    if s.end_time_unix_nano < s.start_time_unix_nano {
        return Err("end_time_unix_nano is before start_time_unix_nano".into());
    }
    for l in &s.links {
        check_id("link trace_id", &l.trace_id, 16, false)?;
        check_id("link span_id", &l.span_id, 8, false)?;
    }
    Ok(())
}

/// Total spans in a request.
pub fn count_spans(resource_spans: &[ResourceSpans]) -> usize {
    resource_spans
        .iter()
        .flat_map(|r| &r.scope_spans)
        .map(|s| s.spans.len())
        .sum()
}

/// Splits a decoded request into valid spans and grouped rejections (see [`DecodedTraces`]).
pub fn validate_traces(req: ExportTraceServiceRequest) -> DecodedTraces {
    let mut out = DecodedTraces::default();
    // reason → (count, first trace id, first span id), in first-seen order.
    let mut reasons: Vec<(String, u64, String, String)> = Vec::new();
    for mut rs in req.resource_spans {
        let mut scopes: Vec<ScopeSpans> = Vec::with_capacity(rs.scope_spans.len());
        for mut ss in std::mem::take(&mut rs.scope_spans) {
            let mut kept = Vec::with_capacity(ss.spans.len());
            for sp in std::mem::take(&mut ss.spans) {
                match validate_span(&sp) {
                    Ok(()) => kept.push(sp),
                    Err(reason) => {
                        out.rejected_spans += 1;
                        match reasons.iter_mut().find(|r| r.0 == reason) {
                            Some(r) => r.1 += 1,
                            None => reasons.push((reason, 1, hex(&sp.trace_id), hex(&sp.span_id))),
                        }
                    }
                }
            }
            if !kept.is_empty() {
                out.accepted_spans += kept.len() as u64;
                ss.spans = kept;
                scopes.push(ss);
            }
        }
        if !scopes.is_empty() {
            rs.scope_spans = scopes;
            out.resource_spans.push(rs);
        }
    }
    out.errors = reasons
        .into_iter()
        .map(|(reason, n, t, s)| {
            let noun = if n == 1 { "span" } else { "spans" };
            format!("{n} {noun} rejected: {reason} (first: trace_id {t:?}, span_id {s:?})")
        })
        .collect();
    out
}

fn enum_value(s: &str, by_name: impl Fn(&str) -> Option<i32>) -> Option<i64> {
    by_name(s)
        .map(i64::from)
        .or_else(|| s.trim().parse::<i64>().ok())
}

fn fix_id(v: &mut Value, want_len: usize) {
    if let Value::String(s) = v {
        let is_hex = s.len() == want_len * 2 && s.chars().all(|c| c.is_ascii_hexdigit());
        if s.is_empty() || is_hex {
            return;
        }
        if let Ok(b) = base64::engine::general_purpose::STANDARD.decode(s.as_bytes()) {
            if b.len() == want_len {
                *s = hex(&b);
            }
        }
    }
}

/// Trace-specific OTLP/JSON fix-ups applied after [`fix_json`], each tolerating what real
/// senders emit and the crate's serde refuses:
/// - `null` members are dropped (proto3 JSON: null = default value);
/// - `kind` / `status.code` given as enum names (`"SPAN_KIND_SERVER"`, `"STATUS_CODE_ERROR"`)
///   or numeric strings become integers (the spec requires integers);
/// - `parentSpanId` in base64 (a 12-character string for 8 bytes) becomes hex, as `fix_json`
///   does for `traceId`/`spanId` (the spec requires hex);
/// - 32-bit counters (`droppedAttributesCount`, `droppedEventsCount`, `droppedLinksCount`,
///   `flags`) given as strings become numbers (proto3 JSON allows both).
pub fn fix_trace_json(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.retain(|_, child| !child.is_null());
            if let Some(Value::String(s)) = map.get("kind") {
                if let Some(n) =
                    enum_value(s, |n| span::SpanKind::from_str_name(n).map(|k| k as i32))
                {
                    map.insert("kind".into(), Value::from(n));
                }
            }
            if let Some(Value::String(s)) = map.get("code") {
                if let Some(n) = enum_value(s, |n| {
                    status::StatusCode::from_str_name(n).map(|k| k as i32)
                }) {
                    map.insert("code".into(), Value::from(n));
                }
            }
            if let Some(id) = map.get_mut("parentSpanId") {
                fix_id(id, 8);
            }
            for key in [
                "droppedAttributesCount",
                "droppedEventsCount",
                "droppedLinksCount",
                "flags",
            ] {
                if let Some(Value::String(s)) = map.get(key) {
                    if let Ok(n) = s.trim().parse::<u32>() {
                        map.insert(key.into(), Value::from(n));
                    }
                }
            }
            map.values_mut().for_each(fix_trace_json);
        }
        Value::Array(items) => items.iter_mut().for_each(fix_trace_json),
        _ => {}
    }
}

/// Decodes an already decompressed body in `format`. Errors: 400 (invalid protobuf or JSON).
/// An empty or whitespace-only JSON body is an empty request.
pub fn decode_trace_request(
    body: &[u8],
    format: OtlpFormat,
) -> Result<ExportTraceServiceRequest, IngestError> {
    match format {
        OtlpFormat::Protobuf => ExportTraceServiceRequest::decode(body).map_err(|e| {
            IngestError::bad_request(format!(
                "invalid OTLP protobuf ExportTraceServiceRequest: {e}"
            ))
        }),
        OtlpFormat::Json => {
            if body.iter().all(|b| b.is_ascii_whitespace()) {
                return Ok(ExportTraceServiceRequest::default());
            }
            let mut v: Value = serde_json::from_slice(body)
                .map_err(|e| IngestError::bad_request(format!("invalid OTLP JSON: {e}")))?;
            fix_trace_json(&mut v);
            fix_json(&mut v);
            serde_json::from_value(v).map_err(|e| {
                IngestError::bad_request(format!(
                    "invalid OTLP JSON ExportTraceServiceRequest: {e}"
                ))
            })
        }
    }
}

/// The whole pure decoding path of a trace export: `headers` give Content-Type and
/// Content-Encoding, `body` is the raw request body, sizes are checked against
/// `limits.max_body_bytes` (compressed and decompressed) and the span count against
/// `limits.traces.max_spans_per_request`.
///
/// Errors refuse the whole request: 415 (Content-Type / Content-Encoding), 413 (too large),
/// 400 (corrupt gzip, undecodable body, too many spans). Otherwise the valid spans and the
/// grouped rejections of [`validate_traces`].
pub fn decode_traces(
    headers: &HeaderMap,
    body: &[u8],
    limits: &IngestLimits,
) -> Result<DecodedTraces, IngestError> {
    let format = negotiate(headers)?;
    if body.len() > limits.max_body_bytes {
        return Err(IngestError::too_large(format!(
            "request body is {} bytes, more than the limit of {} bytes",
            body.len(),
            limits.max_body_bytes
        )));
    }
    let raw = decompress(headers, body, limits.max_body_bytes)?;
    let req = decode_trace_request(&raw, format)?;
    let n = count_spans(&req.resource_spans);
    let max = limits.traces.max_spans_per_request;
    if max > 0 && n > max {
        return Err(IngestError::bad_request(format!(
            "too many spans in request: {n} (limit {max}, LAKEWATCH_TRACES_MAX_SPANS_PER_REQUEST)"
        )));
    }
    let mut out = validate_traces(req);
    out.format = Some(format);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enum_names_nulls_and_string_counters() {
        let mut v: Value = serde_json::from_str(
            r#"{"resourceSpans":[{"resource":null,"scopeSpans":[{"spans":[{
              "traceId":"0102030405060708090A0B0C0D0E0F10","spanId":"AQIDBAUGBwg=",
              "parentSpanId":"AQIDBAUGBwk=","kind":"SPAN_KIND_CLIENT","flags":"256",
              "droppedEventsCount":"2","status":{"code":"STATUS_CODE_ERROR","message":null},
              "startTimeUnixNano":"10","endTimeUnixNano":20,"unknownField":{"x":1}}]}]}]}"#,
        )
        .unwrap();
        fix_trace_json(&mut v);
        fix_json(&mut v);
        let r: ExportTraceServiceRequest = serde_json::from_value(v).unwrap();
        let s = &r.resource_spans[0].scope_spans[0].spans[0];
        assert_eq!(s.trace_id, (1..=16).collect::<Vec<u8>>());
        assert_eq!(s.span_id, (1..=8).collect::<Vec<u8>>());
        assert_eq!(s.parent_span_id, vec![1, 2, 3, 4, 5, 6, 7, 9]);
        assert_eq!(s.kind, 3);
        assert_eq!(s.flags, 256);
        assert_eq!(s.dropped_events_count, 2);
        assert_eq!(s.status.as_ref().unwrap().code, 2);
        assert_eq!((s.start_time_unix_nano, s.end_time_unix_nano), (10, 20));
    }

    #[test]
    fn span_validation_reasons() {
        let ok = Span {
            trace_id: vec![1; 16],
            span_id: vec![2; 8],
            start_time_unix_nano: 1,
            end_time_unix_nano: 2,
            ..Default::default()
        };
        assert_eq!(validate_span(&ok), Ok(()));
        let bad = |f: &dyn Fn(&mut Span)| {
            let mut s = ok.clone();
            f(&mut s);
            validate_span(&s).unwrap_err()
        };
        assert!(bad(&|s| s.trace_id = vec![1; 15]).contains("trace_id must be 16 bytes"));
        assert!(bad(&|s| s.trace_id = vec![0; 16]).contains("all zeros"));
        assert!(bad(&|s| s.span_id.clear()).contains("span_id must be 8 bytes"));
        assert!(bad(&|s| s.span_id = vec![0; 8]).contains("span_id is all zeros"));
        assert!(bad(&|s| s.parent_span_id = vec![1; 4]).contains("parent_span_id"));
        assert!(bad(&|s| s.end_time_unix_nano = 0).contains("before"));
        assert!(bad(&|s| s.links = vec![span::Link::default()]).contains("link trace_id"));
    }
}
