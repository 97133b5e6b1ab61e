//! Encoding, regex, JSON and defaulting functions: `b64enc`, `b64dec`, `urlencode`,
//! `urldecode`, `fromJson`, `count`, `regexReplaceAll`, `regexReplaceAllLiteral`, `default`.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use base64::Engine;
use gotmpl::{FuncMap, Value};

use super::add;
use crate::template::go::query_escape;
use crate::template::value::{arity, arity_min, call_err, is_empty, str_arg, FnResult};

fn s(v: String) -> FnResult {
    Ok(Value::String(v.into()))
}

/// Go's `url.QueryUnescape` (`+` → space; a bad `%` escape is an error).
fn query_unescape(src: &str) -> Result<String, String> {
    let b = src.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = src
                    .get(i + 1..i + 3)
                    .filter(|h| h.bytes().all(|c| c.is_ascii_hexdigit()));
                let Some(hex) = hex else {
                    let bad: String = src[i..].chars().take(3).collect();
                    return Err(format!("invalid URL escape {bad:?}"));
                };
                out.push(u8::from_str_radix(hex, 16).map_err(|e| e.to_string())?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Loki's `b64dec`: pads a short input, and returns Go's error text instead of failing.
fn b64dec(v: &str) -> String {
    let mut v = v.to_string();
    let rem = v.len() % 4;
    if rem != 0 && rem != 1 {
        v.push_str(&"=".repeat(4 - rem));
    }
    match base64::engine::general_purpose::STANDARD.decode(v.as_bytes()) {
        Ok(d) => String::from_utf8_lossy(&d).into_owned(),
        Err(e) => {
            let at = match e {
                base64::DecodeError::InvalidByte(i, _) => i,
                base64::DecodeError::InvalidLastSymbol(i, _) => i,
                base64::DecodeError::InvalidLength(l) => l - l % 4,
                base64::DecodeError::InvalidPadding => v.trim_end_matches('=').len(),
            };
            format!("illegal base64 data at input byte {at}")
        }
    }
}

/// `encoding/json` into `interface{}`: objects → maps, arrays → lists, numbers → float64.
fn json_value(v: serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Nil,
        serde_json::Value::Bool(b) => Value::Bool(b),
        serde_json::Value::Number(n) => Value::Float(n.as_f64().unwrap_or(0.0)),
        serde_json::Value::String(s) => Value::String(s.into()),
        serde_json::Value::Array(a) => Value::List(a.into_iter().map(json_value).collect()),
        serde_json::Value::Object(o) => {
            let m: BTreeMap<Arc<str>, Value> = o
                .into_iter()
                .map(|(k, v)| (Arc::from(k), json_value(v)))
                .collect();
            Value::Map(Arc::new(m))
        }
    }
}

/// Compiles a Go regex (`crate::pipeline::go_regex`: Go's ASCII `\d \w \s \b`), cached per
/// thread since the functions compile their pattern on every call (as Loki does).
fn regex(name: &str, re: &str) -> Result<regex::Regex, gotmpl::TemplateError> {
    thread_local! {
        static CACHE: RefCell<HashMap<String, regex::Regex>> = RefCell::new(HashMap::new());
    }
    if let Some(r) = CACHE.with(|c| c.borrow().get(re).cloned()) {
        return Ok(r);
    }
    let compiled = crate::pipeline::go_regex::compile(re)
        .map_err(|e| call_err(name, format!("error parsing regexp: {e}")))?;
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= 64 {
            c.clear();
        }
        c.insert(re.to_string(), compiled.clone());
    });
    Ok(compiled)
}

/// Registers the encoding, regex, JSON and default functions.
pub(crate) fn register(m: &mut FuncMap) {
    add(m, "b64enc", |a| {
        arity("b64enc", a, 1)?;
        s(base64::engine::general_purpose::STANDARD.encode(str_arg(&a[0])?))
    });
    add(m, "b64dec", |a| {
        arity("b64dec", a, 1)?;
        s(b64dec(str_arg(&a[0])?))
    });
    add(m, "urlencode", |a| {
        arity("urlencode", a, 1)?;
        s(query_escape(str_arg(&a[0])?))
    });
    add(m, "urldecode", |a| {
        arity("urldecode", a, 1)?;
        s(query_unescape(str_arg(&a[0])?).map_err(|e| call_err("urldecode", e))?)
    });
    add(m, "fromJson", |a| {
        arity("fromJson", a, 1)?;
        Ok(serde_json::from_str(str_arg(&a[0])?).map_or(Value::Nil, json_value))
    });
    add(m, "count", |a| {
        arity("count", a, 2)?;
        let re = regex("count", str_arg(&a[0])?)?;
        Ok(Value::Int(re.find_iter(str_arg(&a[1])?).count() as i64))
    });
    add(m, "regexReplaceAll", |a| {
        arity("regexReplaceAll", a, 3)?;
        let re = regex("regexReplaceAll", str_arg(&a[0])?)?;
        s(re.replace_all(str_arg(&a[1])?, str_arg(&a[2])?)
            .into_owned())
    });
    add(m, "regexReplaceAllLiteral", |a| {
        arity("regexReplaceAllLiteral", a, 3)?;
        let re = regex("regexReplaceAllLiteral", str_arg(&a[0])?)?;
        let rep = str_arg(&a[2])?;
        s(re.replace_all(str_arg(&a[1])?, regex::NoExpand(rep))
            .into_owned())
    });
    add(m, "default", |a| {
        arity_min("default", a, 1)?;
        Ok(match a.get(1) {
            Some(given) if !is_empty(given) => given.clone(),
            _ => a[0].clone(),
        })
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_and_base64_like_go() {
        assert_eq!(query_escape("a b&c=d/é"), "a+b%26c%3Dd%2F%C3%A9");
        assert_eq!(query_unescape("a+b%26c").unwrap(), "a b&c");
        assert_eq!(
            query_unescape("%zz").unwrap_err(),
            "invalid URL escape \"%zz\""
        );
        assert_eq!(b64dec("aGVsbG8"), "hello");
        assert_eq!(b64dec("a$"), "illegal base64 data at input byte 1");
    }
}
