//! Loki's JSON push bodies, decoded with serde into [`RawPush`]:
//!
//! - v1 (`/loki/api/v1/push`): `{"streams":[{"stream":{"a":"b"},"values":[["<ns>","<line>",
//!   {"<sm name>":"<sm value>"}]]}]}`. The timestamp **must be a JSON string** holding integer
//!   nanoseconds (a number or a non-integer string fails the whole request, as Loki's
//!   `loghttp` decoder); the optional third element is a flat object of strings (structured
//!   metadata); more than 3 elements is an error.
//! - v0 (`/api/prom/push`): `{"streams":[{"labels":"{a=\"b\"}","entries":[{"ts":"<RFC3339Nano>",
//!   "line":"…"}]}]}`.
//!
//! Errors are the decoder's message (serde_json adds `at line L column C`), answered with 400.

use super::labels::label_set_string;
use super::{RawEntry, RawLabels, RawPush, RawStream};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::fmt;

#[derive(Deserialize)]
struct V1Request {
    #[serde(default)]
    streams: Option<Vec<V1Stream>>,
}

#[derive(Deserialize)]
struct V1Stream {
    #[serde(default)]
    stream: Option<StringMap>,
    #[serde(default)]
    values: Option<Vec<V1Entry>>,
}

/// A JSON object of string values, in document order.
struct StringMap(Vec<(String, String)>);

impl<'de> Deserialize<'de> for StringMap {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = StringMap;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of string values")
            }
            fn visit_unit<E>(self) -> Result<StringMap, E> {
                Ok(StringMap(Vec::new()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<StringMap, A::Error> {
                let mut v = Vec::new();
                while let Some(k) = a.next_key::<String>()? {
                    let val = a.next_value::<String>()?;
                    v.push((k, val));
                }
                Ok(StringMap(v))
            }
        }
        d.deserialize_any(V)
    }
}

struct V1Entry(RawEntry);

/// Parses Loki's string timestamp (`strconv.ParseInt(s, 10, 64)`) with Go's error text.
fn parse_ns(s: &str) -> Result<i64, String> {
    s.parse::<i64>().map_err(|e| {
        let why = match e.kind() {
            std::num::IntErrorKind::PosOverflow | std::num::IntErrorKind::NegOverflow => {
                "value out of range"
            }
            _ => "invalid syntax",
        };
        format!(
            "error reading entry timestamp: strconv.ParseInt: parsing {}: {why}",
            super::labels::go_quote(s)
        )
    })
}

impl<'de> Deserialize<'de> for V1Entry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct TsStr(String);
        impl<'de> Deserialize<'de> for TsStr {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = TsStr;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        f.write_str(
                            "error reading entry timestamp: a string of nanoseconds since the epoch",
                        )
                    }
                    fn visit_str<E>(self, v: &str) -> Result<TsStr, E> {
                        Ok(TsStr(v.to_string()))
                    }
                }
                d.deserialize_any(V)
            }
        }
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = V1Entry;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an entry array [\"<ns>\", \"<line>\", {structured metadata}]")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<V1Entry, A::Error> {
                let ts: TsStr = a.next_element()?.ok_or_else(|| {
                    de::Error::custom(
                        "error reading entry: array must have at least 2 and up to 3 values",
                    )
                })?;
                let ts_ns = parse_ns(&ts.0).map_err(de::Error::custom)?;
                let line: String = a.next_element()?.ok_or_else(|| {
                    de::Error::custom(
                        "error reading entry: array must have at least 2 and up to 3 values",
                    )
                })?;
                let sm: Option<StringMap> = a.next_element()?;
                if a.next_element::<de::IgnoredAny>()?.is_some() {
                    return Err(de::Error::custom(
                        "error reading entry: array must have at least 2 and up to 3 values",
                    ));
                }
                Ok(V1Entry(RawEntry {
                    timestamp_ns: ts_ns,
                    line,
                    structured_metadata: sm.map(|m| m.0).unwrap_or_default(),
                }))
            }
        }
        d.deserialize_seq(V)
    }
}

/// A Go map's view of repeated JSON keys: the last value wins.
fn last_wins(pairs: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::with_capacity(pairs.len());
    for (k, v) in pairs {
        match out.iter_mut().find(|(n, _)| *n == k) {
            Some(p) => p.1 = v,
            None => out.push((k, v)),
        }
    }
    out
}

/// Decodes a v1 JSON push body. Each stream's labels become Loki's `LabelSet.String()` text
/// (names unquoted), parsed later like protobuf label strings.
pub fn decode_v1(body: &[u8]) -> Result<RawPush, String> {
    let req: V1Request =
        serde_json::from_slice(body).map_err(|e| format!("loghttp.PushRequest: {e}"))?;
    Ok(RawPush {
        streams: req
            .streams
            .unwrap_or_default()
            .into_iter()
            .map(|s| RawStream {
                labels: RawLabels::Text(label_set_string(&last_wins(
                    s.stream.map(|m| m.0).unwrap_or_default(),
                ))),
                entries: s
                    .values
                    .unwrap_or_default()
                    .into_iter()
                    .map(|e| e.0)
                    .collect(),
            })
            .collect(),
    })
}

#[derive(Deserialize)]
struct V0Request {
    #[serde(default)]
    streams: Option<Vec<V0Stream>>,
}

#[derive(Deserialize)]
struct V0Stream {
    #[serde(default)]
    labels: String,
    #[serde(default)]
    entries: Option<Vec<V0Entry>>,
}

#[derive(Deserialize)]
struct V0Entry {
    ts: String,
    #[serde(default)]
    line: String,
}

/// Decodes a legacy v0 JSON push body (`ts` in RFC 3339 with optional fraction and offset).
pub fn decode_v0(body: &[u8]) -> Result<RawPush, String> {
    let req: V0Request =
        serde_json::from_slice(body).map_err(|e| format!("logproto.PushRequest: {e}"))?;
    let mut streams = Vec::new();
    for s in req.streams.unwrap_or_default() {
        let mut entries = Vec::new();
        for e in s.entries.unwrap_or_default() {
            let t = chrono::DateTime::parse_from_rfc3339(&e.ts).map_err(|err| {
                format!(
                    "parsing time {} as \"2006-01-02T15:04:05Z07:00\": {err}",
                    super::labels::go_quote(&e.ts)
                )
            })?;
            let ns = t
                .timestamp_nanos_opt()
                .ok_or_else(|| format!("time {} is out of the nanosecond range", e.ts))?;
            entries.push(RawEntry {
                timestamp_ns: ns,
                line: e.line,
                structured_metadata: Vec::new(),
            });
        }
        streams.push(RawStream {
            labels: RawLabels::Text(s.labels),
            entries,
        });
    }
    Ok(RawPush { streams })
}
