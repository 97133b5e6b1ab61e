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
use parquet::arrow::arrow_reader::{ArrowReaderOptions, RowSelection, RowSelector};
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

/// Walks an object's record batches (sorted by series) into selected series.
struct RowWalker<'q> {
    q: &'q ScanQuery<'q>,
    key: String,
    cur: Option<Current>,
    out: Vec<TimeSeries>,
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

    fn push_batch(&mut self, batch: &RecordBatch) -> Result<()> {
        let key = self.key.clone();
        let col = |n: &str| {
            batch
                .column_by_name(n)
                .ok_or_else(|| corrupt(&key, format!("missing column {n}")))
        };
        let names = col(COL_METRIC_NAME)?
            .as_string_opt::<i32>()
            .ok_or_else(|| corrupt(&key, "metric_name type"))?;
        let ids = col(COL_SERIES_ID)?
            .as_primitive_opt::<UInt64Type>()
            .ok_or_else(|| corrupt(&key, "series_id type"))?;
        let kinds = col(COL_KIND)?
            .as_primitive_opt::<UInt8Type>()
            .ok_or_else(|| corrupt(&key, "kind type"))?;
        let tss = col(COL_TIMESTAMP)?
            .as_primitive_opt::<Int64Type>()
            .ok_or_else(|| corrupt(&key, "timestamp type"))?;
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
                        .ok_or_else(|| corrupt(&key, "label column type"))?,
                );
            }
        }
        let (values, ints, hists, exs) = if self.q.labels_only {
            (None, None, None, None)
        } else {
            (
                Some(
                    col(COL_VALUE)?
                        .as_primitive_opt::<Float64Type>()
                        .ok_or_else(|| corrupt(&key, "value type"))?,
                ),
                Some((
                    col(COL_VALUE_INT)?
                        .as_primitive_opt::<Int64Type>()
                        .ok_or_else(|| corrupt(&key, "value_int type"))?,
                    col(COL_VALUE_SCALE)?
                        .as_primitive_opt::<UInt8Type>()
                        .ok_or_else(|| corrupt(&key, "value_scale type"))?,
                )),
                Some(
                    col(COL_HISTOGRAM)?
                        .as_binary_opt::<i32>()
                        .ok_or_else(|| corrupt(&key, "histogram type"))?,
                ),
                Some(
                    col(COL_EXEMPLAR_LABELS)?
                        .as_string_opt::<i32>()
                        .ok_or_else(|| corrupt(&key, "exemplar type"))?,
                ),
            )
        };
        let mut vals: Vec<Option<&str>> = vec![None; label_cols.len()];
        for row in 0..batch.num_rows() {
            let name = names.value(row);
            let id = ids.value(row);
            for (v, c) in vals.iter_mut().zip(&label_cols) {
                *v = c.is_valid(row).then(|| c.value(row));
            }
            let same = self
                .cur
                .as_ref()
                .is_some_and(|c| same_series(c, name, id, &vals));
            if !same {
                self.flush();
                let mut pairs: Vec<(&str, &str)> = Vec::with_capacity(vals.len() + 1);
                if !name.is_empty() {
                    pairs.push((METRIC_NAME, name));
                }
                pairs.extend(
                    label_names
                        .iter()
                        .zip(&vals)
                        .filter_map(|(n, v)| v.map(|v| (*n, v))),
                );
                let labels = Labels::from_pairs(pairs);
                let matched = self.q.matches(&labels);
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
            let Some(cur) = self.cur.as_mut() else {
                continue;
            };
            if !cur.matched {
                continue;
            }
            let t = tss.value(row);
            let kind = kinds.value(row);
            if t < self.q.mint_ms || t > self.q.maxt_ms || !self.q.wants_kind(kind) {
                continue;
            }
            if self.q.labels_only {
                if cur.ts.samples.is_empty() {
                    cur.ts.samples.push(Sample {
                        timestamp_ms: t,
                        value: 0.0,
                    });
                }
                continue;
            }
            let (Some(values), Some(ints), Some(hists), Some(exs)) = (values, ints, hists, exs)
            else {
                continue;
            };
            match kind {
                KIND_FLOAT => {
                    let value = if values.is_valid(row) {
                        values.value(row)
                    } else if ints.0.is_valid(row) {
                        decimal_value(ints.0.value(row), ints.1.value(row))
                            .ok_or_else(|| corrupt(&key, "value_scale out of range"))?
                    } else {
                        return Err(corrupt(&key, "float sample without value"));
                    };
                    cur.ts.samples.push(Sample {
                        timestamp_ms: t,
                        value,
                    });
                }
                KIND_HISTOGRAM => {
                    let h = histogram_codec::decode(hists.value(row))
                        .ok_or_else(|| corrupt(&key, "bad histogram encoding"))?;
                    cur.ts.histograms.push((t, h));
                }
                KIND_EXEMPLAR => cur.ts.exemplars.push(Exemplar {
                    labels: parse_exemplar_labels(exs.value(row)),
                    value: values.value(row),
                    timestamp_ms: t,
                }),
                _ => {}
            }
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

/// Opens an object for reading; the footer (with the page index) comes from the process-wide
/// cache after the first read.
async fn open(
    store: &Store,
    entry: &ObjectEntry,
) -> Result<ParquetRecordBatchStreamBuilder<StoreObjectReader>> {
    let reader = StoreObjectReader::new(store, &entry.key, entry.size_bytes);
    let options = ArrowReaderOptions::new().with_page_index_policy(PageIndexPolicy::Optional);
    Ok(ParquetRecordBatchStreamBuilder::new_with_options(reader, options).await?)
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
    let roots: Vec<usize> = schema
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, f)| {
            let n = f.name().as_str();
            !q.labels_only
                || !(n == COL_VALUE
                    || n == COL_VALUE_INT
                    || n == COL_VALUE_SCALE
                    || n == COL_HISTOGRAM
                    || n == COL_EXEMPLAR_LABELS)
        })
        .map(|(i, _)| i)
        .collect();
    let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
    if let Some(names) = &eq_names {
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
