//! Go/Prometheus text forms promtool's messages use: `time.Duration.String()`,
//! `labels.Labels.String()`, `strconv.FormatFloat(v, 'E', -1, 64)`, `indentLines`.

use lakewatch_model::Labels;

use crate::rules::go_quote;

/// Go's `time.Duration.String()` for a duration in ms: `0s`, `500ms`, `5m0s`, `1h0m0s`,
/// `1m30.5s`.
pub fn go_duration(ms: i64) -> String {
    if ms == 0 {
        return "0s".into();
    }
    let neg = ms < 0;
    let abs = ms.unsigned_abs();
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if abs < 1000 {
        out.push_str(&format!("{abs}ms"));
        return out;
    }
    let h = abs / 3_600_000;
    let m = (abs / 60_000) % 60;
    let s = (abs / 1000) % 60;
    let frac = abs % 1000;
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if h > 0 || m > 0 {
        out.push_str(&format!("{m}m"));
    }
    out.push_str(&s.to_string());
    if frac > 0 {
        let f = format!("{frac:03}");
        out.push('.');
        out.push_str(f.trim_end_matches('0'));
    }
    out.push('s');
    out
}

/// Prometheus's `labels.Labels.String()`: `{__name__="up", job="x"}` (values Go-quoted).
pub fn labels_string(l: &Labels) -> String {
    let parts: Vec<String> = l
        .iter()
        .map(|x| format!("{}={}", x.name, go_quote(&x.value)))
        .collect();
    format!("{{{}}}", parts.join(", "))
}

/// Go's `strconv.FormatFloat(v, 'E', -1, 64)`: `1E+00`, `2.5E-01`, `NaN`, `+Inf`.
pub fn go_float_e(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    let s = format!("{v:E}");
    let (mant, exp) = s.split_once('E').unwrap_or((s.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mant}E{sign}{:02}", exp.unsigned_abs())
}

/// promtool's `indentLines`: every line but the first gets `indent`.
pub fn indent_lines(lines: &str, indent: &str) -> String {
    let parts: Vec<&str> = lines.split('\n').collect();
    let mut out = String::new();
    for (i, l) in parts.iter().enumerate() {
        if i > 0 {
            out.push_str(indent);
        }
        out.push_str(l);
        if i != parts.len() - 1 {
            out.push('\n');
        }
    }
    out
}

/// promtool's `labelsAndAnnotations.String()`.
pub fn alerts_string(list: &[(Labels, Labels)]) -> String {
    if list.is_empty() {
        return "[]".into();
    }
    let one = |(l, a): &(Labels, Labels)| {
        format!(
            "Labels:{}\nAnnotations:{}",
            labels_string(l),
            labels_string(a)
        )
    };
    let mut s = format!(
        "[\n0:{}",
        indent_lines(&format!("\n{}", one(&list[0])), "  ")
    );
    for (i, x) in list[1..].iter().enumerate() {
        s.push_str(&format!(
            ",\n{}:{}",
            i + 1,
            indent_lines(&format!("\n{}", one(x)), "  ")
        ));
    }
    s.push_str("\n]");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_forms() {
        assert_eq!(go_duration(0), "0s");
        assert_eq!(go_duration(300_000), "5m0s");
        assert_eq!(go_duration(3_600_000), "1h0m0s");
        assert_eq!(go_duration(90_500), "1m30.5s");
        assert_eq!(go_duration(250), "250ms");
        assert_eq!(go_float_e(1.0), "1E+00");
        assert_eq!(go_float_e(0.25), "2.5E-01");
        assert_eq!(go_float_e(123.456), "1.23456E+02");
        assert_eq!(go_float_e(1e100), "1E+100");
        assert_eq!(go_float_e(f64::NEG_INFINITY), "-Inf");
        let l = Labels::from_pairs([("__name__", "up"), ("job", "a\"b")]);
        assert_eq!(labels_string(&l), r#"{__name__="up", job="a\"b"}"#);
        assert_eq!(indent_lines("a\nb\nc", "  "), "a\n  b\n  c");
    }
}
