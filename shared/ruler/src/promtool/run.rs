//! One `tests` entry of a unit-test file (promtool `testGroup.test`). Times in ms from 0.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use lakewatch_model::{FloatHistogram, Labels, Sample, TimeSeries};
use lakewatch_promql::promqltest::series::{parse_metric, parse_values, SeqValue};
use lakewatch_promql::{Engine, EngineOptions, MemStorage};

use crate::alert::AlertState;
use crate::eval::{
    evaluate_group, promql_instant_query, EvalContext, GroupState, QuerySource, RuleKind,
};
use crate::rules::{format_duration, go_quote, parse_rule_file, ExprLanguage, RuleGroup};

use super::file::{DurationMs, TestGroup};
use super::format::{alerts_string, go_duration, go_float_e, indent_lines, labels_string};

/// Model-duration text (`5m`, `1h30m`, `0s`) of ms.
fn model_duration(ms: i64) -> String {
    format_duration(std::time::Duration::from_millis(ms.max(0) as u64))
}

/// An input series and how many of its samples are already in the storage.
struct Input {
    labels: Labels,
    values: Vec<SeqValue>,
    next: usize,
}

/// Appends every input sample (sample `i` at `start_ms + i * step_ms`) at or before `till_ms`
/// not yet loaded (promqltest `LazyLoader.WithSamplesTill`).
fn load_till(
    storage: &mut MemStorage,
    inputs: &mut [Input],
    start_ms: i64,
    step_ms: i64,
    till_ms: i64,
) {
    for inp in inputs.iter_mut() {
        let mut ts = TimeSeries {
            labels: inp.labels.clone(),
            ..Default::default()
        };
        while inp.next < inp.values.len() {
            let t = start_ms + inp.next as i64 * step_ms;
            if t > till_ms {
                break;
            }
            let v = &inp.values[inp.next];
            inp.next += 1;
            if v.omitted {
                continue;
            }
            match &v.histogram {
                Some(h) => ts.histograms.push((t, h.clone())),
                None => ts.samples.push(Sample {
                    timestamp_ms: t,
                    value: v.value,
                }),
            }
        }
        if !ts.samples.is_empty() || !ts.histograms.is_empty() {
            storage.append(ts);
        }
    }
}

fn parse_inputs(tg: &TestGroup) -> Result<Vec<Input>, String> {
    let mut out = Vec::new();
    for is in &tg.input_series {
        let (labels, rest) = parse_metric(&is.series)
            .map_err(|e| format!("error parsing series {}: {e}", go_quote(&is.series)))?;
        if !rest.trim().is_empty() {
            return Err(format!(
                "error parsing series {}: unexpected {}",
                go_quote(&is.series),
                go_quote(rest.trim())
            ));
        }
        let values = parse_values(&is.values).map_err(|e| {
            format!(
                "error parsing values {} of series {}: {e}",
                go_quote(&is.values),
                go_quote(&is.series)
            )
        })?;
        out.push(Input {
            labels,
            values,
            next: 0,
        });
    }
    Ok(out)
}

/// Loads the rule files (`file: error` per problem, as Prometheus's `LoadGroups`).
fn load_groups(files: &[PathBuf]) -> Result<Vec<RuleGroup>, Vec<String>> {
    let mut groups = Vec::new();
    let mut errs = Vec::new();
    for f in files {
        let text = match std::fs::read_to_string(f) {
            Ok(t) => t,
            Err(e) => {
                errs.push(format!("{}: {e}", f.display()));
                continue;
            }
        };
        match parse_rule_file(&text, ExprLanguage::PromQL) {
            Ok(rf) => groups.extend(rf.groups),
            Err(es) => errs.extend(es.into_iter().map(|e| format!("{}: {e}", f.display()))),
        }
        if !errs.is_empty() {
            return Err(errs);
        }
    }
    Ok(groups)
}

type AlertList = Vec<(Labels, Labels)>;

