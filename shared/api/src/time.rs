//! Prometheus request time and duration parameters (`web/api/v1/api.go` `parseTime`,
//! `parseDuration`). Everything is returned in **milliseconds**.

/// Prometheus `MinTime` in milliseconds (`time.Unix(math.MinInt64/1000+62135596801, 0)`).
pub const MIN_TIME_MS: i64 = -9_223_309_901_257_974_000;
/// Prometheus `MaxTime` in milliseconds (`time.Unix(math.MaxInt64/1000-62135596801, 999999999)`).
pub const MAX_TIME_MS: i64 = 9_223_309_901_257_974_999;
/// `MinTime` as Prometheus formats it (clients send it back for an open bound).
pub const MIN_TIME_FORMATTED: &str = "-292273086-05-16T16:47:06Z";
/// `MaxTime` as Prometheus formats it.
pub const MAX_TIME_FORMATTED: &str = "292277025-08-18T07:12:54.999999999Z";

/// Parses a request timestamp into ms since the epoch, as Prometheus `parseTime`:
/// float Unix seconds (fraction rounded to ms), RFC3339 (with optional fraction), or the
/// formatted `MinTime`/`MaxTime`. Out-of-range floats (for example milliseconds sent where
/// seconds are expected, as Grafana's exemplar probe does) are clamped to
/// `[MIN_TIME_MS, MAX_TIME_MS]` instead of failing.
///
/// Error text: `cannot parse "<s>" to a valid timestamp`.
pub fn parse_time(s: &str) -> Result<i64, String> {
    let err = || format!("cannot parse {s:?} to a valid timestamp");
    if let Some(f) = parse_go_float(s) {
        if f.is_nan() {
            return Err(err());
        }
        return Ok(float_secs_to_ms(f));
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp_millis());
    }
    match s {
        MIN_TIME_FORMATTED => Ok(MIN_TIME_MS),
        MAX_TIME_FORMATTED => Ok(MAX_TIME_MS),
        _ => Err(err()),
    }
}

/// Prometheus `parseTimeParam`: like [`parse_time`], but an absent or empty parameter gives
/// `default_ms` and errors read `invalid time value for '<name>': cannot parse …`.
pub fn parse_time_param(name: &str, s: Option<&str>, default_ms: i64) -> Result<i64, String> {
    match s {
        None | Some("") => Ok(default_ms),
        Some(s) => parse_time(s).map_err(|e| format!("invalid time value for '{name}': {e}")),
    }
}

/// Go's `strconv.ParseFloat` subset: decimal/exponent floats plus `Inf`/`NaN` spellings.
fn parse_go_float(s: &str) -> Option<f64> {
    let t = s.trim_start_matches(['+', '-']);
    let lower = t.to_ascii_lowercase();
    if matches!(lower.as_str(), "inf" | "infinity" | "nan") {
        return s.parse::<f64>().ok();
    }
    // Rust accepts the same decimal grammar; reject anything with letters other than e/E.
    if t.is_empty()
        || !t
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return None;
    }
    s.parse::<f64>().ok()
}

/// Float seconds to ms exactly as Go does it: `s, ns := math.Modf(t)`,
/// `ns = math.Round(ns*1000)/1000`, `time.Unix(int64(s), int64(ns*1e9))`, then
/// `timestamp.FromTime`. Saturates to `[MIN_TIME_MS, MAX_TIME_MS]`.
fn float_secs_to_ms(f: f64) -> i64 {
    if f.is_infinite() || f.abs() >= 9.2e15 {
        return if f > 0.0 { MAX_TIME_MS } else { MIN_TIME_MS };
    }
    let secs = f.trunc();
    let frac = ((f - secs) * 1000.0).round() / 1000.0;
    let nanos = (frac * 1e9) as i128;
    let total_ns = secs as i128 * 1_000_000_000 + nanos;
    let ms =
        total_ns.div_euclid(1_000_000_000) * 1000 + total_ns.rem_euclid(1_000_000_000) / 1_000_000;
    ms.clamp(MIN_TIME_MS as i128, MAX_TIME_MS as i128) as i64
}

