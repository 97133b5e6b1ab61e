//! Semantic checks of a decoded rule file, in the order and words of Prometheus's
//! `rulefmt.RuleGroups.Validate` / `Rule.Validate` (what `promtool check rules` prints).

use std::collections::HashSet;

use super::decode::{GroupPos, RulePos};
use super::error::{go_quote, RuleError};
use super::yaml::Pos;
use super::{ExprLanguage, Rule, RuleFile};

/// Validates every group and rule; returns all problems (empty = valid).
pub fn validate(file: &RuleFile, positions: &[GroupPos]) -> Vec<RuleError> {
    let mut errs = Vec::new();
    let mut seen = HashSet::new();
    for (j, g) in file.groups.iter().enumerate() {
        let gp = positions.get(j).cloned().unwrap_or_default();
        if g.name.is_empty() {
            errs.push(RuleError::group_level(
                gp.pos,
                "Groupname must not be empty",
            ));
        }
        if !seen.insert(g.name.as_str()) {
            errs.push(RuleError::group_level(
                gp.pos,
                format!("groupname: \"{}\" is repeated in the same file", g.name),
            ));
        }
        // Group labels (Prometheus 3): no position, no rule.
        for k in g.labels.keys() {
            if !is_valid_label_name(k) || k == "__name__" {
                errs.push(RuleError::file(format!("invalid label name: {k}")));
            }
        }
        for (i, r) in g.rules.iter().enumerate() {
            let rp = gp.rules.get(i).copied().unwrap_or_default();
            let name = r.name().to_string();
            for (positions, message) in validate_rule(r, &rp, g.language) {
                errs.push(RuleError {
                    positions,
                    group: Some(g.name.clone()),
                    rule: Some((i + 1, name.clone())),
                    message,
                });
            }
        }
    }
    errs
}

/// One rule's problems: (positions printed before the text, message).
fn validate_rule(r: &Rule, p: &RulePos, language: ExprLanguage) -> Vec<(Vec<Pos>, String)> {
    let mut out = Vec::new();
    match (&r.record, &r.alert) {
        (Some(_), Some(_)) => out.push((
            vec![p.record, p.alert],
            "only one of 'record' and 'alert' must be set".to_string(),
        )),
        // Prometheus 2.x prints only the `record` position here (3.x adds the `alert` one).
        (None, None) => out.push((
            vec![p.record],
            "one of 'record' or 'alert' must be set".to_string(),
        )),
        _ => {}
    }
    if r.expr.is_empty() {
        out.push((vec![p.expr], "field 'expr' must be set in rule".to_string()));
    } else if let Err(e) = check_expr(&r.expr, language) {
        out.push((vec![p.expr], format!("could not parse expression: {e}")));
    }
    if let Some(record) = &r.record {
        if !r.annotations.is_empty() {
            out.push((
                vec![p.record],
                "invalid field 'annotations' in recording rule".to_string(),
            ));
        }
        if !r.for_.is_zero() {
            out.push((
                vec![p.record],
                "invalid field 'for' in recording rule".to_string(),
            ));
        }
        if !r.keep_firing_for.is_zero() {
            out.push((
                vec![p.record],
                "invalid field 'keep_firing_for' in recording rule".to_string(),
            ));
        }
        if !is_valid_metric_name(record) {
            out.push((
                vec![p.record],
                format!("invalid recording rule name: {record}"),
            ));
        }
    }
    for k in r.labels.keys() {
        if !is_valid_label_name(k) || k == "__name__" {
            out.push((Vec::new(), format!("invalid label name: {k}")));
        }
    }
    for k in r.annotations.keys() {
        if !is_valid_label_name(k) {
            out.push((Vec::new(), format!("invalid annotation name: {k}")));
        }
    }
    // Templates are parsed for alerting rules only, as promtool's testTemplateParsing.
    if let Some(alert) = &r.alert {
        let tmpl_name = format!("__alert_{alert}");
        for (k, v) in &r.labels {
            if let Err(e) = crate::template::check(&tmpl_name, v) {
                out.push((Vec::new(), format!("label {}: {e}", go_quote(k))));
            }
        }
        for (k, v) in &r.annotations {
            if let Err(e) = crate::template::check(&tmpl_name, v) {
                out.push((Vec::new(), format!("annotation {}: {e}", go_quote(k))));
            }
        }
    }
    out
}

