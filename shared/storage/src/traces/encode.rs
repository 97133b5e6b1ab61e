//! Writing spans into one Parquet object (layout in [`super::schema`]).

use super::attrs::{extract, AttrMapBuilder, DedicatedValue};
use super::record::{count_traces, SpanRecord};
use super::schema::*;
use crate::error::Result;
use arrow_array::builder::{
    BinaryBuilder, FixedSizeBinaryBuilder, Int32Builder, Int64Builder, ListBuilder, StringBuilder,
    UInt32Builder,
};
use arrow_array::{ArrayRef, RecordBatch};
use bytes::Bytes;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::file::metadata::{KeyValue, SortingColumn};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;
use prost::Message;
use std::sync::Arc;

/// Tuning of the traces Parquet writer.
#[derive(Debug, Clone)]
pub struct TracesEncodeOptions {
    /// Rows (spans) per row group (default 64 Ki).
    pub row_group_rows: usize,
    /// zstd level of every column (default 3).
    pub zstd_level: i32,
    /// Largest uncompressed data page, bytes (default 1 MiB).
    pub data_page_bytes: usize,
    /// Most rows per data page (default 8 Ki: the page index then narrows a trace lookup to
    /// a few pages).
    pub data_page_rows: usize,
}

impl Default for TracesEncodeOptions {
    fn default() -> Self {
        TracesEncodeOptions {
            row_group_rows: 64 * 1024,
            zstd_level: 3,
            data_page_bytes: 1024 * 1024,
            data_page_rows: 8 * 1024,
        }
    }
}

impl TracesEncodeOptions {
    /// Options of compacted (L1/L2) objects: zstd level 9 (written once, read many times).
    pub fn compacted() -> Self {
        TracesEncodeOptions {
            zstd_level: 9,
            ..Default::default()
        }
    }
}

/// What an encoded object holds (becomes the manifest entry's statistics).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TracesObjectStats {
    /// Smallest / largest span start, ns (0/0 when empty).
    pub min_start_ns: i64,
    pub max_start_ns: i64,
    pub spans: u64,
    pub traces: u64,
}

/// A finished Parquet object.
#[derive(Debug, Clone)]
pub struct EncodedTraces {
    pub bytes: Bytes,
    pub stats: TracesObjectStats,
}

fn writer_props(traces: u64, opts: &TracesEncodeOptions) -> Result<WriterProperties> {
    let sorting = [0, 1, 2]
        .into_iter()
        .map(|i| SortingColumn {
            column_idx: i,
            descending: false,
            nulls_first: false,
        })
        .collect();
    let col = |n: &str| ColumnPath::from(n);
    let mut b = WriterProperties::builder()
        .set_created_by("lakewatch".into())
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(opts.zstd_level)?))
        .set_statistics_enabled(EnabledStatistics::Chunk)
        .set_max_row_group_row_count(Some(opts.row_group_rows.max(1)))
        .set_data_page_row_count_limit(opts.data_page_rows.max(1))
        .set_data_page_size_limit(opts.data_page_bytes.max(4096))
        .set_sorting_columns(Some(sorting))
        .set_column_dictionary_enabled(col(COL_TRACE_ID), false)
        .set_column_statistics_enabled(col(COL_TRACE_ID), EnabledStatistics::Page)
        .set_column_bloom_filter_enabled(col(COL_TRACE_ID), true)
        .set_column_bloom_filter_fpp(col(COL_TRACE_ID), 0.01)
        .set_column_bloom_filter_max_ndv(col(COL_TRACE_ID), traces.max(1))
        .set_column_dictionary_enabled(col(COL_START), false)
        .set_column_encoding(col(COL_START), Encoding::DELTA_BINARY_PACKED)
        .set_column_statistics_enabled(col(COL_START), EnabledStatistics::Page)
        .set_column_dictionary_enabled(col(COL_DURATION), false)
        .set_column_encoding(col(COL_DURATION), Encoding::DELTA_BINARY_PACKED)
        .set_column_dictionary_enabled(col(COL_SPAN_ID), false)
        .set_column_statistics_enabled(col(COL_SPAN_ID), EnabledStatistics::None)
        .set_column_dictionary_enabled(col(COL_PARENT_SPAN_ID), false)
        .set_column_statistics_enabled(col(COL_PARENT_SPAN_ID), EnabledStatistics::None)
        .set_key_value_metadata(Some(vec![KeyValue::new(
            KV_FORMAT.to_string(),
            FORMAT_TRACES_V1.to_string(),
        )]));
    for c in [COL_EVENTS, COL_LINKS, COL_RES_ENTITY_REFS] {
        let p = ColumnPath::new(vec![c.to_string(), "list".into(), LIST_ITEM.into()]);
        b = b
            .set_column_dictionary_enabled(p.clone(), false)
            .set_column_statistics_enabled(p, EnabledStatistics::None);
    }
    for c in [COL_SPAN_ATTRS, COL_RES_ATTRS, COL_SCOPE_ATTRS] {
        let p = ColumnPath::new(vec![
            c.to_string(),
            MAP_ENTRIES.into(),
            MAP_VALUE.into(),
            V_PROTO.into(),
        ]);
        b = b.set_column_statistics_enabled(p, EnabledStatistics::None);
    }
    Ok(b.build())
}

