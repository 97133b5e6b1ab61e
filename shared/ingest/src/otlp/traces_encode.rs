//! Client side of OTLP/HTTP traces, for demos, benches and tests: request bodies in protobuf
//! and in spec OTLP/JSON, gzip, and decoding of the server's `ExportTraceServiceResponse`.

use super::decode::OtlpFormat;
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::trace::v1::ResourceSpans;
use prost::Message;
use serde_json::Value;
use std::io::Write;

/// `ExportTraceServiceRequest` protobuf body (send with `Content-Type: application/x-protobuf`
/// to `/v1/traces`).
pub fn encode_traces_protobuf(resource_spans: &[ResourceSpans]) -> Vec<u8> {
    ExportTraceServiceRequest {
        resource_spans: resource_spans.to_vec(),
    }
    .encode_to_vec()
}

fn drop_nulls(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|_, c| !c.is_null());
            m.values_mut().for_each(drop_nulls);
        }
        Value::Array(a) => a.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

/// `ExportTraceServiceRequest` as OTLP/JSON (send with `Content-Type: application/json`):
/// lowerCamelCase keys, lower-case hex ids, 64-bit integers as strings, enums as integers,
/// absent messages omitted (the crate's serde writes them as `null`).
pub fn encode_traces_json(resource_spans: &[ResourceSpans]) -> Vec<u8> {
    let req = ExportTraceServiceRequest {
        resource_spans: resource_spans.to_vec(),
    };
    let mut v = serde_json::to_value(&req).unwrap_or(Value::Null);
    drop_nulls(&mut v);
    serde_json::to_vec(&v).unwrap_or_default()
}

/// Gzip-compresses a body (send with `Content-Encoding: gzip`).
pub fn gzip(body: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing into a Vec cannot fail.
    let _ = e.write_all(body);
    e.finish().unwrap_or_default()
}

/// Decodes a 200 response body of `/v1/traces` in `format` (an empty body is an empty
/// response). Errors describe the undecodable body.
pub fn decode_traces_response(
    body: &[u8],
    format: OtlpFormat,
) -> Result<ExportTraceServiceResponse, String> {
    match format {
        OtlpFormat::Protobuf => ExportTraceServiceResponse::decode(body).map_err(|e| e.to_string()),
        OtlpFormat::Json => {
            if body.iter().all(|b| b.is_ascii_whitespace()) {
                return Ok(ExportTraceServiceResponse::default());
            }
            let v: Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
            let partial_success = match v.get("partialSuccess") {
                None | Some(Value::Null) => None,
                Some(p) => {
                    let rejected_spans = match p.get("rejectedSpans") {
                        None | Some(Value::Null) => 0,
                        Some(Value::String(s)) => s.parse().map_err(|e| format!("{e}"))?,
                        Some(n) => n.as_i64().ok_or("rejectedSpans is not an integer")?,
                    };
                    let error_message = p
                        .get("errorMessage")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string();
                    Some(ExportTracePartialSuccess {
                        rejected_spans,
                        error_message,
                    })
                }
            };
            Ok(ExportTraceServiceResponse { partial_success })
        }
    }
}
