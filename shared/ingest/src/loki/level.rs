//! `detected_level`: the structured-metadata field Loki's distributor adds to every entry
//! (`discover_log_levels`, on by default), as `pkg/distributor/field_detection.go`:
//!
//! 1. an existing `detected_level` is normalised in place and nothing is added;
//! 2. else the first of [`LEVEL_FIELDS`] among the **stream labels**, then among the structured
//!    metadata, normalised;
//! 3. else an OTLP `severity_number` metadata field (SeverityNumber ranges);
//! 4. else the line: JSON (`{…}`: first string field named in [`LEVEL_FIELDS`], top level or one
//!    object deeper), logfmt (contains `=`: the key earliest in [`LEVEL_FIELDS`], compared
//!    case-insensitively); a known value maps to its level, anything else falls back to
//! 5. a keyword scan of the line (`trace`, `debug`, `fatal`, `critical`, `error`/`err`,
//!    `warning`/`warn`, `info` as whole words; the earliest wins), else `unknown`.
//!
//! Normalisation maps `trace/trc`, `debug/dbg`, `info/inf/information`, `warn/wrn/warning`,
//! `error/err`, `critical`, `fatal` (case-insensitive) to the lower-case level; other values are
//! kept as sent (as Loki).

use lakewatch_model::Labels;
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};

/// The structured-metadata name Loki uses.
pub const DETECTED_LEVEL: &str = "detected_level";

/// Loki's `DefaultAllowedLevelFields`, in priority order.
pub const LEVEL_FIELDS: &[&str] = &[
    "level",
    "LEVEL",
    "Level",
    "log.level",
    "severity",
    "SEVERITY",
    "Severity",
    "SeverityText",
    "lvl",
    "LVL",
    "Lvl",
    "severity_text",
    "Severity_Text",
    "SEVERITY_TEXT",
];

/// Depth of Loki's `log_level_from_json_max_depth` default (top level + one nested object).
const JSON_MAX_DEPTH: usize = 2;

fn known_level(v: &str) -> Option<&'static str> {
    let l = v.to_ascii_lowercase();
    Some(match l.as_str() {
        "trace" | "trc" => "trace",
        "debug" | "dbg" => "debug",
        "info" | "inf" | "information" => "info",
        "warn" | "wrn" | "warning" => "warn",
        "error" | "err" => "error",
        "critical" => "critical",
        "fatal" => "fatal",
        _ => return None,
    })
}

/// Loki's `normalizeLogLevel`: a known level name in lower case, else the value unchanged.
pub fn normalize_level(v: &str) -> String {
    known_level(v).map_or_else(|| v.to_string(), str::to_string)
}

/// Adds (or normalises) `detected_level` in `sm` (structured metadata pairs, names already
/// sanitised) for an entry of the stream `labels` with text `line`.
pub fn apply_detected_level(labels: &Labels, sm: &mut Vec<(String, String)>, line: &str) {
    if let Some(p) = sm.iter_mut().find(|(n, _)| n == DETECTED_LEVEL) {
        p.1 = normalize_level(&p.1);
        return;
    }
    let from_labels = LEVEL_FIELDS.iter().find_map(|f| labels.get(f));
    let level = if let Some(v) = from_labels {
        normalize_level(v)
    } else if let Some(v) = LEVEL_FIELDS
        .iter()
        .find_map(|f| sm.iter().find(|(n, _)| n == f).map(|(_, v)| v.as_str()))
    {
        normalize_level(v)
    } else if let Some((_, v)) = sm
        .iter()
        .find(|(n, v)| n == "severity_number" && !v.is_empty())
    {
        severity_number_level(v).to_string()
    } else {
        level_from_line(line).to_string()
    };
    if !level.is_empty() {
        sm.push((DETECTED_LEVEL.to_string(), level));
    }
}

