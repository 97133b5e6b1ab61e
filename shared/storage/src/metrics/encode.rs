//! Writing series into one Parquet object (layout in [`super::schema`]).

use super::histogram_codec;
use super::schema::*;
use crate::error::Result;
use arrow_array::builder::{
    BinaryBuilder, Float64Builder, Int64Builder, StringBuilder, UInt64Builder, UInt8Builder,
};
use arrow_array::{ArrayRef, RecordBatch};
use bytes::Bytes;
use lakewatch_model::{Labels, MetricMetadata, TimeSeries, METRIC_NAME};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::file::metadata::{KeyValue, SortingColumn};
use parquet::file::properties::{
    DeltaBinaryPackedEncoderOptions, EnabledStatistics, WriterProperties,
};
use parquet::schema::types::ColumnPath;
use std::cmp::Ordering;
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
    /// zstd on every column (default `true`). `false` leaves the numeric columns
    /// (`series_id`, `kind`, `timestamp_ms`, `value`, `value_int`, `value_scale`) and an
    /// all-null `histogram` / `exemplar_labels` column uncompressed, zstd only on the other
    /// string/binary columns: for small L0 ingest objects, whose numeric columns hold about one
    /// value per series (random ids, delta-packed singletons) that zstd does not shrink, while
    /// the parquet writer creates zstd contexts per column chunk (~10–20 µs each per object).
    pub compress_numeric: bool,
}

impl EncodeOptions {
    /// Options of the ingest writer's L0 objects: as [`Default`] but numeric columns
    /// uncompressed (see [`EncodeOptions::compress_numeric`]); compaction rewrites them with
    /// the defaults.
    pub fn l0() -> Self {
        EncodeOptions {
            compress_numeric: false,
            ..Default::default()
        }
    }
}

