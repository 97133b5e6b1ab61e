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
//! | `value_int` | int64, nullable | decimal mantissa of a float sample: value = `value_int / 10^value_scale`; DELTA_BINARY_PACKED |
//! | `value_scale` | uint8, nullable | decimal digits of `value_int` (0..=6), constant per series in one object |
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
pub const COL_VALUE_SCALE: &str = "value_scale";
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
        Field::new(COL_VALUE_SCALE, DataType::UInt8, true),
        Field::new(COL_HISTOGRAM, DataType::Binary, true),
        Field::new(COL_EXEMPLAR_LABELS, DataType::Utf8, true),
    ]);
    Schema::new(fields)
}

/// Largest number of decimal digits stored through `value_int`/`value_scale`.
pub const MAX_SCALE: u8 = 6;
const POW10: [f64; MAX_SCALE as usize + 1] = [1.0, 10.0, 100.0, 1e3, 1e4, 1e5, 1e6];
/// Mantissas must stay below 2^53 so that `m as f64` is exact.
const MAX_MANTISSA: f64 = 9_007_199_254_740_992.0;

/// The value of a `value_int`/`value_scale` pair: `m / 10^scale` (IEEE division, exactly what
/// DuckDB's `value_int / pow(10, value_scale)` computes). `None` for a scale above [`MAX_SCALE`].
pub fn decimal_value(m: i64, scale: u8) -> Option<f64> {
    POW10.get(scale as usize).map(|p| m as f64 / p)
}

/// The mantissa `m` with `decimal_value(m, scale) == v` bit for bit, if there is one
/// (finite `v`, |m| < 2^53; never for `-0.0` or NaN, so staleness markers stay in `value`).
pub fn as_decimal(v: f64, scale: u8) -> Option<i64> {
    let p = *POW10.get(scale as usize)?;
    if !v.is_finite() {
        return None;
    }
    let m = (v * p).round();
    if m.abs() >= MAX_MANTISSA {
        return None;
    }
    let mi = m as i64;
    (decimal_value(mi, scale)?.to_bits() == v.to_bits()).then_some(mi)
}

/// The smallest scale at which `v` is an exact decimal, if any up to [`MAX_SCALE`].
pub fn min_scale(v: f64) -> Option<u8> {
    (0..=MAX_SCALE).find(|k| as_decimal(v, *k).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals() {
        assert_eq!(as_decimal(42.0, 0), Some(42));
        assert_eq!(as_decimal(-7.0, 0), Some(-7));
        assert_eq!(min_scale(0.25), Some(2));
        assert_eq!(min_scale(12345.67), Some(2));
        assert_eq!(as_decimal(12345.67, 2), Some(1234567));
        assert_eq!(as_decimal(12345.67, 4), Some(123456700));
        assert_eq!(min_scale(0.1 + 0.2), None);
        assert_eq!(min_scale(-0.0), None);
        assert_eq!(min_scale(f64::NAN), None);
        assert_eq!(min_scale(f64::from_bits(0x7ff0_0000_0000_0002)), None);
        assert_eq!(min_scale(f64::INFINITY), None);
        assert_eq!(min_scale(1e300), None);
        assert_eq!(decimal_value(1234567, 2), Some(12345.67));
        assert_eq!(decimal_value(1, 9), None);
    }
}
