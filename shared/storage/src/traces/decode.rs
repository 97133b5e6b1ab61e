//! Reading traces objects: all spans (compaction) or one trace's spans, found with the
//! row-group statistics, bloom filter and page index of `trace_id` so only the pages that
//! may hold the trace are fetched.

mod intern;

use super::attrs::{AttrMapReader, DedicatedValue};
use super::record::{ResourceInfo, ScopeInfo, SpanRecord};
use super::schema::*;
use crate::error::{Result, StorageError};
use crate::manifest::ObjectEntry;
use crate::metrics::object_reader::StoreObjectReader;
use crate::store::Store;
use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, Int64Type, UInt32Type};
use arrow_array::{Array, ArrayRef, GenericListArray, PrimitiveArray, RecordBatch, StringArray};
use futures::TryStreamExt;
use intern::Interner;
use opentelemetry_proto::tonic::common::v1::{EntityRef, InstrumentationScope};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::span::{Event, Link};
use opentelemetry_proto::tonic::trace::v1::{Span, Status};
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, RowSelection, RowSelector,
};
use parquet::arrow::{ParquetRecordBatchStreamBuilder, ProjectionMask};
use parquet::file::metadata::{PageIndexPolicy, ParquetMetaData};
use parquet::file::page_index::column_index::ColumnIndexMetaData;
use prost::Message;

fn corrupt(key: &str, reason: impl Into<String>) -> StorageError {
    StorageError::Corrupt {
        key: key.to_string(),
        reason: reason.into(),
    }
}

async fn open(
    store: &Store,
    entry: &ObjectEntry,
) -> Result<ParquetRecordBatchStreamBuilder<StoreObjectReader>> {
    let meta = metadata(store, entry).await?;
    Ok(builder(store, entry, meta))
}

/// The object's Arrow reader metadata (footer and page index; cached per object).
async fn metadata(store: &Store, entry: &ObjectEntry) -> Result<ArrowReaderMetadata> {
    let mut reader = StoreObjectReader::new(store, &entry.key, entry.size_bytes);
    let options = ArrowReaderOptions::new().with_page_index_policy(PageIndexPolicy::Optional);
    Ok(reader
        .arrow_metadata(&options, |footer| {
            ArrowReaderMetadata::try_new(footer, options.clone())
        })
        .await?)
}

fn builder(
    store: &Store,
    entry: &ObjectEntry,
    meta: ArrowReaderMetadata,
) -> ParquetRecordBatchStreamBuilder<StoreObjectReader> {
    let reader = StoreObjectReader::new(store, &entry.key, entry.size_bytes);
    ParquetRecordBatchStreamBuilder::new_with_metadata(reader, meta)
}

/// Every span of one object, in file order.
///
/// Errors: object store / Parquet failures, `Corrupt` if the object has another layout.
pub async fn read_all(store: &Store, entry: &ObjectEntry) -> Result<Vec<SpanRecord>> {
    let batches = read_batches(store, entry).await?;
    let mut out = Vec::with_capacity(batches.iter().map(Vec::len).sum());
    for b in batches {
        out.extend(b);
    }
    Ok(out)
}

/// Every span of one object, in file order, in pieces of at most 8192 spans (one per
/// record batch; no large allocation, no copy to join them).
///
/// Errors: as [`read_all`].
pub async fn read_batches(store: &Store, entry: &ObjectEntry) -> Result<Vec<Vec<SpanRecord>>> {
    let groups = map_row_groups(store, entry, |pieces| pieces).await?;
    Ok(groups.into_iter().flatten().collect())
}

