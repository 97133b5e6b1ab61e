//! Remote-write content negotiation and body decompression, as Prometheus's receiver
//! (client_golang `exp/api/remote`): which protobuf message a request carries, which
//! encodings are accepted, and snappy **block** decompression under a size limit.

use crate::error::IngestError;
use http::HeaderMap;

/// The protobuf message a remote-write request carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoteWriteVersion {
    /// `prometheus.WriteRequest` (remote write 1.0).
    V1,
    /// `io.prometheus.write.v2.Request` (remote write 2.0).
    V2,
}

/// `proto=` value of remote write 1.0.
pub const PROTO_V1: &str = "prometheus.WriteRequest";
/// `proto=` value of remote write 2.0.
pub const PROTO_V2: &str = "io.prometheus.write.v2.Request";

/// Splits a Content-Type into its lower-cased media type and `(name, value)` parameters.
pub fn parse_content_type(v: &str) -> (String, Vec<(String, String)>) {
    let mut parts = v.split(';');
    let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    let params = parts
        .filter_map(|p| {
            let (k, v) = p.split_once('=')?;
            Some((
                k.trim().to_ascii_lowercase(),
                v.trim().trim_matches('"').to_string(),
            ))
        })
        .collect();
    (media, params)
}

/// Decides the message version from `Content-Type` and checks `Content-Encoding`.
/// A missing Content-Type means v1; anything but `application/x-protobuf` (with an optional
/// `proto=` of one of the two messages) is 415, as is a Content-Encoding other than `snappy`
/// (a missing Content-Encoding is accepted; the body is snappy-decoded anyway).
pub fn negotiate(headers: &HeaderMap) -> Result<RemoteWriteVersion, IngestError> {
    let version = match headers.get(http::header::CONTENT_TYPE) {
        None => RemoteWriteVersion::V1,
        Some(v) => {
            let v = v.to_str().map_err(|_| {
                IngestError::unsupported_media_type("Content-Type header is not valid text")
            })?;
            if v.trim().is_empty() {
                RemoteWriteVersion::V1
            } else {
                let (media, params) = parse_content_type(v);
                if media != "application/x-protobuf" {
                    return Err(IngestError::unsupported_media_type(format!(
                        "unsupported Content-Type {v:?}; expected application/x-protobuf"
                    )));
                }
                match params.iter().find(|(k, _)| k == "proto").map(|(_, v)| v.as_str()) {
                    None | Some(PROTO_V1) => RemoteWriteVersion::V1,
                    Some(PROTO_V2) => RemoteWriteVersion::V2,
                    Some(other) => {
                        return Err(IngestError::unsupported_media_type(format!(
                            "unknown remote write protobuf message proto={other:?}; expected {PROTO_V1} or {PROTO_V2}"
                        )))
                    }
                }
            }
        }
    };
    if let Some(enc) = headers.get(http::header::CONTENT_ENCODING) {
        let enc = enc
            .to_str()
            .unwrap_or("<binary>")
            .trim()
            .to_ascii_lowercase();
        if !enc.is_empty() && enc != "snappy" {
            return Err(IngestError::unsupported_media_type(format!(
                "unsupported Content-Encoding {enc:?}; only snappy is accepted"
            )));
        }
    }
    Ok(version)
}

/// Whether the Content-Type names the v2 message, regardless of any other problem with the
/// request (used to put the `*-Written` headers on v2 error responses).
pub fn is_v2(headers: &HeaderMap) -> bool {
    headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(parse_content_type)
        .is_some_and(|(_, params)| params.iter().any(|(k, v)| k == "proto" && v == PROTO_V2))
}

/// Snappy block-format decompression refusing a decoded length over `max` bytes (413) and
/// corrupt or truncated input (400).
pub fn snappy_decode(body: &[u8], max: usize) -> Result<Vec<u8>, IngestError> {
    let len = snap::raw::decompress_len(body)
        .map_err(|e| IngestError::bad_request(format!("snappy decode error: {e}")))?;
    if len > max {
        return Err(IngestError::too_large(format!(
            "decoded body is {len} bytes, more than the limit of {max} bytes"
        )));
    }
    snap::raw::Decoder::new()
        .decompress_vec(body)
        .map_err(|e| IngestError::bad_request(format!("snappy decode error: {e}")))
}
