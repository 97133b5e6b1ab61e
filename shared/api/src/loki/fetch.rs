//! Reading logs for a query: the evaluator's [`Selection`]s are fetched per tenant with
//! [`lakewatch_storage::LogsReader::select`] into a [`MemSource`], and stream selectors of the
//! metadata endpoints are parsed into matchers (Loki `syntax.ParseMatchers`).

use super::error::LokiError;
use crate::app::App;
use crate::tenants::Tenants;
use lakewatch_logql::ast::{Expr, MatchOp as AstOp, Matcher};
use lakewatch_logql::eval::{MemSource, Selection};
use lakewatch_model::{LabelMatcher, Labels, LogEntry, LogStream, MatchOp};
use lakewatch_storage::{LineProjection, LogSelect};
use std::collections::BTreeMap;

/// Loki's `ParseLogSelector` error for a metric query.
pub const ONLY_LOG_SELECTOR: &str = "only log selector is supported";

/// Loki's `ErrParseMatchers` text.
pub const ONLY_MATCHERS: &str = "only label matchers are supported";

/// Converts a parsed LogQL matcher (regexes fully anchored). A bad regex is a 400.
pub fn convert(m: &Matcher) -> Result<LabelMatcher, LokiError> {
    let op = match m.op {
        AstOp::Eq => MatchOp::Equal,
        AstOp::Neq => MatchOp::NotEqual,
        AstOp::Re => MatchOp::Regex,
        AstOp::Nre => MatchOp::NotRegex,
    };
    LabelMatcher::new(op, &m.name, &m.value).map_err(|e| {
        LokiError::bad_request(format!(
            "parse error : invalid regular expression {:?}: {e}",
            m.value
        ))
    })
}

/// Parses a LogQL query and returns it (400 with the parser's Loki-style text on failure).
pub fn parse_query(query: &str) -> Result<Expr, LokiError> {
    lakewatch_logql::parse(query).map_err(|e| LokiError::bad_request(e.to_string()))
}

/// Loki `syntax.ParseMatchers(query, true)`: a stream selector without pipeline. Errors: the
/// parse error, or `only label matchers are supported`.
pub fn parse_matchers(query: &str) -> Result<Vec<LabelMatcher>, LokiError> {
    match parse_query(query)? {
        Expr::Log(l) if l.pipeline.is_empty() => l.selector.iter().map(convert).collect(),
        _ => Err(LokiError::bad_request(ONLY_MATCHERS)),
    }
}

/// Optional selector: empty query = all streams.
pub fn optional_matchers(query: &str) -> Result<Vec<LabelMatcher>, LokiError> {
    if query.is_empty() {
        Ok(Vec::new())
    } else {
        parse_matchers(query)
    }
}

/// Loki `syntax.ParseLogSelector`: a log query (pipeline allowed), not a metric query
/// (`only log selector is supported`).
pub fn parse_log_selector(query: &str) -> Result<lakewatch_logql::ast::LogExpr, LokiError> {
    match parse_query(query)? {
        Expr::Log(l) => Ok(l),
        Expr::Metric(_) => Err(LokiError::bad_request(ONLY_LOG_SELECTOR)),
    }
}

fn matcher_key(ms: &[LabelMatcher]) -> String {
    let mut parts: Vec<String> = ms
        .iter()
        .map(|m| format!("{}\u{0}{:?}\u{0}{}", m.name, m.op, m.value))
        .collect();
    parts.sort();
    parts.join("\u{1}")
}

/// Selections with equal matchers merged into one (widest range; pushdown kept only if
/// every merged selection has it).
fn merge_selections(sels: &[Selection]) -> Vec<Selection> {
    let mut out: Vec<(String, Selection)> = Vec::new();
    for s in sels {
        let key = matcher_key(&s.matchers);
        match out.iter_mut().find(|(k, _)| *k == key) {
            Some((_, m)) => {
                m.start_ns = m.start_ns.min(s.start_ns);
                m.end_ns = m.end_ns.max(s.end_ns);
                m.line_contains.retain(|c| s.line_contains.contains(c));
                m.skip_lines &= s.skip_lines;
            }
            None => out.push((key, s.clone())),
        }
    }
    out.into_iter().map(|(_, s)| s).collect()
}

