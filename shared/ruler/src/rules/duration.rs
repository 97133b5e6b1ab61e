//! Prometheus durations (`model.Duration` of prometheus/common): `1y2w3d4h5m6s7ms`, units in
//! that order, each at most once, integers only; `0` alone is allowed. A year is 365 days and a
//! week 7 days. Printed back the same way (`1h30m`, `1d`, `0s`).

use std::time::Duration;

/// Units in the order they must appear, with their length in ms.
const UNITS: &[(&str, u64)] = &[
    ("y", 365 * 24 * 3_600_000),
    ("w", 7 * 24 * 3_600_000),
    ("d", 24 * 3_600_000),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1_000),
    ("ms", 1),
];

/// Parses a Prometheus duration. Errors are prometheus/common's texts:
/// `empty duration string`, `not a valid duration string: "5x"`, `duration out of range`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    match s {
        "0" => return Ok(Duration::ZERO),
        "" => return Err("empty duration string".to_string()),
        _ => {}
    }
    let invalid = || format!("not a valid duration string: {s:?}");
    let mut rest = s;
    let mut next_unit = 0usize;
    let mut total_ms: u128 = 0;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(invalid());
        }
        let (num, tail) = rest.split_at(digits);
        // "ms" before "m": longest unit name first.
        let unit_len = if tail.starts_with("ms") {
            2
        } else {
            tail.chars().next().map_or(0, char::len_utf8)
        };
        let unit = &tail[..unit_len];
        let idx = UNITS[next_unit..]
            .iter()
            .position(|(u, _)| *u == unit)
            .map(|i| i + next_unit)
            .ok_or_else(invalid)?;
        let n: u128 = num
            .parse()
            .map_err(|_| "duration out of range".to_string())?;
        total_ms += n * u128::from(UNITS[idx].1);
        if total_ms > (i64::MAX as u128) / 1_000_000 {
            return Err("duration out of range".to_string());
        }
        next_unit = idx + 1;
        rest = &tail[unit_len..];
    }
    Ok(Duration::from_millis(total_ms as u64))
}

/// Formats as prometheus/common's `Duration.String()`: largest units first, `0s` for zero.
pub fn format_duration(d: Duration) -> String {
    let mut ms = d.as_millis() as u64;
    if ms == 0 {
        return "0s".to_string();
    }
    let mut out = String::new();
    for (unit, len) in UNITS {
        // Prometheus prints years and weeks only when the remainder is a whole number of them.
        if (*unit == "y" || *unit == "w") && !ms.is_multiple_of(*len) {
            continue;
        }
        let n = ms / len;
        if n > 0 {
            out.push_str(&format!("{n}{unit}"));
            ms -= n * len;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_prometheus_forms() {
        let ms = |s| parse_duration(s).map(|d| d.as_millis() as u64);
        assert_eq!(ms("0"), Ok(0));
        assert_eq!(ms("1h30m"), Ok(5_400_000));
        assert_eq!(ms("1d"), Ok(86_400_000));
        assert_eq!(ms("1s500ms"), Ok(1_500));
        assert_eq!(ms("01m"), Ok(60_000));
        assert!(ms("1y2w3d4h5m6s7ms").is_ok());
        assert_eq!(ms("5"), Err("not a valid duration string: \"5\"".into()));
        assert_eq!(
            ms("1m1h"),
            Err("not a valid duration string: \"1m1h\"".into())
        );
        assert_eq!(
            ms("1h1h"),
            Err("not a valid duration string: \"1h1h\"".into())
        );
        assert_eq!(
            ms("-1m"),
            Err("not a valid duration string: \"-1m\"".into())
        );
        assert_eq!(ms("1M"), Err("not a valid duration string: \"1M\"".into()));
        assert_eq!(
            ms("1.5m"),
            Err("not a valid duration string: \"1.5m\"".into())
        );
        assert_eq!(ms("99999999999y"), Err("duration out of range".into()));
        assert_eq!(ms(""), Err("empty duration string".into()));
    }

    #[test]
    fn formats_like_prometheus() {
        let f = |ms| format_duration(Duration::from_millis(ms));
        assert_eq!(f(0), "0s");
        assert_eq!(f(5_400_000), "1h30m");
        assert_eq!(f(86_400_000), "1d");
        assert_eq!(f(7 * 86_400_000), "1w");
        assert_eq!(f(8 * 86_400_000), "8d");
        assert_eq!(f(1_500), "1s500ms");
    }
}
