//! What one ingest request stored, handed to the self-monitoring middleware
//! (`lakewatch_api::selfmon`) as a **response extension** (never a header, so nothing internal
//! reaches clients).

use bytes::Bytes;
use http::Response;

/// Items of one ingest request: `accepted` samples (float + histogram) / log entries / spans
/// written, `rejected` items (series for remote write 2.0, entries, spans) refused by
/// validation while the rest was written, and `objects` Parquet objects written (0 or 1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IngestCounts {
    pub accepted: u64,
    pub rejected: u64,
    pub objects: u64,
}

impl IngestCounts {
    /// Attaches these counts to `resp` as an extension (read with
    /// `resp.extensions().get::<IngestCounts>()`).
    pub fn attach(self, mut resp: Response<Bytes>) -> Response<Bytes> {
        resp.extensions_mut().insert(self);
        resp
    }
}
