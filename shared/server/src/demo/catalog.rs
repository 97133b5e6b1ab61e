//! What the simulated AI gateway serves: routes, model providers, bucket layouts, metadata.

use lakewatch_model::{MetricMetadata, MetricType};

/// `job` label of the gateway's own metrics.
pub const GATEWAY_JOB: &str = "ai-gateway";
/// `instance` labels: two gateway replicas share the traffic.
pub const GATEWAY_INSTANCES: [&str; 2] = ["gateway-0:8000", "gateway-1:8000"];
/// Distinct API users (`user_id` of the request logs: `user-0001` … `user-0500`).
pub const USERS: u32 = 500;
/// `job` and `instance` of the Redis exporter.
pub const REDIS_JOB: &str = "redis";
pub const REDIS_INSTANCE: &str = "redis:6379";

/// Prometheus client default buckets (seconds), used for `http_request_duration_seconds`.
pub const HTTP_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Buckets (seconds) for `model_inference_duration_seconds`: LLM calls take 0.1–60 s.
pub const INFERENCE_BUCKETS: [f64; 10] = [0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0];

/// What a route does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteKind {
    /// Calls a chat model (prompt and completion tokens).
    Chat,
    /// Calls an embedding model (prompt tokens only).
    Embed,
    /// Answers from the gateway itself.
    Static,
}

/// One HTTP route of the gateway with its mean request rate (requests/s over both replicas).
#[derive(Debug, Clone, Copy)]
pub struct Route {
    pub path: &'static str,
    pub method: &'static str,
    pub rps: f64,
    pub kind: RouteKind,
}

pub const ROUTES: [Route; 5] = [
    Route {
        path: "/v1/chat/completions",
        method: "POST",
        rps: 9.0,
        kind: RouteKind::Chat,
    },
    Route {
        path: "/v1/completions",
        method: "POST",
        rps: 1.5,
        kind: RouteKind::Chat,
    },
    Route {
        path: "/v1/embeddings",
        method: "POST",
        rps: 4.0,
        kind: RouteKind::Embed,
    },
    Route {
        path: "/v1/models",
        method: "GET",
        rps: 0.6,
        kind: RouteKind::Static,
    },
    Route {
        path: "/health",
        method: "GET",
        rps: 0.2,
        kind: RouteKind::Static,
    },
];

/// One model behind a provider: its share of its route kind's traffic and median latency (s).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Model {
    pub name: &'static str,
    pub provider: &'static str,
    pub kind: RouteKind,
    pub weight: f64,
    pub median_latency_s: f64,
}

pub const MODELS: [Model; 9] = [
    Model {
        name: "gpt-4o",
        provider: "openai",
        kind: RouteKind::Chat,
        weight: 3.0,
        median_latency_s: 1.8,
    },
    Model {
        name: "gpt-4o-mini",
        provider: "openai",
        kind: RouteKind::Chat,
        weight: 4.0,
        median_latency_s: 0.7,
    },
    Model {
        name: "claude-3-5-sonnet",
        provider: "anthropic",
        kind: RouteKind::Chat,
        weight: 2.5,
        median_latency_s: 2.2,
    },
    Model {
        name: "claude-3-haiku",
        provider: "anthropic",
        kind: RouteKind::Chat,
        weight: 1.5,
        median_latency_s: 0.6,
    },
    Model {
        name: "gemini-1.5-pro",
        provider: "google",
        kind: RouteKind::Chat,
        weight: 1.2,
        median_latency_s: 1.9,
    },
    Model {
        name: "mistral-large",
        provider: "mistral",
        kind: RouteKind::Chat,
        weight: 0.8,
        median_latency_s: 1.4,
    },
    Model {
        name: "llama-3.1-70b",
        provider: "groq",
        kind: RouteKind::Chat,
        weight: 1.0,
        median_latency_s: 0.35,
    },
    Model {
        name: "text-embedding-3-small",
        provider: "openai",
        kind: RouteKind::Embed,
        weight: 3.0,
        median_latency_s: 0.08,
    },
    Model {
        name: "embed-english-v3",
        provider: "cohere",
        kind: RouteKind::Embed,
        weight: 1.0,
        median_latency_s: 0.12,
    },
];

/// Providers that can have an outage (error burst).
pub const PROVIDERS: [&str; 6] = ["openai", "anthropic", "google", "mistral", "groq", "cohere"];

/// `limit_type` values of `rate_limiter_hits_total` and their relative frequency.
pub const LIMIT_TYPES: [(&str, f64); 3] = [
    ("requests_per_minute", 0.6),
    ("tokens_per_minute", 0.3),
    ("concurrent_requests", 0.1),
];

fn meta(name: &str, t: MetricType, help: &str, unit: &str) -> MetricMetadata {
    MetricMetadata {
        metric_family_name: name.to_string(),
        metric_type: t,
        help: help.to_string(),
        unit: unit.to_string(),
    }
}

/// Metric metadata for every demo family, as a client library would expose it.
pub fn metadata() -> Vec<MetricMetadata> {
    use MetricType::*;
    vec![
        meta("up", Gauge, "1 if the target was scraped successfully.", ""),
        meta(
            "http_requests_total",
            Counter,
            "Total HTTP requests by method, route and status.",
            "",
        ),
        meta(
            "http_request_duration_seconds",
            Histogram,
            "HTTP request latency.",
            "seconds",
        ),
        meta(
            "model_inference_requests_total",
            Counter,
            "Model provider calls by model, provider and status.",
            "",
        ),
        meta(
            "model_inference_duration_seconds",
            Histogram,
            "Model provider call latency.",
            "seconds",
        ),
        meta(
            "tokens_used_total",
            Counter,
            "Tokens used by model, provider and type (prompt|completion).",
            "",
        ),
        meta(
            "rate_limiter_hits_total",
            Counter,
            "Requests refused by the rate limiter, by limit type.",
            "",
        ),
        meta(
            "redis_memory_used_bytes",
            Gauge,
            "Redis memory in use.",
            "bytes",
        ),
        meta(
            "redis_connected_clients",
            Gauge,
            "Redis client connections.",
            "",
        ),
        meta(
            "redis_commands_processed_total",
            Counter,
            "Redis commands processed.",
            "",
        ),
    ]
}
