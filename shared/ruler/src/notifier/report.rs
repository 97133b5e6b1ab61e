//! What one [`send`](super::Notifier::send) call achieved, per alert and per Alertmanager.

/// The outcome of one `send` call.
///
/// An alert counts as **sent** when at least one Alertmanager accepted (answered 2xx to) the
/// batch holding it — Prometheus's `sendAll` semantics. The caller marks only those alerts as
/// sent (`last_sent_at_ms`) and offers the others again at the next invocation, so a failure
/// everywhere never loses an alert.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SendReport {
    /// One flag per input alert, same index as the `alerts` slice given to `send`.
    pub sent: Vec<bool>,
    /// One entry per configured Alertmanager, in configuration order.
    pub alertmanagers: Vec<AlertmanagerOutcome>,
    /// Input alerts beyond `queue_capacity` that were not offered (the oldest, i.e. the
    /// first ones of the slice, as Prometheus's queue drops its oldest); they are unsent.
    pub dropped: usize,
}

impl SendReport {
    /// True when every input alert was sent (also for an empty input).
    pub fn success(&self) -> bool {
        self.sent.iter().all(|s| *s)
    }

    /// Number of alerts accepted by at least one Alertmanager.
    pub fn sent_count(&self) -> usize {
        self.sent.iter().filter(|s| **s).count()
    }

    /// Indices (into the input slice) of the alerts no Alertmanager accepted.
    pub fn unsent(&self) -> Vec<usize> {
        self.sent
            .iter()
            .enumerate()
            .filter(|(_, s)| !**s)
            .map(|(i, _)| i)
            .collect()
    }

    /// Every error, prefixed with its Alertmanager URL.
    pub fn errors(&self) -> Vec<String> {
        self.alertmanagers
            .iter()
            .flat_map(|am| am.errors.iter().map(move |e| format!("{}: {e}", am.url)))
            .collect()
    }
}

/// What happened with one Alertmanager during one `send` call.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertmanagerOutcome {
    /// The POST URL (`…/api/v2/alerts`), without credentials.
    pub url: String,
    /// Batches (POST bodies of at most `max_batch` alerts) offered to it.
    pub batches: usize,
    /// Batches it accepted (2xx).
    pub batches_ok: usize,
    /// Alerts in the accepted batches.
    pub alerts_accepted: usize,
    /// HTTP requests made, retries included.
    pub requests: usize,
    /// One message per failed request (`bad response status 500 …`, connection errors, …).
    pub errors: Vec<String>,
}

impl AlertmanagerOutcome {
    /// True when it accepted every batch.
    pub fn ok(&self) -> bool {
        self.batches_ok == self.batches
    }
}
