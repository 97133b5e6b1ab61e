//! `detected_fields` and `detected_field/<name>/values` (Loki
//! `pkg/querier/queryrange/detected_fields.go`): run the log query (backward, `line_limit`
//! lines), then per entry collect structured metadata (parsers `null`), labels the query's
//! own parsers extracted, and fields parsed with `json` (else `logfmt`) from the line.

use super::error::{json_ok, LokiError, LokiResult};
use super::fetch;
use super::params::{self, DEFAULT_SINCE_NS, END_BEFORE_START};
use super::query::execute;
use crate::app::App;
use crate::json;
use crate::params::Params;
use crate::tenants::Tenants;
use lakewatch_logql::eval::{Direction, QueryParams};
use lakewatch_logql::{Expr, Pipeline, QueryResult};
use lakewatch_model::Labels;
use std::collections::{BTreeMap, BTreeSet};

/// Labels that are never fields.
const ERROR_LABELS: [&str; 3] = ["__error__", "__error_details__", "__preserve_error__"];

/// One detected field.
#[derive(Debug, Default)]
struct Field {
    kind: &'static str,
    values: BTreeSet<String>,
    /// Parsers that produced the field; empty (JSON `null`) = structured metadata only.
    parsers: Vec<&'static str>,
    json_path: Vec<String>,
}

struct Request {
    expr: Expr,
    qp: QueryParams,
    limit: usize,
}

/// Loki `ParseDetectedFieldsQuery` + `ParseLogSelector` + entries-limit check.
fn parse_request(app: &App, p: &Params) -> Result<Request, LokiError> {
    let (start, end) = params::bounds(p, DEFAULT_SINCE_NS, params::now_ns())?;
    if end < start {
        return Err(LokiError::bad_request(END_BEFORE_START));
    }
    let line_limit = params::limit(p, "line_limit", 100)?;
    let limit_name = if p.value("limit").is_empty() && !p.value("field_limit").is_empty() {
        "field_limit"
    } else {
        "limit"
    };
    let limit = params::limit(p, limit_name, 1000)?;
    let step = params::step(p, start, end, app.loki.max_points_per_series)?;
    let sel = fetch::parse_log_selector(p.value("query"))?;
    let max = app.loki.max_entries_limit_per_query;
    if max > 0 && line_limit > max {
        return Err(LokiError::bad_request(format!(
            "max entries limit per query exceeded, limit > max_entries_limit_per_query ({line_limit} > {max})"
        )));
    }
    Ok(Request {
        expr: Expr::Log(sel),
        qp: QueryParams {
            start_ns: start,
            end_ns: end,
            step_ns: step,
            interval_ns: 0,
            limit: line_limit,
            direction: Direction::Backward,
        },
        limit,
    })
}

/// Compiled `| json` and `| logfmt` pipelines.
struct Parsers {
    json: Pipeline,
    logfmt: Pipeline,
}

fn stage_pipeline(stage: &str) -> Result<Pipeline, LokiError> {
    match fetch::parse_query(&format!("{{__lakewatch__=\"x\"}} | {stage}"))? {
        Expr::Log(l) => Pipeline::new(&l.pipeline).map_err(super::query::eval_error),
        Expr::Metric(_) => Err(LokiError::internal("unexpected metric query")),
    }
}

impl Parsers {
    fn new() -> Result<Parsers, LokiError> {
        Ok(Parsers {
            json: stage_pipeline("json")?,
            logfmt: stage_pipeline("logfmt")?,
        })
    }

    /// Fields parsed from `line` with json, else logfmt (Loki `parseEntry`); `None` if
    /// neither parses.
    fn parse(&self, ts: i64, line: &str, stream: &Labels) -> Option<(&'static str, Labels)> {
        let none = Labels::default();
        for (name, p) in [("json", &self.json), ("logfmt", &self.logfmt)] {
            if let Some(out) = p.process(ts, line, stream, &none) {
                if out.parsed.get("__error__").is_none() {
                    return Some((name, out.parsed));
                }
            }
        }
        None
    }
}

