//! Reading logs objects: the stream table from the footer, then only the rows of the selected
//! streams (a `RowSelection` built from the table, so pages of other streams are not fetched),
//! minus the pages whose `timestamp_ns` range (page index) lies outside the query range.

use super::schema::*;
use crate::error::{Result, StorageError};
use crate::manifest::ObjectEntry;
use crate::metrics::object_reader::StoreObjectReader;
use crate::store::Store;
use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use arrow_array::{Array, RecordBatch};
use futures::TryStreamExt;
use lakewatch_model::{Label, LabelMatcher, Labels, LogEntry};
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, RowSelection, RowSelector,
};
use parquet::arrow::{ParquetRecordBatchStreamBuilder, ProjectionMask};
use parquet::file::metadata::{PageIndexPolicy, ParquetMetaData};
use parquet::file::page_index::column_index::ColumnIndexMetaData;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// Parsed stream tables kept at most (the cache is cleared when it grows past this).
const TABLE_CACHE_ENTRIES: usize = 4096;

type TableCache = Mutex<HashMap<String, Arc<Vec<StreamRecord>>>>;

/// Process-wide cache of parsed stream tables (objects are immutable), keyed like the footer
/// cache: store URL and key.
fn table_cache() -> &'static TableCache {
    static C: OnceLock<TableCache> = OnceLock::new();
    C.get_or_init(Default::default)
}

/// What to decode for each selected entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Columns {
    /// Timestamps only (which streams have entries in range); lines are left empty.
    Timestamps,
    /// Timestamps and lines (statistics); no structured metadata.
    Lines,
    /// Timestamps and structured metadata; lines are left empty (the line column is not
    /// read: queries that only count entries).
    NoLines,
    /// Everything.
    All,
}

impl Columns {
    /// Whether the line column is read.
    fn reads_lines(self) -> bool {
        matches!(self, Columns::Lines | Columns::All)
    }
}

/// What a scan of one object reads.
#[derive(Debug, Clone, Copy)]
pub struct ObjectScan<'a> {
    pub matchers: &'a [LabelMatcher],
    /// Inclusive start, exclusive end, ns.
    pub start_ns: i64,
    pub end_ns: i64,
    /// Substrings every returned line must contain (ignored when lines are not read:
    /// [`Columns::Timestamps`], [`Columns::NoLines`]).
    pub line_contains: &'a [String],
    pub columns: Columns,
}

impl ObjectScan<'_> {
    /// Everything, all times: what the compactor reads.
    pub fn everything() -> ObjectScan<'static> {
        ObjectScan {
            matchers: &[],
            start_ns: i64::MIN,
            end_ns: i64::MAX,
            line_contains: &[],
            columns: Columns::All,
        }
    }

    /// Whether a stream of the table is selected (labels and time range).
    pub fn selects(&self, s: &StreamRecord) -> bool {
        s.overlaps(self.start_ns, self.end_ns)
            && self.matchers.iter().all(|m| m.matches_labels(&s.labels))
    }
}

fn corrupt(key: &str, reason: impl Into<String>) -> StorageError {
    StorageError::Corrupt {
        key: key.to_string(),
        reason: reason.into(),
    }
}

/// An opened object: its reader builder and stream table.
pub struct OpenObject {
    pub builder: ParquetRecordBatchStreamBuilder<StoreObjectReader>,
    /// The stream table, in file order.
    pub streams: Arc<Vec<StreamRecord>>,
}

/// Opens an object and parses its stream table (footer and Arrow metadata cached per process).
///
/// Errors: object store / Parquet failures; `Corrupt` if the footer lacks a valid table.
pub async fn open(store: &Store, entry: &ObjectEntry) -> Result<OpenObject> {
    let mut reader = StoreObjectReader::new(store, &entry.key, entry.size_bytes);
    let options = ArrowReaderOptions::new().with_page_index_policy(PageIndexPolicy::Optional);
    let meta = reader
        .arrow_metadata(&options, |footer| {
            ArrowReaderMetadata::try_new(footer, options.clone())
        })
        .await?;
    let cache_key = format!("{}|{}", store.url(), entry.key);
    let cached = table_cache()
        .lock()
        .ok()
        .and_then(|c| c.get(&cache_key).cloned());
    let streams = match cached {
        Some(t) => t,
        None => {
            let kv = meta.metadata().file_metadata().key_value_metadata();
            let table = kv
                .and_then(|kv| kv.iter().find(|x| x.key == KV_STREAMS))
                .and_then(|x| x.value.as_deref())
                .ok_or_else(|| corrupt(&entry.key, "no stream table in footer"))?;
            let parsed: Vec<StreamRecord> =
                serde_json::from_str(table).map_err(|e| corrupt(&entry.key, e.to_string()))?;
            let t = Arc::new(parsed);
            if let Ok(mut c) = table_cache().lock() {
                if c.len() >= TABLE_CACHE_ENTRIES {
                    c.clear();
                }
                c.insert(cache_key, t.clone());
            }
            t
        }
    };
    Ok(OpenObject {
        builder: ParquetRecordBatchStreamBuilder::new_with_metadata(reader, meta),
        streams,
    })
}

