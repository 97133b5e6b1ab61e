//! Column names and the Arrow schema of a metrics object (see `docs/metrics-parquet-schema.md`).
//!
//! One row per float sample, native histogram sample or exemplar, sorted by
//! (`metric_name`, `series_id`, labels, `kind`, `timestamp_ms`):
//!
//! | column | type | notes |
//! |---|---|---|
//! | `metric_name` | string | `__name__` (`""` if absent); dictionary, page stats, bloom filter |
//! | `series_id` | uint64 | FNV-1a 64 of the sorted label set ([`series_id`]) |
//! | `l_<label>` | string, nullable | one column per label name in the file (except `__name__`); null = absent |
//! | `kind` | uint8 | 0 float sample, 1 native histogram, 2 exemplar |
//! | `timestamp_ms` | int64 | ms since the epoch; DELTA_BINARY_PACKED |
//! | `value` | double, nullable | float sample / exemplar value when not stored in `value_int`; BYTE_STREAM_SPLIT |
//! | `value_int` | int64, nullable | float sample whose value is an integer with magnitude below 2^53 (counters); DELTA_BINARY_PACKED |
//! | `histogram` | binary, nullable | `FloatHistogram` in the `histogram_codec` encoding (kind 1 only) |
//! | `exemplar_labels` | string, nullable | exemplar labels as a JSON object (kind 2 only) |

use arrow_schema::{DataType, Field, Schema};
use lakewatch_model::Labels;

pub const COL_METRIC_NAME: &str = "metric_name";
pub const COL_SERIES_ID: &str = "series_id";
pub const LABEL_PREFIX: &str = "l_";
pub const COL_KIND: &str = "kind";
pub const COL_TIMESTAMP: &str = "timestamp_ms";
pub const COL_VALUE: &str = "value";
pub const COL_VALUE_INT: &str = "value_int";
pub const COL_HISTOGRAM: &str = "histogram";
pub const COL_EXEMPLAR_LABELS: &str = "exemplar_labels";

/// Row kinds stored in the `kind` column.
pub const KIND_FLOAT: u8 = 0;
pub const KIND_HISTOGRAM: u8 = 1;
pub const KIND_EXEMPLAR: u8 = 2;

/// Key-value metadata keys in the Parquet footer.
pub const KV_FORMAT: &str = "lakewatch.format";
pub const KV_METADATA: &str = "lakewatch.metric_metadata";
/// Value of [`KV_FORMAT`] for this layout.
pub const FORMAT_METRICS_V1: &str = "lakewatch-metrics-v1";

/// The stable 64-bit id of a label set: FNV-1a over `name 0xff value 0xff` for each label in
/// name order. Used for sorting and as a DuckDB-friendly join key; not a uniqueness guarantee
/// (readers compare the labels themselves).
pub fn series_id(labels: &Labels) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |b: &[u8]| {
        for x in b {
            h ^= *x as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for l in labels.iter() {
        feed(l.name.as_bytes());
        feed(&[0xff]);
        feed(l.value.as_bytes());
        feed(&[0xff]);
    }
    h
}

/// The Arrow schema for a file whose non-`__name__` label names are `label_names` (sorted).
pub fn arrow_schema(label_names: &[String]) -> Schema {
    let mut fields = vec![
        Field::new(COL_METRIC_NAME, DataType::Utf8, false),
        Field::new(COL_SERIES_ID, DataType::UInt64, false),
    ];
    fields.extend(
        label_names
            .iter()
            .map(|n| Field::new(format!("{LABEL_PREFIX}{n}"), DataType::Utf8, true)),
    );
    fields.extend([
        Field::new(COL_KIND, DataType::UInt8, false),
        Field::new(COL_TIMESTAMP, DataType::Int64, false),
        Field::new(COL_VALUE, DataType::Float64, true),
        Field::new(COL_VALUE_INT, DataType::Int64, true),
        Field::new(COL_HISTOGRAM, DataType::Binary, true),
        Field::new(COL_EXEMPLAR_LABELS, DataType::Utf8, true),
    ]);
    Schema::new(fields)
}

/// Largest magnitude stored in `value_int` (every integer up to 2^53 is exact in an f64).
const MAX_EXACT_INT: f64 = 9_007_199_254_740_992.0;

/// The `value_int` representation of a float sample, if it has one: an integral value with
/// magnitude below 2^53 other than `-0.0`. Converting back with `as f64` is exact.
pub fn as_exact_int(v: f64) -> Option<i64> {
    (v.fract() == 0.0 && v.abs() < MAX_EXACT_INT && !(v == 0.0 && v.is_sign_negative()))
        .then_some(v as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_ints() {
        assert_eq!(as_exact_int(42.0), Some(42));
        assert_eq!(as_exact_int(-7.0), Some(-7));
        assert_eq!(as_exact_int(0.5), None);
        assert_eq!(as_exact_int(-0.0), None);
        assert_eq!(as_exact_int(f64::NAN), None);
        assert_eq!(as_exact_int(f64::INFINITY), None);
        assert_eq!(as_exact_int(1e300), None);
    }
}