/// Loki `determineType`: int, float, boolean, duration, bytes, else string.
fn determine_type(v: &str) -> &'static str {
    if v.parse::<i64>().is_ok() {
        "int"
    } else if is_go_float(v) {
        "float"
    } else if matches!(
        v,
        "1" | "t" | "T" | "TRUE" | "true" | "True" | "0" | "f" | "F" | "FALSE" | "false" | "False"
    ) {
        "boolean"
    } else if is_go_duration(v) {
        "duration"
    } else if is_humanize_bytes(v) {
        "bytes"
    } else {
        "string"
    }
}

fn is_go_float(v: &str) -> bool {
    let t = v.trim_start_matches(['+', '-']).to_ascii_lowercase();
    if matches!(t.as_str(), "inf" | "infinity" | "nan") {
        return true;
    }
    !t.is_empty()
        && t.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'+' | b'-'))
        && v.parse::<f64>().is_ok()
}

/// Go `time.ParseDuration`: `[-+]?([0-9]*(\.[0-9]*)?(ns|us|µs|μs|ms|s|m|h))+` or `0`.
fn is_go_duration(v: &str) -> bool {
    let s = v.strip_prefix(['+', '-']).unwrap_or(v);
    if s == "0" {
        return true;
    }
    if s.is_empty() {
        return false;
    }
    let mut rest = s;
    while !rest.is_empty() {
        let n = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let num = &rest[..n];
        if num.is_empty() || num == "." || num.matches('.').count() > 1 {
            return false;
        }
        rest = &rest[n..];
        let Some(unit) = ["ns", "us", "µs", "μs", "ms", "s", "m", "h"]
            .iter()
            .filter(|u| rest.starts_with(**u))
            .max_by_key(|u| u.len())
        else {
            return false;
        };
        rest = &rest[unit.len()..];
    }
    true
}

/// go-humanize `ParseBytes`: a number (digits, `.`, `,`) then an optional unit (SI `kB`…,
/// IEC `KiB`…, short `k`/`Ki`…, case-insensitive). Returns the byte count.
fn parse_humanize_bytes(v: &str) -> Option<f64> {
    let n = v
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
        .unwrap_or(v.len());
    let num: f64 = v[..n].replace(',', "").parse().ok()?;
    let unit = v[n..].trim().to_ascii_lowercase();
    let (si, iec) = (1000f64, 1024f64);
    let factor = match unit.as_str() {
        "" | "b" => 1.0,
        "kb" | "k" => si,
        "kib" | "ki" => iec,
        "mb" | "m" => si.powi(2),
        "mib" | "mi" => iec.powi(2),
        "gb" | "g" => si.powi(3),
        "gib" | "gi" => iec.powi(3),
        "tb" | "t" => si.powi(4),
        "tib" | "ti" => iec.powi(4),
        "pb" | "p" => si.powi(5),
        "pib" | "pi" => iec.powi(5),
        "eb" | "e" => si.powi(6),
        "eib" | "ei" => iec.powi(6),
        _ => return None,
    };
    Some(num * factor)
}

fn is_humanize_bytes(v: &str) -> bool {
    parse_humanize_bytes(v).is_some()
}

/// Loki's special case for byte values in `detected_field/<name>/values`: a value with a
/// byte unit is rewritten as go-humanize `Bytes` (SI) without the space (`1500B` → `1.5kB`),
/// so it can be pasted into a query.
fn normalize_bytes_value(v: &str) -> Option<String> {
    const SUFFIXES: [&str; 25] = [
        "b", "kib", "kb", "mib", "mb", "gib", "gb", "tib", "tb", "pib", "pb", "eib", "eb", "ki",
        "k", "mi", "m", "gi", "g", "ti", "t", "pi", "p", "ei", "e",
    ];
    let lower = v.to_ascii_lowercase();
    if !SUFFIXES.iter().any(|s| lower.ends_with(s)) {
        return None;
    }
    let bytes = parse_humanize_bytes(v)?.trunc();
    if bytes < 10.0 {
        return Some(format!("{bytes}B"));
    }
    const SIZES: [&str; 7] = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
    let e = ((bytes.ln() / 1000f64.ln()).floor() as usize).min(SIZES.len() - 1);
    let val = (bytes / 1000f64.powi(e as i32) * 10.0 + 0.5).floor() / 10.0;
    Some(if val < 10.0 {
        format!("{val:.1}{}", SIZES[e])
    } else {
        format!("{val:.0}{}", SIZES[e])
    })
}

