//! Go's value conversions as Loki uses them in label filters, `unwrap` and their error
//! texts (which end up in `__error_details__`): `strconv.ParseFloat`, `time.ParseDuration`
//! and go-humanize's `ParseBytes` (v1.0.1).

pub use crate::template::go::go_quote;

/// `strconv.ParseFloat(s, 64)`. Errors read
/// `strconv.ParseFloat: parsing "<s>": invalid syntax` (or `value out of range`).
/// Accepts decimal literals with optional sign and exponent, `_` digit separators,
/// `inf`/`infinity`/`nan` in any case (no sign on `nan`). Hexadecimal floats are not
/// supported (an error here).
pub fn parse_float(s: &str) -> Result<f64, String> {
    let syntax = || {
        format!(
            "strconv.ParseFloat: parsing {}: invalid syntax",
            go_quote(s)
        )
    };
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    let lower = unsigned.to_ascii_lowercase();
    if lower == "inf" || lower == "infinity" {
        return Ok(if s.starts_with('-') {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        });
    }
    if lower == "nan" {
        return if unsigned.len() == s.len() {
            Ok(f64::NAN)
        } else {
            Err(syntax())
        };
    }
    if unsigned.is_empty()
        || !unsigned
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-' | b'_'))
        || !unsigned.bytes().any(|b| b.is_ascii_digit())
    {
        return Err(syntax());
    }
    let cleaned: String = if s.contains('_') {
        if !underscores_ok(unsigned) {
            return Err(syntax());
        }
        s.chars().filter(|c| *c != '_').collect()
    } else {
        s.to_string()
    };
    match cleaned.parse::<f64>() {
        Ok(v) if v.is_infinite() => Err(format!(
            "strconv.ParseFloat: parsing {}: value out of range",
            go_quote(s)
        )),
        Ok(v) => Ok(v),
        Err(_) => Err(syntax()),
    }
}

/// Go's `underscoreOK`: `_` only between digits.
fn underscores_ok(s: &str) -> bool {
    let mut saw = '^';
    for b in s.bytes() {
        if b.is_ascii_digit() {
            saw = '0';
        } else if b == b'_' {
            if saw != '0' {
                return false;
            }
            saw = '_';
        } else {
            if saw == '_' {
                return false;
            }
            saw = '!';
        }
    }
    saw != '_'
}

/// `time.ParseDuration`: `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+` with units `ns us µs μs ms s m h`,
/// or `0`. Returns nanoseconds. Errors: `time: invalid duration "<s>"`,
/// `time: missing unit in duration "<s>"`, `time: unknown unit "<u>" in duration "<s>"`.
pub fn parse_duration(orig: &str) -> Result<i64, String> {
    let invalid = || format!("time: invalid duration {}", go_quote(orig));
    let mut s = orig;
    let mut neg = false;
    if let Some(c) = s.chars().next() {
        if c == '-' || c == '+' {
            neg = c == '-';
            s = &s[1..];
        }
    }
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    let mut d: u64 = 0;
    while !s.is_empty() {
        let b = s.as_bytes();
        if !(b[0] == b'.' || b[0].is_ascii_digit()) {
            return Err(invalid());
        }
        // Integer part; overflow is an error.
        let int_len = b.iter().take_while(|c| c.is_ascii_digit()).count();
        let mut v: u64 = 0;
        for c in &b[..int_len] {
            v = v
                .checked_mul(10)
                .and_then(|x| x.checked_add(u64::from(c - b'0')))
                .filter(|x| *x <= 1 << 63)
                .ok_or_else(invalid)?;
        }
        let pre = int_len > 0;
        s = &s[int_len..];
        // Fraction; digits beyond u64 precision are dropped.
        let mut f: u64 = 0;
        let mut scale = 1.0f64;
        let mut post = false;
        if s.starts_with('.') {
            s = &s[1..];
            let fb = s.as_bytes();
            let n = fb.iter().take_while(|c| c.is_ascii_digit()).count();
            let mut overflow = false;
            for c in &fb[..n] {
                if overflow {
                    continue;
                }
                if f > (i64::MAX as u64) / 10 {
                    overflow = true;
                    continue;
                }
                let y = f * 10 + u64::from(c - b'0');
                if y > 1 << 63 {
                    overflow = true;
                    continue;
                }
                f = y;
                scale *= 10.0;
            }
            post = n > 0;
            s = &s[n..];
        }
        if !pre && !post {
            return Err(invalid());
        }
        let unit_len = s
            .char_indices()
            .find(|(_, c)| *c == '.' || c.is_ascii_digit())
            .map(|(i, _)| i)
            .unwrap_or(s.len());
        if unit_len == 0 {
            return Err(format!("time: missing unit in duration {}", go_quote(orig)));
        }
        let u = &s[..unit_len];
        s = &s[unit_len..];
        let unit: u64 = match u {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => {
                return Err(format!(
                    "time: unknown unit {} in duration {}",
                    go_quote(u),
                    go_quote(orig)
                ))
            }
        };
        if v > (1u64 << 63) / unit {
            return Err(invalid());
        }
        v *= unit;
        if f > 0 {
            v += (f as f64 * (unit as f64 / scale)) as u64;
            if v > 1 << 63 {
                return Err(invalid());
            }
        }
        d = d
            .checked_add(v)
            .filter(|x| *x <= 1 << 63)
            .ok_or_else(invalid)?;
    }
    if neg {
        return Ok((d as i64).wrapping_neg());
    }
    if d > i64::MAX as u64 {
        return Err(invalid());
    }
    Ok(d as i64)
}

