//! Loki request parameters (`pkg/loghttp/params.go`): timestamps, bounds, step, interval,
//! limit and direction. Times and durations are **nanoseconds**; error texts are Loki's.

use crate::params::Params;
use crate::time::parse_prom_duration;
use lakewatch_logql::eval::Direction;

/// Loki's default `limit` of log queries.
pub const DEFAULT_LIMIT: usize = 100;
/// Default range of `query_range` and most endpoints (`defaultSince`, 1 h).
pub const DEFAULT_SINCE_NS: i64 = 3_600 * 1_000_000_000;
/// Default range of `labels` and `label/<name>/values` (Loki docs: 6 hours).
pub const LABELS_DEFAULT_SINCE_NS: i64 = 6 * 3_600 * 1_000_000_000;

/// Loki's error when the end precedes the start.
pub const END_BEFORE_START: &str = "end timestamp must not be before or equal to start time";
/// Loki's error for a step ≤ 0.
pub const ZERO_STEP: &str =
    "zero or negative query resolution step widths are not accepted. Try a positive integer";
/// Loki's error for more than 11,000 points.
pub const STEP_TOO_SMALL: &str = "exceeded maximum resolution of 11,000 points per time series. Try increasing the value of the step parameter";

/// Now in nanoseconds since the epoch.
pub fn now_ns() -> i64 {
    chrono::Utc::now().timestamp_nanos_opt().unwrap_or(i64::MAX)
}

/// Go's `strconv.ParseInt(s, 10, 64)` error text.
fn parse_int_error(func: &str, s: &str) -> String {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    let kind = if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        "value out of range"
    } else {
        "invalid syntax"
    };
    format!("strconv.{func}: parsing {s:?}: {kind}")
}

/// Go's `strconv.ParseFloat` subset: decimal floats with optional exponent, `Inf`, `NaN`.
fn parse_go_float(s: &str) -> Option<f64> {
    let t = s.trim_start_matches(['+', '-']);
    let lower = t.to_ascii_lowercase();
    if matches!(lower.as_str(), "inf" | "infinity" | "nan") {
        return s.to_ascii_lowercase().parse::<f64>().ok();
    }
    if t.is_empty()
        || !t
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return None;
    }
    s.parse::<f64>().ok()
}

/// Loki `parseTimestamp`: empty → `default_ns`; a value containing `.` that parses as a
/// float → Unix seconds (fraction rounded to ms); an integer of at most 10 characters → Unix
/// seconds, longer → nanoseconds; else RFC3339 / RFC3339Nano. Results saturate to `i64`.
///
/// Error text (Go's): `strconv.ParseInt: parsing "<v>": invalid syntax`.
pub fn parse_timestamp(value: &str, default_ns: i64) -> Result<i64, String> {
    if value.is_empty() {
        return Ok(default_ns);
    }
    if value.contains('.') {
        if let Some(f) = parse_go_float(value) {
            if f.is_nan() {
                return Ok(0);
            }
            let secs = f.trunc();
            let frac = ((f - secs) * 1000.0).round() / 1000.0;
            let ns = secs as i128 * 1_000_000_000 + (frac * 1e9) as i128;
            return Ok(ns.clamp(i64::MIN as i128, i64::MAX as i128) as i64);
        }
    }
    match value.parse::<i64>() {
        Ok(n) if value.len() <= 10 => Ok(n.saturating_mul(1_000_000_000)),
        Ok(n) => Ok(n),
        Err(_) => match chrono::DateTime::parse_from_rfc3339(value) {
            Ok(t) => Ok(t.timestamp_nanos_opt().unwrap_or(if t.timestamp() < 0 {
                i64::MIN
            } else {
                i64::MAX
            })),
            Err(_) => Err(parse_int_error("ParseInt", value)),
        },
    }
}

