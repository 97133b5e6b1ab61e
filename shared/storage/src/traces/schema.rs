//! Column names, dedicated attribute columns and the Arrow schema of a traces object (see
//! `docs/traces-parquet-schema.md`).
//!
//! One row per span, sorted by (`trace_id`, `start_time_unix_nano`, `span_id`): every trace's
//! spans form one contiguous run of rows, so row-group statistics, the page index and the
//! bloom filter on `trace_id` find a trace without reading other traces' pages.
//!
//! Attribute lists (span, resource, scope) are `map<string, struct>` columns whose value
//! struct holds the OTLP `AnyValue` faithfully ([`attr_map_type`]). Well-known attributes are
//! moved to **dedicated columns** ([`DEDICATED`]): their map entry stays in place (so the
//! attribute order is kept) with `dedicated = true` and no value, and the value lives in the
//! dedicated column.

use arrow_schema::{DataType, Field, Fields, Schema};
use std::sync::Arc;

pub const COL_TRACE_ID: &str = "trace_id";
pub const COL_START: &str = "start_time_unix_nano";
pub const COL_SPAN_ID: &str = "span_id";
pub const COL_PARENT_SPAN_ID: &str = "parent_span_id";
pub const COL_DURATION: &str = "duration_nano";
pub const COL_NAME: &str = "name";
pub const COL_KIND: &str = "kind";
pub const COL_STATUS_CODE: &str = "status_code";
pub const COL_STATUS_MESSAGE: &str = "status_message";
pub const COL_TRACE_STATE: &str = "trace_state";
pub const COL_FLAGS: &str = "flags";
pub const COL_DROPPED_ATTRS: &str = "dropped_attributes_count";
pub const COL_DROPPED_EVENTS: &str = "dropped_events_count";
pub const COL_DROPPED_LINKS: &str = "dropped_links_count";
pub const COL_SPAN_ATTRS: &str = "span_attributes";
pub const COL_EVENTS: &str = "events";
pub const COL_LINKS: &str = "links";
pub const COL_RES_ATTRS: &str = "resource_attributes";
pub const COL_RES_DROPPED: &str = "resource_dropped_attributes_count";
pub const COL_RES_ENTITY_REFS: &str = "resource_entity_refs";
pub const COL_RES_SCHEMA_URL: &str = "resource_schema_url";
pub const COL_SCOPE_NAME: &str = "scope_name";
pub const COL_SCOPE_VERSION: &str = "scope_version";
pub const COL_SCOPE_ATTRS: &str = "scope_attributes";
pub const COL_SCOPE_DROPPED: &str = "scope_dropped_attributes_count";
pub const COL_SCOPE_SCHEMA_URL: &str = "scope_schema_url";

/// Names of the map's inner fields (the Parquet MAP convention).
pub const MAP_ENTRIES: &str = "key_value";
pub const MAP_KEY: &str = "key";
pub const MAP_VALUE: &str = "value";
/// Fields of an attribute value (exactly one is set, or none for a `KeyValue` without value).
pub const V_STR: &str = "str";
pub const V_INT: &str = "int";
pub const V_DOUBLE: &str = "double";
pub const V_BOOL: &str = "bool";
/// Protobuf encoding of the whole `AnyValue` for bytes, array and kvlist values (and an empty
/// byte string for an `AnyValue` without a value).
pub const V_PROTO: &str = "proto";
/// `true`: the value is in the dedicated column of this key ([`DEDICATED`]).
pub const V_DEDICATED: &str = "dedicated";
/// Name of the list element field.
pub const LIST_ITEM: &str = "item";

/// Footer key-value entries.
pub const KV_FORMAT: &str = "lakewatch.format";
/// Value of [`KV_FORMAT`] for this layout.
pub const FORMAT_TRACES_V1: &str = "lakewatch-traces-v1";

/// Which attribute list a dedicated column comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrScope {
    Resource,
    Span,
}

/// A dedicated column: the first attribute (of `scope`) whose key is one of `keys` and whose
/// value has the column's type (string, or int when `int`) is stored here instead of in the
/// attribute map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dedicated {
    pub column: &'static str,
    pub scope: AttrScope,
    /// Attribute keys, old and new OpenTelemetry semantic conventions.
    pub keys: &'static [&'static str],
    /// Int64 column (`IntValue` attributes) instead of a string column.
    pub int: bool,
}

/// The dedicated columns, in schema order.
pub const DEDICATED: &[Dedicated] = &[
    Dedicated {
        column: "service_name",
        scope: AttrScope::Resource,
        keys: &["service.name"],
        int: false,
    },
    Dedicated {
        column: "http_method",
        scope: AttrScope::Span,
        keys: &["http.request.method", "http.method"],
        int: false,
    },
    Dedicated {
        column: "http_status_code",
        scope: AttrScope::Span,
        keys: &["http.response.status_code", "http.status_code"],
        int: true,
    },
    Dedicated {
        column: "http_route",
        scope: AttrScope::Span,
        keys: &["http.route"],
        int: false,
    },
    Dedicated {
        column: "http_url",
        scope: AttrScope::Span,
        keys: &["url.full", "http.url"],
        int: false,
    },
    Dedicated {
        column: "gen_ai_request_model",
        scope: AttrScope::Span,
        keys: &["gen_ai.request.model", "llm.model", "llm.model_name"],
        int: false,
    },
    Dedicated {
        column: "gen_ai_provider",
        scope: AttrScope::Span,
        keys: &[
            "gen_ai.provider.name",
            "gen_ai.system",
            "llm.provider",
            "llm.system",
        ],
        int: false,
    },
];

