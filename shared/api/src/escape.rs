//! Prometheus label-name escaping in URLs (`model.UnescapeName` with
//! `ValueEncodingEscaping`): `U__` + name where `_` is written `__` and any other character
//! outside `[A-Za-z0-9:]` as `_<hex code point>_`.

/// Unescapes a `U__`-escaped name; names without the prefix, and invalid escapes, are
/// returned unchanged (as Prometheus does).
pub fn unescape_name(name: &str) -> String {
    let Some(escaped) = name.strip_prefix("U__") else {
        return name.to_string();
    };
    let b = escaped.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'_' {
            out.push(b[i]);
            i += 1;
            continue;
        }
        i += 1;
        if i >= b.len() {
            return name.to_string();
        }
        if b[i] == b'_' {
            out.push(b'_');
            i += 1;
            continue;
        }
        let mut val: u32 = 0;
        let mut digits = 0;
        loop {
            if i >= b.len() || digits >= 6 && b[i] != b'_' {
                return name.to_string();
            }
            if b[i] == b'_' {
                let Some(c) = char::from_u32(val) else {
                    return name.to_string();
                };
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                i += 1;
                break;
            }
            let d = match (b[i] as char).to_digit(16) {
                Some(d) => d,
                None => return name.to_string(),
            };
            val = val * 16 + d;
            digits += 1;
            i += 1;
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescapes() {
        assert_eq!(unescape_name("job"), "job");
        assert_eq!(unescape_name("U__http_2e_status"), "http.status");
        assert_eq!(unescape_name("U__a__b"), "a_b");
        assert_eq!(unescape_name("U__caf_e9_"), "café");
        assert_eq!(unescape_name("U__bad_zz_"), "U__bad_zz_");
        assert_eq!(unescape_name("U__trailing_"), "U__trailing_");
    }
}
