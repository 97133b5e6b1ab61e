//! `/loki/api/v1/patterns`: log patterns with per-step counts. Loki mines patterns with
//! Drain in its pattern ingester; Lakewatch computes them at query time with a simpler
//! token template (documented in docs/api-logs.md): the line is split on whitespace, a
//! token (or the value of a `key=value` token) containing a digit, or a hex/ID string of 16+
//! characters, becomes `<_>`, and consecutive `<_>` merge. Lines with the same template form
//! one pattern.

use super::error::{json_ok, LokiError, LokiResult};
use super::fetch;
use super::params::{self, DEFAULT_SINCE_NS};
use crate::app::App;
use crate::json;
use crate::params::Params;
use crate::tenants::Tenants;
use lakewatch_logql::eval::Selection;
use lakewatch_logql::Pipeline;
use std::collections::BTreeMap;

/// Max lines read for one patterns request.
pub const MAX_PATTERN_LINES: usize = 100_000;
/// Max patterns returned (largest counts first).
pub const MAX_PATTERNS: usize = 1000;

fn is_variable(v: &str) -> bool {
    if v.bytes().any(|b| b.is_ascii_digit()) {
        return true;
    }
    v.len() >= 16 && v.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
}

/// The template of one line (see the module docs).
pub fn template(line: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    for tok in line.split_whitespace() {
        let masked = match tok.find('=') {
            Some(i) if i > 0 => {
                let (k, v) = tok.split_at(i + 1);
                if is_variable(v) {
                    format!("{k}<_>")
                } else {
                    tok.to_string()
                }
            }
            _ if is_variable(tok) => "<_>".to_string(),
            _ => tok.to_string(),
        };
        if masked == "<_>" && out.last().is_some_and(|l| l == "<_>") {
            continue;
        }
        out.push(masked);
    }
    out.join(" ")
}

/// The level of an entry: `detected_level` or `level` structured metadata / label, else a
/// `level=` token, else `unknown`.
fn level(line: &str, labels: &lakewatch_model::Labels, sm: &lakewatch_model::Labels) -> String {
    for src in [sm, labels] {
        for key in ["detected_level", "level"] {
            if let Some(v) = src.get(key) {
                return v.to_string();
            }
        }
    }
    line.split_whitespace()
        .find_map(|t| t.strip_prefix("level="))
        .map(|v| v.trim_matches('"').to_ascii_lowercase())
        .unwrap_or_else(|| "unknown".into())
}

#[derive(Default)]
struct Pattern {
    level: String,
    total: u64,
    /// Bucket start (s) → count.
    samples: BTreeMap<i64, i64>,
}

/// `GET|POST /loki/api/v1/patterns`: `query` (a log query: selector plus optional filters),
/// `start`, `end`, `step` (default as `query_range`). Answers `{"status":"success","data":
/// [{"pattern":…,"level":…,"samples":[[<unix s>,<count>],…]}]}`, largest patterns first;
/// samples are counts per step bucket (bucket start = timestamp truncated to `step`).
pub async fn patterns(app: &App, tenants: &Tenants, p: &Params) -> LokiResult {
    let (start, end) = params::bounds(p, DEFAULT_SINCE_NS, params::now_ns())?;
    let step = params::step(p, start, end, app.loki.max_points_per_series)?;
    let sel = fetch::parse_log_selector(p.value("query"))?;
    let matchers = sel
        .selector
        .iter()
        .map(fetch::convert)
        .collect::<Result<Vec<_>, _>>()?;
    let pipeline = Pipeline::new(&sel.pipeline).map_err(super::query::eval_error)?;
    let selection = Selection {
        matchers,
        start_ns: start,
        end_ns: end,
        line_contains: Vec::new(),
        skip_lines: false,
    };
    if app.loki.query_timeout.is_zero() {
        return Err(LokiError::timeout());
    }
    let sels = [selection];
    let work = fetch::load(app, tenants, &sels, app.loki.max_streams_fetched);
    let source = match tokio::time::timeout(app.loki.query_timeout, work).await {
        Ok(r) => r?,
        Err(_) => return Err(LokiError::timeout()),
    };
    let mut found: BTreeMap<String, Pattern> = BTreeMap::new();
    let mut lines = 0usize;
    'outer: for s in &source.streams {
        for e in &s.entries {
            if lines >= MAX_PATTERN_LINES {
                break 'outer;
            }
            lines += 1;
            let Some(out) =
                pipeline.process(e.timestamp_ns, &e.line, &s.labels, &e.structured_metadata)
            else {
                continue;
            };
            let pat = found.entry(template(&out.line)).or_default();
            if pat.level.is_empty() {
                pat.level = level(&out.line, &s.labels, &e.structured_metadata);
            }
            pat.total += 1;
            let bucket = e.timestamp_ns - e.timestamp_ns.rem_euclid(step);
            *pat.samples
                .entry(bucket.div_euclid(1_000_000_000))
                .or_default() += 1;
        }
    }
    let mut list: Vec<(String, Pattern)> = found.into_iter().collect();
    list.sort_by(|a, b| b.1.total.cmp(&a.1.total).then_with(|| a.0.cmp(&b.0)));
    list.truncate(MAX_PATTERNS);
    let mut out = String::from(r#"{"status":"success","data":["#);
    for (i, (pattern, pat)) in list.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"pattern\":");
        json::push_str(&mut out, pattern);
        out.push_str(",\"level\":");
        json::push_str(&mut out, &pat.level);
        out.push_str(",\"samples\":[");
        for (j, (t, n)) in pat.samples.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            out.push_str(&format!("[{t},{n}]"));
        }
        out.push_str("]}");
    }
    out.push_str("]}");
    Ok(json_ok(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates() {
        assert_eq!(
            template("ts=2024-03-30T23:03:40 caller=grpc.go:66 level=info duration=200ms msg=gRPC"),
            "ts=<_> caller=<_> level=info duration=<_> msg=gRPC"
        );
        assert_eq!(
            template("GET /api/users/42 took 12 ms"),
            "GET <_> took <_> ms"
        );
        assert_eq!(template("user 1 2 3 done"), "user <_> done");
    }
}