/// OTLP `SeverityNumber` → level (0 unknown, 1–4 trace, 5–8 debug, 9–12 info, 13–16 warn,
/// 17–20 error, 21–24 fatal); an unparsable number is `info` (as Loki).
pub fn severity_number_level(v: &str) -> &'static str {
    match v.trim().parse::<i64>() {
        Err(_) => "info",
        Ok(0) => "unknown",
        Ok(n) if n < 0 => "trace",
        Ok(n) if n <= 4 => "trace",
        Ok(n) if n <= 8 => "debug",
        Ok(n) if n <= 12 => "info",
        Ok(n) if n <= 16 => "warn",
        Ok(n) if n <= 20 => "error",
        Ok(n) if n <= 24 => "fatal",
        Ok(_) => "unknown",
    }
}

/// The level of a line by steps 4–5 above.
pub fn level_from_line(line: &str) -> &'static str {
    let trimmed = line.trim();
    let v = if trimmed.starts_with('{') && trimmed.ends_with('}') {
        json_level(trimmed)
    } else if line.contains('=') {
        logfmt_level(line)
    } else {
        return keyword_level(line);
    };
    v.as_deref()
        .and_then(known_level)
        .unwrap_or_else(|| keyword_level(line))
}

/// JSON object keys in document order with string values or nested objects.
enum Node {
    Str(String),
    Obj(Vec<(String, Node)>),
    Other,
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Node, E> {
        Ok(Node::Str(v))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Node, E> {
        Ok(Node::Other)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Node, E> {
        Ok(Node::Other)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Node, E> {
        Ok(Node::Other)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Node, E> {
        Ok(Node::Other)
    }
    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Other)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Node, A::Error> {
        while a.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Node::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Node, A::Error> {
        let mut v = Vec::new();
        while let Some(k) = a.next_key::<String>()? {
            let n = a.next_value::<NodeDe>()?;
            v.push((k, n.0));
        }
        Ok(Node::Obj(v))
    }
}

struct NodeDe(Node);

impl<'de> serde::Deserialize<'de> for NodeDe {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor).map(NodeDe)
    }
}

fn json_level(line: &str) -> Option<String> {
    let NodeDe(root) = serde_json::from_str::<NodeDe>(line).ok()?;
    fn find(n: &Node, depth: usize) -> Option<String> {
        if depth >= JSON_MAX_DEPTH {
            return None;
        }
        let Node::Obj(fields) = n else { return None };
        for (k, v) in fields {
            match v {
                Node::Str(s) if LEVEL_FIELDS.contains(&k.as_str()) => return Some(s.clone()),
                Node::Obj(_) => {
                    if let Some(s) = find(v, depth + 1) {
                        return Some(s);
                    }
                }
                _ => {}
            }
        }
        None
    }
    find(&root, 0)
}

/// logfmt `key=value` pairs (values bare or double-quoted with escapes).
pub fn logfmt_pairs(line: &str) -> Vec<(String, String)> {
    let b = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && b[i] <= b' ' {
            i += 1;
        }
        let ks = i;
        while i < b.len() && b[i] > b' ' && b[i] != b'=' && b[i] != b'"' {
            i += 1;
        }
        if i == ks {
            i += 1;
            continue;
        }
        let key = line[ks..i].to_string();
        let mut value = String::new();
        if i < b.len() && b[i] == b'=' {
            i += 1;
            if i < b.len() && b[i] == b'"' {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' && i + 1 < b.len() {
                        i += 1;
                        value.push(match b[i] {
                            b'n' => '\n',
                            b't' => '\t',
                            b'r' => '\r',
                            c => c as char,
                        });
                        i += 1;
                    } else {
                        let ch = line[i..].chars().next().unwrap_or(' ');
                        value.push(ch);
                        i += ch.len_utf8();
                    }
                }
                i += 1;
            } else {
                let vs = i;
                while i < b.len() && b[i] > b' ' {
                    i += 1;
                }
                value = line[vs..i].to_string();
            }
        }
        out.push((key, value));
    }
    out
}

fn logfmt_level(line: &str) -> Option<String> {
    let mut best: Option<(usize, String)> = None;
    for (k, v) in logfmt_pairs(line) {
        if let Some(x) = LEVEL_FIELDS.iter().position(|h| h.eq_ignore_ascii_case(&k)) {
            if best.as_ref().is_none_or(|(p, _)| x < *p) {
                best = Some((x, v));
                if x == 0 {
                    break;
                }
            }
        }
    }
    best.map(|(_, v)| v)
}

