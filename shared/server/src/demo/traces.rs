//! The demo gateway's traces, pushed through the OTLP/HTTP ingest path (in-process or over
//! HTTP, see [`Sink`])
//! (`POST /v1/traces`, `application/x-protobuf`, as an OpenTelemetry SDK's OTLP/HTTP exporter
//! sends them).
//!
//! One trace per simulated request ([`RequestRecord`]), with the request's `trace_id` — the id
//! its exemplars and its JSON log line carry — shaped like the reference backend's traces:
//!
//! - `POST /v1/chat/completions` (kind SERVER, scope `opentelemetry.instrumentation.fastapi`):
//!   `http.request.method`, `http.route`, `url.path`, `http.response.status_code`,
//!   `enduser.id`; lasts the request's `duration_s`; status ERROR on 5xx (OpenTelemetry
//!   semantic conventions leave 4xx server spans unset), with an `exception` event on 500.
//!   - child `EVALSHA` / `GET` (kind CLIENT, scope `opentelemetry.instrumentation.redis`):
//!     `db.system=redis`, `db.operation`, `server.address`, `server.port`; a few hundred µs
//!     near the start of the request (the rate-limit check; the model-list cache read on
//!     `/v1/models`).
//!   - child `chat gpt-4o` / `embeddings text-embedding-3-small` (kind CLIENT, scope
//!     `ai-gateway.providers`): `gen_ai.operation.name`, `gen_ai.system` (the provider),
//!     `gen_ai.request.model`, `gen_ai.response.model`, `gen_ai.usage.input_tokens`,
//!     `gen_ai.usage.output_tokens`, `server.address`, `peer.service` (the provider: a virtual
//!     node of the service graph); from just after the Redis span to just
//!     before the response; on failure status ERROR, `error.type` and an `exception` event
//!     with the message of the log line.
//!
//! Which spans a request has depends on its [`Outcome`]: `/health` and refused (400) requests
//! have the server span only, rate-limited (429) ones server + Redis, served `/v1/models`
//! server + Redis, calls refused by an open circuit breaker (503) server (with an `exception`
//! event naming the provider) + Redis, model calls (completed or failed) all three.
//!
//! Resource: `service.name=ai-gateway`, `service.namespace=demo`,
//! `service.instance.id=<instance>` (the `instance` label of the gateway's metrics and logs),
//! `deployment.environment.name=demo`. Span ids (8 random bytes, never zero) and offsets are
//! drawn from an RNG seeded by the trace id, so a seeded simulator gives the same traces.

use super::catalog::RouteKind;
use super::requests::{Outcome, RequestRecord};
use super::sink::{Outgoing, Sink};
use crate::backend::Backend;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::span::{Event, SpanKind};
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::sync::Arc;

/// `service.name` of the demo spans (the `service_name` of its logs, the `job` of its metrics).
pub const SERVICE_NAME: &str = super::catalog::GATEWAY_JOB;

/// Max spans in one export request: well under the ingest's default
/// `LAKEWATCH_TRACES_MAX_SPANS_PER_REQUEST` (100 000), and about 6 MB of protobuf, well under
/// `LAKEWATCH_MAX_BODY_BYTES` (32 MiB).
pub const MAX_SPANS_PER_PUSH: usize = 20_000;

/// Scope of the HTTP server spans.
pub const SCOPE_HTTP: &str = "opentelemetry.instrumentation.fastapi";
/// Scope of the Redis client spans.
pub const SCOPE_REDIS: &str = "opentelemetry.instrumentation.redis";
/// Scope of the model provider call spans.
pub const SCOPE_PROVIDER: &str = "ai-gateway.providers";

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

/// The 16 bytes of a 32-hex-character trace id; `None` if malformed or all zero.
pub fn trace_id_bytes(hex: &str) -> Option<[u8; 16]> {
    let v = u128::from_str_radix(hex, 16).ok().filter(|v| *v != 0)?;
    (hex.len() == 32).then(|| v.to_be_bytes())
}

