//! Go standard-library text shared by the LogQL templates (`line_format`/`label_format`) and
//! Prometheus's alert templates (`lakewatch-ruler`): `strconv.Quote`, `fmt`'s `%v` of a
//! `float64` and of template values, `url.QueryEscape`, and a call into the `gotmpl` engine's
//! own built-ins. One implementation, so both template languages print like Go.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use gotmpl::{TemplateError, Value};

/// Result of a template function.
pub type FnResult = Result<Value, TemplateError>;

/// `error calling NAME: MSG`, Go's wrapping of a function's error.
pub fn call_err(name: &str, msg: impl std::fmt::Display) -> TemplateError {
    TemplateError::Exec(format!("error calling {name}: {msg}"))
}

/// Exactly `n` arguments (Go: `wrong number of args for NAME: want N got M`).
pub fn arity(name: &str, args: &[Value], n: usize) -> Result<(), TemplateError> {
    if args.len() == n {
        return Ok(());
    }
    Err(TemplateError::Exec(format!(
        "wrong number of args for {name}: want {n} got {}",
        args.len()
    )))
}

/// Go's error for an argument of the wrong type: `invalid value; expected T` for `nil`,
/// else `wrong type for value; expected T; got U` with `U = go_type(v)` (each template
/// language names its values' Go types itself).
pub fn wrong_type(expected: &str, v: &Value, go_type: fn(&Value) -> &'static str) -> TemplateError {
    if matches!(v, Value::Nil) {
        return TemplateError::Exec(format!("invalid value; expected {expected}"));
    }
    TemplateError::Exec(format!(
        "wrong type for value; expected {expected}; got {}",
        go_type(v)
    ))
}

/// Names of the templates `parsed` defines besides `name` (its `{{define}}`s).
pub fn other_templates(parsed: &gotmpl::Template, name: &str) -> Vec<String> {
    parsed
        .templates()
        .into_iter()
        .filter(|t| *t != name)
        .map(str::to_string)
        .collect()
}

/// Go's `strconv.Quote` (also `%q` of a string): double-quoted, with Go's escapes `\"`, `\\`,
/// `\a`, `\b`, `\f`, `\n`, `\r`, `\t`, `\v`, `\xNN` for other ASCII control bytes, `\uNNNN`
/// for other control characters, NBSP (U+00A0) and soft hyphen (U+00AD); other Unicode is
/// kept. Example: `a"b\n` → `"a\"b\\n"`.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() || (c as u32) == 0xa0 || (c as u32) == 0xad => {
                if (c as u32) <= 0xffff {
                    out.push_str(&format!("\\u{:04x}", c as u32));
                } else {
                    out.push_str(&format!("\\U{:08x}", c as u32));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Go's `%v` for a `float64` (`strconv.FormatFloat(f, 'g', -1, 64)` with `e+06`-style
/// exponents): `1e+06`, `1.5`, `1e-05`, `+Inf`, `-Inf`, `NaN`, `-0`.
pub fn go_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.to_string();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    // %v is %g with the shortest precision: exponent form when exp < -4 || exp >= 6
    // (strconv's `eprec = 6` for the shortest case).
    if !(-4..6).contains(&exp) {
        return sci_text(mantissa, exp);
    }
    format!("{f}")
}

/// `1.5e+06` from Rust's mantissa `1.5` and exponent `6` (Go's sign and two-digit minimum).
pub fn sci_text(mantissa: &str, exp: i32) -> String {
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exp.abs())
}

/// Writes `v` as Go's `fmt.Print` does for plain template data: `map[a:1 b:x]`, `[1 2]`,
/// `<nil>`, floats as [`go_float`], functions as `<func>`.
pub fn go_print(v: &Value, out: &mut String) {
    go_print_with(v, out, &|_, _| false);
}

/// [`go_print`] with a hook for values a template language gives its own Go type (e.g.
/// Prometheus's `*time.Time` and `*template.sample`): `custom(v, out)` is asked first, at
/// every level of nesting, and returns `true` when it has written `v`.
pub fn go_print_with(v: &Value, out: &mut String, custom: &dyn Fn(&Value, &mut String) -> bool) {
    if custom(v, out) {
        return;
    }
    match v {
        Value::Nil => out.push_str("<nil>"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::Uint(u) => out.push_str(&u.to_string()),
        Value::Float(f) => out.push_str(&go_float(*f)),
        Value::String(s) => out.push_str(s),
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                go_print_with(item, out, custom);
            }
            out.push(']');
        }
        Value::Map(m) => {
            out.push_str("map[");
            for (i, (k, item)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(k);
                out.push(':');
                go_print_with(item, out, custom);
            }
            out.push(']');
        }
        Value::Function(_) => out.push_str("<func>"),
    }
}

