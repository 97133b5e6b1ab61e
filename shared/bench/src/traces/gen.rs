//! Generated AI-gateway traces, shaped like the server demo's (`shared/server/src/demo/traces.rs`,
//! mirrored here so the bench does not depend on `lakewatch-server`):
//!
//! - `POST /v1/chat/completions` / `POST /v1/embeddings` / `GET /v1/models` / `GET /health`
//!   (kind SERVER, scope `opentelemetry.instrumentation.fastapi`): HTTP semantic-convention
//!   attributes and `enduser.id`; status ERROR on 5xx with an `exception` event on 500;
//!   - child `EVALSHA` / `GET` (kind CLIENT, scope `opentelemetry.instrumentation.redis`),
//!     a few hundred µs near the start (rate-limit check, model-list cache read);
//!   - child `chat <model>` / `embeddings <model>` (kind CLIENT, scope `ai-gateway.providers`)
//!     with `gen_ai.*` attributes (operation, system, request/response model, token usage),
//!     from just after the Redis span to just before the response; ERROR status, `error.type`
//!     and an `exception` event on provider failures.
//!
//! Mix per request: 87 % completed model calls (3 spans; chat or embeddings by model, 6 of the
//! 8 models are chat), 2 % provider errors (3 spans, 502), 4 % rate limited (2 spans, 429),
//! 3 % `/v1/models` (2 spans), 3 % `/health` (1 span), 1 % bad requests (1 span, 400): 2.85
//! spans per trace on average. Trace ids are 16 random bytes,
//! span ids 8 random non-zero bytes; requests are evenly spaced in time over the window (times
//! in **ns** since the epoch, the server span *ends* at the request time). Deterministic
//! (SplitMix64, [`crate::rng::Rng`]) for a seed.
//!
//! Each export request holds whole traces (about `batch_spans` spans), one `ResourceSpans` per
//! gateway instance with up to three `ScopeSpans`, as an OpenTelemetry SDK's batch exporter
//! behind a collector sends them.

use crate::rng::Rng;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::span::{Event, SpanKind};
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};

/// Mean spans per trace of the mix above (used to space requests in time).
pub const MEAN_SPANS_PER_TRACE: f64 = 2.85;
/// Gateway instances (one `ResourceSpans` each per request).
pub const INSTANCES: usize = 4;
/// Distinct `enduser.id` values.
pub const USERS: u64 = 50_000;

/// Scope of the HTTP server spans.
const SCOPE_HTTP: &str = "opentelemetry.instrumentation.fastapi";
/// Scope of the Redis client spans.
const SCOPE_REDIS: &str = "opentelemetry.instrumentation.redis";
/// Scope of the provider call spans.
const SCOPE_PROVIDER: &str = "ai-gateway.providers";

/// (provider, model, is embeddings).
const MODELS: &[(&str, &str, bool)] = &[
    ("openai", "gpt-4o", false),
    ("openai", "gpt-4o-mini", false),
    ("anthropic", "claude-3-5-sonnet", false),
    ("google", "gemini-1.5-pro", false),
    ("mistral", "mistral-large", false),
    ("groq", "llama-3.1-70b", false),
    ("openai", "text-embedding-3-small", true),
    ("cohere", "embed-english-v3.0", true),
];

/// Distinct request models (series of a `rate() by (span.gen_ai.request.model)`).
pub const MODEL_COUNT: usize = MODELS.len();

/// What the generator is asked for.
#[derive(Debug, Clone)]
pub struct TracesSpec {
    /// Spans to generate (the last trace may overshoot by up to 2).
    pub spans: u64,
    /// Spans per export request (whole traces, so up to 2 more).
    pub batch_spans: usize,
    /// Window of the request times (ns since the epoch), `[start_ns, end_ns)`.
    pub start_ns: i64,
    pub end_ns: i64,
    pub seed: u64,
}

/// One trace the generator produced: its id, span count and server-span end (ns).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceRef {
    pub id: [u8; 16],
    pub spans: usize,
    pub end_ns: i64,
}

/// Totals over everything generated so far.
#[derive(Debug, Clone, Default)]
pub struct TracesTotals {
    pub spans: u64,
    pub traces: u64,
    pub batches: u64,
    /// A uniform sample (reservoir) of the generated traces, for the lookups.
    pub sample: Vec<TraceRef>,
    pub first_ns: i64,
    pub last_ns: i64,
}

/// Size of [`TracesTotals::sample`].
pub const SAMPLE: usize = 2000;

/// Iterator over export requests (`Vec<ResourceSpans>`, [`TracesSpec::batch_spans`] spans).
pub struct TracesGen {
    spec: TracesSpec,
    rng: Rng,
    step_ns: f64,
    pub totals: TracesTotals,
}

