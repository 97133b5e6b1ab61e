//! Environment variables read by the storage layer, and Prometheus-style duration parsing.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `LAKEWATCH_STORE_URL` | `./data` | store URL (`file:///abs`, `./rel`, `s3://bucket/prefix`, `memory://`) |
//! | `LAKEWATCH_S3_ENDPOINT` | – | S3 endpoint override (else `AWS_ENDPOINT_URL`); `http://` enables plain HTTP |
//! | `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION` | – / `us-east-1` | usual S3 credentials and region |
//! | `LAKEWATCH_AUTH_TENANTS` | – | `t1:secret1,t2:secret2`; when set, requests must carry the tenant's secret |
//! | `LAKEWATCH_RETENTION` | `30d` | age after which compacted data is deleted |
//! | `LAKEWATCH_GC_GRACE` | `10m` | delay before unreferenced objects and old manifests are deleted |
//! | `LAKEWATCH_COMPACT_L0_MIN_OBJECTS` | `8` | L0 objects that trigger an L0→L1 merge |
//! | `LAKEWATCH_COMPACT_L0_MAX_AGE` | `5m` | an L0 object older than this is merged even if fewer exist |
//! | `LAKEWATCH_COMPACT_L1_MIN_OBJECTS` | `8` | L1 objects in one window that trigger an L1→L2 merge |
//! | `LAKEWATCH_COMPACT_WINDOW` | `2h` | L2 time window (L1 outputs are split on its boundaries) |

use crate::error::{Result, StorageError};
use std::time::Duration;

/// Parses a Prometheus duration (`30d`, `1h30m`, `500ms`, `2w`, `1y` = 365d).
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let mut total_ms: u128 = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return None;
        }
        let n: u128 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let mult: u128 = match unit {
            "ms" => 1,
            "s" => 1000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            "w" => 7 * 86_400_000,
            "y" => 365 * 86_400_000,
            _ => return None,
        };
        total_ms = total_ms.checked_add(n.checked_mul(mult)?)?;
    }
    Some(Duration::from_millis(u64::try_from(total_ms).ok()?))
}

/// Reads a duration variable; unset or empty gives `default`, malformed is an error.
pub fn env_duration(name: &str, default: Duration) -> Result<Duration> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => parse_duration(&v).ok_or_else(|| StorageError::Config {
            name: name.to_string(),
            reason: format!("{v:?} is not a duration like 30d or 10m"),
        }),
        _ => Ok(default),
    }
}

/// Reads an unsigned integer variable; unset or empty gives `default`.
pub fn env_usize(name: &str, default: usize) -> Result<usize> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v.trim().parse().map_err(|_| StorageError::Config {
            name: name.to_string(),
            reason: format!("{v:?} is not a non-negative integer"),
        }),
        _ => Ok(default),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30d"), Some(Duration::from_secs(30 * 86400)));
        assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("10x"), None);
        assert_eq!(parse_duration("h"), None);
    }
}
