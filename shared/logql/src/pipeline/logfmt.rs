//! `| logfmt [--strict] [--keep-empty]` and `| logfmt a="key", b`, as Loki's
//! `LogfmtParser` / `LogfmtExpressionParser` and its logfmt decoder
//! (`pkg/logql/log/logfmt/decode.go`, error texts `logfmt syntax error at pos N : …`).

use super::builder::{Builder, Category, DUPLICATE_SUFFIX};
use super::sanitize::{sanitize_key, valid_label_name};
use super::{Ctx, ERR_LOGFMT};
use crate::ast::LabelExtraction;

/// The logfmt tokenizer: `key=value`, `key="quoted \"value\""`, bare `key`.
struct Decoder<'l> {
    line: &'l [u8],
    pos: usize,
    key: Option<&'l [u8]>,
    value: Option<std::borrow::Cow<'l, [u8]>>,
    err: Option<String>,
}

impl<'l> Decoder<'l> {
    fn new(line: &'l str) -> Self {
        Decoder {
            line: line.as_bytes(),
            pos: 0,
            key: None,
            value: None,
            err: None,
        }
    }

    fn eol(&self) -> bool {
        self.pos >= self.line.len()
    }

    fn syntax_error(&mut self, msg: &str) {
        self.err = Some(format!(
            "logfmt syntax error at pos {} : {msg}",
            self.pos + 1
        ));
    }

    fn unexpected(&mut self, c: u8) {
        let q = if c == b'"' { "'\"'" } else { "'='" };
        self.syntax_error(&format!("unexpected {q}"));
    }

    fn invalid_key(k: &[u8]) -> bool {
        String::from_utf8_lossy(k).contains('\u{FFFD}')
    }

    /// Skips to the next whitespace; returns false (Go's `skip_value`).
    fn skip_value(&mut self) -> bool {
        let line = self.line;
        match line[self.pos..].iter().position(|c| *c <= b' ') {
            Some(p) => self.pos += p,
            None => self.pos = line.len(),
        }
        false
    }

    /// Scans the next pair; false when it was malformed (or only whitespace remained).
    fn scan(&mut self) -> bool {
        self.key = None;
        self.value = None;
        let line = self.line;
        match line[self.pos..].iter().position(|c| *c > b' ') {
            Some(p) => self.pos += p,
            None => {
                self.pos = line.len();
                return false;
            }
        }
        // Key.
        let start = self.pos;
        let mut multibyte = false;
        let mut i = self.pos;
        loop {
            if i >= line.len() {
                self.pos = line.len();
                if self.pos > start {
                    let k = &line[start..self.pos];
                    if multibyte && Self::invalid_key(k) {
                        self.syntax_error("invalid key");
                        return false;
                    }
                    self.key = Some(k);
                }
                return true;
            }
            let c = line[i];
            if c == b'=' {
                self.pos = i;
                if self.pos > start {
                    let k = &line[start..self.pos];
                    if multibyte && Self::invalid_key(k) {
                        self.syntax_error("invalid key");
                        return self.skip_value();
                    }
                    self.key = Some(k);
                }
                if self.key.is_none() {
                    self.unexpected(c);
                    return self.skip_value();
                }
                break;
            } else if c == b'"' {
                self.pos = i;
                self.unexpected(c);
                return self.skip_value();
            } else if c <= b' ' {
                self.pos = i;
                if self.pos > start {
                    let k = &line[start..self.pos];
                    if multibyte && Self::invalid_key(k) {
                        self.syntax_error("invalid key");
                        return false;
                    }
                    self.key = Some(k);
                }
                return true;
            } else if c >= 0x80 {
                multibyte = true;
            }
            i += 1;
        }
        // Equal sign.
        self.pos += 1;
        if self.pos >= line.len() {
            return true;
        }
        let c = line[self.pos];
        if c <= b' ' {
            return true;
        }
        if c == b'"' {
            return self.quoted_value();
        }
        let start = self.pos;
        for (p, &c) in line[self.pos..].iter().enumerate() {
            if c == b'=' || c == b'"' {
                self.pos += p;
                self.unexpected(c);
                return self.skip_value();
            }
            if c <= b' ' {
                self.pos += p;
                if self.pos > start {
                    self.value = Some(std::borrow::Cow::Borrowed(&line[start..self.pos]));
                }
                return true;
            }
        }
        self.pos = line.len();
        if self.pos > start {
            self.value = Some(std::borrow::Cow::Borrowed(&line[start..self.pos]));
        }
        true
    }

