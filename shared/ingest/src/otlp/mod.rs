//! OTLP/HTTP metrics: body decoding (protobuf, JSON, gzip) and translation to Prometheus series
//! as Prometheus 3's OTLP receiver does by default.

pub mod attrs;
pub mod decode;
pub mod exp_histogram;
pub mod names;
pub mod translate;

pub use decode::{decode_body, decompress, negotiate, OtlpFormat};
pub use translate::{translate, Translation};
