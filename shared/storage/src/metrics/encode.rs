//! Writing series into one Parquet object (layout in [`super::schema`]).

use super::histogram_codec;
use super::schema::*;
use crate::error::Result;
use arrow_array::builder::{
    BinaryBuilder, Float64Builder, Int64Builder, StringBuilder, UInt64Builder, UInt8Builder,
};
use arrow_array::{ArrayRef, RecordBatch};
use bytes::Bytes;
use lakewatch_model::{MetricMetadata, TimeSeries, METRIC_NAME};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::file::metadata::{KeyValue, SortingColumn};
use parquet::file::properties::{
    DeltaBinaryPackedEncoderOptions, EnabledStatistics, WriterProperties,
};
use parquet::schema::types::ColumnPath;
use std::collections::BTreeSet;
use std::sync::Arc;

/// Tuning of the Parquet writer.
#[derive(Debug, Clone)]
pub struct EncodeOptions {
    /// Rows per row group (default 256 Ki).
    pub row_group_rows: usize,
    /// zstd level (default 3).
    pub zstd_level: i32,
    /// More distinct metric names than this are not listed in the manifest (default 10 000).
    pub max_metric_names: usize,
}

impl Default for EncodeOptions {
    fn default() -> Self {
        EncodeOptions {
            row_group_rows: 256 * 1024,
            zstd_level: 3,
            max_metric_names: 10_000,
        }
    }
}

/// What an encoded object holds (becomes the manifest entry's statistics).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ObjectStats {
    /// Smallest / largest timestamp of any row, ms (0/0 when empty).
    pub min_time_ms: i64,
    pub max_time_ms: i64,
    pub rows: u64,
    pub samples: u64,
    pub histograms: u64,
    pub exemplars: u64,
    pub series: u64,
    /// Sorted distinct metric names; `None` if more than `max_metric_names`.
    pub metric_names: Option<Vec<String>>,
}

/// A finished Parquet object.
#[derive(Debug, Clone)]
pub struct EncodedObject {
    pub bytes: Bytes,
    pub stats: ObjectStats,
}

const BATCH_ROWS: usize = 64 * 1024;

fn writer_props(
    label_cols: usize,
    metadata: &[MetricMetadata],
    opts: &EncodeOptions,
) -> Result<WriterProperties> {
    let kind_idx = 2 + label_cols;
    let sorting = vec![
        SortingColumn {
            column_idx: 0,
            descending: false,
            nulls_first: false,
        },
        SortingColumn {
            column_idx: 1,
            descending: false,
            nulls_first: false,
        },
        SortingColumn {
            column_idx: kind_idx as i32,
            descending: false,
            nulls_first: false,
        },
        SortingColumn {
            column_idx: kind_idx as i32 + 1,
            descending: false,
            nulls_first: false,
        },
    ];
    let meta_json = serde_json::to_string(metadata).unwrap_or_else(|_| "[]".into());
    let col = |n: &str| ColumnPath::from(n);
    Ok(WriterProperties::builder()
        .set_created_by("lakewatch".into())
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(opts.zstd_level)?))
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_max_row_group_row_count(Some(opts.row_group_rows.max(1)))
        .set_data_page_row_count_limit(16 * 1024)
        .set_sorting_columns(Some(sorting))
        .set_column_dictionary_enabled(col(COL_TIMESTAMP), false)
        .set_column_encoding(col(COL_TIMESTAMP), Encoding::DELTA_BINARY_PACKED)
        .set_column_delta_binary_packed_encoder_options(
            col(COL_TIMESTAMP),
            DeltaBinaryPackedEncoderOptions::try_new(128, 4)?,
        )
        .set_column_dictionary_enabled(col(COL_VALUE), false)
        .set_column_encoding(col(COL_VALUE), Encoding::BYTE_STREAM_SPLIT)
        .set_column_dictionary_enabled(col(COL_VALUE_INT), false)
        .set_column_encoding(col(COL_VALUE_INT), Encoding::DELTA_BINARY_PACKED)
        // Small blocks: a negative jump where one series ends and the next begins widens only
        // one 128-value block instead of 256 values.
        .set_column_delta_binary_packed_encoder_options(
            col(COL_VALUE_INT),
            DeltaBinaryPackedEncoderOptions::try_new(128, 4)?,
        )
        .set_column_dictionary_enabled(col(COL_HISTOGRAM), false)
        .set_column_statistics_enabled(col(COL_HISTOGRAM), EnabledStatistics::None)
        .set_column_statistics_enabled(col(COL_EXEMPLAR_LABELS), EnabledStatistics::Chunk)
        .set_column_bloom_filter_enabled(col(COL_METRIC_NAME), true)
        .set_column_bloom_filter_fpp(col(COL_METRIC_NAME), 0.01)
        .set_key_value_metadata(Some(vec![
            KeyValue::new(KV_FORMAT.to_string(), FORMAT_METRICS_V1.to_string()),
            KeyValue::new(KV_METADATA.to_string(), meta_json),
        ]))
        .build())
}

