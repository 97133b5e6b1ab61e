//! The Tempo query API (Grafana's Tempo datasource; docs/api-traces.md):
//!
//! | route | module |
//! |---|---|
//! | `GET /api/traces/<id>`, `GET /api/v2/traces/<id>` | [`trace_by_id`] |
//! | `GET /api/echo`, `GET /api/status/buildinfo` | [`status`] |
//! | `/api/search/tags`, `/api/v2/search/tags`, `/api/search/tag/<t>/values`, `/api/v2/search/tag/<t>/values` | [`tags`] |
//! | `/api/search` (TraceQL `q` or `tags`) | [`search`] ([`search_legacy`] for `tags`, JSON in [`search_json`]) |
//! | `/api/metrics/query_range`, `/api/metrics/query` | [`metrics`] |
//!
//! Search and metrics limits: [`config`] (`LAKEWATCH_TEMPO_*`).
//!
//! Errors are Tempo's plain-text bodies ([`error`]); tenancy from `X-Scope-OrgID` (one tenant)
//! as for the other APIs; CORS and gzip as for metrics.

pub mod config;
pub mod error;
pub mod jsonpb;
pub mod metrics;
pub mod proto;
pub mod search;
pub mod search_json;
pub mod search_legacy;
pub mod status;
pub mod tags;
pub mod trace_by_id;
pub mod traceid;

use crate::app::{auth_error_response, normalize_path};
use crate::middleware;
use crate::params::Params;
use crate::response;
use crate::App;
use bytes::Bytes;
use error::TempoResult;
use http::{Method, Request, Response};
use lakewatch_storage::resolve_tenant;
use trace_by_id::Version;

/// One Tempo query-API endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// `/api/traces/<id>` (the raw, unparsed id).
    TraceV1(String),
    /// `/api/v2/traces/<id>`.
    TraceV2(String),
    Echo,
    BuildInfo,
    /// `/api/search`.
    Search,
    /// `/api/search/tags` (`v2 = false`) or `/api/v2/search/tags`.
    SearchTags {
        v2: bool,
    },
    /// `/api/search/tag/<tag>/values` or `/api/v2/search/tag/<tag>/values` (tag
    /// percent-decoded).
    TagValues {
        v2: bool,
        tag: String,
    },
    /// `/api/metrics/query_range`.
    MetricsQueryRange,
    /// `/api/metrics/query`.
    MetricsQuery,
}

impl Endpoint {
    /// Routes a normalised path (no trailing slash). `None` = not a Tempo route (404).
    pub fn from_path(path: &str) -> Option<Endpoint> {
        let one_segment = |s: &str| (!s.is_empty() && !s.contains('/')).then(|| s.to_string());
        if let Some(id) = path.strip_prefix("/api/traces/") {
            return one_segment(id).map(Endpoint::TraceV1);
        }
        if let Some(id) = path.strip_prefix("/api/v2/traces/") {
            return one_segment(id).map(Endpoint::TraceV2);
        }
        let tag_values = |rest: &str, v2: bool| {
            let tag = rest.strip_prefix("tag/")?.strip_suffix("/values")?;
            if tag.is_empty() || tag.contains('/') {
                return None;
            }
            let tag = percent_encoding::percent_decode_str(tag)
                .decode_utf8_lossy()
                .into_owned();
            Some(Endpoint::TagValues { v2, tag })
        };
        Some(match path {
            "/api/echo" => Endpoint::Echo,
            "/api/status/buildinfo" => Endpoint::BuildInfo,
            "/api/search" => Endpoint::Search,
            "/api/search/tags" => Endpoint::SearchTags { v2: false },
            "/api/v2/search/tags" => Endpoint::SearchTags { v2: true },
            "/api/metrics/query_range" => Endpoint::MetricsQueryRange,
            "/api/metrics/query" => Endpoint::MetricsQuery,
            _ => {
                if let Some(rest) = path.strip_prefix("/api/search/") {
                    return tag_values(rest, false);
                }
                if let Some(rest) = path.strip_prefix("/api/v2/search/") {
                    return tag_values(rest, true);
                }
                return None;
            }
        })
    }
}

/// Whether [`App::handle`] sends `path` (normalised) to the Tempo API: `/api/traces/…`,
/// `/api/v2/traces/…`, `/api/echo`, `/api/status/buildinfo`, `/api/search[/…]`,
/// `/api/v2/search/…`, `/api/metrics/…`. `/api/v1/*` stays Prometheus.
pub fn is_tempo_path(path: &str) -> bool {
    path == "/api/echo"
        || path == "/api/status/buildinfo"
        || path == "/api/search"
        || path.starts_with("/api/traces/")
        || path.starts_with("/api/v2/traces/")
        || path.starts_with("/api/search/")
        || path.starts_with("/api/v2/search/")
        || path.starts_with("/api/metrics/")
}

/// Handles one Tempo query-API request (CORS and gzip applied).
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
    // Tempo registers these routes for every method; Grafana only uses GET. Unlike Tempo,
    // echo and buildinfo also check credentials, so Grafana's "Test" reports bad ones.
    let tenant = match resolve_tenant(req.headers(), &app.auth) {
        Ok(t) => t,
        Err(e) => return auth_error_response(&e),
    };
    let params = Params::from_request(&req);
    let result = dispatch(app, &endpoint, &tenant, &params, req.headers()).await;
    match result {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn dispatch(
    app: &App,
    endpoint: &Endpoint,
    tenant: &lakewatch_model::TenantId,
    p: &Params,
    h: &http::HeaderMap,
) -> TempoResult {
    match endpoint {
        Endpoint::TraceV1(id) => trace_by_id::trace_by_id(app, tenant, id, Version::V1, p, h).await,
        Endpoint::TraceV2(id) => trace_by_id::trace_by_id(app, tenant, id, Version::V2, p, h).await,
        Endpoint::Echo => status::echo(),
        Endpoint::BuildInfo => status::buildinfo(),
        Endpoint::Search => search::search(app, tenant, p).await,
        Endpoint::SearchTags { v2 } => tags::search_tags(app, tenant, *v2, p).await,
        Endpoint::TagValues { v2, tag } => tags::tag_values(app, tenant, *v2, tag, p).await,
        Endpoint::MetricsQueryRange => metrics::query_range(app, tenant, p).await,
        Endpoint::MetricsQuery => metrics::query_instant(app, tenant, p).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(
            Endpoint::from_path("/api/traces/abc"),
            Some(Endpoint::TraceV1("abc".into()))
        );
        assert_eq!(
            Endpoint::from_path("/api/v2/traces/abc"),
            Some(Endpoint::TraceV2("abc".into()))
        );
        assert_eq!(Endpoint::from_path("/api/traces/a/b"), None);
        assert_eq!(
            Endpoint::from_path("/api/v2/search/tag/resource.service.name/values"),
            Some(Endpoint::TagValues {
                v2: true,
                tag: "resource.service.name".into()
            })
        );
        assert_eq!(Endpoint::from_path("/api/metrics/nope"), None);
        assert!(is_tempo_path("/api/echo"));
        assert!(is_tempo_path("/api/search"));
        assert!(!is_tempo_path("/api/v1/query"));
        assert!(!is_tempo_path("/api/searchx"));
    }
}
