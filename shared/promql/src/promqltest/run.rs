//! Executes parsed `.test` commands against [`MemStorage`] + [`Engine`] and checks results as
//! Prometheus `promqltest` does (`execInstantEval`, `execRangeEval`, `checkAnnotations`,
//! `compareResult`, and the range-mode equivalence check of instant evals).

use super::at_modifier::at_modifier_cases;
use super::compare::{almost_equal, histograms_match, EPSILON};
use super::nhcb::classic_to_nhcb;
use super::parse::{Command, EvalCmd, EvalKind, Expected, LoadCmd, TextMatch};
use super::series::SeqValue;
use super::tsdb_hints::emulate_tsdb_hints;
use crate::{Engine, EngineOptions, InstantSample, MemStorage, QueryError, QueryResult, Value};
use lakewatch_model::{FloatHistogram, Labels, Sample, TimeSeries};
use regex::Regex;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;
use std::time::Duration;

/// Outcome class of one eval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// `promql_parser::parser::parse` rejects the expression (not run).
    Unsupported,
    Passed,
    Failed,
}

/// Result of one eval block.
#[derive(Debug, Clone)]
pub struct EvalOutcome {
    /// 1-based line of the `eval` command in the file.
    pub line: usize,
    pub expr: String,
    pub status: Status,
    /// Why it failed / is unsupported (empty when passed).
    pub reason: String,
}

/// Runner switches.
#[derive(Debug, Clone, Copy)]
pub struct RunOptions {
    /// Also run each instant eval as a range query `[t-1m, t+1m]` step 1m and compare the
    /// middle step (as the Go runner does). Default on.
    pub range_mode_check: bool,
    /// Also re-run each instant eval with `@ <eval time>` set on every selector and subquery
    /// at other evaluation times (Go `atModifierTestCases`). Default on, as in the Go runner;
    /// the rewritten expression is printed with promql-parser's `Display` (`Inf` respelled
    /// `+Inf` as Go prints it).
    pub at_modifier_check: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            range_mode_check: true,
            at_modifier_check: true,
        }
    }
}

/// The engine configured as Prometheus `promqltest.NewTestEngine`: lookback 5m, max samples
/// 10000, default subquery step 1m.
pub fn test_engine() -> Engine {
    Engine::new(EngineOptions {
        lookback_delta: Duration::from_secs(300),
        max_samples: 10_000,
        max_series: 0,
        default_subquery_step: Duration::from_secs(60),
    })
}

/// Runs every command in order; returns one outcome per eval (and per invalid block).
pub fn run_commands(cmds: &[Command], engine: &Engine, opts: RunOptions) -> Vec<EvalOutcome> {
    let mut storage = MemStorage::new();
    let mut out = Vec::new();
    for cmd in cmds {
        match cmd {
            Command::Clear => storage = MemStorage::new(),
            Command::Load(l) => load(&mut storage, l),
            Command::Invalid { line, expr, error } => out.push(EvalOutcome {
                line: *line,
                expr: expr.clone().unwrap_or_default(),
                status: Status::Failed,
                reason: format!("test file parse error: {error}"),
            }),
            Command::Eval(e) => {
                let (status, reason) = if let Err(pe) = promql_parser::parser::parse(&e.expr) {
                    (Status::Unsupported, format!("promql-parser: {pe}"))
                } else {
                    match catch_unwind(AssertUnwindSafe(|| run_eval(e, &storage, engine, opts))) {
                        Ok(Ok(())) => (Status::Passed, String::new()),
                        Ok(Err(r)) => (Status::Failed, r),
                        Err(p) => {
                            let msg = p
                                .downcast_ref::<String>()
                                .cloned()
                                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                                .unwrap_or_default();
                            (Status::Failed, format!("engine panicked: {msg}"))
                        }
                    }
                };
                out.push(EvalOutcome {
                    line: e.line,
                    expr: e.expr.clone(),
                    status,
                    reason,
                });
            }
        }
    }
    out
}

fn load(storage: &mut MemStorage, cmd: &LoadCmd) {
    for (labels, vals) in &cmd.series {
        let mut ts = to_series(labels, vals, cmd.step_ms);
        emulate_tsdb_hints(&mut ts);
        storage.append(ts);
    }
    if cmd.with_nhcb {
        for mut ts in classic_to_nhcb(&cmd.series, cmd.step_ms) {
            emulate_tsdb_hints(&mut ts);
            storage.append(ts);
        }
    }
}

