//! The Loki query HTTP API (`/loki/api/v1/*`, legacy `/api/prom/*`), as Grafana's Loki
//! datasource and Logs Drilldown call it. Routing and methods follow Loki's
//! `pkg/loki/modules.go`; errors are Loki's plain-text bodies ([`error::LokiError`]).
//! Reference: docs/api-logs.md.

pub mod config;
pub mod detected;
pub mod encode;
pub mod error;
pub mod fetch;
pub mod meta;
pub mod params;
pub mod patterns;
pub mod query;
pub mod split;
pub mod status;

use crate::app::{normalize_path, App};
use crate::middleware;
use crate::params::Params;
use crate::response;
use crate::tenants::Tenants;
use bytes::Bytes;
use error::{LokiError, LokiResult};
use http::{HeaderValue, Method, Request, Response, StatusCode};
use lakewatch_storage::{resolve_tenants, AuthError};

pub use config::LokiConfig;

/// One Loki endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Query,
    QueryRange,
    Labels,
    LabelValues(String),
    Series,
    IndexStats,
    Volume,
    VolumeRange,
    DetectedLabels,
    DetectedFields,
    DetectedFieldValues(String),
    Patterns,
    FormatQuery,
    BuildInfo,
    DrilldownLimits,
    Tail,
    LegacyQuery,
    LegacyLabels,
    LegacyLabelValues(String),
}

/// `<prefix><name>/values` → the percent-decoded name.
fn named(rest: &str, prefix: &str) -> Option<String> {
    let name = rest.strip_prefix(prefix)?.strip_suffix("/values")?;
    if name.is_empty() || name.contains('/') {
        return None;
    }
    Some(
        percent_encoding::percent_decode_str(name)
            .decode_utf8_lossy()
            .into_owned(),
    )
}

impl Endpoint {
    /// Routes a normalised path (no trailing slash).
    pub fn from_path(path: &str) -> Option<Endpoint> {
        if let Some(rest) = path.strip_prefix("/loki/api/v1/") {
            return Some(match rest {
                "query" => Endpoint::Query,
                "query_range" => Endpoint::QueryRange,
                "labels" | "label" => Endpoint::Labels,
                "series" => Endpoint::Series,
                "index/stats" => Endpoint::IndexStats,
                "index/volume" => Endpoint::Volume,
                "index/volume_range" => Endpoint::VolumeRange,
                "detected_labels" => Endpoint::DetectedLabels,
                "detected_fields" => Endpoint::DetectedFields,
                "patterns" => Endpoint::Patterns,
                "format_query" => Endpoint::FormatQuery,
                "status/buildinfo" => Endpoint::BuildInfo,
                "drilldown-limits" => Endpoint::DrilldownLimits,
                "tail" => Endpoint::Tail,
                _ => {
                    if let Some(n) = named(rest, "label/") {
                        Endpoint::LabelValues(n)
                    } else {
                        Endpoint::DetectedFieldValues(named(rest, "detected_field/")?)
                    }
                }
            });
        }
        let rest = path.strip_prefix("/api/prom/")?;
        Some(match rest {
            "query" => Endpoint::LegacyQuery,
            "label" => Endpoint::LegacyLabels,
            "series" => Endpoint::Series,
            "tail" => Endpoint::Tail,
            _ => Endpoint::LegacyLabelValues(named(rest, "label/")?),
        })
    }

    /// Accepted methods: GET and POST, except `status/buildinfo` and `drilldown-limits`
    /// (GET only), as Loki registers them.
    pub fn methods(&self) -> &'static [Method] {
        match self {
            Endpoint::BuildInfo | Endpoint::DrilldownLimits => &[Method::GET],
            _ => &[Method::GET, Method::POST],
        }
    }
}

/// Whether `path` (normalised) belongs to the Loki API (query or push).
pub fn is_loki_path(path: &str) -> bool {
    path.starts_with("/loki/api/v1/") || path.starts_with("/api/prom/")
}