/// Sanitised flattened JSON key → path components (for `jsonPath`), as Loki's json parser
/// names nested fields (`a_b` for `{"a":{"b":…}}`; arrays skipped).
fn json_paths(line: &str) -> BTreeMap<String, Vec<String>> {
    fn sanitize(k: &str) -> String {
        k.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' || c == ':' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    }
    fn walk(
        v: &serde_json::Value,
        prefix: &str,
        path: &mut Vec<String>,
        out: &mut BTreeMap<String, Vec<String>>,
    ) {
        if let serde_json::Value::Object(m) = v {
            for (k, child) in m {
                let name = if prefix.is_empty() {
                    sanitize(k)
                } else {
                    format!("{prefix}_{}", sanitize(k))
                };
                path.push(k.clone());
                match child {
                    serde_json::Value::Object(_) => walk(child, &name, path, out),
                    serde_json::Value::Array(_) => {}
                    _ => {
                        out.insert(name, path.clone());
                    }
                }
                path.pop();
            }
        }
    }
    let mut out = BTreeMap::new();
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(line) {
        walk(&v, "", &mut Vec::new(), &mut out);
    }
    out
}

/// Collects the fields of every entry of `result` (at most `limit` distinct fields).
fn collect(result: &QueryResult, limit: usize, parsers: &Parsers) -> BTreeMap<String, Field> {
    let mut fields: BTreeMap<String, Field> = BTreeMap::new();
    let QueryResult::Streams(streams) = result else {
        return fields;
    };
    for s in streams {
        let mut typed: BTreeSet<String> = BTreeSet::new();
        for e in &s.entries {
            let mut add = |name: &str,
                           value: &str,
                           parser: Option<&'static str>,
                           path: Option<&Vec<String>>,
                           fields: &mut BTreeMap<String, Field>| {
                if ERROR_LABELS.contains(&name) {
                    return;
                }
                if !fields.contains_key(name) {
                    if fields.len() >= limit {
                        return;
                    }
                    fields.insert(name.to_string(), Field::default());
                }
                let Some(f) = fields.get_mut(name) else {
                    return;
                };
                if let Some(p) = parser {
                    if !f.parsers.contains(&p) {
                        f.parsers.push(p);
                    }
                }
                if let Some(path) = path {
                    f.json_path = path.clone();
                }
                if typed.insert(name.to_string()) {
                    f.kind = determine_type(value);
                }
                f.values.insert(value.to_string());
            };
            for l in e.structured_metadata.iter() {
                add(&l.name, &l.value, None, None, &mut fields);
            }
            let parsed = parsers.parse(e.timestamp_ns, &e.line, &s.labels);
            let (parser, line_fields) = match &parsed {
                Some((p, l)) => (Some(*p), Some(l)),
                None => (None, None),
            };
            for l in e.parsed.iter() {
                add(&l.name, &l.value, parser, None, &mut fields);
            }
            if let (Some(p), Some(lf)) = (parser, line_fields) {
                let paths = if p == "json" {
                    json_paths(&e.line)
                } else {
                    BTreeMap::new()
                };
                for l in lf.iter() {
                    add(&l.name, &l.value, Some(p), paths.get(&l.name), &mut fields);
                }
            }
        }
    }
    fields
}

/// `GET|POST /loki/api/v1/detected_fields`: `{"fields":[{"label","type","cardinality",
/// "parsers":[…]|null[,"jsonPath":[…]]}],"limit":N}` sorted by label (`{}` when none).
/// Cardinality is exact (Loki estimates it with HyperLogLog).
pub async fn fields(app: &App, tenants: &Tenants, p: &Params) -> LokiResult {
    let req = parse_request(app, p)?;
    let parsers = Parsers::new()?;
    let mut ex = execute(app, tenants, &req.expr, req.qp).await?;
    ex.categorize(Direction::Backward);
    let fields = collect(&ex.result, req.limit, &parsers);
    if fields.is_empty() {
        return Ok(json_ok("{}".into()));
    }
    let mut out = String::from("{\"fields\":[");
    for (i, (name, f)) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"label\":");
        json::push_str(&mut out, name);
        out.push_str(",\"type\":");
        json::push_str(&mut out, f.kind);
        out.push_str(&format!(",\"cardinality\":{}", f.values.len()));
        out.push_str(",\"parsers\":");
        if f.parsers.is_empty() {
            out.push_str("null");
        } else {
            out.push_str(&json::string_array(&f.parsers));
        }
        if !f.json_path.is_empty() {
            out.push_str(",\"jsonPath\":");
            out.push_str(&json::string_array(&f.json_path));
        }
        out.push('}');
    }
    out.push_str(&format!("],\"limit\":{}}}", req.limit));
    Ok(json_ok(out))
}

