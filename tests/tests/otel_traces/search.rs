//! TraceQL search (`/api/search`): each query must return exactly the traces of the sent set
//! it describes, with Tempo's metadata (root service and name, start, duration) and the
//! matching spans in `spanSets`; plus the tags / minDuration / maxDuration search, `limit`
//! and a malformed query.

use super::sent::Span;
use super::tempo::{full_trace_id, jsonpb_any_value};
use super::Fixture;
use lakewatch_e2e::checks::{ensure, Checks};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

type SpanPred = Box<dyn Fn(&Span) -> bool>;

/// One search and what it must return.
struct Case {
    /// `q` (TraceQL) or `tags` (logfmt) plus extra parameters.
    params: Vec<(&'static str, String)>,
    /// Expected trace ids.
    want: BTreeSet<String>,
    /// The spans each trace's `spanSets` must hold (all spans of the trace matching this),
    /// or `None` to not check spans.
    spans: Option<SpanPred>,
    /// A span attribute each returned span must carry (`select(…)`), with its sent value.
    selected: Option<&'static str>,
}

fn q(s: &str) -> Vec<(&'static str, String)> {
    vec![("q", s.to_string())]
}

fn is_server(s: &Span) -> bool {
    s.kind == "SERVER"
}

fn is_root(s: &Span) -> bool {
    s.parent_span_id.is_none()
}

fn tokens(s: &Span) -> Option<i64> {
    s.attr("gen_ai.usage.input_tokens").and_then(Value::as_i64)
}

fn has_exception(s: &Span) -> bool {
    s.events.iter().any(|e| e == "exception")
}

fn streamed(s: &Span) -> bool {
    s.attr("gen_ai.request.stream") == Some(&Value::Bool(true))
        && s.attr("gen_ai.request.temperature")
            .and_then(Value::as_f64)
            .is_some_and(|t| t > 0.5)
}

fn cases(fx: &Fixture) -> Vec<Case> {
    let sent = &fx.sent;
    let model = |m: &'static str| move |s: &Span| s.attr_is("gen_ai.request.model", m);
    let is_error = |s: &Span| s.status == "ERROR";
    let is_redis = |s: &Span| s.attr_is("db.system", "redis");
    let long = sent.traces_where(|spans| {
        let start = spans.iter().map(|s| s.start_ns).min().unwrap_or(0);
        let end = spans.iter().map(|s| s.end_ns).max().unwrap_or(0);
        end - start >= 2_000_000_000
    });
    let openai_short = sent.traces_where(|spans| {
        let start = spans.iter().map(|s| s.start_ns).min().unwrap_or(0);
        let end = spans.iter().map(|s| s.end_ns).max().unwrap_or(0);
        end - start <= 100_000_000 && spans.iter().any(|s| s.attr_is("gen_ai.system", "openai"))
    });
    let openai_traces = sent.traces_with_span(|s| s.service == "llm-provider-openai");
    let redis_traces = sent.traces_with_span(is_redis);
    // Traces with a failed call span that has a failed child.
    let failed_pairs = sent.traces_where(|spans| {
        spans.iter().any(|c| {
            c.name.starts_with("chat ")
                && c.status == "ERROR"
                && spans
                    .iter()
                    .any(|s| s.status == "ERROR" && s.parent_span_id.as_ref() == Some(&c.span_id))
        })
    });
    // Gateway spans without children.
    let gateway_leaves: BTreeSet<String> = sent
        .spans
        .iter()
        .filter(|s| s.service == "ai-gateway")
        .filter(|s| {
            !sent
                .spans
                .iter()
                .any(|c| c.parent_span_id.as_ref() == Some(&s.span_id))
        })
        .map(|s| s.span_id.clone())
        .collect();
    vec![
        Case {
            params: q("{ span.gen_ai.request.model = \"gpt-4o\" }"),
            want: sent.traces_with_span(model("gpt-4o")),
            spans: Some(Box::new(model("gpt-4o"))),
            selected: None,
        },
        Case {
            params: q("{ status = error }"),
            want: sent.traces_with_span(is_error),
            spans: Some(Box::new(is_error)),
            selected: None,
        },
        Case {
            params: q("{ resource.service.name = \"ai-gateway\" } >> { span.db.system = \"redis\" }"),
            want: sent.traces_with_span(is_redis),
            spans: Some(Box::new(is_redis)),
            selected: None,
        },
        Case {
            params: q("{ kind = server } | count() > 1"),
            want: sent.traces_where(|spans| spans.iter().filter(|s| is_server(s)).count() > 1),
            spans: Some(Box::new(is_server)),
            selected: None,
        },
        Case {
            params: q("{ span.gen_ai.system = \"openai\" } | select(span.gen_ai.usage.input_tokens)"),
            want: sent.traces_with_span(|s| s.attr_is("gen_ai.system", "openai")),
            spans: Some(Box::new(|s: &Span| s.attr_is("gen_ai.system", "openai"))),
            selected: Some("gen_ai.usage.input_tokens"),
        },
        Case {
            params: q("{ span.gen_ai.usage.input_tokens > 150 && span.gen_ai.request.model =~ \"gpt-.*\" }"),
            want: sent.traces_with_span(|s| {
                s.attr("gen_ai.usage.input_tokens").and_then(Value::as_i64) > Some(150)
                    && s.attr("gen_ai.request.model")
                        .and_then(Value::as_str)
                        .is_some_and(|m| m.starts_with("gpt-"))
            }),
            spans: None,
            selected: None,
        },
        Case {
            params: q("{ resource.service.name = \"llm-provider-openai\" && status = error }"),
            want: sent.traces_with_span(|s| s.service == "llm-provider-openai" && s.status == "ERROR"),
            spans: Some(Box::new(|s: &Span| {
                s.service == "llm-provider-openai" && s.status == "ERROR"
            })),
            selected: None,
        },
        Case {
            params: q("{ name = \"chat claude-3-5-sonnet\" } && { name = \"redis GET\" }"),
            want: sent.traces_where(|spans| {
                spans.iter().any(|s| s.name == "chat claude-3-5-sonnet")
                    && spans.iter().any(|s| s.name == "redis GET")
            }),
            spans: None,
            selected: None,
        },
        Case {
            params: q("{ span.http.response.status_code >= 500 && kind = server }"),
            want: sent.traces_with_span(|s| {
                s.kind == "SERVER"
                    && s.attr("http.response.status_code").and_then(Value::as_i64) >= Some(500)
            }),
            spans: None,
            selected: None,
        },
        Case {
            params: q("{ resource.e2e.encoding = \"json\" && kind = client }"),
            want: fx
                .sent
                .encoding
                .iter()
                .filter(|(_, e)| *e == "json")
                .map(|(id, _)| id.clone())
                .collect(),
            spans: None,
            selected: None,
        },
        Case {
            params: q("{ resource.service.name = \"ai-gateway\" && kind = client } > { resource.service.name = \"llm-provider-openai\" }"),
            want: sent.traces_with_span(|s| s.service == "llm-provider-openai"),
            spans: Some(Box::new(|s: &Span| s.service == "llm-provider-openai")),
            selected: None,
        },
        Case {
            params: q("{ resource.service.name = \"llm-provider-openai\" } << { resource.service.name = \"ai-gateway\" && kind = server }"),
            want: openai_traces.clone(),
            spans: Some(Box::new(move |s: &Span| {
                is_root(s) && openai_traces.contains(&s.trace_id)
            })),
            selected: None,
        },
        Case {
            params: q("{ span.db.system = \"redis\" } ~ { name =~ \"chat .*\" }"),
            want: sent.traces_with_span(is_redis),
            spans: Some(Box::new(move |s: &Span| {
                s.name.starts_with("chat ") && redis_traces.contains(&s.trace_id)
            })),
            selected: None,
        },
        Case {
            params: q("{ name =~ \"chat .*\" && status = error } &> { status = error }"),
            want: failed_pairs.clone(),
            spans: Some(Box::new(move |s: &Span| {
                failed_pairs.contains(&s.trace_id) && s.status == "ERROR" && !is_root(s)
            })),
            selected: None,
        },
        Case {
            params: q("{ } !< { resource.service.name = \"ai-gateway\" }"),
            want: sent.traces_with_span(|s| gateway_leaves.contains(&s.span_id)),
            spans: Some(Box::new(move |s: &Span| gateway_leaves.contains(&s.span_id))),
            selected: None,
        },
        Case {
            params: q("{ name =~ \"chat .*\" } | avg(span.gen_ai.usage.input_tokens) > 150"),
            want: sent.traces_with_span(|s| tokens(s) > Some(150)),
            spans: Some(Box::new(|s: &Span| tokens(s) > Some(150))),
            selected: None,
        },
        Case {
            params: q("{ kind = server } | by(resource.service.name)"),
            want: sent.traces_with_span(is_server),
            spans: Some(Box::new(is_server)),
            selected: None,
        },
        Case {
            params: q("{ duration > 1s }"),
            want: sent.traces_with_span(|s| s.duration_ns() > 1_000_000_000),
            spans: Some(Box::new(|s: &Span| s.duration_ns() > 1_000_000_000)),
            selected: None,
        },
        Case {
            params: q("{ event:name = \"exception\" }"),
            want: sent.traces_with_span(has_exception),
            spans: Some(Box::new(has_exception)),
            selected: None,
        },
        Case {
            params: q("{ instrumentation:name = \"openai.api\" }"),
            want: sent.traces_with_span(|s| s.scope == "openai.api"),
            spans: Some(Box::new(|s: &Span| s.scope == "openai.api")),
            selected: None,
        },
        Case {
            params: q("{ .gen_ai.system = \"anthropic\" }"),
            want: sent.traces_with_span(|s| s.attr_is("gen_ai.system", "anthropic")),
            spans: Some(Box::new(|s: &Span| s.attr_is("gen_ai.system", "anthropic"))),
            selected: None,
        },
        Case {
            params: q("{ span.gen_ai.request.stream = true && span.gen_ai.request.temperature > 0.5 }"),
            want: sent.traces_with_span(streamed),
            spans: Some(Box::new(streamed)),
            selected: None,
        },
        Case {
            params: q("{ statusMessage = \"upstream returned 500\" }"),
            want: sent.traces_with_span(|s| s.status_message == "upstream returned 500"),
            spans: Some(Box::new(|s: &Span| s.status_message == "upstream returned 500")),
            selected: None,
        },
        Case {
            params: q("{ rootServiceName = \"ai-gateway\" && rootName = \"POST /v1/chat/completions\" && span.db.system = \"redis\" }"),
            want: sent.traces_with_span(is_redis),
            spans: Some(Box::new(is_redis)),
            selected: None,
        },
        Case {
            params: q("{ span.gen_ai.request.model = \"gpt-5\" || resource.service.name = \"nope\" }"),
            want: BTreeSet::new(),
            spans: None,
            selected: None,
        },
        Case {
            params: q("{ traceDuration >= 2s }"),
            want: long.clone(),
            spans: None,
            selected: None,
        },
        Case {
            params: vec![
                ("tags", "service.name=ai-gateway".into()),
                ("minDuration", "2s".into()),
            ],
            want: long,
            spans: None,
            selected: None,
        },
        Case {
            params: vec![
                ("tags", "gen_ai.system=openai".into()),
                ("maxDuration", "100ms".into()),
            ],
            want: openai_short,
            spans: None,
            selected: None,
        },
    ]
}

/// The trace results of one search. Errors: not 200, not Tempo's shape.
async fn search(fx: &Fixture, params: &[(&str, String)]) -> Result<Vec<Value>, String> {
    let (ws, we) = fx.window_s();
    let mut p: Vec<(&str, String)> = vec![("start", ws.to_string()), ("end", we.to_string())];
    if !params.iter().any(|(k, _)| *k == "limit") {
        p.push(("limit", "100".into()));
    }
    if !params.iter().any(|(k, _)| *k == "spss") {
        p.push(("spss", "10".into()));
    }
    p.extend(params.iter().cloned());
    let b = fx.api.json("/api/search", &p).await?;
    // jsonpb omits an empty `traces` list, as Tempo does.
    match &b["traces"] {
        Value::Null if b.is_object() => Ok(Vec::new()),
        t => t
            .as_array()
            .cloned()
            .ok_or_else(|| format!("no traces array: {b}")),
    }
}

/// Tempo's per-trace metadata against the sent trace.
fn metadata(fx: &Fixture, t: &Value, id: &str) -> Result<(), String> {
    let (start, end) = fx.sent.trace_bounds(id);
    ensure(t["rootServiceName"] == "ai-gateway", || {
        format!("{id}: rootServiceName {}", t["rootServiceName"])
    })?;
    ensure(t["rootTraceName"] == "POST /v1/chat/completions", || {
        format!("{id}: rootTraceName {}", t["rootTraceName"])
    })?;
    let want_start = start.to_string();
    ensure(t["startTimeUnixNano"].as_str() == Some(&want_start), || {
        format!(
            "{id}: startTimeUnixNano {} want \"{start}\"",
            t["startTimeUnixNano"]
        )
    })?;
    let want_ms = (end - start) / 1_000_000;
    ensure(t["durationMs"].as_u64().unwrap_or(0) == want_ms, || {
        format!("{id}: durationMs {} want {want_ms}", t["durationMs"])
    })
}

/// The spans of every spanset of a result: span id → (matched spans' attributes).
fn result_spans(t: &Value) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    let sets = t["spanSets"].as_array().cloned().unwrap_or_default();
    for set in sets.iter().chain(std::iter::once(&t["spanSet"])) {
        for s in set["spans"].as_array().into_iter().flatten() {
            let id = s["spanID"].as_str().unwrap_or_default();
            out.insert(format!("{id:0>16}"), s["attributes"].clone());
        }
    }
    out
}

