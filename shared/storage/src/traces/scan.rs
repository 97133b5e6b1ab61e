//! Scanning every span of a time range: all objects whose span-start range overlaps the window
//! are read whole, each row group decoded in its own tokio task
//! ([`super::decode::map_row_groups`]). [`TracesReader::scan_records`] (tag autocomplete)
//! keeps the spans starting inside the window; [`TracesReader::scan_traces`] (TraceQL search
//! and metrics) groups deduplicated spans by trace (in the read tasks, then merged: module `group`)
//! and keeps the traces with a span in the window; [`TracesReader::count_traces`] counts them
//! from three columns only (module `count`); [`TracesReader::scan_size`] tells what a scan would
//! read.

mod count;
mod group;

use super::decode::{map_row_groups, read_all, read_keys};
use super::reader::TracesReader;
use super::record::SpanRecord;
use crate::error::Result;
use crate::logs::schema::ms_range_overlaps;
use crate::manifest::{Manifest, ManifestLog, ObjectEntry};
use crate::store::Store;
use futures::{StreamExt, TryStreamExt};
use lakewatch_model::{Signal, TenantId};
use std::future::Future;

/// Objects read concurrently by one scan.
const PARALLEL_READS: usize = 4;

impl TracesReader {
    /// Every stored span starting in `[start_ns, end_ns)` (ns since the epoch; `None` =
    /// unbounded on that side), with its resource and scope, object by object (objects by id,
    /// spans in file order: trace id, start, span id). **Not** deduplicated across objects: a
    /// span re-sent in two requests not yet compacted appears twice, which does not matter for
    /// distinct-value consumers such as tag autocomplete.
    ///
    /// Cost: reads whole objects, so callers should bound the window.
    ///
    /// Errors: object store, Parquet or `Corrupt` errors (an object compacted away during the
    /// scan is retried on a fresh manifest, twice).
    pub async fn scan_records(
        &self,
        tenant: &TenantId,
        start_ns: Option<i64>,
        end_ns: Option<i64>,
    ) -> Result<Vec<SpanRecord>> {
        let (start, end) = (start_ns.unwrap_or(i64::MIN), end_ns.unwrap_or(i64::MAX));
        if start >= end {
            return Ok(Vec::new());
        }
        let parts = self
            .read_overlapping(tenant, start, end, |store, e| async move {
                read_all(&store, &e).await
            })
            .await?;
        Ok(parts
            .into_iter()
            .flatten()
            .filter(|r| (start..end).contains(&r.start_ns()))
            .collect())
    }

    /// `read` applied to every object of the tenant's traces manifest that [`overlapping`]
    /// selects for `[start_ns, end_ns)` (objects by id, [`PARALLEL_READS`] at a time);
    /// results in object order. An object compacted away during the reads restarts them on a
    /// fresh manifest, twice.
    ///
    /// Errors: the manifest's, or the first of `read` in object order.
    async fn read_overlapping<R, F, Fut>(
        &self,
        tenant: &TenantId,
        start_ns: i64,
        end_ns: i64,
        read: F,
    ) -> Result<Vec<R>>
    where
        F: Fn(Store, ObjectEntry) -> Fut,
        Fut: Future<Output = Result<R>>,
    {
        let log = ManifestLog::new(self.store().clone(), tenant.clone(), Signal::Traces);
        let mut attempt = 0;
        loop {
            let manifest = log.load().await?;
            let mut objs: Vec<ObjectEntry> =
                overlapping(&manifest, start_ns, end_ns).cloned().collect();
            objs.sort_by(|a, b| a.id.cmp(&b.id));
            let reads: Vec<_> = objs
                .into_iter()
                .map(|e| read(self.store().clone(), e))
                .collect();
            let res = futures::stream::iter(reads)
                .buffered(PARALLEL_READS)
                .try_collect()
                .await;
            match res {
                Err(e) if attempt < 2 && super::reader::vanished(&e) => attempt += 1,
                other => return other,
            }
        }
    }
}

/// The objects of `manifest` holding spans whose span-start range overlaps
/// `[start_ns, end_ns)` (ns since the epoch), in manifest order.
fn overlapping(
    manifest: &Manifest,
    start_ns: i64,
    end_ns: i64,
) -> impl Iterator<Item = &ObjectEntry> {
    manifest.objects.iter().filter(move |o| {
        o.rows > 0 && ms_range_overlaps(o.min_time_ms, o.max_time_ms, start_ns, end_ns)
    })
}