/// Runs one test group; returns its failure messages.
pub(crate) fn run_test_group(
    tg: &TestGroup,
    eval_interval_ms: i64,
    order: &HashMap<String, usize>,
    rule_files: &[PathBuf],
    fuzzy: bool,
) -> Vec<String> {
    let step_ms = tg.interval.map_or(eval_interval_ms, |d| d.0);
    let mut inputs = match parse_inputs(tg) {
        Ok(i) => i,
        Err(e) => return vec![e],
    };
    let mut groups = match load_groups(rule_files) {
        Ok(g) => g,
        Err(e) => return e,
    };
    groups.sort_by_key(|g| order.get(&g.name).copied().unwrap_or(0));
    let mut states: Vec<GroupState> = vec![GroupState::default(); groups.len()];

    let engine = Engine::new(EngineOptions {
        max_samples: 10_000,
        default_subquery_step: std::time::Duration::from_millis(eval_interval_ms.max(1) as u64),
        ..Default::default()
    });
    let external_labels = Labels::from_pairs(tg.external_labels.clone());

    let test_name = if tg.name.is_empty() {
        String::new()
    } else {
        format!("    name: {},\n", tg.name)
    };

    // Alert tests by eval time.
    let mut alert_tests: BTreeMap<DurationMs, Vec<usize>> = BTreeMap::new();
    let mut alerts_in_test: BTreeMap<DurationMs, BTreeSet<&str>> = BTreeMap::new();
    for (i, at) in tg.alert_rule_test.iter().enumerate() {
        if at.alertname.is_empty() {
            let in_group = if tg.name.is_empty() {
                String::new()
            } else {
                format!(" (in TestGroup {})", tg.name)
            };
            return vec![format!(
                "an item under alert_rule_test misses required attribute alertname at eval_time {}{in_group}",
                model_duration(at.eval_time.0)
            )];
        }
        alert_tests.entry(at.eval_time).or_default().push(i);
        alerts_in_test
            .entry(at.eval_time)
            .or_default()
            .insert(&at.alertname);
    }
    let alert_times: Vec<DurationMs> = alert_tests.keys().copied().collect();
    let max_t = tg
        .alert_rule_test
        .iter()
        .map(|a| a.eval_time.0)
        .chain(tg.promql_expr_test.iter().map(|p| p.eval_time.0))
        .max()
        .unwrap_or(0);

    let mint = tg.start_timestamp.map_or(0, |s| s.0);
    let mut storage = MemStorage::new();
    let mut errs = Vec::new();
    let mut curr = 0usize;
    let mut ts = mint;
    while ts <= mint + max_t {
        load_till(&mut storage, &mut inputs, mint, step_ms, ts);
        let mut eval_errs = Vec::new();
        for (g, state) in groups.iter().zip(states.iter_mut()) {
            let outcome = {
                let mut ctx = EvalContext::new(
                    ts,
                    QuerySource::PromQL {
                        engine: &engine,
                        storage: &storage,
                    },
                );
                ctx.external_labels = external_labels.clone();
                ctx.external_url = tg.external_url.clone();
                ctx.default_interval_ms = step_ms;
                evaluate_group(g, state, &ctx)
            };
            for s in outcome.to_series() {
                storage.append(s);
            }
            for r in &state.rules {
                if let Some(e) = &r.last_error {
                    eval_errs.push(format!(
                        "    rule: {}, time: {}, err: {e}",
                        r.name,
                        go_duration(ts)
                    ));
                }
            }
        }
        if !eval_errs.is_empty() {
            errs.extend(eval_errs);
            return errs;
        }

        while curr < alert_times.len()
            && ts - mint <= alert_times[curr].0
            && alert_times[curr].0 < ts - mint + eval_interval_ms
        {
            let t = alert_times[curr];
            let present = &alerts_in_test[&t];
            let mut got: HashMap<&str, AlertList> = HashMap::new();
            for state in &states {
                for r in &state.rules {
                    if r.kind != RuleKind::Alerting || !present.contains(r.name.as_str()) {
                        continue;
                    }
                    let list = got
                        .entry(present.get(r.name.as_str()).copied().unwrap_or(""))
                        .or_default();
                    for a in r.active_alerts() {
                        if a.state == AlertState::Firing {
                            list.push((a.labels.clone(), a.annotations.clone()));
                        }
                    }
                }
            }
            for &i in &alert_tests[&t] {
                let tc = &tg.alert_rule_test[i];
                let mut got_alerts = got.get(tc.alertname.as_str()).cloned().unwrap_or_default();
                let mut exp_alerts: AlertList = tc
                    .exp_alerts
                    .iter()
                    .map(|a| {
                        let mut l = a.exp_labels.clone();
                        l.insert("alertname".into(), tc.alertname.clone());
                        (
                            Labels::from_pairs(l),
                            Labels::from_pairs(a.exp_annotations.clone()),
                        )
                    })
                    .collect();
                got_alerts.sort();
                exp_alerts.sort();
                if exp_alerts != got_alerts {
                    errs.push(format!(
                        "{test_name}    alertname: {}, time: {}, \n        exp:{}, \n        got:{}",
                        tc.alertname,
                        model_duration(tc.eval_time.0),
                        indent_lines(&alerts_string(&exp_alerts), "            "),
                        indent_lines(&alerts_string(&got_alerts), "            "),
                    ));
                }
            }
            curr += 1;
        }
        ts += eval_interval_ms.max(1);
    }

    for tc in &tg.promql_expr_test {
        let got = match promql_instant_query(&engine, &storage, &tc.expr, mint + tc.eval_time.0) {
            Ok(v) => v,
            Err(e) => {
                errs.push(format!(
                    "    expr: {}, time: {}, err: {e}",
                    go_quote(&tc.expr),
                    model_duration(tc.eval_time.0)
                ));
                continue;
            }
        };
        let mut got: Vec<Parsed> = got
            .into_iter()
            .map(|s| Parsed {
                labels: s.labels,
                value: if s.histogram.is_some() { 0.0 } else { s.value },
                histogram: s.histogram,
            })
            .collect();
        let mut exp = Vec::new();
        let mut bad = None;
        for s in &tc.exp_samples {
            match parse_exp_sample(&s.labels, &s.histogram) {
                Ok((labels, histogram)) => exp.push(Parsed {
                    labels,
                    value: s.value,
                    histogram,
                }),
                Err(e) => {
                    bad = Some(format!(
                        "    expr: {}, time: {}, err: labels {}: {e}",
                        go_quote(&tc.expr),
                        model_duration(tc.eval_time.0),
                        go_quote(&s.labels)
                    ));
                    break;
                }
            }
        }
        if let Some(b) = bad {
            errs.push(b);
            continue;
        }
        exp.sort_by(|a, b| a.labels.cmp(&b.labels));
        got.sort_by(|a, b| a.labels.cmp(&b.labels));
        let equal = exp.len() == got.len()
            && exp.iter().zip(&got).all(|(e, g)| {
                e.labels == g.labels
                    && e.histogram == g.histogram
                    && float_eq(e.value, g.value, fuzzy)
            });
        if !equal {
            errs.push(format!(
                "    expr: {}, time: {},\n        exp: {}\n        got: {}",
                go_quote(&tc.expr),
                model_duration(tc.eval_time.0),
                samples_string(&exp),
                samples_string(&got)
            ));
        }
    }
    errs
}

