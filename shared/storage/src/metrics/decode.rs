//! Reading metrics objects back into series, with pruning by manifest stats, row-group
//! statistics and the `metric_name` bloom filter.

use super::histogram_codec;
use super::object_reader::StoreObjectReader;
use super::schema::*;
use crate::error::{Result, StorageError};
use crate::manifest::ObjectEntry;
use crate::store::Store;
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type, UInt64Type, UInt8Type};
use arrow_array::{Array, RecordBatch};
use futures::TryStreamExt;
use lakewatch_model::{
    Exemplar, LabelMatcher, Labels, MatchOp, MetricMetadata, Sample, TimeSeries, METRIC_NAME,
};
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, RowSelection, RowSelector,
};

use parquet::arrow::{ParquetRecordBatchStreamBuilder, ProjectionMask};
use parquet::file::metadata::{PageIndexPolicy, ParquetMetaData};
use parquet::file::page_index::column_index::ColumnIndexMetaData;

/// What a scan reads. Times are ms, inclusive on both ends (as Prometheus `Select` hints).
#[derive(Debug, Clone)]
pub struct ScanQuery<'a> {
    /// A series is selected if it satisfies every matcher of at least one set; an empty list
    /// selects every series.
    pub matcher_sets: &'a [Vec<LabelMatcher>],
    pub mint_ms: i64,
    pub maxt_ms: i64,
    pub floats: bool,
    pub histograms: bool,
    pub exemplars: bool,
    /// Only which series have data in range matters: the returned series carry at most one
    /// sample (read fewer columns, less memory).
    pub labels_only: bool,
}

impl ScanQuery<'_> {
    /// Everything, all times: what the compactor reads.
    pub fn everything() -> ScanQuery<'static> {
        ScanQuery {
            matcher_sets: &[],
            mint_ms: i64::MIN,
            maxt_ms: i64::MAX,
            floats: true,
            histograms: true,
            exemplars: true,
            labels_only: false,
        }
    }

    fn wants_kind(&self, k: u8) -> bool {
        match k {
            KIND_FLOAT => self.floats,
            KIND_HISTOGRAM => self.histograms,
            KIND_EXEMPLAR => self.exemplars,
            _ => false,
        }
    }

    /// Whether a label set is selected.
    pub fn matches(&self, labels: &Labels) -> bool {
        self.matcher_sets.is_empty()
            || self
                .matcher_sets
                .iter()
                .any(|set| set.iter().all(|m| m.matches_labels(labels)))
    }

    /// Whether some set could select a series named `name` (judging `__name__` matchers only).
    fn name_may_match(&self, name: &str) -> bool {
        self.matcher_sets.is_empty()
            || self.matcher_sets.iter().any(|set| {
                set.iter()
                    .filter(|m| m.name == METRIC_NAME)
                    .all(|m| m.matches(name))
            })
    }

    /// The exact metric names every set is restricted to by an `=` matcher, if all sets are.
    fn equal_names(&self) -> Option<Vec<&str>> {
        if self.matcher_sets.is_empty() {
            return None;
        }
        let mut out = Vec::new();
        for set in self.matcher_sets {
            let eq = set
                .iter()
                .find(|m| m.name == METRIC_NAME && m.op == MatchOp::Equal)?;
            out.push(eq.value.as_str());
        }
        Some(out)
    }

    /// Whether an object may hold selected data, judging its manifest entry.
    pub fn may_match_entry(&self, e: &ObjectEntry) -> bool {
        if e.rows == 0 || e.max_time_ms < self.mint_ms || e.min_time_ms > self.maxt_ms {
            return false;
        }
        let kinds = (self.floats && e.samples > 0)
            || (self.histograms && e.histograms > 0)
            || (self.exemplars && e.exemplars > 0);
        if !kinds {
            return false;
        }
        match &e.metric_names {
            Some(names) => names.iter().any(|n| self.name_may_match(n)),
            None => true,
        }
    }
}

/// Per-series state while walking sorted rows.
struct Current {
    name: String,
    id: u64,
    values: Vec<Option<String>>,
    matched: bool,
    ts: TimeSeries,
}

fn same_series(cur: &Current, name: &str, id: u64, vals: &[Option<&str>]) -> bool {
    cur.id == id && cur.name == name && cur.values.iter().zip(vals).all(|(a, b)| a.as_deref() == *b)
}

