//! OTLP/HTTP request bodies: Content-Type (protobuf or JSON), `Content-Encoding: gzip`, size
//! limits, and the JSON fix-ups real SDKs need on top of `opentelemetry-proto`'s serde
//! (enum names for `aggregationTemporality`, empty `AnyValue {}`, base64 trace/span ids).

use crate::error::IngestError;
use crate::remote_write::content::parse_content_type;
use base64::Engine;
use http::HeaderMap;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use prost::Message;
use serde_json::Value;
use std::io::Read;

/// The two OTLP/HTTP body formats; the response uses the request's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtlpFormat {
    Protobuf,
    Json,
}

impl OtlpFormat {
    /// The Content-Type of responses in this format.
    pub fn content_type(self) -> &'static str {
        match self {
            OtlpFormat::Protobuf => "application/x-protobuf",
            OtlpFormat::Json => "application/json",
        }
    }
}

/// Reads the format from `Content-Type` (`application/x-protobuf` or `application/json`,
/// parameters ignored); anything else is 415.
pub fn negotiate(headers: &HeaderMap) -> Result<OtlpFormat, IngestError> {
    let ct = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let (media, _) = parse_content_type(ct);
    match media.as_str() {
        "application/x-protobuf" | "application/protobuf" => Ok(OtlpFormat::Protobuf),
        "application/json" => Ok(OtlpFormat::Json),
        _ => Err(IngestError::unsupported_media_type(format!(
            "unsupported Content-Type {ct:?}; expected application/x-protobuf or application/json"
        ))),
    }
}

/// Undoes `Content-Encoding` (`gzip`, `identity` or none; else 415), refusing more than `max`
/// decoded bytes (413) and corrupt gzip (400).
pub fn decompress(headers: &HeaderMap, body: &[u8], max: usize) -> Result<Vec<u8>, IngestError> {
    let enc = headers
        .get(http::header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match enc.as_str() {
        "" | "identity" => Ok(body.to_vec()),
        "gzip" | "x-gzip" => {
            let mut out = Vec::new();
            flate2::read::MultiGzDecoder::new(body)
                .take(max as u64 + 1)
                .read_to_end(&mut out)
                .map_err(|e| IngestError::bad_request(format!("gzip decode error: {e}")))?;
            if out.len() > max {
                return Err(IngestError::too_large(format!(
                    "decoded body is more than the limit of {max} bytes"
                )));
            }
            Ok(out)
        }
        other => Err(IngestError::unsupported_media_type(format!(
            "unsupported Content-Encoding {other:?}; expected gzip or none"
        ))),
    }
}

fn temporality_name(s: &str) -> Option<i64> {
    match s {
        "AGGREGATION_TEMPORALITY_UNSPECIFIED" => Some(0),
        "AGGREGATION_TEMPORALITY_DELTA" => Some(1),
        "AGGREGATION_TEMPORALITY_CUMULATIVE" => Some(2),
        _ => s.parse().ok(),
    }
}

fn fix_id(v: &mut Value, want_len: usize) {
    if let Value::String(s) = v {
        let is_hex = s.len() == want_len * 2 && s.chars().all(|c| c.is_ascii_hexdigit());
        if s.is_empty() || is_hex {
            return;
        }
        if let Ok(b) = base64::engine::general_purpose::STANDARD.decode(s.as_bytes()) {
            if b.len() == want_len {
                *s = b.iter().map(|x| format!("{x:02x}")).collect();
            }
        }
    }
}

/// Rewrites the deviations from OTLP/JSON that real senders produce into what the crate's serde
/// accepts: enum names → ints, `"value": {}` (empty AnyValue) removed, base64 ids → hex.
pub fn fix_json(v: &mut Value) {
    match v {
        Value::Object(map) => {
            if let Some(Value::String(s)) = map.get("aggregationTemporality") {
                if let Some(n) = temporality_name(s) {
                    map.insert("aggregationTemporality".into(), Value::from(n));
                }
            }
            if matches!(map.get("value"), Some(Value::Object(o)) if o.is_empty()) {
                map.remove("value");
            }
            if let Some(id) = map.get_mut("traceId") {
                fix_id(id, 16);
            }
            if let Some(id) = map.get_mut("spanId") {
                fix_id(id, 8);
            }
            for (_, child) in map.iter_mut() {
                fix_json(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(fix_json),
        _ => {}
    }
}

/// Decodes an (already decompressed) body in the given format. Errors are 400.
pub fn decode_body(
    body: &[u8],
    format: OtlpFormat,
) -> Result<ExportMetricsServiceRequest, IngestError> {
    match format {
        OtlpFormat::Protobuf => ExportMetricsServiceRequest::decode(body)
            .map_err(|e| IngestError::bad_request(format!("invalid OTLP protobuf: {e}"))),
        OtlpFormat::Json => {
            if body.iter().all(|b| b.is_ascii_whitespace()) {
                return Ok(ExportMetricsServiceRequest::default());
            }
            let mut v: Value = serde_json::from_slice(body)
                .map_err(|e| IngestError::bad_request(format!("invalid OTLP JSON: {e}")))?;
            fix_json(&mut v);
            serde_json::from_value(v)
                .map_err(|e| IngestError::bad_request(format!("invalid OTLP JSON: {e}")))
        }
    }
}
