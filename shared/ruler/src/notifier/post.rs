//! POSTing batches to one Alertmanager with a bounded retry (Lakewatch's addition: Prometheus
//! drops a failed batch; here a batch is retried `retries` times with doubling backoff within
//! the call, and alerts not accepted anywhere are reported so the caller keeps them).

use std::sync::Arc;
use std::time::Duration;

use super::report::AlertmanagerOutcome;

/// Everything one Alertmanager task needs (owned: it runs on its own tokio task).
pub(crate) struct AmJob {
    pub client: reqwest::Client,
    pub url: url::Url,
    pub basic_auth: Option<(String, String)>,
    pub bearer: Option<String>,
    pub timeout: Duration,
    pub retries: u32,
    pub backoff: Duration,
    pub batches: Arc<Vec<(Vec<u8>, usize)>>,
}

/// The User-Agent sent (Prometheus sends `Prometheus/<version>`).
pub(crate) const USER_AGENT: &str = concat!("Lakewatch/", env!("CARGO_PKG_VERSION"));

/// Sends every batch in order; returns the outcome and, per batch, whether it was accepted.
///
/// After a batch failed all its attempts, later batches get one attempt only, so an
/// unreachable Alertmanager costs at most `retries + batches` timeouts.
pub(crate) async fn post_batches(job: AmJob) -> (AlertmanagerOutcome, Vec<bool>) {
    let mut out = AlertmanagerOutcome {
        url: job.url.to_string(),
        batches: job.batches.len(),
        ..Default::default()
    };
    let mut accepted = Vec::with_capacity(job.batches.len());
    let mut degraded = false;
    for (body, n_alerts) in job.batches.iter() {
        let attempts = if degraded {
            1
        } else {
            job.retries.saturating_add(1)
        };
        let mut ok = false;
        for attempt in 0..attempts {
            if attempt > 0 {
                let factor = 1u32.checked_shl(attempt - 1).unwrap_or(u32::MAX);
                tokio::time::sleep(job.backoff.saturating_mul(factor)).await;
            }
            out.requests += 1;
            match post_once(&job, body).await {
                Ok(()) => {
                    ok = true;
                    break;
                }
                Err((msg, retryable)) => {
                    tracing::warn!(alertmanager = %out.url, attempt = attempt + 1, error = %msg, "error sending alerts");
                    out.errors.push(msg);
                    if !retryable {
                        break;
                    }
                }
            }
        }
        if ok {
            out.batches_ok += 1;
            out.alerts_accepted += n_alerts;
        } else {
            degraded = true;
        }
        accepted.push(ok);
    }
    (out, accepted)
}

/// One POST. Errors carry a message and whether a retry can help (transport errors, 5xx, 429).
async fn post_once(job: &AmJob, body: &[u8]) -> Result<(), (String, bool)> {
    let mut req = job
        .client
        .post(job.url.clone())
        .timeout(job.timeout)
        .header("Content-Type", "application/json")
        .header("User-Agent", USER_AGENT)
        .body(body.to_vec());
    if let Some((user, pass)) = &job.basic_auth {
        req = req.basic_auth(user, Some(pass));
    } else if let Some(token) = &job.bearer {
        req = req.bearer_auth(token);
    }
    let resp = req.send().await.map_err(|e| (describe(&e), true))?;
    let status = resp.status();
    // Any 2xx is OK, as Prometheus.
    if status.is_success() {
        let _ = resp.bytes().await;
        return Ok(());
    }
    let text = resp.text().await.unwrap_or_default();
    let snippet: String = text.trim().chars().take(200).collect();
    let retryable = status.is_server_error() || status.as_u16() == 429;
    Err((
        format!("bad response status {status}: {snippet}"),
        retryable,
    ))
}

/// reqwest's error plus its source chain (e.g. "connection refused").
fn describe(e: &reqwest::Error) -> String {
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    msg
}
