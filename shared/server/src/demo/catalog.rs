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

/// One model behind a provider: its share of its route kind's traffic, median latency (s) and
/// list price in USD per million prompt (input) and completion (output) tokens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Model {
    pub name: &'static str,
    pub provider: &'static str,
    pub kind: RouteKind,
    pub weight: f64,
    pub median_latency_s: f64,
    /// USD per 1 000 000 prompt tokens.
    pub input_usd_per_mtok: f64,
    /// USD per 1 000 000 completion tokens.
    pub output_usd_per_mtok: f64,
}

const fn model(
    name: &'static str,
    provider: &'static str,
    kind: RouteKind,
    weight: f64,
    median_latency_s: f64,
    (input_usd_per_mtok, output_usd_per_mtok): (f64, f64),
) -> Model {
    Model {
        name,
        provider,
        kind,
        weight,
        median_latency_s,
        input_usd_per_mtok,
        output_usd_per_mtok,
    }
}

use RouteKind::{Chat, Embed};

/// The gateway's models (25 over the 17 [`PROVIDERS`]); the first nine are the original demo's.
pub const MODELS: [Model; 25] = [
    model("gpt-4o", "openai", Chat, 3.0, 1.8, (2.5, 10.0)),
    model("gpt-4o-mini", "openai", Chat, 4.0, 0.7, (0.15, 0.6)),
    model(
        "claude-3-5-sonnet",
        "anthropic",
        Chat,
        2.5,
        2.2,
        (3.0, 15.0),
    ),
    model("claude-3-haiku", "anthropic", Chat, 1.5, 0.6, (0.25, 1.25)),
    model("gemini-1.5-pro", "google", Chat, 1.2, 1.9, (1.25, 5.0)),
    model("mistral-large", "mistral", Chat, 0.8, 1.4, (2.0, 6.0)),
    model("llama-3.1-70b", "groq", Chat, 1.0, 0.35, (0.59, 0.79)),
    model(
        "text-embedding-3-small",
        "openai",
        Embed,
        3.0,
        0.08,
        (0.02, 0.0),
    ),
    model("embed-english-v3", "cohere", Embed, 1.0, 0.12, (0.1, 0.0)),
    model("gemini-1.5-flash", "google", Chat, 1.0, 0.6, (0.075, 0.3)),
    model("command-r-plus", "cohere", Chat, 0.4, 1.6, (2.5, 10.0)),
    model("gpt-4-turbo", "azure-openai", Chat, 1.2, 2.4, (10.0, 30.0)),
    model("amazon.nova-pro", "aws-bedrock", Chat, 0.6, 1.5, (0.8, 3.2)),
    model(
        "amazon.titan-embed-text-v2",
        "aws-bedrock",
        Embed,
        0.6,
        0.15,
        (0.02, 0.0),
    ),
    model(
        "llama-3.1-405b-turbo",
        "together",
        Chat,
        0.5,
        2.8,
        (3.5, 3.5),
    ),
    model(
        "mixtral-8x22b-instruct",
        "fireworks",
        Chat,
        0.5,
        0.9,
        (1.2, 1.2),
    ),
    model("deepseek-chat", "deepseek", Chat, 0.7, 1.7, (0.27, 1.1)),
    model(
        "deepseek-reasoner",
        "deepseek",
        Chat,
        0.3,
        9.0,
        (0.55, 2.19),
    ),
    model("sonar-pro", "perplexity", Chat, 0.4, 2.6, (3.0, 15.0)),
    model("grok-2", "xai", Chat, 0.4, 1.6, (2.0, 10.0)),
    model("jamba-1.5-large", "ai21", Chat, 0.25, 1.9, (2.0, 8.0)),
    model(
        "meta-llama-3-70b-instruct",
        "replicate",
        Chat,
        0.25,
        4.5,
        (0.65, 2.75),
    ),
    model("zephyr-7b-beta", "huggingface", Chat, 0.25, 1.2, (0.2, 0.2)),
    model(
        "bge-large-en-v1.5",
        "huggingface",
        Embed,
        0.4,
        0.2,
        (0.01, 0.0),
    ),
    model("llama3.2", "ollama", Chat, 0.5, 0.9, (0.0, 0.0)),
];

/// One model provider: the host its API is served from (`server.address` of its call spans),
/// its error rate outside outages (fraction of calls) and a latency factor applied to its
/// models' medians (some providers are slow, some flaky).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Provider {
    pub name: &'static str,
    pub host: &'static str,
    pub error_rate: f64,
    pub latency_factor: f64,
}