/// Loki `parseSecondsOrDuration`: float seconds or a Prometheus duration (`5m`, `1000ms`),
/// in ns. Errors: `cannot parse "<v>" to a valid duration` (`. It overflows int64`).
pub fn parse_seconds_or_duration(value: &str) -> Result<i64, String> {
    if let Some(f) = parse_go_float(value) {
        let ns = f * 1e9;
        if ns > i64::MAX as f64 || ns < i64::MIN as f64 {
            return Err(format!(
                "cannot parse {value:?} to a valid duration. It overflows int64"
            ));
        }
        return Ok(ns as i64);
    }
    parse_prom_duration(value)
        .map(|ms| ms * 1_000_000)
        .ok_or_else(|| format!("cannot parse {value:?} to a valid duration"))
}

/// Loki `determineBounds`: `end` defaults to now; `start` to `min(end, now) - since`
/// (`since` a Prometheus duration, default `default_since_ns`). Errors are wrapped as
/// `could not parse 'start' parameter: …`.
pub fn bounds(p: &Params, default_since_ns: i64, now: i64) -> Result<(i64, i64), String> {
    bounds_with(p, default_since_ns, now, parse_timestamp)
}

/// [`bounds`] with another timestamp parser (`(value, default_ns) -> ns`): Tempo's
/// `determineBounds` is Loki's with Tempo's `parseTimestamp`.
pub fn bounds_with(
    p: &Params,
    default_since_ns: i64,
    now: i64,
    parse_timestamp: fn(&str, i64) -> Result<i64, String>,
) -> Result<(i64, i64), String> {
    let since = match p.value("since") {
        "" => default_since_ns,
        s => parse_prom_duration(s)
            .map(|ms| ms.saturating_mul(1_000_000))
            .ok_or_else(|| {
                format!("could not parse 'since' parameter: not a valid duration string: {s:?}")
            })?,
    };
    let end = parse_timestamp(p.value("end"), now)
        .map_err(|e| format!("could not parse 'end' parameter: {e}"))?;
    let end_or_now = end.min(now);
    let start = parse_timestamp(p.value("start"), end_or_now.saturating_sub(since))
        .map_err(|e| format!("could not parse 'start' parameter: {e}"))?;
    Ok((start, end))
}

/// Loki `defaultQueryRangeStep`: `max(floor(range_s / 250), 1)` seconds, in ns.
pub fn default_step_ns(start: i64, end: i64) -> i64 {
    let secs = ((end as f64 - start as f64) / 1e9 / 250.0).floor().max(1.0);
    (secs as i64).saturating_mul(1_000_000_000)
}

/// `step` (default [`default_step_ns`]), checked > 0 and at most `max_points` points.
pub fn step(p: &Params, start: i64, end: i64, max_points: i64) -> Result<i64, String> {
    let step = match p.value("step") {
        "" => default_step_ns(start, end),
        s => parse_seconds_or_duration(s)?,
    };
    if step <= 0 {
        return Err(ZERO_STEP.into());
    }
    if (end as i128 - start as i128) / step as i128 > max_points as i128 {
        return Err(STEP_TOO_SMALL.into());
    }
    Ok(step)
}

/// `interval` (default 0); must be ≥ 0 (`interval must be >= 0`).
pub fn interval(p: &Params) -> Result<i64, String> {
    let i = match p.value("interval") {
        "" => 0,
        s => parse_seconds_or_duration(s)?,
    };
    if i < 0 {
        return Err("interval must be >= 0".into());
    }
    Ok(i)
}

/// Go `strconv.Atoi` with a default for the empty string.
pub fn parse_int(value: &str, default: i64) -> Result<i64, String> {
    if value.is_empty() {
        return Ok(default);
    }
    value
        .parse::<i64>()
        .map_err(|_| parse_int_error("Atoi", value))
}

/// Loki `limit`: default 100, must be > 0 (`limit must be a positive value`).
pub fn limit(p: &Params, name: &str, default: usize) -> Result<usize, String> {
    let l = parse_int(p.value(name), default as i64)?;
    if l <= 0 {
        return Err("limit must be a positive value".into());
    }
    if l > u32::MAX as i64 {
        return Err(format!(
            "{name} value {l} is out of range [0, {}]",
            u32::MAX
        ));
    }
    Ok(l as usize)
}

