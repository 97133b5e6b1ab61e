//! TraceQL lexer, following the token rules of Tempo's `lexer.go` (Go `text/scanner` based):
//! keywords are reserved everywhere except in attribute names; after `.`, `span.`,
//! `resource.`, `parent.`, `event.`, `link.`, `instrumentation.` the lexer reads an attribute
//! name (any run of characters except whitespace and `{}()=~!<>&|^,`, with `"…"` quoted
//! parts) followed by an `END_ATTRIBUTE` token. Numbers directly followed by a unit lex as
//! durations (Prometheus syntax `1h30m`, `2d`, else Go syntax `1.5s`, `100ms`, `1µs`).
//! `//` and `/* */` comments are skipped.
//!
//! Positions reproduce Tempo's: a token read past its first character with the scanner's
//! `Next()` (multi-character operators, scope prefixes, durations, attribute names) reports
//! line 0, and the empty query reports line 0, col 0.

use crate::parser::ParseError;

/// Token kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// Identifier that is not a keyword (also unknown single characters, as Tempo).
    Ident(String),
    /// Attribute name after a scope prefix (Tempo's `IDENTIFIER`).
    AttrName(String),
    /// End of an attribute name.
    EndAttr,
    /// String literal (unescaped).
    Str(String),
    /// Integer literal.
    Int(i64),
    /// Float literal.
    Float(f64),
    /// Duration literal in ns.
    Duration(i64),
    /// Keyword, operator or scope prefix (`span.`, `trace:`), by its text.
    Sym(&'static str),
    /// End of input.
    Eof,
}

impl Tok {
    /// Tempo's name for the token in error messages (`IDENTIFIER`, `$end`, `{`, `avg`).
    pub fn describe(&self) -> String {
        match self {
            Tok::Ident(_) | Tok::AttrName(_) => "IDENTIFIER".into(),
            Tok::EndAttr => "END_ATTRIBUTE".into(),
            Tok::Str(_) => "STRING".into(),
            Tok::Int(_) => "INTEGER".into(),
            Tok::Float(_) => "FLOAT".into(),
            Tok::Duration(_) => "DURATION".into(),
            Tok::Sym(s) => s.to_string(),
            Tok::Eof => "$end".into(),
        }
    }

    /// Whether this is the keyword/operator `s`.
    pub fn is(&self, s: &str) -> bool {
        matches!(self, Tok::Sym(t) if *t == s)
    }
}

/// Token with the position Tempo reports for it (1-based; line 0 see module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// Kind.
    pub tok: Tok,
    /// Reported line.
    pub line: usize,
    /// Reported column (characters).
    pub col: usize,
}

/// Keywords and operators (Tempo's `tokenMap`).
const SYMBOLS: &[&str] = &[
    ",",
    ".",
    "{",
    "}",
    "(",
    ")",
    "=",
    "!=",
    "=~",
    "!~",
    ">",
    ">=",
    "<",
    "<=",
    "+",
    "-",
    "/",
    "%",
    "*",
    "^",
    "true",
    "false",
    "nil",
    "ok",
    "error",
    "unset",
    "unspecified",
    "internal",
    "server",
    "client",
    "producer",
    "consumer",
    "&&",
    "||",
    "!",
    "|",
    ">>",
    "<<",
    "~",
    "!>",
    "!<",
    "!>>",
    "!<<",
    "&~",
    "&>",
    "&<",
    "&>>",
    "&<<",
    "duration",
    "childCount",
    "name",
    "status",
    "statusMessage",
    "kind",
    "rootName",
    "rootServiceName",
    "rootService",
    "traceDuration",
    "nestedSetLeft",
    "nestedSetRight",
    "nestedSetParent",
    "id",
    "traceID",
    "spanID",
    "parentID",
    "timeSinceStart",
    "version",
    "parent",
    "parent.",
    "resource.",
    "span.",
    "trace:",
    "span:",
    "event:",
    "link:",
    "instrumentation:",
    "event.",
    "link.",
    "instrumentation.",
    "count",
    "avg",
    "max",
    "min",
    "sum",
    "by",
    "coalesce",
    "select",
    "rate",
    "count_over_time",
    "min_over_time",
    "max_over_time",
    "avg_over_time",
    "sum_over_time",
    "quantile_over_time",
    "histogram_over_time",
    "compare",
    "topk",
    "bottomk",
    "with",
];

