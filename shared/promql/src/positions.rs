//! Source positions for annotations. `promql-parser` keeps no positions, so the position of a
//! node is recovered by searching the query text for the node's leading token (selector name,
//! function name, literal, ...). Rendered as Prometheus does: ` (line:col)`, 1-based.

use promql_parser::parser::Expr;

/// The text a node starts with, if it can be determined.
fn anchor(e: &Expr) -> Option<String> {
    match e {
        Expr::VectorSelector(vs) => Some(vs.name.clone().unwrap_or_else(|| "{".into())),
        Expr::MatrixSelector(ms) => Some(ms.vs.name.clone().unwrap_or_else(|| "{".into())),
        Expr::Call(c) => Some(c.func.name.to_string()),
        Expr::Aggregate(a) => Some(a.op.to_string()),
        Expr::NumberLiteral(n) => Some(format!("{}", n.val)),
        Expr::StringLiteral(s) => Some(s.val.clone()),
        Expr::Paren(_) => Some("(".into()),
        Expr::Subquery(s) => anchor(&s.expr),
        Expr::Binary(b) => anchor(&b.lhs),
        Expr::Unary(_) => Some("-".into()),
        Expr::Extension(_) => None,
    }
}

/// ` (line:col)` of `e` in `query`, or `""` when it cannot be located.
pub(crate) fn suffix(query: &str, e: &Expr) -> String {
    match anchor(e) {
        Some(a) => suffix_text(query, &a),
        None => String::new(),
    }
}

/// ` (line:col)` of the first occurrence of `a` (case-insensitive) in `query` that is not
/// part of a longer identifier (so `foo` is not found inside `http_foo_total`).
pub(crate) fn suffix_text(query: &str, a: &str) -> String {
    let lower = query.to_ascii_lowercase();
    let needle = a.to_ascii_lowercase();
    if needle.is_empty() {
        return String::new();
    }
    let ident =
        |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':');
    let starts_ident = needle.chars().next().is_some_and(|c| ident(Some(c)));
    let ends_ident = needle.chars().last().is_some_and(|c| ident(Some(c)));
    let mut from = 0;
    let mut found = None;
    while let Some(off) = lower[from..].find(&needle) {
        let idx = from + off;
        let before = lower[..idx].chars().next_back();
        let after = lower[idx + needle.len()..].chars().next();
        if !(starts_ident && ident(before) || ends_ident && ident(after)) {
            found = Some(idx);
            break;
        }
        from = idx + needle.len().max(1);
    }
    let Some(idx) = found.or_else(|| lower.find(&needle)) else {
        return String::new();
    };
    let before = &query[..idx];
    let line = before.matches('\n').count() + 1;
    let col = idx - before.rfind('\n').map(|p| p + 1).unwrap_or(0) + 1;
    format!(" ({line}:{col})")
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_whole_tokens() {
        let q = "sum(rate(http_requests_total[5m])) / sum(rate(requests_total[5m]))";
        assert_eq!(super::suffix_text(q, "requests_total"), " (1:47)");
        assert_eq!(super::suffix_text(q, "rate"), " (1:5)");
        assert_eq!(super::suffix_text("a\n + b", "b"), " (2:4)");
    }
}