/// Loki `direction`: case-insensitive `forward|backward`, default backward.
/// Error: `invalid direction '<v>'`.
pub fn direction(p: &Params) -> Result<Direction, String> {
    match p.value("direction").to_ascii_uppercase().as_str() {
        "" | "BACKWARD" => Ok(Direction::Backward),
        "FORWARD" => Ok(Direction::Forward),
        _ => Err(format!("invalid direction '{}'", p.value("direction"))),
    }
}

/// Go `time.Duration.String()` of `ns` (`744h0m0s`, `1.5s`, `0s`): the one formatter shared
/// with TraceQL (`lakewatch_traceql::eval::value::go_duration`).
pub fn go_duration_string(ns: i64) -> String {
    lakewatch_traceql::eval::value::go_duration(ns)
}

/// Prometheus `model.Duration.String()` of `ns` (`30d1h`, `5m`, `0s`; years and weeks only
/// when they divide the duration exactly).
pub fn prom_duration_string(ns: i64) -> String {
    let mut ms = ns / 1_000_000;
    if ms == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    for (unit, size, exact) in [
        ("y", 365 * 86_400_000i64, true),
        ("w", 7 * 86_400_000, true),
        ("d", 86_400_000, false),
        ("h", 3_600_000, false),
        ("m", 60_000, false),
        ("s", 1000, false),
        ("ms", 1, false),
    ] {
        if exact && ms % size != 0 {
            continue;
        }
        let n = ms / size;
        if n > 0 {
            out.push_str(&format!("{n}{unit}"));
            ms -= n * size;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert_eq!(parse_timestamp("", 7), Ok(7));
        assert_eq!(
            parse_timestamp("4000000000", 0),
            Ok(4_000_000_000_000_000_000)
        );
        assert_eq!(
            parse_timestamp("1700000000000000000", 0),
            Ok(1_700_000_000_000_000_000)
        );
        assert_eq!(parse_timestamp("1.5", 0), Ok(1_500_000_000));
        assert_eq!(
            parse_timestamp("1562529662.3245", 0),
            Ok(1_562_529_662_325_000_000)
        );
        assert_eq!(
            parse_timestamp("2019-07-07T20:01:02.5Z", 0),
            Ok(1_562_529_662_500_000_000)
        );
        assert_eq!(
            parse_timestamp("abc", 0),
            Err("strconv.ParseInt: parsing \"abc\": invalid syntax".into())
        );
        assert_eq!(
            parse_timestamp("99999999999999999999", 0),
            Err("strconv.ParseInt: parsing \"99999999999999999999\": value out of range".into())
        );
    }

    #[test]
    fn durations() {
        assert_eq!(parse_seconds_or_duration("15"), Ok(15_000_000_000));
        assert_eq!(parse_seconds_or_duration("0.5"), Ok(500_000_000));
        assert_eq!(parse_seconds_or_duration("1000ms"), Ok(1_000_000_000));
        assert_eq!(parse_seconds_or_duration("5m"), Ok(300_000_000_000));
        assert!(parse_seconds_or_duration("x").is_err());
        assert_eq!(default_step_ns(0, 3_600_000_000_000), 14_000_000_000);
        assert_eq!(default_step_ns(0, 1), 1_000_000_000);
        assert_eq!(go_duration_string(744 * 3_600_000_000_000), "744h0m0s");
        assert_eq!(go_duration_string(1_500_000_000), "1.5s");
        assert_eq!(go_duration_string(90_000_000_000), "1m30s");
        assert_eq!(prom_duration_string(721 * 3_600_000_000_000), "30d1h");
        assert_eq!(prom_duration_string(14 * 86_400_000_000_000), "2w");
    }
}
