//! `| json` (every field; nested keys joined with `_`, arrays and nulls skipped) and
//! `| json a="path", b` (JSON paths `a.b`, `a["key"]`, `list[0]`), as Loki's `JSONParser`
//! and `JSONExpressionParser` (`pkg/logql/log/parser.go`).

use super::builder::{Builder, Category, DUPLICATE_SUFFIX};
use super::json_scan::{self, ValueType};
use super::sanitize::{append_sanitized, sanitize_key};
use super::{Ctx, ERR_JSON};
use crate::ast::LabelExtraction;

/// Why a parse stopped early.
enum Stop {
    /// A jsonparser error (text for `__error_details__`).
    Err(&'static str),
    /// An early label filter rejected the entry.
    Drop,
    /// Every required label was found (metric-query hints): stop, no error.
    Found,
}

impl From<&'static str> for Stop {
    fn from(e: &'static str) -> Self {
        Stop::Err(e)
    }
}

/// `| json` without parameters.
#[derive(Debug, Clone, Default)]
pub struct JsonParser;

fn read_value(value: &[u8], ty: ValueType) -> String {
    match ty {
        ValueType::String => json_scan::unescape_value(value),
        ValueType::Number => String::from_utf8_lossy(value).into_owned(),
        ValueType::Boolean => {
            if value == b"true" {
                "true".into()
            } else {
                "false".into()
            }
        }
        _ => String::new(),
    }
}

impl JsonParser {
    /// Extracts every scalar field of the object in `line` as a parsed label. Malformed
    /// JSON sets `__error__=JSONParserErr` with jsonparser's message; fields before the
    /// error stay. Returns false when an early label filter drops the entry.
    pub fn process(&self, line: &str, b: &mut Builder<'_>, ctx: &Ctx<'_>) -> bool {
        if ctx.no_labels(b) {
            return true;
        }
        let mut prefix: Vec<String> = Vec::new();
        match walk(line.as_bytes(), &mut prefix, b, ctx) {
            Ok(()) | Err(Stop::Found) => true,
            Err(Stop::Drop) => false,
            Err(Stop::Err(e)) => {
                ctx.add_err(b, ERR_JSON, Some(e));
                true
            }
        }
    }
}

/// The sanitized label name of nested key parts (empty parts skipped).
fn prefixed_name(parts: &[String]) -> String {
    let mut out = String::new();
    for (i, p) in parts.iter().enumerate() {
        if p.trim().is_empty() {
            continue;
        }
        if i > 0 && !out.is_empty() {
            out.push('_');
        }
        append_sanitized(&mut out, p);
    }
    out
}

fn walk(
    data: &[u8],
    prefix: &mut Vec<String>,
    b: &mut Builder<'_>,
    ctx: &Ctx<'_>,
) -> Result<(), Stop> {
    json_scan::object_each::<Stop>(data, &mut |key, value, ty| {
        let r = match ty {
            ValueType::String | ValueType::Number | ValueType::Boolean => {
                member(key, value, ty, prefix, b, ctx)
            }
            ValueType::Object => {
                prefix.push(key.to_string());
                let r = if ctx.should_extract_prefix(&prefixed_name(prefix)) {
                    walk(value, prefix, b, ctx)
                } else {
                    Ok(())
                };
                prefix.pop();
                return r;
            }
            _ => Ok(()),
        };
        if ctx.all_required_extracted(b) {
            return Err(Stop::Found);
        }
        r
    })
}

