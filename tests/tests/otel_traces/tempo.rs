//! A small client for Lakewatch's Tempo and Prometheus query APIs, and decoders of Tempo's
//! trace responses (protobuf `tempopb.Trace` / `TraceByIDResponse`, and the gogo-jsonpb JSON
//! with base64 ids and enum names) into [`Span`]s.

use super::sent::Span;
use base64::Engine;
use lakewatch_e2e::tenant_client::{Reply, TenantClient};
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::trace::v1::{span::SpanKind, status::StatusCode, ResourceSpans};
use serde_json::Value;
use std::collections::BTreeMap;

/// `tempopb.Trace` (`repeated ResourceSpans resourceSpans = 1`), declared here from Tempo's
/// `tempo.proto` so the test decodes with its own types.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TempoTrace {
    #[prost(message, repeated, tag = "1")]
    pub resource_spans: Vec<ResourceSpans>,
}

/// `tempopb.TraceByIDResponse` (`trace = 1`, `status = 3` PartialStatus, `message = 4`).
#[derive(Clone, PartialEq, prost::Message)]
pub struct TraceByIdResponse {
    #[prost(message, optional, tag = "1")]
    pub trace: Option<TempoTrace>,
    #[prost(int32, tag = "3")]
    pub status: i32,
    #[prost(string, tag = "4")]
    pub message: String,
}

/// Lakewatch at `base`, for one tenant (`X-Scope-OrgID`).
pub struct Api {
    http: TenantClient,
}

impl Api {
    pub fn new(base: &str, tenant: &str) -> Self {
        Api {
            http: TenantClient::new(base, tenant),
        }
    }

    /// GET `path?k=v&…` (values percent-encoded) with an optional `Accept`. Errors: transport.
    pub async fn get(
        &self,
        path: &str,
        params: &[(&str, String)],
        accept: Option<&str>,
    ) -> Result<Reply, String> {
        let accept: Vec<(&str, &str)> = accept.map(|a| ("Accept", a)).into_iter().collect();
        self.http.get(path, params, &accept).await
    }

    /// GET returning 200 JSON. Errors: transport, another status, not JSON.
    pub async fn json(&self, path: &str, params: &[(&str, String)]) -> Result<Value, String> {
        self.get(path, params, None)
            .await
            .and_then(|r| r.ok_json())
            .map_err(|e| format!("{path} {params:?}: {e}"))
    }
}

fn any_value_json(v: Option<&AnyValue>) -> Value {
    match v.and_then(|v| v.value.as_ref()) {
        Some(any_value::Value::StringValue(s)) => Value::from(s.as_str()),
        Some(any_value::Value::IntValue(i)) => Value::from(*i),
        Some(any_value::Value::DoubleValue(d)) => Value::from(*d),
        Some(any_value::Value::BoolValue(b)) => Value::from(*b),
        other => Value::from(format!("unsupported {other:?}")),
    }
}

