//! Loki stream label strings: parsing `{a="b", c="d"}` as Loki's `syntax.ParseLabels` does
//! (Prometheus's `ParseMetric`, errors as `1:<col>: parse error: <reason>`), and printing a label
//! set the way Prometheus's `labels.Labels.String()` does (the form Loki's error messages quote).

use lakewatch_model::Labels;

/// Parses a stream selector string (`{a="b", c="d"}`, optionally preceded by a metric name that
/// becomes `__name__`). Names are identifiers (`[a-zA-Z_][a-zA-Z0-9_]*`) or quoted strings
/// (Prometheus 3 UTF-8 names); values are `"…"`, `'…'` or `` `…` `` strings with Go escapes.
/// Returns the pairs in source order (duplicates kept, so the caller can report them), or the
/// error text of Prometheus's parser, e.g. `1:4: parse error: unterminated quoted string`.
pub fn parse_labels(s: &str) -> Result<Vec<(String, String)>, String> {
    let toks = lex(s)?;
    let mut p = Parser { toks, i: 0 };
    p.metric()
}

/// `model.LabelName` legacy validity: `[a-zA-Z_][a-zA-Z0-9_]*`.
pub fn is_legacy_name(n: &str) -> bool {
    let mut cs = n.chars();
    matches!(cs.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && cs.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Go's `strconv.Quote`: `"` + escaped text + `"` (`\n`, `\t`, `\"`, `\\`, `\xNN` for other
/// control bytes; printable Unicode kept).
///
/// Kept apart from `lakewatch_logql::template::go::go_quote` (the one the templates, LogQL
/// and the ruler share): `lakewatch-ingest` does not depend on `lakewatch-logql`, and this
/// one keeps NBSP/soft hyphen unescaped as the push-error texts it was matched against do.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
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
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Prometheus's `labels.Labels.String()`: `{a="1", b="2"}` sorted by name; names that are not
/// legacy-valid are quoted, values always (Go quoting).
pub fn labels_string(l: &Labels) -> String {
    pairs_string(l.iter().map(|l| (l.name.as_str(), l.value.as_str())))
}

/// As [`labels_string`] for pairs in the given order (duplicates printed as they are).
pub fn pairs_string<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::from("{");
    for (i, (name, value)) in pairs.into_iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        if is_legacy_name(name) {
            out.push_str(name);
        } else {
            out.push_str(&go_quote(name));
        }
        out.push('=');
        out.push_str(&go_quote(value));
    }
    out.push('}');
    out
}

/// Loki's `loghttp.LabelSet.String()` for a JSON `stream` object: sorted, `, `-separated,
/// names written **unquoted** whatever they contain (so an invalid name fails the parse that
/// follows, as in Loki), values Go-quoted.
pub fn label_set_string(pairs: &[(String, String)]) -> String {
    let mut v: Vec<&(String, String)> = pairs.iter().collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = String::from("{");
    for (i, (n, val)) in v.into_iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(n);
        out.push('=');
        out.push_str(&go_quote(val));
    }
    out.push('}');
    out
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    LBrace,
    RBrace,
    Comma,
    Eq,
    Other(String),
    Eof,
}

impl Tok {
    fn desc(&self) -> String {
        match self {
            Tok::Ident(s) if s.contains(':') => format!("metric identifier {}", go_quote(s)),
            Tok::Ident(s) => format!("identifier {}", go_quote(s)),
            Tok::Str(s) => format!("string {}", go_quote(&go_quote(s))),
            Tok::LBrace => "\"{\"".into(),
            Tok::RBrace => "\"}\"".into(),
            Tok::Comma => "\",\"".into(),
            Tok::Eq => "\"=\"".into(),
            Tok::Other(s) => go_quote(s),
            Tok::Eof => "end of input".into(),
        }
    }
}

fn err(pos: usize, msg: impl std::fmt::Display) -> String {
    format!("1:{}: parse error: {msg}", pos + 1)
}