struct Builders {
    name: StringBuilder,
    id: UInt64Builder,
    labels: Vec<StringBuilder>,
    kind: UInt8Builder,
    ts: Int64Builder,
    value: Float64Builder,
    value_int: Int64Builder,
    value_scale: UInt8Builder,
    hist: BinaryBuilder,
    ex: StringBuilder,
    rows: usize,
}

impl Builders {
    fn new(n_labels: usize) -> Self {
        Builders {
            name: StringBuilder::new(),
            id: UInt64Builder::new(),
            labels: (0..n_labels).map(|_| StringBuilder::new()).collect(),
            kind: UInt8Builder::new(),
            ts: Int64Builder::new(),
            value: Float64Builder::new(),
            value_int: Int64Builder::new(),
            value_scale: UInt8Builder::new(),
            hist: BinaryBuilder::new(),
            ex: StringBuilder::new(),
            rows: 0,
        }
    }

    fn row_prefix(&mut self, name: &str, id: u64, values: &[Option<&str>], kind: u8, ts: i64) {
        self.name.append_value(name);
        self.id.append_value(id);
        for (b, v) in self.labels.iter_mut().zip(values) {
            b.append_option(*v);
        }
        self.kind.append_value(kind);
        self.ts.append_value(ts);
        self.rows += 1;
    }

    fn finish(&mut self, schema: &Arc<arrow_schema::Schema>) -> Result<RecordBatch> {
        let mut cols: Vec<ArrayRef> =
            vec![Arc::new(self.name.finish()), Arc::new(self.id.finish())];
        for b in self.labels.iter_mut() {
            cols.push(Arc::new(b.finish()));
        }
        cols.push(Arc::new(self.kind.finish()));
        cols.push(Arc::new(self.ts.finish()));
        cols.push(Arc::new(self.value.finish()));
        cols.push(Arc::new(self.value_int.finish()));
        cols.push(Arc::new(self.value_scale.finish()));
        cols.push(Arc::new(self.hist.finish()));
        cols.push(Arc::new(self.ex.finish()));
        self.rows = 0;
        Ok(RecordBatch::try_new(schema.clone(), cols)?)
    }
}

