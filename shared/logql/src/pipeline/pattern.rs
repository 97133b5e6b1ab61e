//! Loki's pattern language (`pkg/logql/log/pattern`): `<name>` captures (name
//! `[A-Za-z_][A-Za-z0-9_]*`, `<_>` is unnamed) and literal text between them. Used by the
//! `| pattern` parser and the `|>` / `!>` line filters.

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Literal(String),
    /// Capture name (`_` for `<_>`).
    Capture(String),
}

/// A parsed pattern.
#[derive(Debug, Clone)]
pub struct Pattern {
    nodes: Vec<Node>,
}

const ERR_INVALID: &str = "invalid expression";

fn parse_nodes(input: &str) -> Vec<Node> {
    let mut nodes: Vec<Node> = Vec::new();
    let mut rest = input;
    let push_lit = |nodes: &mut Vec<Node>, s: &str| match nodes.last_mut() {
        Some(Node::Literal(l)) => l.push_str(s),
        _ => nodes.push(Node::Literal(s.to_string())),
    };
    while let Some(c) = rest.chars().next() {
        if c == '<' {
            let body = &rest[1..];
            let name_len = body
                .char_indices()
                .take_while(|(i, ch)| {
                    if *i == 0 {
                        ch.is_ascii_alphabetic() || *ch == '_'
                    } else {
                        ch.is_ascii_alphanumeric() || *ch == '_'
                    }
                })
                .count();
            if name_len > 0 && body[name_len..].starts_with('>') {
                nodes.push(Node::Capture(body[..name_len].to_string()));
                rest = &body[name_len + 1..];
                continue;
            }
        }
        push_lit(&mut nodes, &rest[..c.len_utf8()]);
        rest = &rest[c.len_utf8()..];
    }
    nodes
}

fn is_unnamed(name: &str) -> bool {
    name == "_"
}

fn no_consecutive_captures(nodes: &[Node]) -> Result<(), String> {
    for w in nodes.windows(2) {
        if let (Node::Capture(a), Node::Capture(b)) = (&w[0], &w[1]) {
            return Err(format!(
                "found consecutive capture '<{a}><{b}>': {ERR_INVALID}"
            ));
        }
    }
    Ok(())
}

impl Pattern {
    /// Parses a `| pattern` expression: at least one named capture, no two captures in a
    /// row, unique names. Error texts as Loki's.
    pub fn new_parser(input: &str) -> Result<Pattern, String> {
        let nodes = parse_nodes(input);
        let names: Vec<&str> = nodes
            .iter()
            .filter_map(|n| match n {
                Node::Capture(c) if !is_unnamed(c) => Some(c.as_str()),
                _ => None,
            })
            .collect();
        if names.is_empty() {
            return Err("at least one capture is required".into());
        }
        no_consecutive_captures(&nodes)?;
        for (i, n) in names.iter().enumerate() {
            if names[..i].contains(n) {
                return Err(format!("duplicate capture name ({n}): {ERR_INVALID}"));
            }
        }
        Ok(Pattern { nodes })
    }

    /// Parses a `|>` / `!>` line filter pattern: only `<_>` captures, none in a row.
    pub fn new_line_filter(input: &str) -> Result<Pattern, String> {
        let nodes = parse_nodes(input);
        no_consecutive_captures(&nodes)?;
        for n in &nodes {
            if let Node::Capture(c) = n {
                if !is_unnamed(c) {
                    return Err(format!("named captures are not allowed: found '<{c}>'"));
                }
            }
        }
        Ok(Pattern { nodes })
    }

    /// Named capture names in order.
    pub fn names(&self) -> Vec<String> {
        self.nodes
            .iter()
            .filter_map(|n| match n {
                Node::Capture(c) if !is_unnamed(c) => Some(c.clone()),
                _ => None,
            })
            .collect()
    }

    /// Captured values for the parser, in name order; may be shorter than
    /// [`names`](Self::names) when the line ends early (as Loki's `Matcher.Matches`). A
    /// leading literal must be at the start of the line.
    pub fn captures<'l>(&self, line: &'l str) -> Vec<&'l str> {
        let mut out = Vec::new();
        if line.is_empty() || self.nodes.is_empty() {
            return out;
        }
        let mut input = line;
        let mut expr: &[Node] = &self.nodes;
        if let Node::Literal(l) = &expr[0] {
            if !input.starts_with(l.as_str()) {
                return out;
            }
            input = &input[l.len()..];
            expr = &expr[1..];
        }
        while !expr.is_empty() {
            let Node::Capture(name) = &expr[0] else {
                return out;
            };
            if expr.len() == 1 {
                if !is_unnamed(name) {
                    out.push(input);
                }
                return out;
            }
            let Node::Literal(lit) = &expr[1] else {
                return out;
            };
            expr = &expr[2..];
            match input.find(lit.as_str()) {
                None => {
                    if !is_unnamed(name) {
                        out.push(input);
                    }
                    return out;
                }
                Some(i) => {
                    if !is_unnamed(name) {
                        out.push(&input[..i]);
                    }
                    input = &input[i + lit.len()..];
                }
            }
        }
        out
    }

    /// Line filter test (Loki's `Matcher.Test`): literals appear in order, captures between
    /// them are non-empty, and text remains at the end iff the pattern ends with a capture.
    pub fn test(&self, line: &str) -> bool {
        if line.is_empty() || self.nodes.is_empty() {
            return line.is_empty() && self.nodes.is_empty();
        }
        let mut off = 0;
        for (i, n) in self.nodes.iter().enumerate() {
            let Node::Literal(lit) = n else { continue };
            let Some(j) = line[off..].find(lit.as_str()) else {
                return false;
            };
            if i != 0 && j == 0 {
                return false;
            }
            off += j + lit.len();
        }
        let ends_with_capture = matches!(self.nodes.last(), Some(Node::Capture(_)));
        ends_with_capture == (off != line.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parser() {
        let p = Pattern::new_parser("<ip> - <_> \"<method> <path>\"").unwrap();
        assert_eq!(p.names(), vec!["ip", "method", "path"]);
        assert_eq!(
            p.captures("1.2.3.4 - frank \"GET /x\""),
            vec!["1.2.3.4", "GET", "/x"]
        );
        assert!(Pattern::new_parser("<a><b>").is_err());
        assert!(Pattern::new_parser("foo").is_err());
        assert!(Pattern::new_parser("<a> <a>").is_err());
    }

    #[test]
    fn line_filter() {
        let p = Pattern::new_line_filter("<_> error <_>").unwrap();
        assert!(p.test("an error here"));
        assert!(!p.test("error here"));
        assert!(Pattern::new_line_filter("<a> x").is_err());
    }
}