fn attrs_map(kvs: &[KeyValue]) -> BTreeMap<String, Value> {
    kvs.iter()
        .map(|kv| (kv.key.clone(), any_value_json(kv.value.as_ref())))
        .collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Flattens protobuf resource spans into [`Span`]s (sorted by span id).
pub fn spans_from_proto(rs: &[ResourceSpans]) -> Vec<Span> {
    let mut out = Vec::new();
    for r in rs {
        let resource = r
            .resource
            .as_ref()
            .map(|r| attrs_map(&r.attributes))
            .unwrap_or_default();
        let service = resource
            .get("service.name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        for ss in &r.scope_spans {
            let scope = ss
                .scope
                .as_ref()
                .map(|s| s.name.clone())
                .unwrap_or_default();
            for s in &ss.spans {
                let kind = SpanKind::try_from(s.kind).map_or_else(
                    |_| s.kind.to_string(),
                    |k| k.as_str_name().trim_start_matches("SPAN_KIND_").to_string(),
                );
                let (status, status_message) = match &s.status {
                    Some(st) => (
                        StatusCode::try_from(st.code).map_or_else(
                            |_| st.code.to_string(),
                            |c| {
                                c.as_str_name()
                                    .trim_start_matches("STATUS_CODE_")
                                    .to_string()
                            },
                        ),
                        st.message.clone(),
                    ),
                    None => ("UNSET".to_string(), String::new()),
                };
                out.push(Span {
                    trace_id: hex(&s.trace_id),
                    span_id: hex(&s.span_id),
                    parent_span_id: (!s.parent_span_id.is_empty()).then(|| hex(&s.parent_span_id)),
                    name: s.name.clone(),
                    kind,
                    status,
                    status_message,
                    start_ns: s.start_time_unix_nano,
                    end_ns: s.end_time_unix_nano,
                    service: service.clone(),
                    scope: scope.clone(),
                    attributes: attrs_map(&s.attributes),
                    events: s.events.iter().map(|e| e.name.clone()).collect(),
                });
            }
        }
    }
    out.sort_by(|a, b| a.span_id.cmp(&b.span_id));
    out
}

fn b64_hex(v: &Value) -> Result<String, String> {
    let s = v.as_str().unwrap_or_default();
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .map(|b| hex(&b))
        .map_err(|e| format!("id {s:?} is not base64: {e}"))
}

fn u64_str(v: &Value) -> Result<u64, String> {
    match v {
        Value::String(s) => s.parse().map_err(|e| format!("{s:?}: {e}")),
        Value::Null => Ok(0),
        other => Err(format!(
            "64-bit integer {other} is not a JSON string (jsonpb)"
        )),
    }
}

/// A jsonpb `AnyValue` (`{"stringValue":…}`, `{"intValue":"5"}`, `{"doubleValue":0.5}`,
/// `{"boolValue":true}`).
pub fn jsonpb_any_value(v: &Value) -> Result<Value, String> {
    if let Some(s) = v.get("stringValue") {
        return Ok(s.clone());
    }
    if let Some(i) = v.get("intValue") {
        let s = i
            .as_str()
            .ok_or_else(|| format!("intValue {i} not a string"))?;
        return s
            .parse::<i64>()
            .map(Value::from)
            .map_err(|e| format!("intValue {s:?}: {e}"));
    }
    if let Some(d) = v.get("doubleValue") {
        return Ok(d.clone());
    }
    if let Some(b) = v.get("boolValue") {
        return Ok(b.clone());
    }
    Err(format!("unsupported value {v}"))
}

fn jsonpb_attrs(v: &Value) -> Result<BTreeMap<String, Value>, String> {
    v.as_array()
        .into_iter()
        .flatten()
        .map(|kv| {
            let key = kv["key"].as_str().unwrap_or_default().to_string();
            Ok((key, jsonpb_any_value(&kv["value"])?))
        })
        .collect()
}

/// Flattens Tempo's jsonpb resource spans (`batches` of v1, `trace.resourceSpans` of v2) into
/// [`Span`]s (sorted by span id). Errors: a field not encoded as Tempo encodes it.
pub fn spans_from_jsonpb(rs: &Value) -> Result<Vec<Span>, String> {
    let mut out = Vec::new();
    for r in rs.as_array().into_iter().flatten() {
        let resource = jsonpb_attrs(&r["resource"]["attributes"])?;
        let service = resource
            .get("service.name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        for ss in r["scopeSpans"].as_array().into_iter().flatten() {
            let scope = ss["scope"]["name"].as_str().unwrap_or_default().to_string();
            for s in ss["spans"].as_array().into_iter().flatten() {
                let parent = b64_hex(&s["parentSpanId"])?;
                out.push(Span {
                    trace_id: b64_hex(&s["traceId"])?,
                    span_id: b64_hex(&s["spanId"])?,
                    parent_span_id: (!parent.is_empty()).then_some(parent),
                    name: s["name"].as_str().unwrap_or_default().to_string(),
                    kind: s["kind"]
                        .as_str()
                        .unwrap_or("SPAN_KIND_UNSPECIFIED")
                        .trim_start_matches("SPAN_KIND_")
                        .to_string(),
                    status: s["status"]["code"]
                        .as_str()
                        .unwrap_or("STATUS_CODE_UNSET")
                        .trim_start_matches("STATUS_CODE_")
                        .to_string(),
                    status_message: s["status"]["message"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    start_ns: u64_str(&s["startTimeUnixNano"])?,
                    end_ns: u64_str(&s["endTimeUnixNano"])?,
                    service: service.clone(),
                    scope: scope.clone(),
                    attributes: jsonpb_attrs(&s["attributes"])?,
                    events: s["events"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|e| e["name"].as_str().unwrap_or_default().to_string())
                        .collect(),
                });
            }
        }
    }
    out.sort_by(|a, b| a.span_id.cmp(&b.span_id));
    Ok(out)
}

/// `traceID` of Tempo's search results: hex with leading zeros stripped
/// (`util.TraceIDToHexString`); this left-pads it back to 32 characters.
pub fn full_trace_id(id: &str) -> String {
    format!("{:0>32}", id.to_ascii_lowercase())
}
