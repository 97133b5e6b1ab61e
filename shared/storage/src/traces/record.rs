//! The flat form of spans used between OTLP and Parquet: one [`SpanRecord`] per span with its
//! resource and scope; flattening, sorting + deduplication, and grouping back to OTLP.

use crate::error::{Result, StorageError};
use opentelemetry_proto::tonic::common::v1::InstrumentationScope;
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message;
use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// A span's resource as sent (`ResourceSpans.resource` and `.schema_url`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ResourceInfo {
    pub resource: Option<Resource>,
    pub schema_url: String,
}

/// A span's instrumentation scope as sent (`ScopeSpans.scope` and `.schema_url`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ScopeInfo {
    pub scope: Option<InstrumentationScope>,
    pub schema_url: String,
}

/// One span with its resource and scope (one Parquet row).
#[derive(Debug, Clone, PartialEq)]
pub struct SpanRecord {
    /// `span.trace_id` as an array (always 16 bytes).
    pub trace_id: [u8; 16],
    pub resource: Arc<ResourceInfo>,
    pub scope: Arc<ScopeInfo>,
    pub span: Span,
}

impl SpanRecord {
    /// Start time as stored (`start_time_unix_nano` reinterpreted as i64, ns).
    pub fn start_ns(&self) -> i64 {
        self.span.start_time_unix_nano as i64
    }
}

/// Flattens OTLP spans into records (request order).
///
/// Errors: `InvalidBatch` if a span's trace id is not 16 bytes (OTLP requires 16; Tempo
/// rejects such spans too).
pub fn flatten(resource_spans: &[ResourceSpans]) -> Result<Vec<SpanRecord>> {
    let mut out = Vec::new();
    for rs in resource_spans {
        let res = Arc::new(ResourceInfo {
            resource: rs.resource.clone(),
            schema_url: rs.schema_url.clone(),
        });
        for ss in &rs.scope_spans {
            let scope = Arc::new(ScopeInfo {
                scope: ss.scope.clone(),
                schema_url: ss.schema_url.clone(),
            });
            for span in &ss.spans {
                let trace_id: [u8; 16] = span.trace_id.as_slice().try_into().map_err(|_| {
                    StorageError::InvalidBatch(format!(
                        "span {:?}: trace_id has {} bytes, must be 16",
                        span.name,
                        span.trace_id.len()
                    ))
                })?;
                out.push(SpanRecord {
                    trace_id,
                    resource: res.clone(),
                    scope: scope.clone(),
                    span: span.clone(),
                });
            }
        }
    }
    Ok(out)
}

/// The storage order: trace id, start time, span id.
pub fn record_order(a: &SpanRecord, b: &SpanRecord) -> Ordering {
    a.trace_id
        .cmp(&b.trace_id)
        .then_with(|| a.start_ns().cmp(&b.start_ns()))
        .then_with(|| a.span.span_id.cmp(&b.span.span_id))
}

/// Sorts records by [`record_order`] (stable) and keeps one span per (trace id, span id): the
/// first in that order (re-sent spans are identical, so which one is kept does not matter).
pub fn normalize(rows: &mut Vec<SpanRecord>) {
    if !rows
        .windows(2)
        .all(|w| record_order(&w[0], &w[1]) == Ordering::Less)
    {
        rows.sort_by(record_order);
    }
    if !rows
        .chunk_by(|a, b| a.trace_id == b.trace_id)
        .any(has_repeated_span_id)
    {
        return;
    }
    let mut seen: HashSet<Vec<u8>> = HashSet::new();
    let mut current: Option<[u8; 16]> = None;
    rows.retain(|r| {
        if current != Some(r.trace_id) {
            current = Some(r.trace_id);
            seen.clear();
        }
        seen.insert(r.span.span_id.clone())
    });
}

/// Keeps the first record of each span id of `rows` (the spans of one trace), in order.
pub fn dedupe_span_ids(rows: &mut Vec<SpanRecord>) {
    if !has_repeated_span_id(rows) {
        return;
    }
    let mut seen: HashSet<Vec<u8>> = HashSet::new();
    rows.retain(|r| seen.insert(r.span.span_id.clone()));
}

