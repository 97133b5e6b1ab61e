//! A YAML document as a tree of nodes that remember their position (line and column, both
//! 1-based, as go-yaml's `yaml.Node`), so that rule-file errors can name positions exactly as
//! promtool does. Syntax errors are reported in go-yaml's words (`yaml: line N: <problem>`).

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// A position in the document: 1-based line and column. `Pos::default()` (0:0) is what
/// go-yaml prints for a node that is absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

impl Pos {
    fn from_marker(m: Marker) -> Self {
        // yaml-rust2's column is 0-based, its line 1-based.
        Pos {
            line: m.line(),
            col: m.col() + 1,
        }
    }
}

/// The YAML core-schema type of a scalar, as go-yaml names it in errors (`!!str`, `!!int`…).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarTag {
    Null,
    Bool,
    Int,
    Float,
    Str,
}

impl ScalarTag {
    /// go-yaml's short tag (`!!str`).
    pub fn short(self) -> &'static str {
        match self {
            ScalarTag::Null => "!!null",
            ScalarTag::Bool => "!!bool",
            ScalarTag::Int => "!!int",
            ScalarTag::Float => "!!float",
            ScalarTag::Str => "!!str",
        }
    }
}

/// One node of the document.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Scalar {
        value: String,
        tag: ScalarTag,
        pos: Pos,
    },
    Seq {
        items: Vec<Node>,
        pos: Pos,
    },
    Map {
        entries: Vec<(Node, Node)>,
        pos: Pos,
    },
}

impl Node {
    /// Where the node starts.
    pub fn pos(&self) -> Pos {
        match self {
            Node::Scalar { pos, .. } | Node::Seq { pos, .. } | Node::Map { pos, .. } => *pos,
        }
    }

    /// True for a null scalar (`~`, `null`, empty).
    pub fn is_null(&self) -> bool {
        matches!(
            self,
            Node::Scalar {
                tag: ScalarTag::Null,
                ..
            }
        )
    }

    /// go-yaml's description of the node in type errors: ``!!str `abc` ``, `!!seq`, `!!map`.
    pub fn describe(&self) -> String {
        match self {
            Node::Scalar { value, tag, .. } => format!("{} `{}`", tag.short(), value),
            Node::Seq { .. } => "!!seq".to_string(),
            Node::Map { .. } => "!!map".to_string(),
        }
    }
}

/// Parses the first document of `text` (promtool reads only the first). `Ok(None)` for an
/// empty document. Errors: go-yaml's syntax error text (`yaml: line 2: mapping values are not
/// allowed in this context`).
pub fn parse(text: &str) -> Result<Option<Node>, String> {
    // libyaml (through serde_yaml) words syntax errors exactly as go-yaml, its Go port, does.
    if let Err(e) = serde_yaml::from_str::<serde_yaml::Value>(text) {
        if let Some(msg) = syntax_error(&e) {
            return Err(msg);
        }
    }
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    parser
        .load(&mut builder, false)
        .map_err(|e| format!("yaml: line {}: {}", e.marker().line(), e.info()))?;
    Ok(builder.root)
}

/// Converts a libyaml syntax error to go-yaml's `yaml: line N: problem`, where go-yaml prints
/// the context's line (0-based for parser errors, 1-based for scanner errors) when there is a
/// context, else the problem's. `None` when the error is not a syntax error (serde_yaml also
/// rejects things go-yaml accepts, such as duplicate keys, which the decoder reports itself).
fn syntax_error(e: &serde_yaml::Error) -> Option<String> {
    let msg = e.to_string();
    if msg.contains("duplicate entry") || msg.starts_with("recursion limit") {
        return None;
    }
    // serde_yaml: "<problem> at line L column C[, while <context> at line L2 column C2]".
    let (head, context) = match msg.split_once(", while ") {
        Some((h, c)) => (h, Some(c)),
        None => (msg.as_str(), None),
    };
    let (problem, problem_line) = split_line(head)?;
    let scanner = SCANNER_PROBLEMS.iter().any(|p| problem.starts_with(p));
    let line = match context.and_then(split_line) {
        Some((_, l)) if l > 1 => {
            if scanner {
                l
            } else {
                l - 1
            }
        }
        _ if problem_line > 1 || scanner => {
            if scanner {
                problem_line
            } else {
                problem_line - 1
            }
        }
        _ => 0,
    };
    Some(if line == 0 {
        format!("yaml: {problem}")
    } else {
        format!("yaml: line {line}: {problem}")
    })
}

