//! LogQL lexer: turns source text into positioned tokens. Strings accept Go escapes in
//! `"..."` and raw text in backticks; `5m`, `1h30m`, `100ms` lex as durations (ns) and
//! `20MB`, `1KiB` as byte sizes, as Loki's lexer.

use crate::parser::ParseError;

/// Token kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// Identifier / keyword.
    Ident(String),
    /// String literal (unescaped).
    Str(String),
    /// Number literal.
    Number(f64),
    /// Duration literal in ns.
    Duration(i64),
    /// Byte size literal in bytes.
    Bytes(u64),
    /// `--flag` (logfmt), without the dashes.
    Flag(String),
    /// Punctuation / operator, e.g. `|=`, `(`.
    Op(&'static str),
    /// End of input.
    Eof,
}

impl Tok {
    /// Loki-style description used in error messages.
    pub fn describe(&self) -> String {
        match self {
            Tok::Ident(s) => format!("IDENTIFIER {s}"),
            Tok::Str(_) => "STRING".into(),
            Tok::Number(_) => "NUMBER".into(),
            Tok::Duration(_) => "DURATION".into(),
            Tok::Bytes(_) => "BYTES".into(),
            Tok::Flag(f) => format!("--{f}"),
            Tok::Op(o) => o.to_string(),
            Tok::Eof => "$end".into(),
        }
    }
}

/// Token with 1-based line/column of its first character.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// Kind.
    pub tok: Tok,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub col: usize,
}

const OPS: &[&str] = &[
    "|=", "|~", "|>", "!=", "!~", "!>", "=~", "==", ">=", "<=", "|", "=", ">", "<", "+", "-", "*",
    "/", "%", "^", "(", ")", "{", "}", "[", "]", ",",
];

/// Tokenizes the whole input; the last token is `Tok::Eof`.
pub fn lex(input: &str) -> Result<Vec<Token>, ParseError> {
    let chars: Vec<char> = input.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line, mut col) = (0usize, 1usize, 1usize);
    while i < chars.len() {
        let c = chars[i];
        let (tl, tc) = (line, col);
        let start = i;
        if c == '\n' {
            i += 1;
            line += 1;
            col = 1;
            continue;
        }
        if c.is_whitespace() {
            i += 1;
            col += 1;
            continue;
        }
        if c == '#' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            continue;
        }
        let tok = if c == '"' {
            let (s, ni) = lex_string(&chars, i).map_err(|m| ParseError::new(tl, tc, m))?;
            i = ni;
            Tok::Str(s)
        } else if c == '`' {
            let end = chars[i + 1..]
                .iter()
                .position(|&x| x == '`')
                .ok_or_else(|| ParseError::new(tl, tc, "unterminated raw string".into()))?;
            let s: String = chars[i + 1..i + 1 + end].iter().collect();
            i += end + 2;
            Tok::Str(s)
        } else if c.is_ascii_digit()
            || (c == '.' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit()))
        {
            let (t, ni) = lex_number(&chars, i).map_err(|m| ParseError::new(tl, tc, m))?;
            i = ni;
            t
        } else if c.is_ascii_alphabetic() || c == '_' {
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            Tok::Ident(chars[start..i].iter().collect())
        } else if c == '-'
            && chars.get(i + 1) == Some(&'-')
            && chars.get(i + 2).is_some_and(|d| d.is_ascii_alphabetic())
        {
            i += 2;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '-') {
                i += 1;
            }
            Tok::Flag(chars[start + 2..i].iter().collect())
        } else {
            let op = OPS.iter().find(|op| {
                op.chars()
                    .enumerate()
                    .all(|(k, oc)| chars.get(i + k) == Some(&oc))
            });
            match op {
                Some(op) => {
                    i += op.len();
                    Tok::Op(op)
                }
                None => {
                    return Err(ParseError::new(
                        tl,
                        tc,
                        format!("syntax error: unexpected character {c:?}"),
                    ))
                }
            }
        };
        // Tokens never span lines except strings; keep columns simple.
        for &ch in &chars[start..i] {
            if ch == '\n' {
                line += 1;
                col = 1;
            } else {
                col += 1;
            }
        }
        out.push(Token {
            tok,
            line: tl,
            col: tc,
        });
    }
    out.push(Token {
        tok: Tok::Eof,
        line,
        col,
    });
    Ok(out)
}