/// The spans of one trace, deduplicated, sorted by (start time, span id): ready for
/// `lakewatch_traceql::TraceView::new`.
pub type TraceSpans = ([u8; 16], Vec<SpanRecord>);

/// What [`TracesReader::scan_size`] would read for a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScanSize {
    /// Objects overlapping the window.
    pub objects: u64,
    /// Their total size, bytes.
    pub bytes: u64,
    /// Their total span count (all spans of the objects, also outside the window).
    pub spans: u64,
}

impl TracesReader {
    /// The objects a scan of `[start_ns, end_ns)` (ns since the epoch) would read, from the
    /// manifest only (no object is opened): lets callers enforce a byte or span budget before
    /// [`TracesReader::scan_traces`].
    ///
    /// Errors: object store or manifest errors.
    pub async fn scan_size(
        &self,
        tenant: &TenantId,
        start_ns: i64,
        end_ns: i64,
    ) -> Result<ScanSize> {
        if start_ns >= end_ns {
            return Ok(ScanSize::default());
        }
        let log = ManifestLog::new(self.store().clone(), tenant.clone(), Signal::Traces);
        let manifest = log.load().await?;
        let mut size = ScanSize::default();
        for o in overlapping(&manifest, start_ns, end_ns) {
            size.objects += 1;
            size.bytes += o.size_bytes;
            size.spans += o.rows;
        }
        Ok(size)
    }

    /// Every trace with at least one span starting in `[start_ns, end_ns)` (ns since the
    /// epoch), with all its spans found in the objects whose span-start range overlaps the
    /// window (spans of such a trace starting outside the window are kept when they are in
    /// those objects). Spans stored in several objects (re-sent, not yet compacted) appear
    /// once per (trace id, span id). Traces ascending by trace id, spans by (start, span id).
    ///
    /// Cost: reads whole objects (see [`TracesReader::scan_size`] for a budget check).
    ///
    /// Errors: object store, Parquet or `Corrupt` errors (an object compacted away during the
    /// scan is retried on a fresh manifest, twice).
    pub async fn scan_traces(
        &self,
        tenant: &TenantId,
        start_ns: i64,
        end_ns: i64,
    ) -> Result<Vec<TraceSpans>> {
        if start_ns >= end_ns {
            return Ok(Vec::new());
        }
        let parts = self
            .read_overlapping(tenant, start_ns, end_ns, |store, e| async move {
                map_row_groups(&store, &e, group::group_run).await
            })
            .await?;
        let objects: Vec<Vec<TraceSpans>> = parts.into_iter().map(group::join_runs).collect();
        Ok(group::merge_objects(objects, start_ns, end_ns))
    }
}

impl TracesReader {
    /// How many traces [`TracesReader::scan_traces`] would return for `[start_ns, end_ns)`
    /// (ns since the epoch), reading only the trace id, start and span id columns of the same
    /// objects.
    ///
    /// Errors: as [`TracesReader::scan_traces`].
    pub async fn count_traces(&self, tenant: &TenantId, start_ns: i64, end_ns: i64) -> Result<u64> {
        if start_ns >= end_ns {
            return Ok(0);
        }
        let parts = self
            .read_overlapping(tenant, start_ns, end_ns, |store, e| async move {
                read_keys(&store, &e).await
            })
            .await?;
        let keys = parts.into_iter().flatten().collect();
        Ok(count::count_traces(keys, start_ns, end_ns))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::traces::TracesWriter;
    use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};

    fn span(trace: u8, id: u8, start_ns: u64) -> Span {
        Span {
            trace_id: vec![trace; 16],
            span_id: vec![id; 8],
            name: format!("s{id}"),
            start_time_unix_nano: start_ns,
            end_time_unix_nano: start_ns + 5,
            ..Default::default()
        }
    }

