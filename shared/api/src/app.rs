//! [`App`]: the query service. Routes the Prometheus query API (also under the Mimir-style
//! `/prometheus` prefix), the Loki query API ([`App::handle_query_logs`]), the Tempo query API
//! ([`App::handle_query_traces`]) and, in [`App::handle`], the ingest routes.

use crate::config::QueryConfig;
use crate::loki::{self, LokiConfig};
use crate::middleware;
use crate::params::Params;
use crate::prom;
use crate::response::{self, ApiError, ErrorType};
use crate::tempo;
use crate::tenants::Tenants;
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response};
use lakewatch_ingest::{IngestContext, IngestLimits};
use lakewatch_promql::{Engine, EngineOptions};
use lakewatch_storage::{
    resolve_tenants, AuthConfig, AuthError, LogsReader, MetricsReader, Store, TracesReader,
};

/// Error type of [`App::from_env`] (boxed so `main` can use `?` with `lambda_http::Error`).
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The metrics service: storage, auth, engine and limits. Cheap to clone.
#[derive(Debug, Clone)]
pub struct App {
    pub store: Store,
    pub reader: MetricsReader,
    pub auth: AuthConfig,
    pub engine: Engine,
    pub config: QueryConfig,
    /// Used by [`App::handle`] for the ingest routes.
    pub ingest: IngestContext,
    /// Reads logs for the Loki query API.
    pub logs_reader: LogsReader,
    /// Limits of the Loki query API (`LAKEWATCH_LOKI_*`).
    pub loki: LokiConfig,
    /// Reads traces for the Tempo query API.
    pub traces_reader: TracesReader,
    /// Limits of the Tempo search and TraceQL metrics API (`LAKEWATCH_TEMPO_*`).
    pub tempo: tempo::config::TempoConfig,
}

/// One query-API endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Endpoint {
    Query,
    QueryRange,
    QueryExemplars,
    FormatQuery,
    Labels,
    LabelValues(String),
    Series,
    Metadata,
    BuildInfo,
    Rules,
    Alerts,
}

impl Endpoint {
    /// Routes a normalised path (no `/prometheus`, no trailing slash).
    fn from_path(path: &str) -> Option<Endpoint> {
        let rest = path.strip_prefix("/api/v1/")?;
        Some(match rest {
            "query" => Endpoint::Query,
            "query_range" => Endpoint::QueryRange,
            "query_exemplars" => Endpoint::QueryExemplars,
            "format_query" => Endpoint::FormatQuery,
            "labels" => Endpoint::Labels,
            "series" => Endpoint::Series,
            "metadata" => Endpoint::Metadata,
            "status/buildinfo" => Endpoint::BuildInfo,
            "rules" => Endpoint::Rules,
            "alerts" => Endpoint::Alerts,
            _ => {
                let name = rest.strip_prefix("label/")?.strip_suffix("/values")?;
                if name.is_empty() || name.contains('/') {
                    return None;
                }
                // Invalid UTF-8 keeps a replacement character; the handler answers 400.
                let decoded = percent_encoding::percent_decode_str(name)
                    .decode_utf8_lossy()
                    .into_owned();
                Endpoint::LabelValues(decoded)
            }
        })
    }

    /// Methods the endpoint accepts (Prometheus routes: read endpoints take GET and POST,
    /// `label/<name>/values`, `metadata`, `rules`, `alerts`, `status/*` only GET).
    fn methods(&self) -> &'static [Method] {
        const GET_POST: &[Method] = &[Method::GET, Method::POST];
        const GET: &[Method] = &[Method::GET];
        match self {
            Endpoint::Query
            | Endpoint::QueryRange
            | Endpoint::QueryExemplars
            | Endpoint::FormatQuery
            | Endpoint::Labels
            | Endpoint::Series => GET_POST,
            _ => GET,
        }
    }
}

/// Strips `/lambda-url/<fn>` (cargo lambda watch), the Mimir-style `/prometheus` prefix and a
/// trailing slash.
pub(crate) fn normalize_path(path: &str) -> &str {
    let path = match path.strip_prefix("/lambda-url/") {
        Some(rest) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => path,
    };
    let path = match path.strip_prefix("/prometheus") {
        Some(rest) if rest.starts_with('/') => rest,
        _ => path,
    };
    if path.len() > 1 {
        path.trim_end_matches('/')
    } else {
        path
    }
}

