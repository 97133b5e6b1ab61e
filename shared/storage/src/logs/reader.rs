//! `LogsReader`: the query side. Reads one manifest snapshot, skips objects by their time
//! range, chooses streams from each object's stream table (footer) and reads only their rows;
//! identical entries in several objects (client retries before compaction) are returned once.

use super::decode::{open, read_object, read_streams, Columns, ObjectScan, OpenObject};
use super::encode::sort_dedup;
use super::schema::{ms_range_overlaps, StreamRecord};
use super::{LineProjection, LogSelect, StreamStats};
use crate::error::{Result, StorageError};
use crate::manifest::{ManifestLog, ObjectEntry};
use crate::store::Store;
use futures::{StreamExt, TryStreamExt};
use lakewatch_model::{LabelMatcher, Labels, LogEntry, LogStream, Signal, TenantId};
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

/// Objects read concurrently by one query.
const PARALLEL_READS: usize = 8;

/// Reads logs for the query API. Cheap to clone. Time ranges are ns since the epoch,
/// `[start_ns, end_ns)` (Loki's `start` inclusive, `end` exclusive).
#[derive(Debug, Clone)]
pub struct LogsReader {
    store: Store,
}

/// Whether an error means "an object of the snapshot vanished" (compacted and collected
/// during a very long query): the read is retried on a fresh manifest.
fn vanished(e: &StorageError) -> bool {
    match e {
        StorageError::ObjectStore(object_store::Error::NotFound { .. }) => true,
        StorageError::Parquet(p) => p.to_string().contains("not found"),
        _ => false,
    }
}

/// Live objects of a snapshot that may hold entries in `[start_ns, end_ns)`, by id.
fn candidates(objects: &[ObjectEntry], start_ns: i64, end_ns: i64) -> Vec<ObjectEntry> {
    let mut v: Vec<ObjectEntry> = objects
        .iter()
        .filter(|o| o.rows > 0 && ms_range_overlaps(o.min_time_ms, o.max_time_ms, start_ns, end_ns))
        .cloned()
        .collect();
    v.sort_by(|a, b| a.id.cmp(&b.id));
    v
}

/// Opens every object (footers, in parallel), keeping the order.
async fn open_all(store: &Store, objs: &[ObjectEntry]) -> Result<Vec<OpenObject>> {
    let opens: Vec<_> = objs.iter().map(|e| open(store, e)).collect();
    futures::stream::iter(opens)
        .buffered(PARALLEL_READS)
        .try_collect()
        .await
}

/// Indexes (per object, into its stream table) of the streams `scan` selects, split in two:
/// streams whose parts in the objects do not overlap in time, and streams whose parts do
/// (they may hold identical entries: retried pushes not yet compacted).
fn split_overlapping(
    opened: &[OpenObject],
    scan: &ObjectScan<'_>,
) -> (Vec<Vec<usize>>, Vec<Vec<usize>>) {
    let mut ranges: BTreeMap<&Labels, Vec<(i64, i64)>> = BTreeMap::new();
    for o in opened {
        for s in o.streams.iter().filter(|s| scan.selects(s)) {
            ranges
                .entry(&s.labels)
                .or_default()
                .push((s.min_ts_ns, s.max_ts_ns));
        }
    }
    // Sorted by start, some two parts overlap iff two consecutive ones do.
    let overlapping: BTreeSet<&Labels> = ranges
        .into_iter()
        .filter_map(|(labels, mut r)| {
            r.sort_unstable();
            r.windows(2).any(|w| w[1].0 <= w[0].1).then_some(labels)
        })
        .collect();
    let split = |want_overlapping: bool| -> Vec<Vec<usize>> {
        opened
            .iter()
            .map(|o| {
                (0..o.streams.len())
                    .filter(|k| {
                        let s = &o.streams[*k];
                        scan.selects(s) && overlapping.contains(&s.labels) == want_overlapping
                    })
                    .collect()
            })
            .collect()
    };
    (split(false), split(true))
}

