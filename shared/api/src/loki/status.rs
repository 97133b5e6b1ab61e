//! `status/buildinfo` and `drilldown-limits` (Logs Drilldown's bootstrap call).

use super::error::{json_ok, LokiResult};
use crate::app::App;
use crate::json;

/// The Loki version Lakewatch reports (Grafana and Logs Drilldown gate features on it).
pub const LOKI_VERSION: &str = "3.6.0";

/// `GET /loki/api/v1/status/buildinfo`: `{"version","revision","branch","buildUser",
/// "buildDate","goVersion"}` (Prometheus `version` fields).
pub fn buildinfo() -> LokiResult {
    Ok(json_ok(format!(
        r#"{{"version":"{LOKI_VERSION}","revision":"lakewatch-{}","branch":"main","buildUser":"lakewatch","buildDate":"","goVersion":""}}"#,
        env!("CARGO_PKG_VERSION")
    )))
}

/// `GET /loki/api/v1/drilldown-limits`: `{"limits":{…},"pattern_ingester_enabled":true,
/// "version":…}` with Loki's `limits_config` names and Lakewatch's values (durations as
/// Prometheus duration strings).
pub fn drilldown_limits(app: &App) -> LokiResult {
    use super::params::prom_duration_string as dur;
    let c = &app.loki;
    // What ingest actually does (the same `App` serves `/loki/api/v1/push` locally).
    let logs = &app.ingest.limits.logs;
    let service: Vec<&str> = logs
        .discover_service_name
        .iter()
        .map(String::as_str)
        .collect();
    let levels = lakewatch_ingest::loki::level::LEVEL_FIELDS;
    let body = format!(
        concat!(
            r#"{{"limits":{{"discover_log_levels":{},"discover_service_name":{},"log_level_fields":{},"#,
            r#""max_entries_limit_per_query":{},"max_query_length":"{}","max_query_series":{},"#,
            r#""query_timeout":"{}","retention_period":"0s","volume_enabled":true,"#,
            r#""metric_aggregation_enabled":false,"pattern_persistence_enabled":false}},"#,
            r#""pattern_ingester_enabled":true,"version":"{}"}}"#
        ),
        logs.discover_log_levels,
        json::string_array(&service),
        json::string_array(levels),
        c.max_entries_limit_per_query,
        dur(c.max_query_length.as_nanos() as i64),
        c.max_query_series,
        dur(c.query_timeout.as_nanos() as i64),
        LOKI_VERSION,
    );
    Ok(json_ok(body))
}
