//! Tag autocomplete as Tempo answers it (`pkg/api/http.go` `ParseSearchTagsRequest`,
//! `ParseSearchTagValuesRequest(V2)`; `modules/ingester/instance_search.go`; `pkg/search/util.go`
//! `GetVirtualIntrinsicValues`, `GetVirtualTagValues(V2)`; the frontend combiners):
//!
//! - `GET /api/search/tags` → `{"tagNames":[…]}`: distinct attribute names of the spans in the
//!   window, sorted (byte order). `scope` = `span`, `resource`, `event`, `link`,
//!   `instrumentation` (that scope only), `intrinsic` (Tempo's intrinsic list), empty / `none`
//!   (every attribute scope, **no** intrinsics, as Tempo's v1).
//! - `GET /api/v2/search/tags` → `{"scopes":[{"name":"intrinsic","tags":[…]},{"name":"resource",
//!   …},{"name":"span",…}]}`: one entry per scope that has names (scopes sorted by name, tags
//!   sorted); the `intrinsic` scope for `scope` empty, `none` or `intrinsic`.
//! - `GET /api/search/tag/<name>/values` → `{"tagValues":["a","b"]}`: the distinct **string**
//!   values of span and resource attributes named `<name>` (sorted); Tempo's virtual tags
//!   `status.code` (`error`, `ok`, `unset`) and `error` (`true`).
//! - `GET /api/v2/search/tag/<TraceQL identifier>/values` → `{"tagValues":[{"type":"string",
//!   "value":"a"},…]}`: typed values (`string`, `int`, `float`, `bool`) of the attribute in its
//!   scope (`.x` = span or resource), sorted by value then type; intrinsics: `status`/`kind` →
//!   Tempo's fixed `keyword` lists (in Tempo's order), `duration`/`traceDuration` → `[]`,
//!   `name`, `statusMessage`, `rootName`, `rootServiceName`, `event:name`,
//!   `instrumentation:name`/`:version` → the stored strings.
//!
//! Parameters: `start`, `end` (unix **seconds**, Go `strconv.ParseInt(s, 10, 32)`); with both
//! (non-zero), spans starting in `[start s, end s + 1 s)`; otherwise the **last hour** (Tempo
//! then asks only its ingesters / live stores, i.e. recent data). `limit`: at most that many
//! values (tag values; Go `strconv.ParseUint(s, 10, 32)`, 0 = no limit), or names per scope
//! (tags; unparsable = 0 as Tempo's frontend; never applied to `intrinsic`, which Tempo keeps
//! unbounded), the first in sorted order. `maxStaleValues` is validated (values) and otherwise
//! ignored. `q` (v2 tags and v2 values): honoured when it is one spanset filter made of `=`
//! conditions on strings joined by `&&` over `span.x`, `resource.x`, `.x` or `name` (e.g.
//! `{ resource.service.name="api" && name="GET /" }`): only the matching spans contribute.
//! Any other `q` (also an unparsable one) is ignored and the answer is unfiltered, as Tempo
//! does for a `q` it cannot parse.
//!
//! Bodies always carry their list (`[]` when empty), where Tempo's jsonpb omits an empty list;
//! Tempo's `metrics` object (inspected bytes, jobs) is not sent. Tempo returns v2 scopes and v2
//! values in map order; here they are sorted.
//!
//! Errors: 400 plain text `invalid scope: x`, `invalid start: strconv.ParseInt: …`,
//! `invalid limit: strconv.ParseUint: …`, `please provide a valid tagName: …` (v2); 500
//! storage failures.

use super::error::{TempoError, TempoResult};
use crate::params::Params;
use crate::App;
use bytes::Bytes;
use http::{header, HeaderValue, Response};
use lakewatch_model::TenantId;
use lakewatch_storage::traces::SpanRecord;
use lakewatch_traceql::{
    parse, parse_identifier, Attribute, Body, CmpOp, FieldExpr, FieldOp, Intrinsic, Pipeline,
    PipelineExpr, Scope, SpansetExpr, Stage, Static,
};
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

