//! One evaluation of a recording rule, as Prometheus's `rules/recording.go`
//! (`RecordingRule.Eval`). Times in **ms**.

use std::collections::HashSet;

use lakewatch_model::{Labels, METRIC_NAME};

use crate::rules::Rule;

use super::{OutputSample, RuleEnv};

/// Prometheus's `ErrDuplicateRecordingLabelSet`.
pub const ERR_DUPLICATE_RECORDING_LABELSET: &str =
    "vector contains metrics with the same labelset after applying rule labels";

/// Evaluates `rule` (named `record`) at `env.time_ms - query_offset_ms`: every result sample is
/// renamed to `record`, gets the rule's labels (not templated), keeps the query's timestamp.
/// Errors: the query's error, duplicate label sets, `exceeded limit of L with N series`.
pub(crate) fn eval_recording(
    rule: &Rule,
    record: &str,
    rule_labels: &Labels,
    env: &RuleEnv<'_>,
    limit: u64,
) -> Result<Vec<OutputSample>, String> {
    let t = env.time_ms - env.query_offset_ms;
    let res = (env.query)(&rule.expr, t)?;
    let mut out = Vec::with_capacity(res.len());
    let mut seen: HashSet<Labels> = HashSet::with_capacity(res.len());
    let mut duplicate = false;
    for s in res {
        let mut labels = s.labels;
        labels.set(METRIC_NAME, record);
        for l in rule_labels.iter() {
            labels.set(&l.name, &l.value);
        }
        if !seen.insert(labels.clone()) {
            duplicate = true;
        }
        out.push(OutputSample {
            labels,
            timestamp_ms: s.timestamp_ms,
            value: s.value,
            histogram: s.histogram,
        });
    }
    if duplicate {
        return Err(ERR_DUPLICATE_RECORDING_LABELSET.to_string());
    }
    if limit > 0 && out.len() as u64 > limit {
        return Err(format!(
            "exceeded limit of {limit} with {} series",
            out.len()
        ));
    }
    Ok(out)
}