/// Problems raised by libyaml's scanner (go-yaml adds 1 to their 0-based line).
const SCANNER_PROBLEMS: &[&str] = &[
    "found character that cannot start any token",
    "mapping values are not allowed in this context",
    "could not find expected ':'",
    "found unexpected end of stream",
    "found unknown escape character",
    "found undefined tag handle",
    "did not find URI escaped octet",
    "found a tab character",
    "block sequence entries are not allowed in this context",
    "found unexpected ':'",
    "did not find expected comment or line break",
    "did not find expected whitespace or line break",
    "found a document indicator",
    "did not find expected alphabetic or numeric character",
    "did not find expected tag URI",
    "found incorrect leading UTF-8 octet",
    "invalid leading UTF-8 octet",
    "found extra characters",
];

/// Splits `"<text> at line L column C"` into the text and L (1-based).
fn split_line(s: &str) -> Option<(&str, usize)> {
    let (text, rest) = s.rsplit_once(" at line ")?;
    let line = rest.split_whitespace().next()?.parse().ok()?;
    Some((text, line))
}

/// Builds the tree from parser events.
#[derive(Default)]
struct Builder {
    stack: Vec<Node>,
    /// Pending map keys, one per open mapping.
    keys: Vec<Option<Node>>,
    root: Option<Node>,
    /// Anchored nodes for aliases.
    anchors: Vec<(usize, Node)>,
    /// Anchor ids of the open collections.
    open_anchors: Vec<usize>,
    done: bool,
}