/// `f` applied to the spans of each row group of one object (record batches in file
/// order), each row group read, decoded and passed to `f` in its own tokio task (so they
/// use every worker thread of a multi-thread runtime); results in row-group order.
///
/// Errors: as [`read_all`] (the first in file order); a panic in a task is resumed.
pub async fn map_row_groups<R, F>(store: &Store, entry: &ObjectEntry, f: F) -> Result<Vec<R>>
where
    R: Send + 'static,
    F: Fn(Vec<Vec<SpanRecord>>) -> R + Clone + Send + 'static,
{
    let meta = metadata(store, entry).await?;
    let groups = meta.metadata().num_row_groups();
    per_row_group(groups, &entry.key, |rg| {
        let (store, entry, meta, f) = (store.clone(), entry.clone(), meta.clone(), f.clone());
        async move { read_group(store, entry, meta, rg).await.map(f) }
    })
    .await
}

/// `task(rg)` for every row group `rg` in `0..groups`, each in its own tokio task; results
/// in row-group order.
///
/// Errors: the first of the tasks in row-group order (as a sequential read would report);
/// `Corrupt` (of object `key`) if a task is cancelled; a panic in a task is resumed.
async fn per_row_group<R, T, Fut>(groups: usize, key: &str, task: T) -> Result<Vec<R>>
where
    R: Send + 'static,
    T: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Result<R>> + Send + 'static,
{
    let mut set = tokio::task::JoinSet::new();
    for rg in 0..groups {
        let part = task(rg);
        set.spawn(async move { (rg, part.await) });
    }
    let mut parts: Vec<Option<Result<R>>> = (0..groups).map(|_| None).collect();
    while let Some(joined) = set.join_next().await {
        let (rg, part) = match joined {
            Ok(r) => r,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => return Err(corrupt(key, format!("decode task: {e}"))),
        };
        parts[rg] = Some(part);
    }
    parts.into_iter().flatten().collect()
}

/// The identity of one stored span (what [`crate::traces::record::normalize`] sorts and
/// deduplicates by).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpanKey {
    pub trace_id: [u8; 16],
    /// `start_time_unix_nano` as stored (ns).
    pub start_ns: i64,
    pub span_id: Vec<u8>,
}

/// The [`SpanKey`]s of every span of one object, in file order, reading only the trace id,
/// start and span id columns (row groups in parallel tokio tasks).
///
/// Errors: as [`read_all`].
pub async fn read_keys(store: &Store, entry: &ObjectEntry) -> Result<Vec<SpanKey>> {
    let meta = metadata(store, entry).await?;
    let schema = meta.metadata().file_metadata().schema_descr();
    let leaf = |name: &str| {
        schema
            .columns()
            .iter()
            .position(|c| c.path().string() == name)
            .ok_or_else(|| corrupt(&entry.key, format!("missing column {name}")))
    };
    let mask = ProjectionMask::leaves(
        schema,
        [leaf(COL_TRACE_ID)?, leaf(COL_START)?, leaf(COL_SPAN_ID)?],
    );
    let groups = meta.metadata().num_row_groups();
    let parts = per_row_group(groups, &entry.key, |rg| {
        let (store, entry, meta, mask) = (store.clone(), entry.clone(), meta.clone(), mask.clone());
        read_key_group(store, entry, meta, mask, rg)
    })
    .await?;
    Ok(parts.into_iter().flatten().collect())
}

async fn read_key_group(
    store: Store,
    entry: ObjectEntry,
    meta: ArrowReaderMetadata,
    mask: ProjectionMask,
    group: usize,
) -> Result<Vec<SpanKey>> {
    let key = entry.key.as_str();
    let mut stream = builder(&store, &entry, meta)
        .with_batch_size(BATCH_ROWS)
        .with_projection(mask)
        .with_row_groups(vec![group])
        .build()?;
    let mut out = Vec::new();
    while let Some(batch) = stream.try_next().await? {
        let col = |n: &str| {
            batch
                .column_by_name(n)
                .ok_or_else(|| corrupt(key, format!("missing column {n}")))
        };
        let bad = |n: &str| corrupt(key, format!("column {n} has the wrong type"));
        let tid = col(COL_TRACE_ID)?
            .as_fixed_size_binary_opt()
            .ok_or_else(|| bad(COL_TRACE_ID))?;
        let start = col(COL_START)?
            .as_primitive_opt::<Int64Type>()
            .ok_or_else(|| bad(COL_START))?;
        let span = col(COL_SPAN_ID)?
            .as_binary_opt::<i32>()
            .ok_or_else(|| bad(COL_SPAN_ID))?;
        out.reserve(batch.num_rows());
        for row in 0..batch.num_rows() {
            out.push(SpanKey {
                trace_id: tid
                    .value(row)
                    .try_into()
                    .map_err(|_| corrupt(key, "trace_id is not 16 bytes"))?,
                start_ns: start.value(row),
                span_id: span.value(row).to_vec(),
            });
        }
    }
    Ok(out)
}

