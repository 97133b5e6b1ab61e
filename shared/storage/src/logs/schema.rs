//! Column names, the stream table and time helpers of a logs object (see
//! `docs/logs-parquet-schema.md`).
//!
//! One row per log entry, sorted by (`stream_id`, stream labels, `timestamp_ns`, `line`,
//! structured metadata); every stream's entries form one contiguous run of rows:
//!
//! | column | type | notes |
//! |---|---|---|
//! | `stream_id` | uint64 | FNV-1a 64 of the sorted stream labels ([`stream_id`]); page stats, bloom filter |
//! | `labels` | string | the stream labels as a JSON object (`{"app":"api"}`); dictionary encoded |
//! | `timestamp_ns` | int64 | ns since the epoch; DELTA_BINARY_PACKED |
//! | `line` | string | the log line; no dictionary, zstd, no statistics |
//! | `structured_metadata` | map<string, string> | Loki structured metadata (empty map when none) |
//!
//! The footer key `lakewatch.streams` holds the **stream table** (JSON array of
//! [`StreamRecord`], in file order): labels, first row, row count, time range and line bytes
//! of every stream, so readers choose rows without reading any data page.

use arrow_schema::{DataType, Field, Fields, Schema};
use lakewatch_model::Labels;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

pub const COL_STREAM_ID: &str = "stream_id";
pub const COL_LABELS: &str = "labels";
pub const COL_TIMESTAMP: &str = "timestamp_ns";
pub const COL_LINE: &str = "line";
pub const COL_METADATA: &str = "structured_metadata";
/// Names of the map's inner fields (the Parquet MAP convention).
pub const MAP_ENTRIES: &str = "key_value";
pub const MAP_KEY: &str = "key";
pub const MAP_VALUE: &str = "value";

/// Footer key-value entries.
pub const KV_FORMAT: &str = "lakewatch.format";
pub const KV_STREAMS: &str = "lakewatch.streams";
/// Value of [`KV_FORMAT`] for this layout.
pub const FORMAT_LOGS_V1: &str = "lakewatch-logs-v1";

/// Nanoseconds per millisecond.
pub const NS_PER_MS: i64 = 1_000_000;

/// The stable 64-bit id of a stream's label set (same function as the metrics `series_id`).
pub fn stream_id(labels: &Labels) -> u64 {
    crate::metrics::schema::series_id(labels)
}

/// The stream labels as the JSON object stored in the `labels` column and the stream table.
pub fn labels_json(labels: &Labels) -> String {
    let m: BTreeMap<&str, &str> = labels
        .iter()
        .map(|l| (l.name.as_str(), l.value.as_str()))
        .collect();
    serde_json::to_string(&m).unwrap_or_else(|_| "{}".into())
}

/// `ns` rounded down to whole ms (floor, also for negative times).
pub fn floor_ms(ns: i64) -> i64 {
    ns.div_euclid(NS_PER_MS)
}

/// `ns` rounded up to whole ms (ceil).
pub fn ceil_ms(ns: i64) -> i64 {
    let q = ns.div_euclid(NS_PER_MS);
    if ns.rem_euclid(NS_PER_MS) == 0 {
        q
    } else {
        q + 1
    }
}

/// Whether a manifest object whose ms range is `[min_ms, max_ms]` (rounded outwards) may hold
/// entries in `[start_ns, end_ns)`.
pub fn ms_range_overlaps(min_ms: i64, max_ms: i64, start_ns: i64, end_ns: i64) -> bool {
    let lo = min_ms as i128 * NS_PER_MS as i128;
    let hi = max_ms as i128 * NS_PER_MS as i128;
    lo < end_ns as i128 && hi >= start_ns as i128
}

/// One stream of an object, as listed in the footer's stream table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamRecord {
    /// Stream labels (a JSON object in the footer).
    #[serde(with = "labels_map")]
    pub labels: Labels,
    /// First row of the stream's run (0-based, over the whole file).
    pub first_row: u64,
    /// Rows (entries) of the stream.
    pub rows: u64,
    /// Smallest / largest timestamp of the stream's entries, ns.
    pub min_ts_ns: i64,
    pub max_ts_ns: i64,
    /// Sum of the UTF-8 lengths of the stream's lines.
    pub line_bytes: u64,
}

impl StreamRecord {
    /// Whether the stream may have entries in `[start_ns, end_ns)`.
    pub fn overlaps(&self, start_ns: i64, end_ns: i64) -> bool {
        self.rows > 0 && self.min_ts_ns < end_ns && self.max_ts_ns >= start_ns
    }

    /// Whether every entry of the stream is in `[start_ns, end_ns)`.
    pub fn within(&self, start_ns: i64, end_ns: i64) -> bool {
        self.min_ts_ns >= start_ns && self.max_ts_ns < end_ns
    }
}

mod labels_map {
    use lakewatch_model::Labels;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::collections::BTreeMap;

    pub fn serialize<S: Serializer>(l: &Labels, s: S) -> Result<S::Ok, S::Error> {
        let m: BTreeMap<&str, &str> = l
            .iter()
            .map(|x| (x.name.as_str(), x.value.as_str()))
            .collect();
        m.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Labels, D::Error> {
        let m = BTreeMap::<String, String>::deserialize(d)?;
        Ok(Labels::from_pairs(m))
    }
}

/// The Arrow type of the `structured_metadata` column: `Map<Utf8, Utf8>` with the Parquet
/// field names `key_value`, `key`, `value` (keys and values not null).
pub fn metadata_type() -> DataType {
    let entries = Field::new(
        MAP_ENTRIES,
        DataType::Struct(Fields::from(vec![
            Field::new(MAP_KEY, DataType::Utf8, false),
            Field::new(MAP_VALUE, DataType::Utf8, true),
        ])),
        false,
    );
    DataType::Map(Arc::new(entries), false)
}

/// The Arrow schema of a logs object.
pub fn arrow_schema() -> Schema {
    Schema::new(vec![
        Field::new(COL_STREAM_ID, DataType::UInt64, false),
        Field::new(COL_LABELS, DataType::Utf8, false),
        Field::new(COL_TIMESTAMP, DataType::Int64, false),
        Field::new(COL_LINE, DataType::Utf8, false),
        Field::new(COL_METADATA, metadata_type(), false),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding() {
        assert_eq!(floor_ms(1_999_999), 1);
        assert_eq!(ceil_ms(1_000_001), 2);
        assert_eq!(ceil_ms(2_000_000), 2);
        assert_eq!(floor_ms(-1), -1);
        assert_eq!(ceil_ms(-1), 0);
        assert!(ms_range_overlaps(1, 2, 2_000_000, 2_000_001));
        assert!(!ms_range_overlaps(1, 2, 2_000_001, 3_000_000));
        assert!(!ms_range_overlaps(1, 2, 0, 1_000_000));
        assert!(ms_range_overlaps(i64::MIN, i64::MAX, i64::MIN, i64::MAX));
    }

    #[test]
    fn stream_record_json() {
        let r = StreamRecord {
            labels: Labels::from_pairs([("b", "2"), ("a", "ü")]),
            first_row: 0,
            rows: 3,
            min_ts_ns: 1,
            max_ts_ns: 9,
            line_bytes: 12,
        };
        let j = serde_json::to_string(&r).unwrap();
        assert!(j.starts_with(r#"{"labels":{"a":"ü","b":"2"}"#), "{j}");
        assert_eq!(serde_json::from_str::<StreamRecord>(&j).unwrap(), r);
        assert_eq!(labels_json(&r.labels), r#"{"a":"ü","b":"2"}"#);
    }
}
