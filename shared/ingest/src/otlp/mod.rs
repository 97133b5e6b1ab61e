//! OTLP/HTTP metrics: body decoding (protobuf, JSON, gzip) and translation to Prometheus series
//! as Prometheus 3's OTLP receiver does by default. OTLP logs: [`logs_decode`] and [`logs`]
//! (Loki's OTLP→label mapping).

pub mod attrs;
pub mod decode;
pub mod exp_histogram;
pub mod logs;
pub mod logs_decode;
pub mod names;
pub mod translate;

pub use decode::{decode_body, decompress, negotiate, OtlpFormat};
pub use logs::otlp_logs_to_push;
pub use logs_decode::decode_logs_body;
pub use translate::{translate, Translation};
