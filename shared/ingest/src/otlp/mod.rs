//! OTLP/HTTP metrics: body decoding (protobuf, JSON, gzip) and translation to Prometheus series
//! as Prometheus 3's OTLP receiver does by default. OTLP logs: [`logs_decode`] and [`logs`]
//! (Loki's OTLP→label mapping). OTLP traces: [`traces_decode`] (pure decoding and span
//! validation), [`traces`] (the `/v1/traces` handler), [`traces_encode`] (client-side bodies).

pub mod attrs;
pub mod decode;
pub mod exp_histogram;
pub mod logs;
pub mod logs_decode;
pub mod names;
pub mod traces;
pub mod traces_decode;
pub mod traces_encode;
pub mod translate;

pub use decode::{decode_body, decompress, negotiate, OtlpFormat};
pub use logs::otlp_logs_to_push;
pub use logs_decode::decode_logs_body;
pub use traces::handle_otlp_traces;
pub use traces_decode::{decode_traces, DecodedTraces};
pub use traces_encode::{decode_traces_response, encode_traces_json, encode_traces_protobuf};
pub use translate::{translate, Translation};
