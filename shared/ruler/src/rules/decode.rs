//! Decodes the YAML tree into [`RuleFile`] the way Prometheus's `rulefmt.Parse` does with
//! go-yaml v3 and `KnownFields(true)`: unknown fields and type mismatches are collected into
//! one `yaml: unmarshal errors:` error (one `line N: …` per problem, in document order); an
//! invalid duration aborts decoding with its own error. Positions of groups and of the
//! `record`/`alert`/`expr` values are kept for the validation messages.

use std::collections::BTreeMap;
use std::time::Duration;

use super::duration::parse_duration;
use super::yaml::{Node, Pos, ScalarTag};
use super::{ExprLanguage, Rule, RuleFile, RuleGroup};

/// Positions of one group (its mapping) and of its rules' fields.
#[derive(Debug, Clone, Default)]
pub struct GroupPos {
    pub pos: Pos,
    pub rules: Vec<RulePos>,
}

/// Positions of a rule's `record`, `alert` and `expr` values (0:0 when absent, as go-yaml).
#[derive(Debug, Clone, Copy, Default)]
pub struct RulePos {
    pub record: Pos,
    pub alert: Pos,
    pub expr: Pos,
}

/// What decoding found.
pub struct Decoded {
    pub file: RuleFile,
    pub positions: Vec<GroupPos>,
}

/// Decoding failed: the error lines promtool prints (one or two, see [`decode`]).
pub type DecodeErrors = Vec<String>;

/// go-yaml's problems collected during one decode.
#[derive(Default)]
struct Collector {
    /// `line N: …` entries (type errors, unknown fields, duplicate keys).
    unmarshal: Vec<String>,
    /// The first invalid duration (aborts decoding, as a custom unmarshaler error in go-yaml).
    fatal: Option<String>,
}

impl Collector {
    fn type_error(&mut self, node: &Node, into: &str) {
        self.unmarshal.push(format!(
            "line {}: cannot unmarshal {} into {}",
            node.pos().line,
            node.describe(),
            into
        ));
    }
}

/// Decodes a parsed document (None = empty file, no groups).
///
/// Errors, as promtool prints them: `yaml: unmarshal errors:\n  line N: …` (all problems), or a
/// duration error alone (`not a valid duration string: "5x"`). When the top level is not a
/// mapping or `groups` not a sequence, Prometheus 2.x's second (position) pass fails too and
/// promtool prints a second error naming its own types; that line is added as well.
pub fn decode(root: Option<&Node>, language: ExprLanguage) -> Result<Decoded, DecodeErrors> {
    let mut c = Collector::default();
    let mut out = Decoded {
        file: RuleFile::default(),
        positions: Vec::new(),
    };
    let mut second_pass: Option<String> = None;
    if let Some(root) = root {
        match root {
            Node::Map { entries, .. } => {
                check_duplicates(entries, &mut c);
                for (k, v) in entries {
                    match key(k).as_str() {
                        "groups" => match v {
                            Node::Seq { items, .. } => {
                                for item in items {
                                    // go-yaml drops null items of a slice of structs, but
                                    // Prometheus's position pass keeps them: positions stay
                                    // indexed like the raw sequence, as in promtool.
                                    let (g, p) = decode_group(item, language, &mut c);
                                    if !item.is_null() {
                                        out.file.groups.push(g);
                                    }
                                    out.positions.push(p);
                                }
                            }
                            n if n.is_null() => {}
                            n => {
                                c.type_error(n, "[]rulefmt.RuleGroup");
                                second_pass = Some(format!(
                                    "line {}: cannot unmarshal {} into []yaml.Node",
                                    n.pos().line,
                                    n.describe()
                                ));
                            }
                        },
                        other => unknown(k, other, "rulefmt.RuleGroups", &mut c),
                    }
                }
            }
            n if n.is_null() => {}
            n => {
                c.type_error(n, "rulefmt.RuleGroups");
                second_pass = Some(format!(
                    "line {}: cannot unmarshal {} into rulefmt.ruleGroups",
                    n.pos().line,
                    n.describe()
                ));
            }
        }
    }
    if let Some(f) = c.fatal {
        return Err(vec![f]);
    }
    if !c.unmarshal.is_empty() {
        let mut errs = vec![unmarshal_errors(&c.unmarshal)];
        if let Some(s) = second_pass {
            errs.push(unmarshal_errors(&[s]));
        }
        return Err(errs);
    }
    Ok(out)
}