fn corrupt(key: &str, reason: impl Into<String>) -> StorageError {
    StorageError::Corrupt {
        key: key.to_string(),
        reason: reason.into(),
    }
}

fn parse_exemplar_labels(s: &str) -> Labels {
    match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(s) {
        Ok(m) => Labels::from_pairs(
            m.into_iter()
                .map(|(k, v)| (k, v.as_str().unwrap_or_default().to_string())),
        ),
        Err(_) => Labels::default(),
    }
}

/// Where a matcher finds its label's value in a batch.
#[derive(Clone, Copy)]
enum LabelSrc {
    /// `metric_name` column.
    Name,
    /// Label column `i` (index into the batch's label columns).
    Col(usize),
    /// The file has no such label column: the value is always `""`.
    Absent,
}

/// The data columns of a batch (absent when only labels are read).
struct DataCols<'a> {
    values: &'a arrow_array::Float64Array,
    ints: &'a arrow_array::Int64Array,
    scales: &'a arrow_array::UInt8Array,
    /// Read only when the scan wants histograms.
    hists: Option<&'a arrow_array::BinaryArray>,
    /// Read only when the scan wants exemplars.
    exs: Option<&'a arrow_array::StringArray>,
}

/// Walks an object's record batches (sorted by series) into selected series.
struct RowWalker<'q> {
    q: &'q ScanQuery<'q>,
    key: String,
    cur: Option<Current>,
    out: Vec<TimeSeries>,
}

/// The value of string column `c` at `row` (`None` when null).
fn label_at(c: &arrow_array::StringArray, row: usize) -> Option<&str> {
    c.is_valid(row).then(|| c.value(row))
}

