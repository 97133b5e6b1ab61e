//! Writing log streams into one Parquet object (layout in [`super::schema`]).

use super::schema::*;
use crate::error::Result;
use arrow_array::builder::{Int64Builder, MapBuilder, MapFieldNames, StringBuilder, UInt64Builder};
use arrow_array::{ArrayRef, RecordBatch};
use bytes::Bytes;
use lakewatch_model::{LogEntry, LogStream};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::file::metadata::{KeyValue, SortingColumn};
use parquet::file::properties::{
    DeltaBinaryPackedEncoderOptions, EnabledStatistics, WriterProperties,
};
use parquet::schema::types::ColumnPath;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Tuning of the logs Parquet writer.
#[derive(Debug, Clone)]
pub struct LogsEncodeOptions {
    /// Rows (entries) per row group (default 128 Ki).
    pub row_group_rows: usize,
    /// zstd level of every column (default 3).
    pub zstd_level: i32,
    /// Largest uncompressed data page, bytes (default 1 MiB; larger pages give zstd more
    /// context on the `line` column).
    pub data_page_bytes: usize,
}

impl Default for LogsEncodeOptions {
    fn default() -> Self {
        LogsEncodeOptions {
            row_group_rows: 128 * 1024,
            zstd_level: 3,
            data_page_bytes: 1024 * 1024,
        }
    }
}

impl LogsEncodeOptions {
    /// Options of compacted (L1/L2) objects: zstd level 9 and 4 MiB pages (written once, read
    /// many times; level 9 costs about 3× level 3 in encode time).
    pub fn compacted() -> Self {
        LogsEncodeOptions {
            zstd_level: 9,
            data_page_bytes: 4 * 1024 * 1024,
            ..Default::default()
        }
    }
}

/// What an encoded object holds (becomes the manifest entry's statistics).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogsObjectStats {
    /// Smallest / largest entry timestamp, ns (0/0 when empty).
    pub min_ts_ns: i64,
    pub max_ts_ns: i64,
    pub streams: u64,
    pub entries: u64,
    /// Sum of line lengths (UTF-8 bytes).
    pub line_bytes: u64,
}

/// A finished Parquet object.
#[derive(Debug, Clone)]
pub struct EncodedLogs {
    pub bytes: Bytes,
    pub stats: LogsObjectStats,
}

/// The order of entries within a stream: timestamp, then line, then structured metadata
/// (identical entries are adjacent, so they can be dropped).
pub fn entry_order(a: &LogEntry, b: &LogEntry) -> Ordering {
    a.timestamp_ns
        .cmp(&b.timestamp_ns)
        .then_with(|| a.line.cmp(&b.line))
        .then_with(|| a.structured_metadata.cmp(&b.structured_metadata))
}

/// Sorts a stream's entries by [`entry_order`] and drops exact duplicates.
pub fn sort_dedup(entries: &mut Vec<LogEntry>) {
    if !entries
        .windows(2)
        .all(|w| entry_order(&w[0], &w[1]) == Ordering::Less)
    {
        entries.sort_unstable_by(entry_order);
        entries.dedup();
    }
}

/// Groups streams with equal labels, sorts and dedupes their entries, drops streams without
/// entries. The result is sorted by labels.
pub fn normalize(streams: impl IntoIterator<Item = LogStream>) -> Vec<LogStream> {
    let mut by_labels: BTreeMap<lakewatch_model::Labels, Vec<LogEntry>> = BTreeMap::new();
    for s in streams {
        if s.entries.is_empty() {
            continue;
        }
        by_labels.entry(s.labels).or_default().extend(s.entries);
    }
    by_labels
        .into_iter()
        .map(|(labels, mut entries)| {
            sort_dedup(&mut entries);
            LogStream { labels, entries }
        })
        .collect()
}

