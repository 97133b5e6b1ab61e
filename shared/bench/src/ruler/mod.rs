//! The `--ruler` benchmark: what one scheduled-ruler pass (`lakewatch_ruler::schedule`, the
//! `ruler` function; docs/ruler-schedule.md) costs in time and object-store requests.
//!
//! 1. Generated metrics ([`crate::gen`], `--series` over `--ruler-hours`, ending now) are
//!    written compacted to a `file://` store ([`crate::rest::lakewatch`]).
//! 2. The reference deployment's rule set over the generator's names ([`rules`]: 6 recording,
//!    8 alerting rules in 4 groups, `interval: 1m`) is stored for tenant `anonymous`.
//! 3. The ruler of `lakewatch_api::rules::querier::ruler` runs over an `App` on the store
//!    wrapped in [`ops::OpCounter`] (no Alertmanager: alerts are counted unsent). Each of
//!    `--reps` rounds starts from a fresh copy of the store as written (no rule state, no rule
//!    output) and, with `T` the data's last sample time:
//!    - a pass at `T − 5m`: every group due, no state (**first evaluation**);
//!    - passes at `T − 4m … T − 2m` (not measured), then a pass at `T − 1m`: every group due
//!      with its state of the previous slot (**due pass**, steady state);
//!    - each group alone at `T` (`Ruler::run_group`, one after another): **per due group**
//!      time, evaluation time and requests; `for: 5m` alerts active since `T − 5m` fire here;
//!    - a pass at `T`: nothing due (**not-due pass**), then each group alone again (**per
//!      not-due group**).
//!
//!    Times are medians over the rounds, request counts field-wise medians.
//!
//! Prints a Markdown table (stdout); progress on stderr. Method and results: docs/benchmarks.md.

pub mod ops;
pub mod report;
pub mod rules;

use crate::{gen, log, now_ms, rest, Args};
use lakewatch_api::{App, QueryConfig};
use lakewatch_model::TenantId;
use lakewatch_ruler::alert::AlertState;
use lakewatch_ruler::notifier::{Notifier, NotifierConfig};
use lakewatch_ruler::rules::{ExprLanguage, RuleGroup};
use lakewatch_ruler::schedule::{GroupRun, PassReport, Ruler, RulerOptions};
use lakewatch_ruler::state_store::GroupKey;
use lakewatch_ruler::store::RulesStore;
use lakewatch_storage::{AuthConfig, Store};
use ops::{OpCounter, Ops};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;
use tokio::runtime::Runtime;

/// Evaluation interval of every group (ms).
const INTERVAL_MS: i64 = 60_000;
/// Evaluations before the measured one at `T` (`for: 5m` alerts fire at `T`).
const HISTORY: i64 = 5;

/// One measured pass.
#[derive(Debug, Clone, Default)]
pub struct PassRun {
    /// Wall time (ms).
    pub ms: f64,
    pub ops: Ops,
    pub report: PassReport,
}

/// One group run alone.
#[derive(Debug, Clone, Default)]
pub struct GroupMeasure {
    /// Wall time of `run_group` (ms): state read, lease, evaluation, write, state write.
    pub ms: f64,
    /// The group's own evaluation time (`GroupState::evaluation_duration_ms`, ms).
    pub eval_ms: f64,
    pub ops: Ops,
    pub samples: usize,
    /// Alerts due for sending that no Alertmanager took (none is configured).
    pub alerts_unsent: usize,
    pub failed_rules: usize,
    pub due: bool,
}

/// Everything measured, per round.
#[derive(Debug, Clone, Default)]
pub struct RulerResults {
    pub series: usize,
    pub samples: usize,
    pub hours: f64,
    pub objects: usize,
    pub object_bytes: u64,
    pub offset: String,
    /// `(namespace, group name, rules)` in listing order.
    pub groups: Vec<(String, String, usize)>,
    pub first: Vec<PassRun>,
    pub due: Vec<PassRun>,
    pub not_due: Vec<PassRun>,
    /// Per round, per group (listing order).
    pub group_due: Vec<Vec<GroupMeasure>>,
    pub group_not_due: Vec<Vec<GroupMeasure>>,
    /// Alerts pending / firing after the evaluation at `T` (last round).
    pub pending: usize,
    pub firing: usize,
    /// Rules with health `err` after the evaluation at `T`, with their error.
    pub rule_errors: Vec<String>,
}

