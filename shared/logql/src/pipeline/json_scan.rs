//! A lenient JSON scanner with the semantics of the `jsonparser` library Loki's `json` and
//! `unpack` stages use (grafana/jsonparser): objects are walked key by key, values are
//! delimited without full validation (`12abc` is a number, trailing garbage after the
//! object is ignored), and errors carry that library's messages, which Loki puts in
//! `__error_details__`.

/// Error texts of jsonparser.
pub const MALFORMED_JSON: &str = "Malformed JSON error";
/// Unterminated string value.
pub const MALFORMED_STRING: &str = "Value is string, but can't find closing '\"' symbol";
/// Unterminated array value (also jsonparser's text for a truncated object).
pub const MALFORMED_ARRAY: &str = "Value is array, but can't find closing ']' symbol";
/// Not an object / unterminated object.
pub const MALFORMED_OBJECT: &str = "Value looks like object, but can't find closing '}' symbol";
/// Unknown literal.
pub const UNKNOWN_VALUE_TYPE: &str = "Unknown value type";
/// Bad escape in a key or value.
pub const MALFORMED_STRING_ESCAPE: &str = "Encountered an invalid escape sequence in a string";

/// Value type as jsonparser reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    /// `"…"` (value given without quotes, still escaped).
    String,
    /// Anything starting with a digit or `-`.
    Number,
    /// `{…}`.
    Object,
    /// `[…]`.
    Array,
    /// `true` / `false`.
    Boolean,
    /// `null`.
    Null,
}

fn is_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\n' | b'\r' | b'\t')
}

/// Offset of the first non-whitespace byte.
fn next_token(data: &[u8]) -> Option<usize> {
    data.iter().position(|c| !is_ws(*c))
}

/// End (exclusive, just past the closing quote) of a string whose opening quote was
/// already consumed, and whether it contains escapes.
fn string_end(data: &[u8]) -> Option<(usize, bool)> {
    let mut escaped = false;
    for (i, &c) in data.iter().enumerate() {
        if c == b'"' {
            if !escaped {
                return Some((i + 1, false));
            }
            // Count the backslashes before the quote.
            let mut j = i;
            let mut n = 0;
            while j > 0 && data[j - 1] == b'\\' {
                n += 1;
                j -= 1;
            }
            if n % 2 == 0 {
                return Some((i + 1, true));
            }
        } else if c == b'\\' {
            escaped = true;
        }
    }
    None
}