fn symbol(s: &str) -> Option<&'static str> {
    SYMBOLS.iter().find(|x| **x == s).copied()
}

/// Tokens after which an attribute name is read.
fn starts_attribute(s: &str) -> bool {
    matches!(
        s,
        "." | "resource." | "span." | "parent." | "event." | "link." | "instrumentation."
    )
}

/// Characters allowed in an unquoted attribute name (Tempo's `isAttributeRune`).
pub fn is_attribute_char(c: char) -> bool {
    !c.is_whitespace()
        && !matches!(
            c,
            '{' | '}' | '(' | ')' | '=' | '~' | '!' | '<' | '>' | '&' | '|' | '^' | ','
        )
}

struct Lx {
    c: Vec<char>,
    i: usize,
    line: usize,
    col: usize,
}

impl Lx {
    fn peek(&self) -> Option<char> {
        self.c.get(self.i).copied()
    }
    fn at(&self, k: usize) -> Option<char> {
        self.c.get(self.i + k).copied()
    }
    fn bump(&mut self) {
        if let Some(ch) = self.peek() {
            self.i += 1;
            if ch == '\n' {
                self.line += 1;
                self.col = 1;
            } else {
                self.col += 1;
            }
        }
    }
}

/// Tokenizes the whole input; the last token is `Tok::Eof`.
///
/// Errors: unterminated or badly escaped strings and quoted attribute names, integers out of
/// the 64-bit range (Go `strconv.Atoi` text), malformed floats.
pub fn lex(input: &str) -> Result<Vec<Token>, ParseError> {
    let mut l = Lx {
        c: input.chars().collect(),
        i: 0,
        line: 1,
        col: 1,
    };
    let mut out: Vec<Token> = Vec::new();
    let mut attr_mode = false;
    let mut scope: &'static str = "";
    // Reported position of the last token produced by a scan (attribute tokens reuse it).
    let mut last = (0usize, 0usize);
    loop {
        if attr_mode {
            let next_is_attr = l.peek().is_some_and(is_attribute_char);
            if !next_is_attr {
                attr_mode = false;
                out.push(Token {
                    tok: Tok::EndAttr,
                    line: last.0,
                    col: last.1,
                });
                continue;
            }
            last.0 = 0;
            if scope == "parent." {
                if let Some(s) = try_scope(&l) {
                    for _ in 0..s.len() {
                        l.bump();
                    }
                    scope = s;
                    out.push(Token {
                        tok: Tok::Sym(s),
                        line: 0,
                        col: last.1,
                    });
                    continue;
                }
            }
            let name = attribute_name(&mut l).map_err(|m| ParseError::new(0, last.1, m))?;
            out.push(Token {
                tok: Tok::AttrName(name),
                line: 0,
                col: last.1,
            });
            continue;
        }
        skip_space(&mut l);
        let (line, col) = (l.line, l.col);
        let Some(c) = l.peek() else {
            let pos = if l.c.is_empty() { (0, 0) } else { (line, col) };
            out.push(Token {
                tok: Tok::Eof,
                line: pos.0,
                col: pos.1,
            });
            return Ok(out);
        };
        let mut rep_line = line;
        let tok = if c == '"' || c == '`' {
            Tok::Str(lex_string(&mut l).map_err(|m| ParseError::new(line, col, m))?)
        } else if c.is_ascii_digit() || (c == '.' && l.at(1).is_some_and(|d| d.is_ascii_digit())) {
            let (t, via_next) = lex_number(&mut l).map_err(|m| ParseError::new(line, col, m))?;
            if via_next {
                rep_line = 0;
            }
            t
        } else if c.is_alphabetic() || c == '_' {
            let start = l.i;
            while l.peek().is_some_and(|d| d.is_alphanumeric() || d == '_') {
                l.bump();
            }
            let word: String = l.c[start..l.i].iter().collect();
            match l.peek().and_then(|d| symbol(&format!("{word}{d}"))) {
                Some(s) => {
                    l.bump();
                    rep_line = 0;
                    scope = s;
                    attr_mode = starts_attribute(s);
                    Tok::Sym(s)
                }
                None => match symbol(&word) {
                    Some(s) => Tok::Sym(s),
                    None => Tok::Ident(word),
                },
            }
        } else {
            l.bump();
            let mut text = c.to_string();
            let mut sym = symbol(&text);
            while let Some(s) = l.peek().and_then(|d| symbol(&format!("{text}{d}"))) {
                text.push(l.peek().unwrap_or_default());
                l.bump();
                rep_line = 0;
                sym = Some(s);
            }
            match sym {
                Some(s) => {
                    attr_mode = starts_attribute(s);
                    Tok::Sym(s)
                }
                None => Tok::Ident(text),
            }
        };
        last = (rep_line, col);
        out.push(Token {
            tok,
            line: rep_line,
            col,
        });
    }
}

