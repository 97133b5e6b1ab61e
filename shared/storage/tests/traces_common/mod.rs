//! Shared helpers for the traces storage tests: OTLP builders and a realistic span generator
//! (an AI gateway: FastAPI server spans, rate limiter, Redis, model provider calls).
#![allow(dead_code)]

use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::{
    AnyValue, ArrayValue, InstrumentationScope, KeyValue,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::span::{Event, SpanKind};
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};

/// Deterministic pseudo-random numbers (64-bit LCG, high bits).
pub struct Rng(pub u64);
impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let a = self.0 >> 32;
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (a << 32) | (self.0 >> 32)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        for c in out.chunks_mut(8) {
            let v = self.next().to_le_bytes();
            c.copy_from_slice(&v[..c.len()]);
        }
        out
    }
}

pub fn kv(k: &str, v: Value) -> KeyValue {
    KeyValue {
        key: k.into(),
        value: Some(AnyValue { value: Some(v) }),
        key_strindex: 0,
    }
}
pub fn s(k: &str, v: &str) -> KeyValue {
    kv(k, Value::StringValue(v.into()))
}
pub fn i(k: &str, v: i64) -> KeyValue {
    kv(k, Value::IntValue(v))
}

pub fn resource(service: &str, pod: &str) -> Resource {
    Resource {
        attributes: vec![
            s("service.name", service),
            s("service.version", "1.14.2"),
            s("deployment.environment", "prod"),
            s("host.name", pod),
            s("k8s.pod.name", pod),
            s("k8s.namespace.name", "ai"),
            s("telemetry.sdk.name", "opentelemetry"),
            s("telemetry.sdk.language", "python"),
            s("telemetry.sdk.version", "1.27.0"),
        ],
        dropped_attributes_count: 0,
        entity_refs: vec![],
    }
}

pub fn scope(name: &str) -> InstrumentationScope {
    InstrumentationScope {
        name: name.into(),
        version: "0.48b0".into(),
        attributes: vec![],
        dropped_attributes_count: 0,
    }
}

const PROVIDERS: [(&str, &str, &str); 6] = [
    (
        "openai",
        "gpt-4o",
        "https://api.openai.com/v1/chat/completions",
    ),
    (
        "anthropic",
        "claude-3-5-sonnet",
        "https://api.anthropic.com/v1/messages",
    ),
    (
        "openai",
        "gpt-4o-mini",
        "https://api.openai.com/v1/chat/completions",
    ),
    (
        "mistral",
        "mistral-large",
        "https://api.mistral.ai/v1/chat/completions",
    ),
    (
        "groq",
        "llama-3.1-70b",
        "https://api.groq.com/openai/v1/chat/completions",
    ),
    ("cohere", "command-r-plus", "https://api.cohere.com/v2/chat"),
];
const ROUTES: [&str; 4] = [
    "/v1/chat/completions",
    "/v1/embeddings",
    "/v1/completions",
    "/v1/models",
];

#[allow(clippy::too_many_arguments)]
fn span(
    tid: [u8; 16],
    sid: [u8; 8],
    parent: Option<[u8; 8]>,
    name: &str,
    kind: SpanKind,
    start: u64,
    dur: u64,
    attributes: Vec<KeyValue>,
) -> Span {
    Span {
        trace_id: tid.to_vec(),
        span_id: sid.to_vec(),
        trace_state: String::new(),
        parent_span_id: parent.map(|p| p.to_vec()).unwrap_or_default(),
        flags: 0x101,
        name: name.into(),
        kind: kind as i32,
        start_time_unix_nano: start,
        end_time_unix_nano: start + dur,
        attributes,
        dropped_attributes_count: 0,
        events: vec![],
        dropped_events_count: 0,
        links: vec![],
        dropped_links_count: 0,
        status: None,
    }
}