/// One scalar member (Loki's `parseLabelValue`).
fn member(
    key: &str,
    value: &[u8],
    ty: ValueType,
    prefix: &mut Vec<String>,
    b: &mut Builder<'_>,
    ctx: &Ctx<'_>,
) -> Result<(), Stop> {
    let name = if prefix.is_empty() {
        let mut k = sanitize_key(key);
        if k.is_empty() {
            return Ok(());
        }
        if b.collides(&k) {
            k.push_str(DUPLICATE_SUFFIX);
        }
        k
    } else {
        prefix.push(key.to_string());
        let mut k = prefixed_name(prefix);
        if b.collides(&k) {
            if let Some(last) = prefix.last_mut() {
                last.push_str(DUPLICATE_SUFFIX);
            }
            k = prefixed_name(prefix);
        }
        prefix.pop();
        k
    };
    if !ctx.should_extract(&name) || b.extracted(&name) {
        return Ok(());
    }
    b.set(Category::Parsed, &name, &read_value(value, ty));
    if !ctx.continue_parsing(&name, b) {
        return Err(Stop::Drop);
    }
    Ok(())
}

/// One element of a JSON path.
#[derive(Debug, Clone, PartialEq)]
enum PathElem {
    Key(String),
    Index(usize),
}

/// Parses a Loki JSON path expression: `a.b`, `a["b c"]`, `["a"].b`, `a[0]`.
fn parse_path(expr: &str) -> Result<Vec<PathElem>, String> {
    let chars: Vec<char> = expr.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    let skip_ws = |i: &mut usize| {
        while *i < chars.len() && matches!(chars[*i], ' ' | '\t' | '\n') {
            *i += 1;
        }
    };
    let ident = |i: &mut usize| -> String {
        let start = *i;
        while *i < chars.len() && (chars[*i].is_ascii_alphanumeric() || chars[*i] == '_') {
            *i += 1;
        }
        chars[start..*i].iter().collect()
    };
    let err = |msg: &str| Err(format!("cannot parse expression [{expr}]: {msg}"));
    loop {
        skip_ws(&mut i);
        if i >= chars.len() {
            break;
        }
        let c = chars[i];
        if c == '[' {
            i += 1;
            skip_ws(&mut i);
            if i < chars.len() && chars[i] == '"' {
                i += 1;
                let start = i;
                while i < chars.len() && chars[i] != '"' && chars[i] != ']' {
                    i += 1;
                }
                out.push(PathElem::Key(chars[start..i].iter().collect()));
                if i < chars.len() && chars[i] == '"' {
                    i += 1;
                }
            } else if i < chars.len() && chars[i].is_ascii_digit() {
                let start = i;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
                if i < chars.len() && chars[i] == '.' {
                    return err("cannot use float as array index");
                }
                let n: String = chars[start..i].iter().collect();
                out.push(PathElem::Index(n.parse().map_err(|_| {
                    format!("cannot parse expression [{expr}]: invalid index")
                })?));
            } else {
                return err("syntax error: unexpected character after [");
            }
            skip_ws(&mut i);
            if i >= chars.len() || chars[i] != ']' {
                return err("syntax error: missing ]");
            }
            i += 1;
        } else if c == '.' && !out.is_empty() {
            i += 1;
            skip_ws(&mut i);
            if i >= chars.len() || !(chars[i].is_ascii_alphabetic() || chars[i] == '_') {
                return err("syntax error: expected field after .");
            }
            out.push(PathElem::Key(ident(&mut i)));
        } else if out.is_empty() && (c.is_ascii_alphabetic() || c == '_') {
            out.push(PathElem::Key(ident(&mut i)));
        } else {
            return err(&format!("unexpected char {c}"));
        }
    }
    if out.is_empty() {
        return err("syntax error: empty expression");
    }
    Ok(out)
}

/// `| json name="path", …`.
#[derive(Debug, Clone)]
pub struct JsonExprParser {
    ids: Vec<String>,
    paths: Vec<Vec<PathElem>>,
}