impl RowWalker<'_> {
    fn flush(&mut self) {
        if let Some(c) = self.cur.take() {
            let ts = c.ts;
            if c.matched
                && !(ts.samples.is_empty() && ts.histograms.is_empty() && ts.exemplars.is_empty())
            {
                self.out.push(ts);
            }
        }
    }

    /// Whether the series (`name`, label values `vals`) is selected, without building its
    /// label set (`srcs` locates each matcher's label, per matcher set).
    fn selected(&self, srcs: &[Vec<LabelSrc>], name: &str, vals: &[Option<&str>]) -> bool {
        self.q.matcher_sets.is_empty()
            || self.q.matcher_sets.iter().zip(srcs).any(|(set, srcs)| {
                set.iter().zip(srcs).all(|(m, src)| {
                    let v = match src {
                        LabelSrc::Name => name,
                        LabelSrc::Col(i) => vals[*i].unwrap_or(""),
                        LabelSrc::Absent => "",
                    };
                    m.matches(v)
                })
            })
    }

    /// Makes the series at the current row current (flushing the previous one) unless it
    /// already is.
    fn enter_series(
        &mut self,
        srcs: &[Vec<LabelSrc>],
        label_names: &[&str],
        name: &str,
        id: u64,
        vals: &[Option<&str>],
    ) {
        if self
            .cur
            .as_ref()
            .is_some_and(|c| same_series(c, name, id, vals))
        {
            return;
        }
        self.flush();
        let matched = self.selected(srcs, name, vals);
        // Unselected series keep an empty label set: they are never returned.
        let labels = if matched {
            let mut pairs: Vec<(&str, &str)> = Vec::with_capacity(vals.len() + 1);
            if !name.is_empty() {
                pairs.push((METRIC_NAME, name));
            }
            pairs.extend(
                label_names
                    .iter()
                    .zip(vals)
                    .filter_map(|(n, v)| v.map(|v| (*n, v))),
            );
            Labels::from_pairs(pairs)
        } else {
            Labels::default()
        };
        self.cur = Some(Current {
            name: name.to_string(),
            id,
            values: vals.iter().map(|v| v.map(str::to_string)).collect(),
            matched,
            ts: TimeSeries {
                labels,
                ..Default::default()
            },
        });
    }

    /// Adds rows `rows` (all of the current series) to the current series.
    fn push_rows(
        &mut self,
        rows: std::ops::Range<usize>,
        kinds: &arrow_array::UInt8Array,
        tss: &arrow_array::Int64Array,
        data: Option<&DataCols<'_>>,
    ) -> Result<()> {
        let q = self.q;
        let Some(cur) = self.cur.as_mut() else {
            return Ok(());
        };
        if !cur.matched {
            return Ok(());
        }
        let kinds_v = kinds.values();
        let tss_v = tss.values();
        if data.is_some() && q.floats && kinds_v.get(rows.start) == Some(&KIND_FLOAT) {
            // At most this many samples (avoids regrowing long series sample by sample).
            cur.ts.samples.reserve(rows.len());
        }
        for row in rows {
            let t = tss_v[row];
            let kind = kinds_v[row];
            if t < q.mint_ms || t > q.maxt_ms || !q.wants_kind(kind) {
                continue;
            }
            let Some(d) = data else {
                // labels_only: one sample tells that the series has data in range.
                if cur.ts.samples.is_empty() {
                    cur.ts.samples.push(Sample {
                        timestamp_ms: t,
                        value: 0.0,
                    });
                }
                return Ok(());
            };
            match kind {
                KIND_FLOAT => {
                    let value = if d.values.is_valid(row) {
                        d.values.value(row)
                    } else if d.ints.is_valid(row) {
                        decimal_value(d.ints.value(row), d.scales.value(row))
                            .ok_or_else(|| corrupt(&self.key, "value_scale out of range"))?
                    } else {
                        return Err(corrupt(&self.key, "float sample without value"));
                    };
                    cur.ts.samples.push(Sample {
                        timestamp_ms: t,
                        value,
                    });
                }
                KIND_HISTOGRAM => {
                    let h = d
                        .hists
                        .and_then(|c| histogram_codec::decode(c.value(row)))
                        .ok_or_else(|| corrupt(&self.key, "bad histogram encoding"))?;
                    cur.ts.histograms.push((t, h));
                }
                KIND_EXEMPLAR => cur.ts.exemplars.push(Exemplar {
                    labels: d
                        .exs
                        .map_or_else(Labels::default, |c| parse_exemplar_labels(c.value(row))),
                    value: d.values.value(row),
                    timestamp_ms: t,
                }),
                _ => {}
            }
        }
        Ok(())
    }

    fn push_batch(&mut self, batch: &RecordBatch) -> Result<()> {
        let key = self.key.as_str();
        let col = |n: &str| {
            batch
                .column_by_name(n)
                .ok_or_else(|| corrupt(key, format!("missing column {n}")))
        };
        let names = col(COL_METRIC_NAME)?
            .as_string_opt::<i32>()
            .ok_or_else(|| corrupt(key, "metric_name type"))?;
        let ids = col(COL_SERIES_ID)?
            .as_primitive_opt::<UInt64Type>()
            .ok_or_else(|| corrupt(key, "series_id type"))?;
        let kinds = col(COL_KIND)?
            .as_primitive_opt::<UInt8Type>()
            .ok_or_else(|| corrupt(key, "kind type"))?;
        let tss = col(COL_TIMESTAMP)?
            .as_primitive_opt::<Int64Type>()
            .ok_or_else(|| corrupt(key, "timestamp type"))?;
        let schema = batch.schema();
        let mut label_names: Vec<&str> = Vec::new();
        let mut label_cols = Vec::new();
        for (i, f) in schema.fields().iter().enumerate() {
            if let Some(n) = f.name().strip_prefix(LABEL_PREFIX) {
                label_names.push(n);
                label_cols.push(
                    batch
                        .column(i)
                        .as_string_opt::<i32>()
                        .ok_or_else(|| corrupt(key, "label column type"))?,
                );
            }
        }
        let data = if self.q.labels_only {
            None
        } else {
            Some(DataCols {
                values: col(COL_VALUE)?
                    .as_primitive_opt::<Float64Type>()
                    .ok_or_else(|| corrupt(key, "value type"))?,
                ints: col(COL_VALUE_INT)?
                    .as_primitive_opt::<Int64Type>()
                    .ok_or_else(|| corrupt(key, "value_int type"))?,
                scales: col(COL_VALUE_SCALE)?
                    .as_primitive_opt::<UInt8Type>()
                    .ok_or_else(|| corrupt(key, "value_scale type"))?,
                hists: if self.q.histograms {
                    Some(
                        col(COL_HISTOGRAM)?
                            .as_binary_opt::<i32>()
                            .ok_or_else(|| corrupt(key, "histogram type"))?,
                    )
                } else {
                    None
                },
                exs: if self.q.exemplars {
                    Some(
                        col(COL_EXEMPLAR_LABELS)?
                            .as_string_opt::<i32>()
                            .ok_or_else(|| corrupt(key, "exemplar type"))?,
                    )
                } else {
                    None
                },
            })
        };
        let srcs: Vec<Vec<LabelSrc>> = self
            .q
            .matcher_sets
            .iter()
            .map(|set| {
                set.iter()
                    .map(|m| {
                        if m.name == METRIC_NAME {
                            LabelSrc::Name
                        } else {
                            label_names
                                .iter()
                                .position(|n| *n == m.name)
                                .map_or(LabelSrc::Absent, LabelSrc::Col)
                        }
                    })
                    .collect()
            })
            .collect();
        let ids_v = ids.values();
        let n = batch.num_rows();
        let mut vals: Vec<Option<&str>> = vec![None; label_cols.len()];
        let mut row = 0;
        while row < n {
            // A run of rows with one series id. Rows are sorted by (name, id, labels), so when
            // its first and last rows have the same name and labels, every row between has
            // them too and the run is one series (checked once, not per row).
            let id = ids_v[row];
            let end = row + ids_v[row..].iter().take_while(|x| **x == id).count();
            let last = end - 1;
            let name = names.value(row);
            for (v, c) in vals.iter_mut().zip(&label_cols) {
                *v = label_at(c, row);
            }
            let uniform = names.value(last) == name
                && vals
                    .iter()
                    .zip(&label_cols)
                    .all(|(v, c)| label_at(c, last) == *v);
            if uniform {
                self.enter_series(&srcs, &label_names, name, id, &vals);
                self.push_rows(row..end, kinds, tss, data.as_ref())?;
            } else {
                // Series id collision inside the run: compare labels row by row.
                for r in row..end {
                    let name = names.value(r);
                    for (v, c) in vals.iter_mut().zip(&label_cols) {
                        *v = label_at(c, r);
                    }
                    self.enter_series(&srcs, &label_names, name, id, &vals);
                    self.push_rows(r..r + 1, kinds, tss, data.as_ref())?;
                }
            }
            row = end;
        }
        Ok(())
    }
}