/// End (exclusive) of a block starting with `open` at `data[0]`.
fn block_end(data: &[u8], open: u8, close: u8) -> Option<usize> {
    let mut level = 0i32;
    let mut i = 0;
    while i < data.len() {
        match data[i] {
            b'"' => {
                let (se, _) = string_end(&data[i + 1..])?;
                i += se;
            }
            c if c == open => level += 1,
            c if c == close => {
                level -= 1;
                if level == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

fn token_end(data: &[u8]) -> usize {
    data.iter()
        .position(|c| matches!(c, b' ' | b'\n' | b'\r' | b'\t' | b',' | b'}' | b']'))
        .unwrap_or(data.len())
}

/// jsonparser `Get(data)` without keys: the first value in `data`. Returns the value bytes
/// (strings without quotes), its type and the offset just past it.
pub fn get_value(data: &[u8]) -> Result<(&[u8], ValueType, usize), &'static str> {
    let off = next_token(data).ok_or(MALFORMED_JSON)?;
    let d = &data[off..];
    let (end, ty) = match d[0] {
        b'"' => {
            let (se, _) = string_end(&d[1..]).ok_or(MALFORMED_STRING)?;
            (se + 1, ValueType::String)
        }
        b'[' => (
            block_end(d, b'[', b']').ok_or(MALFORMED_ARRAY)?,
            ValueType::Array,
        ),
        b'{' => (
            block_end(d, b'{', b'}').ok_or(MALFORMED_OBJECT)?,
            ValueType::Object,
        ),
        c => {
            let end = token_end(d);
            let v = &d[..end];
            let ty = match c {
                b't' | b'f' if v == b"true" || v == b"false" => ValueType::Boolean,
                b'n' if v == b"null" => ValueType::Null,
                b'0'..=b'9' | b'-' => ValueType::Number,
                _ => return Err(UNKNOWN_VALUE_TYPE),
            };
            (end, ty)
        }
    };
    let value = if ty == ValueType::String {
        &d[1..end - 1]
    } else {
        &d[..end]
    };
    Ok((value, ty, off + end))
}

/// Callback of [`object_each`]: `(key, value, type)`.
pub type MemberFn<'d, 'c, E> = dyn FnMut(&str, &'d [u8], ValueType) -> Result<(), E> + 'c;

/// jsonparser `ObjectEach`: calls `cb(key, value, type)` for each member of the object at
/// the start of `data` (keys unescaped). Stops at the first error (from the scan or from
/// `cb`); members before it have already been reported.
pub fn object_each<'d, E: From<&'static str>>(
    data: &'d [u8],
    cb: &mut MemberFn<'d, '_, E>,
) -> Result<(), E> {
    let mut off = next_token(data).ok_or(MALFORMED_OBJECT)?;
    if data[off] != b'{' {
        return Err(MALFORMED_OBJECT.into());
    }
    off += 1;
    off += next_token(&data[off..]).ok_or(MALFORMED_JSON)?;
    if data[off] == b'}' {
        return Ok(());
    }
    while off < data.len() {
        match data[off] {
            b'"' => off += 1,
            b'}' => return Ok(()),
            _ => return Err(MALFORMED_OBJECT.into()),
        }
        let (se, esc) = string_end(&data[off..]).ok_or(MALFORMED_JSON)?;
        let raw_key = &data[off..off + se - 1];
        off += se;
        let key = if esc {
            unescape(raw_key).map_err(|_| MALFORMED_STRING_ESCAPE)?
        } else {
            String::from_utf8_lossy(raw_key).into_owned()
        };
        off += next_token(&data[off..]).ok_or(MALFORMED_JSON)?;
        if data[off] != b':' {
            return Err(MALFORMED_JSON.into());
        }
        off += 1;
        let (value, ty, end) = get_value(&data[off..])?;
        cb(&key, value, ty)?;
        off += end;
        off += next_token(&data[off..]).ok_or(MALFORMED_ARRAY)?;
        match data[off] {
            b'}' => return Ok(()),
            b',' => off += 1,
            _ => return Err(MALFORMED_OBJECT.into()),
        }
        off += next_token(&data[off..]).ok_or(MALFORMED_ARRAY)?;
    }
    Err(MALFORMED_OBJECT.into())
}

/// jsonparser `ArrayEach`-like walk over the array at the start of `data`: the values in
/// order (stops silently on malformed input).
pub fn array_values(data: &[u8]) -> Vec<(&[u8], ValueType)> {
    let mut out = Vec::new();
    let Some(mut off) = next_token(data) else {
        return out;
    };
    if data[off] != b'[' {
        return out;
    }
    off += 1;
    loop {
        let Some(n) = next_token(&data[off..]) else {
            return out;
        };
        off += n;
        if data[off] == b']' {
            return out;
        }
        let Ok((v, ty, end)) = get_value(&data[off..]) else {
            return out;
        };
        out.push((v, ty));
        off += end;
        let Some(n) = next_token(&data[off..]) else {
            return out;
        };
        off += n;
        match data[off] {
            b',' => off += 1,
            _ => return out,
        }
    }
}

fn hex4(b: &[u8]) -> Option<u32> {
    if b.len() < 4 {
        return None;
    }
    let s = std::str::from_utf8(&b[..4]).ok()?;
    if !s.bytes().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(s, 16).ok()
}

/// jsonparser `Unescape`: `\" \\ \/ \b \f \n \r \t \uXXXX` (surrogate pairs combined, a
/// lone surrogate becomes U+FFFD). Any other escape is an error.
pub fn unescape(b: &[u8]) -> Result<String, &'static str> {
    if !b.contains(&b'\\') {
        return Ok(String::from_utf8_lossy(b).into_owned());
    }
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c != b'\\' {
            out.push(c);
            i += 1;
            continue;
        }
        let e = *b.get(i + 1).ok_or(MALFORMED_STRING_ESCAPE)?;
        let simple = match e {
            b'"' => Some(b'"'),
            b'\\' => Some(b'\\'),
            b'/' => Some(b'/'),
            b'b' => Some(8),
            b'f' => Some(12),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            _ => None,
        };
        if let Some(s) = simple {
            out.push(s);
            i += 2;
            continue;
        }
        if e != b'u' {
            return Err(MALFORMED_STRING_ESCAPE);
        }
        let r = hex4(&b[i + 2..]).ok_or(MALFORMED_STRING_ESCAPE)?;
        let (ch, used) = if !(0xD800..=0xDFFF).contains(&r) {
            (char::from_u32(r).unwrap_or('\u{FFFD}'), 6)
        } else if r >= 0xDC00 || b.get(i + 6) != Some(&b'\\') || b.get(i + 7) != Some(&b'u') {
            ('\u{FFFD}', 6)
        } else {
            let r2 = hex4(&b[i + 8..]).ok_or(MALFORMED_STRING_ESCAPE)?;
            if !(0xDC00..=0xDFFF).contains(&r2) {
                ('\u{FFFD}', 6)
            } else {
                let c = 0x10000 + ((r - 0xD800) << 10) + (r2 - 0xDC00);
                (char::from_u32(c).unwrap_or('\u{FFFD}'), 12)
            }
        };
        let mut buf = [0u8; 4];
        out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
        i += used;
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Loki's `unescapeJSONString`: unescapes a string value ("" when the escapes are
/// invalid) and turns U+FFFD into a space.
pub fn unescape_value(b: &[u8]) -> String {
    match unescape(b) {
        Ok(s) if s.contains('\u{FFFD}') => s.replace('\u{FFFD}', " "),
        Ok(s) => s,
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Members = Vec<(String, String, ValueType)>;

    fn members(s: &str) -> (Members, Result<(), String>) {
        let mut out = Vec::new();
        let r = object_each::<String>(s.as_bytes(), &mut |k, v, t| {
            out.push((k.to_string(), String::from_utf8_lossy(v).into_owned(), t));
            Ok(())
        });
        (out, r)
    }

    #[test]
    fn walks_objects() {
        let (m, r) = members(
            r#" {"a":"b\"c", "n": 12, "o": {"x": [1, "]"]}, "t": true, "z": null} trailing"#,
        );
        assert!(r.is_ok());
        assert_eq!(m.len(), 5);
        assert_eq!(m[0], ("a".into(), "b\\\"c".into(), ValueType::String));
        assert_eq!(m[2].1, r#"{"x": [1, "]"]}"#);
        let (m, r) = members(r#"{"a":"b", "c"#);
        assert_eq!(m.len(), 1);
        assert_eq!(r, Err(MALFORMED_JSON.to_string()));
        let (_, r) = members("not json");
        assert_eq!(r, Err(MALFORMED_OBJECT.to_string()));
        let (_, r) = members(r#"{"a":{"b":1}"#);
        assert_eq!(r, Err(MALFORMED_ARRAY.to_string()));
    }

    #[test]
    fn unescapes() {
        assert_eq!(unescape(br"a\u00e9\n").unwrap(), "aé\n");
        assert_eq!(unescape(br"\ud83d\ude00").unwrap(), "😀");
        assert_eq!(unescape_value(br"\ud83d"), " ");
        assert!(unescape(br"\x").is_err());
    }
}
