//! Go `fmt` and standard-library text the template functions produce: `%.4g` of a
//! `float64`, `time.Time.String()`, `net.SplitHostPort` and Prometheus's
//! `model.ParseDuration`; `%v` of a float64, `strconv.Quote`, `strconv.ParseFloat` and
//! `url.QueryEscape` are re-exported from `lakewatch_logql` (shared with the LogQL templates).

use std::sync::OnceLock;

use regex::Regex;

// One implementation with the LogQL templates: Go's `%v` of a float64, `strconv.Quote`,
// `strconv.ParseFloat` and `url.QueryEscape` are the same in both template languages.
pub(crate) use lakewatch_logql::pipeline::parse_float;
use lakewatch_logql::template::go::sci_text;
pub(crate) use lakewatch_logql::template::go::{go_float, go_quote, query_escape};

/// Go's `fmt.Sprintf("%.Pg", f)`: `P` significant digits, exponent form when the exponent is
/// `< -4` or `>= P`, trailing zeros removed (`%.4g` of 1234567 is `1.235e+06`).
pub(crate) fn go_g(f: f64, prec: usize) -> String {
    if !f.is_finite() || f == 0.0 {
        return go_float(f);
    }
    let prec = prec.max(1);
    let sci = format!("{:.*e}", prec - 1, f);
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if exp < -4 || exp >= prec as i32 {
        return sci_text(trim_zeros(mantissa), exp);
    }
    let decimals = (prec as i32 - 1 - exp).max(0) as usize;
    trim_zeros(&format!("{:.*}", decimals, f)).to_string()
}

fn trim_zeros(s: &str) -> &str {
    if !s.contains('.') {
        return s;
    }
    s.trim_end_matches('0').trim_end_matches('.')
}

/// `time.Unix(0, ns).UTC().String()`: `2015-06-23 13:19:44.128 +0000 UTC` (fraction without
/// trailing zeros, none when whole).
pub(crate) fn go_time_string(ns: i64) -> String {
    // Out of chrono's range Prometheus's value is not a time we can print: empty text.
    if chrono::DateTime::from_timestamp(ns.div_euclid(1_000_000_000), 0).is_none() {
        return String::new();
    }
    lakewatch_logql::template::GoTime::from_unix_nanos(ns).go_string()
}

/// Go's `net.SplitHostPort`: `host:port`, `[v6]:port`; `None` where Go returns an error
/// (missing port, too many colons, misplaced brackets).
pub(crate) fn split_host_port(hp: &str) -> Option<(String, String)> {
    let i = hp.rfind(':')?;
    let (host, port) = (&hp[..i], &hp[i + 1..]);
    if let Some(rest) = host.strip_prefix('[') {
        // `[host]:port`: the `]` must end the host part.
        let end = rest.find(']')?;
        if end + 1 != rest.len() {
            return None;
        }
        let inner = &rest[..end];
        if port.contains('[') || port.contains(']') {
            return None;
        }
        return Some((inner.to_string(), port.to_string()));
    }
    if host.contains(':') || host.contains('[') || host.contains(']') || port.contains(']') {
        return None;
    }
    Some((host.to_string(), port.to_string()))
}

/// Go's `net.JoinHostPort`: brackets around hosts containing `:`.
pub(crate) fn join_host_port(host: &str, port: &str) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Whether `s` parses as an IP address as Go's `net.ParseIP` (IPv4 dotted quad or IPv6).
pub(crate) fn is_ip(s: &str) -> bool {
    s.parse::<std::net::IpAddr>().is_ok()
}

/// Prometheus's `model.ParseDuration` in seconds (`1h2m10ms` → 3720.01): units `y w d h m s ms`
/// in that order, each at most once, no sign; `"0"` is zero. Errors as Prometheus:
/// `empty duration string`, `not a valid duration string: "x"`, `duration out of range`.
pub(crate) fn parse_prom_duration(s: &str) -> Result<f64, String> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    if s.is_empty() {
        return Err("empty duration string".to_string());
    }
    if s == "0" {
        return Ok(0.0);
    }
    let re = RE
        .get_or_init(|| {
            Regex::new(
                r"^(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?$",
            )
            .ok()
        })
        .as_ref();
    let invalid = || format!("not a valid duration string: {}", go_quote(s));
    let caps = re.and_then(|re| re.captures(s)).ok_or_else(invalid)?;
    const UNITS_MS: [u128; 7] = [
        365 * 24 * 3_600_000,
        7 * 24 * 3_600_000,
        24 * 3_600_000,
        3_600_000,
        60_000,
        1000,
        1,
    ];
    let mut total_ms: u128 = 0;
    for (i, unit) in UNITS_MS.iter().enumerate() {
        if let Some(m) = caps.get(2 * i + 2) {
            let n: u128 = m.as_str().parse().map_err(|_| invalid())?;
            total_ms = total_ms
                .checked_add(n.saturating_mul(*unit))
                .ok_or_else(|| "duration out of range".to_string())?;
        }
    }
    // time.Duration is int64 nanoseconds.
    if total_ms.saturating_mul(1_000_000) > i64::MAX as u128 {
        return Err("duration out of range".to_string());
    }
    Ok(total_ms as f64 / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g_formats_like_go() {
        for (f, p, s) in [
            (1234567.0, 4, "1.235e+06"),
            (1.2345, 4, "1.234"),
            (12.345, 4, "12.35"),
            (0.0001, 4, "0.0001"),
            (0.00001, 4, "1e-05"),
            (100.0, 4, "100"),
            (1234.0, 4, "1234"),
            (12345.0, 4, "1.234e+04"),
            (-22.222, 4, "-22.22"),
        ] {
            assert_eq!(go_g(f, p), s, "{f}");
        }
    }

    #[test]
    fn v_formats_like_go() {
        for (f, s) in [
            (1e6, "1e+06"),
            (123456.0, "123456"),
            (1.5, "1.5"),
            (1e-5, "1e-05"),
            (1e21, "1e+21"),
        ] {
            assert_eq!(go_float(f), s);
        }
    }

    #[test]
    fn host_port() {
        assert_eq!(
            split_host_port("[::1]:80"),
            Some(("::1".to_string(), "80".to_string()))
        );
        assert_eq!(split_host_port("::1"), None);
        assert_eq!(split_host_port("a.b"), None);
        assert_eq!(split_host_port("[2001:0DB8::1]::12345"), None);
    }
}
