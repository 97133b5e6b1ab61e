//! Tempo's pre-TraceQL search (`tags` = logfmt, `minDuration`, `maxDuration`): what Tempo's
//! block search (`tempodb/encoding/vparquet4/block_search.go`) does when the request has no
//! `q`; Tempo does not translate `tags` to TraceQL, and neither does Lakewatch.
//!
//! A trace matches when **every** tag matches:
//! - `root.name` / `root.service.name`: the root span's name / service contains the value
//!   (substring);
//! - `service.name`, `cluster`, `namespace`, `pod`, `container`, `k8s.cluster.name`,
//!   `k8s.namespace.name`, `k8s.pod.name`, `k8s.container.name`: a resource's string
//!   attribute contains the value;
//! - `name`, `http.method`, `http.url`: a span's name / string attribute contains the value;
//! - `http.status_code`: a span's integer `http.status_code` equals the value (when it is an
//!   integer; otherwise a generic tag);
//! - `status.code`: a span's status code is `unset`, `ok` or `error` (anything else = unset);
//! - any other key (generic): the attribute equals the value (string) on the resource or one
//!   of its spans; all generic tags must hold within one resource (`ResourceSpans`).
//!
//! Plus `minDuration <= trace duration <= maxDuration` (ms, each only when non-zero).
//! Results carry no spansets and no service stats, as Tempo's.

use lakewatch_storage::traces::SpanRecord;
use opentelemetry_proto::tonic::common::v1::{any_value::Value, KeyValue};
use std::collections::BTreeMap;
use std::sync::Arc;

/// go-logfmt's decoding of the `tags` parameter as Tempo reads it: every record's key/value
/// pairs (`k=v`, `k="quoted \"v\""`, a bare `k` = empty value). Errors are Tempo's
/// `invalid tags: …` texts (`unexpected '='` at a 1-based position, `unterminated quoted
/// value`, `tag k has been set twice`).
pub fn parse_tags(s: &str) -> Result<Vec<(String, String)>, String> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in s.split('\n') {
        let b = line.as_bytes();
        let mut pos = 0usize;
        loop {
            while pos < b.len() && b[pos] <= b' ' {
                pos += 1;
            }
            if pos >= b.len() {
                break;
            }
            let start = pos;
            let mut key: Option<&str> = None;
            let mut has_eq = false;
            while pos < b.len() {
                let c = b[pos];
                if c == b'=' {
                    if pos == start {
                        return Err(syntax(&format!("unexpected {:?}", '='), pos));
                    }
                    key = Some(&line[start..pos]);
                    has_eq = true;
                    break;
                }
                if c == b'"' {
                    return Err(syntax(&format!("unexpected {:?}", '"'), pos));
                }
                if c <= b' ' {
                    break;
                }
                pos += 1;
            }
            let key = key.unwrap_or(&line[start..pos]).to_string();
            let mut value = String::new();
            if has_eq {
                pos += 1;
                if pos < b.len() && b[pos] == b'"' {
                    let (v, next) = quoted(line, pos)?;
                    value = v;
                    pos = next;
                } else if pos < b.len() && b[pos] > b' ' {
                    let vstart = pos;
                    while pos < b.len() && b[pos] > b' ' {
                        if b[pos] == b'=' || b[pos] == b'"' {
                            return Err(syntax(&format!("unexpected {:?}", b[pos] as char), pos));
                        }
                        pos += 1;
                    }
                    value = line[vstart..pos].to_string();
                }
            }
            if out.iter().any(|(k, _)| *k == key) {
                return Err(format!("invalid tags: tag {key} has been set twice"));
            }
            out.push((key, value));
        }
    }
    Ok(out)
}

fn syntax(msg: &str, pos: usize) -> String {
    format!("invalid tags: {msg} at pos {}", pos + 1)
}

/// A quoted value starting at `line[pos] == '"'`: its unescaped text and the position after
/// the closing quote.
fn quoted(line: &str, pos: usize) -> Result<(String, usize), String> {
    let b = line.as_bytes();
    let mut esc = false;
    let mut i = pos + 1;
    while i < b.len() {
        let c = b[i];
        if esc {
            esc = false;
        } else if c == b'\\' {
            esc = true;
        } else if c == b'"' {
            let raw = &line[pos..=i];
            let v: String =
                serde_json::from_str(raw).map_err(|_| syntax("invalid quoted value", i + 1))?;
            return Ok((v, i + 1));
        }
        i += 1;
    }
    Err(syntax("unterminated quoted value", b.len()))
}

const RESOURCE_COLUMNS: &[&str] = &[
    "service.name",
    "cluster",
    "namespace",
    "pod",
    "container",
    "k8s.cluster.name",
    "k8s.namespace.name",
    "k8s.pod.name",
    "k8s.container.name",
];