/// Whether two records of `rows` have the same span id (no allocation for small slices).
fn has_repeated_span_id(rows: &[SpanRecord]) -> bool {
    const SMALL: usize = 16;
    if rows.len() <= SMALL {
        return rows.iter().enumerate().any(|(i, a)| {
            rows[i + 1..]
                .iter()
                .any(|b| a.span.span_id == b.span.span_id)
        });
    }
    let mut ids: Vec<&[u8]> = rows.iter().map(|r| r.span.span_id.as_slice()).collect();
    ids.sort_unstable();
    ids.windows(2).any(|w| w[0] == w[1])
}

/// Distinct trace ids of records sorted by trace id.
pub fn count_traces(rows: &[SpanRecord]) -> u64 {
    if rows.is_empty() {
        return 0;
    }
    1 + rows
        .windows(2)
        .filter(|w| w[0].trace_id != w[1].trace_id)
        .count() as u64
}

fn resource_key(r: &ResourceInfo) -> Vec<u8> {
    ResourceSpans {
        resource: r.resource.clone(),
        scope_spans: Vec::new(),
        schema_url: r.schema_url.clone(),
    }
    .encode_to_vec()
}

fn scope_key(s: &ScopeInfo) -> Vec<u8> {
    ScopeSpans {
        scope: s.scope.clone(),
        spans: Vec::new(),
        schema_url: s.schema_url.clone(),
    }
    .encode_to_vec()
}

/// Groups records back into OTLP: one `ResourceSpans` per distinct (resource, schema URL), one
/// `ScopeSpans` per distinct (scope, schema URL) within it, both in order of first appearance;
/// spans in record order.
pub fn group(rows: Vec<SpanRecord>) -> Vec<ResourceSpans> {
    let mut out: Vec<ResourceSpans> = Vec::new();
    let mut res_index: HashMap<Vec<u8>, usize> = HashMap::new();
    // (resource index, scope key) -> scope index within the resource.
    let mut scope_index: HashMap<(usize, Vec<u8>), usize> = HashMap::new();
    // Per Arc pointer caches: records decoded from one batch or flattened from one request
    // share their resource / scope.
    let mut res_cache: HashMap<*const ResourceInfo, usize> = HashMap::new();
    let mut scope_cache: HashMap<(usize, *const ScopeInfo), usize> = HashMap::new();
    // Keeps every cached pointer's allocation alive, so no address is reused.
    let mut keep: (Vec<Arc<ResourceInfo>>, Vec<Arc<ScopeInfo>>) = (Vec::new(), Vec::new());
    for r in rows {
        let ri = match res_cache.get(&Arc::as_ptr(&r.resource)) {
            Some(i) => *i,
            None => {
                let i = *res_index
                    .entry(resource_key(&r.resource))
                    .or_insert_with(|| {
                        out.push(ResourceSpans {
                            resource: r.resource.resource.clone(),
                            scope_spans: Vec::new(),
                            schema_url: r.resource.schema_url.clone(),
                        });
                        out.len() - 1
                    });
                res_cache.insert(Arc::as_ptr(&r.resource), i);
                keep.0.push(r.resource.clone());
                i
            }
        };
        let si = match scope_cache.get(&(ri, Arc::as_ptr(&r.scope))) {
            Some(i) => *i,
            None => {
                let scopes = &mut out[ri].scope_spans;
                let i = *scope_index
                    .entry((ri, scope_key(&r.scope)))
                    .or_insert_with(|| {
                        scopes.push(ScopeSpans {
                            scope: r.scope.scope.clone(),
                            spans: Vec::new(),
                            schema_url: r.scope.schema_url.clone(),
                        });
                        scopes.len() - 1
                    });
                scope_cache.insert((ri, Arc::as_ptr(&r.scope)), i);
                keep.1.push(r.scope.clone());
                i
            }
        };
        out[ri].scope_spans[si].spans.push(r.span);
    }
    out
}
