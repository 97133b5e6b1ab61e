//! Loads what a query needs from object storage into memory: one `MetricsReader::select` per
//! selection hint (in parallel), series fetched by several hints merged once.

use crate::app::App;
use crate::response::{ApiError, ErrorType};
use crate::tenants::Tenants;
use lakewatch_model::{LabelMatcher, Labels, TimeSeries};
use lakewatch_promql::{Queryable, SelectHint};
use std::collections::HashMap;
use std::sync::Arc;

/// Prometheus's error text when a query exceeds `query.max-samples`.
pub const TOO_MANY_SAMPLES: &str =
    "query processing would load too many samples into memory in query execution";

/// Series loaded for one query; the engine reads them through [`Queryable`] (same semantics
/// as `lakewatch_promql::MemStorage`, but built in O(n) from deduplicated series).
#[derive(Debug, Default)]
pub struct Fetched {
    series: Vec<Arc<TimeSeries>>,
    /// Float samples plus histogram samples loaded.
    pub samples: usize,
}

impl Fetched {
    /// Number of distinct series loaded.
    pub fn len(&self) -> usize {
        self.series.len()
    }

    /// Whether nothing was loaded.
    pub fn is_empty(&self) -> bool {
        self.series.is_empty()
    }
}

impl Queryable for Fetched {
    fn select(
        &self,
        matchers: &[LabelMatcher],
        mint_ms: i64,
        maxt_ms: i64,
    ) -> Vec<Arc<TimeSeries>> {
        let in_range = |t: i64| t >= mint_ms && t <= maxt_ms;
        self.series
            .iter()
            .filter(|s| matchers.iter().all(|m| m.matches_labels(&s.labels)))
            .filter_map(|s| {
                // Data is sorted by time: the ends tell whether everything is in range.
                let all_in = s.samples.first().is_none_or(|x| in_range(x.timestamp_ms))
                    && s.samples.last().is_none_or(|x| in_range(x.timestamp_ms))
                    && s.histograms.first().is_none_or(|x| in_range(x.0))
                    && s.histograms.last().is_none_or(|x| in_range(x.0));
                if all_in {
                    return (!s.samples.is_empty() || !s.histograms.is_empty())
                        .then(|| Arc::clone(s));
                }
                let lo = s.samples.partition_point(|x| x.timestamp_ms < mint_ms);
                let hi = s.samples.partition_point(|x| x.timestamp_ms <= maxt_ms);
                let hlo = s.histograms.partition_point(|x| x.0 < mint_ms);
                let hhi = s.histograms.partition_point(|x| x.0 <= maxt_ms);
                let out = TimeSeries {
                    labels: s.labels.clone(),
                    samples: s.samples[lo..hi.max(lo)].to_vec(),
                    histograms: s.histograms[hlo..hhi.max(hlo)].to_vec(),
                    exemplars: Vec::new(),
                };
                (!out.samples.is_empty() || !out.histograms.is_empty()).then(|| Arc::new(out))
            })
            .collect()
    }
}

/// Whether every series `wide` selects in its range also covers what `narrow` selects:
/// `wide`'s matchers are a subset of `narrow`'s and its time range contains `narrow`'s.
pub(crate) fn covers(wide: &SelectHint, narrow: &SelectHint) -> bool {
    wide.mint_ms <= narrow.mint_ms
        && wide.maxt_ms >= narrow.maxt_ms
        && wide.matchers.iter().all(|w| {
            narrow
                .matchers
                .iter()
                .any(|n| n.name == w.name && n.op == w.op && n.value == w.value)
        })
}

/// `hints` without those another hint covers (the engine filters the loaded series by each
/// selector's own matchers and range, so the union of what is loaded stays the same; e.g.
/// `rate(x{code=~"5.."}[5m]) / rate(x[5m])` reads `x` once).
fn essential_hints(hints: &[SelectHint]) -> Vec<&SelectHint> {
    hints
        .iter()
        .enumerate()
        .filter(|(i, h)| {
            !hints
                .iter()
                .enumerate()
                .any(|(j, w)| j != *i && covers(w, h) && (!covers(h, w) || j < *i))
        })
        .map(|(_, h)| h)
        .collect()
}

/// Merges `b` into `a` (same labels): union by timestamp, `b` wins on equal timestamps
/// (both come from the same snapshot, so values agree anyway).
fn merge(a: &mut TimeSeries, b: TimeSeries) {
    a.samples.extend(b.samples);
    a.samples.sort_by_key(|x| x.timestamp_ms);
    a.samples.dedup_by_key(|x| x.timestamp_ms);
    a.histograms.extend(b.histograms);
    a.histograms.sort_by_key(|x| x.0);
    a.histograms.dedup_by_key(|x| x.0);
}

/// Fetches every hint for every tenant (federated: `__tenant_id__` matchers pick tenants and
/// each series is tagged with its tenant). Errors: `internal` (storage), `execution` when the
/// series or sample limits of [`crate::config::QueryConfig`] are exceeded.
pub async fn load(app: &App, tenants: &Tenants, hints: &[SelectHint]) -> Result<Fetched, ApiError> {
    let mut calls = Vec::new();
    for h in essential_hints(hints) {
        for (t, sets) in tenants.plan(std::slice::from_ref(&h.matchers)) {
            for set in sets {
                calls.push((t.clone(), set, h.mint_ms, h.maxt_ms));
            }
        }
    }
    let futs = calls.iter().map(|(t, set, mint, maxt)| async move {
        let mut series = app.reader.select(t, set, *mint, *maxt).await?;
        for s in &mut series {
            tenants.tag(t, &mut s.labels);
        }
        Ok::<_, lakewatch_storage::StorageError>(series)
    });
    let results = futures::future::try_join_all(futs)
        .await
        .map_err(ApiError::internal)?;
    let mut order: Vec<Labels> = Vec::new();
    let mut by_labels: HashMap<Labels, TimeSeries> = HashMap::new();
    if results.len() == 1 {
        // One selection: its series are distinct already.
        let mut out = Fetched::default();
        for ts in results.into_iter().flatten() {
            out.samples += ts.samples.len() + ts.histograms.len();
            out.series.push(Arc::new(ts));
        }
        return check_limits(app, out);
    }
    for ts in results.into_iter().flatten() {
        match by_labels.get_mut(&ts.labels) {
            Some(existing) => merge(existing, ts),
            None => {
                order.push(ts.labels.clone());
                by_labels.insert(ts.labels.clone(), ts);
            }
        }
    }
    let mut out = Fetched::default();
    for l in order {
        if let Some(ts) = by_labels.remove(&l) {
            out.samples += ts.samples.len() + ts.histograms.len();
            out.series.push(Arc::new(ts));
        }
    }
    check_limits(app, out)
}

/// `out`, or the `execution` error Prometheus gives when it exceeds the series or sample
/// limits of [`crate::config::QueryConfig`].
fn check_limits(app: &App, out: Fetched) -> Result<Fetched, ApiError> {
    let max_series = app.config.max_series;
    if max_series > 0 && out.series.len() > max_series {
        return Err(ApiError::new(
            ErrorType::Execution,
            format!("the query exceeded the maximum number of series (limit: {max_series} series)"),
        ));
    }
    if out.samples > app.config.max_samples {
        return Err(ApiError::new(ErrorType::Execution, TOO_MANY_SAMPLES));
    }
    Ok(out)
}