fn str_attr<'a>(attrs: &'a [KeyValue], key: &str) -> Option<&'a str> {
    attrs.iter().find(|kv| kv.key == key).and_then(|kv| {
        match kv.value.as_ref()?.value.as_ref()? {
            Value::StringValue(s) => Some(s.as_str()),
            _ => None,
        }
    })
}

fn int_attr(attrs: &[KeyValue], key: &str) -> Option<i64> {
    attrs.iter().find(|kv| kv.key == key).and_then(|kv| {
        match kv.value.as_ref()?.value.as_ref()? {
            Value::IntValue(i) => Some(*i),
            _ => None,
        }
    })
}

fn resource_attrs(r: &SpanRecord) -> &[KeyValue] {
    r.resource
        .resource
        .as_ref()
        .map_or(&[][..], |res| res.attributes.as_slice())
}

/// The root span of a trace (the first span without a parent), if any.
pub fn root_span(spans: &[SpanRecord]) -> Option<&SpanRecord> {
    spans.iter().find(|r| r.span.parent_span_id.is_empty())
}

/// The `service.name` of a span's resource (`""` when absent).
pub fn service_name(r: &SpanRecord) -> &str {
    str_attr(resource_attrs(r), "service.name").unwrap_or("")
}

/// Whether the trace's spans match every tag (see the module docs).
pub fn matches(spans: &[SpanRecord], tags: &[(String, String)]) -> bool {
    let mut generic: Vec<(&str, &str)> = Vec::new();
    for (k, v) in tags {
        let ok = match k.as_str() {
            "root.name" => root_span(spans).is_some_and(|r| r.span.name.contains(v.as_str())),
            "root.service.name" => {
                root_span(spans).is_some_and(|r| service_name(r).contains(v.as_str()))
            }
            "name" => spans.iter().any(|r| r.span.name.contains(v.as_str())),
            "http.method" | "http.url" => spans
                .iter()
                .any(|r| str_attr(&r.span.attributes, k).is_some_and(|s| s.contains(v.as_str()))),
            "http.status_code" if v.parse::<i64>().is_ok() => {
                let want = v.parse::<i64>().ok();
                spans
                    .iter()
                    .any(|r| int_attr(&r.span.attributes, k) == want)
            }
            "status.code" => {
                let code = match v.as_str() {
                    "ok" => 1,
                    "error" => 2,
                    _ => 0,
                };
                spans
                    .iter()
                    .any(|r| r.span.status.as_ref().map_or(0, |s| s.code) == code)
            }
            k if RESOURCE_COLUMNS.contains(&k) => spans
                .iter()
                .any(|r| str_attr(resource_attrs(r), k).is_some_and(|s| s.contains(v.as_str()))),
            _ => {
                generic.push((k.as_str(), v.as_str()));
                true
            }
        };
        if !ok {
            return false;
        }
    }
    if generic.is_empty() {
        return true;
    }
    // Spans by resource (`ResourceSpans`): every generic tag within one of them.
    let mut by_resource: BTreeMap<usize, Vec<&SpanRecord>> = BTreeMap::new();
    let mut ids: Vec<*const _> = Vec::new();
    for r in spans {
        let p = Arc::as_ptr(&r.resource);
        let i = match ids.iter().position(|q| *q == p) {
            Some(i) => i,
            None => {
                ids.push(p);
                ids.len() - 1
            }
        };
        by_resource.entry(i).or_default().push(r);
    }
    by_resource.values().any(|group| {
        generic.iter().all(|(k, v)| {
            str_attr(resource_attrs(group[0]), k) == Some(*v)
                || group
                    .iter()
                    .any(|r| str_attr(&r.span.attributes, k) == Some(*v))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logfmt_tags() {
        assert_eq!(
            parse_tags(r#"service.name=api  name="GET /x" flag"#).unwrap(),
            vec![
                ("service.name".into(), "api".into()),
                ("name".into(), "GET /x".into()),
                ("flag".into(), String::new()),
            ]
        );
        assert_eq!(
            parse_tags(r#"a="x\"y""#).unwrap(),
            vec![("a".into(), "x\"y".into())]
        );
        assert_eq!(
            parse_tags("=x").unwrap_err(),
            "invalid tags: unexpected '=' at pos 1"
        );
        assert_eq!(
            parse_tags("a=b=c").unwrap_err(),
            "invalid tags: unexpected '=' at pos 4"
        );
        assert_eq!(
            parse_tags(r#"a="x"#).unwrap_err(),
            "invalid tags: unterminated quoted value at pos 5"
        );
        assert_eq!(
            parse_tags("a=1 a=2").unwrap_err(),
            "invalid tags: tag a has been set twice"
        );
    }
}
