//! Loki push ingest: `POST /loki/api/v1/push` (JSON v1 and snappy protobuf, optionally gzip or
//! deflate), the legacy `POST /api/prom/push` (JSON v0 or protobuf), validation with Loki's
//! limits and messages, `service_name` discovery and `detected_level`.
//!
//! Two stages, both pure:
//! 1. [`body::parse_push_body`]: Content-Encoding/Content-Type handling and decoding into a
//!    [`RawPush`] (label strings unparsed); failures refuse the whole request (400/413).
//! 2. [`validate::validate_push`]: Loki's distributor checks per stream and per entry, giving
//!    the accepted [`lakewatch_model::LogsBatch`] plus one [`Rejection`] per refused stream or
//!    entry (the request answers 400 with their grouped text, after writing the accepted part).
//!
//! [`decode_push`] chains both. [`encode::encode_push_protobuf`] and
//! [`encode::encode_push_json`] build request bodies from a batch (for clients, demos, benches).
//! Behaviour and sources: docs/ingest-logs.md.

pub mod body;
pub mod encode;
pub mod handlers;
pub mod json;
pub mod labels;
pub mod level;
pub mod proto;
pub mod validate;

pub use body::{parse_push_body, PushVersion};
pub use encode::{encode_push_json, encode_push_protobuf, push_request};
pub use handlers::{handle_loki_push, handle_otlp_logs};
pub use validate::{group_rejections, validate_push, Rejection};

use crate::error::IngestError;
use crate::limits::IngestLimits;
use http::HeaderMap;
use lakewatch_model::{Labels, LogsBatch};

/// One decoded entry before validation. `timestamp_ns`: nanoseconds since the epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawEntry {
    pub timestamp_ns: i64,
    pub line: String,
    /// Structured metadata pairs as sent (unsanitised names, possibly empty values).
    pub structured_metadata: Vec<(String, String)>,
}

/// A stream's labels before validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawLabels {
    /// Loki push: Prometheus text form `{a="b"}`, parsed (and `service_name` discovered) during
    /// validation.
    Text(String),
    /// Already a label set (OTLP: mapped and `service_name` discovered by the translator).
    Parsed(Labels),
}

/// One decoded stream before validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawStream {
    pub labels: RawLabels,
    pub entries: Vec<RawEntry>,
}

/// A decoded push request before validation (Loki's `logproto.PushRequest`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawPush {
    pub streams: Vec<RawStream>,
}

/// Decodes and validates a push body: `headers` supply Content-Type/Content-Encoding, `version`
/// is the route's format, `now_ns` the current time in ns. Returns the accepted batch and the
/// rejections (empty when everything was accepted), or the error refusing the whole request
/// (400 undecodable, 413 too large, 422 no streams, 400 too many streams).
pub fn decode_push(
    headers: &HeaderMap,
    body: &[u8],
    version: PushVersion,
    limits: &IngestLimits,
    now_ns: i64,
) -> Result<(LogsBatch, Vec<Rejection>), IngestError> {
    let raw = parse_push_body(headers, body, version, limits.max_body_bytes)?;
    validate_push(raw, &limits.logs, now_ns)
}