impl Default for EncodeOptions {
    fn default() -> Self {
        EncodeOptions {
            row_group_rows: 256 * 1024,
            zstd_level: 3,
            max_metric_names: 10_000,
            compress_numeric: true,
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

/// What [`writer_props`] needs to know about the object's content.
struct Content {
    label_cols: usize,
    distinct_names: usize,
    histograms: bool,
    exemplars: bool,
}

fn writer_props(
    content: &Content,
    metadata: &[MetricMetadata],
    opts: &EncodeOptions,
) -> Result<WriterProperties> {
    let kind_idx = 2 + content.label_cols;
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
    let mut builder = WriterProperties::builder()
        .set_created_by("lakewatch".into())
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(opts.zstd_level)?));
    if !opts.compress_numeric {
        let all_null = [
            (COL_HISTOGRAM, !content.histograms),
            (COL_EXEMPLAR_LABELS, !content.exemplars),
        ];
        for c in [
            COL_SERIES_ID,
            COL_KIND,
            COL_TIMESTAMP,
            COL_VALUE,
            COL_VALUE_INT,
            COL_VALUE_SCALE,
        ]
        .into_iter()
        .chain(all_null.into_iter().filter(|x| x.1).map(|x| x.0))
        {
            builder = builder.set_column_compression(col(c), Compression::UNCOMPRESSED);
        }
    }
    Ok(builder
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
        // Sized for the names actually present: the default (one per row of a full row group)
        // allocates and folds a ~256 KiB filter for every object.
        .set_column_bloom_filter_max_ndv(col(COL_METRIC_NAME), content.distinct_names.max(1) as u64)
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
    fn new(n_labels: usize, rows: usize) -> Self {
        Builders {
            name: StringBuilder::with_capacity(rows, rows * 16),
            id: UInt64Builder::with_capacity(rows),
            labels: (0..n_labels)
                .map(|_| StringBuilder::with_capacity(rows, rows * 8))
                .collect(),
            kind: UInt8Builder::with_capacity(rows),
            ts: Int64Builder::with_capacity(rows),
            value: Float64Builder::with_capacity(rows),
            value_int: Int64Builder::with_capacity(rows),
            value_scale: UInt8Builder::with_capacity(rows),
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

/// One series to encode with its sort key: metric name (`""` if none) and [`series_id`].
/// Borrowed, so a batch can be encoded without copying its series.
#[derive(Debug, Clone, Copy)]
pub struct SeriesRef<'a> {
    pub name: &'a str,
    pub id: u64,
    pub ts: &'a TimeSeries,
}

impl<'a> SeriesRef<'a> {
    /// Computes the sort key of `ts` (one FNV-1a pass over its labels).
    pub fn new(ts: &'a TimeSeries) -> Self {
        SeriesRef {
            name: ts.labels.metric_name().unwrap_or(""),
            id: series_id(&ts.labels),
            ts,
        }
    }

    /// The object's row order: `metric_name`, then `series_id`, then the labels (only compared
    /// when both ids are equal, i.e. for the same series or a hash collision).
    pub fn cmp_key(&self, other: &Self) -> Ordering {
        self.name
            .cmp(other.name)
            .then(self.id.cmp(&other.id))
            .then_with(|| self.ts.labels.cmp(&other.ts.labels))
    }

    fn has_data(&self) -> bool {
        !(self.ts.samples.is_empty()
            && self.ts.histograms.is_empty()
            && self.ts.exemplars.is_empty())
    }
}

/// Encodes series (each already normalized: data sorted by time, no duplicate timestamps) and
/// metric metadata into one Parquet object. Series are written in (`metric_name`, `series_id`,
/// labels) order; the input order does not matter. Label sets must be distinct.
pub fn encode(
    series: &[TimeSeries],
    metadata: &[MetricMetadata],
    opts: &EncodeOptions,
) -> Result<EncodedObject> {
    let order: Vec<SeriesRef<'_>> = super::merge::sorted_indices(series)
        .into_iter()
        .map(|(name, id, i)| SeriesRef {
            name,
            id,
            ts: &series[i],
        })
        .collect();
    encode_sorted(&order, metadata, opts)
}

/// Sorted union of the label names (other than `__name__`) of `series`.
fn label_names<'a>(series: &[SeriesRef<'a>]) -> Vec<&'a str> {
    let mut names: Vec<&'a str> = Vec::new();
    let mut prev: Option<&'a Labels> = None;
    for s in series {
        let labels = &s.ts.labels;
        // Consecutive series of one metric usually have the same label names.
        if let Some(p) = prev {
            if p.len() == labels.len() && p.iter().zip(labels.iter()).all(|(a, b)| a.name == b.name)
            {
                continue;
            }
        }
        prev = Some(labels);
        for l in labels.iter() {
            if l.name == METRIC_NAME {
                continue;
            }
            if let Err(i) = names.binary_search(&l.name.as_str()) {
                names.insert(i, l.name.as_str());
            }
        }
    }
    names
}

/// Like [`encode`] for series already in row order ([`SeriesRef::cmp_key`], distinct label
/// sets, each normalized). Series without data are skipped.
pub fn encode_sorted(
    order: &[SeriesRef<'_>],
    metadata: &[MetricMetadata],
    opts: &EncodeOptions,
) -> Result<EncodedObject> {
    debug_assert!(order
        .windows(2)
        .all(|w| w[0].cmp_key(&w[1]) != Ordering::Greater));
    let label_names = label_names(order);
    let distinct_names = 1 + order.windows(2).filter(|w| w[0].name != w[1].name).count();
    let owned_names: Vec<String> = label_names.iter().map(|n| n.to_string()).collect();
    let schema = Arc::new(arrow_schema(&owned_names));
    let (mut rows, mut histograms, mut exemplars) = (0, false, false);
    for s in order {
        rows += s.ts.samples.len() + s.ts.histograms.len() + s.ts.exemplars.len();
        histograms |= !s.ts.histograms.is_empty();
        exemplars |= !s.ts.exemplars.is_empty();
    }
    let content = Content {
        label_cols: label_names.len(),
        distinct_names,
        histograms,
        exemplars,
    };
    let props = writer_props(&content, metadata, opts)?;
    let mut writer = ArrowWriter::try_new(Vec::new(), schema.clone(), Some(props))?;
    let mut b = Builders::new(label_names.len(), rows.min(BATCH_ROWS));
    let mut stats = ObjectStats {
        min_time_ms: i64::MAX,
        max_time_ms: i64::MIN,
        ..Default::default()
    };
    let mut names: Vec<&str> = Vec::new();
    let mut values: Vec<Option<&str>> = Vec::with_capacity(label_names.len());
    let mut layout = LabelLayout::new();
    let mut mantissas: Vec<Option<i64>> = Vec::new();
    for sr in order {
        if !sr.has_data() {
            continue;
        }
        let (name, id, s) = (sr.name, sr.id, sr.ts);
        stats.series += 1;
        if names.last() != Some(&name) {
            names.push(name);
        }
        layout.fill(&s.labels, &label_names, &mut values);
        // One scale per series keeps its mantissas' deltas small.
        let scale = s
            .samples
            .iter()
            .filter_map(|x| min_scale(x.value))
            .max()
            .unwrap_or(0);
        mantissas.clear();
        mantissas.extend(s.samples.iter().map(|x| as_decimal(x.value, scale)));
        for (smp, m) in s.samples.iter().zip(&mantissas) {
            b.row_prefix(name, id, &values, KIND_FLOAT, smp.timestamp_ms);
            match *m {
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
            if b.rows >= BATCH_ROWS {
                writer.write(&b.finish(&schema)?)?;
            }
        }
        if let (Some(first), Some(last)) = (s.samples.first(), s.samples.last()) {
            stats.min_time_ms = stats.min_time_ms.min(first.timestamp_ms);
            stats.max_time_ms = stats.max_time_ms.max(last.timestamp_ms);
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

/// Maps a series' labels to the object's label columns (`names`: sorted label names other
/// than `__name__`, a superset of every series' names). The mapping of the previous series is
/// reused when the label names are the same, as for consecutive series of one metric.
struct LabelLayout<'a> {
    prev: Option<&'a Labels>,
    /// Column of each label of `prev`; `usize::MAX` for `__name__`.
    cols: Vec<usize>,
}

impl<'a> LabelLayout<'a> {
    fn new() -> Self {
        LabelLayout {
            prev: None,
            cols: Vec::new(),
        }
    }

    /// Fills `out` with one value per column of `names`, `None` where `labels` lacks it.
    fn fill(&mut self, labels: &'a Labels, names: &[&str], out: &mut Vec<Option<&'a str>>) {
        let same = self.prev.is_some_and(|p| {
            p.len() == labels.len() && p.iter().zip(labels.iter()).all(|(a, b)| a.name == b.name)
        });
        if !same {
            self.cols.clear();
            let mut j = 0;
            for l in labels.iter() {
                if l.name == METRIC_NAME {
                    self.cols.push(usize::MAX);
                    continue;
                }
                while j < names.len() && names[j] < l.name.as_str() {
                    j += 1;
                }
                if j < names.len() && names[j] == l.name {
                    self.cols.push(j);
                    j += 1;
                } else {
                    self.cols.push(usize::MAX);
                }
            }
        }
        self.prev = Some(labels);
        out.clear();
        out.resize(names.len(), None);
        for (l, &c) in labels.iter().zip(&self.cols) {
            if let Some(v) = out.get_mut(c) {
                *v = Some(l.value.as_str());
            }
        }
    }
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

    /// Label columns across series with different label names (the layout of the previous
    /// series is reused only when the names match).
    #[test]
    fn label_columns_follow_each_series() {
        let mk = |pairs: &[(&str, &str)], t: i64| TimeSeries {
            labels: Labels::from_pairs(pairs.iter().copied()),
            samples: vec![Sample {
                timestamp_ms: t,
                value: 1.0,
            }],
            ..Default::default()
        };
        let series = vec![
            mk(&[("__name__", "m"), ("a", "1"), ("c", "3")], 1),
            mk(&[("__name__", "m"), ("a", "4"), ("c", "5")], 2),
            mk(&[("__name__", "m"), ("b", "6"), ("c", "7")], 3),
            mk(&[("a", "8")], 4),
        ];
        let enc = encode(&series, &[], &EncodeOptions::l0()).unwrap();
        let batches: Vec<RecordBatch> = ParquetRecordBatchReaderBuilder::try_new(enc.bytes)
            .unwrap()
            .build()
            .unwrap()
            .map(|b| b.unwrap())
            .collect();
        let b = &batches[0];
        let col = |n: &str| -> Vec<Option<String>> {
            let c = b.column_by_name(n).unwrap().as_string::<i32>();
            (0..c.len())
                .map(|i| c.is_valid(i).then(|| c.value(i).to_string()))
                .collect()
        };
        let ts = b
            .column_by_name(COL_TIMESTAMP)
            .unwrap()
            .as_primitive::<Int64Type>();
        type Row = (i64, Option<String>, Option<String>, Option<String>);
        let (a, bb, c) = (col("l_a"), col("l_b"), col("l_c"));
        let mut rows: Vec<Row> = (0..b.num_rows())
            .map(|i| (ts.value(i), a[i].clone(), bb[i].clone(), c[i].clone()))
            .collect();
        assert_eq!(rows[0].0, 4, "the nameless series sorts first");
        rows.sort();
        let s = |x: &str| Some(x.to_string());
        assert_eq!(
            rows,
            vec![
                (1, s("1"), None, s("3")),
                (2, s("4"), None, s("5")),
                (3, None, s("6"), s("7")),
                (4, s("8"), None, None),
            ]
        );
        assert_eq!(
            enc.stats.metric_names,
            Some(vec![String::new(), "m".into()])
        );
    }
}
