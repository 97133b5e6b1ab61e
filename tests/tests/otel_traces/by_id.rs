//! Trace by id: every sent trace through `/api/traces/<id>` and `/api/v2/traces/<id>`, in
//! protobuf (`Accept: application/protobuf`, as Grafana asks) and in Tempo's JSON, must be
//! exactly the spans the SDK finished (ids, parent links, names, kinds, status, times, typed
//! attributes, events, resource service and scope).

use super::sent::Span;
use super::tempo::{spans_from_jsonpb, spans_from_proto, Api, TempoTrace, TraceByIdResponse};
use super::{Fixture, NS};
use lakewatch_e2e::checks::{ensure, Checks};
use prost::Message;

const PROTOBUF: &str = "application/protobuf";

/// Which endpoint and encoding.
#[derive(Clone, Copy, Debug)]
enum Form {
    V1Json,
    V1Proto,
    V2Json,
    V2Proto,
}

impl Form {
    fn path(self, id: &str) -> String {
        match self {
            Form::V1Json | Form::V1Proto => format!("/api/traces/{id}"),
            Form::V2Json | Form::V2Proto => format!("/api/v2/traces/{id}"),
        }
    }

    fn accept(self) -> Option<&'static str> {
        match self {
            Form::V1Proto | Form::V2Proto => Some(PROTOBUF),
            _ => None,
        }
    }
}

/// Fetches one trace; `Ok(None)` for a 404. Errors: another status, an undecodable body.
async fn fetch(
    api: &Api,
    form: Form,
    id: &str,
    params: &[(&str, String)],
) -> Result<Option<Vec<Span>>, String> {
    let r = api.get(&form.path(id), params, form.accept()).await?;
    if r.status == 404 {
        return Ok(None);
    }
    if r.status != 200 {
        return Err(format!(
            "{form:?} {id}: HTTP {}: {}",
            r.status,
            String::from_utf8_lossy(&r.body)
        ));
    }
    let want_ct = if form.accept().is_some() {
        PROTOBUF
    } else {
        "application/json"
    };
    ensure(r.content_type.starts_with(want_ct), || {
        format!("{form:?} {id}: Content-Type {:?}", r.content_type)
    })?;
    let spans = match form {
        Form::V1Proto => {
            let t = TempoTrace::decode(r.body.as_ref()).map_err(|e| format!("{id}: {e}"))?;
            spans_from_proto(&t.resource_spans)
        }
        Form::V2Proto => {
            let t = TraceByIdResponse::decode(r.body.as_ref()).map_err(|e| format!("{id}: {e}"))?;
            ensure(t.status == 0 && t.message.is_empty(), || {
                format!("{id}: partial status {} {:?}", t.status, t.message)
            })?;
            spans_from_proto(&t.trace.unwrap_or_default().resource_spans)
        }
        Form::V1Json => spans_from_jsonpb(&r.json()?["batches"])?,
        Form::V2Json => spans_from_jsonpb(&r.json()?["trace"]["resourceSpans"])?,
    };
    Ok(Some(spans))
}

/// `Ok` when `got` are exactly the `want` spans (both sorted by span id).
fn same_spans(id: &str, got: &[Span], want: &[&Span]) -> Result<(), String> {
    ensure(got.len() == want.len(), || {
        format!("{id}: {} spans, sent {}", got.len(), want.len())
    })?;
    for (g, w) in got.iter().zip(want) {
        ensure(g == *w, || {
            format!("{id}: span differs\n      got  {g:?}\n      sent {w:?}")
        })?;
    }
    Ok(())
}

/// The tree of one trace as the gateway builds it: one root (the gateway's SERVER span),
/// every parent present, the redis and provider call spans children of the root, the
/// provider's SERVER span a child of the gateway's `chat …` CLIENT span.
fn tree_shape(id: &str, spans: &[Span]) -> Result<(), String> {
    let roots: Vec<&Span> = spans
        .iter()
        .filter(|s| s.parent_span_id.is_none())
        .collect();
    ensure(roots.len() == 1, || format!("{id}: {} roots", roots.len()))?;
    let root = roots[0];
    ensure(
        root.service == "ai-gateway"
            && root.kind == "SERVER"
            && root.name == "POST /v1/chat/completions",
        || format!("{id}: root {root:?}"),
    )?;
    let by_id = |sid: &str| spans.iter().find(|s| s.span_id == sid);
    for s in spans.iter().filter(|s| s.parent_span_id.is_some()) {
        let pid = s.parent_span_id.as_deref().unwrap_or_default();
        let parent = by_id(pid).ok_or_else(|| format!("{id}: {} has no parent {pid}", s.name))?;
        let ok = match (s.service.as_str(), s.kind.as_str()) {
            ("ai-gateway", "CLIENT") => parent.span_id == root.span_id,
            ("llm-provider-openai", "SERVER") => {
                parent.kind == "CLIENT" && parent.name.starts_with("chat ")
            }
            _ => false,
        };
        ensure(ok, || {
            format!("{id}: {} ({}) under {}", s.name, s.service, parent.name)
        })?;
    }
    // A failed provider call: error on the call span, 500 and error on the root.
    let failed = spans
        .iter()
        .any(|s| s.name.starts_with("chat ") && s.status == "ERROR");
    let code = root
        .attr("http.response.status_code")
        .and_then(|v| v.as_i64());
    ensure(
        (failed && code == Some(500) && root.status == "ERROR")
            || (!failed && code == Some(200) && root.status == "UNSET"),
        || {
            format!(
                "{id}: failed={failed}, root status {} code {code:?}",
                root.status
            )
        },
    )
}

