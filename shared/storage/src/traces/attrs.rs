//! The attribute map columns: OTLP `KeyValue` lists ↔ `map<string, struct{str, int, double,
//! bool, proto, dedicated}>` (layout in [`super::schema`]), keeping order, duplicates and
//! every `AnyValue` kind exactly.

use super::schema::*;
use crate::error::{Result, StorageError};
use arrow_array::builder::{
    BinaryBuilder, BooleanBuilder, Float64Builder, Int64Builder, StringBuilder,
};
use arrow_array::builder::{NullBufferBuilder, OffsetBufferBuilder};
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type};
use arrow_array::{Array, ArrayRef, MapArray, StructArray};
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue};
use prost::Message;
use std::sync::Arc;

/// A dedicated column's value.
#[derive(Debug, Clone, PartialEq)]
pub enum DedicatedValue {
    Str(String),
    Int(i64),
}

/// Which attributes of `attrs` go to the dedicated columns of `scope`: per attribute whether
/// it moved, and per dedicated column (indexes into [`DEDICATED`], `None` for columns of the
/// other scope) its value.
pub fn extract(attrs: &[KeyValue], scope: AttrScope) -> (Vec<bool>, Vec<Option<DedicatedValue>>) {
    let mut moved = vec![false; attrs.len()];
    let mut values = vec![None; DEDICATED.len()];
    for (di, d) in dedicated_of(scope) {
        for (i, kv) in attrs.iter().enumerate() {
            if moved[i] || !d.keys.contains(&kv.key.as_str()) || kv.key_strindex != 0 {
                continue;
            }
            let v = match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
                Some(Value::StringValue(s)) if !d.int => DedicatedValue::Str(s.clone()),
                Some(Value::IntValue(n)) if d.int => DedicatedValue::Int(*n),
                _ => continue,
            };
            moved[i] = true;
            values[di] = Some(v);
            break;
        }
    }
    (moved, values)
}

/// Builds one attribute map column.
pub struct AttrMapBuilder {
    /// Entries per row.
    lengths: Vec<usize>,
    valid: Vec<bool>,
    keys: StringBuilder,
    s: StringBuilder,
    i: Int64Builder,
    d: Float64Builder,
    b: BooleanBuilder,
    p: BinaryBuilder,
    ded: BooleanBuilder,
}

impl Default for AttrMapBuilder {
    fn default() -> Self {
        AttrMapBuilder {
            lengths: Vec::new(),
            valid: Vec::new(),
            keys: StringBuilder::new(),
            s: StringBuilder::new(),
            i: Int64Builder::new(),
            d: Float64Builder::new(),
            b: BooleanBuilder::new(),
            p: BinaryBuilder::new(),
            ded: BooleanBuilder::new(),
        }
    }
}

impl AttrMapBuilder {
    /// Appends one row: `None` = null map (e.g. no resource); `moved[i]` marks attributes
    /// stored in a dedicated column (empty slice = none moved).
    pub fn push(&mut self, attrs: Option<&[KeyValue]>, moved: &[bool]) {
        let Some(attrs) = attrs else {
            self.valid.push(false);
            self.lengths.push(0);
            return;
        };
        for (k, kv) in attrs.iter().enumerate() {
            self.keys.append_value(&kv.key);
            let (mut s, mut i, mut d, mut b, mut p) = (None, None, None, None, None);
            let is_moved = moved.get(k).copied().unwrap_or(false);
            if !is_moved {
                match &kv.value {
                    None => {}
                    Some(AnyValue { value: None }) => p = Some(Vec::new()),
                    Some(AnyValue {
                        value: Some(Value::StringValue(x)),
                    }) => s = Some(x.as_str()),
                    Some(AnyValue {
                        value: Some(Value::IntValue(x)),
                    }) => i = Some(*x),
                    Some(AnyValue {
                        value: Some(Value::DoubleValue(x)),
                    }) => d = Some(*x),
                    Some(AnyValue {
                        value: Some(Value::BoolValue(x)),
                    }) => b = Some(*x),
                    Some(other) => p = Some(other.encode_to_vec()),
                }
            }
            self.s.append_option(s);
            self.i.append_option(i);
            self.d.append_option(d);
            self.b.append_option(b);
            self.p.append_option(p);
            self.ded.append_option(is_moved.then_some(true));
        }
        self.valid.push(true);
        self.lengths.push(attrs.len());
    }

