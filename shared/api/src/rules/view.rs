//! What the rules listings (Prometheus's `/api/v1/rules` and `/api/v1/alerts`, Loki's
//! `/prometheus/api/v1/rules|alerts`) show: the stored groups of the request's tenants
//! ([`RulesStore`]) joined with the ruler's persisted evaluation state ([`StateStore`]).
//!
//! A group's [`GroupState`] lists its rules in the order of the last evaluation. The group may
//! have been edited since, so each current rule takes the state of the first not yet taken
//! state entry with the same name and labels (group `labels` + rule `labels`), as Prometheus's
//! `Group.CopyState` carries state over a reload; a rule with no such entry (added after the
//! last evaluation) has no state and lists as never evaluated (`health` `unknown`).

use futures::stream::{self, StreamExt, TryStreamExt};
use lakewatch_model::TenantId;
use lakewatch_ruler::alert::AlertState;
use lakewatch_ruler::eval::{GroupState, RuleKind, RuleState};
use lakewatch_ruler::rules::{ExprLanguage, Rule, RuleGroup};
use lakewatch_ruler::state_store::{GroupKey, StateStore, StateStoreError};
use lakewatch_ruler::store::{RulesStore, RulesStoreError};
use lakewatch_storage::Store;

/// How many group states are read from the object store at once.
const STATE_READS_IN_FLIGHT: usize = 16;

/// One stored group of one tenant: `file` is its namespace.
#[derive(Debug, Clone)]
pub struct ListedGroup {
    pub tenant: TenantId,
    pub file: String,
    pub group: RuleGroup,
}

/// Every group of `lang` of `tenants`, sorted by file (namespace) then group name as
/// Prometheus's rule manager lists them (tenants in request order for equal keys).
pub async fn load_groups(
    store: &Store,
    tenants: &[TenantId],
    lang: ExprLanguage,
) -> Result<Vec<ListedGroup>, RulesStoreError> {
    let rules = RulesStore::new(store.clone());
    let mut all = Vec::new();
    for t in tenants {
        for (file, rf) in rules.list(t, lang).await? {
            all.extend(rf.groups.into_iter().map(|group| ListedGroup {
                tenant: t.clone(),
                file: file.clone(),
                group,
            }));
        }
    }
    all.sort_by(|a, b| (&a.file, &a.group.name).cmp(&(&b.file, &b.group.name)));
    Ok(all)
}

/// The evaluation state of each group (None before its first evaluation), in order. A state
/// object that no longer decodes is logged and read as absent, so one bad object does not
/// hide every rule; storage failures are errors.
pub async fn load_states(
    store: &Store,
    groups: &[&ListedGroup],
    lang: ExprLanguage,
) -> Result<Vec<Option<GroupState>>, StateStoreError> {
    let states = StateStore::new(store.clone());
    // Collected first: a lazily mapped stream trips the `Send` check of spawned servers.
    let reads: Vec<_> = groups
        .iter()
        .map(|g| {
            let states = states.clone();
            let key = GroupKey {
                tenant: g.tenant.clone(),
                language: lang,
                namespace: g.file.clone(),
                group: g.group.name.clone(),
            };
            async move {
                match states.get(&key).await {
                    Ok(s) => Ok(s),
                    Err(e @ StateStoreError::Corrupt { .. }) => {
                        tracing::warn!(error = %e, "ignoring an unreadable rule group state");
                        Ok(None)
                    }
                    Err(e) => Err(e),
                }
            }
        })
        .collect();
    stream::iter(reads)
        .buffered(STATE_READS_IN_FLIGHT)
        .try_collect()
        .await
}

/// The state of each of `group`'s current rules (see the module docs); an alerting rule
/// matched with a recording rule's state (or the reverse) keeps health and times but not
/// alerts, as the ruler realigns it.
pub fn align<'a>(group: &RuleGroup, state: Option<&'a GroupState>) -> Vec<Option<&'a RuleState>> {
    let Some(state) = state else {
        return vec![None; group.rules.len()];
    };
    let mut used = vec![false; state.rules.len()];
    group
        .rules
        .iter()
        .map(|rule| {
            let labels = lakewatch_ruler::eval::effective_labels(group, rule);
            let i = state
                .rules
                .iter()
                .enumerate()
                .position(|(i, s)| !used[i] && s.name == rule.name() && s.labels == labels)?;
            used[i] = true;
            Some(&state.rules[i])
        })
        .collect()
}

/// The active (pending or firing) alerts of an alerting rule's state, as Prometheus's
/// `AlertingRule.ActiveAlerts()`; none for a state kept from a recording rule.
pub fn active_alerts<'a>(
    rule: &Rule,
    st: Option<&'a RuleState>,
) -> impl Iterator<Item = &'a lakewatch_ruler::Alert> {
    st.filter(|s| rule.is_alerting() && s.kind == RuleKind::Alerting)
        .into_iter()
        .flat_map(|s| s.active_alerts())
}

/// An alerting rule's state as Prometheus's `AlertingRule.State()`: `firing` if any active
/// alert fires, else `pending` if any is pending, else `inactive`.
pub fn rule_alert_state(rule: &Rule, st: Option<&RuleState>) -> &'static str {
    let mut max = AlertState::Inactive;
    for a in active_alerts(rule, st) {
        match (max, a.state) {
            (_, AlertState::Firing) => max = AlertState::Firing,
            (AlertState::Inactive, AlertState::Pending) => max = AlertState::Pending,
            _ => {}
        }
    }
    max.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;
    use lakewatch_model::Labels;
    use std::collections::BTreeMap;

    fn rule(alert: &str, labels: &[(&str, &str)]) -> Rule {
        Rule {
            alert: Some(alert.into()),
            expr: "up == 0".into(),
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Default::default()
        }
    }

    fn state(name: &str, labels: &[(&str, &str)], err: &str) -> RuleState {
        RuleState {
            name: name.into(),
            labels: Labels::from_pairs(labels.iter().copied()),
            last_error: Some(err.into()),
            ..Default::default()
        }
    }

    #[test]
    fn aligns_by_name_and_labels() {
        let g = RuleGroup {
            name: "g".into(),
            labels: BTreeMap::from([("team".into(), "a".into())]),
            rules: vec![
                rule("New", &[]),
                rule("A", &[("severity", "page")]),
                rule("A", &[("severity", "page")]),
                rule("A", &[("severity", "ticket")]),
            ],
            ..Default::default()
        };
        let st = GroupState {
            rules: vec![
                state("A", &[("severity", "ticket"), ("team", "a")], "t"),
                state("A", &[("severity", "page"), ("team", "a")], "p1"),
                state("A", &[("severity", "page"), ("team", "a")], "p2"),
            ],
            ..Default::default()
        };
        let errs: Vec<Option<&str>> = align(&g, Some(&st))
            .iter()
            .map(|s| s.and_then(|s| s.last_error.as_deref()))
            .collect();
        assert_eq!(errs, vec![None, Some("p1"), Some("p2"), Some("t")]);
        assert_eq!(align(&g, None).len(), 4);
    }
}
