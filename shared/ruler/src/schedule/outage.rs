//! A group whose evaluations were missed (no invocation ran in one or more of its slots) is
//! treated as Prometheus treats a rule manager coming back after an outage
//! (`Group.RestoreForState`, flags `rules.alert.for-outage-tolerance` and
//! `rules.alert.for-grace-period`). Times in **ms**.
//!
//! With `down_at` the last evaluated slot and `now` the slot about to be evaluated:
//! - `now - down_at` beyond the outage tolerance: the alert state is too old to trust and is
//!   dropped, as Prometheus restores nothing older than the tolerance (alerts start over as
//!   pending; Alertmanager resolves what it held once `endsAt` passes).
//! - rules whose `for` is shorter than the grace period: their pending alerts wait the whole
//!   `for` again (Prometheus skips restoring them).
//! - other pending alerts: `for` time spent before the outage counts, time during it does
//!   not: `activeAt` moves forward by the outage; if less than the grace period would be left,
//!   `activeAt = now + grace - for` so the alert gets the grace period to fire.
//!
//! Unlike a restarted Prometheus, firing alerts stay firing: the state was persisted, not
//! lost, so the alert was firing when evaluations stopped (Prometheus's "time remaining ≤ 0"
//! case, which also keeps the original `activeAt`).

use crate::alert::AlertState;
use crate::eval::GroupState;
use crate::rules::RuleGroup;

/// Prometheus's default `--rules.alert.for-outage-tolerance`: 1 hour.
pub const DEFAULT_OUTAGE_TOLERANCE_MS: i64 = 3_600_000;
/// Prometheus's default `--rules.alert.for-grace-period`: 10 minutes.
pub const DEFAULT_GRACE_PERIOD_MS: i64 = 600_000;

/// Adjusts `state` (of `group`) for an outage from `down_at_ms` (the last evaluated slot) to
/// `now_ms` (the slot about to be evaluated), see the module docs.
pub fn after_outage(
    state: &mut GroupState,
    group: &RuleGroup,
    down_at_ms: i64,
    now_ms: i64,
    tolerance_ms: i64,
    grace_ms: i64,
) {
    if now_ms - down_at_ms > tolerance_ms {
        for r in &mut state.rules {
            r.alerts.clear();
        }
        return;
    }
    for (rule, rs) in group.rules.iter().zip(state.rules.iter_mut()) {
        if rule.record.is_some() {
            continue;
        }
        let hold = i64::try_from(rule.for_.as_millis()).unwrap_or(i64::MAX);
        for a in rs.alerts.iter_mut() {
            if a.state != AlertState::Pending {
                continue;
            }
            if hold < grace_ms {
                a.active_at_ms = now_ms;
                continue;
            }
            let remaining = hold - (down_at_ms - a.active_at_ms);
            if remaining <= 0 {
                continue;
            }
            a.active_at_ms = if remaining < grace_ms {
                now_ms + grace_ms - hold
            } else {
                a.active_at_ms + (now_ms - down_at_ms)
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::Alert;
    use crate::eval::RuleState;
    use crate::rules::{parse_rule_group, ExprLanguage};

    const MIN: i64 = 60_000;

    fn group() -> RuleGroup {
        parse_rule_group(
            "name: g\nrules:\n- alert: Long\n  expr: up == 0\n  for: 30m\n- alert: Short\n  expr: up == 0\n  for: 5m\n",
            ExprLanguage::PromQL,
        )
        .unwrap()
    }

    fn alert(state: AlertState, active_at_ms: i64) -> Alert {
        Alert {
            labels: Default::default(),
            annotations: Default::default(),
            state,
            value: 1.0,
            active_at_ms,
            fired_at_ms: None,
            resolved_at_ms: None,
            last_sent_at_ms: None,
            valid_until_ms: None,
            keep_firing_since_ms: None,
        }
    }

    fn state(long: Vec<Alert>, short: Vec<Alert>) -> GroupState {
        GroupState {
            rules: vec![
                RuleState {
                    alerts: long,
                    ..Default::default()
                },
                RuleState {
                    alerts: short,
                    ..Default::default()
                },
            ],
            ..Default::default()
        }
    }

    fn active_at(s: &GroupState, rule: usize) -> i64 {
        s.rules[rule].alerts[0].active_at_ms
    }

    #[test]
    fn pending_time_during_the_outage_does_not_count() {
        // 10 m pending before a 5 m outage; 20 m left ≥ grace: shifted by 5 m.
        let down = 100 * MIN;
        let mut s = state(vec![alert(AlertState::Pending, down - 10 * MIN)], vec![]);
        after_outage(&mut s, &group(), down, down + 5 * MIN, 60 * MIN, 10 * MIN);
        assert_eq!(active_at(&s, 0), down - 5 * MIN);
    }

    #[test]
    fn less_than_the_grace_period_left_gets_the_grace_period() {
        // 25 m pending of 30 m: 5 m left < 10 m grace → fires 10 m after `now`.
        let down = 100 * MIN;
        let now = down + 5 * MIN;
        let mut s = state(vec![alert(AlertState::Pending, down - 25 * MIN)], vec![]);
        after_outage(&mut s, &group(), down, now, 60 * MIN, 10 * MIN);
        assert_eq!(active_at(&s, 0), now + 10 * MIN - 30 * MIN);
    }

    #[test]
    fn short_for_restarts_and_firing_stays() {
        let down = 100 * MIN;
        let now = down + 3 * MIN;
        let mut s = state(
            vec![alert(AlertState::Firing, down - 40 * MIN)],
            vec![alert(AlertState::Pending, down - 4 * MIN)],
        );
        after_outage(&mut s, &group(), down, now, 60 * MIN, 10 * MIN);
        assert_eq!(
            active_at(&s, 0),
            down - 40 * MIN,
            "firing alerts keep activeAt"
        );
        assert_eq!(
            active_at(&s, 1),
            now,
            "for < grace: waits the whole for again"
        );
    }

    #[test]
    fn beyond_the_outage_tolerance_state_is_dropped() {
        let down = 100 * MIN;
        let mut s = state(
            vec![alert(AlertState::Firing, down - 40 * MIN)],
            vec![alert(AlertState::Pending, down - 4 * MIN)],
        );
        after_outage(&mut s, &group(), down, down + 61 * MIN, 60 * MIN, 10 * MIN);
        assert!(s.rules.iter().all(|r| r.alerts.is_empty()));
    }
}