/// Parses `expr` in the group's language. Errors: the parser's message (PromQL:
/// `promql-parser`'s; LogQL: [`lakewatch_logql::ParseError`]'s, plus Loki's rule restriction
/// that the query must be a metric query).
pub fn check_expr(expr: &str, language: ExprLanguage) -> Result<(), String> {
    match language {
        // Prometheus prints `1:5: parse error: <msg>`; promql-parser gives no position.
        ExprLanguage::PromQL => promql_parser::parser::parse(expr).map(|_| ()).map_err(|e| {
            let e = prometheus_wording(&e);
            if e.contains("parse error") {
                e
            } else {
                format!("parse error: {e}")
            }
        }),
        ExprLanguage::LogQL => match lakewatch_logql::parse(expr) {
            Ok(lakewatch_logql::Expr::Metric(_)) => Ok(()),
            Ok(_) => Err(
                "rule expressions must be LogQL metric queries (e.g. sum(rate({app=\"x\"}[5m])))"
                    .to_string(),
            ),
            Err(e) => Err(e.to_string()),
        },
    }
}

/// Prometheus's legacy label-name rule: `^[a-zA-Z_][a-zA-Z0-9_]*$`.
pub fn is_valid_label_name(s: &str) -> bool {
    let mut b = s.bytes();
    matches!(b.next(), Some(c) if c.is_ascii_alphabetic() || c == b'_')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

/// Prometheus's legacy metric-name rule: `^[a-zA-Z_:][a-zA-Z0-9_:]*$`.
pub fn is_valid_metric_name(s: &str) -> bool {
    let mut b = s.bytes();
    matches!(b.next(), Some(c) if c.is_ascii_alphabetic() || c == b'_' || c == b':')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b':')
}

/// Rewords a `promql-parser` message as Prometheus's parser words it: names in double quotes
/// (Go's `%q`: `unknown function with name "foo"`) and documented value types
/// (`expected type range vector in call to function "rate", got instant vector`).
pub fn prometheus_wording(msg: &str) -> String {
    static QUOTED: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    static TYPES: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    let quoted = QUOTED.get_or_init(|| regex::Regex::new(r"'([^'\\]*)'").ok());
    let types =
        TYPES.get_or_init(|| regex::Regex::new(r"^expected type (\w+) in (.*), got (\w+)$").ok());
    let mut out = match quoted {
        Some(re) => re
            .replace_all(msg, |c: &regex::Captures<'_>| go_quote(&c[1]))
            .into_owned(),
        None => msg.to_string(),
    };
    if let Some(c) = types.as_ref().and_then(|re| re.captures(&out)) {
        let doc = |t: &str| match t {
            "matrix" => "range vector".to_string(),
            "vector" => "instant vector".to_string(),
            other => other.to_string(),
        };
        out = format!(
            "expected type {} in {}, got {}",
            doc(&c[1]),
            &c[2],
            doc(&c[3])
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn promql_messages_in_prometheus_words() {
        assert_eq!(
            prometheus_wording("expected type matrix in call to function 'rate', got vector"),
            "expected type range vector in call to function \"rate\", got instant vector"
        );
        assert_eq!(
            prometheus_wording("unknown function with name 'nosuchfunc'"),
            "unknown function with name \"nosuchfunc\""
        );
    }

    #[test]
    fn names() {
        assert!(is_valid_label_name("_a1"));
        assert!(!is_valid_label_name("1a"));
        assert!(!is_valid_label_name("a-b"));
        assert!(is_valid_metric_name("job:rate5m"));
        assert!(!is_valid_metric_name("a{b}"));
        assert!(check_expr("sum(rate({app=\"x\"}[5m]))", ExprLanguage::LogQL).is_ok());
        assert!(check_expr("{app=\"x\"}", ExprLanguage::LogQL).is_err());
        assert!(check_expr("sum(rate(x[5m]))", ExprLanguage::PromQL).is_ok());
    }
}