    /// The finished column.
    pub fn finish(&mut self) -> Result<ArrayRef> {
        let values = StructArray::try_new(
            attr_value_fields(),
            vec![
                Arc::new(self.s.finish()),
                Arc::new(self.i.finish()),
                Arc::new(self.d.finish()),
                Arc::new(self.b.finish()),
                Arc::new(self.p.finish()),
                Arc::new(self.ded.finish()),
            ],
            None,
        )?;
        let entries_field = attr_entries_field();
        let arrow_schema::DataType::Struct(entry_fields) = entries_field.data_type().clone() else {
            return Err(StorageError::InvalidBatch("attribute map type".into()));
        };
        let entries = StructArray::try_new(
            entry_fields,
            vec![Arc::new(self.keys.finish()), Arc::new(values)],
            None,
        )?;
        let mut offsets = OffsetBufferBuilder::<i32>::new(self.lengths.len());
        for n in self.lengths.drain(..) {
            offsets.push_length(n);
        }
        let mut nulls = NullBufferBuilder::new(self.valid.len());
        for v in self.valid.drain(..) {
            nulls.append(v);
        }
        let map = MapArray::try_new(
            Arc::new(entries_field),
            offsets.finish(),
            entries,
            nulls.finish(),
            false,
        )?;
        Ok(Arc::new(map))
    }
}

/// Reads an attribute map column back.
pub struct AttrMapReader<'a> {
    map: &'a MapArray,
    keys: &'a arrow_array::StringArray,
    s: &'a arrow_array::StringArray,
    i: &'a arrow_array::PrimitiveArray<Int64Type>,
    d: &'a arrow_array::PrimitiveArray<Float64Type>,
    b: &'a arrow_array::BooleanArray,
    p: &'a arrow_array::BinaryArray,
    ded: &'a arrow_array::BooleanArray,
}

fn bad(what: &str) -> StorageError {
    StorageError::InvalidBatch(format!("traces object: bad attribute column {what}"))
}

impl<'a> AttrMapReader<'a> {
    /// Wraps a column of [`attr_map_type`].
    ///
    /// Errors: `InvalidBatch` if the column has another shape.
    pub fn new(col: &'a ArrayRef) -> Result<Self> {
        let map = col.as_map_opt().ok_or_else(|| bad("map"))?;
        let keys = map
            .keys()
            .as_string_opt::<i32>()
            .ok_or_else(|| bad("key"))?;
        let v = map.values().as_struct_opt().ok_or_else(|| bad("value"))?;
        let f = |n: &str| v.column_by_name(n).ok_or_else(|| bad(n));
        Ok(AttrMapReader {
            map,
            keys,
            s: f(V_STR)?.as_string_opt::<i32>().ok_or_else(|| bad(V_STR))?,
            i: f(V_INT)?
                .as_primitive_opt::<Int64Type>()
                .ok_or_else(|| bad(V_INT))?,
            d: f(V_DOUBLE)?
                .as_primitive_opt::<Float64Type>()
                .ok_or_else(|| bad(V_DOUBLE))?,
            b: f(V_BOOL)?.as_boolean_opt().ok_or_else(|| bad(V_BOOL))?,
            p: f(V_PROTO)?
                .as_binary_opt::<i32>()
                .ok_or_else(|| bad(V_PROTO))?,
            ded: f(V_DEDICATED)?
                .as_boolean_opt()
                .ok_or_else(|| bad(V_DEDICATED))?,
        })
    }

    /// Whether row `row` is null (no resource / scope).
    pub fn is_null(&self, row: usize) -> bool {
        self.map.is_null(row)
    }

    /// The attributes of row `row`; `dedicated(key)` gives the value of a dedicated entry.
    ///
    /// Errors: `InvalidBatch` for an undecodable `proto` value or a dedicated entry without
    /// its column value.
    pub fn row(
        &self,
        row: usize,
        dedicated: impl Fn(&str) -> Option<DedicatedValue>,
    ) -> Result<Vec<KeyValue>> {
        let offs = self.map.value_offsets();
        let (a, z) = (offs[row] as usize, offs[row + 1] as usize);
        let mut out = Vec::with_capacity(z - a);
        for k in a..z {
            let key = self.keys.value(k).to_string();
            let value = if self.ded.is_valid(k) && self.ded.value(k) {
                Some(AnyValue {
                    value: Some(match dedicated(&key) {
                        Some(DedicatedValue::Str(s)) => Value::StringValue(s),
                        Some(DedicatedValue::Int(n)) => Value::IntValue(n),
                        None => return Err(bad(&format!("dedicated value of {key}"))),
                    }),
                })
            } else if self.s.is_valid(k) {
                Some(AnyValue {
                    value: Some(Value::StringValue(self.s.value(k).to_string())),
                })
            } else if self.i.is_valid(k) {
                Some(AnyValue {
                    value: Some(Value::IntValue(self.i.value(k))),
                })
            } else if self.d.is_valid(k) {
                Some(AnyValue {
                    value: Some(Value::DoubleValue(self.d.value(k))),
                })
            } else if self.b.is_valid(k) {
                Some(AnyValue {
                    value: Some(Value::BoolValue(self.b.value(k))),
                })
            } else if self.p.is_valid(k) {
                Some(AnyValue::decode(self.p.value(k)).map_err(|e| bad(&e.to_string()))?)
            } else {
                None
            };
            out.push(KeyValue {
                key,
                value,
                key_strindex: 0,
            });
        }
        Ok(out)
    }
}