const NS: i64 = 1_000_000_000;
/// Window when `start`/`end` are absent: the last hour.
const DEFAULT_WINDOW_S: i64 = 3600;

/// Tempo's intrinsic tag list (`search.GetVirtualIntrinsicValues`), before sorting.
pub const INTRINSIC_TAGS: &[&str] = &[
    "duration",
    "kind",
    "name",
    "status",
    "statusMessage",
    "traceDuration",
    "rootServiceName",
    "rootName",
    "span:status",
    "span:statusMessage",
    "span:duration",
    "span:name",
    "span:kind",
    "trace:rootName",
    "trace:rootService",
    "trace:duration",
    "event:name",
    "event:timeSinceStart",
    "instrumentation:name",
    "instrumentation:version",
];

/// Attribute scopes (`scope` parameter values other than `intrinsic`, Tempo
/// `AttributeScopeFromString`); `trace` is valid but has no attributes here.
const ATTR_SCOPES: &[&str] = &[
    "event",
    "instrumentation",
    "link",
    "resource",
    "span",
    "trace",
];

/// Go's `strconv.ParseInt(s, 10, 32)` with its error text.
fn go_parse_int32(s: &str) -> Result<i64, String> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("strconv.ParseInt: parsing {s:?}: invalid syntax"));
    }
    match s.parse::<i64>() {
        Ok(v) if i32::try_from(v).is_ok() => Ok(v),
        _ => Err(format!(
            "strconv.ParseInt: parsing {s:?}: value out of range"
        )),
    }
}

/// The span-start window `[start_ns, end_ns)` of a request (see the module docs).
fn window(p: &Params, now_ns: i64) -> Result<(Option<i64>, Option<i64>), TempoError> {
    let parse = |name: &str| -> Result<i64, TempoError> {
        match p.get(name) {
            None | Some("") => Ok(0),
            Some(v) => go_parse_int32(v)
                .map_err(|e| TempoError::bad_request(format!("invalid {name}: {e}"))),
        }
    };
    let (start, end) = (parse("start")?, parse("end")?);
    if start != 0 && end != 0 {
        return Ok((Some(start * NS), Some((end + 1) * NS)));
    }
    Ok((Some(now_ns.saturating_sub(DEFAULT_WINDOW_S * NS)), None))
}

/// Go's `strconv.ParseUint(s, 10, 32)` with its error text.
fn go_parse_uint32(s: &str) -> Result<u32, String> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("strconv.ParseUint: parsing {s:?}: invalid syntax"));
    }
    s.parse::<u32>()
        .map_err(|_| format!("strconv.ParseUint: parsing {s:?}: value out of range"))
}

/// `limit` of the tag-values endpoints (0 = none). Errors: 400 `invalid limit: …`; also
/// validates `maxStaleValues` (unused) as Tempo does.
fn values_limit(p: &Params) -> Result<usize, TempoError> {
    for name in ["limit", "maxStaleValues"] {
        if let Some(v) = p.get(name).filter(|v| !v.is_empty()) {
            go_parse_uint32(v)
                .map_err(|e| TempoError::bad_request(format!("invalid {name}: {e}")))?;
        }
    }
    Ok(p.get("limit")
        .and_then(|v| go_parse_uint32(v).ok())
        .unwrap_or(0) as usize)
}

/// `limit` of the tags endpoints: names per scope, never applied to `intrinsic` (0 = none).
/// Tempo's frontend reads it leniently (anything unparsable = 0).
fn tags_limit(p: &Params) -> usize {
    p.get("limit")
        .and_then(|v| go_parse_uint32(v).ok())
        .unwrap_or(0) as usize
}

fn truncate<T>(mut v: Vec<T>, limit: usize) -> Vec<T> {
    if limit > 0 {
        v.truncate(limit);
    }
    v
}