/// Go's `Duration.Seconds()` of `ns` nanoseconds.
pub fn duration_seconds(ns: i64) -> f64 {
    let sec = ns / 1_000_000_000;
    let nsec = ns % 1_000_000_000;
    sec as f64 + nsec as f64 / 1e9
}

/// go-humanize `ParseBytes`: a number (digits, `.`, `,` separators) then an optional unit
/// (`b`, `k`/`kb`, `ki`/`kib`, … up to `e`/`eb`/`ei`/`eib`, any case, spaces allowed).
/// Errors: the `strconv.ParseFloat` error of the number part, `unhandled size name: <u>`,
/// `too large: <s>`.
pub fn parse_bytes(s: &str) -> Result<u64, String> {
    let num_len = s
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || *c == '.' || *c == ','))
        .map(|(i, _)| i)
        .unwrap_or(s.len());
    let num: String = s[..num_len].chars().filter(|c| *c != ',').collect();
    let f = parse_float(&num)?;
    let extra = s[num_len..].trim().to_lowercase();
    const K: u64 = 1000;
    const KI: u64 = 1024;
    let mult: u64 = match extra.as_str() {
        "" | "b" => 1,
        "k" | "kb" => K,
        "ki" | "kib" => KI,
        "m" | "mb" => K.pow(2),
        "mi" | "mib" => KI.pow(2),
        "g" | "gb" => K.pow(3),
        "gi" | "gib" => KI.pow(3),
        "t" | "tb" => K.pow(4),
        "ti" | "tib" => KI.pow(4),
        "p" | "pb" => K.pow(5),
        "pi" | "pib" => KI.pow(5),
        "e" | "eb" => K.pow(6),
        "ei" | "eib" => KI.pow(6),
        _ => return Err(format!("unhandled size name: {extra}")),
    };
    let v = f * mult as f64;
    if v >= u64::MAX as f64 {
        return Err(format!("too large: {s}"));
    }
    Ok(v as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats() {
        assert_eq!(parse_float("1.5"), Ok(1.5));
        assert_eq!(parse_float("1_000"), Ok(1000.0));
        assert_eq!(parse_float("-Inf"), Ok(f64::NEG_INFINITY));
        assert!(parse_float("NaN").unwrap().is_nan());
        assert_eq!(
            parse_float("not_a_number"),
            Err("strconv.ParseFloat: parsing \"not_a_number\": invalid syntax".into())
        );
        assert_eq!(
            parse_float("1e400"),
            Err("strconv.ParseFloat: parsing \"1e400\": value out of range".into())
        );
        assert!(parse_float(" 1").is_err());
        assert!(parse_float("").is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1h30m"), Ok(5_400_000_000_000));
        assert_eq!(parse_duration("1.5s"), Ok(1_500_000_000));
        assert_eq!(parse_duration("-2ms"), Ok(-2_000_000));
        assert_eq!(parse_duration("0"), Ok(0));
        assert_eq!(parse_duration("3µs"), Ok(3_000));
        assert_eq!(
            parse_duration("2weeeeee"),
            Err("time: unknown unit \"weeeeee\" in duration \"2weeeeee\"".into())
        );
        assert_eq!(
            parse_duration("1"),
            Err("time: missing unit in duration \"1\"".into())
        );
        assert_eq!(
            parse_duration("not_a_number"),
            Err("time: invalid duration \"not_a_number\"".into())
        );
        assert_eq!(duration_seconds(1_500_000_000), 1.5);
    }

    #[test]
    fn bytes() {
        assert_eq!(parse_bytes("42MB"), Ok(42_000_000));
        assert_eq!(parse_bytes("42 mib"), Ok(44_040_192));
        assert_eq!(parse_bytes("1,024"), Ok(1024));
        assert_eq!(parse_bytes("10"), Ok(10));
        assert_eq!(parse_bytes("2qb"), Err("unhandled size name: qb".into()));
        assert_eq!(
            parse_bytes("b"),
            Err("strconv.ParseFloat: parsing \"\": invalid syntax".into())
        );
    }
}