/// go-yaml's `*yaml.TypeError` text.
fn unmarshal_errors(lines: &[String]) -> String {
    let mut s = String::from("yaml: unmarshal errors:");
    for l in lines {
        s.push_str("\n  ");
        s.push_str(l);
    }
    s
}

/// A mapping key as text (go-yaml compares keys by their scalar value).
fn key(k: &Node) -> String {
    match k {
        Node::Scalar { value, .. } => value.clone(),
        other => other.describe(),
    }
}

fn unknown(k: &Node, name: &str, ty: &str, c: &mut Collector) {
    c.unmarshal.push(format!(
        "line {}: field {} not found in type {}",
        k.pos().line,
        name,
        ty
    ));
}

/// go-yaml v3 rejects a key repeated in one mapping.
fn check_duplicates(entries: &[(Node, Node)], c: &mut Collector) {
    for (i, (k, _)) in entries.iter().enumerate() {
        let name = key(k);
        if let Some((first, _)) = entries[..i].iter().find(|(p, _)| key(p) == name) {
            c.unmarshal.push(format!(
                "line {}: mapping key {:?} already defined at line {}",
                k.pos().line,
                name,
                first.pos().line
            ));
        }
    }
}

fn decode_group(node: &Node, language: ExprLanguage, c: &mut Collector) -> (RuleGroup, GroupPos) {
    let mut g = RuleGroup {
        language,
        ..RuleGroup::default()
    };
    let mut p = GroupPos {
        pos: node.pos(),
        rules: Vec::new(),
    };
    let entries = match node {
        Node::Map { entries, .. } => entries,
        n if n.is_null() => return (g, p),
        n => {
            c.type_error(n, "rulefmt.RuleGroup");
            return (g, p);
        }
    };
    check_duplicates(entries, c);
    let mut evaluation_delay = None;
    for (k, v) in entries {
        match key(k).as_str() {
            "name" => g.name = string(v, c),
            "interval" => g.interval = duration(v, c),
            "query_offset" => g.query_offset = duration(v, c),
            "evaluation_delay" => evaluation_delay = duration(v, c),
            "limit" => g.limit = int(v, c),
            "labels" => g.labels = string_map(v, c),
            "source_tenants" => g.source_tenants = string_list(v, c),
            "align_evaluation_time_on_interval" => {
                g.align_evaluation_time_on_interval = boolean(v, c);
            }
            "rules" => match v {
                Node::Seq { items, .. } => {
                    for item in items {
                        let (r, rp) = decode_rule(item, c);
                        if !item.is_null() {
                            g.rules.push(r);
                        }
                        p.rules.push(rp);
                    }
                }
                n if n.is_null() => {}
                n => c.type_error(n, "[]rulefmt.RuleNode"),
            },
            other => unknown(k, other, "rulefmt.RuleGroup", c),
        }
    }
    // Mimir/Cortex's deprecated `evaluation_delay` is `query_offset` under its old name.
    if g.query_offset.is_none() {
        g.query_offset = evaluation_delay;
    }
    (g, p)
}

fn decode_rule(node: &Node, c: &mut Collector) -> (Rule, RulePos) {
    let mut r = Rule::default();
    let mut p = RulePos::default();
    let entries = match node {
        Node::Map { entries, .. } => entries,
        n if n.is_null() => return (r, p),
        n => {
            c.type_error(n, "rulefmt.RuleNode");
            return (r, p);
        }
    };
    check_duplicates(entries, c);
    for (k, v) in entries {
        match key(k).as_str() {
            // Prometheus 2.x keeps these three as raw `yaml.Node`s: any node is accepted and
            // a mapping or sequence reads as empty (then fails validation as missing).
            "record" => {
                p.record = v.pos();
                r.record = Some(node_value(v)).filter(|s| !s.is_empty());
            }
            "alert" => {
                p.alert = v.pos();
                r.alert = Some(node_value(v)).filter(|s| !s.is_empty());
            }
            "expr" => {
                p.expr = v.pos();
                r.expr = node_value(v);
            }
            "for" => r.for_ = duration(v, c).unwrap_or_default(),
            "keep_firing_for" => r.keep_firing_for = duration(v, c).unwrap_or_default(),
            "labels" => r.labels = string_map(v, c),
            "annotations" => r.annotations = string_map(v, c),
            other => unknown(k, other, "rulefmt.RuleNode", c),
        }
    }
    (r, p)
}