/// Reads, per object, the streams at `want[i]` (indexes into object `i`'s table)
/// (any order) with `scan`'s time range and columns; returns (object index, parts) pairs.
async fn read_chosen(
    objs: &[ObjectEntry],
    opened: Vec<OpenObject>,
    want: &[Vec<usize>],
    scan: &ObjectScan<'_>,
) -> Result<Vec<(usize, Vec<super::decode::StreamPart>)>> {
    let reads: Vec<_> = opened
        .into_iter()
        .enumerate()
        .filter(|(i, _)| !want[*i].is_empty())
        .map(|(i, o)| async move {
            let mut idx = want[i].clone();
            idx.sort_unstable();
            idx.dedup();
            let chosen: Vec<&StreamRecord> = idx.iter().filter_map(|k| o.streams.get(*k)).collect();
            let parts = read_streams(o.builder, &objs[i], &chosen, scan).await?;
            Ok::<_, StorageError>((i, parts))
        })
        .collect();
    futures::stream::iter(reads)
        .buffered(PARALLEL_READS)
        .try_collect()
        .await
}

impl LogsReader {
    pub fn new(store: Store) -> Self {
        LogsReader { store }
    }

    /// The store this reader reads.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Runs `f` on the candidate objects of the newest manifest; retries (up to twice) on a
    /// fresh manifest if an object vanished meanwhile.
    async fn on_snapshot<T, F, Fut>(
        &self,
        tenant: &TenantId,
        start_ns: i64,
        end_ns: i64,
        f: F,
    ) -> Result<T>
    where
        F: Fn(Vec<ObjectEntry>) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let log = ManifestLog::new(self.store.clone(), tenant.clone(), Signal::Logs);
        let mut attempt = 0;
        loop {
            let manifest = log.load().await?;
            let objs = candidates(&manifest.objects, start_ns, end_ns);
            match f(objs).await {
                Err(e) if attempt < 2 && vanished(&e) => attempt += 1,
                other => return other,
            }
        }
    }

    /// Matching streams with their entries in `[start_ns, end_ns)`: streams sorted by labels,
    /// entries ascending by timestamp (then line, then metadata), identical entries (same
    /// stream, timestamp, line and structured metadata) once even when stored in several
    /// objects. With `line_contains`, only lines containing every needle are returned (a
    /// pushdown of `|=` filters). Streams without entries in range are omitted.
    ///
    /// Errors: object store, Parquet or `Corrupt` errors.
    pub async fn select(&self, tenant: &TenantId, sel: &LogSelect) -> Result<Vec<LogStream>> {
        self.select_projected(tenant, sel, LineProjection::Full)
            .await
    }

    /// [`LogsReader::select`] with a choice of what to read of the lines. With
    /// [`LineProjection::None`] (ignored if `sel.line_contains` is not empty) the line column
    /// is not read: entries have empty lines, the same timestamps and structured metadata as
    /// with `select`, and the same number of entries per stream (a stream stored in several
    /// objects whose time ranges overlap has its lines read, to drop duplicate entries
    /// exactly; its lines are then returned). Within a stream, entries are ascending by
    /// timestamp; the order among equal timestamps may differ from `select`'s.
    ///
    /// Errors: as [`LogsReader::select`].
    pub async fn select_projected(
        &self,
        tenant: &TenantId,
        sel: &LogSelect,
        lines: LineProjection,
    ) -> Result<Vec<LogStream>> {
        if sel.start_ns >= sel.end_ns {
            return Ok(Vec::new());
        }
        if lines == LineProjection::None && sel.line_contains.is_empty() {
            return self.select_without_lines(tenant, sel).await;
        }
        let scan = ObjectScan {
            matchers: &sel.matchers,
            start_ns: sel.start_ns,
            end_ns: sel.end_ns,
            line_contains: &sel.line_contains,
            columns: Columns::All,
        };
        let store = &self.store;
        let scan = &scan;
        self.on_snapshot(tenant, sel.start_ns, sel.end_ns, |objs| async move {
            let reads: Vec<_> = objs.iter().map(|e| read_object(store, e, scan)).collect();
            let mut results = futures::stream::iter(reads).buffered(PARALLEL_READS);
            let mut acc: BTreeMap<Labels, Vec<LogEntry>> = BTreeMap::new();
            while let Some(parts) = results.try_next().await? {
                for p in parts {
                    acc.entry(p.labels).or_default().extend(p.entries);
                }
            }
            Ok(acc
                .into_iter()
                .map(|(labels, mut entries)| {
                    sort_dedup(&mut entries);
                    LogStream { labels, entries }
                })
                .collect())
        })
        .await
    }

    /// [`LogsReader::select_projected`] with [`LineProjection::None`].
    async fn select_without_lines(
        &self,
        tenant: &TenantId,
        sel: &LogSelect,
    ) -> Result<Vec<LogStream>> {
        let store = &self.store;
        let bare = ObjectScan {
            matchers: &sel.matchers,
            start_ns: sel.start_ns,
            end_ns: sel.end_ns,
            line_contains: &[],
            columns: Columns::NoLines,
        };
        let full = ObjectScan {
            columns: Columns::All,
            ..bare
        };
        let (bare, full) = (&bare, &full);
        self.on_snapshot(tenant, sel.start_ns, sel.end_ns, |objs| async move {
            let opened = open_all(store, &objs).await?;
            let (want_bare, want_full) = split_overlapping(&opened, bare);
            let mut acc: BTreeMap<Labels, (Vec<LogEntry>, bool)> = BTreeMap::new();
            for (_, parts) in read_chosen(&objs, opened, &want_bare, bare).await? {
                for p in parts {
                    acc.entry(p.labels).or_default().0.extend(p.entries);
                }
            }
            if want_full.iter().any(|w| !w.is_empty()) {
                let reopened = open_all(store, &objs).await?;
                for (_, parts) in read_chosen(&objs, reopened, &want_full, full).await? {
                    for p in parts {
                        let e = acc.entry(p.labels).or_default();
                        e.0.extend(p.entries);
                        e.1 = true;
                    }
                }
            }
            Ok(acc
                .into_iter()
                .map(|(labels, (mut entries, dedup))| {
                    if dedup {
                        sort_dedup(&mut entries);
                    } else if !entries
                        .windows(2)
                        .all(|w| w[0].timestamp_ns <= w[1].timestamp_ns)
                    {
                        entries.sort_by_key(|e| e.timestamp_ns);
                    }
                    LogStream { labels, entries }
                })
                .collect())
        })
        .await
    }

    /// Label sets of the streams with at least one entry in `[start_ns, end_ns)` matching
    /// `matchers` (all streams if empty), sorted. Answered from the stream tables; only
    /// streams straddling a range boundary have their timestamps read.
    pub async fn series(
        &self,
        tenant: &TenantId,
        matchers: &[LabelMatcher],
        start_ns: i64,
        end_ns: i64,
    ) -> Result<Vec<Labels>> {
        if start_ns >= end_ns {
            return Ok(Vec::new());
        }
        let store = &self.store;
        let scan = ObjectScan {
            matchers,
            start_ns,
            end_ns,
            line_contains: &[],
            columns: Columns::Timestamps,
        };
        let scan = &scan;
        self.on_snapshot(tenant, start_ns, end_ns, |objs| async move {
            let opened = open_all(store, &objs).await?;
            let mut found: BTreeSet<Labels> = BTreeSet::new();
            for o in &opened {
                for s in o.streams.iter().filter(|s| scan.selects(s)) {
                    if s.within(start_ns, end_ns) {
                        found.insert(s.labels.clone());
                    }
                }
            }
            let want: Vec<Vec<usize>> = opened
                .iter()
                .map(|o| {
                    (0..o.streams.len())
                        .filter(|k| {
                            let s = &o.streams[*k];
                            scan.selects(s) && !found.contains(&s.labels)
                        })
                        .collect()
                })
                .collect();
            for (_, parts) in read_chosen(&objs, opened, &want, scan).await? {
                found.extend(parts.into_iter().map(|p| p.labels));
            }
            Ok(found.into_iter().collect())
        })
        .await
    }

    /// Per-stream entry and byte counts in `[start_ns, end_ns)` for the streams matching
    /// `matchers`, sorted by labels; duplicates across objects are counted once, `bytes` are
    /// line bytes (UTF-8), `chunks` the objects holding the stream's entries in range. A
    /// stream stored in one object and wholly inside the range is answered from the stream
    /// table without reading data.
    pub async fn stream_stats(
        &self,
        tenant: &TenantId,
        matchers: &[LabelMatcher],
        start_ns: i64,
        end_ns: i64,
    ) -> Result<Vec<StreamStats>> {
        if start_ns >= end_ns {
            return Ok(Vec::new());
        }
        let store = &self.store;
        let scan = ObjectScan {
            matchers,
            start_ns,
            end_ns,
            line_contains: &[],
            columns: Columns::All,
        };
        let scan = &scan;
        self.on_snapshot(tenant, start_ns, end_ns, |objs| async move {
            let opened = open_all(store, &objs).await?;
            // labels -> (object, table index) of every selected stream.
            let mut where_: BTreeMap<Labels, Vec<(usize, usize)>> = BTreeMap::new();
            for (i, o) in opened.iter().enumerate() {
                for (k, s) in o.streams.iter().enumerate() {
                    if scan.selects(s) {
                        where_.entry(s.labels.clone()).or_default().push((i, k));
                    }
                }
            }
            let mut out: BTreeMap<Labels, StreamStats> = BTreeMap::new();
            let mut want: Vec<Vec<usize>> = vec![Vec::new(); opened.len()];
            for (labels, places) in &where_ {
                let single = match places.as_slice() {
                    [(i, k)] => Some(&opened[*i].streams[*k]),
                    _ => None,
                };
                match single {
                    Some(s) if s.within(start_ns, end_ns) => {
                        out.insert(
                            labels.clone(),
                            StreamStats {
                                labels: labels.clone(),
                                entries: s.rows,
                                bytes: s.line_bytes,
                                chunks: 1,
                            },
                        );
                    }
                    _ => {
                        for (i, k) in places {
                            want[*i].push(*k);
                        }
                    }
                }
            }
            let mut slow: BTreeMap<Labels, (Vec<LogEntry>, u64)> = BTreeMap::new();
            for (_, parts) in read_chosen(&objs, opened, &want, scan).await? {
                for p in parts {
                    let e = slow.entry(p.labels).or_default();
                    e.0.extend(p.entries);
                    e.1 += 1;
                }
            }
            for (labels, (mut entries, chunks)) in slow {
                sort_dedup(&mut entries);
                out.insert(
                    labels.clone(),
                    StreamStats {
                        labels,
                        entries: entries.len() as u64,
                        bytes: entries.iter().map(|e| e.line.len() as u64).sum(),
                        chunks,
                    },
                );
            }
            Ok(out.into_values().collect())
        })
        .await
    }

    /// Label names of the streams [`LogsReader::series`] returns, sorted and distinct.
    pub async fn label_names(
        &self,
        tenant: &TenantId,
        matchers: &[LabelMatcher],
        start_ns: i64,
        end_ns: i64,
    ) -> Result<Vec<String>> {
        let series = self.series(tenant, matchers, start_ns, end_ns).await?;
        let names: BTreeSet<String> = series
            .iter()
            .flat_map(|l| l.iter().map(|x| x.name.clone()))
            .collect();
        Ok(names.into_iter().collect())
    }

    /// Values of label `name` over the streams [`LogsReader::series`] returns, sorted and
    /// distinct (streams without the label contribute nothing).
    pub async fn label_values(
        &self,
        tenant: &TenantId,
        name: &str,
        matchers: &[LabelMatcher],
        start_ns: i64,
        end_ns: i64,
    ) -> Result<Vec<String>> {
        let series = self.series(tenant, matchers, start_ns, end_ns).await?;
        let values: BTreeSet<String> = series
            .iter()
            .filter_map(|l| l.get(name).map(str::to_string))
            .collect();
        Ok(values.into_iter().collect())
    }
}