fn kv(key: &str, v: Value) -> KeyValue {
    KeyValue {
        key: key.to_string(),
        value: Some(AnyValue { value: Some(v) }),
        key_strindex: 0,
    }
}

fn s(key: &str, v: &str) -> KeyValue {
    kv(key, Value::StringValue(v.to_string()))
}

fn i(key: &str, v: i64) -> KeyValue {
    kv(key, Value::IntValue(v))
}

fn provider_host(provider: &str) -> &'static str {
    match provider {
        "openai" => "api.openai.com",
        "anthropic" => "api.anthropic.com",
        "google" => "generativelanguage.googleapis.com",
        "mistral" => "api.mistral.ai",
        "groq" => "api.groq.com",
        _ => "api.cohere.com",
    }
}

fn error_status(message: &str) -> Option<Status> {
    Some(Status {
        message: message.to_string(),
        code: StatusCode::Error as i32,
    })
}

fn exception(time_ns: u64, kind: &str, message: &str) -> Event {
    Event {
        time_unix_nano: time_ns,
        name: "exception".to_string(),
        attributes: vec![s("exception.type", kind), s("exception.message", message)],
        dropped_attributes_count: 0,
    }
}

fn span(
    trace_id: [u8; 16],
    id: [u8; 8],
    parent: Option<[u8; 8]>,
    name: String,
    kind: SpanKind,
    (start_ns, end_ns): (u64, u64),
    attributes: Vec<KeyValue>,
) -> Span {
    Span {
        trace_id: trace_id.to_vec(),
        span_id: id.to_vec(),
        trace_state: String::new(),
        parent_span_id: parent.map(|p| p.to_vec()).unwrap_or_default(),
        flags: 0x101,
        name,
        kind: kind as i32,
        start_time_unix_nano: start_ns,
        end_time_unix_nano: end_ns.max(start_ns),
        attributes,
        dropped_attributes_count: 0,
        events: Vec::new(),
        dropped_events_count: 0,
        links: Vec::new(),
        dropped_links_count: 0,
        status: None,
    }
}

/// The request kinds of the mix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Completed,
    ProviderError,
    RateLimited,
    Models,
    Health,
    BadRequest,
}

/// The spans of one trace by scope: (server, redis, provider).
type TraceSpans = (Vec<Span>, Vec<Span>, Vec<Span>);

impl TracesGen {
    /// A generator for `spec`.
    pub fn new(spec: TracesSpec) -> Self {
        let traces = (spec.spans as f64 / MEAN_SPANS_PER_TRACE).max(1.0);
        let step_ns = (spec.end_ns - spec.start_ns).max(1) as f64 / traces;
        TracesGen {
            rng: Rng::new(spec.seed ^ 0x7472_6163_6573),
            spec,
            step_ns,
            totals: TracesTotals::default(),
        }
    }

    fn span_id(&mut self) -> [u8; 8] {
        loop {
            let v = self.rng.next_u64();
            if v != 0 {
                return v.to_be_bytes();
            }
        }
    }

    fn trace_id(&mut self) -> [u8; 16] {
        loop {
            let v = ((self.rng.next_u64() as u128) << 64) | self.rng.next_u64() as u128;
            if v != 0 {
                return v.to_be_bytes();
            }
        }
    }

    /// Log-normal with the given median and sigma (Box–Muller).
    fn log_normal(&mut self, median: f64, sigma: f64) -> f64 {
        let u1 = self.rng.f64().max(1e-12);
        let u2 = self.rng.f64();
        let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
        median * (sigma * z).exp()
    }

    fn kind(&mut self) -> Kind {
        let p = self.rng.below(100);
        match p {
            0..=86 => Kind::Completed,
            87..=88 => Kind::ProviderError,
            89..=92 => Kind::RateLimited,
            93..=95 => Kind::Models,
            96..=98 => Kind::Health,
            _ => Kind::BadRequest,
        }
    }

