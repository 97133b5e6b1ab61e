//! [`RuleError`]: one rule-file problem, printed exactly as `promtool check rules` prints it
//! after the file name (`5:15: group "g", rule 1, "HighErrorRate": could not parse expression: …`).

use std::fmt;

use super::yaml::Pos;

/// One problem in a rule file.
///
/// Display gives promtool's line (Prometheus `rulefmt.Error` / go-yaml texts), without the
/// `file: ` prefix promtool adds:
/// - YAML/decoding problems: `yaml: unmarshal errors:\n  line 6: field foo not found in type
///   rulefmt.RuleNode`, `not a valid duration string: "5x"`, `yaml: line 2: …`;
/// - group problems: `25:5: groupname: "g" is repeated in the same file`,
///   `27:5: Groupname must not be empty`;
/// - rule problems: `[L:C: [L:C: ]]group "g", rule 2, "Name": <message>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    /// YAML positions printed first (line:column, 1-based; `0:0` for an absent field).
    pub positions: Vec<Pos>,
    /// The group's name, for rule problems.
    pub group: Option<String>,
    /// 1-based index of the rule in its group and its name (`alert` or `record`), for rule
    /// problems.
    pub rule: Option<(usize, String)>,
    /// The problem itself (`invalid label name: bad-label`).
    pub message: String,
}

impl RuleError {
    /// A problem of the file as a whole (YAML syntax, unknown field, duration).
    pub fn file(message: impl Into<String>) -> Self {
        RuleError {
            positions: Vec::new(),
            group: None,
            rule: None,
            message: message.into(),
        }
    }

    /// A group-level problem at `pos`.
    pub fn group_level(pos: Pos, message: impl Into<String>) -> Self {
        RuleError {
            positions: vec![pos],
            group: None,
            rule: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.positions {
            write!(f, "{}:{}: ", p.line, p.col)?;
        }
        if let (Some(group), Some((index, name))) = (&self.group, &self.rule) {
            write!(
                f,
                "group {}, rule {}, {}: ",
                go_quote(group),
                index,
                go_quote(name)
            )?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for RuleError {}

/// Go's `%q` for a string (`strconv.Quote`), shared with the LogQL and alert templates.
pub use lakewatch_logql::template::go::go_quote;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_like_promtool() {
        let e = RuleError {
            positions: vec![Pos { line: 7, col: 17 }, Pos { line: 8, col: 16 }],
            group: Some("g".into()),
            rule: Some((2, "Both".into())),
            message: "only one of 'record' and 'alert' must be set".into(),
        };
        assert_eq!(
            e.to_string(),
            "7:17: 8:16: group \"g\", rule 2, \"Both\": only one of 'record' and 'alert' must be set"
        );
        assert_eq!(go_quote("a\"b\\\n"), "\"a\\\"b\\\\\\n\"");
    }
}