/// The dedicated columns of `scope`, with their indexes into [`DEDICATED`].
pub fn dedicated_of(scope: AttrScope) -> impl Iterator<Item = (usize, &'static Dedicated)> {
    DEDICATED
        .iter()
        .enumerate()
        .filter(move |(_, d)| d.scope == scope)
}

/// The Arrow type of an attribute map: `Map<Utf8, Struct{str, int, double, bool, proto,
/// dedicated}>` with the Parquet field names `key_value`, `key`, `value`.
pub fn attr_map_type() -> DataType {
    DataType::Map(Arc::new(attr_entries_field()), false)
}

/// The entries field of [`attr_map_type`].
pub fn attr_entries_field() -> Field {
    Field::new(
        MAP_ENTRIES,
        DataType::Struct(Fields::from(vec![
            Field::new(MAP_KEY, DataType::Utf8, false),
            Field::new(MAP_VALUE, DataType::Struct(attr_value_fields()), false),
        ])),
        false,
    )
}

/// Fields of the attribute value struct.
pub fn attr_value_fields() -> Fields {
    Fields::from(vec![
        Field::new(V_STR, DataType::Utf8, true),
        Field::new(V_INT, DataType::Int64, true),
        Field::new(V_DOUBLE, DataType::Float64, true),
        Field::new(V_BOOL, DataType::Boolean, true),
        Field::new(V_PROTO, DataType::Binary, true),
        Field::new(V_DEDICATED, DataType::Boolean, true),
    ])
}

/// The Arrow type of the `events` / `links` / `resource_entity_refs` columns: a list of
/// protobuf-encoded messages.
pub fn proto_list_type() -> DataType {
    DataType::List(Arc::new(Field::new(LIST_ITEM, DataType::Binary, true)))
}

/// The Arrow schema of a traces object.
pub fn arrow_schema() -> Schema {
    let mut fields = vec![
        Field::new(COL_TRACE_ID, DataType::FixedSizeBinary(16), false),
        Field::new(COL_START, DataType::Int64, false),
        Field::new(COL_SPAN_ID, DataType::Binary, false),
        Field::new(COL_PARENT_SPAN_ID, DataType::Binary, false),
        Field::new(COL_DURATION, DataType::Int64, false),
        Field::new(COL_NAME, DataType::Utf8, false),
        Field::new(COL_KIND, DataType::Int32, false),
        Field::new(COL_STATUS_CODE, DataType::Int32, true),
        Field::new(COL_STATUS_MESSAGE, DataType::Utf8, false),
        Field::new(COL_TRACE_STATE, DataType::Utf8, false),
        Field::new(COL_FLAGS, DataType::UInt32, false),
        Field::new(COL_DROPPED_ATTRS, DataType::UInt32, false),
        Field::new(COL_DROPPED_EVENTS, DataType::UInt32, false),
        Field::new(COL_DROPPED_LINKS, DataType::UInt32, false),
    ];
    for d in DEDICATED {
        let t = if d.int {
            DataType::Int64
        } else {
            DataType::Utf8
        };
        fields.push(Field::new(d.column, t, true));
    }
    fields.extend([
        Field::new(COL_SPAN_ATTRS, attr_map_type(), false),
        Field::new(COL_EVENTS, proto_list_type(), false),
        Field::new(COL_LINKS, proto_list_type(), false),
        Field::new(COL_RES_ATTRS, attr_map_type(), true),
        Field::new(COL_RES_DROPPED, DataType::UInt32, false),
        Field::new(COL_RES_ENTITY_REFS, proto_list_type(), false),
        Field::new(COL_RES_SCHEMA_URL, DataType::Utf8, false),
        Field::new(COL_SCOPE_NAME, DataType::Utf8, true),
        Field::new(COL_SCOPE_VERSION, DataType::Utf8, false),
        Field::new(COL_SCOPE_ATTRS, attr_map_type(), false),
        Field::new(COL_SCOPE_DROPPED, DataType::UInt32, false),
        Field::new(COL_SCOPE_SCHEMA_URL, DataType::Utf8, false),
    ]);
    Schema::new(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dedicated_keys_are_distinct() {
        let mut keys: Vec<&str> = DEDICATED
            .iter()
            .flat_map(|d| d.keys.iter().copied())
            .collect();
        let n = keys.len();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), n);
        assert_eq!(arrow_schema().fields().len(), 14 + DEDICATED.len() + 12);
    }
}
