//! Counting the traces [`super::TracesReader::scan_traces`] would return, from the span
//! keys alone (trace id, start, span id): the same stable sort and per-trace deduplication
//! (first span of each span id kept), then the traces with a kept span starting in the
//! window.

use crate::traces::decode::SpanKey;
use std::cmp::Ordering;
use std::collections::HashSet;

fn key_order(a: &SpanKey, b: &SpanKey) -> Ordering {
    a.trace_id
        .cmp(&b.trace_id)
        .then_with(|| a.start_ns.cmp(&b.start_ns))
        .then_with(|| a.span_id.cmp(&b.span_id))
}

/// The number of traces of `keys` (all objects' keys, object order then file order) with a
/// span starting in `[start_ns, end_ns)` after deduplication.
pub(super) fn count_traces(mut keys: Vec<SpanKey>, start_ns: i64, end_ns: i64) -> u64 {
    if !keys
        .windows(2)
        .all(|w| key_order(&w[0], &w[1]) != Ordering::Greater)
    {
        keys.sort_by(key_order);
    }
    let in_window = |k: &SpanKey| (start_ns..end_ns).contains(&k.start_ns);
    let mut n = 0;
    for trace in keys.chunk_by(|a, b| a.trace_id == b.trace_id) {
        let hit = if trace.len() <= 16 {
            trace
                .iter()
                .enumerate()
                .any(|(i, k)| in_window(k) && !trace[..i].iter().any(|e| e.span_id == k.span_id))
        } else {
            let mut seen: HashSet<&[u8]> = HashSet::new();
            trace
                .iter()
                .any(|k| seen.insert(k.span_id.as_slice()) && in_window(k))
        };
        n += u64::from(hit);
    }
    n
}