    /// One trace ending at `end` (ns).
    fn trace(&mut self, end: u64) -> ([u8; 16], TraceSpans) {
        let tid = self.trace_id();
        let kind = self.kind();
        let model = MODELS[self.rng.below(MODELS.len() as u64) as usize];
        let (provider, model_name, embed) = model;
        let (method, route) = match kind {
            Kind::Models => ("GET", "/v1/models"),
            Kind::Health => ("GET", "/health"),
            _ if embed => ("POST", "/v1/embeddings"),
            _ => ("POST", "/v1/chat/completions"),
        };
        let median_s = match kind {
            Kind::Health => 0.0008,
            Kind::BadRequest | Kind::RateLimited | Kind::Models => 0.003,
            _ if embed => 0.15,
            _ => 0.9,
        };
        let total = ((self.log_normal(median_s, 0.6) * 1e9) as u64).max(1_000);
        let start = end.saturating_sub(total);
        let status: i64 = match kind {
            Kind::Completed | Kind::Models | Kind::Health => 200,
            Kind::RateLimited => 429,
            Kind::BadRequest => 400,
            Kind::ProviderError => 502,
        };
        let user = format!("user-{:05}", self.rng.below(USERS));
        let root_id = self.span_id();
        let mut root = span(
            tid,
            root_id,
            None,
            format!("{method} {route}"),
            SpanKind::Server,
            (start, end),
            vec![
                s("http.request.method", method),
                s("http.route", route),
                s("url.path", route),
                s("url.scheme", "http"),
                i("http.response.status_code", status),
                s("server.address", "ai-gateway"),
                i("server.port", 8000),
                s("network.protocol.version", "1.1"),
                s("enduser.id", &user),
            ],
        );
        if status >= 500 {
            root.status = error_status(&format!("HTTP {status}"));
            root.attributes.push(s("error.type", &status.to_string()));
        }
        let mut out: TraceSpans = (vec![root], Vec::new(), Vec::new());
        if matches!(kind, Kind::Health | Kind::BadRequest) {
            return (tid, out);
        }
        let redis_start = start + (80_000 + self.rng.below(320_000)).min(total / 10);
        let redis_dur =
            (self.log_normal(350_000.0, 0.5) as u64).clamp(20_000, (total * 3 / 10).max(20_000));
        let redis_end = (redis_start + redis_dur).min(end);
        let (op, statement) = if kind == Kind::Models {
            ("GET", "GET models:catalog")
        } else {
            ("EVALSHA", "EVALSHA ? 2 ? ?")
        };
        let mut attrs = vec![
            s("db.system", "redis"),
            s("db.operation", op),
            s("db.statement", statement),
            i("db.redis.database_index", 0),
            s("server.address", "redis"),
            i("server.port", 6379),
        ];
        if kind == Kind::RateLimited {
            attrs.push(s("ratelimit.limit_type", "rpm"));
        }
        let redis_id = self.span_id();
        out.1.push(span(
            tid,
            redis_id,
            Some(root_id),
            op.to_string(),
            SpanKind::Client,
            (redis_start, redis_end),
            attrs,
        ));
        if !matches!(kind, Kind::Completed | Kind::ProviderError) {
            return (tid, out);
        }
        let call_start = (redis_end + 50_000 + self.rng.below(250_000)).min(end);
        let tail = (200_000 + self.rng.below(1_300_000)).min(total / 20);
        let call_end = end.saturating_sub(tail).max(call_start);
        let operation = if embed { "embeddings" } else { "chat" };
        let mut attrs = vec![
            s("gen_ai.operation.name", operation),
            s("gen_ai.system", provider),
            s("gen_ai.request.model", model_name),
            s("server.address", provider_host(provider)),
            i("server.port", 443),
        ];
        if kind == Kind::Completed {
            let input = self.log_normal(if embed { 120.0 } else { 450.0 }, 0.8) as i64 + 1;
            let output = if embed {
                0
            } else {
                self.log_normal(220.0, 0.7) as i64 + 1
            };
            attrs.push(s("gen_ai.response.model", model_name));
            attrs.push(i("gen_ai.usage.input_tokens", input));
            attrs.push(i("gen_ai.usage.output_tokens", output));
        }
        let call_id = self.span_id();
        let mut call = span(
            tid,
            call_id,
            Some(root_id),
            format!("{operation} {model_name}"),
            SpanKind::Client,
            (call_start, call_end),
            attrs,
        );
        if kind == Kind::ProviderError {
            let message = "provider unavailable: 503 Service Unavailable";
            call.attributes.push(s("error.type", "503"));
            call.attributes.push(i("http.response.status_code", 503));
            call.events
                .push(exception(call_end, "httpx.HTTPStatusError", message));
            call.status = error_status(message);
        }
        out.2.push(call);
        (tid, out)
    }

    fn keep_sample(&mut self, r: TraceRef) {
        let n = self.totals.traces;
        if self.totals.sample.len() < SAMPLE {
            self.totals.sample.push(r);
        } else {
            let j = self.rng.below(n) as usize;
            if j < SAMPLE {
                self.totals.sample[j] = r;
            }
        }
    }
}

