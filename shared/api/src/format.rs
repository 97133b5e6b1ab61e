//! Number and timestamp formatting exactly as Prometheus's JSON codec writes them
//! (`web/api/v1/json_codec.go`, `util/jsonutil`).

/// Formats a sample value the way Prometheus does (`jsonutil.MarshalFloat`): Go's
/// `strconv.AppendFloat(f, fmt, -1, 64)` with `fmt = 'e'` when `|f| < 1e-6 || |f| >= 1e21`
/// (and `f != 0`), else `'f'`. Special values: `NaN`, `+Inf`, `-Inf`.
///
/// Examples: `1` → `"1"`, `0.5` → `"0.5"`, `1e-7` → `"1e-07"`, `1e21` → `"1e+21"`.
pub fn format_value(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.to_string();
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        go_exp(f)
    } else {
        format_f(f)
    }
}

/// Go's `strconv.FormatFloat(f, 'f', -1, 64)`: shortest round-trip digits, no exponent.
/// Special values as [`format_value`]. Used for scalar results.
pub fn format_f(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.to_string();
    }
    // Rust's `Display` for f64 is the shortest round-trip representation without exponent.
    format!("{f}")
}

/// Go's `strconv.FormatFloat(f, 'e', -1, 64)`: shortest digits, `d.ddde±XX` with at least two
/// exponent digits (`1e-07`, `1.5e+21`). Also used for the `value` of `/api/v1/alerts`.
pub fn go_exp(f: f64) -> String {
    if !f.is_finite() {
        return format_f(f);
    }
    let s = format!("{f:e}");
    let (mantissa, exp) = match s.split_once('e') {
        Some(p) => p,
        None => return s,
    };
    let (sign, digits) = match exp.strip_prefix('-') {
        Some(d) => ('-', d),
        None => ('+', exp),
    };
    if digits.len() < 2 {
        format!("{mantissa}e{sign}0{digits}")
    } else {
        format!("{mantissa}e{sign}{digits}")
    }
}

/// Writes a millisecond timestamp as Prometheus writes sample timestamps: seconds as a JSON
/// number, `[-]int(|t|/1000)` then, only if the millisecond part is non-zero, `.` and exactly
/// three digits (`1435781451.781`, `1435781451`, `1.500`, `0.005`, `-1.500`).
pub fn format_timestamp_ms(ms: i64) -> String {
    let mut s = String::with_capacity(16);
    push_timestamp_ms(&mut s, ms);
    s
}

/// Appends [`format_timestamp_ms`] to `out` without allocating.
pub fn push_timestamp_ms(out: &mut String, ms: i64) {
    use std::fmt::Write;
    let abs = ms.unsigned_abs();
    let (secs, frac) = (abs / 1000, abs % 1000);
    if ms < 0 {
        out.push('-');
    }
    // Writing into a String cannot fail.
    let _ = if frac == 0 {
        write!(out, "{secs}")
    } else {
        write!(out, "{secs}.{frac:03}")
    };
}

/// Appends [`format_value`] to `out`, allocating only for the rare exponent form.
pub fn push_value(out: &mut String, f: f64) {
    use std::fmt::Write;
    let abs = f.abs();
    if f.is_finite() && (abs == 0.0 || (1e-6..1e21).contains(&abs)) {
        let _ = write!(out, "{f}");
    } else {
        out.push_str(&format_value(f));
    }
}

/// Go `encoding/json` rendering of `float64(ms)/1000` (used for scalar and string results),
/// see [`go_json_float`].
pub fn format_json_seconds(ms: i64) -> String {
    go_json_float(ms as f64 / 1000.0)
}

/// A `float64` as Go's `encoding/json` writes it: shortest round-trip digits, `'f'` format
/// inside `[1e-6, 1e21)`, else `'e'` with a one-digit negative exponent unpadded (`1.5e-7`,
/// `1e+21`). Non-finite values (which Go refuses to encode) print as `0`.
pub fn go_json_float(f: f64) -> String {
    if !f.is_finite() {
        return "0".to_string();
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let s = format!("{f:e}");
        match s.split_once('e') {
            Some((m, e)) if !e.starts_with('-') => format!("{m}e+{e}"),
            _ => s,
        }
    } else {
        format!("{f}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values() {
        assert_eq!(format_value(1.0), "1");
        assert_eq!(format_value(0.5), "0.5");
        assert_eq!(format_value(1e-7), "1e-07");
        assert_eq!(format_value(1e21), "1e+21");
        assert_eq!(format_value(1.5e300), "1.5e+300");
        assert_eq!(format_value(-2.5e-10), "-2.5e-10");
        assert_eq!(format_value(1e20), "100000000000000000000");
        assert_eq!(format_value(1e-6), "0.000001");
        assert_eq!(format_value(f64::NAN), "NaN");
        assert_eq!(format_value(f64::INFINITY), "+Inf");
        assert_eq!(format_value(f64::NEG_INFINITY), "-Inf");
        assert_eq!(format_value(0.0), "0");
        assert_eq!(format_value(-0.0), "-0");
        assert_eq!(format_value(34593.34), "34593.34");
        assert_eq!(format_f(1e-7), "0.0000001");
        assert_eq!(go_exp(1.0), "1e+00");
    }

    #[test]
    fn timestamps() {
        assert_eq!(format_timestamp_ms(1435781451781), "1435781451.781");
        assert_eq!(format_timestamp_ms(1435781451000), "1435781451");
        assert_eq!(format_timestamp_ms(1500), "1.500");
        assert_eq!(format_timestamp_ms(5), "0.005");
        assert_eq!(format_timestamp_ms(-1500), "-1.500");
        assert_eq!(format_timestamp_ms(i64::MIN), "-9223372036854775.808");
        assert_eq!(format_json_seconds(4000), "4");
        for v in [
            0.0,
            -0.0,
            1.5,
            1e-7,
            1e21,
            f64::NAN,
            f64::INFINITY,
            -3e-9,
            123456.789,
        ] {
            let mut s = String::new();
            push_value(&mut s, v);
            assert_eq!(s, format_value(v));
        }
        assert_eq!(format_json_seconds(1500), "1.5");
    }
}
