//! One evaluation of a rule group at a time, exactly as Prometheus's `rules/group.go`
//! (`Group.Eval`), `rules/alerting.go` and `rules/recording.go`.
//!
//! Units: every time is **milliseconds since the epoch**, every duration **milliseconds**.
//!
//! - Rules run in file order. Each rule queries at `time_ms - query_offset` (the group's
//!   `query_offset`, else [`EvalContext::query_offset_ms`]); its output samples carry that time.
//!   With [`QuerySource::PromQL`] the samples written by earlier rules of the same evaluation
//!   are visible to later rules (Prometheus commits each rule's samples before the next rule).
//! - A failing rule (unparsable or failing query, duplicate label sets, `limit` exceeded) gets
//!   health `err` and `lastError`; the other rules are still evaluated. A failing rule writes
//!   nothing and its previous series are not marked stale (as Prometheus).
//! - Alerting rules: labels = series labels minus `__name__` + templated rule labels +
//!   `alertname`; annotations templated with `$labels` / `$value`; new → pending at `activeAt`
//!   → firing once `for` has elapsed; gone → resolved (`inactive`, kept 15 minutes for
//!   re-sending) unless `keep_firing_for` holds it; `ALERTS{alertstate}` = 1 and
//!   `ALERTS_FOR_STATE` = `activeAt` in seconds for every pending/firing alert.
//! - Recording rules: results renamed to `record`, rule labels applied.
//! - Series a rule wrote at its previous evaluation but not now get a stale marker
//!   (`lakewatch_model::STALE_NAN_BITS`), so do the series of rules removed from the group.
//!
//! [`send`] decides which alerts to (re)send to Alertmanager.

mod alerting;
mod query;
mod recording;
pub mod send;
mod state;

use std::time::Instant;

use lakewatch_model::{FloatHistogram, Labels, Sample, TimeSeries, STALE_NAN_BITS};
use lakewatch_promql::InstantSample;

use crate::rules::RuleGroup;

pub use alerting::{ERR_DUPLICATE_ALERT_LABELSET, RESOLVED_RETENTION_MS};
pub use query::{promql_instant_query, CheckedQueryable, InstantQueryFn, QuerySource};
pub use recording::ERR_DUPLICATE_RECORDING_LABELSET;
pub use send::{
    alerts_to_send, mark_sent, needs_sending, record_sent, rule_alerts_to_send, valid_until,
    DEFAULT_RESEND_DELAY_MS,
};
pub use state::{effective_labels, GroupState, RuleHealth, RuleKind, RuleState};

/// Prometheus's default global `evaluation_interval`: 1 minute.
pub const DEFAULT_INTERVAL_MS: i64 = 60_000;

/// Everything an evaluation needs besides the group and its state.
#[derive(Debug, Clone)]
pub struct EvalContext<'a> {
    /// The evaluation time (ms since the epoch): the group's scheduled slot.
    pub time_ms: i64,
    /// Where expressions are evaluated.
    pub source: QuerySource<'a>,
    /// Global external labels (`$externalLabels` in templates; the notifier adds them to sent
    /// alerts, they are not part of the alert's labels).
    pub external_labels: Labels,
    /// `--web.external-url` (`$externalURL` in templates).
    pub external_url: String,
    /// Default query offset (ms) for groups without `query_offset` (Prometheus global
    /// `rule_query_offset`, default 0).
    pub query_offset_ms: i64,
    /// Default interval (ms) for groups without `interval` (global `evaluation_interval`).
    pub default_interval_ms: i64,
}

impl<'a> EvalContext<'a> {
    /// A context at `time_ms` with no external labels/URL, no query offset and the 1 m
    /// default interval.
    pub fn new(time_ms: i64, source: QuerySource<'a>) -> Self {
        EvalContext {
            time_ms,
            source,
            external_labels: Labels::default(),
            external_url: String::new(),
            query_offset_ms: 0,
            default_interval_ms: DEFAULT_INTERVAL_MS,
        }
    }
}

/// One sample a group evaluation writes: a recording rule's output, an `ALERTS` /
/// `ALERTS_FOR_STATE` sample or a stale marker (value with bits `STALE_NAN_BITS`).
#[derive(Debug, Clone, PartialEq)]
pub struct OutputSample {
    pub labels: Labels,
    /// ms since the epoch.
    pub timestamp_ms: i64,
    pub value: f64,
    /// A native-histogram result of a recording rule (`value` unused then).
    pub histogram: Option<FloatHistogram>,
}

impl OutputSample {
    /// Whether this is a staleness marker.
    pub fn is_stale(&self) -> bool {
        self.histogram.is_none() && self.value.to_bits() == STALE_NAN_BITS
    }

    /// As a one-sample [`TimeSeries`].
    pub fn to_series(&self) -> TimeSeries {
        let mut ts = TimeSeries {
            labels: self.labels.clone(),
            ..Default::default()
        };
        match &self.histogram {
            Some(h) => ts.histograms.push((self.timestamp_ms, h.clone())),
            None => ts.samples.push(Sample {
                timestamp_ms: self.timestamp_ms,
                value: self.value,
            }),
        }
        ts
    }
}

/// A rule that failed in this evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleError {
    /// Index of the rule in the group.
    pub index: usize,
    /// `alert` / `record` name.
    pub name: String,
    /// The message (also in [`RuleState::last_error`]).
    pub error: String,
}

/// What one group evaluation produced (the updated state is in the [`GroupState`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroupOutcome {
    /// Samples to append to storage, in rule order (stale markers of a rule after its samples;
    /// stale markers of removed rules last).
    pub samples: Vec<OutputSample>,
    /// Rules that failed.
    pub errors: Vec<RuleError>,
    /// Wall-clock duration of the evaluation (ms, fractional).
    pub evaluation_duration_ms: f64,
}

