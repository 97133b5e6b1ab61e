//! Label-name sanitising of extracted keys, as Loki's `sanitizeLabelKey` /
//! `appendSanitized` (`pkg/logql/log/util.go`): trim spaces, prefix `_` when the name would
//! start with a digit, replace every character outside `[A-Za-z0-9_]` by `_` (one `_` per
//! character, also for multi-byte ones).

fn ok_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Sanitises a whole key (may return "" for an all-space key, which callers skip).
pub fn sanitize_key(key: &str) -> String {
    let key = key.trim();
    let mut out = String::with_capacity(key.len() + 1);
    if key.starts_with(|c: char| c.is_ascii_digit()) {
        out.push('_');
    }
    out.extend(key.chars().map(|c| if ok_char(c) { c } else { '_' }));
    out
}

/// Appends the sanitised `part` to `to` (the `_` digit prefix only at the very start).
pub fn append_sanitized(to: &mut String, part: &str) {
    let part = part.trim();
    if part.is_empty() {
        return;
    }
    if to.is_empty() && part.starts_with(|c: char| c.is_ascii_digit()) {
        to.push('_');
    }
    to.extend(part.chars().map(|c| if ok_char(c) { c } else { '_' }));
}

/// Prometheus' UTF-8 label-name validation, as Loki uses for extracted names: non-empty.
pub fn valid_label_name(name: &str) -> bool {
    !name.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitizes() {
        assert_eq!(sanitize_key("cou-nter"), "cou_nter");
        assert_eq!(sanitize_key(" 1a "), "_1a");
        assert_eq!(sanitize_key("ÜFT8👌"), "_FT8_");
        assert_eq!(sanitize_key("  "), "");
        let mut s = String::new();
        append_sanitized(&mut s, "foo");
        s.push('_');
        append_sanitized(&mut s, "1x");
        assert_eq!(s, "foo_1x");
    }
}
