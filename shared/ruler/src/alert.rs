//! The state of one alert instance (one label set of an alerting rule), as Prometheus's
//! `rules.Alert`. Times are **ms** since the epoch.

use lakewatch_model::Labels;

/// Prometheus's alert states (`inactive` = resolved, kept for notification).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertState {
    Inactive,
    Pending,
    Firing,
}

/// One alert instance.
#[derive(Debug, Clone, PartialEq)]
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
