//! Scanning every span of a time range (tag autocomplete, later search): all objects whose
//! span-start range overlaps the window are read whole ([`super::decode::read_all`]), and the
//! spans starting inside the window are kept.

use super::decode::read_all;
use super::reader::TracesReader;
use super::record::SpanRecord;
use crate::error::Result;
use crate::logs::schema::ms_range_overlaps;
use crate::manifest::ManifestLog;
use futures::{StreamExt, TryStreamExt};
use lakewatch_model::{Signal, TenantId};

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
        let log = ManifestLog::new(self.store().clone(), tenant.clone(), Signal::Traces);
        let mut attempt = 0;
        loop {
            let manifest = log.load().await?;
            let mut objs: Vec<_> = manifest
                .objects
                .iter()
                .filter(|o| {
                    o.rows > 0 && ms_range_overlaps(o.min_time_ms, o.max_time_ms, start, end)
                })
                .cloned()
                .collect();
            objs.sort_by(|a, b| a.id.cmp(&b.id));
            let store = self.store().clone();
            let reads: Vec<_> = objs.iter().map(|e| read_all(&store, e)).collect();
            let res: Result<Vec<Vec<SpanRecord>>> = futures::stream::iter(reads)
                .buffered(PARALLEL_READS)
                .try_collect()
                .await;
            match res {
                Err(e) if attempt < 2 && super::reader::vanished(&e) => attempt += 1,
                Err(e) => return Err(e),
                Ok(parts) => {
                    return Ok(parts
                        .into_iter()
                        .flatten()
                        .filter(|r| (start..end).contains(&r.start_ns()))
                        .collect())
                }
            }
        }
    }
}
