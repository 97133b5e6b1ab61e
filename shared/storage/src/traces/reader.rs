//! `TracesReader`: the query side. Reads one manifest snapshot, skips objects by their time
//! range, finds the trace in each object by `trace_id` statistics, bloom filter and page
//! index; spans stored in several objects (a trace spread over requests, client retries not
//! yet compacted) are merged and returned once.

use super::decode::read_trace;
use super::record::{group, normalize, SpanRecord};
use crate::error::{Result, StorageError};
use crate::logs::schema::ms_range_overlaps;
use crate::manifest::{ManifestLog, ObjectEntry};
use crate::store::Store;
use futures::{StreamExt, TryStreamExt};
use lakewatch_model::{Signal, TenantId};
use opentelemetry_proto::tonic::trace::v1::ResourceSpans;

/// Objects read concurrently by one query.
const PARALLEL_READS: usize = 8;

/// Reads traces for the query API. Cheap to clone.
#[derive(Debug, Clone)]
pub struct TracesReader {
    store: Store,
}

/// Whether an error means "an object of the snapshot vanished" (compacted and collected
/// during a very long query): the read is retried on a fresh manifest.
pub(super) fn vanished(e: &StorageError) -> bool {
    match e {
        StorageError::ObjectStore(object_store::Error::NotFound { .. }) => true,
        StorageError::Parquet(p) => p.to_string().contains("not found"),
        _ => false,
    }
}

/// Live objects that may hold spans starting in `[start_ns, end_ns)`, by id.
fn candidates(objects: &[ObjectEntry], start_ns: i64, end_ns: i64) -> Vec<ObjectEntry> {
    let mut v: Vec<ObjectEntry> = objects
        .iter()
        .filter(|o| o.rows > 0 && ms_range_overlaps(o.min_time_ms, o.max_time_ms, start_ns, end_ns))
        .cloned()
        .collect();
    v.sort_by(|a, b| a.id.cmp(&b.id));
    v
}

impl TracesReader {
    pub fn new(store: Store) -> Self {
        TracesReader { store }
    }

    /// The store this reader reads.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Every stored span of `trace_id` (16 bytes), from all objects whose span-start range
    /// overlaps `[start_ns, end_ns)` (ns since the epoch; `None` = unbounded on that side;
    /// spans of a chosen object are returned whatever their start), grouped by resource and
    /// scope (`ResourceSpans` / `ScopeSpans` in order of their first span), spans ascending by
    /// (start time, span id), each (trace id, span id) once. Empty = trace not found.
    ///
    /// Errors: object store, Parquet or `Corrupt` errors.
    pub async fn trace_by_id(
        &self,
        tenant: &TenantId,
        trace_id: &[u8; 16],
        start_ns: Option<i64>,
        end_ns: Option<i64>,
    ) -> Result<Vec<ResourceSpans>> {
        let rows = self
            .trace_records(tenant, trace_id, start_ns, end_ns)
            .await?;
        Ok(group(rows))
    }

    /// [`TracesReader::trace_by_id`] before grouping: the spans with their resource and
    /// scope, sorted by (start time, span id), deduplicated.
    pub async fn trace_records(
        &self,
        tenant: &TenantId,
        trace_id: &[u8; 16],
        start_ns: Option<i64>,
        end_ns: Option<i64>,
    ) -> Result<Vec<SpanRecord>> {
        let (start, end) = (start_ns.unwrap_or(i64::MIN), end_ns.unwrap_or(i64::MAX));
        if start >= end {
            return Ok(Vec::new());
        }
        let log = ManifestLog::new(self.store.clone(), tenant.clone(), Signal::Traces);
        let mut attempt = 0;
        loop {
            let manifest = log.load().await?;
            let objs = candidates(&manifest.objects, start, end);
            let reads: Vec<_> = objs
                .iter()
                .map(|e| read_trace(&self.store, e, trace_id))
                .collect();
            let res: Result<Vec<Vec<SpanRecord>>> = futures::stream::iter(reads)
                .buffered(PARALLEL_READS)
                .try_collect()
                .await;
            match res {
                Err(e) if attempt < 2 && vanished(&e) => attempt += 1,
                Err(e) => return Err(e),
                Ok(parts) => {
                    let mut rows: Vec<SpanRecord> = parts.into_iter().flatten().collect();
                    normalize(&mut rows);
                    return Ok(rows);
                }
            }
        }
    }
}