/// Rows per record batch.
const BATCH_ROWS: usize = 8192;

/// The spans of row group `group`, in file order, one piece per record batch.
async fn read_group(
    store: Store,
    entry: ObjectEntry,
    meta: ArrowReaderMetadata,
    group: usize,
) -> Result<Vec<Vec<SpanRecord>>> {
    let mut stream = builder(&store, &entry, meta)
        .with_batch_size(BATCH_ROWS)
        .with_row_groups(vec![group])
        .build()?;
    let mut out = Vec::new();
    while let Some(batch) = stream.try_next().await? {
        let mut rows = Vec::with_capacity(batch.num_rows());
        decode_batch(&batch, &entry.key, None, &mut rows)?;
        out.push(rows);
    }
    Ok(out)
}

/// The spans of `trace_id` in one object, in file order (start time, span id).
///
/// Errors: as [`read_all`].
pub async fn read_trace(
    store: &Store,
    entry: &ObjectEntry,
    trace_id: &[u8; 16],
) -> Result<Vec<SpanRecord>> {
    let mut builder = open(store, entry).await?;
    let meta = builder.metadata().clone();
    let col = trace_id_column(&meta).ok_or_else(|| corrupt(&entry.key, "no trace_id column"))?;
    let mut groups = Vec::new();
    let mut selectors = Vec::new();
    for (rg, rgm) in meta.row_groups().iter().enumerate() {
        let may_hold = match rgm.column(col).statistics() {
            Some(st) => match (st.min_bytes_opt(), st.max_bytes_opt()) {
                (Some(lo), Some(hi)) => lo <= &trace_id[..] && &trace_id[..] <= hi,
                _ => true,
            },
            None => true,
        };
        if !may_hold {
            continue;
        }
        if let Some(bloom) = builder.get_row_group_column_bloom_filter(rg, col).await? {
            if !bloom.check(&trace_id[..]) {
                continue;
            }
        }
        groups.push(rg);
        selectors.extend(pages_with(&meta, rg, col, trace_id));
    }
    if groups.is_empty() {
        return Ok(Vec::new());
    }
    let mut stream = builder
        .with_row_groups(groups)
        .with_row_selection(RowSelection::from(selectors))
        .with_batch_size(8192)
        .build()?;
    let mut out = Vec::new();
    while let Some(batch) = stream.try_next().await? {
        decode_batch(&batch, &entry.key, Some(trace_id), &mut out)?;
    }
    Ok(out)
}

/// Index of the `trace_id` leaf column.
fn trace_id_column(meta: &ParquetMetaData) -> Option<usize> {
    meta.file_metadata()
        .schema_descr()
        .columns()
        .iter()
        .position(|c| c.path().string() == COL_TRACE_ID)
}

