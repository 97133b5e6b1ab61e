//! `match[]` series selectors (Prometheus `parseMatchersParam`): each must parse as a vector
//! selector and contain at least one matcher that does not match the empty string.

use crate::response::ApiError;
use lakewatch_model::{LabelMatcher, MatchOp, METRIC_NAME};
use promql_parser::label::{MatchOp as PMatchOp, Matcher};
use promql_parser::parser::{self, Expr, VectorSelector};

/// The error Prometheus returns for a selector such as `{job=""}` or `{a=~".*"}`.
pub const EMPTY_MATCHER_ERROR: &str = "match[] must contain at least one non-empty matcher";

/// Parses one selector into matcher sets (one set, or several for promql-parser's
/// `{a="1" or b="2"}` extension; the sets are a union). Errors are `bad_data`.
pub fn parse_selector(sel: &str) -> Result<Vec<Vec<LabelMatcher>>, ApiError> {
    let expr = parser::parse(sel).map_err(|e| {
        // promql-parser refuses `{a=""}` itself; Prometheus answers with the match[] text.
        if e.contains("at least one non-empty matcher") {
            ApiError::bad_data(EMPTY_MATCHER_ERROR)
        } else {
            ApiError::bad_data(parse_error_text(sel, &e))
        }
    })?;
    let vs = match expr {
        Expr::VectorSelector(vs) => vs,
        _ => {
            return Err(ApiError::bad_data(format!(
                "1:1: parse error: unexpected expression in series selector {sel:?}, expected a vector selector"
            )))
        }
    };
    let sets = selector_matchers(&vs)?;
    for set in &sets {
        if !set.iter().any(|m| !m.matches("")) {
            return Err(ApiError::bad_data(EMPTY_MATCHER_ERROR));
        }
    }
    Ok(sets)
}

/// The matcher sets of a parsed vector selector: its metric name (as `__name__="…"`) plus its
/// matchers; one set per `or` alternative when promql-parser's `or` extension is used.
pub fn selector_matchers(vs: &VectorSelector) -> Result<Vec<Vec<LabelMatcher>>, ApiError> {
    let mut groups: Vec<Vec<&Matcher>> = Vec::new();
    if vs.matchers.or_matchers.is_empty() {
        groups.push(vs.matchers.matchers.iter().collect());
    } else {
        for g in &vs.matchers.or_matchers {
            groups.push(g.iter().chain(vs.matchers.matchers.iter()).collect());
        }
    }
    let mut out = Vec::with_capacity(groups.len());
    for g in groups {
        let mut set = Vec::with_capacity(g.len() + 1);
        if let Some(name) = &vs.name {
            set.push(convert(&Matcher::new(PMatchOp::Equal, METRIC_NAME, name))?);
        }
        for m in g {
            set.push(convert(m)?);
        }
        out.push(set);
    }
    Ok(out)
}

/// Parses every `match[]` value (union of all sets).
pub fn parse_match_params(values: &[&str]) -> Result<Vec<Vec<LabelMatcher>>, ApiError> {
    let mut out = Vec::new();
    for v in values {
        out.extend(parse_selector(v)?);
    }
    Ok(out)
}

/// Converts a promql-parser matcher into the model's matcher.
pub fn convert(m: &Matcher) -> Result<LabelMatcher, ApiError> {
    let (op, value) = match &m.op {
        PMatchOp::Equal => (MatchOp::Equal, m.value.as_str()),
        PMatchOp::NotEqual => (MatchOp::NotEqual, m.value.as_str()),
        PMatchOp::Re(_) => (MatchOp::Regex, m.value.as_str()),
        PMatchOp::NotRe(_) => (MatchOp::NotRegex, m.value.as_str()),
    };
    LabelMatcher::new(op, &m.name, value).map_err(|e| ApiError::bad_data(e.to_string()))
}

/// promql-parser errors carry no position; prefix them like Prometheus's
/// `1:1: parse error: …` unless they already look positioned. An empty query gets
/// Prometheus's exact message.
pub fn parse_error_text(query: &str, err: &str) -> String {
    if query.trim().is_empty() {
        return "1:1: parse error: no expression found in input".to_string();
    }
    if err.contains("parse error") {
        err.to_string()
    } else {
        format!("1:1: parse error: {err}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors() {
        let s = parse_selector(r#"up{job="a"}"#).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].len(), 2);
        assert!(parse_selector(r#"{__name__!=""}"#).is_ok());
        let e = parse_selector(r#"{job=~".*"}"#).unwrap_err();
        assert_eq!(e.kind, crate::response::ErrorType::BadData);
        assert!(parse_selector("rate(x[5m])").is_err());
        assert!(parse_selector("up[").is_err());
    }
}
