//! Cross-cutting response handling shared by every function: CORS (as Prometheus
//! `util/httputil.SetCORS` with the default origin `.*`), preflight, and gzip.

use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue, Response, StatusCode};
use std::io::Write;

/// Headers Prometheus sets when a request carries `Origin` (plus `X-Scope-OrgID`, which
/// multi-tenant clients send).
const CORS: [(&str, &str); 4] = [
    (
        "access-control-allow-headers",
        "Accept, Authorization, Content-Type, Origin, X-Scope-OrgID",
    ),
    ("access-control-allow-methods", "GET, POST, OPTIONS"),
    ("access-control-expose-headers", "Date"),
    ("vary", "Origin"),
];

/// Adds the CORS headers when the request has an `Origin` header (any origin allowed:
/// `Access-Control-Allow-Origin: *`).
pub fn add_cors(req_headers: &HeaderMap, resp: &mut Response<Bytes>) {
    if !req_headers.contains_key(header::ORIGIN) {
        return;
    }
    let h = resp.headers_mut();
    for (k, v) in CORS {
        h.insert(k, HeaderValue::from_static(v));
    }
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
}

/// Answer to an `OPTIONS` preflight: 204 with CORS headers (Prometheus `api.options`).
pub fn preflight(req_headers: &HeaderMap) -> Response<Bytes> {
    let mut resp = Response::new(Bytes::new());
    *resp.status_mut() = StatusCode::NO_CONTENT;
    add_cors(req_headers, &mut resp);
    resp
}

/// Minimum body size worth compressing.
const GZIP_MIN_BYTES: usize = 1024;

/// Gzips the body when the client sent `Accept-Encoding: gzip` and the body is large enough,
/// setting `Content-Encoding: gzip` and `Vary: Accept-Encoding`. Leaves the response
/// untouched on any compression failure or if it is already encoded.
pub fn maybe_gzip(req_headers: &HeaderMap, resp: Response<Bytes>) -> Response<Bytes> {
    let accepts = req_headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|e| {
            let mut parts = e.split(';');
            let name = parts.next().unwrap_or("").trim();
            let q_zero = parts.any(|p| {
                let p = p.trim();
                p == "q=0" || p == "q=0.0" || p == "q=0.00" || p == "q=0.000"
            });
            name.eq_ignore_ascii_case("gzip") && !q_zero
        });
    if !accepts
        || resp.body().len() < GZIP_MIN_BYTES
        || resp.headers().contains_key(header::CONTENT_ENCODING)
    {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let compressed = match enc.write_all(&body).and_then(|_| enc.finish()) {
        Ok(c) => c,
        Err(_) => return Response::from_parts(parts, body),
    };
    parts
        .headers
        .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    parts
        .headers
        .append(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Bytes::from(compressed))
}

/// Applies CORS and gzip to a finished response.
pub fn finish(req_headers: &HeaderMap, mut resp: Response<Bytes>) -> Response<Bytes> {
    add_cors(req_headers, &mut resp);
    maybe_gzip(req_headers, resp)
}
