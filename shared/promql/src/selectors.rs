//! Vector and matrix selectors: one storage selection per selector over the whole needed
//! time range, then per-step slicing (lookback for instant selectors, `(t-range, t]` windows
//! for range selectors), as Prometheus's `vectorSelector`/`matrixSelector`.

use crate::eval::Evaluator;
use crate::types::{MSeries, MatrixArg, Sample, StepVec, Steps};
use crate::QueryError;
use lakewatch_model::{
    is_stale_nan, FloatHistogram, LabelMatcher, Labels, MatchOp, ResetHint, TimeSeries,
};
use promql_parser::label::MatchOp as PMatchOp;
use promql_parser::parser::{MatrixSelector, VectorSelector};
use std::collections::HashSet;
use std::sync::Arc;

/// The matcher groups of a selector (one group unless the parser's `or` extension is used),
/// each including the `__name__` matcher for a named selector.
pub(crate) fn matcher_groups(vs: &VectorSelector) -> Result<Vec<Vec<LabelMatcher>>, QueryError> {
    let conv = |m: &promql_parser::label::Matcher| -> Result<LabelMatcher, QueryError> {
        let op = match &m.op {
            PMatchOp::Equal => MatchOp::Equal,
            PMatchOp::NotEqual => MatchOp::NotEqual,
            PMatchOp::Re(_) => MatchOp::Regex,
            PMatchOp::NotRe(_) => MatchOp::NotRegex,
        };
        LabelMatcher::new(op, &m.name, &m.value)
            .map_err(|e| QueryError::Parse(format!("invalid regular expression: {e}")))
    };
    let mut base = Vec::new();
    if let Some(name) = &vs.name {
        base.push(
            LabelMatcher::new(MatchOp::Equal, lakewatch_model::METRIC_NAME, name)
                .map_err(|e| QueryError::Parse(e.to_string()))?,
        );
    }
    for m in &vs.matchers.matchers {
        base.push(conv(m)?);
    }
    if vs.matchers.or_matchers.is_empty() {
        return Ok(vec![base]);
    }
    let mut out = Vec::new();
    for g in &vs.matchers.or_matchers {
        let mut group = base.clone();
        for m in g {
            group.push(conv(m)?);
        }
        out.push(group);
    }
    Ok(out)
}

/// Selects the series of `vs` with samples in `[mint, maxt]` (ms), enforcing `max_series`.
pub(crate) fn select(
    ev: &mut Evaluator,
    vs: &VectorSelector,
    mint: i64,
    maxt: i64,
) -> Result<Vec<Arc<TimeSeries>>, QueryError> {
    let groups = matcher_groups(vs)?;
    let mut out = if groups.len() == 1 {
        ev.storage.select(&groups[0], mint, maxt)
    } else {
        let mut seen: HashSet<Labels> = HashSet::new();
        let mut out = Vec::new();
        for g in &groups {
            for s in ev.storage.select(g, mint, maxt) {
                if seen.insert(s.labels.clone()) {
                    out.push(s);
                }
            }
        }
        out
    };
    out.sort_by(|a, b| a.labels.cmp(&b.labels));
    if ev.opts.max_series > 0 && out.len() > ev.opts.max_series {
        return Err(QueryError::Execution(format!(
            "query processing would load too many series into memory: selector returned {} series, limit is {}",
            out.len(),
            ev.opts.max_series
        )));
    }
    Ok(out)
}

/// The time each step of a selector looks at: `@` (or the step time) minus offset.
pub(crate) fn selector_times(ev: &Evaluator, vs: &VectorSelector, steps: &Steps) -> Vec<i64> {
    let at = ev.at_time(&vs.at);
    let off = crate::eval::offset_ms(&vs.offset);
    steps.iter().map(|t| at.unwrap_or(t) - off).collect()
}

/// The sample a series shows at `t` with lookback `lb`: latest in `(t-lb, t]`, none if stale.
fn sample_at(s: &TimeSeries, t: i64, lb: i64) -> Option<(i64, f64, Option<usize>)> {
    let fi = s.samples.partition_point(|x| x.timestamp_ms <= t);
    let f = if fi > 0 && s.samples[fi - 1].timestamp_ms > t - lb {
        Some(fi - 1)
    } else {
        None
    };
    let hi = s.histograms.partition_point(|x| x.0 <= t);
    let h = if hi > 0 && s.histograms[hi - 1].0 > t - lb {
        Some(hi - 1)
    } else {
        None
    };
    match (f, h) {
        (Some(f), Some(h)) if s.histograms[h].0 > s.samples[f].timestamp_ms => hist_point(s, h),
        (Some(f), _) => {
            let x = s.samples[f];
            if is_stale_nan(x.value) {
                None
            } else {
                Some((x.timestamp_ms, x.value, None))
            }
        }
        (None, Some(h)) => hist_point(s, h),
        (None, None) => None,
    }
}