impl Builder {
    fn push_value(&mut self, node: Node) {
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() && !self.done {
                    self.root = Some(node);
                }
            }
            Some(Node::Seq { items, .. }) => items.push(node),
            Some(Node::Map { entries, .. }) => {
                let slot = self.keys.last_mut();
                match slot {
                    Some(slot @ None) => *slot = Some(node),
                    Some(slot) => {
                        if let Some(k) = slot.take() {
                            entries.push((k.clone(), empty_value_at_key(node, &k)));
                        }
                    }
                    None => {}
                }
            }
            Some(Node::Scalar { .. }) => {}
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let pos = Pos::from_marker(mark);
        match ev {
            Event::DocumentEnd => self.done = self.root.is_some() || self.done,
            Event::Scalar(value, style, anchor, _tag) => {
                let tag = if style == TScalarStyle::Plain {
                    resolve_plain(&value)
                } else {
                    ScalarTag::Str
                };
                let node = Node::Scalar { value, tag, pos };
                if anchor > 0 {
                    self.anchors.push((anchor, node.clone()));
                }
                self.push_value(node);
            }
            Event::Alias(id) => {
                let node = self
                    .anchors
                    .iter()
                    .rev()
                    .find(|(a, _)| *a == id)
                    .map(|(_, n)| n.clone())
                    .unwrap_or(Node::Scalar {
                        value: String::new(),
                        tag: ScalarTag::Null,
                        pos,
                    });
                self.push_value(node);
            }
            Event::SequenceStart(anchor, _) => {
                self.open_anchors.push(anchor);
                self.stack.push(Node::Seq {
                    items: Vec::new(),
                    pos,
                });
            }
            Event::MappingStart(anchor, _) => {
                self.open_anchors.push(anchor);
                self.keys.push(None);
                self.stack.push(Node::Map {
                    entries: Vec::new(),
                    pos,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if matches!(ev, Event::MappingEnd) {
                    self.keys.pop();
                }
                let anchor = self.open_anchors.pop().unwrap_or(0);
                if let Some(mut node) = self.stack.pop() {
                    // The parser marks a block mapping after its first key; go-yaml puts the
                    // mapping at its first key.
                    if let Node::Map { entries, pos } = &mut node {
                        if let Some((k, _)) = entries.first() {
                            let kp = k.pos();
                            // Block mappings only: a flow mapping's mark is its `{`.
                            if (kp.line, kp.col) < (pos.line, pos.col) {
                                *pos = kp;
                            }
                        }
                    }
                    if anchor > 0 {
                        self.anchors.push((anchor, node.clone()));
                    }
                    self.push_value(node);
                }
            }
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentStart => {}
        }
    }
}

/// go-yaml places an empty (implicit null) mapping value right after its key's `:`; the
/// parser marks it at the next token. Moves it after a plain `key:` on the key's line.
fn empty_value_at_key(node: Node, key: &Node) -> Node {
    match (node, key) {
        (
            Node::Scalar {
                value,
                tag: ScalarTag::Null,
                ..
            },
            Node::Scalar {
                value: k, pos: kp, ..
            },
        ) if value.is_empty() => Node::Scalar {
            value,
            tag: ScalarTag::Null,
            pos: Pos {
                line: kp.line,
                col: kp.col + k.chars().count() + 1,
            },
        },
        (node, _) => node,
    }
}

/// The YAML 1.1/core resolution go-yaml applies to plain scalars.
fn resolve_plain(v: &str) -> ScalarTag {
    match v {
        "" | "~" | "null" | "Null" | "NULL" => return ScalarTag::Null,
        "true" | "True" | "TRUE" | "false" | "False" | "FALSE" => return ScalarTag::Bool,
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" | "-.inf" | "-.Inf" | "-.INF"
        | ".nan" | ".NaN" | ".NAN" => return ScalarTag::Float,
        _ => {}
    }
    let plain = v.replace('_', "");
    let digits = plain.strip_prefix(['+', '-']).unwrap_or(&plain);
    let is_int = (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
        || digits
            .strip_prefix("0x")
            .is_some_and(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit()))
        || digits
            .strip_prefix("0o")
            .is_some_and(|o| !o.is_empty() && o.bytes().all(|b| (b'0'..=b'7').contains(&b)))
        || digits
            .strip_prefix("0b")
            .is_some_and(|o| !o.is_empty() && o.bytes().all(|b| b == b'0' || b == b'1'));
    if is_int {
        return ScalarTag::Int;
    }
    let looks_float = digits.bytes().any(|b| b.is_ascii_digit())
        && digits
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
        && digits.parse::<f64>().is_ok();
    if looks_float {
        return ScalarTag::Float;
    }
    ScalarTag::Str
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based() {
        let n = parse("groups:\n  - name: g\n    rules:\n      - expr: up\n")
            .unwrap()
            .unwrap();
        let Node::Map { entries, .. } = n else {
            panic!("map")
        };
        let Node::Seq { items, .. } = &entries[0].1 else {
            panic!("seq")
        };
        assert_eq!(items[0].pos(), Pos { line: 2, col: 5 });
    }

    #[test]
    fn syntax_errors_in_go_yaml_words() {
        assert_eq!(
            parse("groups:\n  - name: g: h\n    rules: []\n").unwrap_err(),
            "yaml: line 2: mapping values are not allowed in this context"
        );
        assert_eq!(
            parse("groups:\n  - name: g\n   rules: [\n").unwrap_err(),
            "yaml: line 1: did not find expected '-' indicator"
        );
        assert_eq!(
            parse("groups:\n\t- name: g\n").unwrap_err(),
            "yaml: line 2: found character that cannot start any token"
        );
    }
}
