//! A small client for the Prometheus HTTP API (`/api/v1/query`, `/api/v1/query_range`), used
//! against Prometheus and Lakewatch alike.

use serde_json::Value;
use std::time::Duration;

/// Percent-encodes a query-string component (RFC 3986 unreserved characters kept).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Formats a timestamp in seconds for the API (millisecond precision).
pub fn ts(secs: f64) -> String {
    format!("{secs:.3}")
}

/// One API server (a base URL such as `http://127.0.0.1:9090`) and, for Lakewatch, a tenant
/// sent as `X-Scope-OrgID`.
#[derive(Clone)]
pub struct PromApi {
    pub base: String,
    pub tenant: Option<String>,
    http: reqwest::Client,
}

/// The parsed JSON body and HTTP status of one API call.
#[derive(Debug, Clone)]
pub struct ApiResponse {
    pub status: u16,
    pub body: Value,
}

impl ApiResponse {
    /// `data` when `status == "success"`.
    pub fn data(&self) -> Option<&Value> {
        (self.body["status"] == "success").then(|| &self.body["data"])
    }

    /// `errorType: error` for a failed call.
    pub fn error(&self) -> Option<String> {
        (self.body["status"] != "success").then(|| {
            format!(
                "HTTP {} {}: {}",
                self.status,
                self.body["errorType"].as_str().unwrap_or("?"),
                self.body["error"]
                    .as_str()
                    .unwrap_or(&self.body.to_string())
            )
        })
    }
}

impl PromApi {
    pub fn new(base: &str, tenant: Option<&str>) -> Self {
        PromApi {
            base: base.trim_end_matches('/').to_string(),
            tenant: tenant.map(str::to_string),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap_or_else(|e| panic!("HTTP client: {e}")),
        }
    }

    /// GET `path?k=v&…`; Errors: transport failure or a body that is not JSON.
    pub async fn get(&self, path: &str, params: &[(&str, String)]) -> Result<ApiResponse, String> {
        let qs: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        let url = format!("{}{}?{}", self.base, path, qs.join("&"));
        let mut req = self.http.get(&url);
        if let Some(t) = &self.tenant {
            req = req.header("X-Scope-OrgID", t);
        }
        let resp = req.send().await.map_err(|e| format!("GET {url}: {e}"))?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.map_err(|e| format!("GET {url}: {e}"))?;
        let body: Value = serde_json::from_slice(&bytes).map_err(|e| {
            format!(
                "GET {url}: HTTP {status}, not JSON ({e}): {}",
                String::from_utf8_lossy(&bytes[..bytes.len().min(300)])
            )
        })?;
        Ok(ApiResponse { status, body })
    }

    /// Instant query at `time` (seconds).
    pub async fn query(&self, q: &str, time: f64) -> Result<ApiResponse, String> {
        self.get(
            "/api/v1/query",
            &[("query", q.to_string()), ("time", ts(time))],
        )
        .await
    }

    /// Range query over `[start, end]` every `step` seconds.
    pub async fn query_range(
        &self,
        q: &str,
        start: f64,
        end: f64,
        step: f64,
    ) -> Result<ApiResponse, String> {
        self.get(
            "/api/v1/query_range",
            &[
                ("query", q.to_string()),
                ("start", ts(start)),
                ("end", ts(end)),
                ("step", format!("{step}")),
            ],
        )
        .await
    }

    /// The first sample value of an instant query's vector result, if any.
    pub async fn scalar_value(&self, q: &str, time: f64) -> Option<f64> {
        let r = self.query(q, time).await.ok()?;
        let d = r.data()?;
        let v = match d["resultType"].as_str()? {
            "vector" => &d["result"][0]["value"][1],
            "scalar" => &d["result"][1],
            _ => return None,
        };
        v.as_str()?.parse().ok()
    }
}
