//! `MetricsReader`: the query side. Reads one manifest snapshot, skips objects by their stats,
//! reads the rest in parallel and merges them (last write wins per series and timestamp).

use super::decode::{read_object, read_object_metadata, ScanQuery};
use super::merge::{normalize_series, SeriesMerger};
use crate::error::{Result, StorageError};
use crate::manifest::{ManifestLog, ObjectEntry};
use crate::store::Store;
use futures::{StreamExt, TryStreamExt};
use lakewatch_model::{
    Exemplar, LabelMatcher, Labels, MetricMetadata, Signal, TenantId, TimeSeries,
};
use std::collections::BTreeSet;

/// Objects read concurrently by one query.
const PARALLEL_READS: usize = 8;

/// Reads metrics for the query APIs. Cheap to clone. All time bounds are ms since the epoch,
/// **inclusive** on both ends (Prometheus `SelectHints` semantics); pass `i64::MIN`/`i64::MAX`
/// for "unbounded".
#[derive(Debug, Clone)]
pub struct MetricsReader {
    store: Store,
}

/// Objects of a snapshot that may hold data for `q`, oldest source first (merge order).
fn candidates(objects: &[ObjectEntry], q: &ScanQuery<'_>) -> Vec<ObjectEntry> {
    let mut v: Vec<ObjectEntry> = objects
        .iter()
        .filter(|e| q.may_match_entry(e))
        .cloned()
        .collect();
    v.sort_by(|a, b| (&a.source_max_id, &a.id).cmp(&(&b.source_max_id, &b.id)));
    v
}

/// Reads and merges `objects` (in the given priority order, last wins).
pub(crate) async fn read_merged(
    store: &Store,
    objects: &[ObjectEntry],
    q: &ScanQuery<'_>,
) -> Result<Vec<TimeSeries>> {
    let mut merger = SeriesMerger::new();
    // Futures built eagerly (no closure inside the stream type): keeps the returned future
    // provably `Send` (rustc #102211 with higher-ranked closures in `StreamExt::map`).
    let reads: Vec<_> = objects.iter().map(|e| read_object(store, e, q)).collect();
    let mut results = futures::stream::iter(reads).buffered(PARALLEL_READS);
    while let Some(series) = results.try_next().await? {
        for s in series {
            merger.push(s);
        }
    }
    Ok(merger.finish())
}

/// Objects up to which a query merges sorted series lists pairwise; beyond, it hashes
/// (each pairwise merge walks everything merged so far).
const SORTED_MERGE_MAX_OBJECTS: usize = 16;

/// Whether `ts` needs no `normalize_series`: samples, histograms and exemplars strictly
/// increasing in time.
fn strictly_sorted(ts: &TimeSeries) -> bool {
    ts.samples
        .windows(2)
        .all(|w| w[0].timestamp_ms < w[1].timestamp_ms)
        && ts.histograms.windows(2).all(|w| w[0].0 < w[1].0)
        && ts
            .exemplars
            .windows(2)
            .all(|w| w[0].timestamp_ms < w[1].timestamp_ms)
}

/// Joins adjacent series with equal labels in a list sorted by labels (an object normally
/// holds each series in one run of rows; this keeps a malformed one from duplicating series).
fn coalesce(series: Vec<TimeSeries>) -> Vec<TimeSeries> {
    let mut out: Vec<TimeSeries> = Vec::with_capacity(series.len());
    for ts in series {
        match out.last_mut() {
            Some(prev) if prev.labels == ts.labels => {
                prev.samples.extend(ts.samples);
                prev.histograms.extend(ts.histograms);
                prev.exemplars.extend(ts.exemplars);
            }
            _ => out.push(ts),
        }
    }
    out
}

/// Merges two lists of series sorted by labels (distinct labels within each): series in both
/// get `b`'s data appended after `a`'s (so `b` wins once normalized).
fn merge_sorted(a: Vec<TimeSeries>, b: Vec<TimeSeries>) -> Vec<TimeSeries> {
    if a.is_empty() {
        return b;
    }
    if b.is_empty() {
        return a;
    }
    let mut out = Vec::with_capacity(a.len().max(b.len()));
    let mut a = a.into_iter().peekable();
    let mut b = b.into_iter().peekable();
    loop {
        let ord = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) => x.labels.cmp(&y.labels),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => break,
        };
        match ord {
            std::cmp::Ordering::Less => out.extend(a.next()),
            std::cmp::Ordering::Greater => out.extend(b.next()),
            std::cmp::Ordering::Equal => {
                if let (Some(mut x), Some(y)) = (a.next(), b.next()) {
                    x.samples.extend(y.samples);
                    x.histograms.extend(y.histograms);
                    x.exemplars.extend(y.exemplars);
                    out.push(x);
                }
            }
        }
    }
    out
}