/// Fetches every selection for every tenant the request reads (federated results carry
/// `__tenant_id__`), merging streams by labels and dropping duplicate entries. A lone
/// selection with `skip_lines` is read without lines ([`LineProjection::None`]: entries
/// with empty lines). More than `max_streams` streams (0 = unlimited) is a 400.
pub async fn load(
    app: &App,
    tenants: &Tenants,
    sels: &[Selection],
    max_streams: usize,
) -> Result<MemSource, LokiError> {
    let mut by_labels: BTreeMap<Labels, Vec<LogEntry>> = BTreeMap::new();
    let merged = merge_selections(sels);
    // Several fetches may return the same entries: they are deduplicated below, by line
    // too, so lines are then read in full.
    let multi = merged.len() > 1;
    for sel in merged {
        let planned = tenants.plan(std::slice::from_ref(&sel.matchers));
        let lines = if sel.skip_lines && !multi && planned.iter().all(|(_, s)| s.len() <= 1) {
            LineProjection::None
        } else {
            LineProjection::Full
        };
        for (t, sets) in planned {
            for matchers in sets {
                let req = LogSelect {
                    matchers,
                    start_ns: sel.start_ns,
                    end_ns: sel.end_ns,
                    line_contains: sel.line_contains.clone(),
                };
                let streams = app
                    .logs_reader
                    .select_projected(&t, &req, lines)
                    .await
                    .map_err(LokiError::internal)?;
                for mut s in streams {
                    tenants.tag(&t, &mut s.labels);
                    by_labels.entry(s.labels).or_default().extend(s.entries);
                    if max_streams > 0 && by_labels.len() > max_streams {
                        return Err(LokiError::bad_request(format!(
                            "the query hit the max number of streams limit (limit: {max_streams} streams)"
                        )));
                    }
                }
            }
        }
    }
    let streams = by_labels
        .into_iter()
        .map(|(labels, mut entries)| {
            if multi {
                entries.sort_by(|a, b| {
                    (a.timestamp_ns, &a.line, &a.structured_metadata).cmp(&(
                        b.timestamp_ns,
                        &b.line,
                        &b.structured_metadata,
                    ))
                });
                entries.dedup();
            }
            LogStream { labels, entries }
        })
        .collect();
    Ok(MemSource { streams })
}

/// Label sets of the streams matching any of `sets` (all streams if `sets` is empty) with
/// entries in `[start, end)`, over every tenant, sorted and deduplicated.
pub async fn series(
    app: &App,
    tenants: &Tenants,
    sets: &[Vec<LabelMatcher>],
    start_ns: i64,
    end_ns: i64,
) -> Result<Vec<Labels>, LokiError> {
    let mut out = Vec::new();
    let all = [Vec::new()];
    let sets = if sets.is_empty() { &all[..] } else { sets };
    for (t, planned) in tenants.plan(sets) {
        for ms in planned {
            let part = app
                .logs_reader
                .series(&t, &ms, start_ns, end_ns)
                .await
                .map_err(LokiError::internal)?;
            for mut l in part {
                tenants.tag(&t, &mut l);
                out.push(l);
            }
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Per-stream statistics of the streams matching `matchers` over every tenant.
pub async fn stream_stats(
    app: &App,
    tenants: &Tenants,
    matchers: &[LabelMatcher],
    start_ns: i64,
    end_ns: i64,
) -> Result<Vec<lakewatch_storage::StreamStats>, LokiError> {
    let mut out = Vec::new();
    for (t, planned) in tenants.plan(&[matchers.to_vec()]) {
        for ms in planned {
            let part = app
                .logs_reader
                .stream_stats(&t, &ms, start_ns, end_ns)
                .await
                .map_err(LokiError::internal)?;
            for mut s in part {
                tenants.tag(&t, &mut s.labels);
                out.push(s);
            }
        }
    }
    Ok(out)
}