/// Entries of one stream read from one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamPart {
    pub labels: Labels,
    /// Sorted by (timestamp, line, metadata), as stored.
    pub entries: Vec<LogEntry>,
}

/// Reads the selected streams of one object, in file order, with their entries in
/// `[start_ns, end_ns)` that contain every `line_contains` needle. Streams left without
/// entries are dropped.
pub async fn read_object(
    store: &Store,
    entry: &ObjectEntry,
    scan: &ObjectScan<'_>,
) -> Result<Vec<StreamPart>> {
    let obj = open(store, entry).await?;
    let chosen: Vec<&StreamRecord> = obj.streams.iter().filter(|s| scan.selects(s)).collect();
    read_streams(obj.builder, entry, &chosen, scan).await
}

/// Reads the rows of `chosen` (streams of the object's table, in file order).
pub async fn read_streams(
    builder: ParquetRecordBatchStreamBuilder<StoreObjectReader>,
    entry: &ObjectEntry,
    chosen: &[&StreamRecord],
    scan: &ObjectScan<'_>,
) -> Result<Vec<StreamPart>> {
    if chosen.is_empty() {
        return Ok(Vec::new());
    }
    let total_rows = builder.metadata().file_metadata().num_rows().max(0) as u64;
    let excluded = pages_outside(builder.metadata(), scan.start_ns, scan.end_ns);
    let mut selectors = Vec::with_capacity(chosen.len() * 2 + 1);
    // (index into `chosen`, rows) of every selected run, in order.
    let mut segments: Vec<(usize, u64)> = Vec::with_capacity(chosen.len());
    // `pos`: the row the selection has reached; `prev_end`: end of the previous stream's run.
    let (mut pos, mut prev_end) = (0u64, 0u64);
    for (i, s) in chosen.iter().enumerate() {
        if s.first_row < prev_end || s.first_row + s.rows > total_rows {
            return Err(corrupt(&entry.key, "stream table rows out of order"));
        }
        prev_end = s.first_row + s.rows;
        for (a, b) in subtract(s.first_row, s.first_row + s.rows, &excluded) {
            if a > pos {
                selectors.push(RowSelector::skip((a - pos) as usize));
            }
            selectors.push(RowSelector::select((b - a) as usize));
            segments.push((i, b - a));
            pos = b;
        }
    }
    if segments.is_empty() {
        return Ok(Vec::new());
    }
    let schema = builder.schema().clone();
    let wanted: &[&str] = match scan.columns {
        Columns::Timestamps => &[COL_TIMESTAMP],
        Columns::Lines => &[COL_TIMESTAMP, COL_LINE],
        Columns::NoLines => &[COL_TIMESTAMP, COL_METADATA],
        Columns::All => &[COL_TIMESTAMP, COL_LINE, COL_METADATA],
    };
    let mut roots = Vec::new();
    for n in wanted {
        roots.push(
            schema
                .index_of(n)
                .map_err(|_| corrupt(&entry.key, format!("missing column {n}")))?,
        );
    }
    let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
    let mut stream = builder
        .with_row_selection(RowSelection::from(selectors))
        .with_projection(mask)
        .with_batch_size(8192)
        .build()?;
    let needles: Vec<memchr::memmem::Finder<'_>> = if scan.columns.reads_lines() {
        scan.line_contains
            .iter()
            // Every line contains "".
            .filter(|n| !n.is_empty())
            .map(|n| memchr::memmem::Finder::new(n.as_bytes()))
            .collect()
    } else {
        Vec::new()
    };
    let mut walker = Walker {
        scan,
        needles: &needles,
        candidates: Vec::new(),
        key: &entry.key,
        left: segments[0].1,
        segments: &segments,
        seg: 0,
        out: chosen
            .iter()
            .map(|s| StreamPart {
                labels: s.labels.clone(),
                entries: Vec::new(),
            })
            .collect(),
    };
    while let Some(batch) = stream.try_next().await? {
        walker.push(&batch)?;
    }
    if walker.seg + 1 < segments.len() || walker.left > 0 {
        return Err(corrupt(&entry.key, "fewer rows than the stream table says"));
    }
    let mut out = walker.out;
    out.retain(|p| !p.entries.is_empty());
    Ok(out)
}

