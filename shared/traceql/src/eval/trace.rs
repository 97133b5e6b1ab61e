//! One trace prepared for evaluation: its spans (deduplicated, storage order) plus the tree
//! (parent/children), root span and trace-level intrinsics.

use lakewatch_storage::traces::SpanRecord;

/// The spans of one trace with the derived data TraceQL needs.
#[derive(Debug, Clone)]
pub struct TraceView {
    /// Trace id (16 bytes).
    pub trace_id: [u8; 16],
    /// Every span of the trace, sorted by start time then span id, one per span id.
    pub spans: Vec<SpanRecord>,
}

impl TraceView {
    /// Builds the view from the spans of **one** trace (any order, repeats allowed).
    pub fn new(trace_id: [u8; 16], spans: Vec<SpanRecord>) -> TraceView {
        TraceView { trace_id, spans }
    }
}
