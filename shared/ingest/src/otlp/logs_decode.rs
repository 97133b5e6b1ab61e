//! OTLP/HTTP logs request bodies as Loki's `/otlp/v1/logs` reads them
//! (`pkg/loghttp/push/otlp.go` `extractLogs`): Content-Encoding `gzip`, `zstd` or none (Loki
//! also takes `lz4`, not available here: 400), Content-Type `application/x-protobuf` or
//! `application/json` (else 400 `content type: … is not supported`), size limits with Loki's
//! 413 text. JSON gets the fix-ups of [`super::decode::fix_json`] plus `severityNumber` enum
//! names.

use super::decode::fix_json;
use crate::error::IngestError;
use crate::remote_write::content::parse_content_type;
use http::HeaderMap;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use prost::Message;
use serde_json::Value;
use std::io::Read;

fn too_large(what: &str, size: usize, max: usize) -> IngestError {
    IngestError::too_large(format!(
        "request body too large: {what} too large than max ({size} vs {max})"
    ))
}

/// OTLP `SeverityNumber` enum names (`SEVERITY_NUMBER_INFO2` …) → numbers.
fn severity_number(name: &str) -> Option<i64> {
    const LEVELS: [&str; 6] = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"];
    let rest = name.strip_prefix("SEVERITY_NUMBER_")?;
    if rest == "UNSPECIFIED" {
        return Some(0);
    }
    let split = rest
        .find(|c: char| c.is_ascii_digit())
        .unwrap_or(rest.len());
    let (lvl, n) = rest.split_at(split);
    let base = LEVELS.iter().position(|l| *l == lvl)? as i64 * 4;
    let n: i64 = if n.is_empty() { 1 } else { n.parse().ok()? };
    (1..=4).contains(&n).then_some(base + n)
}

fn fix_severity(v: &mut Value) {
    match v {
        Value::Object(map) => {
            if matches!(map.get("body"), Some(Value::Object(o)) if o.is_empty()) {
                map.remove("body");
            }
            if let Some(Value::String(s)) = map.get("severityNumber") {
                if let Some(n) = severity_number(s).or_else(|| s.parse().ok()) {
                    map.insert("severityNumber".into(), Value::from(n));
                }
            }
            map.values_mut().for_each(fix_severity);
        }
        Value::Array(items) => items.iter_mut().for_each(fix_severity),
        _ => {}
    }
}

/// Decodes an OTLP logs body: undoes `Content-Encoding`, checks sizes against `max_bytes`,
/// then decodes protobuf or JSON by `Content-Type`. Errors: 400 (unsupported encoding or type,
/// undecodable body), 413 (too large).
pub fn decode_logs_body(
    headers: &HeaderMap,
    body: &[u8],
    max_bytes: usize,
) -> Result<ExportLogsServiceRequest, IngestError> {
    if body.len() > max_bytes {
        return Err(too_large("message size", body.len(), max_bytes));
    }
    let enc = headers
        .get(http::header::CONTENT_ENCODING)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default();
    let raw = match enc.as_str() {
        "" => body.to_vec(),
        "gzip" => {
            let mut out = Vec::new();
            flate2::read::MultiGzDecoder::new(body)
                .take(max_bytes as u64 + 1)
                .read_to_end(&mut out)
                .map_err(|e| IngestError::bad_request(format!("gzip: {e}")))?;
            if out.len() > max_bytes {
                return Err(too_large("decompressed message size", out.len(), max_bytes));
            }
            out
        }
        "zstd" => {
            let mut out = Vec::new();
            zstd::stream::read::Decoder::new(body)
                .and_then(|d| d.take(max_bytes as u64 + 1).read_to_end(&mut out))
                .map_err(|e| IngestError::bad_request(format!("zstd: {e}")))?;
            if out.len() > max_bytes {
                return Err(too_large("decompressed message size", out.len(), max_bytes));
            }
            out
        }
        other => {
            return Err(IngestError::bad_request(format!(
                "unsupported content encoding {other}: only gzip and zstd are supported"
            )))
        }
    };
    let ct = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    match parse_content_type(ct).0.as_str() {
        "application/x-protobuf" => ExportLogsServiceRequest::decode(raw.as_slice())
            .map_err(|e| IngestError::bad_request(format!("proto: ExportLogsServiceRequest: {e}"))),
        "application/json" => {
            if raw.iter().all(|b| b.is_ascii_whitespace()) {
                return Ok(ExportLogsServiceRequest::default());
            }
            let mut v: Value = serde_json::from_slice(&raw)
                .map_err(|e| IngestError::bad_request(format!("invalid OTLP JSON: {e}")))?;
            fix_json(&mut v);
            fix_severity(&mut v);
            serde_json::from_value(v)
                .map_err(|e| IngestError::bad_request(format!("invalid OTLP JSON: {e}")))
        }
        _ => Err(IngestError::bad_request(format!(
            "content type: {ct} is not supported"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_edge_cases() {
        let mut h = HeaderMap::new();
        h.insert(
            http::header::CONTENT_TYPE,
            "application/json".parse().unwrap(),
        );
        let body = br#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[
            {"timeUnixNano":"5","body":{},"severityNumber":"SEVERITY_NUMBER_WARN",
             "attributes":[{"key":"e","value":{}}],
             "traceId":"AQIDBAUGBwgJCgsMDQ4PEA==","spanId":""}]}]}]}"#;
        let r = decode_logs_body(&h, body, 1 << 20).unwrap();
        let rec = &r.resource_logs[0].scope_logs[0].log_records[0];
        assert_eq!(rec.time_unix_nano, 5);
        assert_eq!(rec.body, None);
        assert_eq!(rec.severity_number, 13);
        assert_eq!(rec.trace_id, (1..=16).collect::<Vec<u8>>());
        assert!(rec.span_id.is_empty());
        assert!(decode_logs_body(&h, b"   ", 1 << 20)
            .unwrap()
            .resource_logs
            .is_empty());
    }

    #[test]
    fn severity_names() {
        assert_eq!(severity_number("SEVERITY_NUMBER_UNSPECIFIED"), Some(0));
        assert_eq!(severity_number("SEVERITY_NUMBER_TRACE"), Some(1));
        assert_eq!(severity_number("SEVERITY_NUMBER_INFO"), Some(9));
        assert_eq!(severity_number("SEVERITY_NUMBER_INFO3"), Some(11));
        assert_eq!(severity_number("SEVERITY_NUMBER_FATAL4"), Some(24));
        assert_eq!(severity_number("nope"), None);
    }
}

/// `google.rpc.Status`, the body of Loki's OTLP error responses (`code` left 0 as Loki does).
#[derive(Clone, PartialEq, prost::Message)]
pub struct RpcStatus {
    #[prost(int32, tag = "1")]
    pub code: i32,
    #[prost(string, tag = "2")]
    pub message: String,
}