/// One `%` verb of a Go format string (see [`printf_verbs`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FmtVerb {
    /// Byte offset of the `%`.
    pub start: usize,
    /// Byte offset just past the verb letter.
    pub end: usize,
    /// The verb letter (`v`, `d`, `s`, `T`, …).
    pub verb: u8,
    /// No `+` or `#` flag (a plain `%v` prints as `fmt.Print` does).
    pub plain: bool,
    /// Index of the operand the verb prints.
    pub arg: usize,
}

/// The verbs of the format string `format` in order, with the operand each prints as Go's
/// `fmt` assigns them: `*` width/precision operands are skipped, `[n]` explicit indexes
/// followed, `%%` is no verb; an unfinished verb at the end is dropped.
pub fn printf_verbs(format: &str) -> Vec<FmtVerb> {
    let mut verbs = Vec::new();
    let b = format.as_bytes();
    let mut arg = 0usize;
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'%' {
            i += 1;
            continue;
        }
        let start = i;
        i += 1;
        if b.get(i) == Some(&b'%') {
            i += 1;
            continue;
        }
        let mut plain = true;
        while let Some(c) = b.get(i) {
            match c {
                b'+' | b'#' => plain = false,
                b'-' | b' ' | b'0'..=b'9' | b'.' => {}
                b'*' => arg += 1,
                b'[' => {
                    let close = format[i..].find(']').map_or(b.len(), |e| i + e);
                    if let Ok(n) = format[i + 1..close.min(b.len())].parse::<usize>() {
                        arg = n.saturating_sub(1);
                    }
                    i = close;
                }
                _ => break,
            }
            i += 1;
        }
        let Some(&verb) = b.get(i) else { break };
        i += 1;
        verbs.push(FmtVerb {
            start,
            end: i,
            verb,
            plain,
            arg,
        });
        arg += 1;
    }
    verbs
}

/// Go's `fmt.Sprint`: operands separated by a space when neither side is a string, each
/// written by `print` (the template language's `fmt.Print` of one value, e.g. [`go_print`]).
pub fn sprint_with(args: &[Value], print: fn(&Value, &mut String)) -> String {
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        let is_str = |v: &Value| matches!(v, Value::String(_));
        if i > 0 && !is_str(a) && !is_str(&args[i - 1]) {
            out.push(' ');
        }
        print(a, &mut out);
    }
    out
}

/// Go's `fmt.Sprintln`: operands always separated by a space, then a newline; each written
/// by `print`.
pub fn sprintln_with(args: &[Value], print: fn(&Value, &mut String)) -> String {
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        print(a, &mut out);
    }
    out.push('\n');
    out
}

/// Go's `url.QueryEscape`: keeps `A-Za-z0-9-_.~`, space becomes `+`, every other UTF-8 byte
/// `%XX` (upper-case hex). Example: `a b&é` → `a+b%26%C3%A9`.
pub fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Calls the `gotmpl` engine's own built-in `func` (`printf`, `eq`, …) on `args` and returns
/// its output as a string value (a one-action template per function and operand count,
/// cached). Errors are the engine's (`TemplateError`).
pub fn engine_call(func: &'static str, args: Vec<Value>) -> FnResult {
    type Cache = Mutex<HashMap<(&'static str, usize), Arc<gotmpl::Template>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let n = args.len();
    let tmpl = {
        let mut cache = CACHE
            .get_or_init(Default::default)
            .lock()
            .map_err(|_| TemplateError::Exec(format!("{func}: lock poisoned")))?;
        match cache.get(&(func, n)) {
            Some(t) => t.clone(),
            None => {
                let operands: String = (0..n).map(|i| format!(" (index . {i})")).collect();
                let t = gotmpl::Template::new(func).parse(&format!("{{{{{func}{operands}}}}}"))?;
                let t = Arc::new(t);
                cache.insert((func, n), t.clone());
                t
            }
        }
    };
    let mut out = String::new();
    tmpl.execute_fmt(&mut out, &Value::List(args.into()))?;
    Ok(Value::String(out.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_like_strconv() {
        assert_eq!(go_quote("a\"b\\\n"), "\"a\\\"b\\\\\\n\"");
        assert_eq!(go_quote("\u{7}\u{1}é\u{a0}"), "\"\\a\\x01é\\u00a0\"");
    }

    #[test]
    fn prints_like_go() {
        let mut s = String::new();
        go_print(
            &Value::List(vec![Value::Float(1e6), Value::Nil, Value::Int(2)].into()),
            &mut s,
        );
        assert_eq!(s, "[1e+06 <nil> 2]");
        assert_eq!(query_escape("a b&c=d/é"), "a+b%26c%3Dd%2F%C3%A9");
    }
}