/// True when the request path (after cargo lambda's `/lambda-url/<fn>`) starts with the
/// Mimir-style `/prometheus/` prefix: the datasource is set up as Mimir, and buildinfo
/// advertises the ruler config API there (docs/api-rules.md).
pub(crate) fn has_prometheus_prefix(path: &str) -> bool {
    strip_lambda_url(path).starts_with("/prometheus/")
}

/// The path without cargo lambda's `/lambda-url/<fn>`.
fn strip_lambda_url(path: &str) -> &str {
    match path.strip_prefix("/lambda-url/") {
        Some(rest) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => path,
    }
}

/// The optional base path of the Loki (`query-logs`) routes: in the single local process every
/// datasource shares one base URL and `/prometheus/api/v1/…` belongs to `query-metrics`, so a
/// Grafana Loki datasource can point at `http://host:9009/logs` instead
/// (`/logs/loki/api/v1/query_range`, `/logs/prometheus/api/v1/rules` for the LogQL groups,
/// `/logs/api/prom/rules…`).
pub(crate) const LOGS_BASE: &str = "/logs";

/// The path (after `/lambda-url/<fn>`) without the [`LOGS_BASE`] prefix, or None when it does
/// not start with it (`/logs` alone is `/`).
pub(crate) fn strip_logs_base(path: &str) -> Option<&str> {
    let rest = strip_lambda_url(path).strip_prefix(LOGS_BASE)?;
    if rest.is_empty() {
        Some("/")
    } else if rest.starts_with('/') {
        Some(rest)
    } else {
        None
    }
}

/// Replaces the request's path, keeping its query string.
fn set_path(req: &mut Request<Bytes>, path: &str) {
    if req.uri().path() == path {
        return;
    }
    let pq = match req.uri().query() {
        Some(q) => format!("{path}?{q}"),
        None => path.to_string(),
    };
    if let Ok(uri) = pq.parse() {
        *req.uri_mut() = uri;
    }
}

/// Maps a tenant-resolution failure: 401 (with `WWW-Authenticate: Basic`) for missing or
/// wrong credentials, 400 for an unacceptable tenant id, 500 for a bad configuration.
pub fn auth_error_response(e: &AuthError) -> Response<Bytes> {
    match e {
        AuthError::Unauthorized(_) => {
            let mut r = ApiError::new(ErrorType::Unauthorized, e.to_string()).into_response();
            r.headers_mut().insert(
                http::header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"lakewatch\""),
            );
            r
        }
        AuthError::InvalidTenant(_) => ApiError::bad_data(e.to_string()).into_response(),
        AuthError::BadConfig(_) => ApiError::internal(e).into_response(),
    }
}

impl App {
    /// An app over `store` with the given auth and query limits (ingest limits default).
    pub fn new(store: Store, auth: AuthConfig, config: QueryConfig) -> Self {
        let engine = Engine::new(EngineOptions {
            lookback_delta: config.lookback_delta,
            max_samples: config.max_samples,
            max_series: config.max_series,
            ..EngineOptions::default()
        });
        App {
            reader: MetricsReader::new(store.clone()),
            logs_reader: LogsReader::new(store.clone()),
            traces_reader: TracesReader::new(store.clone()),
            loki: LokiConfig::default(),
            tempo: tempo::config::TempoConfig::default(),
            ingest: IngestContext::new(store.clone(), auth.clone(), IngestLimits::default()),
            store,
            auth,
            engine,
            config,
        }
    }

    /// Builds the app from the environment: `LAKEWATCH_STORE_URL` (default `./data`),
    /// `LAKEWATCH_AUTH_TENANTS`, the `LAKEWATCH_QUERY_*` limits ([`QueryConfig::from_env`]) and
    /// the Loki query limits (`LAKEWATCH_LOKI_*`, [`LokiConfig::from_env`]), the Tempo query
    /// limits (`LAKEWATCH_TEMPO_*`, [`tempo::config::TempoConfig::from_env`]) and the ingest
    /// limits (`IngestLimits::from_env`, whose warnings are logged).
    pub fn from_env() -> Result<Self, BoxError> {
        let store = Store::from_env()?;
        let auth = AuthConfig::from_env()?;
        let config = QueryConfig::from_env()?;
        let mut app = App::new(store, auth, config);
        app.loki = LokiConfig::from_env()?;
        app.tempo = tempo::config::TempoConfig::from_env()?;
        let (limits, warnings) = IngestLimits::from_env();
        for w in warnings {
            tracing::warn!("{w}");
        }
        app.ingest.limits = limits;
        Ok(app)
    }