fn json_response(body: serde_json::Value) -> Response<Bytes> {
    let mut resp = Response::new(Bytes::from(body.to_string()));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

fn now_ns() -> i64 {
    chrono::Utc::now().timestamp_nanos_opt().unwrap_or(i64::MAX)
}

/// One `=` condition of a supported `q`.
#[derive(Debug, Clone, PartialEq)]
enum Cond {
    /// `span.x` / `resource.x` / `.x` (`Scope::None`) = string.
    Attr(Scope, String, String),
    /// `name` = string.
    Name(String),
}

/// The conditions of a supported `q` (see the module docs); `None` = ignore `q`.
fn conditions(q: &str) -> Option<Vec<Cond>> {
    if q.trim().is_empty() {
        return Some(Vec::new());
    }
    let query = parse(q).ok()?;
    if !query.hints.is_empty() {
        return None;
    }
    let Body::Spans(PipelineExpr::Pipeline(Pipeline { stages })) = query.body else {
        return None;
    };
    let [Stage::Spanset(SpansetExpr::Filter(expr))] = stages.as_slice() else {
        return None;
    };
    let mut out = Vec::new();
    collect_conds(expr, &mut out).then_some(out)
}

fn collect_conds(e: &FieldExpr, out: &mut Vec<Cond>) -> bool {
    match e {
        FieldExpr::Static(Static::Bool(true)) => true,
        FieldExpr::Binary {
            op: FieldOp::And,
            lhs,
            rhs,
        } => collect_conds(lhs, out) && collect_conds(rhs, out),
        FieldExpr::Binary {
            op: FieldOp::Cmp(CmpOp::Eq),
            lhs,
            rhs,
        } => {
            let (a, s) = match (lhs.as_ref(), rhs.as_ref()) {
                (FieldExpr::Attribute(a), FieldExpr::Static(Static::Str(s)))
                | (FieldExpr::Static(Static::Str(s)), FieldExpr::Attribute(a)) => (a, s),
                _ => return false,
            };
            match a {
                Attribute::Intrinsic(Intrinsic::Name) => out.push(Cond::Name(s.clone())),
                Attribute::Attr {
                    scope: scope @ (Scope::None | Scope::Span | Scope::Resource),
                    parent: false,
                    name,
                } => out.push(Cond::Attr(*scope, name.clone(), s.clone())),
                _ => return false,
            }
            true
        }
        _ => false,
    }
}

fn has_str(attrs: &[KeyValue], key: &str, want: &str) -> bool {
    attrs.iter().any(|kv| {
        kv.key == key
            && matches!(kv.value.as_ref().and_then(|v| v.value.as_ref()),
                Some(Value::StringValue(s)) if s == want)
    })
}

fn resource_attrs(r: &SpanRecord) -> &[KeyValue] {
    r.resource
        .resource
        .as_ref()
        .map_or(&[][..], |res| res.attributes.as_slice())
}

fn scope_attrs(r: &SpanRecord) -> &[KeyValue] {
    r.scope
        .scope
        .as_ref()
        .map_or(&[][..], |s| s.attributes.as_slice())
}

fn matches(r: &SpanRecord, conds: &[Cond]) -> bool {
    conds.iter().all(|c| match c {
        Cond::Name(n) => r.span.name == *n,
        Cond::Attr(Scope::Span, k, v) => has_str(&r.span.attributes, k, v),
        Cond::Attr(Scope::Resource, k, v) => has_str(resource_attrs(r), k, v),
        Cond::Attr(_, k, v) => {
            has_str(&r.span.attributes, k, v) || has_str(resource_attrs(r), k, v)
        }
    })
}

/// Reads the spans of the request window, filtered by the supported `q` conditions.
async fn spans(
    app: &App,
    tenant: &TenantId,
    p: &Params,
    use_q: bool,
) -> Result<Vec<SpanRecord>, TempoError> {
    let (start, end) = window(p, now_ns())?;
    let mut rows = app
        .traces_reader
        .scan_records(tenant, start, end)
        .await
        .map_err(TempoError::internal)?;
    if use_q {
        if let Some(conds) = conditions(p.value("q")) {
            if !conds.is_empty() {
                rows.retain(|r| matches(r, &conds));
            }
        }
    }
    Ok(rows)
}

/// Attribute names per scope name (`span`, `resource`, `event`, `link`, `instrumentation`).
fn names_by_scope(rows: &[SpanRecord]) -> BTreeMap<&'static str, BTreeSet<String>> {
    let mut m: BTreeMap<&'static str, BTreeSet<String>> = BTreeMap::new();
    let mut add = |scope: &'static str, attrs: &[KeyValue]| {
        for kv in attrs {
            m.entry(scope).or_default().insert(kv.key.clone());
        }
    };
    for r in rows {
        add("span", &r.span.attributes);
        add("resource", resource_attrs(r));
        add("instrumentation", scope_attrs(r));
        for e in &r.span.events {
            add("event", &e.attributes);
        }
        for l in &r.span.links {
            add("link", &l.attributes);
        }
    }
    m
}

