//! One group of a pass: due check, lease, evaluation, writes, notifications, state.

use lakewatch_model::{MetricsBatch, TenantId};

use crate::alert::Alert;
use crate::eval::{
    evaluate_group, record_sent, rule_alerts_to_send, EvalContext, GroupState, QuerySource,
};
use crate::rules::{ExprLanguage, RuleGroup};
use crate::state_store::{GroupKey, StateStoreError};

use super::{outage, slot, Ruler};

/// What happened to one group in a pass.
#[derive(Debug, Clone, PartialEq)]
pub enum GroupRun {
    /// Its latest slot was evaluated already.
    NotDue { next_due_ms: i64 },
    /// Another invocation holds its lease.
    Busy { next_due_ms: i64 },
    /// Evaluated at `slot_ms`.
    Evaluated(Evaluated),
}

/// An evaluation's figures.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evaluated {
    /// The slot evaluated (ms).
    pub slot_ms: i64,
    pub next_due_ms: i64,
    /// Slots skipped since the previous evaluation.
    pub missed: u64,
    pub failed_rules: usize,
    pub samples_written: usize,
    pub alerts_sent: usize,
    pub alerts_unsent: usize,
    /// Write or notification failures (the evaluation itself went through).
    pub errors: Vec<String>,
}

fn interval_ms(ruler: &Ruler, group: &RuleGroup) -> i64 {
    group
        .interval
        .and_then(|d| i64::try_from(d.as_millis()).ok())
        .filter(|&ms| ms > 0)
        .unwrap_or(ruler.opts.default_interval_ms)
}

/// The tenants a group's queries read: its `source_tenants` (federated), else its owner.
fn query_tenants(key: &GroupKey, group: &RuleGroup) -> Vec<TenantId> {
    let sources: Vec<TenantId> = group
        .source_tenants
        .iter()
        .filter_map(|t| TenantId::new(t).ok())
        .collect();
    if sources.is_empty() {
        vec![key.tenant.clone()]
    } else {
        sources
    }
}

/// Whether a group of `lang` writes the series `labels`: everything for PromQL groups;
/// recording results (and their stale markers) only for LogQL groups, as Loki's ruler
/// remote-writes only those.
fn writes(lang: ExprLanguage, labels: &lakewatch_model::Labels) -> bool {
    lang == ExprLanguage::PromQL
        || !matches!(
            labels.get("__name__"),
            Some("ALERTS") | Some("ALERTS_FOR_STATE")
        )
}

/// The samples of an evaluation that are written (see [`writes`]).
fn to_write(lang: ExprLanguage, outcome: &crate::eval::GroupOutcome) -> MetricsBatch {
    let mut series = outcome.to_series();
    series.retain(|s| writes(lang, &s.labels));
    MetricsBatch {
        series,
        metadata: Vec::new(),
    }
}

impl Ruler {
    /// Runs one group at `now_ms` (see the module docs of [`super`]). Errors: the state store
    /// failed before the evaluation (nothing was evaluated or sent).
    pub async fn run_group(
        &self,
        key: &GroupKey,
        group: &RuleGroup,
        now_ms: i64,
    ) -> Result<GroupRun, StateStoreError> {
        let interval = interval_ms(self, group);
        let slot_ms = slot::eval_slot(
            now_ms,
            interval,
            slot::group_hash(key),
            group.align_evaluation_time_on_interval,
        );
        let next_due_ms = slot_ms + interval;
        let evaluated_at = |s: &GroupState| s.last_evaluation_ms.is_some_and(|t| t >= slot_ms);
        // Cheap check first: most passes find most groups not due.
        if self
            .states
            .get(key)
            .await?
            .is_some_and(|s| evaluated_at(&s))
        {
            return Ok(GroupRun::NotDue { next_due_ms });
        }
        let Some(lease) = self.states.try_acquire(key).await? else {
            return Ok(GroupRun::Busy { next_due_ms });
        };
        let result = async {
            let read = self.states.get_versioned(key).await?;
            let state = read.as_ref().map(|r| r.state.clone()).unwrap_or_default();
            if evaluated_at(&state) {
                return Ok(GroupRun::NotDue { next_due_ms });
            }
            let (state, mut done) = self.evaluate(key, group, state, slot_ms, interval).await;
            done.next_due_ms = next_due_ms;
            self.states.put(key, read.as_ref(), &state).await?;
            Ok(GroupRun::Evaluated(done))
        }
        .await;
        if let Err(e) = self.states.release(lease).await {
            tracing::warn!(group = %super::describe(key), error = %e, "releasing the lease failed");
        }
        result
    }