fn hist_point(s: &TimeSeries, h: usize) -> Option<(i64, f64, Option<usize>)> {
    let (t, hist) = &s.histograms[h];
    if is_stale_nan(hist.sum) {
        None
    } else {
        Some((*t, 0.0, Some(h)))
    }
}

/// The counter-reset hint of histogram `h` of `s` as Prometheus's `HistogramStatsIterator`
/// derives it: an explicit hint is kept; an unknown one becomes reset/not-reset by comparing
/// with the previous histogram (unknown if there is none or a float sample intervenes).
fn stats_hint(s: &TimeSeries, h: usize) -> ResetHint {
    let (t, cur) = &s.histograms[h];
    if cur.counter_reset_hint != ResetHint::Unknown || h == 0 {
        return cur.counter_reset_hint;
    }
    let (pt, prev) = &s.histograms[h - 1];
    let lo = s.samples.partition_point(|x| x.timestamp_ms <= *pt);
    if s.samples.get(lo).is_some_and(|x| x.timestamp_ms < *t) {
        return ResetHint::Unknown;
    }
    if cur.detect_reset(prev) {
        ResetHint::CounterReset
    } else {
        ResetHint::NotCounterReset
    }
}

/// Histogram `h` of `s`, with stats-decoding hints when `stats`.
fn histogram(s: &TimeSeries, h: usize, stats: bool) -> Arc<FloatHistogram> {
    let mut fh = s.histograms[h].1.clone();
    if stats {
        fh.counter_reset_hint = stats_hint(s, h);
    }
    Arc::new(fh)
}

/// Evaluates an instant vector selector at every step. With `timestamps`, each sample's
/// value is its own timestamp in seconds (for `timestamp()`, as Prometheus special-cases it).
pub(crate) fn eval_vector(
    ev: &mut Evaluator,
    vs: &VectorSelector,
    steps: &Steps,
    timestamps: bool,
) -> Result<Vec<StepVec>, QueryError> {
    let times = selector_times(ev, vs, steps);
    let lb = ev.opts.lookback_delta.as_millis() as i64;
    let (Some(&mint), Some(&maxt)) = (times.iter().min(), times.iter().max()) else {
        return Ok(vec![]);
    };
    let series = select(ev, vs, mint - lb + 1, maxt)?;
    let mut out: Vec<StepVec> = vec![Vec::new(); times.len()];
    let mut loaded = 0usize;
    let stats = ev.stats_decoding;
    for s in &series {
        let metric = Arc::new(s.labels.clone());
        // Each histogram sample is materialised once, then shared by every step showing it.
        let mut hist_cache: Vec<Option<Arc<FloatHistogram>>> = vec![None; s.histograms.len()];
        for (k, &t) in times.iter().enumerate() {
            if let Some((st, f, h)) = sample_at(s, t, lb) {
                loaded += 1;
                let mut smp = Sample::float(metric.clone(), f, false);
                if timestamps {
                    smp.f = st as f64 / 1000.0;
                } else if let Some(h) = h {
                    let arc = hist_cache[h].get_or_insert_with(|| histogram(s, h, stats));
                    smp.h = Some(arc.clone());
                }
                out[k].push(smp);
            }
        }
    }
    ev.add_samples(loaded)?;
    Ok(out)
}

/// Evaluates a range selector for every step: selects once over the union of the windows.
pub(crate) fn eval_matrix(
    ev: &mut Evaluator,
    ms: &MatrixSelector,
    steps: &Steps,
) -> Result<MatrixArg, QueryError> {
    let ends = selector_times(ev, &ms.vs, steps);
    let range = ms.range.as_millis() as i64;
    let (Some(&mint), Some(&maxt)) = (ends.iter().min(), ends.iter().max()) else {
        return Ok(MatrixArg::default());
    };
    let series = select(ev, &ms.vs, mint - range + 1, maxt)?;
    let mut out = Vec::with_capacity(series.len());
    let mut loaded = 0usize;
    for s in &series {
        let floats: Vec<(i64, f64)> = s
            .samples
            .iter()
            .filter(|x| !is_stale_nan(x.value))
            .map(|x| (x.timestamp_ms, x.value))
            .collect();
        let hists: Vec<_> = (0..s.histograms.len())
            .filter(|&i| !is_stale_nan(s.histograms[i].1.sum))
            .map(|i| (s.histograms[i].0, histogram(s, i, ev.stats_decoding)))
            .collect();
        loaded += floats.len() + hists.len();
        out.push(MSeries {
            metric: Arc::new(s.labels.clone()),
            floats,
            hists,
            drop_name: false,
        });
    }
    ev.add_samples(loaded)?;
    Ok(MatrixArg {
        series: out,
        range,
        ends,
    })
}