/// Checks one case's results.
fn check_case(fx: &Fixture, case: &Case, got: &[Value]) -> Result<(), String> {
    let ids: BTreeSet<String> = got
        .iter()
        .map(|t| full_trace_id(t["traceID"].as_str().unwrap_or_default()))
        .collect();
    ensure(ids.len() == got.len(), || "duplicate trace ids".into())?;
    ensure(ids == case.want, || {
        format!(
            "{} traces, want {}; extra {:?}, missing {:?}",
            ids.len(),
            case.want.len(),
            ids.difference(&case.want).collect::<Vec<_>>(),
            case.want.difference(&ids).collect::<Vec<_>>()
        )
    })?;
    let traces = fx.sent.traces();
    for t in got {
        let id = full_trace_id(t["traceID"].as_str().unwrap_or_default());
        metadata(fx, t, &id)?;
        let Some(pred) = &case.spans else { continue };
        let want: BTreeSet<&str> = traces[id.as_str()]
            .iter()
            .filter(|s| pred(s))
            .map(|s| s.span_id.as_str())
            .collect();
        let spans = result_spans(t);
        let have: BTreeSet<&str> = spans.keys().map(String::as_str).collect();
        ensure(have == want, || {
            format!("{id}: spanSets spans {have:?}, want {want:?}")
        })?;
        let matched: u64 = t["spanSets"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| s["matched"].as_u64().unwrap_or(0))
            .sum();
        ensure(matched as usize == want.len(), || {
            format!("{id}: matched {matched}, want {}", want.len())
        })?;
        if let Some(attr) = case.selected {
            for (sid, attrs) in &spans {
                let sent_v = traces[id.as_str()]
                    .iter()
                    .find(|s| s.span_id == *sid)
                    .and_then(|s| s.attr(attr).cloned());
                let got_v = attrs
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|kv| kv["key"] == attr || kv["key"] == format!("span.{attr}"))
                    .map(|kv| jsonpb_any_value(&kv["value"]))
                    .transpose()?;
                ensure(got_v.is_some() && got_v == sent_v, || {
                    format!("{id}/{sid}: selected {attr} = {got_v:?}, sent {sent_v:?}")
                })?;
            }
        }
    }
    Ok(())
}