    /// Evaluates at `slot_ms`, writes the samples and sends the alerts; returns the new state.
    async fn evaluate(
        &self,
        key: &GroupKey,
        group: &RuleGroup,
        mut state: GroupState,
        slot_ms: i64,
        interval: i64,
    ) -> (GroupState, Evaluated) {
        let mut done = Evaluated {
            slot_ms,
            ..Default::default()
        };
        let missed = slot::missed_iterations(state.last_evaluation_ms, slot_ms, interval);
        if missed > 0 {
            if let Some(down_at) = state.last_evaluation_ms {
                state.align(group);
                outage::after_outage(
                    &mut state,
                    group,
                    down_at,
                    slot_ms,
                    self.opts.outage_tolerance_ms,
                    self.opts.grace_period_ms,
                );
            }
            tracing::warn!(group = %super::describe(key), missed, "rule group evaluations were missed");
        }
        done.missed = missed;
        state.iterations_total += 1 + missed;
        state.iterations_missed_total += missed;

        let (mut state, outcome) = self.evaluate_blocking(key, group, state, slot_ms).await;
        done.failed_rules = outcome.errors.len();

        let batch = to_write(key.language, &outcome);
        let samples = batch.sample_count() + batch.histogram_count();
        state.last_write_error = None;
        if samples > 0 {
            match self.writer.write(&key.tenant, &batch).await {
                Ok(_) => done.samples_written = samples,
                Err(e) => {
                    let msg = format!("writing {samples} rule result samples failed: {e}");
                    tracing::warn!(group = %super::describe(key), error = %msg);
                    done.errors.push(format!("{}: {msg}", super::describe(key)));
                    state.last_write_error = Some(msg);
                }
            }
        }

        self.notify(key, &mut state, slot_ms, &mut done).await;
        (state, done)
    }

