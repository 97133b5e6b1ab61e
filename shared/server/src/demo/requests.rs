//! One simulated gateway request as the gateway logs it: a JSON line with level, msg, method,
//! route, status, duration_ms, trace_id (the same id the request's exemplars carry), user_id,
//! instance and, for model calls, model, provider and token counts.

use super::catalog::Model;

/// What happened to a request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome {
    /// Answered by the gateway itself (`/v1/models`, `/health`).
    Served,
    /// A gateway-side failure (HTTP 500).
    InternalError,
    /// Refused as malformed (HTTP 400).
    BadRequest,
    /// Refused by the rate limiter (HTTP 429) with its `limit_type`.
    RateLimited(&'static str),
    /// A model call that succeeded, with the tokens it used.
    Completed {
        model: Model,
        prompt_tokens: u64,
        completion_tokens: u64,
    },
    /// A model call that failed (HTTP 502/503); `provider_down` during a provider outage.
    ProviderError { model: Model, provider_down: bool },
    /// Refused without calling the provider because its circuit breaker is open (HTTP 503).
    CircuitOpen { model: Model },
}

/// One request of the simulated gateway.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestRecord {
    /// When the request finished, ns since the epoch.
    pub timestamp_ns: i64,
    /// Gateway replica (`instance` label of its metrics).
    pub instance: &'static str,
    pub method: &'static str,
    pub route: &'static str,
    /// HTTP status code as text ("200", "429", …).
    pub status: &'static str,
    /// HTTP latency in seconds (the `http_request_duration_seconds` observation).
    pub duration_s: f64,
    /// 32 lower-case hex characters; exemplars of this request use the same id.
    pub trace_id: String,
    /// `user-0001` … `user-0500`.
    pub user_id: String,
    pub outcome: Outcome,
}

/// JSON string literal of `s` (quoted and escaped).
fn q(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

impl RequestRecord {
    /// Log level as Go/zap-style services write it: `error` for 5xx, `warn` for 4xx, else
    /// `info`.
    pub fn level(&self) -> &'static str {
        match self.status.as_bytes().first() {
            Some(b'5') => "error",
            Some(b'4') => "warn",
            _ => "info",
        }
    }

    /// The JSON log line (fields in a fixed, human-friendly order; `duration_ms` with 0.1 ms
    /// precision).
    pub fn line(&self) -> String {
        let (msg, extra) = match &self.outcome {
            Outcome::Served => ("request completed", String::new()),
            Outcome::InternalError => (
                "request failed",
                format!(",\"error\":{}", q("internal server error")),
            ),
            Outcome::BadRequest => (
                "invalid request",
                format!(
                    ",\"error\":{}",
                    q("request body failed validation: messages must not be empty")
                ),
            ),
            Outcome::RateLimited(limit) => {
                ("rate limit exceeded", format!(",\"limit_type\":{}", q(limit)))
            }
            Outcome::Completed {
                model,
                prompt_tokens,
                completion_tokens,
            } => (
                "request completed",
                format!(
                    ",\"model\":{},\"provider\":{},\"prompt_tokens\":{prompt_tokens},\"completion_tokens\":{completion_tokens}",
                    q(model.name),
                    q(model.provider)
                ),
            ),
            Outcome::ProviderError {
                model,
                provider_down,
            } => (
                "upstream provider error",
                format!(
                    ",\"model\":{},\"provider\":{},\"error\":{}",
                    q(model.name),
                    q(model.provider),
                    q(if *provider_down {
                        "provider unavailable: 503 Service Unavailable"
                    } else {
                        "upstream timeout after 30s"
                    })
                ),
            ),
            Outcome::CircuitOpen { model } => (
                "circuit breaker open",
                format!(
                    ",\"model\":{},\"provider\":{},\"error\":{}",
                    q(model.name),
                    q(model.provider),
                    q(&format!("circuit breaker open for provider {}", model.provider))
                ),
            ),
        };
        let status: u16 = self.status.parse().unwrap_or(0);
        format!(
            "{{\"level\":{},\"msg\":{},\"method\":{},\"route\":{},\"status\":{status},\"duration_ms\":{:.1},\"trace_id\":{},\"user_id\":{},\"instance\":{}{extra}}}",
            q(self.level()),
            q(msg),
            q(self.method),
            q(self.route),
            self.duration_s * 1000.0,
            q(&self.trace_id),
            q(&self.user_id),
            q(self.instance),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::catalog::MODELS;

    fn record(status: &'static str, outcome: Outcome) -> RequestRecord {
        RequestRecord {
            timestamp_ns: 1_700_000_000_123_456_789,
            instance: "gateway-0:8000",
            method: "POST",
            route: "/v1/chat/completions",
            status,
            duration_s: 0.81234,
            trace_id: "0af7651916cd43dd8448eb211c80319c".into(),
            user_id: "user-0042".into(),
            outcome,
        }
    }

    #[test]
    fn lines_are_json_with_the_request_fields() {
        let r = record(
            "200",
            Outcome::Completed {
                model: MODELS[0],
                prompt_tokens: 450,
                completion_tokens: 220,
            },
        );
        assert_eq!(r.level(), "info");
        let v: serde_json::Value = serde_json::from_str(&r.line()).unwrap();
        assert_eq!(v["level"], "info");
        assert_eq!(v["status"], 200);
        assert_eq!(v["duration_ms"], 812.3);
        assert_eq!(v["trace_id"], "0af7651916cd43dd8448eb211c80319c");
        assert_eq!(v["user_id"], "user-0042");
        assert_eq!(v["route"], "/v1/chat/completions");
        assert_eq!(v["model"], "gpt-4o");
        assert_eq!(v["completion_tokens"], 220);

        let r = record("429", Outcome::RateLimited("tokens_per_minute"));
        assert_eq!(r.level(), "warn");
        let v: serde_json::Value = serde_json::from_str(&r.line()).unwrap();
        assert_eq!(v["limit_type"], "tokens_per_minute");

        let r = record(
            "503",
            Outcome::ProviderError {
                model: MODELS[2],
                provider_down: true,
            },
        );
        assert_eq!(r.level(), "error");
        let v: serde_json::Value = serde_json::from_str(&r.line()).unwrap();
        assert_eq!(v["provider"], "anthropic");
        assert_eq!(v["msg"], "upstream provider error");
    }
}