    fn quoted_value(&mut self) -> bool {
        let line = self.line;
        let start = self.pos;
        let mut has_esc = false;
        let mut esc = false;
        for (p, &c) in line[self.pos + 1..].iter().enumerate() {
            if esc {
                esc = false;
            } else if c == b'\\' {
                has_esc = true;
                esc = true;
            } else if c == b'"' {
                self.pos += p + 2;
                if has_esc {
                    match unquote(&line[start + 1..self.pos - 1]) {
                        Some(v) => self.value = Some(std::borrow::Cow::Owned(v)),
                        None => {
                            self.syntax_error("invalid quoted value");
                            return false;
                        }
                    }
                } else if self.pos - 1 > start + 1 {
                    self.value = Some(std::borrow::Cow::Borrowed(&line[start + 1..self.pos - 1]));
                }
                return true;
            }
        }
        self.pos = line.len();
        self.syntax_error("unterminated quoted value");
        false
    }
}

/// encoding/json-style unquoting of the inside of a quoted logfmt value.
fn unquote(s: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len());
    let mut r = 0;
    let u4 = |b: &[u8]| -> Option<u32> {
        if b.len() < 6 || b[0] != b'\\' || b[1] != b'u' {
            return None;
        }
        let h = std::str::from_utf8(&b[2..6]).ok()?;
        if !h.bytes().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        u32::from_str_radix(h, 16).ok()
    };
    while r < s.len() {
        let c = s[r];
        if c == b'"' {
            return None;
        }
        if c != b'\\' {
            out.push(c);
            r += 1;
            continue;
        }
        r += 1;
        let e = *s.get(r)?;
        let simple = match e {
            b'"' | b'\\' | b'/' | b'\'' => Some(e),
            b'b' => Some(8),
            b'f' => Some(12),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            _ => None,
        };
        if let Some(x) = simple {
            out.push(x);
            r += 1;
            continue;
        }
        if e != b'u' {
            return None;
        }
        r -= 1;
        let rr = u4(&s[r..])?;
        r += 6;
        let ch = if (0xD800..=0xDFFF).contains(&rr) {
            let decoded = u4(&s[r..]).and_then(|rr1| {
                if (0xD800..0xDC00).contains(&rr) && (0xDC00..=0xDFFF).contains(&rr1) {
                    char::from_u32(0x10000 + ((rr - 0xD800) << 10) + (rr1 - 0xDC00))
                } else {
                    None
                }
            });
            match decoded {
                Some(c) => {
                    r += 6;
                    c
                }
                None => '\u{FFFD}',
            }
        } else {
            char::from_u32(rr).unwrap_or('\u{FFFD}')
        };
        let mut buf = [0u8; 4];
        out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
    }
    Some(out)
}

fn to_string(v: &[u8]) -> String {
    String::from_utf8_lossy(v).into_owned()
}

/// `| logfmt [--strict] [--keep-empty]`.
#[derive(Debug, Clone)]
pub struct LogfmtParser {
    /// Stop at the first malformed pair and set `__error__=LogfmtParserErr`.
    pub strict: bool,
    /// Keep bare keys / empty values as empty labels.
    pub keep_empty: bool,
}