    /// Runs [`evaluate_group`] on the blocking pool (queries block on storage reads).
    async fn evaluate_blocking(
        &self,
        key: &GroupKey,
        group: &RuleGroup,
        state: GroupState,
        slot_ms: i64,
    ) -> (GroupState, crate::eval::GroupOutcome) {
        let querier = self.querier.clone();
        let tenants = query_tenants(key, group);
        let group_owned = group.clone();
        let external_labels = self.notifier.config().external_labels.clone();
        let external_url = self.notifier.config().external_url.clone();
        let opts = self.opts.clone();
        let fallback = state.clone();
        let task = tokio::task::spawn_blocking(move || {
            let group = group_owned;
            let mut state = state;
            let run = |source: QuerySource<'_>, state: &mut GroupState| {
                let ctx = EvalContext {
                    time_ms: slot_ms,
                    source,
                    external_labels: external_labels.clone(),
                    external_url: external_url.clone(),
                    query_offset_ms: opts.query_offset_ms,
                    default_interval_ms: opts.default_interval_ms,
                };
                evaluate_group(&group, state, &ctx)
            };
            let outcome = match group.language {
                ExprLanguage::PromQL => {
                    let storage = querier.promql_storage(&tenants);
                    let source = QuerySource::CheckedPromQL {
                        engine: querier.engine(),
                        storage: &*storage,
                    };
                    run(source, &mut state)
                }
                ExprLanguage::LogQL => {
                    let f = |q: &str, t: i64| querier.logql_instant(&tenants, q, t);
                    run(QuerySource::Func(&f), &mut state)
                }
            };
            (state, outcome)
        });
        match task.await {
            Ok(r) => r,
            Err(e) => {
                // A panic in an engine: the group's rules report it, nothing is written.
                let msg = format!("rule evaluation panicked: {e}");
                tracing::error!(group = %super::describe(key), error = %msg);
                let mut state = fallback;
                state.align(group);
                let mut outcome = crate::eval::GroupOutcome::default();
                for (i, r) in state.rules.iter_mut().enumerate() {
                    r.health = crate::eval::RuleHealth::Err;
                    r.last_error = Some(msg.clone());
                    outcome.errors.push(crate::eval::RuleError {
                        index: i,
                        name: r.name.clone(),
                        error: msg.clone(),
                    });
                }
                state.last_evaluation_ms = Some(slot_ms);
                (state, outcome)
            }
        }
    }

    /// Sends what is due to Alertmanager; marks only what was accepted.
    async fn notify(
        &self,
        key: &GroupKey,
        state: &mut GroupState,
        slot_ms: i64,
        done: &mut Evaluated,
    ) {
        let due = rule_alerts_to_send(state, slot_ms, self.opts.resend_delay_ms);
        if due.is_empty() {
            state.last_notification_error = None;
            return;
        }
        if !self.notifier.has_alertmanagers() {
            done.alerts_unsent += due.len();
            state.last_notification_error = Some("no Alertmanager configured".to_string());
            return;
        }
        let alerts: Vec<Alert> = due.iter().map(|(_, a)| a.clone()).collect();
        let exprs: Vec<String> = due
            .iter()
            .map(|(i, _)| state.rules[*i].expr.clone())
            .collect();
        let report = self
            .notifier
            .send_indexed(&alerts, |i, _| self.notifier.generator_url(&exprs[i]))
            .await;
        // Only what an Alertmanager accepted counts as sent; the rest is offered again.
        record_sent(
            state,
            due.iter()
                .zip(&report.sent)
                .filter(|(_, ok)| **ok)
                .map(|(d, _)| d),
        );
        done.alerts_sent += report.sent_count();
        let unsent = alerts.len() - report.sent_count();
        done.alerts_unsent += unsent;
        if unsent == 0 {
            state.last_notification_error = None;
        } else {
            let msg = format!(
                "{unsent} of {} alerts not accepted by any Alertmanager: {}",
                alerts.len(),
                report.errors().join("; ")
            );
            tracing::warn!(group = %super::describe(key), error = %msg);
            done.errors.push(format!("{}: {msg}", super::describe(key)));
            state.last_notification_error = Some(msg);
        }
    }
}

/// A group removed from the rules store: stale markers for every series its rules wrote at
/// their last evaluation (PromQL groups), then its state is deleted.
pub(super) async fn remove(ruler: &Ruler, key: &GroupKey, now_ms: i64) -> Result<(), String> {
    let Some(lease) = ruler
        .states
        .try_acquire(key)
        .await
        .map_err(|e| e.to_string())?
    else {
        return Ok(());
    };
    let result = async {
        let Some(state) = ruler.states.get(key).await.map_err(|e| e.to_string())? else {
            return Ok(());
        };
        let mut stale: Vec<lakewatch_model::Labels> = state
            .rules
            .iter()
            .flat_map(|r| r.series_in_previous_eval.iter().cloned())
            .chain(state.stale_series.iter().cloned())
            .collect();
        stale.retain(|l| writes(key.language, l));
        if !stale.is_empty() {
            let series = stale
                .into_iter()
                .map(|labels| lakewatch_model::TimeSeries {
                    labels,
                    samples: vec![lakewatch_model::Sample {
                        timestamp_ms: now_ms,
                        value: f64::from_bits(lakewatch_model::STALE_NAN_BITS),
                    }],
                    ..Default::default()
                })
                .collect();
            ruler
                .writer
                .write(
                    &key.tenant,
                    &MetricsBatch {
                        series,
                        metadata: Vec::new(),
                    },
                )
                .await
                .map_err(|e| format!("writing stale markers failed: {e}"))?;
        }
        ruler.states.delete(key).await.map_err(|e| e.to_string())
    }
    .await;
    let _ = ruler.states.release(lease).await;
    result
}