/// One request of `traces` realistic AI-gateway traces (6 spans each: server, rate limiter,
/// Redis, LLM call, provider HTTP client, response serialisation) starting at `t0_ns`, about
/// 50 ms apart. The gateway spans come from pod `pod`.
pub fn realistic_request(
    rng: &mut Rng,
    t0_ns: u64,
    traces: usize,
    pod: &str,
) -> Vec<ResourceSpans> {
    let mut server = Vec::new();
    let mut redis = Vec::new();
    let mut llm = Vec::new();
    let mut http = Vec::new();
    for t in 0..traces {
        let tid: [u8; 16] = rng.bytes();
        let ids: Vec<[u8; 8]> = (0..6).map(|_| rng.bytes()).collect();
        let start = t0_ns + t as u64 * 50_000_000 + rng.below(1_000_000);
        let (provider, model, url) = PROVIDERS[rng.below(6) as usize];
        let route = ROUTES[(rng.below(10) / 4).min(3) as usize];
        let llm_ms = 300 + rng.below(2_000);
        let err = rng.below(20) == 0;
        let code = if err { 502 } else { 200 };
        let total = (llm_ms + 5) * 1_000_000 + rng.below(1_000_000);
        let mut root = span(
            tid,
            ids[0],
            None,
            &format!("POST {route}"),
            SpanKind::Server,
            start,
            total,
            vec![
                s("http.request.method", "POST"),
                s("http.route", route),
                s("url.scheme", "https"),
                s("url.path", route),
                i("http.response.status_code", code),
                s("server.address", "gateway.example.com"),
                s("user_agent.original", "openai-python/1.51.0"),
                s(
                    "client.address",
                    &format!("10.1.{}.{}", rng.below(4), rng.below(250)),
                ),
            ],
        );
        if err {
            root.status = Some(Status {
                message: "upstream error".into(),
                code: 2,
            });
        }
        server.push(root);
        server.push(span(
            tid,
            ids[1],
            Some(ids[0]),
            "rate_limiter.check",
            SpanKind::Internal,
            start + 200_000,
            400_000 + rng.below(200_000),
            vec![
                s("tenant", &format!("team-{}", rng.below(12))),
                kv("allowed", Value::BoolValue(true)),
            ],
        ));
        redis.push(span(
            tid,
            ids[2],
            Some(ids[1]),
            "GET",
            SpanKind::Client,
            start + 250_000,
            150_000 + rng.below(100_000),
            vec![
                s("db.system", "redis"),
                s("db.operation", "GET"),
                s("server.address", "redis"),
                i("server.port", 6379),
            ],
        ));
        let llm_start = start + 1_000_000;
        let input = 200 + rng.below(3_000) as i64;
        let output = 20 + rng.below(800) as i64;
        let mut chat = span(
            tid,
            ids[3],
            Some(ids[0]),
            &format!("chat {model}"),
            SpanKind::Client,
            llm_start,
            llm_ms * 1_000_000,
            vec![
                s("gen_ai.operation.name", "chat"),
                s("gen_ai.system", provider),
                s("gen_ai.request.model", model),
                s("gen_ai.response.model", model),
                i("gen_ai.usage.input_tokens", input),
                i("gen_ai.usage.output_tokens", output),
                kv("gen_ai.request.temperature", Value::DoubleValue(0.7)),
                kv(
                    "gen_ai.response.finish_reasons",
                    Value::ArrayValue(ArrayValue {
                        values: vec![AnyValue {
                            value: Some(Value::StringValue("stop".into())),
                        }],
                    }),
                ),
            ],
        );
        if err {
            chat.events.push(Event {
                time_unix_nano: llm_start + llm_ms * 1_000_000,
                name: "exception".into(),
                attributes: vec![
                    s("exception.type", "httpx.HTTPStatusError"),
                    s("exception.message", "Server error '502 Bad Gateway'"),
                ],
                dropped_attributes_count: 0,
            });
            chat.status = Some(Status {
                message: "502 Bad Gateway".into(),
                code: 2,
            });
        }
        llm.push(chat);
        http.push(span(
            tid,
            ids[4],
            Some(ids[3]),
            "POST",
            SpanKind::Client,
            llm_start + 100_000,
            llm_ms * 1_000_000 - 200_000,
            vec![
                s("http.request.method", "POST"),
                s("url.full", url),
                i("http.response.status_code", code),
            ],
        ));
        server.push(span(
            tid,
            ids[5],
            Some(ids[0]),
            "serialize_response",
            SpanKind::Internal,
            llm_start + llm_ms * 1_000_000 + 100_000,
            1_000_000 + rng.below(2_000_000),
            vec![],
        ));
    }
    let ss = |name: &str, spans: Vec<Span>| ScopeSpans {
        scope: Some(scope(name)),
        spans,
        schema_url: "https://opentelemetry.io/schemas/1.26.0".into(),
    };
    vec![ResourceSpans {
        resource: Some(resource("ai-gateway", pod)),
        scope_spans: vec![
            ss("opentelemetry.instrumentation.fastapi", server),
            ss("opentelemetry.instrumentation.redis", redis),
            ss("opentelemetry.instrumentation.openai", llm),
            ss("opentelemetry.instrumentation.httpx", http),
        ],
        schema_url: String::new(),
    }]
}

/// All spans of a request, sorted by (trace id, start, span id).
pub fn all_spans(rs: &[ResourceSpans]) -> Vec<Span> {
    let mut v: Vec<Span> = rs
        .iter()
        .flat_map(|r| r.scope_spans.iter().flat_map(|s| s.spans.iter().cloned()))
        .collect();
    v.sort_by(|a, b| {
        (&a.trace_id, a.start_time_unix_nano, &a.span_id).cmp(&(
            &b.trace_id,
            b.start_time_unix_nano,
            &b.span_id,
        ))
    });
    v
}

/// Distinct trace ids of a request.
pub fn trace_ids(rs: &[ResourceSpans]) -> Vec<[u8; 16]> {
    let mut v: Vec<[u8; 16]> = all_spans(rs)
        .iter()
        .map(|s| s.trace_id.as_slice().try_into().unwrap())
        .collect();
    v.dedup();
    v
}