/// `==` (NaN never equal, as Go), or within one ULP with `fuzzy_compare`.
fn float_eq(a: f64, b: f64, fuzzy: bool) -> bool {
    if a == b {
        return true;
    }
    if !fuzzy || a.is_nan() || b.is_nan() || a.is_infinite() || b.is_infinite() {
        return false;
    }
    let next_up = |x: f64| {
        if x == 0.0 {
            f64::from_bits(1)
        } else if x > 0.0 {
            f64::from_bits(x.to_bits() + 1)
        } else {
            f64::from_bits(x.to_bits() - 1)
        }
    };
    let next_down = |x: f64| -next_up(-x);
    next_up(a) == b || next_down(a) == b
}

struct Parsed {
    labels: Labels,
    value: f64,
    histogram: Option<FloatHistogram>,
}

fn parse_exp_sample(
    labels: &str,
    histogram: &str,
) -> Result<(Labels, Option<FloatHistogram>), String> {
    let (l, rest) = parse_metric(labels)?;
    if !rest.trim().is_empty() {
        return Err(format!("unexpected {}", go_quote(rest.trim())));
    }
    if histogram.is_empty() {
        return Ok((l, None));
    }
    let vals = parse_values(histogram)?;
    match vals.as_slice() {
        [one] => match &one.histogram {
            Some(h) => Ok((l, Some(h.clone()))),
            None => Err(format!("expected histogram, got {histogram}")),
        },
        _ => Err(format!("expected 1 value, got {}", vals.len())),
    }
}

/// promtool's `parsedSamplesString`: `nil` or `{labels} 1E+00, …`.
fn samples_string(v: &[Parsed]) -> String {
    if v.is_empty() {
        return "nil".into();
    }
    v.iter()
        .map(|p| match &p.histogram {
            Some(h) => format!("{} {h:?}", labels_string(&p.labels)),
            None => format!("{} {}", labels_string(&p.labels), go_float_e(p.value)),
        })
        .collect::<Vec<_>>()
        .join(", ")
}
