//! `GET /api/traces/<id>` (v1) and `GET /api/v2/traces/<id>` as Tempo's query frontend answers
//! them (`modules/frontend/traceid_handlers.go`, `combiner/trace_by_id.go`,
//! `combiner/trace_by_id_v2.go`, `pkg/api/http.go` `ParseTraceByIDRequest`).
//!
//! - id: [`parse_trace_id`] (400 with Tempo's message);
//! - `start`, `end`: optional unix **seconds** (Go `strconv.ParseInt`; 400
//!   `invalid start: strconv.ParseInt: parsing "x": invalid syntax`; with both, `end` must be
//!   after `start`). As Tempo's block selection (second granularity, inclusive), spans starting
//!   in `[start s, end s + 1 s)` are searched;
//! - `Accept` containing `application/protobuf` → protobuf (`tempopb.Trace` for v1,
//!   `tempopb.TraceByIDResponse` for v2), else JSON ([`super::jsonpb`]);
//! - v1 not found: 404 with an empty body; v2 not found: 200 with an empty trace
//!   (`{"trace":{},"metrics":{}}`), as Tempo's v2 combiner does.

use super::error::{TempoError, TempoResult};
use super::jsonpb;
use super::proto::{Trace, TraceByIdMetrics, TraceByIdResponse};
use super::traceid::parse_trace_id;
use crate::params::Params;
use crate::App;
use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue, Response, StatusCode};
use lakewatch_model::TenantId;
use prost::Message;

/// Which trace-by-id API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// `/api/traces/<id>`: `tempopb.Trace`, JSON `{"batches":[…]}`, 404 when absent.
    V1,
    /// `/api/v2/traces/<id>`: `tempopb.TraceByIDResponse`.
    V2,
}

const PROTOBUF: &str = "application/protobuf";
const JSON: &str = "application/json";

/// Whether the client asked for protobuf (Tempo `MarshalingFormatFromAcceptHeader`: the
/// `Accept` value contains `application/protobuf`; anything else is JSON).
pub fn wants_protobuf(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains(PROTOBUF))
}

/// Go's `strconv.ParseInt(s, 10, 64)` with its error text.
fn go_parse_int(s: &str) -> Result<i64, String> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("strconv.ParseInt: parsing {s:?}: invalid syntax"));
    }
    s.parse::<i64>()
        .map_err(|_| format!("strconv.ParseInt: parsing {s:?}: value out of range"))
}

/// `start`/`end` (unix seconds) → the reader's `[start_ns, end_ns)`.
fn time_range(p: &Params) -> Result<(Option<i64>, Option<i64>), TempoError> {
    let parse = |name: &str| -> Result<Option<i64>, TempoError> {
        match p.get(name) {
            None => Ok(None),
            Some(v) => go_parse_int(v)
                .map(Some)
                .map_err(|e| TempoError::bad_request(format!("invalid {name}: {e}"))),
        }
    };
    let start = parse("start")?;
    let end = parse("end")?;
    if let (Some(s), Some(e)) = (start, end) {
        if e <= s {
            return Err(TempoError::bad_request(format!(
                "http parameter start must be before end. received start={s} end={e}"
            )));
        }
    }
    const NS: i64 = 1_000_000_000;
    Ok((
        start.map(|s| s.saturating_mul(NS)),
        end.map(|e| e.saturating_add(1).saturating_mul(NS)),
    ))
}

fn body_response(body: Vec<u8>, content_type: &'static str) -> Response<Bytes> {
    let mut resp = Response::new(Bytes::from(body));
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp
}

/// Answers one trace-by-id request for `tenant` (see the module docs).
pub async fn trace_by_id(
    app: &App,
    tenant: &TenantId,
    id: &str,
    version: Version,
    p: &Params,
    headers: &HeaderMap,
) -> TempoResult {
    let trace_id = parse_trace_id(id).map_err(TempoError::bad_request)?;
    let (start_ns, end_ns) = time_range(p)?;
    let resource_spans = app
        .traces_reader
        .trace_by_id(tenant, &trace_id, start_ns, end_ns)
        .await
        .map_err(TempoError::internal)?;
    let protobuf = wants_protobuf(headers);
    match version {
        Version::V1 => {
            if resource_spans.is_empty() {
                let mut resp = Response::new(Bytes::new());
                *resp.status_mut() = StatusCode::NOT_FOUND;
                return Ok(resp);
            }
            Ok(if protobuf {
                body_response(Trace { resource_spans }.encode_to_vec(), PROTOBUF)
            } else {
                body_response(jsonpb::trace_v1(&resource_spans).into_bytes(), JSON)
            })
        }
        Version::V2 => {
            let resp = TraceByIdResponse {
                trace: Some(Trace { resource_spans }),
                metrics: Some(TraceByIdMetrics::default()),
                status: 0,
                message: String::new(),
            };
            Ok(if protobuf {
                body_response(resp.encode_to_vec(), PROTOBUF)
            } else {
                body_response(jsonpb::trace_by_id_v2(&resp).into_bytes(), JSON)
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_int_errors() {
        assert_eq!(go_parse_int("12"), Ok(12));
        assert_eq!(go_parse_int("-3"), Ok(-3));
        assert_eq!(
            go_parse_int("1.5").unwrap_err(),
            "strconv.ParseInt: parsing \"1.5\": invalid syntax"
        );
        assert_eq!(
            go_parse_int("99999999999999999999").unwrap_err(),
            "strconv.ParseInt: parsing \"99999999999999999999\": value out of range"
        );
    }
}
