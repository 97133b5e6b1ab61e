//! Limits of the Tempo search and TraceQL metrics API, from `LAKEWATCH_TEMPO_*` environment
//! variables. Names and defaults follow Tempo's query-frontend configuration
//! (`modules/frontend/config.go`); the scan budget is Lakewatch-specific.
//!
//! | variable | default | meaning (Tempo setting) |
//! |---|---|---|
//! | `LAKEWATCH_TEMPO_SEARCH_DEFAULT_LIMIT` | `20` | traces returned by `/api/search` without `limit` (`search.default_result_limit`) |
//! | `LAKEWATCH_TEMPO_SEARCH_MAX_LIMIT` | `262144` | max `limit` (`search.max_result_limit`; `0` = none) |
//! | `LAKEWATCH_TEMPO_SEARCH_MAX_DURATION` | `168h` | max `end - start` of a search (`search.max_duration`; `0s` = none) |
//! | `LAKEWATCH_TEMPO_SEARCH_DEFAULT_SPSS` | `3` | spans per spanset without `spss` (`search.default_spans_per_span_set`) |
//! | `LAKEWATCH_TEMPO_SEARCH_MAX_SPSS` | `100` | max `spss` (`search.max_spans_per_span_set`; `0` = none) |
//! | `LAKEWATCH_TEMPO_METRICS_MAX_DURATION` | `24h` | max `end - start` of a metrics query (`metrics.max_duration`; `0s` = none) |
//! | `LAKEWATCH_TEMPO_METRICS_MAX_INTERVALS` | `10000` | max `(end - start) / step` (`metrics.max_intervals`; `0` = none) |
//! | `LAKEWATCH_TEMPO_METRICS_MAX_EXEMPLARS` | `100` | exemplars cap (`metrics.max_exemplars`) |
//! | `LAKEWATCH_TEMPO_QUERY_END_CUTOFF` | `30s` | metrics `end` is clamped to now minus this (`query_end_cutoff`) |
//! | `LAKEWATCH_TEMPO_MAX_BYTES_SCANNED` | `1073741824` | max bytes of trace objects one search or metrics query may read (`0` = none; Lakewatch-specific) |

use lakewatch_storage::config::{env_duration, env_usize};
use lakewatch_storage::StorageError;
use std::time::Duration;

/// Tempo query limits (see the module table).
#[derive(Debug, Clone, PartialEq)]
pub struct TempoConfig {
    /// `limit` of a search without one.
    pub search_default_limit: u32,
    /// Max `limit` (0 = none); larger is a 400 `limit L exceeds max limit M`.
    pub search_max_limit: u32,
    /// Max search window (`Duration::ZERO` = none); longer is a 400
    /// `range specified by start and end exceeds 168h0m0s. received start=S end=E`.
    pub search_max_duration: Duration,
    /// `spss` of a search without one.
    pub search_default_spss: u32,
    /// Max `spss` (0 = none); larger is a 400 `spans per span set exceeds M. received N`.
    pub search_max_spss: u32,
    /// Max metrics window (`Duration::ZERO` = none); longer is a 400
    /// `metrics query time range exceeds the maximum allowed duration of 24h0m0s`.
    pub metrics_max_duration: Duration,
    /// Max intervals of a metrics query (0 = none); more is a 400
    /// `step of 1s is too small, minimum step for given range is 8.64s`.
    pub metrics_max_intervals: u64,
    /// Max exemplars of a metrics query (also the default).
    pub metrics_max_exemplars: u32,
    /// Metrics `end` is clamped to now minus this.
    pub query_end_cutoff: Duration,
    /// Max bytes of objects one query may read (0 = none); more is a 400
    /// `query would read N bytes of traces, more than the limit of M bytes
    /// (LAKEWATCH_TEMPO_MAX_BYTES_SCANNED): narrow the time range`.
    pub max_bytes_scanned: u64,
}

impl Default for TempoConfig {
    fn default() -> Self {
        TempoConfig {
            search_default_limit: 20,
            search_max_limit: 256 * 1024,
            search_max_duration: Duration::from_secs(168 * 3600),
            search_default_spss: 3,
            search_max_spss: 100,
            metrics_max_duration: Duration::from_secs(24 * 3600),
            metrics_max_intervals: 10_000,
            metrics_max_exemplars: 100,
            query_end_cutoff: Duration::from_secs(30),
            max_bytes_scanned: 1 << 30,
        }
    }
}

fn env_u32(name: &str, default: u32) -> Result<u32, StorageError> {
    let v = env_usize(name, default as usize)?;
    u32::try_from(v).map_err(|_| StorageError::Config {
        name: name.to_string(),
        reason: format!("{v} does not fit in 32 bits"),
    })
}

impl TempoConfig {
    /// Reads the variables of the module table; unset or empty keep the defaults. Errors name
    /// the malformed variable.
    pub fn from_env() -> Result<Self, StorageError> {
        let d = Self::default();
        Ok(TempoConfig {
            search_default_limit: env_u32(
                "LAKEWATCH_TEMPO_SEARCH_DEFAULT_LIMIT",
                d.search_default_limit,
            )?,
            search_max_limit: env_u32("LAKEWATCH_TEMPO_SEARCH_MAX_LIMIT", d.search_max_limit)?,
            search_max_duration: env_duration(
                "LAKEWATCH_TEMPO_SEARCH_MAX_DURATION",
                d.search_max_duration,
            )?,
            search_default_spss: env_u32(
                "LAKEWATCH_TEMPO_SEARCH_DEFAULT_SPSS",
                d.search_default_spss,
            )?,
            search_max_spss: env_u32("LAKEWATCH_TEMPO_SEARCH_MAX_SPSS", d.search_max_spss)?,
            metrics_max_duration: env_duration(
                "LAKEWATCH_TEMPO_METRICS_MAX_DURATION",
                d.metrics_max_duration,
            )?,
            metrics_max_intervals: env_usize(
                "LAKEWATCH_TEMPO_METRICS_MAX_INTERVALS",
                d.metrics_max_intervals as usize,
            )? as u64,
            metrics_max_exemplars: env_u32(
                "LAKEWATCH_TEMPO_METRICS_MAX_EXEMPLARS",
                d.metrics_max_exemplars,
            )?,
            query_end_cutoff: env_duration("LAKEWATCH_TEMPO_QUERY_END_CUTOFF", d.query_end_cutoff)?,
            max_bytes_scanned: env_usize(
                "LAKEWATCH_TEMPO_MAX_BYTES_SCANNED",
                d.max_bytes_scanned as usize,
            )? as u64,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_env() {
        // Only this test reads LAKEWATCH_TEMPO_* variables.
        std::env::set_var("LAKEWATCH_TEMPO_SEARCH_MAX_LIMIT", "50");
        std::env::set_var("LAKEWATCH_TEMPO_METRICS_MAX_DURATION", "2h");
        let c = TempoConfig::from_env().unwrap();
        assert_eq!(c.search_max_limit, 50);
        assert_eq!(c.metrics_max_duration, Duration::from_secs(7200));
        assert_eq!(c.search_default_limit, 20);
        std::env::set_var("LAKEWATCH_TEMPO_SEARCH_MAX_LIMIT", "many");
        assert!(TempoConfig::from_env().is_err());
        for v in [
            "LAKEWATCH_TEMPO_SEARCH_MAX_LIMIT",
            "LAKEWATCH_TEMPO_METRICS_MAX_DURATION",
        ] {
            std::env::remove_var(v);
        }
    }
}