/// Builders for one record batch.
struct Builders {
    trace_id: FixedSizeBinaryBuilder,
    start: Int64Builder,
    span_id: BinaryBuilder,
    parent: BinaryBuilder,
    duration: Int64Builder,
    name: StringBuilder,
    kind: Int32Builder,
    status_code: Int32Builder,
    status_message: StringBuilder,
    trace_state: StringBuilder,
    flags: UInt32Builder,
    dropped_attrs: UInt32Builder,
    dropped_events: UInt32Builder,
    dropped_links: UInt32Builder,
    /// One per [`DEDICATED`] column (string or int).
    ded_str: Vec<StringBuilder>,
    ded_int: Vec<Int64Builder>,
    span_attrs: AttrMapBuilder,
    events: ListBuilder<BinaryBuilder>,
    links: ListBuilder<BinaryBuilder>,
    res_attrs: AttrMapBuilder,
    res_dropped: UInt32Builder,
    res_entity_refs: ListBuilder<BinaryBuilder>,
    res_schema_url: StringBuilder,
    scope_name: StringBuilder,
    scope_version: StringBuilder,
    scope_attrs: AttrMapBuilder,
    scope_dropped: UInt32Builder,
    scope_schema_url: StringBuilder,
    rows: usize,
}

fn list_builder() -> ListBuilder<BinaryBuilder> {
    ListBuilder::new(BinaryBuilder::new()).with_field(Arc::new(arrow_schema::Field::new(
        LIST_ITEM,
        arrow_schema::DataType::Binary,
        true,
    )))
}

impl Builders {
    fn new() -> Self {
        Builders {
            trace_id: FixedSizeBinaryBuilder::new(16),
            start: Int64Builder::new(),
            span_id: BinaryBuilder::new(),
            parent: BinaryBuilder::new(),
            duration: Int64Builder::new(),
            name: StringBuilder::new(),
            kind: Int32Builder::new(),
            status_code: Int32Builder::new(),
            status_message: StringBuilder::new(),
            trace_state: StringBuilder::new(),
            flags: UInt32Builder::new(),
            dropped_attrs: UInt32Builder::new(),
            dropped_events: UInt32Builder::new(),
            dropped_links: UInt32Builder::new(),
            ded_str: DEDICATED.iter().map(|_| StringBuilder::new()).collect(),
            ded_int: DEDICATED.iter().map(|_| Int64Builder::new()).collect(),
            span_attrs: AttrMapBuilder::default(),
            events: list_builder(),
            links: list_builder(),
            res_attrs: AttrMapBuilder::default(),
            res_dropped: UInt32Builder::new(),
            res_entity_refs: list_builder(),
            res_schema_url: StringBuilder::new(),
            scope_name: StringBuilder::new(),
            scope_version: StringBuilder::new(),
            scope_attrs: AttrMapBuilder::default(),
            scope_dropped: UInt32Builder::new(),
            scope_schema_url: StringBuilder::new(),
            rows: 0,
        }
    }