/// Like [`read_merged`], for queries: objects are usually few and large, so each object's
/// series are sorted by labels and merged pairwise (no hashing or cloning of label sets), and
/// per-series data is re-sorted only where objects overlap in time. Same result as
/// `SeriesMerger` (sorted by labels; data sorted by time, last object wins per timestamp;
/// series without data dropped).
pub(crate) async fn read_selected(
    store: &Store,
    objects: &[ObjectEntry],
    q: &ScanQuery<'_>,
) -> Result<Vec<TimeSeries>> {
    if objects.len() > SORTED_MERGE_MAX_OBJECTS {
        return read_merged(store, objects, q).await;
    }
    let reads: Vec<_> = objects.iter().map(|e| read_object(store, e, q)).collect();
    let mut results = futures::stream::iter(reads).buffered(PARALLEL_READS);
    let mut acc: Vec<TimeSeries> = Vec::new();
    while let Some(mut series) = results.try_next().await? {
        // Stable: a series split within one object keeps its parts in file order.
        series.sort_by(|a, b| a.labels.cmp(&b.labels));
        acc = merge_sorted(acc, coalesce(series));
    }
    acc.retain_mut(|ts| {
        if !strictly_sorted(ts) {
            normalize_series(ts);
        }
        !(ts.samples.is_empty() && ts.histograms.is_empty() && ts.exemplars.is_empty())
    });
    Ok(acc)
}

impl MetricsReader {
    pub fn new(store: Store) -> Self {
        MetricsReader { store }
    }

