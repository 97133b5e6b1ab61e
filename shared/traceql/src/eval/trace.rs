//! One trace prepared for evaluation: its spans (deduplicated, storage order) plus the tree
//! (parent/children), nested-set numbering, root span and trace-level intrinsics.
//!
//! The tree follows Tempo's `vparquet5/nested_set_model.go`: a span is a root when its
//! `parent_span_id` is empty; the others hang under the span with that id in the same trace
//! (missing parent = disconnected, no structural relations). Nested-set bounds are assigned by a
//! depth-first walk from every root, starting at 1 (children in storage order); a root's
//! nested-set parent is -1, a disconnected span has left = right = parent = 0.

use lakewatch_storage::traces::record::normalize;
use lakewatch_storage::traces::SpanRecord;
use std::collections::HashMap;

/// Spans up to which parents are found by a linear search instead of a hash map.
const SMALL_TRACE: usize = 16;

/// Nested-set bounds of one span (Tempo's `NestedSetLeft/Right`, `ParentID`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NestedSet {
    /// Left bound (0 = span not reachable from a root).
    pub left: i64,
    /// Right bound (0 = span not reachable from a root).
    pub right: i64,
    /// Left bound of the parent; -1 for a root, 0 when unknown.
    pub parent: i64,
}

/// The spans of one trace with the derived data TraceQL needs.
#[derive(Debug, Clone)]
pub struct TraceView {
    /// Trace id (16 bytes).
    pub trace_id: [u8; 16],
    /// Every span of the trace, sorted by start time then span id, one per span id.
    pub spans: Vec<SpanRecord>,
    /// Index of each span's parent in [`TraceView::spans`] (`None` for roots and orphans).
    pub parent: Vec<Option<usize>>,
    /// Indexes of each span's children (storage order).
    pub children: Vec<Vec<usize>>,
    /// Nested-set bounds of each span.
    pub nested: Vec<NestedSet>,
    /// The root span (empty `parent_span_id`; the earliest one if several).
    pub root: Option<usize>,
    /// Earliest span start (ns since the epoch); 0 for an empty trace.
    pub start_ns: u64,
    /// Latest span end (ns since the epoch); 0 for an empty trace.
    pub end_ns: u64,
}

impl TraceView {
    /// Builds the view from the spans of **one** trace (any order, repeats allowed: the first
    /// of each span id in storage order is kept).
    pub fn new(trace_id: [u8; 16], mut spans: Vec<SpanRecord>) -> TraceView {
        normalize(&mut spans);
        let n = spans.len();
        // Small traces (the usual case): a linear search beats hashing.
        let by_id: Option<HashMap<&[u8], usize>> = (n > SMALL_TRACE).then(|| {
            let mut m = HashMap::with_capacity(n);
            for (i, s) in spans.iter().enumerate() {
                m.entry(s.span.span_id.as_slice()).or_insert(i);
            }
            m
        });
        let find = |id: &[u8]| -> Option<usize> {
            match &by_id {
                Some(m) => m.get(id).copied(),
                None => spans.iter().position(|s| s.span.span_id == id),
            }
        };
        let mut parent = vec![None; n];
        let mut children = vec![Vec::new(); n];
        let mut roots = Vec::new();
        for (i, s) in spans.iter().enumerate() {
            if s.span.parent_span_id.is_empty() {
                roots.push(i);
                continue;
            }
            if let Some(p) = find(s.span.parent_span_id.as_slice()) {
                if p != i {
                    parent[i] = Some(p);
                    children[p].push(i);
                }
            }
        }
        let nested = assign_nested_sets(&roots, &children, n);
        let start_ns = spans
            .iter()
            .map(|s| s.span.start_time_unix_nano)
            .min()
            .unwrap_or(0);
        let end_ns = spans
            .iter()
            .map(|s| s.span.end_time_unix_nano)
            .max()
            .unwrap_or(0);
        TraceView {
            trace_id,
            spans,
            parent,
            children,
            nested,
            root: roots.first().copied(),
            start_ns,
            end_ns,
        }
    }

    /// Trace duration (ns): latest span end minus earliest span start, as Tempo's
    /// `trace:duration`.
    pub fn duration_ns(&self) -> i64 {
        self.end_ns.saturating_sub(self.start_ns) as i64
    }

    /// Name of the root span (`""` when the trace has no root, as Tempo stores it).
    pub fn root_name(&self) -> &str {
        self.root
            .map(|r| self.spans[r].span.name.as_str())
            .unwrap_or("")
    }

    /// `service.name` of the root span's resource (`""` when unknown).
    pub fn root_service_name(&self) -> String {
        self.root
            .and_then(|r| resource_service_name(&self.spans[r]))
            .unwrap_or_default()
    }

    /// Whether `a` is a strict ancestor of `d` (nested sets; false for disconnected spans).
    pub fn is_ancestor(&self, a: usize, d: usize) -> bool {
        let (x, y) = (self.nested[a], self.nested[d]);
        x.left != 0 && y.left != 0 && y.left > x.left && y.right < x.right
    }

    /// Whether `p` is the parent of `c` in the nested-set tree.
    pub fn is_parent(&self, p: usize, c: usize) -> bool {
        let (x, y) = (self.nested[p], self.nested[c]);
        x.left != 0 && y.parent != 0 && x.left == y.parent
    }

    /// Whether `a` and `b` are distinct spans with the same nested-set parent (roots are
    /// siblings of each other, as in Tempo).
    pub fn is_sibling(&self, a: usize, b: usize) -> bool {
        let (x, y) = (self.nested[a], self.nested[b]);
        a != b && x.parent != 0 && x.parent == y.parent
    }
}

/// The `service.name` string attribute of a record's resource.
pub fn resource_service_name(r: &SpanRecord) -> Option<String> {
    use opentelemetry_proto::tonic::common::v1::any_value::Value as Av;
    let res = r.resource.resource.as_ref()?;
    res.attributes
        .iter()
        .find(|kv| kv.key == "service.name")
        .and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
            Av::StringValue(s) => Some(s.clone()),
            _ => None,
        })
}

fn assign_nested_sets(roots: &[usize], children: &[Vec<usize>], n: usize) -> Vec<NestedSet> {
    let mut out = vec![NestedSet::default(); n];
    let mut bound = 1i64;
    for &root in roots {
        out[root].left = bound;
        out[root].parent = -1;
        bound += 1;
        // (node, next child index)
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        while let Some(top) = stack.last_mut() {
            let (node, next) = *top;
            if next < children[node].len() {
                top.1 += 1;
                let c = children[node][next];
                if out[c].left != 0 {
                    continue; // cycle guard
                }
                out[c].left = bound;
                out[c].parent = out[node].left;
                bound += 1;
                stack.push((c, 0));
            } else {
                out[node].right = bound;
                bound += 1;
                stack.pop();
            }
        }
    }
    out
}