fn writer_props(
    streams: &[StreamRecord],
    distinct_ids: usize,
    opts: &LogsEncodeOptions,
) -> Result<WriterProperties> {
    let sorting = [0, 1, 2, 3]
        .into_iter()
        .map(|i| SortingColumn {
            column_idx: i,
            descending: false,
            nulls_first: false,
        })
        .collect();
    let table = serde_json::to_string(streams).unwrap_or_else(|_| "[]".into());
    let col = |n: &str| ColumnPath::from(n);
    Ok(WriterProperties::builder()
        .set_created_by("lakewatch".into())
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(opts.zstd_level)?))
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_max_row_group_row_count(Some(opts.row_group_rows.max(1)))
        .set_data_page_row_count_limit(16 * 1024)
        .set_data_page_size_limit(opts.data_page_bytes.max(4096))
        .set_sorting_columns(Some(sorting))
        .set_column_dictionary_enabled(col(COL_STREAM_ID), false)
        .set_column_encoding(col(COL_STREAM_ID), Encoding::DELTA_BINARY_PACKED)
        .set_column_bloom_filter_enabled(col(COL_STREAM_ID), true)
        .set_column_bloom_filter_fpp(col(COL_STREAM_ID), 0.01)
        .set_column_bloom_filter_max_ndv(col(COL_STREAM_ID), distinct_ids.max(1) as u64)
        .set_column_dictionary_enabled(col(COL_TIMESTAMP), false)
        .set_column_encoding(col(COL_TIMESTAMP), Encoding::DELTA_BINARY_PACKED)
        .set_column_delta_binary_packed_encoder_options(
            col(COL_TIMESTAMP),
            DeltaBinaryPackedEncoderOptions::try_new(128, 4)?,
        )
        .set_column_dictionary_enabled(col(COL_LINE), false)
        .set_column_statistics_enabled(col(COL_LINE), EnabledStatistics::None)
        .set_column_statistics_enabled(col(COL_LABELS), EnabledStatistics::Chunk)
        // One dictionary entry per stream: room for ~80 k streams of ~100 B labels per row
        // group before the writer falls back to plain strings.
        .set_column_dictionary_page_size_limit(col(COL_LABELS), 8 * 1024 * 1024)
        .set_key_value_metadata(Some(vec![
            KeyValue::new(KV_FORMAT.to_string(), FORMAT_LOGS_V1.to_string()),
            KeyValue::new(KV_STREAMS.to_string(), table),
        ]))
        .build())
}

/// Builders for one record batch.
struct Builders {
    id: UInt64Builder,
    labels: StringBuilder,
    ts: Int64Builder,
    line: StringBuilder,
    md: MapBuilder<StringBuilder, StringBuilder>,
    rows: usize,
}

impl Builders {
    fn new() -> Self {
        let names = MapFieldNames {
            entry: MAP_ENTRIES.to_string(),
            key: MAP_KEY.to_string(),
            value: MAP_VALUE.to_string(),
        };
        Builders {
            id: UInt64Builder::new(),
            labels: StringBuilder::new(),
            ts: Int64Builder::new(),
            line: StringBuilder::new(),
            md: MapBuilder::new(Some(names), StringBuilder::new(), StringBuilder::new()),
            rows: 0,
        }
    }

    fn finish(&mut self, schema: &Arc<arrow_schema::Schema>) -> Result<RecordBatch> {
        self.rows = 0;
        let cols: Vec<ArrayRef> = vec![
            Arc::new(self.id.finish()),
            Arc::new(self.labels.finish()),
            Arc::new(self.ts.finish()),
            Arc::new(self.line.finish()),
            Arc::new(self.md.finish()),
        ];
        Ok(RecordBatch::try_new(schema.clone(), cols)?)
    }
}

const BATCH_ROWS: usize = 16 * 1024;

