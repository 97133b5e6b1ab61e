//! Limits of the Loki query API, from `LAKEWATCH_LOKI_*` environment variables. Names and
//! defaults follow Loki's `limits_config`.
//!
//! | variable | default | meaning (Loki limit) |
//! |---|---|---|
//! | `LAKEWATCH_LOKI_MAX_ENTRIES_LIMIT_PER_QUERY` | `5000` | max `limit` of a log query (`max_entries_limit_per_query`) |
//! | `LAKEWATCH_LOKI_MAX_QUERY_LENGTH` | `721h` | max `end - start` of a query (`max_query_length`; `0` = off) |
//! | `LAKEWATCH_LOKI_MAX_QUERY_SERIES` | `500` | max series of a metric query result (`max_query_series`) |
//! | `LAKEWATCH_LOKI_QUERY_TIMEOUT` | `1m` | max time for one request (`query_timeout`) |
//! | `LAKEWATCH_LOKI_SPLIT_QUERIES_BY_INTERVAL` | `1h` | longer queries run piecewise: log queries window by window stopping at `limit`, metric range queries by step groups (`split_queries_by_interval`; `0s` = off) |
//! | `LAKEWATCH_LOKI_MAX_STREAMS_FETCHED` | `100000` | max streams one query may read from storage (`0` = unlimited; Lakewatch-specific) |

use lakewatch_storage::config::{env_duration, env_usize};
use lakewatch_storage::StorageError;
use std::time::Duration;

/// Loki query limits (see the module table).
#[derive(Debug, Clone, PartialEq)]
pub struct LokiConfig {
    /// Max `limit` of a log query; a larger `limit` is a 400
    /// `max entries limit per query exceeded, limit > max_entries_limit_per_query (L > M)`.
    pub max_entries_limit_per_query: usize,
    /// Max query time range (`Duration::ZERO` = unlimited); longer is a 400
    /// `the query time range exceeds the limit (query length: …, limit: …)`.
    pub max_query_length: Duration,
    /// Max series in a metric result (the evaluator's 400 on excess).
    pub max_query_series: usize,
    /// Max time for one request; exceeding it is a 504.
    pub query_timeout: Duration,
    /// Max streams read from storage for one query (0 = unlimited); excess is a 400.
    pub max_streams_fetched: usize,
    /// Max points per series of a range query (Loki's fixed 11,000).
    pub max_points_per_series: i64,
    /// Window of split log queries, ns (0 = no splitting); see `loki::split`.
    pub split_queries_by_interval: i64,
}

impl Default for LokiConfig {
    fn default() -> Self {
        LokiConfig {
            max_entries_limit_per_query: 5000,
            max_query_length: Duration::from_secs(721 * 3600),
            max_query_series: 500,
            query_timeout: Duration::from_secs(60),
            max_streams_fetched: 100_000,
            max_points_per_series: 11_000,
            split_queries_by_interval: 3_600 * 1_000_000_000,
        }
    }
}

impl LokiConfig {
    /// Reads the variables of the module table; unset or empty keep the defaults. Errors
    /// name the malformed variable.
    pub fn from_env() -> Result<Self, StorageError> {
        let d = Self::default();
        Ok(LokiConfig {
            max_entries_limit_per_query: env_usize(
                "LAKEWATCH_LOKI_MAX_ENTRIES_LIMIT_PER_QUERY",
                d.max_entries_limit_per_query,
            )?,
            max_query_length: env_duration("LAKEWATCH_LOKI_MAX_QUERY_LENGTH", d.max_query_length)?,
            max_query_series: env_usize("LAKEWATCH_LOKI_MAX_QUERY_SERIES", d.max_query_series)?,
            query_timeout: env_duration("LAKEWATCH_LOKI_QUERY_TIMEOUT", d.query_timeout)?,
            max_streams_fetched: env_usize(
                "LAKEWATCH_LOKI_MAX_STREAMS_FETCHED",
                d.max_streams_fetched,
            )?,
            max_points_per_series: d.max_points_per_series,
            split_queries_by_interval: env_duration(
                "LAKEWATCH_LOKI_SPLIT_QUERIES_BY_INTERVAL",
                std::time::Duration::from_nanos(d.split_queries_by_interval as u64),
            )?
            .as_nanos()
            .min(i64::MAX as u128) as i64,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_env() {
        // Only this test reads LAKEWATCH_LOKI_* variables.
        std::env::set_var("LAKEWATCH_LOKI_MAX_ENTRIES_LIMIT_PER_QUERY", "10");
        std::env::set_var("LAKEWATCH_LOKI_MAX_QUERY_LENGTH", "2h");
        std::env::set_var("LAKEWATCH_LOKI_SPLIT_QUERIES_BY_INTERVAL", "0s");
        let c = LokiConfig::from_env().unwrap();
        assert_eq!(c.max_entries_limit_per_query, 10);
        assert_eq!(c.max_query_length, Duration::from_secs(7200));
        assert_eq!(c.split_queries_by_interval, 0);
        assert_eq!(c.max_query_series, 500);
        std::env::set_var("LAKEWATCH_LOKI_MAX_QUERY_SERIES", "many");
        assert!(LokiConfig::from_env().is_err());
        for v in [
            "LAKEWATCH_LOKI_MAX_ENTRIES_LIMIT_PER_QUERY",
            "LAKEWATCH_LOKI_MAX_QUERY_LENGTH",
            "LAKEWATCH_LOKI_SPLIT_QUERIES_BY_INTERVAL",
            "LAKEWATCH_LOKI_MAX_QUERY_SERIES",
        ] {
            std::env::remove_var(v);
        }
    }
}