fn to_series(labels: &Labels, vals: &[SeqValue], step_ms: i64) -> TimeSeries {
    let mut ts = TimeSeries {
        labels: labels.clone(),
        ..Default::default()
    };
    for (i, v) in vals.iter().enumerate() {
        let t = i as i64 * step_ms;
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
    ts
}

fn query_context_funcs() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"(start|end|range|step)\(\)").expect("static regex"))
}

fn run_eval(
    cmd: &EvalCmd,
    storage: &MemStorage,
    engine: &Engine,
    opts: RunOptions,
) -> Result<(), String> {
    match cmd.kind {
        EvalKind::Range {
            start_ms,
            end_ms,
            step_ms,
        } => {
            let res = engine.range_query(&cmd.expr, start_ms, end_ms, step_ms, storage);
            let Some(res) = check_error(cmd, res)? else {
                return Ok(());
            };
            check_annotations(cmd, &res.annotations.warnings, &res.annotations.infos)?;
            compare_result(cmd, &res.value)
        }
        EvalKind::Instant { at_ms } => {
            run_instant(cmd, &cmd.expr, at_ms, storage, engine, opts)?;
            if opts.at_modifier_check {
                for (expr, t) in at_modifier_cases(&cmd.expr, at_ms) {
                    run_instant(cmd, &expr, t, storage, engine, opts)
                        .map_err(|e| format!("@-modifier check `{expr}` at {t}ms: {e}"))?;
                }
            }
            Ok(())
        }
    }
}

/// Applies the `expect fail` rules; `Ok(None)` means "failed as expected".
fn check_error(
    cmd: &EvalCmd,
    res: Result<QueryResult, QueryError>,
) -> Result<Option<QueryResult>, String> {
    match (res, &cmd.fail) {
        (Err(e), Some(m)) => {
            if m.matches(&e.to_string()) {
                Ok(None)
            } else {
                Err(format!("expected error matching {m}, but got: {e}"))
            }
        }
        (Err(e), None) => Err(format!("error evaluating query: {e}")),
        (Ok(_), Some(_)) => Err("expected error evaluating query but got none".into()),
        (Ok(r), None) => Ok(Some(r)),
    }
}

/// One instant query plus the range-mode equivalence check (Go `runInstantQuery`).
fn run_instant(
    cmd: &EvalCmd,
    expr: &str,
    at_ms: i64,
    storage: &MemStorage,
    engine: &Engine,
    opts: RunOptions,
) -> Result<(), String> {
    let Some(res) = check_error(cmd, engine.instant_query(expr, at_ms, storage))? else {
        return Ok(());
    };
    check_annotations(cmd, &res.annotations.warnings, &res.annotations.infos)?;
    compare_result(cmd, &res.value)?;
    if !opts.range_mode_check
        || cmd.excluded_from_range_check()
        || query_context_funcs().is_match(expr)
    {
        return Ok(());
    }
    let rr = engine
        .range_query(expr, at_ms - 60_000, at_ms + 60_000, 60_000, storage)
        .map_err(|e| format!("range mode: error evaluating query: {e}"))?;
    if cmd.ordered {
        return Ok(());
    }
    let Value::Matrix(m) = &rr.value else {
        return Err("range mode: range query did not return a matrix".into());
    };
    assert_sorted(m.iter().map(|s| &s.labels))?;
    let mut vec = Vec::new();
    for s in m {
        if let Some((t, f)) = s.floats.iter().find(|p| p.0 == at_ms) {
            vec.push(InstantSample {
                labels: s.labels.clone(),
                timestamp_ms: *t,
                value: *f,
                histogram: None,
            });
        }
        if let Some((t, h)) = s.histograms.iter().find(|p| p.0 == at_ms) {
            vec.push(InstantSample {
                labels: s.labels.clone(),
                timestamp_ms: *t,
                value: 0.0,
                histogram: Some(h.clone()),
            });
        }
    }
    let as_value = if matches!(res.value, Value::Scalar { .. }) {
        let v = vec
            .first()
            .map(|s| s.value)
            .ok_or("range mode: no point at the evaluation time")?;
        Value::Scalar {
            timestamp_ms: at_ms,
            value: v,
        }
    } else {
        Value::Vector(vec)
    };
    compare_result(cmd, &as_value).map_err(|e| format!("range mode: {e}"))
}