fn left_boundary(s: &[u8], pos: Option<usize>) -> bool {
    match pos {
        None => true,
        Some(p) => matches!(
            s.get(p),
            None | Some(b' ' | b'\t' | b'\n' | b'[' | b'(' | b'{' | b'"' | b'\'' | b'=' | b'|')
        ),
    }
}

fn right_boundary(s: &[u8], pos: usize) -> bool {
    matches!(
        s.get(pos),
        None | Some(
            b' ' | b'\t'
                | b'\n'
                | b'['
                | b']'
                | b'('
                | b')'
                | b'{'
                | b'}'
                | b':'
                | b','
                | b'!'
                | b'"'
                | b'\''
                | b'='
                | b'|'
        )
    )
}

fn bounded_index(s: &str, word: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut offset = 0;
    while let Some(p) = s[offset..].find(word) {
        let abs = offset + p;
        if left_boundary(b, abs.checked_sub(1)) && right_boundary(b, abs + word.len()) {
            return Some(abs);
        }
        offset = abs + 1;
        while !s.is_char_boundary(offset) {
            offset += 1;
        }
    }
    None
}

/// Loki's `detectLevelFromLogLine`: the level keyword that appears first as a whole word.
pub fn keyword_level(line: &str) -> &'static str {
    const PATTERNS: &[(&str, &str)] = &[
        ("trace", "trace"),
        ("debug", "debug"),
        ("fatal", "fatal"),
        ("critical", "critical"),
        ("error", "error"),
        ("err", "error"),
        ("warning", "warn"),
        ("warn", "warn"),
        ("info", "info"),
    ];
    let lower = line.to_lowercase();
    let mut idx = lower.len();
    let mut best = "unknown";
    for (word, level) in PATTERNS {
        let Some(pos) = bounded_index(&lower, word) else {
            continue;
        };
        if pos >= idx {
            continue;
        }
        idx = pos;
        best = level;
        if idx == 0 {
            break;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detect(labels: &[(&str, &str)], sm: &[(&str, &str)], line: &str) -> String {
        let l = Labels::from_pairs(labels.iter().copied());
        let mut v: Vec<(String, String)> = sm
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        apply_detected_level(&l, &mut v, line);
        v.iter()
            .find(|(n, _)| n == DETECTED_LEVEL)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    #[test]
    fn sources_in_loki_order() {
        assert_eq!(
            detect(&[("level", "WARN")], &[("level", "debug")], "error"),
            "warn"
        );
        assert_eq!(detect(&[], &[("lvl", "Dbg")], "error"), "debug");
        assert_eq!(detect(&[], &[("detected_level", "ERR")], "info"), "error");
        assert_eq!(detect(&[], &[("severity_number", "17")], "info"), "error");
        assert_eq!(detect(&[], &[("severity_number", "0")], "info"), "unknown");
        assert_eq!(detect(&[("level", "notice")], &[], ""), "notice");
    }

    #[test]
    fn from_line() {
        assert_eq!(level_from_line(r#"{"level":"WARNING","msg":"x"}"#), "warn");
        assert_eq!(level_from_line(r#"{"a":{"severity":"err"}}"#), "error");
        assert_eq!(
            level_from_line(r#"{"a":{"b":{"level":"dbg"}}, "m":"fatal"}"#),
            "fatal"
        );
        assert_eq!(level_from_line("ts=1 msg=\"x y\" LEVEL=info"), "info");
        assert_eq!(level_from_line("ts=1 lvl=debug level=error"), "error");
        assert_eq!(level_from_line("ts=1 level=weird oops error"), "error");
        assert_eq!(level_from_line("[WARN] disk almost full"), "warn");
        assert_eq!(level_from_line("misc:error happened"), "unknown");
        assert_eq!(level_from_line("debug: x then error"), "debug");
        assert_eq!(level_from_line("GET /index 200"), "unknown");
        assert_eq!(level_from_line("information is power"), "unknown");
    }
}