/// Looks `path` up in `data`: `Ok(None)` when absent, `Err` when the value found is
/// malformed.
fn lookup<'d>(
    data: &'d [u8],
    path: &[PathElem],
) -> Result<Option<(&'d [u8], ValueType)>, &'static str> {
    let (mut cur, mut ty, _) = match json_scan::get_value(data) {
        Ok(v) => v,
        Err(_) => return Ok(None),
    };
    for (depth, elem) in path.iter().enumerate() {
        let last = depth + 1 == path.len();
        let found = match (elem, ty) {
            (PathElem::Key(k), ValueType::Object) => {
                let mut hit: Option<(&'d [u8], ValueType)> = None;
                let mut raw_err: Option<&'static str> = None;
                let _ = json_scan::object_each::<&'static str>(cur, &mut |key, v, t| {
                    if hit.is_none() && key == k {
                        hit = Some((v, t));
                        return Err("found");
                    }
                    Ok(())
                })
                .map_err(|e| {
                    if e != "found" {
                        raw_err = Some(e);
                    }
                });
                if hit.is_none() && last {
                    if let Some(e) = raw_err {
                        if e == json_scan::MALFORMED_STRING || e == json_scan::UNKNOWN_VALUE_TYPE {
                            return Err(e);
                        }
                    }
                }
                hit
            }
            (PathElem::Index(n), ValueType::Array) => json_scan::array_values(cur).get(*n).copied(),
            _ => None,
        };
        match found {
            Some((v, t)) => {
                cur = v;
                ty = t;
            }
            None => return Ok(None),
        }
    }
    Ok(Some((cur, ty)))
}

impl JsonExprParser {
    /// Compiles the parameters. Errors: `cannot parse expression [..]: ..`, `invalid
    /// extracted label name '..'`.
    pub fn new(params: &[LabelExtraction]) -> Result<Self, String> {
        let mut ids = Vec::new();
        let mut paths = Vec::new();
        for p in params {
            let expr = p.expr.as_deref().unwrap_or(&p.name);
            paths.push(parse_path(expr)?);
            if !super::sanitize::valid_label_name(&p.name) {
                return Err(format!("invalid extracted label name '{}'", p.name));
            }
            ids.push(p.name.clone());
        }
        Ok(JsonExprParser { ids, paths })
    }

    /// Extracts each path; a missing path gives an empty value. A line not starting with
    /// `"`, `{` or `[` sets `__error__=JSONParserErr` (no details).
    pub fn process(&self, line: &str, b: &mut Builder<'_>, ctx: &Ctx<'_>) {
        let bytes = line.as_bytes();
        if bytes.is_empty() || ctx.no_labels(b) {
            return;
        }
        if !matches!(bytes[0], b'"' | b'{' | b'[') {
            ctx.add_err(b, ERR_JSON, None);
            return;
        }
        let mut matches = 0;
        for (id, path) in self.ids.iter().zip(&self.paths) {
            let found = match lookup(bytes, path) {
                Ok(Some(v)) => v,
                Ok(None) => continue,
                Err(e) => {
                    ctx.add_err(b, ERR_JSON, Some(e));
                    continue;
                }
            };
            let mut key = id.clone();
            if b.collides(&key) {
                key.push_str(DUPLICATE_SUFFIX);
            }
            let value = match found.1 {
                ValueType::Null => String::new(),
                ValueType::Object => String::from_utf8_lossy(found.0).into_owned(),
                _ => json_scan::unescape_value(found.0),
            };
            b.set(Category::Parsed, &key, &value);
            matches += 1;
        }
        if matches < self.ids.len() {
            for id in &self.ids {
                if b.get(id).is_none() {
                    b.set(Category::Parsed, id, "");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(
            parse_path(r#"pod["uuid"].list[2]"#).unwrap(),
            vec![
                PathElem::Key("pod".into()),
                PathElem::Key("uuid".into()),
                PathElem::Key("list".into()),
                PathElem::Index(2)
            ]
        );
        assert_eq!(
            parse_path(r#"["field with space"]"#).unwrap(),
            vec![PathElem::Key("field with space".into())]
        );
        assert!(parse_path("a..b").is_err());
        assert!(parse_path("a[1.5]").is_err());
        assert!(parse_path("").is_err());
    }
}