fn stat_i64(s: Option<&parquet::file::statistics::Statistics>) -> Option<(i64, i64)> {
    match s? {
        parquet::file::statistics::Statistics::Int64(v) => Some((*v.min_opt()?, *v.max_opt()?)),
        _ => None,
    }
}

/// Opens an object for reading; the footer (with the page index) and the Arrow reader
/// metadata come from the process-wide caches after the first read.
///
/// (Reading `metric_name` and the label columns as Arrow dictionaries was tried: about 5×
/// slower on compacted objects with parquet 60, so strings are read plainly.)
async fn open(
    store: &Store,
    entry: &ObjectEntry,
) -> Result<ParquetRecordBatchStreamBuilder<StoreObjectReader>> {
    let mut reader = StoreObjectReader::new(store, &entry.key, entry.size_bytes);
    let options = ArrowReaderOptions::new().with_page_index_policy(PageIndexPolicy::Optional);
    let meta = reader
        .arrow_metadata(&options, |footer| {
            ArrowReaderMetadata::try_new(footer, options.clone())
        })
        .await?;
    Ok(ParquetRecordBatchStreamBuilder::new_with_metadata(
        reader, meta,
    ))
}

/// Rows of `row_groups` (concatenated, as the reader sees them) on `metric_name` pages whose
/// min/max may contain one of `names`, from the page index; `None` without a page index.
fn page_selection(
    meta: &ParquetMetaData,
    row_groups: &[usize],
    name_idx: usize,
    names: &[&str],
) -> Option<RowSelection> {
    let mut selectors: Vec<RowSelector> = Vec::new();
    for &rg in row_groups {
        let rows = meta.row_group(rg).num_rows() as usize;
        let pi = meta.page_index_for_row_group(rg);
        let (Some(ColumnIndexMetaData::BYTE_ARRAY(ci)), Some(oi)) =
            (pi.column_index(name_idx), pi.offset_index(name_idx))
        else {
            return None;
        };
        let locs = oi.page_locations();
        for (p, loc) in locs.iter().enumerate() {
            let start = loc.first_row_index as usize;
            let end = locs.get(p + 1).map_or(rows, |n| n.first_row_index as usize);
            let keep = match (ci.min_value(p), ci.max_value(p)) {
                (Some(lo), Some(hi)) => names
                    .iter()
                    .any(|n| n.as_bytes() >= lo && n.as_bytes() <= hi),
                _ => true,
            };
            let count = end.saturating_sub(start);
            if count > 0 {
                selectors.push(if keep {
                    RowSelector::select(count)
                } else {
                    RowSelector::skip(count)
                });
            }
        }
    }
    Some(RowSelection::from(selectors))
}

