//! Go's renderings used by the rules listings: `time.Time` and `float64` as `encoding/json`
//! (and jsoniter's standard-library-compatible config, which Prometheus uses) print them,
//! `time.Duration.Seconds()`, and `strconv.ParseBool`.

use std::time::Duration;

/// Go's zero `time.Time` in JSON: the `lastEvaluation` of a never-evaluated rule or group.
pub const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

/// A millisecond timestamp as Go's `time.Time.MarshalJSON` prints a UTC time (RFC 3339 with
/// nanoseconds, trailing zeros of the fraction trimmed, `Z`): `2026-11-21T20:27:48.12Z`,
/// `2026-11-21T20:27:48Z`. `None` (never happened) is Go's zero time [`ZERO_TIME`].
pub fn go_time_ms(ms: Option<i64>) -> String {
    let Some(ms) = ms else {
        return ZERO_TIME.to_string();
    };
    let Some(t) = chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms) else {
        return ZERO_TIME.to_string();
    };
    let mut s = t.format("%Y-%m-%dT%H:%M:%S").to_string();
    let frac = ms.rem_euclid(1000);
    if frac != 0 {
        s.push('.');
        s.push_str(format!("{frac:03}").trim_end_matches('0'));
    }
    s.push('Z');
    s
}

pub use crate::format::go_json_float;

/// Go's `time.Duration(ns).Seconds()` (`float64(sec) + float64(nsec)/1e9`) printed by
/// [`go_json_float`].
fn ns_seconds(ns: i64) -> String {
    let (sec, nsec) = (ns / 1_000_000_000, ns % 1_000_000_000);
    go_json_float(sec as f64 + nsec as f64 / 1e9)
}

/// A duration in seconds as Prometheus's rules API prints `d.Seconds()`: `60`, `0.5`.
pub fn duration_seconds(d: Duration) -> String {
    ns_seconds(i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

/// A fractional millisecond duration (the ruler's `evaluation_duration_ms`) as Go prints the
/// equivalent `time.Duration`'s `Seconds()` (rounded to whole nanoseconds first).
pub fn ms_seconds(ms: f64) -> String {
    if !ms.is_finite() {
        return "0".to_string();
    }
    ns_seconds((ms * 1e6).round() as i64)
}

/// Go's `strconv.ParseBool`: `1 t T TRUE true True` / `0 f F FALSE false False`.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(go_time_ms(None), ZERO_TIME);
        assert_eq!(go_time_ms(Some(0)), "1970-01-01T00:00:00Z");
        assert_eq!(go_time_ms(Some(1_500)), "1970-01-01T00:00:01.5Z");
        assert_eq!(go_time_ms(Some(60_012)), "1970-01-01T00:01:00.012Z");
        assert_eq!(
            go_time_ms(Some(1_763_756_868_120)),
            "2025-11-21T20:27:48.12Z"
        );
    }

    #[test]
    fn floats() {
        assert_eq!(go_json_float(0.0), "0");
        assert_eq!(go_json_float(60.0), "60");
        assert_eq!(go_json_float(0.000123), "0.000123");
        assert_eq!(go_json_float(1.5e-7), "1.5e-7");
        assert_eq!(go_json_float(1e-10), "1e-10");
        assert_eq!(go_json_float(1e21), "1e+21");
        assert_eq!(duration_seconds(Duration::from_millis(1500)), "1.5");
        assert_eq!(duration_seconds(Duration::from_secs(300)), "300");
        assert_eq!(ms_seconds(0.0), "0");
        assert_eq!(ms_seconds(12.5), "0.0125");
        assert_eq!(ms_seconds(0.0001), "1e-7");
    }

    #[test]
    fn bools() {
        assert_eq!(parse_bool("true"), Some(true));
        assert_eq!(parse_bool("0"), Some(false));
        assert_eq!(parse_bool("yes"), None);
    }
}