/// Encodes series (each already normalized: data sorted by time, no duplicate timestamps) and
/// metric metadata into one Parquet object. Series are written in (`metric_name`, `series_id`,
/// labels) order; the input order does not matter.
pub fn encode(
    series: &[TimeSeries],
    metadata: &[MetricMetadata],
    opts: &EncodeOptions,
) -> Result<EncodedObject> {
    let mut order: Vec<(&str, u64, &TimeSeries)> = series
        .iter()
        .map(|s| {
            (
                s.labels.metric_name().unwrap_or(""),
                series_id(&s.labels),
                s,
            )
        })
        .collect();
    order.sort_by(|a, b| (a.0, a.1, &a.2.labels).cmp(&(b.0, b.1, &b.2.labels)));
    let label_names: Vec<String> = series
        .iter()
        .flat_map(|s| s.labels.iter().map(|l| l.name.as_str()))
        .filter(|n| *n != METRIC_NAME)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .map(str::to_string)
        .collect();
    let schema = Arc::new(arrow_schema(&label_names));
    let props = writer_props(label_names.len(), metadata, opts)?;
    let mut writer = ArrowWriter::try_new(Vec::new(), schema.clone(), Some(props))?;
    let mut b = Builders::new(label_names.len());
    let mut stats = ObjectStats {
        min_time_ms: i64::MAX,
        max_time_ms: i64::MIN,
        ..Default::default()
    };
    let mut names: BTreeSet<&str> = BTreeSet::new();
    let mut values: Vec<Option<&str>> = Vec::with_capacity(label_names.len());
    for (name, id, s) in order {
        if s.samples.is_empty() && s.histograms.is_empty() && s.exemplars.is_empty() {
            continue;
        }
        stats.series += 1;
        names.insert(name);
        values.clear();
        values.extend(label_names.iter().map(|n| s.labels.get(n)));
        // One scale per series keeps its mantissas' deltas small.
        let scale = s
            .samples
            .iter()
            .filter_map(|x| min_scale(x.value))
            .max()
            .unwrap_or(0);
        for smp in &s.samples {
            b.row_prefix(name, id, &values, KIND_FLOAT, smp.timestamp_ms);
            match as_decimal(smp.value, scale) {
                Some(m) => {
                    b.value.append_null();
                    b.value_int.append_value(m);
                    b.value_scale.append_value(scale);
                }
                None => {
                    b.value.append_value(smp.value);
                    b.value_int.append_null();
                    b.value_scale.append_null();
                }
            }
            b.hist.append_null();
            b.ex.append_null();
            stats.min_time_ms = stats.min_time_ms.min(smp.timestamp_ms);
            stats.max_time_ms = stats.max_time_ms.max(smp.timestamp_ms);
            if b.rows >= BATCH_ROWS {
                writer.write(&b.finish(&schema)?)?;
            }
        }
        for (t, h) in &s.histograms {
            b.row_prefix(name, id, &values, KIND_HISTOGRAM, *t);
            b.value.append_null();
            b.value_int.append_null();
            b.value_scale.append_null();
            b.hist.append_value(histogram_codec::encode(h));
            b.ex.append_null();
            stats.min_time_ms = stats.min_time_ms.min(*t);
            stats.max_time_ms = stats.max_time_ms.max(*t);
            if b.rows >= BATCH_ROWS {
                writer.write(&b.finish(&schema)?)?;
            }
        }
        for e in &s.exemplars {
            b.row_prefix(name, id, &values, KIND_EXEMPLAR, e.timestamp_ms);
            b.value.append_value(e.value);
            b.value_int.append_null();
            b.value_scale.append_null();
            b.hist.append_null();
            let obj: serde_json::Map<String, serde_json::Value> = e
                .labels
                .iter()
                .map(|l| (l.name.clone(), serde_json::Value::String(l.value.clone())))
                .collect();
            b.ex.append_value(serde_json::Value::Object(obj).to_string());
            stats.min_time_ms = stats.min_time_ms.min(e.timestamp_ms);
            stats.max_time_ms = stats.max_time_ms.max(e.timestamp_ms);
            if b.rows >= BATCH_ROWS {
                writer.write(&b.finish(&schema)?)?;
            }
        }
        stats.samples += s.samples.len() as u64;
        stats.histograms += s.histograms.len() as u64;
        stats.exemplars += s.exemplars.len() as u64;
    }
    if b.rows > 0 {
        writer.write(&b.finish(&schema)?)?;
    }
    let bytes = writer.into_inner()?;
    stats.rows = stats.samples + stats.histograms + stats.exemplars;
    if stats.rows == 0 {
        stats.min_time_ms = 0;
        stats.max_time_ms = 0;
    }
    stats.metric_names = (names.len() <= opts.max_metric_names)
        .then(|| names.into_iter().map(str::to_string).collect());
    Ok(EncodedObject {
        bytes: Bytes::from(bytes),
        stats,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Float64Type, Int64Type};
    use arrow_array::Array;
    use lakewatch_model::{Labels, Sample};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    #[test]
    fn values_roundtrip_through_both_columns() {
        let ts = TimeSeries {
            labels: Labels::from_pairs([("__name__", "c")]),
            samples: vec![
                Sample {
                    timestamp_ms: 1,
                    value: 7676.0,
                },
                Sample {
                    timestamp_ms: 2,
                    value: 0.25,
                },
                Sample {
                    timestamp_ms: 3,
                    value: 7707.0,
                },
                Sample {
                    timestamp_ms: 4,
                    value: 0.1 + 0.2,
                },
            ],
            ..Default::default()
        };
        let enc = encode(&[ts], &[], &EncodeOptions::default()).unwrap();
        let r = ParquetRecordBatchReaderBuilder::try_new(enc.bytes)
            .unwrap()
            .build()
            .unwrap();
        let batches: Vec<RecordBatch> = r.map(|b| b.unwrap()).collect();
        let b = &batches[0];
        let v = b
            .column_by_name(COL_VALUE)
            .unwrap()
            .as_primitive::<Float64Type>();
        let i = b
            .column_by_name(COL_VALUE_INT)
            .unwrap()
            .as_primitive::<Int64Type>();
        let got: Vec<(Option<f64>, Option<i64>)> = (0..4)
            .map(|r| {
                (
                    v.is_valid(r).then(|| v.value(r)),
                    i.is_valid(r).then(|| i.value(r)),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (None, Some(767600)),
                (None, Some(25)),
                (None, Some(770700)),
                (Some(0.1 + 0.2), None)
            ]
        );
    }
}