fn lex_string(chars: &[char], start: usize) -> Result<(String, usize), String> {
    let mut s = String::new();
    let mut i = start + 1;
    loop {
        let c = *chars.get(i).ok_or("unterminated string")?;
        i += 1;
        match c {
            '"' => return Ok((s, i)),
            '\n' => return Err("newline in string".into()),
            '\\' => {
                let e = *chars.get(i).ok_or("unterminated string")?;
                i += 1;
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
                    '\'' => Some('\''),
                    _ => None,
                };
                if let Some(ch) = simple {
                    s.push(ch);
                    continue;
                }
                let (n, radix) = match e {
                    'x' => (2, 16),
                    'u' => (4, 16),
                    'U' => (8, 16),
                    '0'..='7' => {
                        i -= 1;
                        (3, 8)
                    }
                    _ => return Err(format!("invalid escape sequence \\{e}")),
                };
                let digits: String = chars
                    .get(i..i + n)
                    .ok_or("invalid escape")?
                    .iter()
                    .collect();
                let v = u32::from_str_radix(&digits, radix).map_err(|_| "invalid escape")?;
                i += n;
                s.push(char::from_u32(v).ok_or("invalid escape")?);
            }
            c => s.push(c),
        }
    }
}

fn lex_number(chars: &[char], start: usize) -> Result<(Tok, usize), String> {
    let mut i = start;
    while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
        i += 1;
    }
    // exponent: 1e3 / 1e-3 (only if followed by digits)
    if i < chars.len() && (chars[i] == 'e' || chars[i] == 'E') {
        let mut j = i + 1;
        if j < chars.len() && (chars[j] == '+' || chars[j] == '-') {
            j += 1;
        }
        if j < chars.len() && chars[j].is_ascii_digit() {
            i = j;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            let s: String = chars[start..i].iter().collect();
            return s
                .parse()
                .map(|n| (Tok::Number(n), i))
                .map_err(|_| format!("invalid number {s}"));
        }
    }
    let mut j = i;
    while j < chars.len()
        && (chars[j].is_ascii_alphanumeric() || chars[j] == 'µ' || chars[j] == '.')
    {
        j += 1;
    }
    let text: String = chars[start..j].iter().collect();
    if j == i {
        return text
            .parse()
            .map(|n| (Tok::Number(n), j))
            .map_err(|_| format!("invalid number {text}"));
    }
    if let Some(d) = parse_duration(&text) {
        return Ok((Tok::Duration(d), j));
    }
    if let Some(b) = parse_bytes(&text) {
        return Ok((Tok::Bytes(b), j));
    }
    Err(format!(
        "syntax error: invalid duration or bytes literal {text}"
    ))
}

/// Parses a Go/Prometheus duration (`1h30m`, `100ms`, `1.5s`, `2d`, `1w`, `1y`) to ns.
pub fn parse_duration(s: &str) -> Option<i64> {
    let units: &[(&str, f64)] = &[
        ("ns", 1.0),
        ("us", 1e3),
        ("µs", 1e3),
        ("ms", 1e6),
        ("s", 1e9),
        ("m", 60e9),
        ("h", 3600e9),
        ("d", 86400e9),
        ("w", 7.0 * 86400e9),
        ("y", 365.0 * 86400e9),
    ];
    let mut rest = s;
    let mut total = 0f64;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let n = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        if n == 0 {
            return None;
        }
        let v: f64 = rest[..n].parse().ok()?;
        rest = &rest[n..];
        let u = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let mult = units.iter().find(|(name, _)| *name == &rest[..u])?.1;
        total += v * mult;
        rest = &rest[u..];
    }
    if total > i64::MAX as f64 {
        return None;
    }
    Some(total.round() as i64)
}

/// Parses a humanized byte size (`20MB` = 20·10⁶, `1KiB` = 1024, `5B`) to bytes, as
/// go-humanize `ParseBytes` (unit case-insensitive, must end in `b`).
pub fn parse_bytes(s: &str) -> Option<u64> {
    let n = s.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let v: f64 = s[..n].parse().ok()?;
    let unit = s[n..].to_ascii_lowercase();
    let mult: f64 = match unit.as_str() {
        "b" => 1.0,
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "tb" => 1e12,
        "pb" => 1e15,
        "eb" => 1e18,
        "kib" => 1024.0,
        "mib" => 1024f64.powi(2),
        "gib" => 1024f64.powi(3),
        "tib" => 1024f64.powi(4),
        "pib" => 1024f64.powi(5),
        "eib" => 1024f64.powi(6),
        _ => return None,
    };
    let b = v * mult;
    (b <= u64::MAX as f64).then_some(b.round() as u64)
}