const fn provider(
    name: &'static str,
    host: &'static str,
    error_rate: f64,
    latency_factor: f64,
) -> Provider {
    Provider {
        name,
        host,
        error_rate,
        latency_factor,
    }
}

/// The 17 providers (label `provider`); any of them can have an outage (error burst), during
/// which its circuit breaker opens.
pub const PROVIDERS: [Provider; 17] = [
    provider("openai", "api.openai.com", 0.004, 1.0),
    provider("anthropic", "api.anthropic.com", 0.004, 1.0),
    provider("google", "generativelanguage.googleapis.com", 0.005, 1.0),
    provider("mistral", "api.mistral.ai", 0.006, 1.0),
    provider("groq", "api.groq.com", 0.008, 1.0),
    provider("cohere", "api.cohere.com", 0.005, 1.0),
    provider(
        "azure-openai",
        "lakewatch-demo.openai.azure.com",
        0.003,
        1.1,
    ),
    provider(
        "aws-bedrock",
        "bedrock-runtime.us-east-1.amazonaws.com",
        0.004,
        1.15,
    ),
    provider("together", "api.together.xyz", 0.012, 1.1),
    provider("fireworks", "api.fireworks.ai", 0.01, 0.9),
    provider("deepseek", "api.deepseek.com", 0.02, 1.6),
    provider("perplexity", "api.perplexity.ai", 0.01, 1.2),
    provider("xai", "api.x.ai", 0.008, 1.0),
    provider("ai21", "api.ai21.com", 0.012, 1.1),
    provider("replicate", "api.replicate.com", 0.035, 1.8),
    provider("huggingface", "api-inference.huggingface.co", 0.03, 1.5),
    provider("ollama", "ollama.internal", 0.015, 1.3),
];

/// The provider named `name` (`None` for an unknown name).
pub fn provider_info(name: &str) -> Option<&'static Provider> {
    PROVIDERS.iter().find(|p| p.name == name)
}

/// Sum of the routes' mean rates (requests/s over both replicas): the demo's default rate.
pub fn base_rps() -> f64 {
    ROUTES.iter().map(|r| r.rps).sum()
}

/// Redis commands of the exporter's `redis_commands_total{cmd}` with their mean duration (µs).
pub const REDIS_COMMANDS: [(&str, f64); 8] = [
    ("get", 1.6),
    ("set", 2.4),
    ("evalsha", 14.0),
    ("incr", 1.8),
    ("expire", 1.5),
    ("hgetall", 4.5),
    ("ping", 0.8),
    ("info", 35.0),
];

/// `redis_memory_max_bytes` (the `maxmemory` setting): 256 MiB.
pub const REDIS_MAX_MEMORY_BYTES: f64 = 256.0 * 1024.0 * 1024.0;

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
        meta(
            "model_inference_cost_usd_total",
            Counter,
            "USD spent on model provider calls, by model and provider.",
            "",
        ),
        meta(
            "circuit_breaker_state",
            Gauge,
            "Provider circuit breaker state: 0 closed, 1 half-open, 2 open.",
            "",
        ),
        meta(
            "circuit_breaker_trips_total",
            Counter,
            "Provider circuit breaker closed-to-open transitions.",
            "",
        ),
        meta(
            "process_cpu_seconds_total",
            Counter,
            "Total user and system CPU time spent in seconds.",
            "seconds",
        ),
        meta(
            "process_resident_memory_bytes",
            Gauge,
            "Resident memory size in bytes.",
            "bytes",
        ),
        meta(
            "redis_memory_max_bytes",
            Gauge,
            "Redis maxmemory setting.",
            "bytes",
        ),
        meta(
            "redis_keyspace_hits_total",
            Counter,
            "Successful key lookups in the main dictionary.",
            "",
        ),
        meta(
            "redis_keyspace_misses_total",
            Counter,
            "Failed key lookups in the main dictionary.",
            "",
        ),
        meta(
            "redis_evicted_keys_total",
            Counter,
            "Keys evicted because of the maxmemory limit.",
            "",
        ),
        meta(
            "redis_commands_total",
            Counter,
            "Redis commands by command.",
            "",
        ),
        meta(
            "redis_commands_duration_seconds_total",
            Counter,
            "Time spent executing Redis commands, by command.",
            "seconds",
        ),
    ]
}