fn lex(s: &str) -> Result<Vec<(usize, Tok)>, String> {
    let b = s.as_bytes();
    let mut toks = Vec::new();
    let mut i = 0;
    let mut depth = 0usize;
    while i < b.len() {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'{' => {
                toks.push((i, Tok::LBrace));
                depth += 1;
                i += 1;
            }
            b'}' => {
                toks.push((i, Tok::RBrace));
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b',' => {
                toks.push((i, Tok::Comma));
                i += 1;
            }
            b'=' => {
                toks.push((i, Tok::Eq));
                i += 1;
            }
            b'!' | b'~' if depth > 0 => {
                let len = if b.get(i + 1) == Some(&b'=') || b.get(i + 1) == Some(&b'~') {
                    2
                } else {
                    1
                };
                toks.push((i, Tok::Other(s[i..i + len].to_string())));
                i += len;
            }
            b'"' | b'\'' | b'`' => {
                let (val, next) = lex_string(s, i)?;
                toks.push((i, Tok::Str(val)));
                i = next;
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b':')
                {
                    i += 1;
                }
                toks.push((start, Tok::Ident(s[start..i].to_string())));
            }
            _ => {
                let ch = s[i..].chars().next().unwrap_or('?');
                if depth > 0 {
                    return Err(err(
                        i,
                        format!("unexpected character inside braces: {}", go_char(ch)),
                    ));
                }
                return Err(err(i, format!("unexpected character: {}", go_char(ch))));
            }
        }
    }
    if depth > 0 {
        return Err(err(s.len(), "unexpected end of input inside braces"));
    }
    toks.push((s.len(), Tok::Eof));
    Ok(toks)
}

fn go_char(c: char) -> String {
    match c {
        '\'' => "'\\''".into(),
        c if c.is_control() => format!("'\\x{:02x}'", c as u32),
        c => format!("'{c}'"),
    }
}

/// Lexes a quoted string starting at `start` (its opening quote); returns the unescaped value
/// and the index after the closing quote.
fn lex_string(s: &str, start: usize) -> Result<(String, usize), String> {
    let b = s.as_bytes();
    let q = b[start];
    let mut out = String::new();
    let mut chars = s[start + 1..].char_indices();
    while let Some((off, c)) = chars.next() {
        let at = start + 1 + off;
        if c as u32 == q as u32 {
            return Ok((out, at + 1));
        }
        if q == b'`' {
            out.push(c);
            continue;
        }
        match c {
            '\n' => return Err(err(start, "unterminated quoted string")),
            '\\' => {
                let Some((_, e)) = chars.next() else {
                    return Err(err(start, "unterminated quoted string"));
                };
                match e {
                    'a' => out.push('\u{7}'),
                    'b' => out.push('\u{8}'),
                    'f' => out.push('\u{c}'),
                    'n' => out.push('\n'),
                    'r' => out.push('\r'),
                    't' => out.push('\t'),
                    'v' => out.push('\u{b}'),
                    '\\' => out.push('\\'),
                    '"' | '\'' if e as u32 == q as u32 => out.push(e),
                    'x' | 'u' | 'U' => {
                        let n = match e {
                            'x' => 2,
                            'u' => 4,
                            _ => 8,
                        };
                        let mut v = 0u32;
                        for _ in 0..n {
                            let d = chars
                                .next()
                                .and_then(|(_, h)| h.to_digit(16))
                                .ok_or_else(|| err(at, "invalid escape sequence"))?;
                            v = v * 16 + d;
                        }
                        if e == 'x' {
                            // A byte; only ASCII keeps the string valid UTF-8.
                            out.push(char::from_u32(v).filter(|_| v < 0x80).unwrap_or('\u{fffd}'));
                        } else {
                            out.push(char::from_u32(v).ok_or_else(|| {
                                err(at, "escape sequence is an invalid Unicode code point")
                            })?);
                        }
                    }
                    '0'..='7' => {
                        let mut v = e.to_digit(8).unwrap_or(0);
                        for _ in 0..2 {
                            let d = chars
                                .next()
                                .and_then(|(_, h)| h.to_digit(8))
                                .ok_or_else(|| err(at, "invalid escape sequence"))?;
                            v = v * 8 + d;
                        }
                        out.push(char::from_u32(v).filter(|_| v < 0x80).unwrap_or('\u{fffd}'));
                    }
                    other => {
                        return Err(err(
                            at,
                            format!(
                                "unknown escape sequence U+{:04X} {}",
                                other as u32,
                                go_char(other)
                            ),
                        ))
                    }
                }
            }
            c => out.push(c),
        }
    }
    Err(err(start, "unterminated quoted string"))
}