impl GroupOutcome {
    /// The samples as series, one per label set, samples sorted by time.
    pub fn to_series(&self) -> Vec<TimeSeries> {
        series_of(&self.samples)
    }
}

/// Samples grouped into series (first-appearance order), samples sorted by time.
fn series_of(samples: &[OutputSample]) -> Vec<TimeSeries> {
    let mut out: Vec<TimeSeries> = Vec::new();
    let mut index: std::collections::HashMap<&Labels, usize> = Default::default();
    for s in samples {
        let one = s.to_series();
        match index.get(&s.labels) {
            Some(&i) => {
                out[i].samples.extend(one.samples);
                out[i].histograms.extend(one.histograms);
            }
            None => {
                index.insert(&s.labels, out.len());
                out.push(one);
            }
        }
    }
    for ts in &mut out {
        ts.samples.sort_by_key(|x| x.timestamp_ms);
        ts.histograms.sort_by_key(|x| x.0);
    }
    out
}

/// `(expression, time ms) -> vector` as used inside one evaluation.
pub(crate) type DynQuery<'a> = &'a dyn Fn(&str, i64) -> Result<Vec<InstantSample>, String>;

/// What a rule evaluation sees (internal).
pub(crate) struct RuleEnv<'a> {
    pub time_ms: i64,
    pub query_offset_ms: i64,
    pub query: DynQuery<'a>,
    pub external_labels: &'a Labels,
    pub external_url: &'a str,
}

fn stale_marker(labels: Labels, timestamp_ms: i64) -> OutputSample {
    OutputSample {
        labels,
        timestamp_ms,
        value: f64::from_bits(STALE_NAN_BITS),
        histogram: None,
    }
}

fn duration_ms(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Evaluates every rule of `group` once at `ctx.time_ms`, updating `state` (alerts, health,
/// last error, durations, series for staleness) and returning the samples to write. Never
/// fails as a whole: rule failures are reported per rule (see the module docs).
pub fn evaluate_group(
    group: &RuleGroup,
    state: &mut GroupState,
    ctx: &EvalContext<'_>,
) -> GroupOutcome {
    let started = Instant::now();
    state.align(group);
    state.interval_ms = group
        .interval
        .map(duration_ms)
        .filter(|&ms| ms > 0)
        .unwrap_or(ctx.default_interval_ms);
    let offset_ms = group
        .query_offset
        .map(duration_ms)
        .unwrap_or(ctx.query_offset_ms);
    let sample_ts = ctx.time_ms - offset_ms;
    let limit = group.limit;

    let mut layer = query::Layer::default();
    let mut outcome = GroupOutcome::default();
    for (i, rule) in group.rules.iter().enumerate() {
        let rule_started = Instant::now();
        let name = state::rule_name(rule).to_string();
        let rule_labels = state.rules[i].labels.clone();
        let result = {
            let layer_ref = &layer;
            let query = |q: &str, t: i64| -> Result<Vec<InstantSample>, String> {
                match ctx.source {
                    QuerySource::PromQL { engine, storage } => {
                        let overlay = query::Overlay {
                            base: storage,
                            layer: layer_ref,
                        };
                        promql_instant_query(engine, &overlay, q, t)
                    }
                    QuerySource::CheckedPromQL { engine, storage } => {
                        let overlay = query::Overlay {
                            base: storage,
                            layer: layer_ref,
                        };
                        let _ = storage.take_error();
                        let res = promql_instant_query(engine, &overlay, q, t);
                        match storage.take_error() {
                            Some(e) => Err(e),
                            None => res,
                        }
                    }
                    QuerySource::Func(f) => f(q, t),
                }
            };
            let env = RuleEnv {
                time_ms: ctx.time_ms,
                query_offset_ms: offset_ms,
                query: &query,
                external_labels: &ctx.external_labels,
                external_url: &ctx.external_url,
            };
            if let Some(record) = &rule.record {
                recording::eval_recording(rule, record, &rule_labels, &env, limit)
            } else {
                alerting::eval_alerting(
                    rule,
                    &name,
                    &rule_labels,
                    &env,
                    limit,
                    &mut state.rules[i].alerts,
                )
            }
        };
        let rs = &mut state.rules[i];
        rs.last_evaluation_ms = Some(ctx.time_ms);
        match result {
            Err(error) => {
                rs.health = RuleHealth::Err;
                rs.last_error = Some(error.clone());
                outcome.errors.push(RuleError {
                    index: i,
                    name,
                    error,
                });
            }
            Ok(samples) => {
                rs.health = RuleHealth::Ok;
                rs.last_error = None;
                let mut returned: Vec<Labels> = samples.iter().map(|s| s.labels.clone()).collect();
                returned.sort();
                returned.dedup();
                let mut written = samples;
                for prev in &rs.series_in_previous_eval {
                    if returned.binary_search(prev).is_err() {
                        written.push(stale_marker(prev.clone(), sample_ts));
                    }
                }
                rs.series_in_previous_eval = returned;
                for ts in series_of(&written) {
                    layer.append(ts);
                }
                outcome.samples.extend(written);
            }
        }
        rs.evaluation_duration_ms = rule_started.elapsed().as_secs_f64() * 1000.0;
    }
    for labels in std::mem::take(&mut state.stale_series) {
        outcome.samples.push(stale_marker(labels, sample_ts));
    }
    let elapsed = started.elapsed().as_secs_f64() * 1000.0;
    state.last_evaluation_ms = Some(ctx.time_ms);
    state.evaluation_duration_ms = elapsed;
    outcome.evaluation_duration_ms = elapsed;
    outcome
}