    /// The all-in-one router: the ingest routes (`/api/v1/write`, `/api/v1/push`,
    /// `/otlp/v1/metrics`, `/api/v1/otlp/v1/metrics`, the log push paths
    /// `lakewatch_ingest::LOGS_PATHS` and the OTLP trace paths `TRACES_PATHS`, delegated to
    /// `lakewatch_ingest::handle`), the Loki query routes (`/loki/api/v1/*`, `/api/prom/*`, and
    /// every path under the `/logs` base, e.g. `/logs/prometheus/api/v1/rules`) of
    /// [`App::handle_query_logs`], the Tempo query routes (`/api/traces/*`, `/api/v2/traces/*`,
    /// `/api/echo`, `/api/status/buildinfo`, `/api/search*`, `/api/v2/search/*`,
    /// `/api/metrics/*`; see [`tempo::is_tempo_path`]) of [`App::handle_query_traces`], and
    /// every other route to [`App::handle_query_metrics`].
    pub async fn handle(&self, mut req: Request<Bytes>) -> Response<Bytes> {
        if strip_logs_base(req.uri().path()).is_some() {
            return self.handle_query_logs(req).await;
        }
        let path = normalize_path(req.uri().path()).to_string();
        let is_ingest = lakewatch_ingest::REMOTE_WRITE_PATHS.contains(&path.as_str())
            || lakewatch_ingest::OTLP_PATHS.contains(&path.as_str())
            || lakewatch_ingest::LOGS_PATHS.contains(&path.as_str())
            || lakewatch_ingest::TRACES_PATHS.contains(&path.as_str());
        if !is_ingest || req.method() == Method::OPTIONS {
            if let Some(route) = crate::rules::config_route(&path) {
                return crate::rules::config::handle(self, req, route).await;
            }
            if loki::is_loki_path(&path) {
                return self.handle_query_logs(req).await;
            }
            if tempo::is_tempo_path(&path) {
                return self.handle_query_traces(req).await;
            }
            return self.handle_query_metrics(req).await;
        }
        let headers = req.headers().clone();
        // The ingest router knows the bare paths: drop `/prometheus` or `/lambda-url/<fn>`.
        set_path(&mut req, &path);
        let mut resp = lakewatch_ingest::handle(req, &self.ingest).await;
        middleware::add_cors(&headers, &mut resp);
        resp
    }

    /// The Prometheus query API (see the crate docs for routes). Adds CORS headers and gzips
    /// large bodies when the client accepts it.
    pub async fn handle_query_metrics(&self, req: Request<Bytes>) -> Response<Bytes> {
        if let Some(route) = crate::rules::config_route(normalize_path(req.uri().path())) {
            return crate::rules::config::handle(self, req, route).await;
        }
        let headers = req.headers().clone();
        let resp = self.route_query(req).await;
        middleware::finish(&headers, resp)
    }

    /// The Loki query API (`/loki/api/v1/*`, legacy `/api/prom/*`; see [`crate::loki`] and
    /// docs/api-logs.md), Loki's ruler config API (`/loki/api/v1/rules…`, `/api/prom/rules…`)
    /// and Loki's rules listing `GET /prometheus/api/v1/rules` / `…/alerts` over the LogQL groups
    /// ([`crate::rules::loki`]; docs/api-rules.md). Every route also answers under the optional
    /// `/logs` base path ([`LOGS_BASE`]). Errors are Loki's plain-text bodies (the listing's are
    /// Loki's JSON); CORS and gzip as for metrics.
    pub async fn handle_query_logs(&self, mut req: Request<Bytes>) -> Response<Bytes> {
        if let Some(rest) = strip_logs_base(req.uri().path()).map(str::to_string) {
            set_path(&mut req, &rest);
        }
        if let Some(listing) = crate::rules::loki::route(req.uri().path()) {
            return crate::rules::loki::handle(self, req, listing).await;
        }
        if let Some(route) = crate::rules::config_route(normalize_path(req.uri().path())) {
            if route.language == lakewatch_ruler::ExprLanguage::LogQL {
                return crate::rules::config::handle(self, req, route).await;
            }
        }
        loki::handle(self, req).await
    }