/// Row selectors for row group `rg`: select the pages whose `trace_id` range may hold
/// `trace_id`, skip the others (the whole group when there is no page index).
fn pages_with(
    meta: &ParquetMetaData,
    rg: usize,
    col: usize,
    trace_id: &[u8; 16],
) -> Vec<RowSelector> {
    let rows = meta.row_group(rg).num_rows().max(0) as usize;
    let pi = meta.page_index_for_row_group(rg);
    let (Some(ColumnIndexMetaData::FIXED_LEN_BYTE_ARRAY(ci)), Some(oi)) =
        (pi.column_index(col), pi.offset_index(col))
    else {
        return vec![RowSelector::select(rows)];
    };
    let locs = oi.page_locations();
    let mut out: Vec<RowSelector> = Vec::new();
    for (p, loc) in locs.iter().enumerate() {
        let a = loc.first_row_index.max(0) as usize;
        let b = locs
            .get(p + 1)
            .map_or(rows, |n| n.first_row_index.max(0) as usize);
        if b <= a {
            continue;
        }
        let keep = match (ci.min_value(p), ci.max_value(p)) {
            (Some(lo), Some(hi)) => lo <= &trace_id[..] && &trace_id[..] <= hi,
            _ => true,
        };
        let sel = if keep {
            RowSelector::select(b - a)
        } else {
            RowSelector::skip(b - a)
        };
        match out.last_mut() {
            Some(last) if last.skip == sel.skip => last.row_count += sel.row_count,
            _ => out.push(sel),
        }
    }
    out
}

/// The columns of one record batch.
struct Cols<'a> {
    trace_id: &'a arrow_array::FixedSizeBinaryArray,
    start: &'a PrimitiveArray<Int64Type>,
    span_id: &'a arrow_array::BinaryArray,
    parent: &'a arrow_array::BinaryArray,
    duration: &'a PrimitiveArray<Int64Type>,
    name: &'a StringArray,
    kind: &'a PrimitiveArray<Int32Type>,
    status_code: &'a PrimitiveArray<Int32Type>,
    status_message: &'a StringArray,
    trace_state: &'a StringArray,
    flags: &'a PrimitiveArray<UInt32Type>,
    dropped_attrs: &'a PrimitiveArray<UInt32Type>,
    dropped_events: &'a PrimitiveArray<UInt32Type>,
    dropped_links: &'a PrimitiveArray<UInt32Type>,
    /// Per [`DEDICATED`] column: the string or the int array.
    ded_str: Vec<Option<&'a StringArray>>,
    ded_int: Vec<Option<&'a PrimitiveArray<Int64Type>>>,
    span_attrs: AttrMapReader<'a>,
    events: &'a GenericListArray<i32>,
    links: &'a GenericListArray<i32>,
    res_attrs: AttrMapReader<'a>,
    res_dropped: &'a PrimitiveArray<UInt32Type>,
    res_entity_refs: &'a GenericListArray<i32>,
    res_schema_url: &'a StringArray,
    scope_name: &'a StringArray,
    scope_version: &'a StringArray,
    scope_attrs: AttrMapReader<'a>,
    scope_dropped: &'a PrimitiveArray<UInt32Type>,
    scope_schema_url: &'a StringArray,
    /// The columns a row's resource is built from (attributes, dropped count, entity refs,
    /// schema URL, resource dedicated columns).
    res_inputs: Vec<&'a dyn Array>,
    /// The columns a row's scope is built from.
    scope_inputs: Vec<&'a dyn Array>,
}

