//! Compaction of traces objects: read inputs wholly, drop duplicate spans, split on window
//! boundaries (by span start), write one object per window (used by [`crate::compact`]).

use super::decode::read_all;
use super::encode::{encode, TracesEncodeOptions};
use super::record::{normalize, SpanRecord};
use super::writer::object_entry;
use crate::error::Result;
use crate::keys;
use crate::logs::schema::floor_ms;
use crate::manifest::ObjectEntry;
use crate::store::Store;
use futures::{StreamExt, TryStreamExt};
use lakewatch_model::{Signal, TenantId};
use std::collections::BTreeMap;

/// Inputs read concurrently.
const PARALLEL_READS: usize = 8;

/// Splits records on window boundaries (`window_ms` > 0): window index (span start in ms
/// floored, divided by the window) → records, order kept.
pub fn split_by_window(rows: Vec<SpanRecord>, window_ms: i64) -> BTreeMap<i64, Vec<SpanRecord>> {
    let w = window_ms.max(1);
    let mut out: BTreeMap<i64, Vec<SpanRecord>> = BTreeMap::new();
    for r in rows {
        out.entry(floor_ms(r.start_ns()).div_euclid(w))
            .or_default()
            .push(r);
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
    opts: &TracesEncodeOptions,
) -> Result<Vec<ObjectEntry>> {
    let reads: Vec<_> = inputs.iter().map(|e| read_all(store, e)).collect();
    let mut results = futures::stream::iter(reads).buffered(PARALLEL_READS);
    let mut all: Vec<SpanRecord> = Vec::new();
    while let Some(rows) = results.try_next().await? {
        all.extend(rows);
    }
    normalize(&mut all);
    let source_max_id = inputs
        .iter()
        .map(|e| e.source_max_id.clone())
        .max()
        .unwrap_or_default();
    let mut outputs = Vec::new();
    for (_, part) in split_by_window(all, window_ms) {
        let enc = encode(&part, opts)?;
        let id = ulid::Ulid::new().to_string();
        let key = keys::object_key(tenant, Signal::Traces, level, &id);
        let entry = object_entry(id, key.clone(), level, &enc, source_max_id.clone());
        store.put_new_object(&key, enc.bytes).await?;
        outputs.push(entry);
    }
    Ok(outputs)
}
