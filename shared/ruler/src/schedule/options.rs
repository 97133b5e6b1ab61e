//! The scheduled ruler's settings (`LAKEWATCH_RULER_*`), Prometheus's rule-manager flags.

use std::time::Duration;

use crate::eval::{DEFAULT_INTERVAL_MS, DEFAULT_RESEND_DELAY_MS};
use crate::rules::parse_duration;
use crate::state_store::DEFAULT_LEASE_TTL;

use super::outage::{DEFAULT_GRACE_PERIOD_MS, DEFAULT_OUTAGE_TOLERANCE_MS};

/// Ruler settings. Durations are **ms** unless typed.
#[derive(Debug, Clone, PartialEq)]
pub struct RulerOptions {
    /// Interval of groups without `interval` (Prometheus `global.evaluation_interval`).
    pub default_interval_ms: i64,
    /// Query offset of groups without `query_offset` (Prometheus `global.rule_query_offset`).
    pub query_offset_ms: i64,
    /// Minimum time between two sends of a firing alert (`--rules.alert.resend-delay`).
    pub resend_delay_ms: i64,
    /// Outage after which alert state is not continued (`--rules.alert.for-outage-tolerance`).
    pub outage_tolerance_ms: i64,
    /// Least time an alert gets to fire after an outage (`--rules.alert.for-grace-period`).
    pub grace_period_ms: i64,
    /// How long a group stays leased by an invocation that may have crashed.
    pub lease_ttl: Duration,
    /// Groups evaluated at the same time in one pass.
    pub concurrency: usize,
}

impl Default for RulerOptions {
    fn default() -> Self {
        RulerOptions {
            default_interval_ms: DEFAULT_INTERVAL_MS,
            query_offset_ms: 0,
            resend_delay_ms: DEFAULT_RESEND_DELAY_MS,
            outage_tolerance_ms: DEFAULT_OUTAGE_TOLERANCE_MS,
            grace_period_ms: DEFAULT_GRACE_PERIOD_MS,
            lease_ttl: DEFAULT_LEASE_TTL,
            concurrency: 4,
        }
    }
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl RulerOptions {
    /// From the process environment, see [`Self::from_lookup`].
    pub fn from_env() -> Result<Self, String> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// | variable | default | meaning |
    /// |---|---|---|
    /// | `LAKEWATCH_RULER_EVALUATION_INTERVAL` | `1m` | interval of groups without one |
    /// | `LAKEWATCH_RULER_QUERY_OFFSET` | `0s` | query offset of groups without one |
    /// | `LAKEWATCH_RULER_RESEND_DELAY` | `1m` | resend delay of firing alerts |
    /// | `LAKEWATCH_RULER_FOR_OUTAGE_TOLERANCE` | `1h` | see [`super::outage`] |
    /// | `LAKEWATCH_RULER_FOR_GRACE_PERIOD` | `10m` | see [`super::outage`] |
    /// | `LAKEWATCH_RULER_LEASE_TTL` | `5m` | lease of a crashed invocation expires |
    /// | `LAKEWATCH_RULER_CONCURRENCY` | `4` | groups evaluated at once |
    ///
    /// Durations are Prometheus durations (`30s`, `1m30s`). Errors name the variable.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let mut o = RulerOptions::default();
        let dur = |k: &str, positive: bool| -> Result<Option<Duration>, String> {
            let Some(v) = get(k)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
            else {
                return Ok(None);
            };
            let d = parse_duration(&v).map_err(|e| format!("{k}: {e}"))?;
            if positive && d.is_zero() {
                return Err(format!("{k}: must be greater than 0"));
            }
            Ok(Some(d))
        };
        if let Some(d) = dur("LAKEWATCH_RULER_EVALUATION_INTERVAL", true)? {
            o.default_interval_ms = ms(d);
        }
        if let Some(d) = dur("LAKEWATCH_RULER_QUERY_OFFSET", false)? {
            o.query_offset_ms = ms(d);
        }
        if let Some(d) = dur("LAKEWATCH_RULER_RESEND_DELAY", false)? {
            o.resend_delay_ms = ms(d);
        }
        if let Some(d) = dur("LAKEWATCH_RULER_FOR_OUTAGE_TOLERANCE", false)? {
            o.outage_tolerance_ms = ms(d);
        }
        if let Some(d) = dur("LAKEWATCH_RULER_FOR_GRACE_PERIOD", false)? {
            o.grace_period_ms = ms(d);
        }
        if let Some(d) = dur("LAKEWATCH_RULER_LEASE_TTL", true)? {
            o.lease_ttl = d;
        }
        if let Some(v) = get("LAKEWATCH_RULER_CONCURRENCY").filter(|v| !v.trim().is_empty()) {
            o.concurrency = v
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| {
                    format!("LAKEWATCH_RULER_CONCURRENCY: expected a positive integer, got {v:?}")
                })?;
        }
        Ok(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env() {
        let o = RulerOptions::from_lookup(|k| match k {
            "LAKEWATCH_RULER_EVALUATION_INTERVAL" => Some("15s".into()),
            "LAKEWATCH_RULER_RESEND_DELAY" => Some("2m".into()),
            "LAKEWATCH_RULER_CONCURRENCY" => Some("2".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(o.default_interval_ms, 15_000);
        assert_eq!(o.resend_delay_ms, 120_000);
        assert_eq!(o.concurrency, 2);
        assert_eq!(o.grace_period_ms, 600_000);
        let e = RulerOptions::from_lookup(|k| {
            (k == "LAKEWATCH_RULER_EVALUATION_INTERVAL").then(|| "0s".into())
        })
        .unwrap_err();
        assert_eq!(
            e,
            "LAKEWATCH_RULER_EVALUATION_INTERVAL: must be greater than 0"
        );
        let e =
            RulerOptions::from_lookup(|k| (k == "LAKEWATCH_RULER_LEASE_TTL").then(|| "x".into()))
                .unwrap_err();
        assert!(e.starts_with("LAKEWATCH_RULER_LEASE_TTL: "), "{e}");
        let e =
            RulerOptions::from_lookup(|k| (k == "LAKEWATCH_RULER_CONCURRENCY").then(|| "0".into()))
                .unwrap_err();
        assert!(e.contains("positive integer"), "{e}");
    }
}
