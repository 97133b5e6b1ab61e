//! Which alerts to hand to Alertmanager after an evaluation: Prometheus's
//! `AlertingRule.sendAlerts` / `Alert.needsSending`. Times in **ms**.

use crate::alert::{Alert, AlertState};

use super::state::{GroupState, RuleHealth, RuleKind};

/// Prometheus's default `--rules.alert.resend-delay`: 1 minute.
pub const DEFAULT_RESEND_DELAY_MS: i64 = 60_000;

/// Prometheus's `Alert.needsSending`: never while pending; always once resolved since the last
/// send; otherwise when the last send is older than `resend_delay_ms` (strictly).
pub fn needs_sending(alert: &Alert, now_ms: i64, resend_delay_ms: i64) -> bool {
    if alert.state == AlertState::Pending {
        return false;
    }
    if let Some(r) = alert.resolved_at_ms {
        if alert.last_sent_at_ms.is_none_or(|s| r > s) {
            return true;
        }
    }
    match alert.last_sent_at_ms {
        None => true,
        Some(s) => s + resend_delay_ms < now_ms,
    }
}

/// `endsAt` promised for an alert sent at `now_ms`: `now + 4 × max(group interval, resend
/// delay)` ("allow for two Eval or Alertmanager send failures", Prometheus `sendAlerts`).
pub fn valid_until(now_ms: i64, interval_ms: i64, resend_delay_ms: i64) -> i64 {
    now_ms + 4 * interval_ms.max(resend_delay_ms)
}

/// The alerts to send at `now_ms` (normally the evaluation time just passed to
/// [`super::evaluate_group`]), each paired with the index of its rule in
/// [`GroupState::rules`] (its `expr` gives the `generatorURL`). Only rules whose last
/// evaluation succeeded send (Prometheus sends right after a successful rule evaluation). The
/// returned copies carry `last_sent_at_ms = now_ms` and `valid_until_ms` (see [`valid_until`]
/// with the group interval [`GroupState::interval_ms`]); the state is not changed — call
/// [`mark_sent`] to record the send.
pub fn rule_alerts_to_send(
    state: &GroupState,
    now_ms: i64,
    resend_delay_ms: i64,
) -> Vec<(usize, Alert)> {
    let until = valid_until(now_ms, state.interval_ms, resend_delay_ms);
    let mut out = Vec::new();
    for (i, r) in state.rules.iter().enumerate() {
        if r.kind != RuleKind::Alerting || r.health != RuleHealth::Ok {
            continue;
        }
        for a in &r.alerts {
            if needs_sending(a, now_ms, resend_delay_ms) {
                let mut a = a.clone();
                a.last_sent_at_ms = Some(now_ms);
                a.valid_until_ms = Some(until);
                out.push((i, a));
            }
        }
    }
    out
}

/// [`rule_alerts_to_send`] without the rule indexes.
pub fn alerts_to_send(state: &GroupState, now_ms: i64, resend_delay_ms: i64) -> Vec<Alert> {
    rule_alerts_to_send(state, now_ms, resend_delay_ms)
        .into_iter()
        .map(|(_, a)| a)
        .collect()
}

/// Records that the alerts [`rule_alerts_to_send`] returns for the same arguments were handed
/// to the notifier (sets `last_sent_at_ms` / `valid_until_ms` in the state, as Prometheus does
/// when it enqueues them), and returns them.
pub fn mark_sent(state: &mut GroupState, now_ms: i64, resend_delay_ms: i64) -> Vec<(usize, Alert)> {
    let sent = rule_alerts_to_send(state, now_ms, resend_delay_ms);
    record_sent(state, &sent);
    sent
}

/// Copies `last_sent_at_ms` / `valid_until_ms` of each `(rule index, alert)` that was sent
/// (as [`rule_alerts_to_send`] returns them) onto the state's alert with the same labels.
pub fn record_sent<'a>(state: &mut GroupState, sent: impl IntoIterator<Item = &'a (usize, Alert)>) {
    for (i, a) in sent {
        let Some(rule) = state.rules.get_mut(*i) else {
            continue;
        };
        if let Some(cur) = rule.alerts.iter_mut().find(|x| x.labels == a.labels) {
            cur.last_sent_at_ms = a.last_sent_at_ms;
            cur.valid_until_ms = a.valid_until_ms;
        }
    }
}
