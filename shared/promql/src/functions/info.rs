//! `info(v, [selector])`: enriches series with the data labels of info series (default
//! `target_info`) sharing their identifying labels (`instance`, `job`), as Prometheus's
//! experimental `info` function. The info series are looked up at the same reference time as
//! the base samples (honouring `@` and offsets in the base expression).

use super::arg;
use crate::eval::{offset_ms, unwrap_parens, Evaluator};
use crate::types::{Sample, Steps, Val};
use crate::QueryError;
use lakewatch_model::{is_stale_nan, LabelMatcher, Labels, MatchOp, TimeSeries};
use promql_parser::label::MatchOp as PMatchOp;
use promql_parser::parser::{Call, Expr};
use std::collections::HashMap;
use std::sync::Arc;

const IDENTIFYING: [&str; 2] = ["instance", "job"];

/// The time the samples of `e` refer to when evaluated at `t` (ms).
fn ref_time(ev: &Evaluator, e: &Expr, t: i64) -> i64 {
    match unwrap_parens(e) {
        Expr::VectorSelector(vs) => ev.at_time(&vs.at).unwrap_or(t) - offset_ms(&vs.offset),
        Expr::MatrixSelector(ms) => ev.at_time(&ms.vs.at).unwrap_or(t) - offset_ms(&ms.vs.offset),
        Expr::Subquery(sq) => {
            let inner = ev.at_time(&sq.at).unwrap_or(t) - offset_ms(&sq.offset);
            ref_time(ev, &sq.expr, inner)
        }
        Expr::Call(c) => c
            .args
            .args
            .iter()
            .find(|a| {
                !matches!(
                    unwrap_parens(a),
                    Expr::NumberLiteral(_) | Expr::StringLiteral(_)
                )
            })
            .map(|a| ref_time(ev, a, t))
            .unwrap_or(t),
        Expr::Aggregate(a) => ref_time(ev, &a.expr, t),
        Expr::Unary(u) => ref_time(ev, &u.expr, t),
        Expr::Binary(b) => ref_time(ev, &b.lhs, t),
        _ => t,
    }
}

fn conv(m: &promql_parser::label::Matcher) -> Result<LabelMatcher, QueryError> {
    let op = match &m.op {
        PMatchOp::Equal => MatchOp::Equal,
        PMatchOp::NotEqual => MatchOp::NotEqual,
        PMatchOp::Re(_) => MatchOp::Regex,
        PMatchOp::NotRe(_) => MatchOp::NotRegex,
    };
    LabelMatcher::new(op, &m.name, &m.value).map_err(|e| QueryError::Parse(e.to_string()))
}

/// Latest non-stale float sample timestamp of `s` in `(t-lb, t]`.
fn present_at(s: &TimeSeries, t: i64, lb: i64) -> Option<i64> {
    let i = s.samples.partition_point(|x| x.timestamp_ms <= t);
    if i == 0 {
        return None;
    }
    let x = s.samples[i - 1];
    (x.timestamp_ms > t - lb && !is_stale_nan(x.value)).then_some(x.timestamp_ms)
}

/// Values of the identifying labels (`instance`, `job`).
type IdSig = (String, String);

fn id_sig(l: &Labels) -> IdSig {
    (
        l.get(IDENTIFYING[0]).unwrap_or("").to_string(),
        l.get(IDENTIFYING[1]).unwrap_or("").to_string(),
    )
}

/// The info-series matchers of an `info()` call: `(name matchers, data-label matchers)`.
/// Without a `__name__` matcher the info metric is `target_info`; with only negative ones the
/// candidates are restricted to `*_info` metrics.
pub(crate) fn info_matchers(
    c: &Call,
) -> Result<(Vec<LabelMatcher>, Vec<LabelMatcher>), QueryError> {
    let named = |op: MatchOp, v: &str| {
        LabelMatcher::new(op, "__name__", v).map_err(|e| QueryError::Parse(e.to_string()))
    };
    let mut name_m: Vec<LabelMatcher> = Vec::new();
    let mut data_m: Vec<LabelMatcher> = Vec::new();
    if let Some(sel) = c.args.args.get(1) {
        if let Expr::VectorSelector(vs) = unwrap_parens(sel) {
            if let Some(n) = &vs.name {
                name_m.push(named(MatchOp::Equal, n)?);
            }
            for m in &vs.matchers.matchers {
                if m.name == "__name__" {
                    name_m.push(conv(m)?);
                } else {
                    data_m.push(conv(m)?);
                }
            }
        }
    }
    let has_positive = name_m
        .iter()
        .any(|m| matches!(m.op, MatchOp::Equal | MatchOp::Regex));
    if !name_m.is_empty() && !has_positive {
        name_m.push(named(MatchOp::Regex, ".+_info")?);
    }
    if name_m.is_empty() {
        name_m.push(named(MatchOp::Equal, "target_info")?);
    }
    Ok((name_m, data_m))
}

