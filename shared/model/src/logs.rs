//! Log streams and entries as received by ingest and stored by the logs layout (Loki's model).
//!
//! Times are **nanoseconds since the Unix epoch** (`i64`), as in Loki.

use crate::Labels;
use serde::{Deserialize, Serialize};

/// One log entry (Loki "entry"): a line at a nanosecond timestamp with optional structured
/// metadata (name/value pairs not part of the stream identity, e.g. `trace_id`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    /// Nanoseconds since the epoch.
    pub timestamp_ns: i64,
    /// The log line, as sent.
    pub line: String,
    /// Structured metadata (sorted by name; empty values dropped, as Loki does).
    pub structured_metadata: Labels,
}

/// One stream (Loki "stream"): its identifying label set and entries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogStream {
    pub labels: Labels,
    pub entries: Vec<LogEntry>,
}

/// The streams of one push request (after validation), the unit of one L0 object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogsBatch {
    pub streams: Vec<LogStream>,
}

impl LogsBatch {
    /// Total entries over all streams.
    pub fn entry_count(&self) -> usize {
        self.streams.iter().map(|s| s.entries.len()).sum()
    }

    /// Total line bytes (UTF-8) over all streams, the figure Loki's limits and stats use.
    pub fn line_bytes(&self) -> usize {
        self.streams
            .iter()
            .flat_map(|s| s.entries.iter())
            .map(|e| e.line.len())
            .sum()
    }
}