    fn batch(spans: Vec<Span>) -> Vec<ResourceSpans> {
        vec![ResourceSpans {
            scope_spans: vec![ScopeSpans {
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }]
    }

    /// The scan as first written: all spans of all objects (object order), stable sort,
    /// deduplication, grouping, window filter.
    async fn reference(
        reader: &TracesReader,
        t: &TenantId,
        start: i64,
        end: i64,
    ) -> Vec<TraceSpans> {
        let log = ManifestLog::new(reader.store().clone(), t.clone(), Signal::Traces);
        let manifest = log.load().await.unwrap();
        let mut objs: Vec<_> = overlapping(&manifest, start, end).cloned().collect();
        objs.sort_by(|a, b| a.id.cmp(&b.id));
        let mut rows = Vec::new();
        for o in &objs {
            rows.extend(read_all(reader.store(), o).await.unwrap());
        }
        crate::traces::record::normalize(&mut rows);
        let mut out: Vec<TraceSpans> = Vec::new();
        for r in rows {
            match out.last_mut() {
                Some((id, spans)) if *id == r.trace_id => spans.push(r),
                _ => out.push((r.trace_id, vec![r])),
            }
        }
        out.retain(|(_, spans)| spans.iter().any(|r| (start..end).contains(&r.start_ns())));
        out
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn same_as_sorting_everything() {
        use crate::traces::encode::TracesEncodeOptions;
        let store = Store::memory();
        // Tiny row groups: traces straddle row groups and record batches.
        let opts = TracesEncodeOptions {
            row_group_rows: 7,
            ..TracesEncodeOptions::default()
        };
        let w = TracesWriter::new(store.clone()).with_encode_options(opts);
        let t = TenantId::anonymous();
        let s = 1_000_000_000u64;
        // Pseudo-random traces over 3 objects that interleave, with re-sent spans (some
        // with another start time) and spans outside the window.
        let mut x = 12345u64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..3 {
            let mut spans = Vec::new();
            for _ in 0..60 {
                let trace = (next() % 12) as u8;
                let id = (next() % 6) as u8;
                let start = (next() % 40) * s;
                spans.push(span(trace, id, start));
            }
            w.write(&t, &batch(spans)).await.unwrap();
        }
        let reader = TracesReader::new(store);
        for (a, b) in [(0, 40), (10, 20), (39, 100), (0, 1)] {
            let (start, end) = (a * s as i64, b * s as i64);
            let got = reader.scan_traces(&t, start, end).await.unwrap();
            let want = reference(&reader, &t, start, end).await;
            let count = reader.count_traces(&t, start, end).await.unwrap();
            assert_eq!(count, want.len() as u64, "count, window {a}..{b} s");
            if b == 40 {
                assert!(want.len() > 5 && want.iter().any(|(_, s)| s.len() > 3));
            }
            assert_eq!(got, want, "window {a}..{b} s");
        }
    }

    #[tokio::test]
    async fn traces_grouped_deduplicated_windowed() {
        let store = Store::memory();
        let w = TracesWriter::new(store.clone());
        let t = TenantId::anonymous();
        let s = 1_000_000_000u64;
        // Trace 1: spans at 10 s and 11 s, the first re-sent in a second object; trace 2 at
        // 50 s (outside); trace 3: one span at 5 s (outside) and one at 12 s (inside).
        w.write(
            &t,
            &batch(vec![
                span(1, 1, 10 * s),
                span(1, 2, 11 * s),
                span(2, 1, 50 * s),
            ]),
        )
        .await
        .unwrap();
        w.write(
            &t,
            &batch(vec![
                span(1, 1, 10 * s),
                span(3, 2, 12 * s),
                span(3, 1, 5 * s),
            ]),
        )
        .await
        .unwrap();
        let reader = TracesReader::new(store);
        let (start, end) = (10 * s as i64, 20 * s as i64);
        let got = reader.scan_traces(&t, start, end).await.unwrap();
        let ids: Vec<(u8, Vec<u8>)> = got
            .iter()
            .map(|(id, spans)| (id[0], spans.iter().map(|r| r.span.span_id[0]).collect()))
            .collect();
        assert_eq!(ids, vec![(1, vec![1, 2]), (3, vec![1, 2])]);
        let size = reader.scan_size(&t, start, end).await.unwrap();
        assert_eq!((size.objects, size.spans), (2, 6));
        assert!(size.bytes > 0);
        assert!(reader.scan_traces(&t, end, start).await.unwrap().is_empty());
        assert_eq!(
            reader
                .scan_size(&t, 100 * s as i64, 200 * s as i64)
                .await
                .unwrap(),
            ScanSize::default()
        );
    }
}