    /// The store this reader reads.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Runs a scan on the newest manifest; if an object vanished meanwhile (compacted and
    /// garbage-collected during a very long query), retries once on a fresh manifest.
    async fn scan(&self, tenant: &TenantId, q: &ScanQuery<'_>) -> Result<Vec<TimeSeries>> {
        let log = ManifestLog::new(self.store.clone(), tenant.clone(), Signal::Metrics);
        let mut attempt = 0;
        loop {
            let manifest = log.load().await?;
            let objs = candidates(&manifest.objects, q);
            match read_selected(&self.store, &objs, q).await {
                Err(StorageError::ObjectStore(object_store::Error::NotFound { .. }))
                    if attempt < 2 =>
                {
                    attempt += 1;
                }
                Err(StorageError::Parquet(e))
                    if attempt < 2 && e.to_string().contains("not found") =>
                {
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// Series matching all `matchers`, with their float samples and native histograms in
    /// `[mint_ms, maxt_ms]`, merged across objects: sorted by labels, data sorted by time,
    /// each (series, timestamp) once (the most recently ingested value wins; identical re-sends
    /// collapse). Staleness markers are returned as stored. Exemplars are not included (see
    /// [`MetricsReader::exemplars`]).
    pub async fn select(
        &self,
        tenant: &TenantId,
        matchers: &[LabelMatcher],
        mint_ms: i64,
        maxt_ms: i64,
    ) -> Result<Vec<TimeSeries>> {
        let sets = vec![matchers.to_vec()];
        let q = ScanQuery {
            matcher_sets: &sets,
            mint_ms,
            maxt_ms,
            floats: true,
            histograms: true,
            exemplars: false,
            labels_only: false,
        };
        self.scan(tenant, &q).await
    }

    async fn series_labels(
        &self,
        tenant: &TenantId,
        matcher_sets: &[Vec<LabelMatcher>],
        mint_ms: i64,
        maxt_ms: i64,
    ) -> Result<Vec<Labels>> {
        let q = ScanQuery {
            matcher_sets,
            mint_ms,
            maxt_ms,
            floats: true,
            histograms: true,
            exemplars: false,
            labels_only: true,
        };
        Ok(self
            .scan(tenant, &q)
            .await?
            .into_iter()
            .map(|s| s.labels)
            .collect())
    }

    /// Label sets of the series with a sample or histogram in `[mint_ms, maxt_ms]` matching any
    /// of the matcher sets (Prometheus `/api/v1/series` `match[]`; empty = all series), sorted.
    pub async fn series(
        &self,
        tenant: &TenantId,
        matcher_sets: &[Vec<LabelMatcher>],
        mint_ms: i64,
        maxt_ms: i64,
    ) -> Result<Vec<Labels>> {
        self.series_labels(tenant, matcher_sets, mint_ms, maxt_ms)
            .await
    }

    /// Sorted distinct label names (including `__name__`) of the selected series
    /// (`/api/v1/labels`).
    pub async fn label_names(
        &self,
        tenant: &TenantId,
        matcher_sets: &[Vec<LabelMatcher>],
        mint_ms: i64,
        maxt_ms: i64,
    ) -> Result<Vec<String>> {
        let names: BTreeSet<String> = self
            .series_labels(tenant, matcher_sets, mint_ms, maxt_ms)
            .await?
            .iter()
            .flat_map(|l| l.iter().map(|l| l.name.clone()))
            .collect();
        Ok(names.into_iter().collect())
    }

    /// Sorted distinct non-empty values of label `name` among the selected series
    /// (`/api/v1/label/<name>/values`).
    pub async fn label_values(
        &self,
        tenant: &TenantId,
        name: &str,
        matcher_sets: &[Vec<LabelMatcher>],
        mint_ms: i64,
        maxt_ms: i64,
    ) -> Result<Vec<String>> {
        let values: BTreeSet<String> = self
            .series_labels(tenant, matcher_sets, mint_ms, maxt_ms)
            .await?
            .iter()
            .filter_map(|l| l.get(name).map(str::to_string))
            .collect();
        Ok(values.into_iter().collect())
    }

    /// Exemplars in `[mint_ms, maxt_ms]` of the series matching any matcher set
    /// (`/api/v1/query_exemplars`), per series sorted by time, identical ones once.
    pub async fn exemplars(
        &self,
        tenant: &TenantId,
        matcher_sets: &[Vec<LabelMatcher>],
        mint_ms: i64,
        maxt_ms: i64,
    ) -> Result<Vec<(Labels, Vec<Exemplar>)>> {
        let q = ScanQuery {
            matcher_sets,
            mint_ms,
            maxt_ms,
            floats: false,
            histograms: false,
            exemplars: true,
            labels_only: false,
        };
        Ok(self
            .scan(tenant, &q)
            .await?
            .into_iter()
            .filter(|s| !s.exemplars.is_empty())
            .map(|s| (s.labels, s.exemplars))
            .collect())
    }

    /// Metric metadata (HELP, TYPE, UNIT) stored by any live object, distinct entries sorted
    /// by metric family name (`/api/v1/metadata`).
    pub async fn metadata(&self, tenant: &TenantId) -> Result<Vec<MetricMetadata>> {
        let log = ManifestLog::new(self.store.clone(), tenant.clone(), Signal::Metrics);
        let manifest = log.load().await?;
        let reads: Vec<_> = manifest
            .objects
            .iter()
            .map(|e| read_object_metadata(&self.store, e))
            .collect();
        let lists: Vec<Vec<MetricMetadata>> = futures::stream::iter(reads)
            .buffered(PARALLEL_READS)
            .try_collect()
            .await?;
        let mut out: Vec<MetricMetadata> = Vec::new();
        for m in lists.into_iter().flatten() {
            if !out.contains(&m) {
                out.push(m);
            }
        }
        out.sort_by(|a, b| a.metric_family_name.cmp(&b.metric_family_name));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lakewatch_model::Sample;

    fn ts(name: &str, pts: &[(i64, f64)]) -> TimeSeries {
        TimeSeries {
            labels: Labels::from_pairs([("__name__", name)]),
            samples: pts
                .iter()
                .map(|&(t, v)| Sample {
                    timestamp_ms: t,
                    value: v,
                })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn sorted_merge_matches_series_merger() {
        // Two objects (priority order): overlapping series "b" with one equal timestamp.
        let a = vec![ts("a", &[(1, 1.0)]), ts("b", &[(1, 1.0), (2, 2.0)])];
        let b = vec![ts("b", &[(2, 9.0), (3, 3.0)]), ts("c", &[(5, 5.0)])];
        let mut merger = SeriesMerger::new();
        for s in a.iter().chain(&b).cloned() {
            merger.push(s);
        }
        let expected = merger.finish();
        let mut got = merge_sorted(coalesce(a), coalesce(b));
        got.retain_mut(|ts| {
            if !strictly_sorted(ts) {
                normalize_series(ts);
            }
            true
        });
        assert_eq!(got, expected);
        assert_eq!(got[1].samples[1].value, 9.0, "later object wins");
    }

    #[test]
    fn coalesce_joins_equal_neighbours() {
        let v = coalesce(vec![
            ts("a", &[(1, 1.0)]),
            ts("a", &[(2, 2.0)]),
            ts("b", &[]),
        ]);
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].samples.len(), 2);
    }
}
