//! Query-side configuration from `LAKEWATCH_QUERY_*` environment variables.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `LAKEWATCH_QUERY_LOOKBACK_DELTA` | `5m` | default lookback delta (Prometheus `query.lookback-delta`) |
//! | `LAKEWATCH_QUERY_TIMEOUT` | `2m` | max evaluation time (Prometheus `query.timeout`) |
//! | `LAKEWATCH_QUERY_MAX_SAMPLES` | `50000000` | max samples loaded/held by one query (`query.max-samples`) |
//! | `LAKEWATCH_QUERY_MAX_SERIES` | `0` | max series one query may fetch (0 = unlimited) |

use lakewatch_storage::config::{env_duration, env_usize};
use lakewatch_storage::StorageError;
use std::time::Duration;

/// Limits and defaults applied by the query API.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryConfig {
    /// Default lookback delta; a request may override it with `lookback_delta`.
    pub lookback_delta: Duration,
    /// Max evaluation time; a request's `timeout` can only shorten it.
    pub timeout: Duration,
    /// Max samples fetched for (and held by) one query; exceeding it is a 422
    /// `query processing would load too many samples into memory in query execution`.
    pub max_samples: usize,
    /// Max series fetched for one query (0 = unlimited); exceeding it is a 422.
    pub max_series: usize,
    /// Max points per series of a range query (Prometheus's fixed 11,000).
    pub max_points_per_series: i64,
}

impl Default for QueryConfig {
    fn default() -> Self {
        QueryConfig {
            lookback_delta: Duration::from_secs(300),
            timeout: Duration::from_secs(120),
            max_samples: 50_000_000,
            max_series: 0,
            max_points_per_series: 11_000,
        }
    }
}

impl QueryConfig {
    /// Reads the variables in the module table; unset or empty keep the defaults.
    /// Errors name the malformed variable.
    pub fn from_env() -> Result<Self, StorageError> {
        let d = Self::default();
        Ok(QueryConfig {
            lookback_delta: env_duration("LAKEWATCH_QUERY_LOOKBACK_DELTA", d.lookback_delta)?,
            timeout: env_duration("LAKEWATCH_QUERY_TIMEOUT", d.timeout)?,
            max_samples: env_usize("LAKEWATCH_QUERY_MAX_SAMPLES", d.max_samples)?,
            max_series: env_usize("LAKEWATCH_QUERY_MAX_SERIES", d.max_series)?,
            max_points_per_series: d.max_points_per_series,
        })
    }
}