/// The `scope` parameter: `None` = all scopes; `Some("intrinsic")` or an attribute scope.
fn scope_param(p: &Params) -> Result<Option<&str>, TempoError> {
    match p.value("scope") {
        "" | "none" => Ok(None),
        s if s == "intrinsic" || ATTR_SCOPES.contains(&s) => Ok(Some(s)),
        s => Err(TempoError::bad_request(format!("invalid scope: {s}"))),
    }
}

fn sorted_intrinsics() -> Vec<String> {
    let mut v: Vec<String> = INTRINSIC_TAGS.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

/// `/api/search/tags` (`v2 = false`) and `/api/v2/search/tags` (see the module docs).
pub async fn search_tags(app: &App, tenant: &TenantId, v2: bool, p: &Params) -> TempoResult {
    let scope = scope_param(p)?;
    let lim = tags_limit(p);
    window(p, 0)?; // Validates `start`/`end` also when nothing is read.
    let by_scope = if scope == Some("intrinsic") {
        BTreeMap::new()
    } else {
        names_by_scope(&spans(app, tenant, p, v2).await?)
    };
    let wanted = |s: &str| scope.is_none_or(|w| w == s);
    if !v2 {
        let names: Vec<String> = if scope == Some("intrinsic") {
            sorted_intrinsics()
        } else {
            let names: BTreeSet<String> = by_scope
                .iter()
                .filter(|(s, _)| wanted(s))
                .flat_map(|(_, n)| n.iter().cloned())
                .collect();
            truncate(names.into_iter().collect(), lim)
        };
        return Ok(json_response(json!({ "tagNames": names })));
    }
    let mut scopes: Vec<(String, Vec<String>)> = by_scope
        .into_iter()
        .filter(|(s, n)| wanted(s) && !n.is_empty())
        .map(|(s, n)| (s.to_string(), truncate(n.into_iter().collect(), lim)))
        .collect();
    if scope.is_none() || scope == Some("intrinsic") {
        scopes.push(("intrinsic".into(), sorted_intrinsics()));
    }
    scopes.sort_by(|a, b| a.0.cmp(&b.0));
    let scopes: Vec<_> = scopes
        .into_iter()
        .map(|(name, tags)| json!({ "name": name, "tags": tags }))
        .collect();
    Ok(json_response(json!({ "scopes": scopes })))
}

/// A typed value of an attribute (`None` for arrays, maps and bytes, which Tempo does not
/// offer for autocomplete).
fn typed(kv: &KeyValue) -> Option<(&'static str, String)> {
    Some(match kv.value.as_ref()?.value.as_ref()? {
        Value::StringValue(s) => ("string", s.clone()),
        Value::IntValue(n) => ("int", n.to_string()),
        Value::DoubleValue(f) => ("float", tempo_float(*f)),
        Value::BoolValue(b) => ("bool", b.to_string()),
        _ => return None,
    })
}

/// A float as Tempo's `Static.EncodeToString`: Go `strconv.FormatFloat(f, 'g', -1, 64)`
/// (exponent form when the decimal exponent is < -4 or >= 6: `1e+06`, `2.5e-07`), then `.0`
/// appended when the text has neither `e` nor `.` (`2.0`, `NaN.0`).
pub fn tempo_float(f: f64) -> String {
    let mut out = if f.is_nan() {
        "NaN".to_string()
    } else if f.is_infinite() {
        if f > 0.0 { "+Inf" } else { "-Inf" }.to_string()
    } else {
        // Shortest round-trip digits with their decimal exponent.
        let sci = format!("{f:e}");
        let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
        let exp: i32 = exp.parse().unwrap_or(0);
        if f != 0.0 && !(-4..6).contains(&exp) {
            let sign = if exp < 0 { '-' } else { '+' };
            format!("{mant}e{sign}{:02}", exp.unsigned_abs())
        } else {
            f.to_string()
        }
    };
    if !out.contains(['e', '.']) {
        out.push_str(".0");
    }
    out
}

/// Tempo's fixed `keyword` values of `status` and `kind`, `[]` for the durations.
fn virtual_v2(tag: &Attribute) -> Option<Vec<(&'static str, String)>> {
    let kw = |vs: &[&str]| Some(vs.iter().map(|v| ("keyword", v.to_string())).collect());
    match tag {
        Attribute::Intrinsic(Intrinsic::Status) => kw(&["ok", "error", "unset"]),
        Attribute::Intrinsic(Intrinsic::Kind) => kw(&[
            "client",
            "server",
            "producer",
            "consumer",
            "internal",
            "unspecified",
        ]),
        Attribute::Intrinsic(Intrinsic::Duration | Intrinsic::TraceDuration) => Some(Vec::new()),
        _ => None,
    }
}

/// Distinct typed values of `tag` over `rows`.
fn values_v2(tag: &Attribute, rows: &[SpanRecord]) -> BTreeSet<(String, &'static str)> {
    let mut out = BTreeSet::new();
    let add_attrs = |attrs: &[KeyValue], name: &str, out: &mut BTreeSet<(String, &'static str)>| {
        for kv in attrs.iter().filter(|kv| kv.key == name) {
            if let Some((t, v)) = typed(kv) {
                out.insert((v, t));
            }
        }
    };
    let add_str = |s: &str, out: &mut BTreeSet<(String, &'static str)>| {
        if !s.is_empty() {
            out.insert((s.to_string(), "string"));
        }
    };
    for r in rows {
        match tag {
            Attribute::Attr { scope, name, .. } => match scope {
                Scope::Span => add_attrs(&r.span.attributes, name, &mut out),
                Scope::Resource => add_attrs(resource_attrs(r), name, &mut out),
                Scope::None => {
                    add_attrs(&r.span.attributes, name, &mut out);
                    add_attrs(resource_attrs(r), name, &mut out);
                }
                Scope::Instrumentation => add_attrs(scope_attrs(r), name, &mut out),
                Scope::Event => {
                    for e in &r.span.events {
                        add_attrs(&e.attributes, name, &mut out);
                    }
                }
                Scope::Link => {
                    for l in &r.span.links {
                        add_attrs(&l.attributes, name, &mut out);
                    }
                }
            },
            Attribute::Intrinsic(i) => {
                let root = r.span.parent_span_id.is_empty();
                match i {
                    Intrinsic::Name => add_str(&r.span.name, &mut out),
                    Intrinsic::StatusMessage => {
                        if let Some(s) = &r.span.status {
                            add_str(&s.message, &mut out);
                        }
                    }
                    Intrinsic::RootName if root => add_str(&r.span.name, &mut out),
                    Intrinsic::RootServiceName if root => {
                        for kv in resource_attrs(r)
                            .iter()
                            .filter(|kv| kv.key == "service.name")
                        {
                            if let Some(("string", v)) = typed(kv) {
                                add_str(&v, &mut out);
                            }
                        }
                    }
                    Intrinsic::EventName => {
                        for e in &r.span.events {
                            add_str(&e.name, &mut out);
                        }
                    }
                    Intrinsic::InstrumentationName | Intrinsic::InstrumentationVersion => {
                        if let Some(s) = &r.scope.scope {
                            let v = if *i == Intrinsic::InstrumentationName {
                                &s.name
                            } else {
                                &s.version
                            };
                            add_str(v, &mut out);
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    out
}

/// `/api/search/tag/<tag>/values` (`v2 = false`) and `/api/v2/search/tag/<tag>/values` (see
/// the module docs). `tag` is already percent-decoded.
pub async fn tag_values(
    app: &App,
    tenant: &TenantId,
    v2: bool,
    tag: &str,
    p: &Params,
) -> TempoResult {
    let lim = values_limit(p)?;
    window(p, 0)?; // Validates `start`/`end` also when nothing is read.
    if !v2 {
        let fixed: Option<&[&str]> = match tag {
            "status.code" => Some(&["error", "ok", "unset"]),
            "error" => Some(&["true"]),
            _ => None,
        };
        let values: Vec<String> = match fixed {
            Some(v) => v.iter().map(|s| s.to_string()).collect(),
            None => {
                let rows = spans(app, tenant, p, false).await?;
                let mut set = BTreeSet::new();
                for r in &rows {
                    for kv in r.span.attributes.iter().chain(resource_attrs(r)) {
                        if kv.key == tag {
                            if let Some(("string", v)) = typed(kv) {
                                set.insert(v);
                            }
                        }
                    }
                }
                set.into_iter().collect()
            }
        };
        return Ok(json_response(json!({ "tagValues": truncate(values, lim) })));
    }
    let attr = parse_identifier(tag)
        .map_err(|e| TempoError::bad_request(format!("please provide a valid tagName: {e}")))?;
    let values: Vec<(&'static str, String)> = match virtual_v2(&attr) {
        Some(v) => v,
        None => {
            let rows = spans(app, tenant, p, true).await?;
            values_v2(&attr, &rows)
                .into_iter()
                .map(|(v, t)| (t, v))
                .collect()
        }
    };
    let values: Vec<_> = truncate(values, lim)
        .into_iter()
        .map(|(t, v)| json!({ "type": t, "value": v }))
        .collect();
    Ok(json_response(json!({ "tagValues": values })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q_conditions() {
        assert_eq!(conditions(""), Some(vec![]));
        assert_eq!(conditions("{}"), Some(vec![]));
        assert_eq!(
            conditions(r#"{ resource.service.name = "api" && name="x" }"#),
            Some(vec![
                Cond::Attr(Scope::Resource, "service.name".into(), "api".into()),
                Cond::Name("x".into()),
            ])
        );
        assert_eq!(
            conditions(r#"{ .a = "b" }"#),
            Some(vec![Cond::Attr(Scope::None, "a".into(), "b".into())])
        );
        assert_eq!(conditions(r#"{ .a != "b" }"#), None);
        assert_eq!(conditions(r#"{ .a = "b" || .c = "d" }"#), None);
        assert_eq!(conditions(r#"{ .a = 1 }"#), None);
        assert_eq!(conditions("{ .a = "), None);
    }

    #[test]
    fn floats_as_tempo() {
        for (f, want) in [
            (0.25, "0.25"),
            (2.0, "2.0"),
            (-0.0, "-0.0"),
            (123456.0, "123456.0"),
            (1e6, "1e+06"),
            (1234567.0, "1.234567e+06"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (2.5e-7, "2.5e-07"),
            (1e300, "1e+300"),
            (f64::NAN, "NaN.0"),
            (f64::INFINITY, "+Inf.0"),
        ] {
            assert_eq!(tempo_float(f), want, "{f}");
        }
    }

    #[test]
    fn windows() {
        let p = Params::from_pairs([("start", "10"), ("end", "20")]);
        assert_eq!(window(&p, 0), Ok((Some(10 * NS), Some(21 * NS))));
        let p = Params::from_pairs([("start", "10")]);
        assert_eq!(window(&p, 5000 * NS), Ok((Some(1400 * NS), None)));
        let p = Params::from_pairs([("end", "99999999999")]);
        assert_eq!(
            window(&p, 0).unwrap_err().message,
            "invalid end: strconv.ParseInt: parsing \"99999999999\": value out of range"
        );
    }
}
