//! Tag autocomplete: `/api/v2/search/tags` (scopes), `/api/search/tags`,
//! `/api/v2/search/tag/<scoped tag>/values` (typed, with `q`) and `/api/search/tag/<t>/values`
//! must list exactly what the SDK sent.

use super::Fixture;
use lakewatch_e2e::checks::{ensure, Checks};
use serde_json::Value;
use std::collections::BTreeSet;

fn strings(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x.as_str().map(str::to_string))
        .collect()
}

/// The tags of one scope of a v2 tags answer.
fn scope_tags(body: &Value, scope: &str) -> BTreeSet<String> {
    body["scopes"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["name"] == scope)
        .map(|s| strings(&s["tags"]))
        .unwrap_or_default()
}

/// `{type, value}` pairs of a v2 values answer.
fn typed_values(body: &Value) -> BTreeSet<(String, String)> {
    body["tagValues"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| {
            (
                v["type"].as_str().unwrap_or_default().to_string(),
                v["value"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// A v2 tag-values request (tag, parameters) and its expected `(type, value)` pairs.
type ValuesCase = (
    &'static str,
    Vec<(&'static str, String)>,
    BTreeSet<(String, String)>,
);

fn set_of(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// Runs the tag checks for `phase`.
pub async fn check(fx: &Fixture, phase: &str, c: &mut Checks) {
    let api = &fx.api;
    let sent = &fx.sent;
    let (ws, we) = fx.window_s();
    let window = [("start", ws.to_string()), ("end", we.to_string())];

    // Tag names per scope.
    let span_keys: BTreeSet<String> = sent
        .spans
        .iter()
        .flat_map(|s| s.attributes.keys().cloned())
        .collect();
    let resource_keys = set_of(&[
        "service.name",
        "service.namespace",
        "service.version",
        "deployment.environment.name",
        "e2e.encoding",
        "telemetry.sdk.language",
    ]);
    for (what, params) in [("last hour", &[][..]), ("start/end", &window[..])] {
        let r = api.json("/api/v2/search/tags", params).await;
        c.record(
            phase,
            &format!(
                "v2 tags ({what}): span scope = the {} span attribute names sent (gen_ai.request.model, …), resource ⊇ service.name, …, intrinsic ⊇ status, kind",
                span_keys.len()
            ),
            r.and_then(|b| {
                let span = scope_tags(&b, "span");
                ensure(span == span_keys, || {
                    format!("span scope {span:?}, want {span_keys:?}")
                })?;
                let res = scope_tags(&b, "resource");
                ensure(res.is_superset(&resource_keys), || {
                    format!("resource scope {res:?}")
                })?;
                let intr = scope_tags(&b, "intrinsic");
                ensure(
                    ["status", "kind", "name", "duration", "rootServiceName"]
                        .iter()
                        .all(|t| intr.contains(*t)),
                    || format!("intrinsic scope {intr:?}"),
                )
            }),
        );
    }
    let mut p = window.to_vec();
    p.push(("scope", "span".into()));
    let r = api.json("/api/v2/search/tags", &p).await;
    c.record(
        phase,
        "v2 tags scope=span: only the span scope",
        r.and_then(|b| {
            let names: Vec<&str> = b["scopes"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s["name"].as_str())
                .collect();
            ensure(names == ["span"], || format!("scopes {names:?}"))?;
            ensure(scope_tags(&b, "span") == span_keys, || format!("{b}"))
        }),
    );
    let r = api.json("/api/search/tags", &window).await;
    c.record(
        phase,
        "v1 tags: span and resource names (gen_ai.request.model, service.name)",
        r.and_then(|b| {
            let names = strings(&b["tagNames"]);
            ensure(
                names.is_superset(&span_keys) && names.is_superset(&resource_keys),
                || format!("tagNames {names:?}"),
            )
        }),
    );

    // Values.
    let string_set = |vals: &[&str]| -> BTreeSet<(String, String)> {
        vals.iter()
            .map(|v| ("string".to_string(), v.to_string()))
            .collect()
    };
    let models: BTreeSet<(String, String)> = sent
        .spans
        .iter()
        .filter_map(|s| s.attr("gen_ai.request.model")?.as_str())
        .map(|m| ("string".to_string(), m.to_string()))
        .collect();
    let tokens: BTreeSet<(String, String)> = sent
        .spans
        .iter()
        .filter_map(|s| s.attr("gen_ai.usage.input_tokens")?.as_i64())
        .map(|t| ("int".to_string(), t.to_string()))
        .collect();
    let names: BTreeSet<(String, String)> = sent
        .spans
        .iter()
        .map(|s| ("string".to_string(), s.name.clone()))
        .collect();
    let cases: Vec<ValuesCase> = vec![
        (
            "resource.service.name",
            window.to_vec(),
            string_set(&["ai-gateway", "llm-provider-openai"]),
        ),
        (
            "resource.service.name",
            vec![],
            string_set(&["ai-gateway", "llm-provider-openai"]),
        ),
        ("span.gen_ai.request.model", window.to_vec(), models),
        (
            "span.gen_ai.request.model",
            [
                &window[..],
                &[("q", "{ span.gen_ai.system = \"anthropic\" }".to_string())],
            ]
            .concat(),
            string_set(&["claude-3-5-sonnet"]),
        ),
        (
            "span.gen_ai.request.model",
            [
                &window[..],
                &[(
                    "q",
                    "{ resource.service.name = \"ai-gateway\" && name = \"chat gpt-4o-mini\" }"
                        .to_string(),
                )],
            ]
            .concat(),
            string_set(&["gpt-4o-mini"]),
        ),
        ("span.gen_ai.usage.input_tokens", window.to_vec(), tokens),
        (
            "span.http.response.status_code",
            window.to_vec(),
            [("int", "200"), ("int", "500")]
                .iter()
                .map(|(t, v)| (t.to_string(), v.to_string()))
                .collect(),
        ),
        ("name", window.to_vec(), names),
    ];
    for (tag, params, want) in cases {
        let path = format!("/api/v2/search/tag/{tag}/values");
        let r = api.json(&path, &params).await;
        let q = params
            .iter()
            .find(|(k, _)| *k == "q")
            .map(|(_, v)| format!(" q={v}"))
            .unwrap_or_default();
        c.record(
            phase,
            &format!(
                "v2 values {tag}{q}{} = {:?}",
                if params.is_empty() {
                    " (last hour)"
                } else {
                    ""
                },
                want.iter().map(|(_, v)| v.as_str()).collect::<Vec<_>>()
            ),
            r.and_then(|b| {
                let got = typed_values(&b);
                ensure(got == want, || format!("got {got:?}"))
            }),
        );
    }
    let r = api.json("/api/v2/search/tag/status/values", &window).await;
    c.record(
        phase,
        "v2 values status: keywords error, ok, unset",
        r.and_then(|b| {
            let got = typed_values(&b);
            ensure(
                ["error", "ok", "unset"]
                    .iter()
                    .all(|v| got.contains(&("keyword".to_string(), v.to_string()))),
                || format!("got {got:?}"),
            )
        }),
    );
    let r = api
        .json("/api/search/tag/service.name/values", &window)
        .await;
    c.record(
        phase,
        "v1 values service.name = [ai-gateway, llm-provider-openai]",
        r.and_then(|b| {
            let got = strings(&b["tagValues"]);
            ensure(
                got == set_of(&["ai-gateway", "llm-provider-openai"]),
                || format!("got {got:?}"),
            )
        }),
    );
    let r = api
        .json("/api/search/tag/gen_ai.system/values", &window)
        .await;
    c.record(
        phase,
        "v1 values gen_ai.system = [anthropic, openai]",
        r.and_then(|b| {
            let got = strings(&b["tagValues"]);
            ensure(got == set_of(&["anthropic", "openai"]), || {
                format!("got {got:?}")
            })
        }),
    );
}