/// `yaml.Node.Value`: a scalar's text, "" for null, mappings and sequences.
fn node_value(v: &Node) -> String {
    match v {
        Node::Scalar {
            tag: ScalarTag::Null,
            ..
        } => String::new(),
        Node::Scalar { value, .. } => value.clone(),
        _ => String::new(),
    }
}

/// A string field: any scalar (null = ""), as go-yaml.
fn string(v: &Node, c: &mut Collector) -> String {
    match v {
        Node::Scalar {
            tag: ScalarTag::Null,
            ..
        } => String::new(),
        Node::Scalar { value, .. } => value.clone(),
        n => {
            c.type_error(n, "string");
            String::new()
        }
    }
}

/// An `int` field (null = 0).
fn int(v: &Node, c: &mut Collector) -> u64 {
    match v {
        Node::Scalar {
            tag: ScalarTag::Null,
            ..
        } => 0,
        // go-yaml truncates a float that fits into an int (`1.5` → 1).
        Node::Scalar {
            tag: ScalarTag::Float,
            value,
            ..
        } => match value.replace('_', "").parse::<f64>() {
            Ok(f) if f.is_finite() && f.abs() < 9.2e18 => u64::try_from(f as i64).unwrap_or(0),
            _ => {
                c.type_error(v, "int");
                0
            }
        },
        Node::Scalar {
            tag: ScalarTag::Int,
            value,
            ..
        } => {
            let plain = value.replace('_', "");
            match plain.parse::<i64>() {
                // A negative limit is accepted by Prometheus and means no limit.
                Ok(n) => u64::try_from(n).unwrap_or(0),
                Err(_) => {
                    c.type_error(v, "int");
                    0
                }
            }
        }
        n => {
            c.type_error(n, "int");
            0
        }
    }
}

/// A `model.Duration` field: null = unset; a scalar is parsed (an error aborts decoding).
fn duration(v: &Node, c: &mut Collector) -> Option<Duration> {
    match v {
        n if n.is_null() => None,
        Node::Scalar { value, .. } => match parse_duration(value) {
            Ok(d) => Some(d),
            Err(e) => {
                if c.fatal.is_none() {
                    c.fatal = Some(e);
                }
                None
            }
        },
        n => {
            c.type_error(n, "string");
            None
        }
    }
}

/// A `map[string]string` field (null = empty).
fn string_map(v: &Node, c: &mut Collector) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    match v {
        Node::Map { entries, .. } => {
            check_duplicates(entries, c);
            for (k, val) in entries {
                let k = string(k, c);
                let val = string(val, c);
                out.insert(k, val);
            }
        }
        n if n.is_null() => {}
        n => c.type_error(n, "map[string]string"),
    }
    out
}

/// A `bool` field (null = false; go-yaml also takes YAML 1.1's yes/no/on/off for bools).
fn boolean(v: &Node, c: &mut Collector) -> bool {
    match v {
        n if n.is_null() => false,
        Node::Scalar { value, .. } => match value.as_str() {
            "true" | "True" | "TRUE" | "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => {
                true
            }
            "false" | "False" | "FALSE" | "n" | "N" | "no" | "No" | "NO" | "off" | "Off"
            | "OFF" => false,
            _ => {
                c.type_error(v, "bool");
                false
            }
        },
        n => {
            c.type_error(n, "bool");
            false
        }
    }
}

/// A `[]string` field (null = empty).
fn string_list(v: &Node, c: &mut Collector) -> Vec<String> {
    match v {
        Node::Seq { items, .. } => items.iter().map(|i| string(i, c)).collect(),
        n if n.is_null() => Vec::new(),
        n => {
            c.type_error(n, "[]string");
            Vec::new()
        }
    }
}