fn describe(params: &[(&str, String)]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs the search checks for `phase`.
pub async fn check(fx: &Fixture, phase: &str, c: &mut Checks) {
    for case in cases(fx) {
        let r = search(fx, &case.params).await;
        c.record(
            phase,
            &format!(
                "search {} → {} traces",
                describe(&case.params),
                case.want.len()
            ),
            r.and_then(|got| check_case(fx, &case, &got)),
        );
    }

    // limit: that many of the matching traces, most recent first.
    let all = fx.sent.traces_with_span(|s| s.service == "ai-gateway");
    let params = vec![
        (
            "q",
            "{ resource.service.name = \"ai-gateway\" }".to_string(),
        ),
        ("limit", "3".to_string()),
    ];
    let r = search(fx, &params).await;
    c.record(
        phase,
        &format!(
            "search {} → 3 of the {} traces, newest first",
            describe(&params),
            all.len()
        ),
        r.and_then(|got| {
            ensure(got.len() == 3, || format!("{} traces", got.len()))?;
            let starts: Vec<u64> = got
                .iter()
                .map(|t| {
                    t["startTimeUnixNano"]
                        .as_str()
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(0)
                })
                .collect();
            ensure(starts.windows(2).all(|w| w[0] >= w[1]), || {
                format!("not newest first: {starts:?}")
            })?;
            got.iter().try_for_each(|t| {
                let id = full_trace_id(t["traceID"].as_str().unwrap_or_default());
                ensure(all.contains(&id), || format!("{id} not a gateway trace"))
            })
        }),
    );

    // spss: at most that many spans per spanset, `matched` still counts them all.
    let params = vec![
        ("q", "{ status = error }".to_string()),
        ("spss", "1".to_string()),
    ];
    let traces = fx.sent.traces();
    let r = search(fx, &params).await;
    c.record(
        phase,
        &format!(
            "search {}: one span per spanset, matched = all error spans",
            describe(&params)
        ),
        r.and_then(|got| {
            ensure(!got.is_empty(), || "no traces".into())?;
            got.iter().try_for_each(|t| {
                let id = full_trace_id(t["traceID"].as_str().unwrap_or_default());
                let errors = traces
                    .get(id.as_str())
                    .map_or(0, |s| s.iter().filter(|s| s.status == "ERROR").count());
                let sets = t["spanSets"].as_array().cloned().unwrap_or_default();
                ensure(sets.len() == 1, || format!("{id}: {} spanSets", sets.len()))?;
                let spans = sets[0]["spans"].as_array().map_or(0, Vec::len);
                let matched = sets[0]["matched"].as_u64().unwrap_or(0) as usize;
                ensure(spans == 1 && matched == errors && errors > 1, || {
                    format!("{id}: {spans} spans, matched {matched}, {errors} error spans")
                })
            })
        }),
    );

    // Tenants are isolated.
    let (ws, we) = fx.window_s();
    let other = super::tempo::Api::new(&fx.server.base_url(), "someone-else");
    let p = [
        ("q", "{ }".to_string()),
        ("start", ws.to_string()),
        ("end", we.to_string()),
    ];
    let r = other.json("/api/search", &p).await;
    c.record(
        phase,
        "another tenant's search { } finds no traces",
        r.and_then(|b| {
            let n = b["traces"].as_array().map_or(0, Vec::len);
            ensure(n == 0, || format!("{n} traces"))
        }),
    );

    // A malformed query: 400.
    let r = fx
        .api
        .get(
            "/api/search",
            &[
                ("q", "{ span.gen_ai.request.model = }".to_string()),
                ("start", ws.to_string()),
                ("end", we.to_string()),
            ],
            None,
        )
        .await;
    c.record(
        phase,
        "search with malformed TraceQL is a 400",
        r.and_then(|r| ensure(r.status == 400, || format!("HTTP {}", r.status))),
    );
}
