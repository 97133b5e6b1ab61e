//! Alertmanager notifier: sends alerts to every configured Alertmanager's `/api/v2/alerts`, as
//! Prometheus's `notifier` package does (see docs/notifier.md).
//!
//! The evaluator decides *which* alerts to send (Prometheus's `sendAlerts`: firing alerts every
//! `resend_delay`, resolved ones until `resolved_retention`, with `valid_until_ms` set to the new
//! `endsAt`); [`Notifier::send`] sends them:
//!
//! - body: Alertmanager v2 `postableAlerts` ([`payload::postable_alert`]): labels plus external
//!   labels the alert lacks, annotations, `startsAt` = fired-at, `endsAt` = resolved-at or
//!   valid-until, `generatorURL` from the caller (normally [`generator_url`]);
//! - batches of at most `max_batch` (64) alerts, POSTed to each Alertmanager concurrently with
//!   `Content-Type: application/json`, optional basic auth or bearer token, per-request timeout;
//! - a failed batch is retried `retries` times with doubling backoff within the call;
//! - the [`SendReport`] says, per alert, whether **some** Alertmanager accepted it (Prometheus's
//!   "success if at least one Alertmanager accepted"), and per Alertmanager what failed. The
//!   caller marks only accepted alerts as sent and offers the rest again next time, so an
//!   unreachable Alertmanager never loses an alert. `send` never panics and never errors.

mod config;
pub mod payload;
mod post;
mod report;

use std::sync::Arc;

pub use config::{
    parse_label_pairs, AlertmanagerTarget, NotifierConfig, DEFAULT_MAX_BATCH,
    DEFAULT_QUEUE_CAPACITY, DEFAULT_RETRIES, DEFAULT_RETRY_BACKOFF, DEFAULT_TIMEOUT,
};
pub use payload::{generator_url, PostableAlert};
pub use report::{AlertmanagerOutcome, SendReport};

use crate::alert::Alert;

/// Notifier configuration errors.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NotifierError {
    /// Invalid configuration (names the variable or URL).
    #[error("alertmanager notifier config: {0}")]
    Config(String),
}

/// Sends alerts to the configured Alertmanagers. Cheap to clone (shares its HTTP client).
#[derive(Debug, Clone)]
pub struct Notifier {
    config: NotifierConfig,
    client: reqwest::Client,
}

impl Notifier {
    /// Builds a notifier. Errors: an Alertmanager URL that does not parse, or an HTTP client
    /// that cannot be built. Environment proxies are not used (as Prometheus's default
    /// `proxy_from_environment: false`). Only `http://` works in this build (no TLS backend).
    pub fn new(config: NotifierConfig) -> Result<Self, NotifierError> {
        for am in &config.alertmanagers {
            am.endpoint()?;
        }
        let client = reqwest::Client::builder()
            .no_proxy()
            .build()
            .map_err(|e| NotifierError::Config(format!("building HTTP client: {e}")))?;
        Ok(Notifier { config, client })
    }

    /// [`Notifier::new`] with [`NotifierConfig::from_env`].
    pub fn from_env() -> Result<Self, NotifierError> {
        Self::new(NotifierConfig::from_env()?)
    }

    /// The configuration in use.
    pub fn config(&self) -> &NotifierConfig {
        &self.config
    }

    /// True when at least one Alertmanager is configured.
    pub fn has_alertmanagers(&self) -> bool {
        !self.config.alertmanagers.is_empty()
    }

    /// [`generator_url`] with this notifier's external URL.
    pub fn generator_url(&self, expr: &str) -> String {
        generator_url(&self.config.external_url, expr)
    }