/// Row ranges `[a, b)` (over the whole file, sorted, disjoint) of the pages whose
/// `timestamp_ns` statistics lie wholly outside `[start_ns, end_ns)`; empty without a page
/// index.
fn pages_outside(meta: &ParquetMetaData, start_ns: i64, end_ns: i64) -> Vec<(u64, u64)> {
    let mut out: Vec<(u64, u64)> = Vec::new();
    if start_ns == i64::MIN && end_ns == i64::MAX {
        return out;
    }
    let Some(ts_idx) = meta
        .file_metadata()
        .schema_descr()
        .columns()
        .iter()
        .position(|c| c.path().string() == COL_TIMESTAMP)
    else {
        return out;
    };
    let mut rg_start = 0u64;
    for (rg, rgm) in meta.row_groups().iter().enumerate() {
        let rows = rgm.num_rows().max(0) as u64;
        let pi = meta.page_index_for_row_group(rg);
        if let (Some(ColumnIndexMetaData::INT64(ci)), Some(oi)) =
            (pi.column_index(ts_idx), pi.offset_index(ts_idx))
        {
            let locs = oi.page_locations();
            for (p, loc) in locs.iter().enumerate() {
                let a = loc.first_row_index.max(0) as u64;
                let b = locs
                    .get(p + 1)
                    .map_or(rows, |n| n.first_row_index.max(0) as u64);
                let outside = match (ci.min_value(p), ci.max_value(p)) {
                    (Some(lo), Some(hi)) => *hi < start_ns || *lo >= end_ns,
                    _ => false,
                };
                if outside && b > a {
                    match out.last_mut() {
                        Some(last) if last.1 == rg_start + a => last.1 = rg_start + b,
                        _ => out.push((rg_start + a, rg_start + b)),
                    }
                }
            }
        }
        rg_start += rows;
    }
    out
}

/// `[a, b)` minus the sorted disjoint ranges `cut`: the remaining sub-ranges, in order.
fn subtract(a: u64, b: u64, cut: &[(u64, u64)]) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    let mut pos = a;
    let first = cut.partition_point(|c| c.1 <= a);
    for &(ca, cb) in &cut[first..] {
        if ca >= b {
            break;
        }
        if ca > pos {
            out.push((pos, ca));
        }
        pos = pos.max(cb);
    }
    if pos < b {
        out.push((pos, b));
    }
    out
}

/// Assigns the selected rows (in order) to the chosen streams by counting.
struct Walker<'a> {
    scan: &'a ObjectScan<'a>,
    /// `scan.line_contains` compiled (empty when lines are not read).
    needles: &'a [memchr::memmem::Finder<'a>],
    /// Per row of the current batch: whether its line contains every needle.
    candidates: Vec<bool>,
    key: &'a str,
    /// Selected runs: (index of the stream in `out`, rows), in file order.
    segments: &'a [(usize, u64)],
    /// Current run and rows it still has.
    seg: usize,
    left: u64,
    out: Vec<StreamPart>,
}

impl Walker<'_> {
    fn push(&mut self, batch: &RecordBatch) -> Result<()> {
        let key = self.key;
        let ts = batch
            .column_by_name(COL_TIMESTAMP)
            .and_then(|c| c.as_primitive_opt::<Int64Type>())
            .ok_or_else(|| corrupt(key, "timestamp_ns column"))?;
        let lines = match self.scan.columns.reads_lines() {
            false => None,
            true => Some(
                batch
                    .column_by_name(COL_LINE)
                    .and_then(|c| c.as_string_opt::<i32>())
                    .ok_or_else(|| corrupt(key, "line column"))?,
            ),
        };
        let md = match self.scan.columns {
            Columns::All | Columns::NoLines => {
                let m = batch
                    .column_by_name(COL_METADATA)
                    .and_then(|c| c.as_map_opt())
                    .ok_or_else(|| corrupt(key, "structured_metadata column"))?;
                let k = m
                    .keys()
                    .as_string_opt::<i32>()
                    .ok_or_else(|| corrupt(key, "structured_metadata keys"))?;
                let v = m
                    .values()
                    .as_string_opt::<i32>()
                    .ok_or_else(|| corrupt(key, "structured_metadata values"))?;
                Some((m.offsets().clone(), k, v))
            }
            _ => None,
        };
        let tsv = ts.values();
        let filtered = match lines {
            Some(l) if !self.needles.is_empty() => {
                line_candidates(l, self.needles, &mut self.candidates);
                true
            }
            _ => false,
        };
        for row in 0..batch.num_rows() {
            while self.left == 0 {
                self.seg += 1;
                self.left = self
                    .segments
                    .get(self.seg)
                    .ok_or_else(|| corrupt(key, "more rows than the stream table says"))?
                    .1;
            }
            let idx = self.segments[self.seg].0;
            self.left -= 1;
            let t = tsv[row];
            if t < self.scan.start_ns || t >= self.scan.end_ns {
                continue;
            }
            if filtered && !self.candidates[row] {
                continue;
            }
            let line = lines.map_or("", |l| l.value(row));
            let structured_metadata = match &md {
                Some((offs, k, v)) => {
                    let (a, b) = (offs[row] as usize, offs[row + 1] as usize);
                    let mut pairs: Vec<Label> = (a..b)
                        .filter(|i| v.is_valid(*i))
                        .map(|i| Label {
                            name: k.value(i).to_string(),
                            value: v.value(i).to_string(),
                        })
                        .collect();
                    if pairs.windows(2).all(|w| w[0].name < w[1].name) {
                        pairs.retain(|l| !l.value.is_empty());
                        Labels::from_sorted(pairs)
                    } else {
                        Labels::from_pairs(pairs.into_iter().map(|l| (l.name, l.value)))
                    }
                }
                None => Labels::default(),
            };
            self.out[idx].entries.push(LogEntry {
                timestamp_ns: t,
                line: line.to_string(),
                structured_metadata,
            });
        }
        Ok(())
    }
}

