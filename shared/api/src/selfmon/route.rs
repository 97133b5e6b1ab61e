//! Route groups: the low-cardinality names used as the `route` label of
//! `lakewatch_http_requests_total`, the `endpoint` label of `lakewatch_query_duration_seconds`
//! and the `route` field of the request log line.

use crate::app::{normalize_path, strip_logs_base};

/// What kind of request a route serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteKind {
    /// An ingest route of the given signal (`metrics`, `logs`, `traces`).
    Ingest(&'static str),
    /// A query or read route of the given signal (its duration is recorded per endpoint).
    Query(&'static str),
    /// Anything else (unknown paths, answered 404).
    Other,
}

/// A request's route group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteInfo {
    /// Route group, e.g. `remote_write`, `query_range`, `loki_query_range`, `tempo_search`,
    /// `other`.
    pub route: &'static str,
    pub kind: RouteKind,
}

impl RouteInfo {
    /// The signal of an ingest or query route (`metrics`, `logs`, `traces`).
    pub fn signal(&self) -> Option<&'static str> {
        match self.kind {
            RouteKind::Ingest(s) | RouteKind::Query(s) => Some(s),
            RouteKind::Other => None,
        }
    }

    /// The Lambda function serving the route (`ingest-metrics`, `query-logs`, …; `api` for
    /// unknown paths): the `component` label of `lakewatch_errors_total`.
    pub fn component(&self) -> &'static str {
        match self.kind {
            RouteKind::Ingest("metrics") => "ingest-metrics",
            RouteKind::Ingest("logs") => "ingest-logs",
            RouteKind::Ingest(_) => "ingest-traces",
            RouteKind::Query("metrics") => "query-metrics",
            RouteKind::Query("logs") => "query-logs",
            RouteKind::Query(_) => "query-traces",
            RouteKind::Other => "api",
        }
    }
}

const fn info(route: &'static str, kind: RouteKind) -> RouteInfo {
    RouteInfo { route, kind }
}

/// Classifies a request path (as received: `/lambda-url/<fn>`, `/prometheus` and the `/logs`
/// base are understood, as by [`crate::App::handle`]).
pub fn classify(path: &str) -> RouteInfo {
    if let Some(rest) = strip_logs_base(path) {
        return classify_logs(normalize_path(rest));
    }
    let p = normalize_path(path);
    if let Some(i) = classify_ingest(p) {
        return i;
    }
    if crate::rules::config_route(p).is_some() {
        let signal = if crate::loki::is_loki_path(p) {
            "logs"
        } else {
            "metrics"
        };
        return info("rules_config", RouteKind::Query(signal));
    }
    if crate::loki::is_loki_path(p) {
        return classify_logs(p);
    }
    if crate::tempo::is_tempo_path(p) {
        return classify_tempo(p);
    }
    classify_prom(p)
}

fn classify_ingest(p: &str) -> Option<RouteInfo> {
    use lakewatch_ingest::{LOGS_PATHS, OTLP_PATHS, REMOTE_WRITE_PATHS, TRACES_PATHS};
    Some(if REMOTE_WRITE_PATHS.contains(&p) {
        info("remote_write", RouteKind::Ingest("metrics"))
    } else if OTLP_PATHS.contains(&p) {
        info("otlp_metrics", RouteKind::Ingest("metrics"))
    } else if p == "/otlp/v1/logs" {
        info("otlp_logs", RouteKind::Ingest("logs"))
    } else if LOGS_PATHS.contains(&p) {
        info("loki_push", RouteKind::Ingest("logs"))
    } else if TRACES_PATHS.contains(&p) {
        info("otlp_traces", RouteKind::Ingest("traces"))
    } else {
        return None;
    })
}

