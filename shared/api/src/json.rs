//! A tiny JSON writer producing exactly Prometheus's bytes (Go `encoding/json` string escaping
//! with HTML escaping on, raw numbers where Prometheus writes raw numbers).

use lakewatch_model::Labels;

/// Appends `s` as a JSON string literal, escaped as Go's `encoding/json` does
/// (`"`, `\`, control characters, and `<`, `>`, `&`, U+2028, U+2029 as `\u....`).
pub fn push_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `s` as a JSON string literal.
pub fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_str(&mut out, s);
    out
}

/// Appends a label set as a JSON object with keys in label order (sorted by name).
pub fn push_labels(out: &mut String, labels: &Labels) {
    out.push('{');
    for (i, l) in labels.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_str(out, &l.name);
        out.push(':');
        push_str(out, &l.value);
    }
    out.push('}');
}

/// A JSON array of strings.
pub fn string_array<S: AsRef<str>>(items: &[S]) -> String {
    let mut out = String::from("[");
    for (i, s) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_str(&mut out, s.as_ref());
    }
    out.push(']');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_go() {
        assert_eq!(
            string("a\"b\\c\n<&>\u{1}é"),
            r#""a\"b\\c\n\u003c\u0026\u003e\u0001é""#
        );
        let l = Labels::from_pairs([("job", "x"), ("__name__", "up")]);
        let mut s = String::new();
        push_labels(&mut s, &l);
        assert_eq!(s, r#"{"__name__":"up","job":"x"}"#);
    }
}