fn resource(instance: usize) -> Resource {
    Resource {
        attributes: vec![
            s("service.name", "ai-gateway"),
            s("service.namespace", "demo"),
            s("service.instance.id", &format!("gateway-{instance}:8000")),
            s("service.version", "0.4.2"),
            s("deployment.environment.name", "prod"),
            s("telemetry.sdk.name", "opentelemetry"),
            s("telemetry.sdk.language", "python"),
            s("telemetry.sdk.version", "1.27.0"),
        ],
        dropped_attributes_count: 0,
        entity_refs: Vec::new(),
    }
}

fn scope(name: &str) -> InstrumentationScope {
    InstrumentationScope {
        name: name.to_string(),
        version: String::new(),
        attributes: Vec::new(),
        dropped_attributes_count: 0,
    }
}

/// Number of spans in an export request.
pub fn span_count(rs: &[ResourceSpans]) -> usize {
    rs.iter()
        .flat_map(|r| &r.scope_spans)
        .map(|s| s.spans.len())
        .sum()
}

impl Iterator for TracesGen {
    type Item = Vec<ResourceSpans>;

    fn next(&mut self) -> Option<Vec<ResourceSpans>> {
        if self.totals.spans >= self.spec.spans {
            return None;
        }
        let mut by: Vec<TraceSpans> = vec![Default::default(); INSTANCES];
        let mut n = 0usize;
        while n < self.spec.batch_spans.max(1) && self.totals.spans < self.spec.spans {
            let end = self.spec.start_ns + (self.totals.traces as f64 * self.step_ns) as i64;
            let (tid, t) = self.trace(end.max(0) as u64);
            let k = t.0.len() + t.1.len() + t.2.len();
            let inst = self.rng.below(INSTANCES as u64) as usize;
            let e = &mut by[inst];
            e.0.extend(t.0);
            e.1.extend(t.1);
            e.2.extend(t.2);
            if self.totals.traces == 0 {
                self.totals.first_ns = end;
            }
            self.totals.last_ns = end;
            self.totals.traces += 1;
            self.totals.spans += k as u64;
            n += k;
            self.keep_sample(TraceRef {
                id: tid,
                spans: k,
                end_ns: end,
            });
        }
        self.totals.batches += 1;
        Some(
            by.into_iter()
                .enumerate()
                .filter(|(_, t)| !t.0.is_empty())
                .map(|(inst, (server, redis, provider))| ResourceSpans {
                    resource: Some(resource(inst)),
                    scope_spans: [
                        (SCOPE_HTTP, server),
                        (SCOPE_REDIS, redis),
                        (SCOPE_PROVIDER, provider),
                    ]
                    .into_iter()
                    .filter(|(_, v)| !v.is_empty())
                    .map(|(name, spans)| ScopeSpans {
                        scope: Some(scope(name)),
                        spans,
                        schema_url: "https://opentelemetry.io/schemas/1.27.0".to_string(),
                    })
                    .collect(),
                    schema_url: String::new(),
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(spans: u64) -> TracesSpec {
        TracesSpec {
            spans,
            batch_spans: 1000,
            start_ns: 1_700_000_000_000_000_000,
            end_ns: 1_700_003_600_000_000_000,
            seed: 42,
        }
    }

    #[test]
    fn batches_hold_whole_traces_and_the_mix_is_about_three_spans() {
        let mut g = TracesGen::new(spec(20_000));
        let batches: Vec<_> = g.by_ref().collect();
        let t = &g.totals;
        let total: usize = batches.iter().map(|b| span_count(b)).sum();
        assert_eq!(total as u64, t.spans);
        assert!(t.spans >= 20_000 && t.spans < 20_003);
        let mean = t.spans as f64 / t.traces as f64;
        assert!((2.7..3.0).contains(&mean), "{mean}");
        assert!(batches.iter().all(|b| span_count(b) <= 1002));
        assert_eq!(t.sample.len(), SAMPLE);
        // Children point at the root of their trace.
        let b = &batches[0];
        let spans: Vec<&Span> = b
            .iter()
            .flat_map(|r| &r.scope_spans)
            .flat_map(|s| &s.spans)
            .collect();
        for c in spans.iter().filter(|s| !s.parent_span_id.is_empty()) {
            let p = spans
                .iter()
                .find(|p| p.span_id == c.parent_span_id)
                .expect("parent in batch");
            assert_eq!(p.trace_id, c.trace_id);
            assert!(c.start_time_unix_nano >= p.start_time_unix_nano);
            assert!(c.end_time_unix_nano <= p.end_time_unix_nano);
        }
        // Deterministic.
        let again: Vec<_> = TracesGen::new(spec(20_000)).collect();
        assert_eq!(again, batches);
    }
}