/// Runs the trace-by-id checks for `phase`.
pub async fn check(fx: &Fixture, phase: &str, c: &mut Checks) {
    let traces = fx.sent.traces();
    let api = &fx.api;

    for form in [Form::V2Proto, Form::V1Json, Form::V1Proto, Form::V2Json] {
        let mut outcome = Ok(());
        for (id, want) in &traces {
            let r = fetch(api, form, id, &[]).await.and_then(|got| {
                let got = got.ok_or_else(|| format!("{id}: 404"))?;
                same_spans(id, &got, want)?;
                if matches!(form, Form::V2Proto) {
                    tree_shape(id, &got)?;
                }
                Ok(())
            });
            if r.is_err() {
                outcome = r;
                break;
            }
        }
        c.record(
            phase,
            &format!(
                "{form:?}: all {} traces exactly as sent{}",
                traces.len(),
                if matches!(form, Form::V2Proto) {
                    " (and gateway → redis / provider → provider server tree)"
                } else {
                    ""
                }
            ),
            outcome,
        );
    }

    // The same trace by upper-case id, and inside / outside a start/end window (unix s).
    let (id, want) = traces.iter().next().expect("a trace");
    let (t0, t1) = fx.sent.trace_bounds(id);
    let r = fetch(api, Form::V1Json, &id.to_uppercase(), &[]).await;
    c.record(
        phase,
        "upper-case trace id finds the trace",
        r.and_then(|g| same_spans(id, &g.ok_or("404")?, want)),
    );
    let inside = [
        ("start", (t0 / NS).to_string()),
        ("end", (t1 / NS + 1).to_string()),
    ];
    let r = fetch(api, Form::V2Proto, id, &inside).await;
    c.record(
        phase,
        "v2 with start/end around the trace finds it",
        r.and_then(|g| same_spans(id, &g.unwrap_or_default(), want)),
    );
    let before = [
        ("start", (t0 / NS - 7200).to_string()),
        ("end", (t0 / NS - 3600).to_string()),
    ];
    let r = fetch(api, Form::V1Json, id, &before).await;
    c.record(
        phase,
        "v1 with start/end an hour before the trace: 404",
        r.and_then(|g| ensure(g.is_none(), || format!("found {g:?}"))),
    );

    // Unknown and malformed ids.
    let unknown = "0123456789abcdef0123456789abcdef";
    for form in [Form::V1Json, Form::V1Proto] {
        let r = fetch(api, form, unknown, &[]).await;
        c.record(
            phase,
            &format!("{form:?}: unknown trace id is a 404"),
            r.and_then(|g| ensure(g.is_none(), || format!("found {g:?}"))),
        );
    }
    for form in [Form::V2Json, Form::V2Proto] {
        let r = fetch(api, form, unknown, &[]).await;
        c.record(
            phase,
            &format!("{form:?}: unknown trace id is 200 with an empty trace (Tempo's v2 combiner)"),
            r.and_then(|g| {
                let g = g.ok_or("404")?;
                ensure(g.is_empty(), || format!("{} spans", g.len()))
            }),
        );
    }
    let other = Api::new(&fx.server.base_url(), "someone-else");
    let r = fetch(&other, Form::V1Json, id, &[]).await;
    c.record(
        phase,
        "another tenant gets a 404 for a sent trace",
        r.and_then(|g| ensure(g.is_none(), || format!("found {g:?}"))),
    );
    let r = api.get("/api/traces/not-a-trace-id", &[], None).await;
    c.record(
        phase,
        "malformed trace id is a 400",
        r.and_then(|r| ensure(r.status == 400, || format!("HTTP {}", r.status))),
    );
}