fn check_annotations(cmd: &EvalCmd, warnings: &[String], infos: &[String]) -> Result<(), String> {
    if cmd.legacy_warn && warnings.is_empty() {
        return Err("expected warnings but got none".into());
    }
    if cmd.legacy_info && infos.is_empty() {
        return Err("expected info annotations but got none".into());
    }
    check_kind("warn", &cmd.warn, warnings, warnings, infos)?;
    check_kind("info", &cmd.info, infos, warnings, infos)?;
    if cmd.no_warn && !warnings.is_empty() {
        return Err(format!("unexpected warning annotations: {warnings:?}"));
    }
    if cmd.no_info && !infos.is_empty() {
        return Err(format!("unexpected info annotations: {infos:?}"));
    }
    Ok(())
}

fn check_kind(
    kind: &str,
    expected: &[TextMatch],
    actual: &[String],
    all_w: &[String],
    all_i: &[String],
) -> Result<(), String> {
    if expected.is_empty() {
        return Ok(());
    }
    if actual.is_empty() {
        return Err(format!("expected {kind} annotations but none were found"));
    }
    for e in expected {
        if !actual.iter().any(|a| e.matches(a)) {
            return Err(format!(
                "expected {kind} annotation matching {e} but none found; got warnings {all_w:?} infos {all_i:?}"
            ));
        }
    }
    for a in actual {
        if !expected.iter().any(|e| e.matches(a)) {
            return Err(format!("unexpected {kind} annotation {a:?}"));
        }
    }
    Ok(())
}

fn assert_sorted<'a>(mut it: impl Iterator<Item = &'a Labels>) -> Result<(), String> {
    let Some(mut prev) = it.next() else {
        return Ok(());
    };
    for l in it {
        if prev > l {
            return Err(format!(
                "matrix results should always be sorted by labels, but {l} sorts before {prev}"
            ));
        }
        prev = l;
    }
    Ok(())
}

fn fmt_hist(h: &FloatHistogram) -> String {
    h.test_expression()
}

fn expected_series(cmd: &EvalCmd) -> &[(usize, Labels, Vec<SeqValue>)] {
    match &cmd.expected {
        Expected::Series(s) => s,
        _ => &[],
    }
}