/// Reads the selected series of one object. Series come back in file order (by metric name,
/// series id), each with its data sorted by time.
pub async fn read_object(
    store: &Store,
    entry: &ObjectEntry,
    q: &ScanQuery<'_>,
) -> Result<Vec<TimeSeries>> {
    let mut builder = open(store, entry).await?;
    let meta = builder.metadata().clone();
    let schema = builder.schema().clone();
    let idx = |n: &str| {
        schema
            .index_of(n)
            .map_err(|_| corrupt(&entry.key, format!("missing column {n}")))
    };
    let name_idx = idx(COL_METRIC_NAME)?;
    let ts_idx = idx(COL_TIMESTAMP)?;
    let eq_names = q.equal_names();
    let mut row_groups = Vec::new();
    for (i, rg) in meta.row_groups().iter().enumerate() {
        if let Some((lo, hi)) = stat_i64(rg.column(ts_idx).statistics()) {
            if hi < q.mint_ms || lo > q.maxt_ms {
                continue;
            }
        }
        if let Some(names) = &eq_names {
            if let Some(st) = rg.column(name_idx).statistics() {
                if let (Some(lo), Some(hi)) = (st.min_bytes_opt(), st.max_bytes_opt()) {
                    if !names
                        .iter()
                        .any(|n| n.as_bytes() >= lo && n.as_bytes() <= hi)
                    {
                        continue;
                    }
                }
            }
            if let Some(bf) = builder
                .get_row_group_column_bloom_filter(i, name_idx)
                .await?
            {
                if !names.iter().any(|n| bf.check(&n.to_string().as_str())) {
                    continue;
                }
            }
        }
        row_groups.push(i);
    }
    if row_groups.is_empty() {
        return Ok(Vec::new());
    }
    read_row_groups(builder, entry, q, row_groups).await
}

/// Decodes the selected series of `row_groups` (already pruned) of one object.
async fn read_row_groups(
    mut builder: ParquetRecordBatchStreamBuilder<StoreObjectReader>,
    entry: &ObjectEntry,
    q: &ScanQuery<'_>,
    row_groups: Vec<usize>,
) -> Result<Vec<TimeSeries>> {
    let meta = builder.metadata().clone();
    let schema = builder.schema().clone();
    let name_idx = schema
        .index_of(COL_METRIC_NAME)
        .map_err(|_| corrupt(&entry.key, format!("missing column {COL_METRIC_NAME}")))?;
    let roots: Vec<usize> = schema
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, f)| {
            let n = f.name().as_str();
            let data = n == COL_VALUE
                || n == COL_VALUE_INT
                || n == COL_VALUE_SCALE
                || n == COL_HISTOGRAM
                || n == COL_EXEMPLAR_LABELS;
            // Only the columns the walker reads (unwanted kinds are never decoded).
            !data
                || !(q.labels_only
                    || (n == COL_HISTOGRAM && !q.histograms)
                    || (n == COL_EXEMPLAR_LABELS && !q.exemplars))
        })
        .map(|(i, _)| i)
        .collect();
    let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
    if let Some(names) = &q.equal_names() {
        if let Some(sel) = page_selection(&meta, &row_groups, name_idx, names) {
            if !sel.selects_any() {
                return Ok(Vec::new());
            }
            builder = builder.with_row_selection(sel);
        }
    }
    let mut stream = builder
        .with_row_groups(row_groups)
        .with_projection(mask)
        .with_batch_size(8192)
        .build()?;
    let mut w = RowWalker {
        q,
        key: entry.key.clone(),
        cur: None,
        out: Vec::new(),
    };
    while let Some(batch) = stream.try_next().await? {
        w.push_batch(&batch)?;
    }
    w.flush();
    Ok(w.out)
}

