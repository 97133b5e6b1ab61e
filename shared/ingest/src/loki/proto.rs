//! Loki's push protobuf (`pkg/push/push.proto`, package `logproto`, Apache-2.0), written by hand
//! with `prost` derives like `remote_write::proto`: the file is five tiny messages and the
//! gogoproto options it uses (`customtype`, `stdtime`, `nullable=false`) change only the Go
//! types, not the wire format, so generating code (and vendoring gogo.proto) buys nothing.
//! Field numbers and types are exactly upstream's.

/// The body of `POST /loki/api/v1/push` (after snappy **block** decompression).
#[derive(Clone, PartialEq, prost::Message)]
pub struct PushRequest {
    #[prost(message, repeated, tag = "1")]
    pub streams: Vec<StreamAdapter>,
    /// Internal to Loki (`"loki"`/`"otlp"`); clients leave it empty and it is ignored here.
    #[prost(string, tag = "2")]
    pub format: String,
}

/// The (empty) response message of Loki's gRPC `Pusher.Push`.
#[derive(Clone, Copy, PartialEq, Eq, prost::Message)]
pub struct PushResponse {}

/// One stream: its labels in Prometheus text form (`{app="x", env="prod"}`) and entries.
#[derive(Clone, PartialEq, prost::Message)]
pub struct StreamAdapter {
    #[prost(string, tag = "1")]
    pub labels: String,
    #[prost(message, repeated, tag = "2")]
    pub entries: Vec<EntryAdapter>,
    /// Internal to Loki; clients leave it 0 and it is ignored here.
    #[prost(uint64, tag = "3")]
    pub hash: u64,
}

/// A structured-metadata (or, query side only, parsed) `name="value"` pair.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct LabelPairAdapter {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(string, tag = "2")]
    pub value: String,
}

/// One log entry. `timestamp` is a `google.protobuf.Timestamp`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct EntryAdapter {
    #[prost(message, optional, tag = "1")]
    pub timestamp: Option<Timestamp>,
    #[prost(string, tag = "2")]
    pub line: String,
    #[prost(message, repeated, tag = "3")]
    pub structured_metadata: Vec<LabelPairAdapter>,
    /// Query-side only (labels extracted by parsers); ignored on push.
    #[prost(message, repeated, tag = "4")]
    pub parsed: Vec<LabelPairAdapter>,
}

/// `google.protobuf.Timestamp`: seconds since the epoch plus non-negative nanoseconds.
#[derive(Clone, Copy, PartialEq, Eq, prost::Message)]
pub struct Timestamp {
    #[prost(int64, tag = "1")]
    pub seconds: i64,
    #[prost(int32, tag = "2")]
    pub nanos: i32,
}

impl Timestamp {
    /// Nanoseconds since the epoch (saturating), as Go's `time.Time.UnixNano` for in-range times.
    pub fn to_ns(self) -> i64 {
        self.seconds
            .saturating_mul(1_000_000_000)
            .saturating_add(i64::from(self.nanos))
    }

    /// The timestamp of `ns` nanoseconds since the epoch (`nanos` always in `0..1e9`).
    pub fn from_ns(ns: i64) -> Self {
        Timestamp {
            seconds: ns.div_euclid(1_000_000_000),
            nanos: ns.rem_euclid(1_000_000_000) as i32,
        }
    }
}
