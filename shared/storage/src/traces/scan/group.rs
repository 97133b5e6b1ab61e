//! Grouping the spans read from several objects into traces without sorting them all:
//! every row group's spans (in storage order) are grouped by trace in its read task
//! ([`group_run`]), the row groups of an object are joined ([`join_runs`]), and the objects'
//! traces are merged by trace id ([`merge_objects`]), each trace's spans deduplicated on their
//! own. The result is exactly that of a stable sort of all spans (objects in the given order,
//! file order within them) followed by [`crate::traces::record::normalize`] and grouping.

use super::TraceSpans;
use crate::traces::record::{dedupe_span_ids, record_order, SpanRecord};
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

/// The spans of a row group or object grouped by trace, in file order (spans of a trace in
/// file order, not yet deduplicated).
pub(super) struct Run {
    traces: Vec<TraceSpans>,
    /// Whether the spans were in storage order (non-decreasing [`record_order`]).
    sorted: bool,
}

/// Groups one row group's record batches (file order) by trace.
pub(super) fn group_run(pieces: Vec<Vec<SpanRecord>>) -> Run {
    let mut run = Run {
        traces: Vec::new(),
        sorted: true,
    };
    for piece in pieces {
        if piece.is_empty() {
            continue;
        }
        let prev = run.traces.last().and_then(|(_, s)| s.last());
        let boundary_ok = prev.is_none_or(|p| record_order(p, &piece[0]) != Ordering::Greater);
        run.sorted &= boundary_ok
            && piece
                .windows(2)
                .all(|w| record_order(&w[0], &w[1]) != Ordering::Greater);
        let lens: Vec<usize> = piece
            .chunk_by(|a, b| a.trace_id == b.trace_id)
            .map(<[SpanRecord]>::len)
            .collect();
        let mut it = piece.into_iter();
        for len in lens {
            let spans: Vec<SpanRecord> = it.by_ref().take(len).collect();
            let Some(id) = spans.first().map(|r| r.trace_id) else {
                continue;
            };
            match run.traces.last_mut() {
                Some((last, s)) if *last == id => s.extend(spans),
                _ => run.traces.push((id, spans)),
            }
        }
    }
    run
}

/// Joins the runs of one object's row groups (file order); an object not in storage order
/// is sorted (stably, as the original scan did).
pub(super) fn join_runs(runs: Vec<Run>) -> Vec<TraceSpans> {
    let mut out = Run {
        traces: Vec::new(),
        sorted: true,
    };
    for run in runs {
        out.sorted &= run.sorted;
        let mut it = run.traces.into_iter();
        let Some((id, spans)) = it.next() else {
            continue;
        };
        let prev = out.traces.last().and_then(|(_, s)| s.last());
        out.sorted &= prev.is_none_or(|p| {
            spans
                .first()
                .is_none_or(|f| record_order(p, f) != Ordering::Greater)
        });
        match out.traces.last_mut() {
            Some((last, s)) if *last == id => s.extend(spans),
            _ => out.traces.push((id, spans)),
        }
        out.traces.extend(it);
    }
    if out.sorted {
        return out.traces;
    }
    let mut all: Vec<SpanRecord> = out.traces.into_iter().flat_map(|(_, s)| s).collect();
    all.sort_by(record_order);
    group_run(vec![all]).traces
}

/// Merges the objects' traces (each ascending by trace id, objects in object order): a trace
/// in several objects gets their spans in object order, stably sorted. Then keeps one span
/// per span id (the first) and only the traces with a span starting in
/// `[start_ns, end_ns)`.
pub(super) fn merge_objects(
    objects: Vec<Vec<TraceSpans>>,
    start_ns: i64,
    end_ns: i64,
) -> Vec<TraceSpans> {
    let mut objects: Vec<Vec<TraceSpans>> = objects.into_iter().filter(|o| !o.is_empty()).collect();
    let merged = if objects.len() <= 1 {
        objects.pop().unwrap_or_default()
    } else {
        let total = objects.iter().map(Vec::len).sum();
        let mut iters: Vec<std::iter::Peekable<std::vec::IntoIter<TraceSpans>>> = objects
            .into_iter()
            .map(|o| o.into_iter().peekable())
            .collect();
        let mut heap: BinaryHeap<Reverse<([u8; 16], usize)>> = iters
            .iter_mut()
            .enumerate()
            .filter_map(|(i, it)| it.peek().map(|(id, _)| Reverse((*id, i))))
            .collect();
        let mut out: Vec<TraceSpans> = Vec::with_capacity(total);
        while let Some(Reverse((id, i))) = heap.pop() {
            let Some((_, spans)) = iters[i].next() else {
                continue;
            };
            if let Some((next, _)) = iters[i].peek() {
                heap.push(Reverse((*next, i)));
            }
            match out.last_mut() {
                // Same trace in an earlier object (lower index pops first): append, and
                // sort stably below.
                Some((last, s)) if *last == id => {
                    s.extend(spans);
                    s.sort_by(record_order);
                }
                _ => out.push((id, spans)),
            }
        }
        out
    };
    let in_window = |r: &SpanRecord| (start_ns..end_ns).contains(&r.start_ns());
    merged
        .into_iter()
        .filter_map(|(id, mut spans)| {
            dedupe_span_ids(&mut spans);
            spans.iter().any(in_window).then_some((id, spans))
        })
        .collect()
}