/// `GET|POST /loki/api/v1/detected_field/<name>/values`: `{"values":[…],"limit":N}` (sorted,
/// at most `limit`; `{}` when none); parsed byte values normalised as Loki does
/// ([`normalize_bytes_value`]).
pub async fn field_values(app: &App, tenants: &Tenants, name: &str, p: &Params) -> LokiResult {
    let req = parse_request(app, p)?;
    let parsers = Parsers::new()?;
    let mut ex = execute(app, tenants, &req.expr, req.qp).await?;
    ex.categorize(Direction::Backward);
    let fields = collect(&ex.result, usize::MAX, &parsers);
    let values: BTreeSet<String> = fields
        .get(name)
        .map(|f| {
            f.values
                .iter()
                .map(|v| {
                    if f.parsers.is_empty() {
                        v.clone()
                    } else {
                        normalize_bytes_value(v).unwrap_or_else(|| v.clone())
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let values: Vec<String> = values.into_iter().take(req.limit).collect();
    if values.is_empty() {
        return Ok(json_ok("{}".into()));
    }
    Ok(json_ok(format!(
        r#"{{"values":{},"limit":{}}}"#,
        json::string_array(&values),
        req.limit
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types() {
        assert_eq!(determine_type("42"), "int");
        assert_eq!(determine_type("-4.5"), "float");
        assert_eq!(determine_type("true"), "boolean");
        assert_eq!(determine_type("150ms"), "duration");
        assert_eq!(determine_type("1h2m3.5s"), "duration");
        assert_eq!(determine_type("20KB"), "bytes");
        assert_eq!(determine_type("1.5 MiB"), "bytes");
        assert_eq!(determine_type("GET"), "string");
        assert_eq!(determine_type("info"), "string");
    }

    #[test]
    fn byte_values() {
        assert_eq!(normalize_bytes_value("1500B").as_deref(), Some("1.5kB"));
        assert_eq!(normalize_bytes_value("20KB").as_deref(), Some("20kB"));
        assert_eq!(normalize_bytes_value("1KiB").as_deref(), Some("1.0kB"));
        assert_eq!(normalize_bytes_value("5b").as_deref(), Some("5B"));
        assert_eq!(normalize_bytes_value("200"), None);
        assert_eq!(normalize_bytes_value("info"), None);
    }

    #[test]
    fn paths() {
        let p = json_paths(r#"{"a":{"b-c":1},"d":"x","e":[1]}"#);
        assert_eq!(p["a_b_c"], vec!["a", "b-c"]);
        assert_eq!(p["d"], vec!["d"]);
        assert!(!p.contains_key("e"));
    }
}
