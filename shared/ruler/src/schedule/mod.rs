//! The scheduled ruler: one [`Ruler::run_pass`] evaluates every rule group that is due, for
//! every tenant, as Prometheus's rule manager would have by now. The `ruler` function runs one
//! pass per scheduled invocation (EventBridge, every minute); `lakewatch dev` runs passes on a
//! timer. Times are **ms** since the epoch.
//!
//! Per group (see docs/ruler-schedule.md):
//! 1. its slot is the latest consistently slotted time at or before now ([`slot::eval_slot`]);
//!    it is due when its stored state was last evaluated before that slot;
//! 2. a lease ([`StateStore::try_acquire`]) makes one invocation at a time evaluate it — an
//!    overlapping invocation skips the group, so a slot is never evaluated (or notified) twice;
//! 3. slots missed since the last evaluation are counted, not evaluated (Prometheus evaluates
//!    only the latest slot), and the alert state is carried over as after an outage
//!    ([`outage::after_outage`]);
//! 4. the group is evaluated ([`crate::eval::evaluate_group`]) over the tenant's data
//!    ([`RuleQuerier`]); recording results, `ALERTS`, `ALERTS_FOR_STATE` and stale markers are
//!    written to the tenant's metrics (LogQL groups: recording results only, as Loki's ruler
//!    remote-writes only those);
//! 5. alerts due for (re)sending go to Alertmanager; only those an Alertmanager accepted are
//!    marked sent, the others are offered again at the next evaluation;
//! 6. the state is written back conditionally and the lease released.

mod group;
pub mod options;
pub mod outage;
mod querier;
pub mod slot;

use std::sync::Arc;

use futures::StreamExt;
use lakewatch_storage::{MetricsWriter, Store};

use crate::notifier::Notifier;
use crate::rules::{ExprLanguage, RuleGroup};
use crate::state_store::{GroupKey, StateStore};
use crate::store::RulesStore;

pub use group::GroupRun;
pub use options::RulerOptions;
pub use querier::RuleQuerier;

/// Everything a pass needs. Cheap to clone.
#[derive(Clone)]
pub struct Ruler {
    pub rules: RulesStore,
    pub states: StateStore,
    pub writer: MetricsWriter,
    pub notifier: Arc<Notifier>,
    pub querier: Arc<dyn RuleQuerier>,
    pub opts: RulerOptions,
}

impl std::fmt::Debug for Ruler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ruler").field("opts", &self.opts).finish()
    }
}

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct PassReport {
    /// Groups found in the rules store.
    pub groups: usize,
    /// Groups evaluated in this pass.
    pub evaluated: usize,
    /// Groups whose slot was already evaluated.
    pub not_due: usize,
    /// Groups leased by another invocation.
    pub busy: usize,
    /// Slots that passed without an evaluation, summed over the evaluated groups.
    pub missed_iterations: u64,
    /// Rules whose evaluation failed (health `err`).
    pub failed_rules: usize,
    /// Samples written (recording results, `ALERTS`, `ALERTS_FOR_STATE`, stale markers).
    pub samples_written: usize,
    /// Alerts Alertmanager accepted / alerts no Alertmanager accepted (offered again later).
    pub alerts_sent: usize,
    pub alerts_unsent: usize,
    /// Groups removed from the rules store whose state was cleaned up (stale markers written).
    pub removed_groups: usize,
    /// Failures that stopped a group or a tenant (storage, state conflicts), with the group.
    pub errors: Vec<String>,
    /// The earliest next slot of any group (ms), when there is a group.
    pub next_due_ms: Option<i64>,
}

impl PassReport {
    fn add(&mut self, run: &GroupRun) {
        match run {
            GroupRun::NotDue { next_due_ms } => {
                self.not_due += 1;
                self.next(*next_due_ms);
            }
            GroupRun::Busy { next_due_ms } => {
                self.busy += 1;
                self.next(*next_due_ms);
            }
            GroupRun::Evaluated(e) => {
                self.evaluated += 1;
                self.missed_iterations += e.missed;
                self.failed_rules += e.failed_rules;
                self.samples_written += e.samples_written;
                self.alerts_sent += e.alerts_sent;
                self.alerts_unsent += e.alerts_unsent;
                self.errors.extend(e.errors.iter().cloned());
                self.next(e.next_due_ms);
            }
        }
    }

    fn next(&mut self, t: i64) {
        self.next_due_ms = Some(self.next_due_ms.map_or(t, |n| n.min(t)));
    }
}

impl Ruler {
    /// A ruler over `store` with the given notifier, querier and options.
    pub fn new(
        store: Store,
        notifier: Notifier,
        querier: Arc<dyn RuleQuerier>,
        opts: RulerOptions,
    ) -> Self {
        Ruler {
            rules: RulesStore::new(store.clone()),
            states: StateStore::new(store.clone()).with_lease_ttl(opts.lease_ttl),
            writer: MetricsWriter::new(store),
            notifier: Arc::new(notifier),
            querier,
            opts,
        }
    }