/// Tenant-resolution failures as plain text: 401 (with `WWW-Authenticate: Basic`), 400 for a
/// bad tenant id, 500 for a bad configuration.
fn auth_error(e: &AuthError) -> Response<Bytes> {
    match e {
        AuthError::Unauthorized(_) => {
            let mut r = LokiError {
                status: StatusCode::UNAUTHORIZED,
                message: e.to_string(),
            }
            .into_response();
            r.headers_mut().insert(
                http::header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"lakewatch\""),
            );
            r
        }
        AuthError::InvalidTenant(_) => LokiError::bad_request(e.to_string()).into_response(),
        AuthError::BadConfig(_) => LokiError::internal(e).into_response(),
    }
}

/// Handles one Loki query-API request (CORS and gzip applied).
pub async fn handle(app: &App, req: Request<Bytes>) -> Response<Bytes> {
    let headers = req.headers().clone();
    let resp = route(app, req).await;
    middleware::finish(&headers, resp)
}

async fn route(app: &App, req: Request<Bytes>) -> Response<Bytes> {
    if req.method() == Method::OPTIONS {
        return middleware::preflight(req.headers());
    }
    let Some(endpoint) = Endpoint::from_path(normalize_path(req.uri().path())) else {
        return response::not_found();
    };
    if !endpoint.methods().contains(req.method()) {
        return response::method_not_allowed(endpoint.methods());
    }
    let tenants = match resolve_tenants(req.headers(), &app.auth) {
        Ok(t) => Tenants::new(t),
        Err(e) => return auth_error(&e),
    };
    let params = Params::from_request(&req);
    match dispatch(app, &endpoint, &tenants, &params, req.headers()).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn dispatch(
    app: &App,
    endpoint: &Endpoint,
    t: &Tenants,
    p: &Params,
    h: &http::HeaderMap,
) -> LokiResult {
    match endpoint {
        Endpoint::Query => query::instant(app, t, p, h).await,
        Endpoint::QueryRange => query::range(app, t, p, h).await,
        Endpoint::Labels => meta::labels(app, t, p).await,
        Endpoint::LabelValues(name) => meta::label_values(app, t, name, p).await,
        Endpoint::Series => meta::series(app, t, p).await,
        Endpoint::IndexStats => meta::index_stats(app, t, p).await,
        Endpoint::Volume => meta::volume(app, t, p).await,
        Endpoint::VolumeRange => meta::volume_range(app, t, p).await,
        Endpoint::DetectedLabels => meta::detected_labels(app, t, p).await,
        Endpoint::DetectedFields => detected::fields(app, t, p).await,
        Endpoint::DetectedFieldValues(name) => detected::field_values(app, t, name, p).await,
        Endpoint::Patterns => patterns::patterns(app, t, p).await,
        Endpoint::FormatQuery => query::format_query(p),
        Endpoint::BuildInfo => status::buildinfo(),
        Endpoint::DrilldownLimits => status::drilldown_limits(app),
        Endpoint::Tail => Err(LokiError::bad_request(
            "websocket: the client is not using the websocket protocol: 'upgrade' token not found in 'Connection' header",
        )),
        Endpoint::LegacyQuery => query::legacy(app, t, p).await,
        Endpoint::LegacyLabels => meta::legacy_labels(app, t, None, p).await,
        Endpoint::LegacyLabelValues(name) => meta::legacy_labels(app, t, Some(name), p).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(
            Endpoint::from_path("/loki/api/v1/query"),
            Some(Endpoint::Query)
        );
        assert_eq!(
            Endpoint::from_path("/loki/api/v1/label/service%2Ename/values"),
            Some(Endpoint::LabelValues("service.name".into()))
        );
        assert_eq!(
            Endpoint::from_path("/loki/api/v1/detected_field/level/values"),
            Some(Endpoint::DetectedFieldValues("level".into()))
        );
        assert_eq!(
            Endpoint::from_path("/api/prom/label/job/values"),
            Some(Endpoint::LegacyLabelValues("job".into()))
        );
        assert_eq!(Endpoint::from_path("/loki/api/v1/nope"), None);
        assert_eq!(Endpoint::from_path("/loki/api/v1/label//values"), None);
    }
}