impl LogfmtParser {
    /// Extracts every pair as a parsed label. Without `--strict` malformed pairs are
    /// skipped silently. Returns false when an early label filter drops the entry.
    pub fn process(&self, line: &str, b: &mut Builder<'_>, ctx: &Ctx<'_>) -> bool {
        if ctx.no_labels(b) {
            return true;
        }
        let mut dec = Decoder::new(line);
        while !dec.eol() {
            if !dec.scan() {
                if self.strict {
                    break;
                }
                continue;
            }
            let Some(k) = dec.key else { continue };
            let mut key = sanitize_key(&to_string(k));
            if key.is_empty() {
                continue;
            }
            if b.collides(&key) {
                key.push_str(DUPLICATE_SUFFIX);
            }
            if !ctx.should_extract(&key) || b.extracted(&key) {
                continue;
            }
            let mut val = dec.value.as_deref().map(to_string).unwrap_or_default();
            if val.contains('\u{FFFD}') {
                val = val.replace('\u{FFFD}', " ");
            }
            if !self.keep_empty && val.is_empty() {
                continue;
            }
            b.set(Category::Parsed, &key, &val);
            if !ctx.continue_parsing(&key, b) {
                return false;
            }
            if ctx.all_required_extracted(b) {
                break;
            }
        }
        if self.strict {
            if let Some(e) = dec.err.take() {
                ctx.add_err(b, ERR_LOGFMT, Some(&e));
                return ctx.continue_parsing(super::builder::ERROR_LABEL, b);
            }
        }
        true
    }
}

/// `| logfmt [--strict] name="key", …` (`--keep-empty` has no effect here, as in Loki).
#[derive(Debug, Clone)]
pub struct LogfmtExprParser {
    strict: bool,
    /// (label, logfmt key).
    exprs: Vec<(String, String)>,
}

impl LogfmtExprParser {
    /// Compiles the parameters; a key must be an identifier `[A-Za-z_][A-Za-z0-9_]*`.
    pub fn new(params: &[LabelExtraction], strict: bool) -> Result<Self, String> {
        let mut exprs = Vec::new();
        for p in params {
            let e = p.expr.as_deref().unwrap_or(&p.name);
            let key = e.trim_matches([' ', '\t', '\n']);
            let ok = key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !ok {
                return Err(format!("cannot parse expression [{e}]: syntax error"));
            }
            if !valid_label_name(&p.name) {
                return Err(format!("invalid extracted label name '{}'", p.name));
            }
            exprs.retain(|(id, _): &(String, String)| *id != p.name);
            exprs.push((p.name.clone(), key.to_string()));
        }
        Ok(LogfmtExprParser { strict, exprs })
    }

    fn is_id(&self, k: &str) -> bool {
        self.exprs.iter().any(|(id, _)| id == k)
    }

    /// Sets every requested label (empty when the key is absent; later occurrences of a key
    /// win).
    pub fn process(&self, line: &str, b: &mut Builder<'_>, ctx: &Ctx<'_>) {
        if ctx.no_labels(b) {
            return;
        }
        for (id, _) in &self.exprs {
            if !b.collides(id) {
                b.set(Category::Parsed, id, "");
            }
        }
        let mut dec = Decoder::new(line);
        while !dec.eol() {
            if !dec.scan() {
                if self.strict {
                    break;
                }
                continue;
            }
            let Some(k) = dec.key else { continue };
            let sanitized = sanitize_key(&to_string(k));
            if sanitized.is_empty() || (!self.is_id(&sanitized) && !ctx.should_extract(&sanitized))
            {
                continue;
            }
            if !self.is_id(&sanitized) && b.extracted(&sanitized) {
                continue;
            }
            let raw = dec.value.as_deref().map(to_string).unwrap_or_default();
            let val = if raw.contains('\u{FFFD}') {
                String::new()
            } else {
                raw
            };
            let mut key = self
                .exprs
                .iter()
                .find(|(_, orig)| *orig == sanitized)
                .map(|(id, _)| id.clone())
                .unwrap_or(sanitized);
            if self.is_id(&key) {
                if b.collides(&key) {
                    key.push_str(DUPLICATE_SUFFIX);
                    if b.extracted(&key) || !ctx.should_extract(&key) {
                        break;
                    }
                }
                b.set(Category::Parsed, &key, &val);
                if ctx.all_required_extracted(b) {
                    break;
                }
            }
        }
        if self.strict {
            if let Some(e) = dec.err.take() {
                ctx.add_err(b, ERR_LOGFMT, Some(&e));
            }
        }
    }
}