fn skip_space(l: &mut Lx) {
    loop {
        match (l.peek(), l.at(1)) {
            (Some(c), _) if c.is_whitespace() => l.bump(),
            (Some('/'), Some('/')) => {
                while l.peek().is_some_and(|c| c != '\n') {
                    l.bump();
                }
            }
            (Some('/'), Some('*')) => {
                l.bump();
                l.bump();
                while l.peek().is_some() && !(l.peek() == Some('*') && l.at(1) == Some('/')) {
                    l.bump();
                }
                l.bump();
                l.bump();
            }
            _ => return,
        }
    }
}

/// `span.` / `resource.` directly after `parent.` (Tempo's `tryScopeAttribute`).
fn try_scope(l: &Lx) -> Option<&'static str> {
    let mut s = String::new();
    let mut k = 0;
    while let Some(c) = l.at(k) {
        if c == '.' {
            s.push(c);
            break;
        }
        if !is_attribute_char(c) || s.len() > 9 {
            return None;
        }
        s.push(c);
        k += 1;
    }
    match s.as_str() {
        "span." => Some("span."),
        "resource." => Some("resource."),
        _ => None,
    }
}

fn attribute_name(l: &mut Lx) -> Result<String, String> {
    let mut s = String::new();
    while let Some(c) = l.peek() {
        if c == '"' {
            l.bump();
            loop {
                match l.peek() {
                    None => return Err("unexpected EOF, expecting \"".into()),
                    Some('"') => {
                        l.bump();
                        break;
                    }
                    Some('\\') => {
                        l.bump();
                        match l.peek() {
                            Some(e @ ('"' | '\\')) => {
                                s.push(e);
                                l.bump();
                            }
                            _ => return Err("invalid escape sequence".into()),
                        }
                    }
                    Some(ch) => {
                        s.push(ch);
                        l.bump();
                    }
                }
            }
        } else if is_attribute_char(c) {
            s.push(c);
            l.bump();
        } else {
            break;
        }
    }
    Ok(s)
}

fn lex_string(l: &mut Lx) -> Result<String, String> {
    let q = l.peek().unwrap_or('"');
    l.bump();
    let mut s = String::new();
    loop {
        let Some(c) = l.peek() else {
            return Err("literal not terminated".into());
        };
        l.bump();
        if c == q {
            return Ok(s);
        }
        if q == '`' {
            if c != '\r' {
                s.push(c);
            }
            continue;
        }
        match c {
            '\n' => return Err("literal not terminated".into()),
            '\\' => {
                let e = l.peek().ok_or("literal not terminated")?;
                l.bump();
                let simple = match e {
                    'a' => Some('\u{7}'),
                    'b' => Some('\u{8}'),
                    'f' => Some('\u{c}'),
                    'n' => Some('\n'),
                    'r' => Some('\r'),
                    't' => Some('\t'),
                    'v' => Some('\u{b}'),
                    '\\' => Some('\\'),
                    '"' => Some('"'),
                    _ => None,
                };
                if let Some(ch) = simple {
                    s.push(ch);
                    continue;
                }
                let (n, radix, first) = match e {
                    'x' => (2, 16, None),
                    'u' => (4, 16, None),
                    'U' => (8, 16, None),
                    '0'..='7' => (2, 8, Some(e)),
                    _ => return Err("invalid syntax".into()),
                };
                let mut digits: String = first.map(String::from).unwrap_or_default();
                for _ in 0..n {
                    digits.push(l.peek().ok_or("invalid syntax")?);
                    l.bump();
                }
                let v = u32::from_str_radix(&digits, radix).map_err(|_| "invalid syntax")?;
                s.push(char::from_u32(v).ok_or("invalid syntax")?);
            }
            c => s.push(c),
        }
    }
}

