//! Request-body handling of Loki's push endpoint (`pkg/loghttp/push/push.go`
//! `parsePushRequestBody`): Content-Encoding `""`/`snappy` (nothing to undo), `gzip` or
//! `deflate` (else 400 `Content-Encoding "x" not supported`); Content-Type `application/json`
//! → JSON (v1 or v0 by route), anything else → snappy-**block**-compressed
//! `logproto.PushRequest` protobuf (also under gzip: gzip(snappy(proto))). Size: the body and
//! every decompressed form are limited to `max_bytes` (413 with Loki's
//! `request body too large: …` text).

use super::proto::PushRequest;
use super::{json, RawEntry, RawLabels, RawPush, RawStream};
use crate::error::IngestError;
use crate::remote_write::content::parse_content_type;
use http::HeaderMap;
use prost::Message;
use std::io::Read;

/// The JSON dialect of a push route: `/loki/api/v1/push` is v1, `/api/prom/push` v0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushVersion {
    V1,
    V0,
}

impl PushVersion {
    /// The version of a request path (Loki's `loghttp.GetVersion`: v1 iff it contains
    /// `/loki/api/v1`).
    pub fn from_path(path: &str) -> Self {
        if path.contains("/loki/api/v1") {
            PushVersion::V1
        } else {
            PushVersion::V0
        }
    }
}

fn too_large(what: &str, size: usize, max: usize) -> IngestError {
    IngestError::too_large(format!(
        "request body too large: {what} too large than max ({size} vs {max})"
    ))
}

fn read_limited(r: impl Read, max: usize, what: &str) -> Result<Vec<u8>, IngestError> {
    let mut out = Vec::new();
    r.take(max as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| IngestError::bad_request(format!("{what}: {e}")))?;
    if out.len() > max {
        return Err(too_large("decompressed message size", out.len(), max));
    }
    Ok(out)
}

/// Undoes `Content-Encoding` (`gzip`, `deflate` (raw DEFLATE as Go's `compress/flate`, or
/// zlib-wrapped), `snappy` or none).
pub fn decode_content_encoding(
    headers: &HeaderMap,
    body: &[u8],
    max_bytes: usize,
) -> Result<Vec<u8>, IngestError> {
    let enc = headers
        .get(http::header::CONTENT_ENCODING)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default();
    match enc.as_str() {
        "" | "snappy" => Ok(body.to_vec()),
        "gzip" => {
            if body.len() < 10 || body[0] != 0x1f || body[1] != 0x8b {
                return Err(IngestError::bad_request("gzip: invalid header"));
            }
            read_limited(flate2::read::MultiGzDecoder::new(body), max_bytes, "gzip")
        }
        "deflate" => {
            match read_limited(flate2::read::DeflateDecoder::new(body), max_bytes, "flate") {
                Ok(v) => Ok(v),
                Err(e) if e.status == http::StatusCode::PAYLOAD_TOO_LARGE => Err(e),
                Err(e) => read_limited(flate2::read::ZlibDecoder::new(body), max_bytes, "flate")
                    .map_err(|_| e),
            }
        }
        other => Err(IngestError::bad_request(format!(
            "Content-Encoding {} not supported",
            super::labels::go_quote(other)
        ))),
    }
}

/// Snappy-block-decodes and decodes a `logproto.PushRequest`.
pub fn decode_protobuf(raw: &[u8], max_bytes: usize) -> Result<PushRequest, IngestError> {
    let len = snap::raw::decompress_len(raw)
        .map_err(|_| IngestError::bad_request("snappy: corrupt input"))?;
    if len > max_bytes {
        return Err(too_large("decompressed message size", len, max_bytes));
    }
    let plain = snap::raw::Decoder::new()
        .decompress_vec(raw)
        .map_err(|_| IngestError::bad_request("snappy: corrupt input"))?;
    PushRequest::decode(plain.as_slice())
        .map_err(|e| IngestError::bad_request(format!("proto: logproto.PushRequest: {e}")))
}

/// Converts a decoded protobuf request to a [`RawPush`] (timestamps to ns; an entry without a
/// timestamp is the epoch, as Go's zero `Timestamp`).
pub fn from_protobuf(req: PushRequest) -> RawPush {
    RawPush {
        streams: req
            .streams
            .into_iter()
            .map(|s| RawStream {
                labels: RawLabels::Text(s.labels),
                entries: s
                    .entries
                    .into_iter()
                    .map(|e| RawEntry {
                        timestamp_ns: e.timestamp.map_or(0, |t| t.to_ns()),
                        line: e.line,
                        structured_metadata: e
                            .structured_metadata
                            .into_iter()
                            .map(|p| (p.name, p.value))
                            .collect(),
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// Decodes a push body into a [`RawPush`]; see the module doc. Errors refuse the request:
/// 413 over `max_bytes` (compressed or decompressed), 400 anything undecodable.
pub fn parse_push_body(
    headers: &HeaderMap,
    body: &[u8],
    version: PushVersion,
    max_bytes: usize,
) -> Result<RawPush, IngestError> {
    if body.len() > max_bytes {
        return Err(too_large("message size", body.len(), max_bytes));
    }
    let raw = decode_content_encoding(headers, body, max_bytes)?;
    let ct = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let (media, _) = parse_content_type(ct);
    if media == "application/json" {
        let r = match version {
            PushVersion::V1 => json::decode_v1(&raw),
            PushVersion::V0 => json::decode_v0(&raw),
        };
        r.map_err(IngestError::bad_request)
    } else {
        Ok(from_protobuf(decode_protobuf(&raw, max_bytes)?))
    }
}
