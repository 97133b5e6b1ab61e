//! Go (RE2) regular expressions on the Rust `regex` crate. The syntaxes agree except for
//! the Perl classes, which are ASCII-only in Go (`\d` = `[0-9]`, `\w` = `[0-9A-Za-z_]`,
//! `\s` = `[\t\n\f\r ]`, `\b` on ASCII word characters) and Unicode-aware in Rust, and a
//! `{` that does not start a valid repetition, which is a literal in Go and an error in
//! Rust; this module rewrites both so matching behaves as in Loki (grafana/regexp). Use it
//! for every user regex of a LogQL query (line/label filters, `regexp`, selectors).

use regex::Regex;

/// Rewrites Go-only semantics of `pattern` into an equivalent Rust pattern.
pub fn translate(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    let mut class_start = false;
    while let Some(c) = chars.next() {
        if c == '\\' {
            let Some(n) = chars.next() else {
                out.push('\\');
                break;
            };
            let class_body = match n {
                'd' => Some(("0-9", false)),
                'D' => Some(("0-9", true)),
                'w' => Some(("0-9A-Za-z_", false)),
                'W' => Some(("0-9A-Za-z_", true)),
                's' => Some(("\\t\\n\\x0C\\r ", false)),
                'S' => Some(("\\t\\n\\x0C\\r ", true)),
                _ => None,
            };
            match (class_body, in_class) {
                (Some((body, neg)), false) => {
                    out.push('[');
                    if neg {
                        out.push('^');
                    }
                    out.push_str(body);
                    out.push(']');
                }
                (Some((body, false)), true) => out.push_str(body),
                (Some((_, true)), true) => {
                    // A negated class inside a class: use the ASCII form of Rust.
                    out.push_str(match n {
                        'D' => "[^0-9]",
                        'W' => "[^0-9A-Za-z_]",
                        _ => "[^\\t\\n\\x0C\\r ]",
                    });
                }
                (None, _) if !in_class && (n == 'b' || n == 'B') => {
                    out.push_str(if n == 'b' { "(?-u:\\b)" } else { "(?-u:\\B)" });
                }
                (None, _) => {
                    out.push('\\');
                    out.push(n);
                }
            }
            class_start = false;
            continue;
        }
        if in_class {
            if c == ']' && !class_start {
                in_class = false;
            }
            // `[[:alpha:]]`-style names are copied verbatim.
            if c == '[' && chars.peek() == Some(&':') {
                out.push(c);
                for d in chars.by_ref() {
                    out.push(d);
                    if d == ']' {
                        break;
                    }
                }
                class_start = false;
                continue;
            }
            class_start = class_start && c == '^';
            out.push(c);
            continue;
        }
        if c == '{' {
            // Go: `{` not starting a valid `{n}`, `{n,}` or `{n,m}` is a literal.
            let rest: String = chars.clone().collect();
            if !is_repeat(&rest) {
                out.push_str("\\{");
                continue;
            }
        }
        if c == '[' {
            in_class = true;
            class_start = true;
            out.push(c);
            if chars.peek() == Some(&'^') {
                out.push('^');
                chars.next();
            }
            continue;
        }
        out.push(c);
    }
    out
}

/// True when `rest` (the text after a `{`) completes a Go repetition `n}`, `n,}`, `n,m}`.
fn is_repeat(rest: &str) -> bool {
    let digits = |s: &str| s.bytes().take_while(u8::is_ascii_digit).count();
    let n = digits(rest);
    if n == 0 {
        return false;
    }
    let r = &rest[n..];
    if r.starts_with('}') {
        return true;
    }
    let Some(r) = r.strip_prefix(',') else {
        return false;
    };
    let m = digits(r);
    r[m..].starts_with('}')
}

/// Compiles a Go regex (unanchored). Errors carry the `regex` crate's message.
pub fn compile(pattern: &str) -> Result<Regex, String> {
    Regex::new(&translate(pattern)).map_err(|e| e.to_string())
}

/// Compiles a Go regex anchored at both ends, as Prometheus label matchers are.
pub fn compile_anchored(pattern: &str) -> Result<Regex, String> {
    Regex::new(&format!("^(?:{})$", translate(pattern))).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_classes() {
        let r = compile(r"^\d+$").unwrap();
        assert!(r.is_match("123"));
        assert!(!r.is_match("١٢٣"));
        let r = compile(r"^[\d.]+$").unwrap();
        assert!(r.is_match("1.2"));
        let r = compile(r"^[^\s]+$").unwrap();
        assert!(r.is_match("ab"));
        assert!(!r.is_match("a b"));
        let r = compile(r"\bfoo\b").unwrap();
        assert!(r.is_match("a foo b"));
        assert!(compile(r"[]a]").unwrap().is_match("]"));
        assert!(compile(r"[[:alpha:]\d]+").unwrap().is_match("a1"));
        assert!(compile(r#"{"level":"error"}"#)
            .unwrap()
            .is_match(r#"x {"level":"error"}"#));
        assert!(compile(r"a{2}").unwrap().is_match("aa"));
        assert!(compile(r"a{2,}b{,3}").unwrap().is_match("aab{,3}"));
        assert!(compile(r"x}").unwrap().is_match("x}"));
    }
}