struct Parser {
    toks: Vec<(usize, Tok)>,
    i: usize,
}

impl Parser {
    fn peek(&self) -> &(usize, Tok) {
        &self.toks[self.i.min(self.toks.len() - 1)]
    }

    fn next(&mut self) -> (usize, Tok) {
        let t = self.peek().clone();
        self.i += 1;
        t
    }

    fn unexpected(&self, t: &(usize, Tok), ctx: &str, expected: &str) -> String {
        err(
            t.0,
            format!("unexpected {}{ctx}, expected {expected}", t.1.desc()),
        )
    }

    fn metric(&mut self) -> Result<Vec<(String, String)>, String> {
        let mut out = Vec::new();
        let t = self.next();
        match t.1 {
            Tok::Ident(name) => {
                out.push(("__name__".to_string(), name));
                let t = self.next();
                match t.1 {
                    Tok::LBrace => {}
                    Tok::Eof => return Ok(out),
                    _ => return Err(self.unexpected(&t, "", "\"{\" or end of input")),
                }
            }
            Tok::LBrace => {}
            _ => return Err(self.unexpected(&t, "", "identifier or \"{\"")),
        }
        loop {
            let t = self.next();
            let name = match t.1 {
                Tok::RBrace => break,
                Tok::Ident(n) if !n.contains(':') => n,
                Tok::Str(n) => n,
                _ => return Err(self.unexpected(&t, " in label set", "identifier or \"}\"")),
            };
            let t = self.next();
            if t.1 != Tok::Eq {
                return Err(self.unexpected(&t, " in label set", "\"=\""));
            }
            let t = self.next();
            let Tok::Str(value) = t.1 else {
                return Err(self.unexpected(&t, " in label set", "string"));
            };
            out.push((name, value));
            let t = self.next();
            match t.1 {
                Tok::Comma => {}
                Tok::RBrace => break,
                _ => return Err(self.unexpected(&t, " in label set", "\",\" or \"}\"")),
            }
        }
        let t = self.next();
        if t.1 != Tok::Eof {
            return Err(self.unexpected(&t, "", "end of input"));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Vec<(String, String)>, String> {
        parse_labels(s)
    }

    #[test]
    fn parses_and_prints() {
        let v = p(r#"{b="2", a="x\"y\n", "c.d"='z', e=`r\aw`,}"#).unwrap();
        assert_eq!(
            v,
            vec![
                ("b".into(), "2".into()),
                ("a".into(), "x\"y\n".into()),
                ("c.d".into(), "z".into()),
                ("e".into(), "r\\aw".into()),
            ]
        );
        let l = Labels::from_pairs(v);
        assert_eq!(
            labels_string(&l),
            r#"{a="x\"y\n", b="2", "c.d"="z", e="r\\aw"}"#
        );
        assert_eq!(p("{}").unwrap(), vec![]);
        assert_eq!(
            p(r#"up{job="a"}"#).unwrap(),
            vec![("__name__".into(), "up".into()), ("job".into(), "a".into())]
        );
    }

    #[test]
    fn errors_as_prometheus() {
        assert_eq!(
            p("{ab\"").unwrap_err(),
            "1:4: parse error: unterminated quoted string"
        );
        assert_eq!(
            p("{").unwrap_err(),
            "1:2: parse error: unexpected end of input inside braces"
        );
        assert_eq!(
            p(r#"{foo-bar="x"}"#).unwrap_err(),
            "1:5: parse error: unexpected character inside braces: '-'"
        );
        assert_eq!(
            p(r#"{a="b" c="d"}"#).unwrap_err(),
            r#"1:8: parse error: unexpected identifier "c" in label set, expected "," or "}""#
        );
        assert_eq!(
            p(r#"{a=b}"#).unwrap_err(),
            r#"1:4: parse error: unexpected identifier "b" in label set, expected string"#
        );
        assert_eq!(
            p(r#"{a:b="c"}"#).unwrap_err(),
            r#"1:2: parse error: unexpected metric identifier "a:b" in label set, expected identifier or "}""#
        );
        assert!(p("").is_err());
    }
}
