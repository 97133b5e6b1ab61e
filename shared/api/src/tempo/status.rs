//! `/api/echo` and `/api/status/buildinfo` as Tempo answers them.

use super::error::TempoResult;
use bytes::Bytes;
use http::{header, HeaderValue, Response};

/// The Tempo version `/api/status/buildinfo` reports. Grafana's Tempo datasource gates only
/// streaming on this version (`featuresToTempoVersion`: search streaming ≥ 2.2.0, metrics
/// streaming ≥ 2.7.0; current Grafana streams only when the datasource's toggle is on, older
/// releases also required the version). Lakewatch serves no gRPC streaming, so it reports
/// 2.1.1: streaming stays off and nothing else is version-gated.
pub const TEMPO_VERSION: &str = "2.1.1";

/// `GET /api/echo`: 200 `echo\n` (Tempo writes it with Go's `http.Error`, hence the newline and
/// `text/plain; charset=utf-8`). Grafana's health check only needs the 200.
pub fn echo() -> TempoResult {
    let mut resp = Response::new(Bytes::from_static(b"echo\n"));
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    Ok(resp)
}

/// `GET /api/status/buildinfo`: Tempo's `build.GetVersion()` (Prometheus' `PrometheusVersion`)
/// encoded by Go's `json.Encoder` (fields `version`, `revision`, `branch`, `buildUser`,
/// `buildDate`, `goVersion`; trailing newline), version [`TEMPO_VERSION`].
pub fn buildinfo() -> TempoResult {
    let mut s = format!(
        concat!(
            r#"{{"version":"{}","revision":"lakewatch","branch":"HEAD","#,
            r#""buildUser":"lakewatch","buildDate":"","goVersion":"lakewatch-{}"}}"#
        ),
        TEMPO_VERSION,
        env!("CARGO_PKG_VERSION")
    );
    s.push('\n');
    let mut resp = Response::new(Bytes::from(s));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(resp)
}