fn compare_result(cmd: &EvalCmd, val: &Value) -> Result<(), String> {
    let expect_scalar = matches!(cmd.expected, Expected::Scalar(_));
    let find = |l: &Labels| expected_series(cmd).iter().find(|(_, el, _)| el == l);
    match val {
        Value::Matrix(m) => {
            if cmd.ordered {
                return Err("expected ordered result, but query returned a matrix".into());
            }
            if expect_scalar {
                return Err("expected scalar result, but got matrix".into());
            }
            assert_sorted(m.iter().map(|s| &s.labels))?;
            // (start, end, step) used to map expected positions to timestamps.
            let (start, end, step) = match (cmd.kind, cmd.range_vector) {
                (_, Some(rv)) => rv,
                (
                    EvalKind::Range {
                        start_ms,
                        end_ms,
                        step_ms,
                    },
                    None,
                ) => (start_ms, end_ms, step_ms),
                (EvalKind::Instant { at_ms }, None) => (at_ms, i64::MIN, 0),
            };
            for s in m {
                let Some((_, _, vals)) = find(&s.labels) else {
                    return Err(format!(
                        "unexpected metric {} in result, has {} floats {:?} and {} histograms",
                        s.labels,
                        s.floats.len(),
                        s.floats,
                        s.histograms.len()
                    ));
                };
                let mut ef = Vec::new();
                let mut eh = Vec::new();
                for (i, e) in vals.iter().enumerate() {
                    let t = start + i as i64 * step;
                    if t > end {
                        return Err(format!(
                            "expected {} points for {}, but query time range cannot return this many points",
                            vals.len(),
                            s.labels
                        ));
                    }
                    if let Some(h) = &e.histogram {
                        eh.push((t, h, e.counter_reset_hint_set));
                    } else if !e.omitted {
                        ef.push((t, e.value));
                    }
                }
                if ef.len() != s.floats.len() || eh.len() != s.histograms.len() {
                    return Err(format!(
                        "expected {} float points and {} histogram points for {}, but got floats {:?} and histograms [{}]",
                        ef.len(),
                        eh.len(),
                        s.labels,
                        s.floats,
                        s.histograms
                            .iter()
                            .map(|(t, h)| format!("{} @[{t}]", fmt_hist(h)))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
                for (i, ((et, ev), (at, av))) in ef.iter().zip(&s.floats).enumerate() {
                    if et != at {
                        return Err(format!(
                            "expected float value at index {i} for {} to have timestamp {et}, but it had {at}",
                            s.labels
                        ));
                    }
                    if !almost_equal(*av, *ev, EPSILON) {
                        return Err(format!(
                            "expected float value at index {i} (t={at}) for {} to be {ev}, but got {av}",
                            s.labels
                        ));
                    }
                }
                for (i, ((et, eh, set), (at, ah))) in eh.iter().zip(&s.histograms).enumerate() {
                    if et != at {
                        return Err(format!(
                            "expected histogram value at index {i} for {} to have timestamp {et}, but it had {at}",
                            s.labels
                        ));
                    }
                    if !histograms_match(eh, ah, *set) {
                        return Err(format!(
                            "expected histogram value at index {i} (t={at}) for {} to be {}, but got {}",
                            s.labels,
                            fmt_hist(eh),
                            fmt_hist(ah)
                        ));
                    }
                }
            }
            for (_, l, _) in expected_series(cmd) {
                if !m.iter().any(|s| &s.labels == l) {
                    return Err(format!("expected metric {l} not found"));
                }
            }
        }
        Value::Vector(v) => {
            if expect_scalar {
                return Err(format!(
                    "expected scalar result, but got vector of {}",
                    v.len()
                ));
            }
            for (pos, s) in v.iter().enumerate() {
                let Some((epos, _, vals)) = find(&s.labels) else {
                    return Err(match &s.histogram {
                        Some(h) => format!(
                            "unexpected metric {} in result, has value {}",
                            s.labels,
                            fmt_hist(h)
                        ),
                        None => format!(
                            "unexpected metric {} in result, has value {}",
                            s.labels, s.value
                        ),
                    });
                };
                if cmd.ordered && *epos != pos + 1 {
                    return Err(format!(
                        "expected metric {} at position {epos} but was at {}",
                        s.labels,
                        pos + 1
                    ));
                }
                let e = vals
                    .first()
                    .ok_or_else(|| format!("expected line for {} has no value", s.labels))?;
                match (&e.histogram, &s.histogram) {
                    (None, Some(h)) => {
                        return Err(format!(
                            "expected float value {} for {} but got histogram {}",
                            e.value,
                            s.labels,
                            fmt_hist(h)
                        ))
                    }
                    (Some(h), None) => {
                        return Err(format!(
                            "expected histogram {} for {} but got float value {}",
                            fmt_hist(h),
                            s.labels,
                            s.value
                        ))
                    }
                    (Some(eh), Some(ah)) => {
                        if !histograms_match(eh, ah, e.counter_reset_hint_set) {
                            return Err(format!(
                                "expected {} for {} but got {}",
                                fmt_hist(eh),
                                s.labels,
                                fmt_hist(ah)
                            ));
                        }
                    }
                    (None, None) => {
                        if !almost_equal(e.value, s.value, EPSILON) {
                            return Err(format!(
                                "expected {} for {} but got {}",
                                e.value, s.labels, s.value
                            ));
                        }
                    }
                }
            }
            for (_, l, _) in expected_series(cmd) {
                if !v.iter().any(|s| &s.labels == l) {
                    return Err(format!("expected metric {l} not found"));
                }
            }
        }
        Value::Scalar { value, .. } => {
            let Expected::Scalar(e) = cmd.expected else {
                return Err(format!(
                    "expected vector or matrix result, but got scalar {value}"
                ));
            };
            if !almost_equal(e, *value, EPSILON) {
                return Err(format!("expected scalar {e} but got {value}"));
            }
        }
        Value::String { value, .. } => {
            let e = match &cmd.expected {
                Expected::String(s) => s.as_str(),
                _ => "",
            };
            if e != value {
                return Err(format!("expected string {e:?} but got {value:?}"));
            }
        }
    }
    Ok(())
}