/// A random non-zero 8-byte span id.
fn span_id(rng: &mut StdRng) -> [u8; 8] {
    loop {
        let v: u64 = rng.random();
        if v != 0 {
            return v.to_be_bytes();
        }
    }
}

/// Host a provider's API is served from (`server.address` of its call spans).
fn provider_host(provider: &str) -> &'static str {
    super::catalog::provider_info(provider)
        .map(|p| p.host)
        .unwrap_or("provider.invalid")
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

/// A span of `trace_id` with no events, links or status.
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
        // W3C "sampled", and the OTLP "parent is remote" flags known (bit 8), not remote.
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

/// The spans of one request, by scope: (HTTP server spans, Redis spans, provider spans).
/// Empty when the record's trace id is malformed.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct RequestSpans {
    pub server: Vec<Span>,
    pub redis: Vec<Span>,
    pub provider: Vec<Span>,
}

impl RequestSpans {
    /// Number of spans.
    pub fn len(&self) -> usize {
        self.server.len() + self.redis.len() + self.provider.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The trace of one request (see the module docs for its shape). Times in ns since the epoch:
/// the server span ends at `r.timestamp_ns` and lasts `r.duration_s`.
pub fn request_spans(r: &RequestRecord) -> RequestSpans {
    let mut out = RequestSpans::default();
    let Some(tid) = trace_id_bytes(&r.trace_id) else {
        return out;
    };
    let seed = u64::from_be_bytes(tid[..8].try_into().unwrap_or_default())
        ^ u64::from_be_bytes(tid[8..].try_into().unwrap_or_default());
    let mut rng = StdRng::seed_from_u64(seed);
    let end = r.timestamp_ns.max(0) as u64;
    let total = ((r.duration_s.max(0.0) * 1e9) as u64).max(1_000);
    let start = end.saturating_sub(total);
    let status: i64 = r.status.parse().unwrap_or(0);
    let root_id = span_id(&mut rng);

    let mut root = span(
        tid,
        root_id,
        None,
        format!("{} {}", r.method, r.route),
        SpanKind::Server,
        (start, end),
        vec![
            s("http.request.method", r.method),
            s("http.route", r.route),
            s("url.path", r.route),
            s("url.scheme", "http"),
            i("http.response.status_code", status),
            s("server.address", "ai-gateway"),
            i("server.port", 8000),
            s("network.protocol.version", "1.1"),
            s("enduser.id", &r.user_id),
        ],
    );
    if status >= 500 {
        root.status = error_status(&format!("HTTP {status}"));
        root.attributes.push(s("error.type", r.status));
    }
    if r.outcome == Outcome::InternalError {
        root.events.push(exception(
            end.saturating_sub(rng.random_range(100_000..500_000).min(total / 2)),
            "RuntimeError",
            "internal server error",
        ));
    }
    if let Outcome::CircuitOpen { model } = r.outcome {
        root.attributes.push(s("gen_ai.system", model.provider));
        root.attributes.push(s("gen_ai.request.model", model.name));
        root.events.push(exception(
            end.saturating_sub(rng.random_range(50_000..200_000).min(total / 2)),
            "CircuitBreakerOpen",
            &format!("circuit breaker open for provider {}", model.provider),
        ));
    }
    out.server.push(root);

    let has_redis = match r.outcome {
        Outcome::Served => r.route != "/health",
        Outcome::RateLimited(_)
        | Outcome::Completed { .. }
        | Outcome::ProviderError { .. }
        | Outcome::CircuitOpen { .. } => true,
        Outcome::InternalError | Outcome::BadRequest => false,
    };
    if !has_redis {
        return out;
    }
    // Redis: shortly after the request starts, a few hundred µs, inside the first 40 %.
    let redis_start = start + rng.random_range(80_000..400_000).min(total / 10);
    let redis_dur = ((super::random::log_normal(&mut rng, 350_000.0, 0.5)) as u64)
        .clamp(20_000, (total * 3 / 10).max(20_000));
    let redis_end = (redis_start + redis_dur).min(end);
    let (op, statement) = match r.outcome {
        Outcome::Served => ("GET", "GET models:catalog"),
        _ => ("EVALSHA", "EVALSHA ? 2 ? ?"),
    };
    let mut attrs = vec![
        s("db.system", "redis"),
        s("db.operation", op),
        s("db.statement", statement),
        i("db.redis.database_index", 0),
        s("server.address", "redis"),
        i("server.port", 6379),
    ];
    if let Outcome::RateLimited(limit) = r.outcome {
        attrs.push(s("ratelimit.limit_type", limit));
    }
    out.redis.push(span(
        tid,
        span_id(&mut rng),
        Some(root_id),
        op.to_string(),
        SpanKind::Client,
        (redis_start, redis_end),
        attrs,
    ));

    let (model, tokens, failure) = match r.outcome {
        Outcome::Completed {
            model,
            prompt_tokens,
            completion_tokens,
        } => (model, Some((prompt_tokens, completion_tokens)), None),
        Outcome::ProviderError {
            model,
            provider_down,
        } => (model, None, Some(provider_down)),
        _ => return out,
    };
    // Provider call: from just after Redis to just before the response.
    let call_start = (redis_end + rng.random_range(50_000..300_000)).min(end);
    let tail = rng.random_range(200_000..1_500_000).min(total / 20);
    let call_end = end.saturating_sub(tail).max(call_start);
    let operation = if model.kind == RouteKind::Embed {
        "embeddings"
    } else {
        "chat"
    };
    let mut attrs = vec![
        s("gen_ai.operation.name", operation),
        s("gen_ai.system", model.provider),
        s("gen_ai.request.model", model.name),
        s("server.address", provider_host(model.provider)),
        i("server.port", 443),
        // Names the provider as a virtual node of the service graph (Tempo's peer attribute).
        s("peer.service", model.provider),
    ];
    if let Some((input, output)) = tokens {
        attrs.push(s("gen_ai.response.model", model.name));
        attrs.push(i("gen_ai.usage.input_tokens", input as i64));
        attrs.push(i("gen_ai.usage.output_tokens", output as i64));
    }
    let mut call = span(
        tid,
        span_id(&mut rng),
        Some(root_id),
        format!("{operation} {}", model.name),
        SpanKind::Client,
        (call_start, call_end),
        attrs,
    );
    if let Some(provider_down) = failure {
        let (kind, message, error_type) = if provider_down {
            (
                "httpx.HTTPStatusError",
                "provider unavailable: 503 Service Unavailable",
                "503",
            )
        } else {
            ("httpx.ReadTimeout", "upstream timeout after 30s", "timeout")
        };
        call.attributes.push(s("error.type", error_type));
        if provider_down {
            call.attributes.push(i("http.response.status_code", 503));
        }
        call.events.push(exception(call_end, kind, message));
        call.status = error_status(message);
    }
    out.provider.push(call);
    out
}

fn resource(instance: &str) -> Resource {
    Resource {
        attributes: vec![
            s("service.name", SERVICE_NAME),
            s("service.namespace", "demo"),
            s("service.instance.id", instance),
            s("service.version", env!("CARGO_PKG_VERSION")),
            s("deployment.environment.name", "demo"),
            s("telemetry.sdk.name", "opentelemetry"),
            s("telemetry.sdk.language", "python"),
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

/// The export request body content for `records`: one `ResourceSpans` per gateway instance,
/// each with up to three `ScopeSpans` (HTTP server, Redis, provider calls), spans in record
/// order.
pub fn batch(records: &[RequestRecord]) -> Vec<ResourceSpans> {
    let mut by: BTreeMap<&str, RequestSpans> = BTreeMap::new();
    for r in records {
        let spans = request_spans(r);
        let e = by.entry(r.instance).or_default();
        e.server.extend(spans.server);
        e.redis.extend(spans.redis);
        e.provider.extend(spans.provider);
    }
    by.into_iter()
        .map(|(instance, spans)| ResourceSpans {
            resource: Some(resource(instance)),
            scope_spans: [
                (SCOPE_HTTP, spans.server),
                (SCOPE_REDIS, spans.redis),
                (SCOPE_PROVIDER, spans.provider),
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
        .collect()
}

/// Pushes demo traces; logs failures once per change of state (not once per request). A
/// failure never stops the demo: the metrics and logs of the same requests are written anyway.
pub struct TracesWriter {
    sink: Sink,
    failing: bool,
}

impl TracesWriter {
    /// Pushes to `backend`'s in-process router.
    pub fn new(backend: Arc<Backend>) -> Self {
        Self::with_sink(Sink::local(backend))
    }

    /// Pushes to `sink` (in-process or HTTP).
    pub fn with_sink(sink: Sink) -> Self {
        TracesWriter {
            sink,
            failing: false,
        }
    }

    /// Pushes the traces of `records` as OTLP/HTTP protobuf export requests (`/v1/traces`) of
    /// at most [`Sink::max_spans_per_push`] spans. Returns the number of spans acknowledged (0 on
    /// failure or when `records` is empty; spans the server reports in `partial_success` are
    /// not counted).
    pub async fn write(&mut self, records: &[RequestRecord]) -> usize {
        let mut acked = 0;
        // A request has at most 3 spans.
        let per_push = (self.sink.max_spans_per_push() / 3).max(1);
        for part in records.chunks(per_push) {
            acked += self.push(part).await;
        }
        acked
    }

    async fn push(&mut self, records: &[RequestRecord]) -> usize {
        let rs = batch(records);
        let spans: usize = rs
            .iter()
            .flat_map(|r| &r.scope_spans)
            .map(|s| s.spans.len())
            .sum();
        if spans == 0 {
            return 0;
        }
        let req = Outgoing {
            path: "/v1/traces",
            headers: vec![("Content-Type", "application/x-protobuf")],
            body: bytes::Bytes::from(lakewatch_ingest::encode_traces_protobuf(&rs)),
        };
        let result = self.sink.send(req).await.map(|body| {
            let rejected = lakewatch_ingest::decode_traces_response(
                &body,
                lakewatch_ingest::otlp::OtlpFormat::Protobuf,
            )
            .ok()
            .and_then(|r| r.partial_success)
            .map(|p| p.rejected_spans.max(0) as usize)
            .unwrap_or(0);
            spans.saturating_sub(rejected)
        });
        super::writer::report(&mut self.failing, "trace export", result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::catalog::MODELS;
    use crate::demo::sim::Simulator;

    fn record(route: &'static str, status: &'static str, outcome: Outcome) -> RequestRecord {
        RequestRecord {
            timestamp_ns: 1_700_000_000_123_456_789,
            instance: "gateway-0:8000",
            method: "POST",
            route,
            status,
            duration_s: 0.81234,
            trace_id: "0af7651916cd43dd8448eb211c80319c".into(),
            user_id: "user-0042".into(),
            outcome,
        }
    }

    fn attr<'a>(s: &'a Span, key: &str) -> Option<&'a Value> {
        s.attributes
            .iter()
            .find(|kv| kv.key == key)
            .and_then(|kv| kv.value.as_ref())
            .and_then(|v| v.value.as_ref())
    }

    #[test]
    fn completed_model_call_has_three_nested_spans() {
        let r = record(
            "/v1/chat/completions",
            "200",
            Outcome::Completed {
                model: MODELS[0],
                prompt_tokens: 450,
                completion_tokens: 220,
            },
        );
        let t = request_spans(&r);
        assert_eq!((t.server.len(), t.redis.len(), t.provider.len()), (1, 1, 1));
        let (root, redis, call) = (&t.server[0], &t.redis[0], &t.provider[0]);
        assert_eq!(root.trace_id, trace_id_bytes(&r.trace_id).unwrap().to_vec());
        assert!(root.parent_span_id.is_empty());
        assert_eq!(redis.parent_span_id, root.span_id);
        assert_eq!(call.parent_span_id, root.span_id);
        assert_eq!(root.end_time_unix_nano, r.timestamp_ns as u64);
        assert_eq!(
            root.end_time_unix_nano - root.start_time_unix_nano,
            812_340_000
        );
        for c in [redis, call] {
            assert!(c.start_time_unix_nano >= root.start_time_unix_nano);
            assert!(c.end_time_unix_nano <= root.end_time_unix_nano);
            assert!(c.end_time_unix_nano > c.start_time_unix_nano);
            assert_eq!(c.kind, SpanKind::Client as i32);
        }
        assert!(redis.end_time_unix_nano <= call.start_time_unix_nano);
        assert!(redis.end_time_unix_nano - redis.start_time_unix_nano < 5_000_000);
        assert!(call.end_time_unix_nano - call.start_time_unix_nano > 790_000_000);
        assert_eq!(root.kind, SpanKind::Server as i32);
        assert_eq!(root.name, "POST /v1/chat/completions");
        assert_eq!(
            attr(root, "http.response.status_code"),
            Some(&Value::IntValue(200))
        );
        assert_eq!(
            attr(redis, "db.system"),
            Some(&Value::StringValue("redis".into()))
        );
        assert_eq!(
            attr(call, "gen_ai.request.model"),
            Some(&Value::StringValue("gpt-4o".into()))
        );
        assert_eq!(
            attr(call, "gen_ai.usage.output_tokens"),
            Some(&Value::IntValue(220))
        );
        assert!(root.status.is_none() && call.status.is_none());
        // Deterministic for a trace id.
        assert_eq!(request_spans(&r), t);
    }

    #[test]
    fn failures_set_error_status_and_exception_events() {
        let r = record(
            "/v1/chat/completions",
            "503",
            Outcome::ProviderError {
                model: MODELS[2],
                provider_down: true,
            },
        );
        let t = request_spans(&r);
        assert_eq!(t.len(), 3);
        let root = &t.server[0];
        assert_eq!(
            root.status.as_ref().map(|s| s.code),
            Some(StatusCode::Error as i32)
        );
        let call = &t.provider[0];
        assert_eq!(
            call.status.as_ref().map(|s| s.code),
            Some(StatusCode::Error as i32)
        );
        assert_eq!(call.events.len(), 1);
        assert_eq!(call.events[0].name, "exception");
        assert!(attr(call, "gen_ai.usage.input_tokens").is_none());

        let t = request_spans(&record(
            "/v1/embeddings",
            "429",
            Outcome::RateLimited("rpm"),
        ));
        assert_eq!((t.server.len(), t.redis.len(), t.provider.len()), (1, 1, 0));
        assert!(t.server[0].status.is_none(), "4xx server spans stay unset");
        let t = request_spans(&record("/v1/embeddings", "400", Outcome::BadRequest));
        assert_eq!(t.len(), 1);
        let t = request_spans(&record("/health", "500", Outcome::InternalError));
        assert_eq!(t.len(), 1);
        assert_eq!(t.server[0].events[0].name, "exception");
        let mut bad = record("/health", "200", Outcome::Served);
        bad.trace_id = "xyz".into();
        assert!(request_spans(&bad).is_empty());
    }

    #[test]
    fn batches_group_by_instance_and_scope_and_stay_under_the_limit() {
        let mut sim = Simulator::new(9);
        let t0 = 1_700_000_000_000;
        let mut records = Vec::new();
        for i in 0..8 {
            sim.step(t0 + i * 15_000, 15.0);
            records.extend(sim.take_requests());
        }
        let rs = batch(&records);
        assert_eq!(rs.len(), 2);
        let spans: usize = records.iter().map(|r| request_spans(r).len()).sum();
        assert_eq!(
            lakewatch_ingest::otlp::traces_decode::count_spans(&rs),
            spans
        );
        assert!(
            spans > records.len() * 2,
            "{spans} spans, {} requests",
            records.len()
        );
        for r in &rs {
            assert!(r.scope_spans.len() == 3);
        }
    }
}