    /// Sends `alerts` to every Alertmanager (see the module docs) and reports, per alert, whether
    /// at least one Alertmanager accepted it. `generator_url` gives each alert's `generatorURL`
    /// (normally `|a| notifier.generator_url(&rule_expr)`; an empty string omits the field).
    ///
    /// Alerts beyond `queue_capacity` (the first ones) are dropped and reported unsent. With no
    /// Alertmanager configured nothing is sent and every alert is reported unsent. An empty
    /// `alerts` makes no request. Worst-case duration: about
    /// `(retries + batches) × timeout` plus the backoff waits, Alertmanagers in parallel.
    pub async fn send(
        &self,
        alerts: &[Alert],
        generator_url: impl Fn(&Alert) -> String,
    ) -> SendReport {
        self.send_indexed(alerts, |_, a| generator_url(a)).await
    }

    /// [`send`](Self::send) with the alert's index in `alerts` passed to `generator_url`, for
    /// callers holding a parallel list of rule expressions (e.g. the evaluator's
    /// `(rule index, Alert)` pairs): `|i, _| notifier.generator_url(&exprs[i])`.
    pub async fn send_indexed(
        &self,
        alerts: &[Alert],
        generator_url: impl Fn(usize, &Alert) -> String,
    ) -> SendReport {
        let mut report = SendReport {
            sent: vec![false; alerts.len()],
            ..Default::default()
        };
        let dropped = alerts
            .len()
            .saturating_sub(self.config.queue_capacity.max(1));
        report.dropped = dropped;
        if dropped > 0 {
            tracing::warn!(
                dropped,
                "alert queue capacity exceeded, dropping the oldest alerts"
            );
        }
        let offered = &alerts[dropped..];
        if offered.is_empty() {
            return report;
        }
        if self.config.alertmanagers.is_empty() {
            tracing::warn!(
                alerts = offered.len(),
                "no Alertmanager configured; alerts not sent"
            );
            return report;
        }

        let postable: Vec<PostableAlert> = offered
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let url = generator_url(dropped + i, a);
                payload::postable_alert(a, &self.config.external_labels, &url)
            })
            .collect();
        let max_batch = self.config.max_batch.max(1);
        let batches: Arc<Vec<(Vec<u8>, usize)>> = Arc::new(
            postable
                .chunks(max_batch)
                .map(|c| (payload::postable_alerts_body(c), c.len()))
                .collect(),
        );

        let mut tasks = tokio::task::JoinSet::new();
        for (i, am) in self.config.alertmanagers.iter().enumerate() {
            let (url, basic_auth) = match am.endpoint() {
                Ok(e) => e,
                Err(e) => {
                    report.alertmanagers.push(AlertmanagerOutcome {
                        url: am.url.clone(),
                        batches: batches.len(),
                        errors: vec![e.to_string()],
                        ..Default::default()
                    });
                    continue;
                }
            };
            report.alertmanagers.push(AlertmanagerOutcome::default());
            let job = post::AmJob {
                client: self.client.clone(),
                url,
                basic_auth,
                bearer: am.bearer.clone(),
                timeout: am.timeout,
                retries: self.config.retries,
                backoff: self.config.retry_backoff,
                batches: batches.clone(),
            };
            tasks.spawn(async move { (i, post::post_batches(job).await) });
        }
        let mut accepted_any = vec![false; batches.len()];
        while let Some(res) = tasks.join_next().await {
            match res {
                Ok((i, (outcome, accepted))) => {
                    for (b, ok) in accepted.iter().enumerate() {
                        if *ok {
                            accepted_any[b] = true;
                        }
                    }
                    report.alertmanagers[i] = outcome;
                }
                Err(e) => tracing::error!(error = %e, "alertmanager send task failed"),
            }
        }
        // A task that failed to join leaves a default outcome: fill in its URL.
        for (am, out) in self
            .config
            .alertmanagers
            .iter()
            .zip(report.alertmanagers.iter_mut())
        {
            if out.url.is_empty() {
                out.url = am.url.clone();
                out.batches = batches.len();
                out.errors.push("send task failed".into());
            }
        }
        for (b, ok) in accepted_any.iter().enumerate() {
            if *ok {
                let start = dropped + b * max_batch;
                let end = (start + max_batch).min(alerts.len());
                report.sent[start..end].iter_mut().for_each(|s| *s = true);
            }
        }
        report
    }
}
