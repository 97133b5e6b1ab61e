//! Where rule expressions are evaluated: PromQL over a [`Queryable`] (with this evaluation's
//! earlier outputs layered on top, as Prometheus commits each rule's samples before the next
//! rule runs) or any other instant-query function (LogQL).

use std::collections::HashMap;
use std::sync::Arc;

use lakewatch_model::{LabelMatcher, Labels, TimeSeries};
use lakewatch_promql::{select_in_range, Engine, InstantSample, Queryable, Value};

/// An instant query: `(expression, evaluation time in ms) -> vector`. Errors are the engine's
/// message (they become the rule's `lastError`).
pub type InstantQueryFn<'a> = &'a dyn Fn(&str, i64) -> Result<Vec<InstantSample>, String>;

/// What a group's expressions are evaluated against.
#[derive(Clone, Copy)]
pub enum QuerySource<'a> {
    /// PromQL through `engine` over `storage`. Samples written by earlier rules of the same
    /// evaluation (recording outputs, `ALERTS`, stale markers) are visible to later rules and to
    /// the template function `query`, as in Prometheus (`group.go` commits per rule).
    PromQL {
        engine: &'a Engine,
        storage: &'a dyn Queryable,
    },
    /// As [`QuerySource::PromQL`] over storage whose reads can fail (object storage): a read
    /// error during a query fails that query (the rule gets health `err`) instead of reading
    /// as missing data, which would resolve alerts.
    CheckedPromQL {
        engine: &'a Engine,
        storage: &'a dyn CheckedQueryable,
    },
    /// Any other engine (LogQL metric queries for Loki-style groups). Earlier outputs of the
    /// evaluation are not layered in: the function sees only what its own storage holds.
    Func(InstantQueryFn<'a>),
}

impl std::fmt::Debug for QuerySource<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            QuerySource::PromQL { .. } => f.write_str("QuerySource::PromQL"),
            QuerySource::CheckedPromQL { .. } => f.write_str("QuerySource::CheckedPromQL"),
            QuerySource::Func(_) => f.write_str("QuerySource::Func"),
        }
    }
}

/// A [`Queryable`] whose `select` may fail: a failed select returns no series and keeps the
/// error for [`CheckedQueryable::take_error`].
pub trait CheckedQueryable: Queryable {
    /// The first read error since the previous call, if any (and forgets it).
    fn take_error(&self) -> Option<String>;
}

/// Runs `query` at `time_ms` as Prometheus's `rules.EngineQueryFunc`: a vector is returned as
/// is, a scalar becomes one sample with no labels, anything else is the error
/// `rule result is not a vector or scalar`.
pub fn promql_instant_query(
    engine: &Engine,
    storage: &dyn Queryable,
    query: &str,
    time_ms: i64,
) -> Result<Vec<InstantSample>, String> {
    let res = engine
        .instant_query(query, time_ms, storage)
        .map_err(|e| e.to_string())?;
    match res.value {
        Value::Vector(v) => Ok(v),
        Value::Scalar {
            timestamp_ms,
            value,
        } => Ok(vec![InstantSample {
            labels: Labels::default(),
            timestamp_ms,
            value,
            histogram: None,
        }]),
        _ => Err("rule result is not a vector or scalar".to_string()),
    }
}

/// The samples written so far in one evaluation, by series (hash-indexed, so large recording
/// outputs stay linear).
#[derive(Default)]
pub(crate) struct Layer {
    series: HashMap<Labels, Arc<TimeSeries>>,
}

impl Layer {
    pub fn is_empty(&self) -> bool {
        self.series.is_empty()
    }

    /// Adds `ts` (merged into an existing series; later samples at equal times win).
    pub fn append(&mut self, ts: TimeSeries) {
        match self.series.get_mut(&ts.labels) {
            Some(cur) => {
                let cur = Arc::make_mut(cur);
                cur.samples
                    .retain(|x| !ts.samples.iter().any(|y| y.timestamp_ms == x.timestamp_ms));
                cur.samples.extend(ts.samples);
                cur.samples.sort_by_key(|x| x.timestamp_ms);
                cur.histograms
                    .retain(|x| !ts.histograms.iter().any(|y| y.0 == x.0));
                cur.histograms.extend(ts.histograms);
                cur.histograms.sort_by_key(|x| x.0);
            }
            None => {
                self.series.insert(ts.labels.clone(), Arc::new(ts));
            }
        }
    }
}

impl Queryable for Layer {
    fn select(
        &self,
        matchers: &[LabelMatcher],
        mint_ms: i64,
        maxt_ms: i64,
    ) -> Vec<Arc<TimeSeries>> {
        select_in_range(self.series.values(), matchers, mint_ms, maxt_ms)
    }
}

/// A base [`Queryable`] with the [`Layer`] of samples written during this evaluation.
/// Series with equal labels are merged; on equal timestamps the layer wins.
pub(crate) struct Overlay<'a> {
    pub base: &'a dyn Queryable,
    pub layer: &'a Layer,
}

impl Queryable for Overlay<'_> {
    fn select(
        &self,
        matchers: &[LabelMatcher],
        mint_ms: i64,
        maxt_ms: i64,
    ) -> Vec<Arc<TimeSeries>> {
        let base = self.base.select(matchers, mint_ms, maxt_ms);
        if self.layer.is_empty() {
            return base;
        }
        let extra = self.layer.select(matchers, mint_ms, maxt_ms);
        if extra.is_empty() {
            return base;
        }
        let mut out: Vec<Arc<TimeSeries>> = Vec::with_capacity(base.len() + extra.len());
        let mut index: HashMap<Labels, usize> = HashMap::new();
        for s in base {
            index.insert(s.labels.clone(), out.len());
            out.push(s);
        }
        for s in extra {
            match index.get(&s.labels) {
                Some(&i) => {
                    let merged = Arc::make_mut(&mut out[i]);
                    let mut samples = std::mem::take(&mut merged.samples);
                    samples.retain(|x| !s.samples.iter().any(|y| y.timestamp_ms == x.timestamp_ms));
                    samples.extend(s.samples.iter().cloned());
                    samples.sort_by_key(|x| x.timestamp_ms);
                    merged.samples = samples;
                    let mut hs = std::mem::take(&mut merged.histograms);
                    hs.retain(|x| !s.histograms.iter().any(|y| y.0 == x.0));
                    hs.extend(s.histograms.iter().cloned());
                    hs.sort_by_key(|x| x.0);
                    merged.histograms = hs;
                }
                None => {
                    index.insert(s.labels.clone(), out.len());
                    out.push(s);
                }
            }
        }
        out
    }
}