    fn push(&mut self, r: &SpanRecord) -> Result<()> {
        let s = &r.span;
        self.trace_id.append_value(r.trace_id)?;
        self.start.append_value(s.start_time_unix_nano as i64);
        self.span_id.append_value(&s.span_id);
        self.parent.append_value(&s.parent_span_id);
        self.duration
            .append_value(s.end_time_unix_nano.wrapping_sub(s.start_time_unix_nano) as i64);
        self.name.append_value(&s.name);
        self.kind.append_value(s.kind);
        self.status_code
            .append_option(s.status.as_ref().map(|st| st.code));
        self.status_message
            .append_value(s.status.as_ref().map_or("", |st| st.message.as_str()));
        self.trace_state.append_value(&s.trace_state);
        self.flags.append_value(s.flags);
        self.dropped_attrs.append_value(s.dropped_attributes_count);
        self.dropped_events.append_value(s.dropped_events_count);
        self.dropped_links.append_value(s.dropped_links_count);

        let res = r.resource.resource.as_ref();
        let res_attrs: &[_] = res.map_or(&[], |x| x.attributes.as_slice());
        let (res_moved, res_ded) = extract(res_attrs, AttrScope::Resource);
        let (span_moved, span_ded) = extract(&s.attributes, AttrScope::Span);
        for (i, d) in DEDICATED.iter().enumerate() {
            let v = match d.scope {
                AttrScope::Resource => &res_ded[i],
                AttrScope::Span => &span_ded[i],
            };
            match v {
                Some(DedicatedValue::Str(x)) => self.ded_str[i].append_value(x),
                _ => self.ded_str[i].append_null(),
            }
            match v {
                Some(DedicatedValue::Int(x)) => self.ded_int[i].append_value(*x),
                _ => self.ded_int[i].append_null(),
            }
        }
        self.span_attrs.push(Some(&s.attributes), &span_moved);
        for e in &s.events {
            self.events.values().append_value(e.encode_to_vec());
        }
        self.events.append(true);
        for l in &s.links {
            self.links.values().append_value(l.encode_to_vec());
        }
        self.links.append(true);

        self.res_attrs
            .push(res.map(|x| x.attributes.as_slice()), &res_moved);
        self.res_dropped
            .append_value(res.map_or(0, |x| x.dropped_attributes_count));
        for e in res.map_or(&[][..], |x| x.entity_refs.as_slice()) {
            self.res_entity_refs
                .values()
                .append_value(e.encode_to_vec());
        }
        self.res_entity_refs.append(true);
        self.res_schema_url.append_value(&r.resource.schema_url);

        let scope = r.scope.scope.as_ref();
        self.scope_name
            .append_option(scope.map(|x| x.name.as_str()));
        self.scope_version
            .append_value(scope.map_or("", |x| x.version.as_str()));
        self.scope_attrs.push(
            Some(scope.map_or(&[][..], |x| x.attributes.as_slice())),
            &[],
        );
        self.scope_dropped
            .append_value(scope.map_or(0, |x| x.dropped_attributes_count));
        self.scope_schema_url.append_value(&r.scope.schema_url);
        self.rows += 1;
        Ok(())
    }

    fn finish(&mut self, schema: &Arc<arrow_schema::Schema>) -> Result<RecordBatch> {
        self.rows = 0;
        let mut cols: Vec<ArrayRef> = vec![
            Arc::new(self.trace_id.finish()),
            Arc::new(self.start.finish()),
            Arc::new(self.span_id.finish()),
            Arc::new(self.parent.finish()),
            Arc::new(self.duration.finish()),
            Arc::new(self.name.finish()),
            Arc::new(self.kind.finish()),
            Arc::new(self.status_code.finish()),
            Arc::new(self.status_message.finish()),
            Arc::new(self.trace_state.finish()),
            Arc::new(self.flags.finish()),
            Arc::new(self.dropped_attrs.finish()),
            Arc::new(self.dropped_events.finish()),
            Arc::new(self.dropped_links.finish()),
        ];
        for (i, d) in DEDICATED.iter().enumerate() {
            let s = Arc::new(self.ded_str[i].finish()) as ArrayRef;
            let n = Arc::new(self.ded_int[i].finish()) as ArrayRef;
            cols.push(if d.int { n } else { s });
        }
        cols.extend([
            self.span_attrs.finish()?,
            Arc::new(self.events.finish()) as ArrayRef,
            Arc::new(self.links.finish()),
            self.res_attrs.finish()?,
            Arc::new(self.res_dropped.finish()),
            Arc::new(self.res_entity_refs.finish()),
            Arc::new(self.res_schema_url.finish()),
            Arc::new(self.scope_name.finish()),
            Arc::new(self.scope_version.finish()),
            self.scope_attrs.finish()?,
            Arc::new(self.scope_dropped.finish()),
            Arc::new(self.scope_schema_url.finish()),
        ]);
        Ok(RecordBatch::try_new(schema.clone(), cols)?)
    }
}

const BATCH_ROWS: usize = 8 * 1024;

/// Encodes records that are already normalized ([`super::record::normalize`]: sorted by
/// trace id, start, span id; one span per (trace id, span id)) into one object.
///
/// Errors: Parquet/Arrow failures only.
pub fn encode(rows: &[SpanRecord], opts: &TracesEncodeOptions) -> Result<EncodedTraces> {
    let mut stats = TracesObjectStats {
        spans: rows.len() as u64,
        traces: count_traces(rows),
        ..Default::default()
    };
    if let Some(min) = rows.iter().map(|r| r.start_ns()).min() {
        stats.min_start_ns = min;
        stats.max_start_ns = rows.iter().map(|r| r.start_ns()).max().unwrap_or(min);
    }
    let props = writer_props(stats.traces, opts)?;
    let schema = Arc::new(arrow_schema());
    let mut out = Vec::with_capacity(rows.len() * 64 + 4096);
    let mut w = ArrowWriter::try_new(&mut out, schema.clone(), Some(props))?;
    let mut b = Builders::new();
    for r in rows {
        b.push(r)?;
        if b.rows >= BATCH_ROWS {
            w.write(&b.finish(&schema)?)?;
        }
    }
    if b.rows > 0 || rows.is_empty() {
        w.write(&b.finish(&schema)?)?;
    }
    w.close()?;
    Ok(EncodedTraces {
        bytes: Bytes::from(out),
        stats,
    })
}