    /// The Tempo query API (`/api/traces/<id>`, `/api/v2/traces/<id>`, `/api/echo`,
    /// `/api/status/buildinfo`, tag names and values `/api/search/tags`, `/api/v2/search/tags`,
    /// `/api/search/tag/<t>/values`, `/api/v2/search/tag/<t>/values`, TraceQL search
    /// `/api/search` and TraceQL metrics `/api/metrics/query_range`, `/api/metrics/query`; see
    /// [`crate::tempo`] and docs/api-traces.md). Errors are Tempo's plain-text bodies; CORS and
    /// gzip as for metrics.
    pub async fn handle_query_traces(&self, req: Request<Bytes>) -> Response<Bytes> {
        tempo::handle(self, req).await
    }

    async fn route_query(&self, req: Request<Bytes>) -> Response<Bytes> {
        if req.method() == Method::OPTIONS {
            return middleware::preflight(req.headers());
        }
        let Some(endpoint) = Endpoint::from_path(normalize_path(req.uri().path())) else {
            return response::not_found();
        };
        if !endpoint.methods().contains(req.method()) {
            return response::method_not_allowed(endpoint.methods());
        }
        let tenant = match resolve_tenants(req.headers(), &self.auth) {
            Ok(t) => Tenants::new(t),
            Err(e) => return auth_error_response(&e),
        };
        let params = Params::from_request(&req);
        if endpoint == Endpoint::BuildInfo && has_prometheus_prefix(req.uri().path()) {
            return response::respond(Ok(prom::meta::buildinfo_mimir()));
        }
        response::respond(self.dispatch(&endpoint, &tenant, &params).await)
    }

    async fn dispatch(
        &self,
        endpoint: &Endpoint,
        tenant: &Tenants,
        p: &Params,
    ) -> response::ApiResult {
        match endpoint {
            Endpoint::Query => prom::query::instant(self, tenant, p).await,
            Endpoint::QueryRange => prom::query::range(self, tenant, p).await,
            Endpoint::QueryExemplars => prom::query::exemplars(self, tenant, p).await,
            Endpoint::FormatQuery => prom::query::format_query(p),
            Endpoint::Labels => prom::meta::labels(self, tenant, p).await,
            Endpoint::LabelValues(name) => prom::meta::label_values(self, tenant, name, p).await,
            Endpoint::Series => prom::meta::series(self, tenant, p).await,
            Endpoint::Metadata => prom::meta::metadata(self, tenant, p).await,
            Endpoint::BuildInfo => Ok(prom::meta::buildinfo()),
            Endpoint::Rules => crate::rules::list::rules(self, tenant, p).await,
            Endpoint::Alerts => crate::rules::alerts::alerts(self, tenant).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(normalize_path("/prometheus/api/v1/query"), "/api/v1/query");
        assert_eq!(normalize_path("/api/v1/labels/"), "/api/v1/labels");
        assert_eq!(
            normalize_path("/lambda-url/q/api/v1/series"),
            "/api/v1/series"
        );
        assert_eq!(Endpoint::from_path("/api/v1/query"), Some(Endpoint::Query));
        assert_eq!(
            Endpoint::from_path("/api/v1/label/U__a_2e_b/values"),
            Some(Endpoint::LabelValues("U__a_2e_b".into()))
        );
        assert_eq!(Endpoint::from_path("/api/v1/label//values"), None);
        assert_eq!(Endpoint::from_path("/api/v1/nope"), None);
        assert_eq!(
            strip_logs_base("/logs/loki/api/v1/labels"),
            Some("/loki/api/v1/labels")
        );
        assert_eq!(
            strip_logs_base("/lambda-url/query-logs/logs/prometheus/api/v1/rules"),
            Some("/prometheus/api/v1/rules")
        );
        assert_eq!(strip_logs_base("/logs"), Some("/"));
        assert_eq!(strip_logs_base("/logsx/api"), None);
        assert_eq!(strip_logs_base("/loki/api/v1/labels"), None);
    }
}
