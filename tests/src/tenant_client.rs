//! The HTTP GET the query API clients of the tests share ([`crate::loki::LokiApi`], the Tempo
//! client of `tests/tests/otel_traces/tempo.rs`): one server, one tenant sent as
//! `X-Scope-OrgID`, query parameters percent-encoded, 60 s timeout.

use crate::client::encode;
use serde_json::Value;
use std::time::Duration;

/// One server (a base URL such as `http://127.0.0.1:3100`) and the tenant of every request.
#[derive(Clone)]
pub struct TenantClient {
    pub base: String,
    pub tenant: String,
    http: reqwest::Client,
}

/// Status, `Content-Type` and body of one answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    /// `""` when the answer has none.
    pub content_type: String,
    pub body: bytes::Bytes,
}

impl Reply {
    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON. Errors: not JSON (the start of the body is included).
    pub fn json(&self) -> Result<Value, String> {
        serde_json::from_slice(&self.body).map_err(|e| {
            format!(
                "HTTP {}, not JSON ({e}): {}",
                self.status,
                String::from_utf8_lossy(&self.body[..self.body.len().min(300)])
            )
        })
    }

    /// The body as JSON when the status is 200. Errors: another status (with the body).
    pub fn ok_json(&self) -> Result<Value, String> {
        if self.status != 200 {
            return Err(format!(
                "HTTP {}: {}",
                self.status,
                String::from_utf8_lossy(&self.body[..self.body.len().min(500)])
            ));
        }
        self.json()
    }
}

impl TenantClient {
    pub fn new(base: &str, tenant: &str) -> Self {
        TenantClient {
            base: base.trim_end_matches('/').to_string(),
            tenant: tenant.to_string(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap_or_else(|e| panic!("HTTP client: {e}")),
        }
    }

    /// GET `path?k=v&…` (no `?` without parameters) with extra request headers.
    /// Errors: transport failure.
    pub async fn get(
        &self,
        path: &str,
        params: &[(&str, String)],
        headers: &[(&str, &str)],
    ) -> Result<Reply, String> {
        let qs: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        let url = if qs.is_empty() {
            format!("{}{path}", self.base)
        } else {
            format!("{}{path}?{}", self.base, qs.join("&"))
        };
        let mut req = self.http.get(&url).header("X-Scope-OrgID", &self.tenant);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = req.send().await.map_err(|e| format!("GET {url}: {e}"))?;
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let body = resp.bytes().await.map_err(|e| format!("GET {url}: {e}"))?;
        Ok(Reply {
            status,
            content_type,
            body,
        })
    }
}