/// Runs the ruler benchmark (see the module docs) and prints the report.
pub fn run(args: &Args, work: &Path) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let t = Instant::now();
    let d = gen::generate(args.series, args.ruler_hours, now_ms(), args.seed);
    log(format!(
        "generated {} series, {} samples over {} h in {:.1}s",
        d.series.len(),
        d.samples(),
        args.ruler_hours,
        t.elapsed().as_secs_f64()
    ));
    let dir = work.join("ruler-store");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let plain = Store::from_url(&format!("file://{}", dir.display())).map_err(|e| e.to_string())?;
    let tenant = TenantId::anonymous();
    log("writing L0 objects and compacting");
    let lw = rt.block_on(rest::lakewatch(
        &plain,
        &tenant,
        gen::requests(&d, 2000, 0),
        &d.metadata(),
    ))?;
    let offset = rules::offset_for(args.ruler_hours);
    let mut res = RulerResults {
        series: d.series.len(),
        samples: d.samples(),
        hours: args.ruler_hours,
        objects: lw.levels.iter().map(|l| l.1).sum(),
        object_bytes: lw.object_bytes,
        offset: offset.clone(),
        ..Default::default()
    };

    let rules_store = RulesStore::new(plain.clone());
    for (ns, g) in rules::groups(&offset)? {
        rt.block_on(rules_store.set_group(&tenant, ExprLanguage::PromQL, &ns, g))
            .map_err(|e| format!("storing rules: {e}"))?;
    }

    let end = d.max_time_ms;
    let reps = args.reps.max(1);
    let round_dir = work.join("ruler-round");
    for rep in 0..reps {
        log(format!("round {}/{reps}", rep + 1));
        // Fresh state and the same objects every round: a copy of the store as written.
        let _ = std::fs::remove_dir_all(&round_dir);
        copy_dir(&dir, &round_dir).map_err(|e| format!("copying the store: {e}"))?;
        let round = Store::from_url(&format!("file://{}", round_dir.display()))
            .map_err(|e| e.to_string())?;
        let counter = Arc::new(OpCounter::new(round.object_store().clone()));
        let ruler = ruler_over(&rt, Store::new(counter.clone(), ""))?;
        let groups = rt.block_on(ruler.groups())?.groups;
        res.groups = groups
            .iter()
            .map(|(k, g)| (k.namespace.clone(), g.name.clone(), g.rules.len()))
            .collect();
        counter.take();
        res.first
            .push(pass(&rt, &ruler, &counter, end - HISTORY * INTERVAL_MS));
        for k in 1..HISTORY - 1 {
            rt.block_on(ruler.run_pass(end - (HISTORY - k) * INTERVAL_MS));
        }
        counter.take();
        res.due.push(pass(&rt, &ruler, &counter, end - INTERVAL_MS));
        res.group_due
            .push(each_group(&rt, &ruler, &counter, &groups, end));
        res.not_due.push(pass(&rt, &ruler, &counter, end));
        res.group_not_due
            .push(each_group(&rt, &ruler, &counter, &groups, end));
        if rep + 1 == reps {
            alert_states(&rt, &ruler, &groups, &mut res);
        }
    }
    let _ = std::fs::remove_dir_all(&round_dir);
    if let Some(r) = res.due.last() {
        log(format!("  last due pass: {:?}", r.report));
    }
    println!("{}", report::render(args, &res));
    Ok(())
}

/// The ruler of `lakewatch dev` and the `ruler` function over `store`: an `App` with default
/// query settings, a notifier without Alertmanagers, default options.
fn ruler_over(rt: &Runtime, store: Store) -> Result<Ruler, String> {
    let app = App::new(store, AuthConfig::disabled(), QueryConfig::default());
    let notifier = Notifier::new(NotifierConfig::default()).map_err(|e| e.to_string())?;
    let _guard = rt.enter();
    Ok(lakewatch_api::rules::querier::ruler(
        app,
        notifier,
        RulerOptions::default(),
    ))
}

/// Copies the directory tree `from` to `to` (created).
fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// One `run_pass` at `now_ms`, timed and counted (the counter must be reset before).
fn pass(rt: &Runtime, ruler: &Ruler, counter: &OpCounter, now_ms: i64) -> PassRun {
    let t = Instant::now();
    let report = rt.block_on(ruler.run_pass(now_ms));
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    PassRun {
        ms,
        ops: counter.take(),
        report,
    }
}

/// Each group alone at `now_ms`, one after another, timed and counted; the evaluation time is
/// read back from the group's state afterwards (not counted).
fn each_group(
    rt: &Runtime,
    ruler: &Ruler,
    counter: &OpCounter,
    groups: &[(GroupKey, RuleGroup)],
    now_ms: i64,
) -> Vec<GroupMeasure> {
    groups
        .iter()
        .map(|(key, group)| {
            counter.take();
            let t = Instant::now();
            let run = rt.block_on(ruler.run_group(key, group, now_ms));
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            let ops = counter.take();
            let mut m = GroupMeasure {
                ms,
                ops,
                ..Default::default()
            };
            match run {
                Ok(GroupRun::Evaluated(e)) => {
                    m.due = true;
                    m.samples = e.samples_written;
                    m.failed_rules = e.failed_rules;
                    m.alerts_unsent = e.alerts_unsent;
                    if let Ok(Some(s)) = rt.block_on(ruler.states.get(key)) {
                        m.eval_ms = s.evaluation_duration_ms;
                    }
                    counter.take();
                }
                Ok(_) => {}
                Err(e) => log(format!("  group {}: {e}", group.name)),
            }
            m
        })
        .collect()
}

/// Counts pending and firing alerts and collects failed rules from the stored states.
fn alert_states(
    rt: &Runtime,
    ruler: &Ruler,
    groups: &[(GroupKey, RuleGroup)],
    res: &mut RulerResults,
) {
    for (key, _) in groups {
        let Ok(Some(state)) = rt.block_on(ruler.states.get(key)) else {
            continue;
        };
        for rule in &state.rules {
            if let Some(err) = &rule.last_error {
                res.rule_errors.push(format!("{}: {err}", rule.name));
            }
            for a in &rule.alerts {
                match a.state {
                    AlertState::Pending => res.pending += 1,
                    AlertState::Firing => res.firing += 1,
                    AlertState::Inactive => {}
                }
            }
        }
    }
}