/// Reads the metric metadata stored in an object's footer.
pub async fn read_object_metadata(
    store: &Store,
    entry: &ObjectEntry,
) -> Result<Vec<MetricMetadata>> {
    let builder = open(store, entry).await?;
    let kv = builder
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .cloned()
        .unwrap_or_default();
    for item in kv {
        if item.key == KV_METADATA {
            let v = item.value.unwrap_or_default();
            return serde_json::from_str(&v).map_err(|e| corrupt(&entry.key, e.to_string()));
        }
    }
    Ok(Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{
        ArrayRef, BinaryArray, Float64Array, Int64Array, StringArray, UInt64Array, UInt8Array,
    };
    use std::sync::Arc;

    /// A batch in file order: (name, id, label `a`, timestamp, value) per row.
    fn batch(rows: &[(&str, u64, Option<&str>, i64, f64)]) -> RecordBatch {
        let schema = Arc::new(arrow_schema(&["a".to_string()]));
        let n = rows.len();
        let cols: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.0))),
            Arc::new(UInt64Array::from_iter_values(rows.iter().map(|r| r.1))),
            Arc::new(StringArray::from_iter(rows.iter().map(|r| r.2))),
            Arc::new(UInt8Array::from(vec![KIND_FLOAT; n])),
            Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.3))),
            Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.4))),
            Arc::new(Int64Array::from(vec![None::<i64>; n])),
            Arc::new(UInt8Array::from(vec![None::<u8>; n])),
            Arc::new(BinaryArray::from(vec![None::<&[u8]>; n])),
            Arc::new(StringArray::from(vec![None::<&str>; n])),
        ];
        RecordBatch::try_new(schema, cols).expect("valid test batch")
    }

    fn walk(q: &ScanQuery<'_>, batches: &[RecordBatch]) -> Vec<TimeSeries> {
        let mut w = RowWalker {
            q,
            key: "test".into(),
            cur: None,
            out: Vec::new(),
        };
        for b in batches {
            w.push_batch(b).expect("walk");
        }
        w.flush();
        w.out
    }

    #[test]
    fn runs_split_on_id_collisions_and_continue_across_batches() {
        // Series "x{a=1}" and "x{a=2}" share series id 7 (a hash collision); "x{a=1}" continues
        // into the second batch, "y" (no label) follows.
        let b1 = batch(&[
            ("x", 7, Some("1"), 10, 1.0),
            ("x", 7, Some("1"), 20, 2.0),
            ("x", 7, Some("2"), 10, 3.0),
        ]);
        let b2 = batch(&[
            ("x", 7, Some("2"), 20, 4.0),
            ("x", 7, Some("2"), 30, 5.0),
            ("y", 9, None, 10, 6.0),
        ]);
        let q = ScanQuery::everything();
        let out = walk(&q, &[b1, b2]);
        let got: Vec<(String, Vec<f64>)> = out
            .iter()
            .map(|s| {
                (
                    format!("{:?}", s.labels.get("a")),
                    s.samples.iter().map(|x| x.value).collect(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("Some(\"1\")".to_string(), vec![1.0, 2.0]),
                ("Some(\"2\")".to_string(), vec![3.0, 4.0, 5.0]),
                ("None".to_string(), vec![6.0]),
            ]
        );
        assert_eq!(out[2].labels.get(METRIC_NAME), Some("y"));
    }

    #[test]
    fn matchers_and_time_bounds_apply_per_series() {
        let b = batch(&[
            ("x", 1, Some("1"), 10, 1.0),
            ("x", 1, Some("1"), 20, 2.0),
            ("x", 2, Some("2"), 10, 3.0),
            ("x", 3, None, 15, 4.0),
        ]);
        let m = |op, n: &str, v: &str| LabelMatcher::new(op, n, v).expect("matcher");
        // a="" selects the series without `a`; a=~"1" the first; both via two sets.
        let sets = vec![
            vec![m(MatchOp::Equal, "a", "")],
            vec![
                m(MatchOp::Regex, "a", "1"),
                m(MatchOp::Equal, METRIC_NAME, "x"),
            ],
        ];
        let q = ScanQuery {
            matcher_sets: &sets,
            mint_ms: 11,
            maxt_ms: 100,
            ..ScanQuery::everything()
        };
        let out = walk(&q, &[b]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].labels.get("a"), Some("1"));
        assert_eq!(out[0].samples.len(), 1, "t=10 is before mint");
        assert_eq!(out[1].labels.get("a"), None);
        assert_eq!(out[1].samples[0].value, 4.0);
    }
}