impl<'a> Cols<'a> {
    fn new(batch: &'a RecordBatch, key: &str) -> Result<Self> {
        let c = |n: &str| -> Result<&'a ArrayRef> {
            batch
                .column_by_name(n)
                .ok_or_else(|| corrupt(key, format!("missing column {n}")))
        };
        let bad = |n: &str| corrupt(key, format!("column {n} has the wrong type"));
        let s = |n: &str| c(n)?.as_string_opt::<i32>().ok_or_else(|| bad(n));
        let u32c = |n: &str| c(n)?.as_primitive_opt::<UInt32Type>().ok_or_else(|| bad(n));
        let i64c = |n: &str| c(n)?.as_primitive_opt::<Int64Type>().ok_or_else(|| bad(n));
        let i32c = |n: &str| c(n)?.as_primitive_opt::<Int32Type>().ok_or_else(|| bad(n));
        let bin = |n: &str| c(n)?.as_binary_opt::<i32>().ok_or_else(|| bad(n));
        let list = |n: &str| c(n)?.as_list_opt::<i32>().ok_or_else(|| bad(n));
        let attrs = |n: &str| AttrMapReader::new(c(n)?).map_err(|e| corrupt(key, e.to_string()));
        let mut ded_str = Vec::new();
        let mut ded_int = Vec::new();
        let arrays = |names: &[&str]| -> Result<Vec<&'a dyn Array>> {
            names.iter().map(|n| Ok(c(n)?.as_ref())).collect()
        };
        let mut res_inputs = arrays(&[
            COL_RES_ATTRS,
            COL_RES_DROPPED,
            COL_RES_ENTITY_REFS,
            COL_RES_SCHEMA_URL,
        ])?;
        let dedicated: Vec<_> = dedicated_of(AttrScope::Resource)
            .map(|(_, d)| d.column)
            .collect();
        res_inputs.extend(arrays(&dedicated)?);
        let scope_inputs = arrays(&[
            COL_SCOPE_NAME,
            COL_SCOPE_VERSION,
            COL_SCOPE_ATTRS,
            COL_SCOPE_DROPPED,
            COL_SCOPE_SCHEMA_URL,
        ])?;
        for d in DEDICATED {
            if d.int {
                ded_str.push(None);
                ded_int.push(Some(i64c(d.column)?));
            } else {
                ded_str.push(Some(s(d.column)?));
                ded_int.push(None);
            }
        }
        Ok(Cols {
            trace_id: c(COL_TRACE_ID)?
                .as_fixed_size_binary_opt()
                .ok_or_else(|| bad(COL_TRACE_ID))?,
            start: i64c(COL_START)?,
            span_id: bin(COL_SPAN_ID)?,
            parent: bin(COL_PARENT_SPAN_ID)?,
            duration: i64c(COL_DURATION)?,
            name: s(COL_NAME)?,
            kind: i32c(COL_KIND)?,
            status_code: i32c(COL_STATUS_CODE)?,
            status_message: s(COL_STATUS_MESSAGE)?,
            trace_state: s(COL_TRACE_STATE)?,
            flags: u32c(COL_FLAGS)?,
            dropped_attrs: u32c(COL_DROPPED_ATTRS)?,
            dropped_events: u32c(COL_DROPPED_EVENTS)?,
            dropped_links: u32c(COL_DROPPED_LINKS)?,
            ded_str,
            ded_int,
            span_attrs: attrs(COL_SPAN_ATTRS)?,
            events: list(COL_EVENTS)?,
            links: list(COL_LINKS)?,
            res_attrs: attrs(COL_RES_ATTRS)?,
            res_dropped: u32c(COL_RES_DROPPED)?,
            res_entity_refs: list(COL_RES_ENTITY_REFS)?,
            res_schema_url: s(COL_RES_SCHEMA_URL)?,
            scope_name: s(COL_SCOPE_NAME)?,
            scope_version: s(COL_SCOPE_VERSION)?,
            scope_attrs: attrs(COL_SCOPE_ATTRS)?,
            scope_dropped: u32c(COL_SCOPE_DROPPED)?,
            scope_schema_url: s(COL_SCOPE_SCHEMA_URL)?,
            res_inputs,
            scope_inputs,
        })
    }

    /// The dedicated value of `key` (of `scope`) in `row`.
    fn dedicated(&self, scope: AttrScope, row: usize, key: &str) -> Option<DedicatedValue> {
        let (i, _) = dedicated_of(scope).find(|(_, d)| d.keys.contains(&key))?;
        if let Some(a) = self.ded_str[i] {
            return a
                .is_valid(row)
                .then(|| DedicatedValue::Str(a.value(row).to_string()));
        }
        let a = self.ded_int[i]?;
        a.is_valid(row).then(|| DedicatedValue::Int(a.value(row)))
    }
}