/// Evaluates `info()` at every step.
pub(crate) fn eval(ev: &mut Evaluator, c: &Call, steps: &Steps) -> Result<Val, QueryError> {
    let base_e = arg(c, 0)?;
    let base = ev.eval_vector(base_e, steps)?;
    let (name_m, data_m) = info_matchers(c)?;
    let refs: Vec<i64> = steps.iter().map(|t| ref_time(ev, base_e, t)).collect();
    let lb = ev.opts.lookback_delta.as_millis() as i64;
    let (Some(&mint), Some(&maxt)) = (refs.iter().min(), refs.iter().max()) else {
        return Ok(Val::Vector(base));
    };
    let mut all_m = name_m.clone();
    all_m.extend(data_m.iter().cloned());
    let infos = ev.storage.select(&all_m, mint - lb + 1, maxt);
    for s in &infos {
        if !s.histograms.is_empty() {
            return Err(QueryError::Execution(format!(
                "this info metric is not a float series: {}",
                s.labels
            )));
        }
    }
    let empty_ok = data_m.iter().all(|m| m.matches(""));
    // Base series that are info series themselves (all positive name matchers match) pass
    // through unchanged.
    let positive: Vec<&LabelMatcher> = name_m
        .iter()
        .filter(|m| matches!(m.op, MatchOp::Equal | MatchOp::Regex))
        .collect();
    let mut out = Vec::with_capacity(base.len());
    for (k, vec) in base.into_iter().enumerate() {
        // Per identifying signature and info metric name: the series with the latest sample.
        let mut by_sig: HashMap<IdSig, HashMap<String, (i64, &Labels)>> = HashMap::new();
        for s in &infos {
            if let Some(ts) = present_at(s, refs[k], lb) {
                let name = s.labels.metric_name().unwrap_or("").to_string();
                let e = by_sig.entry(id_sig(&s.labels)).or_default();
                match e.get(&name) {
                    Some((t0, _)) if *t0 >= ts => {}
                    _ => {
                        e.insert(name, (ts, &s.labels));
                    }
                }
            }
        }
        let mut res = Vec::with_capacity(vec.len());
        for smp in vec {
            if !positive.is_empty() && name_m.iter().all(|m| m.matches_labels(&smp.metric)) {
                res.push(smp);
                continue;
            }
            let Some(found) = by_sig.get(&id_sig(&smp.metric)) else {
                if empty_ok {
                    res.push(smp);
                }
                continue;
            };
            let mut add: Vec<(String, String)> = Vec::new();
            let mut names: Vec<&String> = found.keys().collect();
            names.sort();
            for n in names {
                let il = found[n].1;
                for l in il.iter() {
                    if l.name == "__name__" || IDENTIFYING.contains(&l.name.as_str()) {
                        continue;
                    }
                    if !data_m.is_empty() && !data_m.iter().any(|m| m.name == l.name) {
                        continue;
                    }
                    if smp.metric.get(&l.name).is_some() {
                        continue;
                    }
                    match add.iter().find(|(k, _)| *k == l.name) {
                        Some((_, v)) if *v != l.value => {
                            return Err(QueryError::Execution(format!(
                                "conflicting label: {} has values {:?} and {:?}",
                                l.name, v, l.value
                            )))
                        }
                        Some(_) => {}
                        None => add.push((l.name.clone(), l.value.clone())),
                    }
                }
            }
            if add.is_empty() {
                res.push(smp);
                continue;
            }
            let mut l = (*smp.metric).clone();
            for (n, v) in add {
                l.set(&n, &v);
            }
            res.push(Sample {
                metric: Arc::new(l),
                ..smp
            });
        }
        out.push(res);
    }
    Ok(Val::Vector(out))
}
