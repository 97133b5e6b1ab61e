//! The state of one alert instance (one label set of an alerting rule), as Prometheus's
//! `rules.Alert`. Times are **ms** since the epoch.

use lakewatch_model::Labels;
use serde::{Deserialize, Serialize};

/// Prometheus's alert states (`inactive` = resolved, kept for notification). Serialised in
/// lower case (`"pending"`), as Prometheus's `AlertState.String()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertState {
    Inactive,
    Pending,
    Firing,
}

/// One alert instance (serde-serialisable so the ruler can persist it between invocations).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Final labels: the series' labels, the rule's (templated) labels, `alertname`.
    pub labels: Labels,
    /// Templated annotations.
    pub annotations: Labels,
    pub state: AlertState,
    /// The sample value that produced the alert at the last evaluation.
    pub value: f64,
    /// When the alert became pending (ms).
    pub active_at_ms: i64,
    /// When it started firing (ms), if it did.
    pub fired_at_ms: Option<i64>,
    /// When it was resolved (ms), if it was.
    pub resolved_at_ms: Option<i64>,
    /// Last time it was sent to Alertmanager (ms).
    pub last_sent_at_ms: Option<i64>,
    /// `endsAt` promised to Alertmanager (ms): resend deadline.
    pub valid_until_ms: Option<i64>,
    /// Since when the expression stopped returning it while `keep_firing_for` holds it (ms).
    pub keep_firing_since_ms: Option<i64>,
}

impl AlertState {
    /// Prometheus's text for the state (`inactive`, `pending`, `firing`), as used in the
    /// `alertstate` label of `ALERTS` and in `/api/v1/alerts`.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertState::Inactive => "inactive",
            AlertState::Pending => "pending",
            AlertState::Firing => "firing",
        }
    }
}