/// Encodes streams that are already normalized ([`normalize`]: distinct labels, entries sorted
/// and deduped) into one object. Streams are written in (`stream_id`, labels) order.
///
/// Errors: Parquet/Arrow failures only.
pub fn encode(streams: &[LogStream], opts: &LogsEncodeOptions) -> Result<EncodedLogs> {
    let mut order: Vec<(u64, &LogStream)> = streams
        .iter()
        .filter(|s| !s.entries.is_empty())
        .map(|s| (stream_id(&s.labels), s))
        .collect();
    order.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.labels.cmp(&b.1.labels)));
    let mut table = Vec::with_capacity(order.len());
    let mut stats = LogsObjectStats {
        min_ts_ns: i64::MAX,
        max_ts_ns: i64::MIN,
        ..Default::default()
    };
    let mut row = 0u64;
    for (_, s) in &order {
        let first = s.entries.first().map_or(0, |e| e.timestamp_ns);
        let last = s.entries.last().map_or(0, |e| e.timestamp_ns);
        let line_bytes: u64 = s.entries.iter().map(|e| e.line.len() as u64).sum();
        table.push(StreamRecord {
            labels: s.labels.clone(),
            first_row: row,
            rows: s.entries.len() as u64,
            min_ts_ns: first,
            max_ts_ns: last,
            line_bytes,
        });
        row += s.entries.len() as u64;
        stats.min_ts_ns = stats.min_ts_ns.min(first);
        stats.max_ts_ns = stats.max_ts_ns.max(last);
        stats.line_bytes += line_bytes;
    }
    stats.streams = table.len() as u64;
    stats.entries = row;
    if row == 0 {
        stats.min_ts_ns = 0;
        stats.max_ts_ns = 0;
    }
    let mut distinct_ids: Vec<u64> = order.iter().map(|x| x.0).collect();
    distinct_ids.dedup();
    let props = writer_props(&table, distinct_ids.len(), opts)?;
    let schema = Arc::new(arrow_schema());
    let mut out = Vec::with_capacity(stats.line_bytes as usize / 8 + 4096);
    let mut w = ArrowWriter::try_new(&mut out, schema.clone(), Some(props))?;
    let mut b = Builders::new();
    for (id, s) in &order {
        let lj = labels_json(&s.labels);
        for e in &s.entries {
            b.id.append_value(*id);
            b.labels.append_value(&lj);
            b.ts.append_value(e.timestamp_ns);
            b.line.append_value(&e.line);
            for l in e.structured_metadata.iter() {
                b.md.keys().append_value(&l.name);
                b.md.values().append_value(&l.value);
            }
            b.md.append(true)?;
            b.rows += 1;
            if b.rows >= BATCH_ROWS {
                w.write(&b.finish(&schema)?)?;
            }
        }
    }
    if b.rows > 0 || row == 0 {
        w.write(&b.finish(&schema)?)?;
    }
    w.close()?;
    Ok(EncodedLogs {
        bytes: Bytes::from(out),
        stats,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use lakewatch_model::Labels;

    fn e(ts: i64, line: &str) -> LogEntry {
        LogEntry {
            timestamp_ns: ts,
            line: line.into(),
            structured_metadata: Labels::default(),
        }
    }

    #[test]
    fn normalize_groups_sorts_dedupes() {
        let a = Labels::from_pairs([("app", "a")]);
        let b = Labels::from_pairs([("app", "b")]);
        let out = normalize(vec![
            LogStream {
                labels: b.clone(),
                entries: vec![e(2, "x"), e(1, "y")],
            },
            LogStream {
                labels: a.clone(),
                entries: vec![],
            },
            LogStream {
                labels: b.clone(),
                entries: vec![e(1, "y"), e(1, "a")],
            },
        ]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].labels, b);
        assert_eq!(out[0].entries, vec![e(1, "a"), e(1, "y"), e(2, "x")]);
    }

    #[test]
    fn encode_stats() {
        let s = normalize(vec![LogStream {
            labels: Labels::from_pairs([("app", "a")]),
            entries: vec![e(5, "hello"), e(3, "hi")],
        }]);
        let enc = encode(&s, &LogsEncodeOptions::default()).unwrap();
        assert_eq!(enc.stats.entries, 2);
        assert_eq!(enc.stats.streams, 1);
        assert_eq!((enc.stats.min_ts_ns, enc.stats.max_ts_ns), (3, 5));
        assert_eq!(enc.stats.line_bytes, 7);
        assert!(enc.bytes.starts_with(b"PAR1"));
    }
}
