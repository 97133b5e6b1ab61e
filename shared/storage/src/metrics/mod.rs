//! The metrics signal: Parquet layout, writer (ingest) and reader (query).

pub mod decode;
pub mod encode;
pub mod histogram_codec;
pub mod merge;
pub mod object_reader;
pub mod reader;
pub mod schema;
pub mod writer;

pub use encode::{EncodeOptions, ObjectStats};
pub use reader::MetricsReader;
pub use writer::{MetricsWriter, WriteReceipt};
