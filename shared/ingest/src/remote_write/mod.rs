//! Prometheus remote write 1.0 and 2.0: protobuf messages, content negotiation, decoding into
//! [`lakewatch_model::MetricsBatch`] and encoding (for generators and tests).

pub mod content;
mod decode_v1;
mod decode_v2;
mod encode;
pub mod histogram;
pub mod proto;
pub mod proto_v2;

pub use content::{negotiate, snappy_decode, RemoteWriteVersion, PROTO_V1, PROTO_V2};
pub use decode_v1::{decode_v1, exemplar, MAX_EXEMPLAR_RUNES};
pub use decode_v2::{decode_v2, V2Decoded};
pub use encode::{encode_v1, snappy_compress, write_request};