/// Marks in `out` (one flag per row of `lines`) the rows whose line contains every needle.
/// The first needle is searched once over the batch's whole value buffer (rows with a match
/// are few in a needle search), the others only in those rows.
fn line_candidates(
    lines: &arrow_array::StringArray,
    needles: &[memchr::memmem::Finder<'_>],
    out: &mut Vec<bool>,
) {
    out.clear();
    out.resize(lines.len(), false);
    let Some((first, rest)) = needles.split_first() else {
        out.fill(true);
        return;
    };
    let offsets = lines.value_offsets();
    let (lo, hi) = (
        offsets[0].max(0) as usize,
        offsets[lines.len()].max(0) as usize,
    );
    let values = &lines.value_data()[lo..hi];
    let n = first.needle().len();
    let mut row = 0usize;
    let mut at = 0usize;
    while let Some(pos) = first.find(&values[at..]) {
        let abs = lo + at + pos;
        // The row whose value holds the match start.
        while row + 1 < offsets.len() && offsets[row + 1] as usize <= abs {
            row += 1;
        }
        if row >= lines.len() {
            break;
        }
        let end = offsets[row + 1] as usize;
        if abs + n <= end {
            // Within the row: check the other needles there, then go to the next row.
            let line = lines.value(row).as_bytes();
            out[row] = rest.iter().all(|f| f.find(line).is_some());
            at = end - lo;
            row += 1;
        } else {
            // Straddles two rows: look again from the next byte.
            at = abs - lo + 1;
        }
        if at >= values.len() {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::subtract;

    #[test]
    fn line_candidates_per_row() {
        use memchr::memmem::Finder;
        let lines = arrow_array::StringArray::from(vec!["xab", "c", "abc", "", "ab", "ba", "zab"]);
        let ab = [Finder::new("ab")];
        let mut out = Vec::new();
        super::line_candidates(&lines, &ab, &mut out);
        assert_eq!(out, vec![true, false, true, false, true, false, true]);
        // A match across two rows ("b" + "a" of "ba"... "bab") is not one.
        let lines = arrow_array::StringArray::from(vec!["a", "b", "ab"]);
        super::line_candidates(&lines, &ab, &mut out);
        assert_eq!(out, vec![false, false, true]);
        let two = [Finder::new("ab"), Finder::new("z")];
        let lines = arrow_array::StringArray::from(vec!["xab", "zab", "abz", "z"]);
        super::line_candidates(&lines, &two, &mut out);
        assert_eq!(out, vec![false, true, true, false]);
        // Sliced arrays (non-zero first offset).
        let lines = arrow_array::StringArray::from(vec!["ab", "q", "ab"]);
        let sliced = lines.slice(1, 2);
        super::line_candidates(&sliced, &ab, &mut out);
        assert_eq!(out, vec![false, true]);
    }

    #[test]
    fn subtract_ranges() {
        assert_eq!(subtract(0, 10, &[]), vec![(0, 10)]);
        assert_eq!(
            subtract(0, 10, &[(2, 4), (6, 7)]),
            vec![(0, 2), (4, 6), (7, 10)]
        );
        assert_eq!(subtract(3, 5, &[(0, 4), (4, 9)]), vec![]);
        assert_eq!(subtract(5, 8, &[(0, 2), (9, 12)]), vec![(5, 8)]);
        assert_eq!(subtract(5, 8, &[(0, 6)]), vec![(6, 8)]);
    }
}