/// Parses a request duration into ms, as Prometheus's API `parseDuration`: float seconds
/// (`"15"`, `"0.5"`) or a Prometheus duration (`5m`, `1h30m`, `1d`, `1w`, `1y`, `100ms`).
/// Error text: `cannot parse "<s>" to a valid duration` (plus `. It overflows int64`).
pub fn parse_duration(s: &str) -> Result<i64, String> {
    if let Some(f) = parse_go_float(s) {
        let ns = f * 1e9;
        if !(ns.is_finite()) || ns >= i64::MAX as f64 || ns <= i64::MIN as f64 {
            return Err(format!(
                "cannot parse {s:?} to a valid duration. It overflows int64"
            ));
        }
        // time.Duration is ns; the engine works in ms (truncation as Go's Duration.Milliseconds()).
        return Ok((ns as i64) / 1_000_000);
    }
    parse_prom_duration(s).ok_or_else(|| format!("cannot parse {s:?} to a valid duration"))
}

/// Prometheus `model.ParseDuration`: units in the order `y w d h m s ms`, each at most once,
/// integer amounts; `"0"` is zero. Returns ms, `None` if invalid or overflowing.
pub fn parse_prom_duration(s: &str) -> Option<i64> {
    if s == "0" {
        return Some(0);
    }
    if s.is_empty() {
        return None;
    }
    const UNITS: [(&str, i64); 7] = [
        ("y", 365 * 24 * 3_600_000),
        ("w", 7 * 24 * 3_600_000),
        ("d", 24 * 3_600_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1000),
        ("ms", 1),
    ];
    let b = s.as_bytes();
    let mut i = 0;
    let mut next_unit = 0; // index into UNITS: units must appear in order
    let mut total: i64 = 0;
    while i < b.len() {
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if start == i {
            return None;
        }
        let n: i64 = s[start..i].parse().ok()?;
        let ustart = i;
        while i < b.len() && b[i].is_ascii_alphabetic() {
            i += 1;
        }
        let unit = &s[ustart..i];
        let pos = UNITS[next_unit..].iter().position(|(u, _)| *u == unit)? + next_unit;
        next_unit = pos + 1;
        total = total.checked_add(n.checked_mul(UNITS[pos].1)?)?;
    }
    // Durations are ns in Go: reject what would overflow there.
    if total > i64::MAX / 1_000_000 {
        return None;
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(parse_time("1562529662.324"), Ok(1562529662324));
        assert_eq!(parse_time("4"), Ok(4000));
        assert_eq!(parse_time("-1.5"), Ok(-1500));
        assert_eq!(parse_time("1700000000000"), Ok(1_700_000_000_000_000));
        assert_eq!(parse_time("2019-07-07T20:01:02Z"), Ok(1562529662000));
        assert_eq!(parse_time("2019-07-07T20:47:40+03:00"), Ok(1562521660000));
        assert_eq!(parse_time("2020-02-21T16:07:49.433Z"), Ok(1582301269433));
        assert_eq!(parse_time(MIN_TIME_FORMATTED), Ok(MIN_TIME_MS));
        assert_eq!(parse_time(MAX_TIME_FORMATTED), Ok(MAX_TIME_MS));
        assert_eq!(parse_time("1e300"), Ok(MAX_TIME_MS));
        assert!(parse_time("abc").is_err());
        assert_eq!(
            parse_time("x").unwrap_err(),
            "cannot parse \"x\" to a valid timestamp"
        );
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("15"), Ok(15000));
        assert_eq!(parse_duration("0.5"), Ok(500));
        assert_eq!(parse_duration("5m"), Ok(300_000));
        assert_eq!(parse_duration("1h30m"), Ok(5_400_000));
        assert_eq!(parse_duration("1d"), Ok(86_400_000));
        assert_eq!(parse_duration("100ms"), Ok(100));
        assert_eq!(parse_duration("1w"), Ok(604_800_000));
        assert_eq!(parse_duration("1y"), Ok(31_536_000_000));
        assert_eq!(parse_duration("0"), Ok(0));
        assert!(parse_duration("").is_err());
        assert!(parse_duration("5x").is_err());
        assert!(parse_duration("1m1h").is_err());
        assert!(parse_duration("1e30").is_err());
    }
}
