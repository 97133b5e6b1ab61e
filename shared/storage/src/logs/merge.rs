//! Compaction of logs objects: read inputs wholly, merge streams, drop duplicate entries,
//! split on window boundaries, write one object per window (used by [`crate::compact`]).

use super::decode::{read_object, ObjectScan};
use super::encode::{encode, normalize, LogsEncodeOptions};
use super::writer::object_entry;
use crate::error::Result;
use crate::keys;
use crate::manifest::ObjectEntry;
use crate::store::Store;
use futures::{StreamExt, TryStreamExt};
use lakewatch_model::{LogStream, Signal, TenantId};
use std::collections::BTreeMap;

/// Inputs read concurrently.
const PARALLEL_READS: usize = 8;

/// Splits streams on window boundaries (`window_ms` > 0): window index (entry time in ms
/// floored, divided by the window) → streams restricted to it.
pub fn split_by_window(streams: Vec<LogStream>, window_ms: i64) -> BTreeMap<i64, Vec<LogStream>> {
    let w = window_ms.max(1);
    let mut out: BTreeMap<i64, Vec<LogStream>> = BTreeMap::new();
    for s in streams {
        let mut parts: BTreeMap<i64, LogStream> = BTreeMap::new();
        for e in s.entries {
            let win = super::schema::floor_ms(e.timestamp_ns).div_euclid(w);
            parts
                .entry(win)
                .or_insert_with(|| LogStream {
                    labels: s.labels.clone(),
                    entries: Vec::new(),
                })
                .entries
                .push(e);
        }
        for (k, p) in parts {
            out.entry(k).or_default().push(p);
        }
    }
    out
}

/// Reads `inputs`, merges and dedupes them, writes one `level` object per window
/// (`PutMode::Create`, fresh ULIDs) and returns their manifest entries (not yet committed).
/// `source_max_id` of the outputs is the largest of the inputs'.
///
/// Errors: object store, Parquet or `Corrupt` errors (nothing is committed then).
pub async fn merge_objects(
    store: &Store,
    tenant: &TenantId,
    inputs: &[ObjectEntry],
    level: u8,
    window_ms: i64,
    opts: &LogsEncodeOptions,
) -> Result<Vec<ObjectEntry>> {
    let scan = ObjectScan::everything();
    let reads: Vec<_> = inputs
        .iter()
        .map(|e| read_object(store, e, &scan))
        .collect();
    let mut results = futures::stream::iter(reads).buffered(PARALLEL_READS);
    let mut all: Vec<LogStream> = Vec::new();
    while let Some(parts) = results.try_next().await? {
        all.extend(parts.into_iter().map(|p| LogStream {
            labels: p.labels,
            entries: p.entries,
        }));
    }
    let merged = normalize(all);
    let source_max_id = inputs
        .iter()
        .map(|e| e.source_max_id.clone())
        .max()
        .unwrap_or_default();
    let mut outputs = Vec::new();
    for (_, part) in split_by_window(merged, window_ms) {
        let enc = encode(&part, opts)?;
        let id = ulid::Ulid::new().to_string();
        let key = keys::object_key(tenant, Signal::Logs, level, &id);
        let entry = object_entry(id, key.clone(), level, &enc, source_max_id.clone());
        store.put_new_object(&key, enc.bytes).await?;
        outputs.push(entry);
    }
    Ok(outputs)
}