fn classify_prom(p: &str) -> RouteInfo {
    let q = |r| info(r, RouteKind::Query("metrics"));
    let Some(rest) = p.strip_prefix("/api/v1/") else {
        return info("other", RouteKind::Other);
    };
    match rest {
        "query" => q("query"),
        "query_range" => q("query_range"),
        "query_exemplars" => q("query_exemplars"),
        "format_query" => q("format_query"),
        "labels" => q("labels"),
        "series" => q("series"),
        "metadata" => q("metadata"),
        "status/buildinfo" => q("buildinfo"),
        "rules" => q("rules"),
        "alerts" => q("alerts"),
        r if r.starts_with("label/") && r.ends_with("/values") => q("label_values"),
        _ => info("other", RouteKind::Other),
    }
}

/// Loki routes (after the `/logs` base): `/loki/api/v1/*`, legacy `/api/prom/*` and the
/// rules listing `/prometheus/api/v1/rules` (normalised to `/api/v1/rules`).
fn classify_logs(p: &str) -> RouteInfo {
    let l = |r| info(r, RouteKind::Query("logs"));
    if crate::rules::config_route(p).is_some() {
        return l("rules_config");
    }
    let rest = p
        .strip_prefix("/loki/api/v1/")
        .or_else(|| p.strip_prefix("/api/prom/"));
    match (p, rest) {
        ("/api/v1/rules", _) => l("loki_rules"),
        ("/api/v1/alerts", _) => l("loki_alerts"),
        (_, Some("push")) => info("loki_push", RouteKind::Ingest("logs")),
        (_, Some("query")) => l("loki_query"),
        (_, Some("query_range")) => l("loki_query_range"),
        (_, Some("labels" | "label")) => l("loki_labels"),
        (_, Some("series")) => l("loki_series"),
        (_, Some("tail")) => l("loki_tail"),
        (_, Some(r)) if r.starts_with("index/") => l("loki_index"),
        (_, Some(r)) if r.starts_with("label/") && r.ends_with("/values") => l("loki_label_values"),
        (_, Some(_)) => l("loki_other"),
        (_, None) => info("other", RouteKind::Other),
    }
}

fn classify_tempo(p: &str) -> RouteInfo {
    let t = |r| info(r, RouteKind::Query("traces"));
    match p {
        "/api/echo" => t("tempo_echo"),
        "/api/status/buildinfo" => t("tempo_buildinfo"),
        "/api/search" => t("tempo_search"),
        "/api/search/tags" | "/api/v2/search/tags" => t("tempo_tags"),
        "/api/metrics/query_range" => t("tempo_metrics_query_range"),
        "/api/metrics/query" => t("tempo_metrics_query"),
        _ if p.starts_with("/api/traces/") || p.starts_with("/api/v2/traces/") => t("tempo_trace"),
        _ if p.ends_with("/values") => t("tempo_tag_values"),
        _ => t("tempo_other"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups() {
        let r = |p| classify(p).route;
        assert_eq!(r("/api/v1/write"), "remote_write");
        assert_eq!(r("/lambda-url/ingest-metrics/api/v1/push"), "remote_write");
        assert_eq!(r("/otlp/v1/metrics"), "otlp_metrics");
        assert_eq!(r("/loki/api/v1/push"), "loki_push");
        assert_eq!(r("/otlp/v1/logs"), "otlp_logs");
        assert_eq!(r("/v1/traces"), "otlp_traces");
        assert_eq!(r("/prometheus/api/v1/query_range"), "query_range");
        assert_eq!(r("/api/v1/label/job/values"), "label_values");
        assert_eq!(r("/logs/loki/api/v1/query_range"), "loki_query_range");
        assert_eq!(r("/loki/api/v1/label/app/values"), "loki_label_values");
        assert_eq!(r("/logs/prometheus/api/v1/rules"), "loki_rules");
        assert_eq!(r("/api/traces/0123"), "tempo_trace");
        assert_eq!(r("/api/v2/search/tag/span.x/values"), "tempo_tag_values");
        assert_eq!(r("/api/search"), "tempo_search");
        assert_eq!(r("/config/v1/rules/ns"), "rules_config");
        assert_eq!(r("/nope"), "other");
        assert_eq!(classify("/api/v1/write").component(), "ingest-metrics");
        assert_eq!(classify("/api/search").component(), "query-traces");
        assert_eq!(classify("/logs/loki/api/v1/query").signal(), Some("logs"));
    }
}