/// The protobuf messages of one row of a list-of-binary column.
fn messages<M: Message + Default>(
    list: &GenericListArray<i32>,
    row: usize,
    key: &str,
) -> Result<Vec<M>> {
    let offs = list.value_offsets();
    let (a, z) = (offs[row] as usize, offs[row + 1] as usize);
    let values = list
        .values()
        .as_binary_opt::<i32>()
        .ok_or_else(|| corrupt(key, "list values are not binary"))?;
    (a..z)
        .map(|i| M::decode(values.value(i)).map_err(|e| corrupt(key, e.to_string())))
        .collect()
}

/// Decodes the rows of `batch` (only those of `only` when given) and appends them to `out`.
/// Rows of the batch with equal resources (scopes) share one `Arc`.
fn decode_batch(
    batch: &RecordBatch,
    key: &str,
    only: Option<&[u8; 16]>,
    out: &mut Vec<SpanRecord>,
) -> Result<()> {
    let c = Cols::new(batch, key)?;
    let ck = |e: StorageError| corrupt(key, e.to_string());
    let mut resources: Interner<ResourceInfo> = Interner::new(&c.res_inputs);
    let mut scopes: Interner<ScopeInfo> = Interner::new(&c.scope_inputs);
    for row in 0..batch.num_rows() {
        let tid: [u8; 16] = c
            .trace_id
            .value(row)
            .try_into()
            .map_err(|_| corrupt(key, "trace_id is not 16 bytes"))?;
        if only.is_some_and(|t| *t != tid) {
            continue;
        }
        let res = resources.get(row, || -> Result<_> {
            let resource = if c.res_attrs.is_null(row) {
                None
            } else {
                Some(Resource {
                    attributes: c
                        .res_attrs
                        .row(row, |k| c.dedicated(AttrScope::Resource, row, k))
                        .map_err(ck)?,
                    dropped_attributes_count: c.res_dropped.value(row),
                    entity_refs: messages::<EntityRef>(c.res_entity_refs, row, key)?,
                })
            };
            Ok(ResourceInfo {
                resource,
                schema_url: c.res_schema_url.value(row).to_string(),
            })
        })?;
        let scope = scopes.get(row, || -> Result<_> {
            let scope = (!c.scope_name.is_null(row))
                .then(|| -> Result<InstrumentationScope> {
                    Ok(InstrumentationScope {
                        name: c.scope_name.value(row).to_string(),
                        version: c.scope_version.value(row).to_string(),
                        attributes: c.scope_attrs.row(row, |_| None).map_err(ck)?,
                        dropped_attributes_count: c.scope_dropped.value(row),
                    })
                })
                .transpose()?;
            Ok(ScopeInfo {
                scope,
                schema_url: c.scope_schema_url.value(row).to_string(),
            })
        })?;
        let start = c.start.value(row) as u64;
        let span = Span {
            trace_id: tid.to_vec(),
            span_id: c.span_id.value(row).to_vec(),
            trace_state: c.trace_state.value(row).to_string(),
            parent_span_id: c.parent.value(row).to_vec(),
            flags: c.flags.value(row),
            name: c.name.value(row).to_string(),
            kind: c.kind.value(row),
            start_time_unix_nano: start,
            end_time_unix_nano: start.wrapping_add(c.duration.value(row) as u64),
            attributes: c
                .span_attrs
                .row(row, |k| c.dedicated(AttrScope::Span, row, k))
                .map_err(ck)?,
            dropped_attributes_count: c.dropped_attrs.value(row),
            events: messages::<Event>(c.events, row, key)?,
            dropped_events_count: c.dropped_events.value(row),
            links: messages::<Link>(c.links, row, key)?,
            dropped_links_count: c.dropped_links.value(row),
            status: (!c.status_code.is_null(row)).then(|| Status {
                message: c.status_message.value(row).to_string(),
                code: c.status_code.value(row),
            }),
        };
        out.push(SpanRecord {
            trace_id: tid,
            resource: res,
            scope,
            span,
        });
    }
    Ok(())
}