/// Lexes a number (Go scanner rules) and an optional duration suffix. Returns the token and
/// whether a duration suffix was consumed (Tempo then reports line 0).
fn lex_number(l: &mut Lx) -> Result<(Tok, bool), String> {
    let start = l.i;
    let mut float = false;
    while l.peek().is_some_and(|c| c.is_ascii_digit()) {
        l.bump();
    }
    if l.peek() == Some('.') {
        float = true;
        l.bump();
        while l.peek().is_some_and(|c| c.is_ascii_digit()) {
            l.bump();
        }
    }
    if matches!(l.peek(), Some('e' | 'E')) {
        let sign = usize::from(matches!(l.at(1), Some('+' | '-')));
        if l.at(1 + sign).is_some_and(|c| c.is_ascii_digit()) {
            float = true;
            for _ in 0..=sign {
                l.bump();
            }
            while l.peek().is_some_and(|c| c.is_ascii_digit()) {
                l.bump();
            }
        }
    }
    let number: String = l.c[start..l.i].iter().collect();
    // Duration suffix: digits, unit letters and dots up to the next other character.
    let mut k = 0;
    while l
        .at(k)
        .is_some_and(|c| c.is_ascii_digit() || c == '.' || "nsumhµdwy".contains(c))
    {
        k += 1;
    }
    if k > 0 {
        let text: String = l.c[start..l.i + k].iter().collect();
        if let Some(d) = parse_duration(&text) {
            for _ in 0..k {
                l.bump();
            }
            return Ok((Tok::Duration(d), true));
        }
    }
    if float {
        let v: f64 = number
            .parse()
            .map_err(|_| format!("strconv.ParseFloat: parsing {number:?}: invalid syntax"))?;
        if v.is_infinite() {
            return Err(format!(
                "strconv.ParseFloat: parsing {number:?}: value out of range"
            ));
        }
        Ok((Tok::Float(v), false))
    } else {
        let v: i64 = number
            .parse()
            .map_err(|_| format!("strconv.Atoi: parsing {number:?}: value out of range"))?;
        Ok((Tok::Int(v), false))
    }
}

/// Parses a TraceQL duration to ns: Prometheus syntax first (`1y2w3d4h5m6s7ms`, integers,
/// units in decreasing order), else Go's `time.ParseDuration` (`1.5h`, `100us`, `1µs`, `2ns`).
pub fn parse_duration(s: &str) -> Option<i64> {
    prom_duration(s).or_else(|| go_duration(s))
}

fn split_units(s: &str) -> Option<Vec<(&str, &str)>> {
    let mut out = Vec::new();
    let mut rest = s;
    while !rest.is_empty() {
        let n = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        if n == 0 {
            return None;
        }
        let (num, tail) = rest.split_at(n);
        let u = tail
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(tail.len());
        out.push((num, &tail[..u]));
        rest = &tail[u..];
    }
    (!out.is_empty()).then_some(out)
}

fn prom_duration(s: &str) -> Option<i64> {
    const UNITS: &[(&str, i64)] = &[
        ("y", 365 * 86_400_000_000_000),
        ("w", 7 * 86_400_000_000_000),
        ("d", 86_400_000_000_000),
        ("h", 3_600_000_000_000),
        ("m", 60_000_000_000),
        ("s", 1_000_000_000),
        ("ms", 1_000_000),
    ];
    let mut total: i64 = 0;
    let mut last = 0usize;
    for (num, unit) in split_units(s)? {
        if num.contains('.') {
            return None;
        }
        let idx = UNITS.iter().position(|(u, _)| *u == unit)?;
        if idx < last || (total != 0 && idx == last) {
            return None;
        }
        last = idx + 1;
        let v: i64 = num.parse().ok()?;
        total = total.checked_add(v.checked_mul(UNITS[idx].1)?)?;
    }
    Some(total)
}

fn go_duration(s: &str) -> Option<i64> {
    const UNITS: &[(&str, f64)] = &[
        ("ns", 1.0),
        ("us", 1e3),
        ("µs", 1e3),
        ("ms", 1e6),
        ("s", 1e9),
        ("m", 60e9),
        ("h", 3600e9),
    ];
    let mut total = 0f64;
    for (num, unit) in split_units(s)? {
        let v: f64 = num.parse().ok()?;
        let mult = UNITS.iter().find(|(u, _)| *u == unit)?.1;
        total += v * mult;
    }
    (total <= i64::MAX as f64).then(|| total.round() as i64)
}