    /// Every group of every tenant, as `(key, group)` in tenant, language, namespace, group
    /// order, and the `(tenant, language)` pairs that were listed completely. A failure of one
    /// tenant and language (e.g. a namespace object written by something else that no longer
    /// parses) is reported in `errors` and the others are still listed. Errors: listing the
    /// tenants failed.
    pub async fn groups(&self) -> Result<Listing, String> {
        let tenants = self
            .rules
            .store()
            .list_tenants()
            .await
            .map_err(|e| format!("listing tenants: {e}"))?;
        let mut out = Listing::default();
        for tenant in tenants {
            for lang in [ExprLanguage::PromQL, ExprLanguage::LogQL] {
                let files = match self.rules.list(&tenant, lang).await {
                    Ok(f) => f,
                    Err(e) => {
                        out.errors.push(format!("tenant {}: {e}", tenant.as_str()));
                        continue;
                    }
                };
                out.listed.push((tenant.clone(), lang));
                for (ns, file) in files {
                    for g in file.groups {
                        out.groups.push((
                            GroupKey {
                                tenant: tenant.clone(),
                                language: lang,
                                namespace: ns.clone(),
                                group: g.name.clone(),
                            },
                            g,
                        ));
                    }
                }
            }
        }
        Ok(out)
    }

    /// One pass at `now_ms`: every due group evaluated (up to `opts.concurrency` at once),
    /// then the state of removed groups cleaned up. Never fails as a whole: failures are in
    /// [`PassReport::errors`] and every other group still runs.
    pub async fn run_pass(&self, now_ms: i64) -> PassReport {
        let mut report = PassReport::default();
        let listing = match self.groups().await {
            Ok(l) => l,
            Err(e) => {
                report.errors.push(e);
                return report;
            }
        };
        report.errors.extend(listing.errors.iter().cloned());
        let groups = &listing.groups;
        report.groups = groups.len();
        // Collected first: a lazily mapped stream trips the `Send` check of spawned passes.
        let futs: Vec<_> = groups
            .iter()
            .map(|(key, group)| async move { (key, self.run_group(key, group, now_ms).await) })
            .collect();
        let mut runs = futures::stream::iter(futs).buffer_unordered(self.opts.concurrency.max(1));
        while let Some((key, run)) = runs.next().await {
            match run {
                Ok(run) => report.add(&run),
                Err(e) => report.errors.push(format!("{}: {e}", describe(key))),
            }
        }
        drop(runs);
        self.clean_removed(&listing, now_ms, &mut report).await;
        report
    }

    /// Runs passes until `deadline_ms` (wall clock), sleeping until the next slot in between:
    /// lets one invocation of a function scheduled every minute evaluate groups with shorter
    /// intervals. Returns the reports of every pass.
    pub async fn run_until(&self, deadline_ms: i64) -> Vec<PassReport> {
        let mut reports = Vec::new();
        loop {
            let report = self.run_pass(now_ms()).await;
            let next = report.next_due_ms;
            reports.push(report);
            let Some(next) = next else { break };
            if next >= deadline_ms {
                break;
            }
            let wait = (next - now_ms()).max(0) as u64;
            tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
        }
        reports
    }

    /// States of groups no longer in the rules store: their series get stale markers (as
    /// Prometheus marks a removed group's series stale) and the state is deleted. Only tenants
    /// and languages listed completely are looked at, so a failed listing never reads as
    /// "every group removed".
    async fn clean_removed(&self, listing: &Listing, now_ms: i64, report: &mut PassReport) {
        let live: std::collections::HashSet<&GroupKey> =
            listing.groups.iter().map(|(k, _)| k).collect();
        for (tenant, lang) in &listing.listed {
            let stored = match self.states.list_groups(tenant, *lang).await {
                Ok(s) => s,
                Err(e) => {
                    report.errors.push(e.to_string());
                    continue;
                }
            };
            for (namespace, group) in stored {
                let key = GroupKey {
                    tenant: tenant.clone(),
                    language: *lang,
                    namespace,
                    group,
                };
                if live.contains(&key) {
                    continue;
                }
                match group::remove(self, &key, now_ms).await {
                    Ok(()) => report.removed_groups += 1,
                    Err(e) => report.errors.push(format!("{}: {e}", describe(&key))),
                }
            }
        }
    }
}

/// What [`Ruler::groups`] found.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    /// Every group with its key.
    pub groups: Vec<(GroupKey, RuleGroup)>,
    /// `(tenant, language)` pairs listed completely.
    pub listed: Vec<(lakewatch_model::TenantId, ExprLanguage)>,
    /// Tenants and languages whose listing failed, with the reason.
    pub errors: Vec<String>,
}

/// `tenant/language/namespace/group` for messages.
pub fn describe(key: &GroupKey) -> String {
    format!(
        "group {:?} of namespace {:?} ({}, tenant {})",
        key.group,
        key.namespace,
        crate::store::language_dir(key.language),
        key.tenant.as_str()
    )
}

/// Wall-clock now in ms since the epoch.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
