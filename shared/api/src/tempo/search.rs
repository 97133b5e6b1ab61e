//! `GET /api/search` as Tempo answers it (`pkg/api/http.go` `ParseSearchRequest`, the
//! frontend's `newCombiner` / search sharder checks, `pkg/traceql/engine.go`
//! `ExecuteSearch` + `asTraceSearchMetadata`, `pkg/traceql/combine.go`):
//!
//! - `q` (TraceQL spanset query) **or** `tags` (logfmt, [`super::search_legacy`]) with
//!   `minDuration`/`maxDuration` (Go durations; used by the `tags` search only, as Tempo);
//!   without `q`, `tags`, `start` and `end`, every other parameter is a tag (Tempo's old
//!   Grafana form).
//! - `limit` (default 20): at most that many traces, the **most recent** by trace start
//!   (Tempo keeps any `limit` traces, then sorts them by start descending; Lakewatch scans
//!   everything, so it keeps the most recent, as Tempo's `most_recent=true`).
//! - Evaluation: traces are evaluated on every core ([`parallel`], answers and the first
//!   error in trace order as a sequential loop); `{ trace:id = "<id>" }` reads only that
//!   trace and counts the others from three columns ([`needle`], same response).
//! - `spss` (default 3; `0` = 3 as Tempo's engine): spans per spanset; `matched` = all of them.
//! - `start`, `end`: unix **seconds** (`strconv.ParseUint(s, 10, 32)`); with both, traces with
//!   a span starting in `[start, end]`; otherwise the last hour (Tempo then searches only its
//!   recent data).
//!
//! Response (gogo jsonpb, zero values omitted, 64-bit integers as strings):
//! `{"traces":[{"traceID":"<hex, leading zeros trimmed>","rootServiceName","rootTraceName",
//! "startTimeUnixNano":"…","durationMs":n,"spanSet":{…},"spanSets":[{"spans":[{"spanID",
//! "name","startTimeUnixNano","durationNanos","attributes":[…]}],"matched":n,
//! "attributes":[…]}],"serviceStats":{"svc":{"spanCount":n,"errorCount":n}}}],
//! "metrics":{"inspectedTraces":n,"inspectedBytes":"…","totalBlocks":n,"completedJobs":1,
//! "totalJobs":1,"totalBlockBytes":"…","inspectedSpans":"…"}}`. `rootServiceName` is
//! `<root span not yet received>` without a root span. Several spansets of a trace with the
//! same `by(…)` attributes are merged as Tempo's combiner does (the one with most matches).
//!
//! Errors (400, plain text, Tempo's): `invalid start: strconv.ParseUint: …`,
//! `invalid request: can't specify tags and q in the same query`, `invalid tags: …`,
//! `invalid minDuration: time: invalid duration "x"`, `invalid maxDuration: must be greater
//! than minDuration`, `invalid limit: must be a positive number`, `invalid spss: …`,
//! `http parameter start must be before end. received start=S end=E`,
//! `limit L exceeds max limit M`, `invalid TraceQL query: parse error at line 1, col 3: …`,
//! `range specified by start and end exceeds 168h0m0s. received start=S end=E`,
//! `spans per span set exceeds 100. received N`, the engine's message for a metrics query or
//! unsupported syntax, and the scan budget ([`super::config`]); 500 storage failures.

use super::config::TempoConfig;
use super::error::{TempoError, TempoResult};
use super::search_json::{
    json_response, key_value, render, span_id_hex, trace_id_hex, SpanOut, SpanSetOut, TraceMeta,
};
use super::search_legacy::{self, root_span, service_name};
use crate::loki::params::go_duration_string;
use crate::params::Params;
use crate::App;
use lakewatch_model::TenantId;
use lakewatch_storage::traces::scan::{ScanSize, TraceSpans};
use lakewatch_storage::traces::SpanRecord;
use lakewatch_traceql::{parse, SpansQuery, Spanset, TraceView};
use parallel::{map_chunks, ChunkFn};
use std::collections::BTreeMap;
use std::sync::Arc;

mod needle;
pub(crate) mod parallel;

const NS: i64 = 1_000_000_000;
/// Window without `start`/`end`: the last hour.
const DEFAULT_WINDOW_S: i64 = 3600;

/// Parameter names Tempo never reads as old-style tags.
const RESERVED: &[&str] = &[
    "q",
    "tags",
    "minDuration",
    "maxDuration",
    "limit",
    "spss",
    "start",
    "end",
];

/// A parsed `/api/search` request (Tempo's `tempopb.SearchRequest`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SearchRequest {
    /// TraceQL (`q`), empty for a tags search.
    pub query: String,
    /// Tags of a tags search, in request order.
    pub tags: Vec<(String, String)>,
    /// Unix seconds; 0 = absent.
    pub start: u32,
    pub end: u32,
    /// Trace duration bounds, ms; 0 = none.
    pub min_duration_ms: u32,
    pub max_duration_ms: u32,
    /// 0 = default.
    pub limit: u32,
    pub spss: u32,
}

/// Go's `strconv.ParseUint(s, 10, 32)` with its error text.
pub(crate) fn go_parse_uint32(s: &str) -> Result<u32, String> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("strconv.ParseUint: parsing {s:?}: invalid syntax"));
    }
    s.parse::<u32>()
        .map_err(|_| format!("strconv.ParseUint: parsing {s:?}: value out of range"))
}

/// Tempo's `ParseSearchRequestWithDefault` (see the module docs for the errors).
pub fn parse_request(p: &Params, default_spss: u32) -> Result<SearchRequest, String> {
    let val = |name: &str| p.get(name).filter(|v| !v.is_empty());
    let mut req = SearchRequest {
        spss: default_spss,
        ..Default::default()
    };
    if let Some(s) = val("start") {
        req.start = go_parse_uint32(s).map_err(|e| format!("invalid start: {e}"))?;
    }
    if let Some(s) = val("end") {
        req.end = go_parse_uint32(s).map_err(|e| format!("invalid end: {e}"))?;
    }
    if let Some(q) = val("q") {
        req.query = q.to_string();
    }
    if let Some(t) = val("tags") {
        if !req.query.is_empty() {
            return Err("invalid request: can't specify tags and q in the same query".into());
        }
        req.tags = search_legacy::parse_tags(t)?;
    } else if req.query.is_empty() && req.start == 0 && req.end == 0 {
        for (k, v) in p.pairs() {
            if RESERVED.contains(&k) || v.is_empty() || req.tags.iter().any(|(t, _)| t == k) {
                continue;
            }
            req.tags.push((k.to_string(), v.to_string()));
        }
    }
    let duration_ms = |name: &str, s: &str| -> Result<u32, String> {
        let ns = lakewatch_logql::pipeline::parse_duration(s)
            .map_err(|e| format!("invalid {name}: {e}"))?;
        Ok((ns / 1_000_000) as u32)
    };
    if let Some(s) = val("minDuration") {
        req.min_duration_ms = duration_ms("minDuration", s)?;
    }
    if let Some(s) = val("maxDuration") {
        req.max_duration_ms = duration_ms("maxDuration", s)?;
        if req.min_duration_ms != 0 && req.min_duration_ms > req.max_duration_ms {
            return Err("invalid maxDuration: must be greater than minDuration".into());
        }
    }
    if let Some(s) = val("limit") {
        let l = go_parse_uint32(s).map_err(|e| format!("invalid limit: {e}"))?;
        if l == 0 {
            return Err("invalid limit: must be a positive number".into());
        }
        req.limit = l;
    }
    if let Some(s) = val("spss") {
        req.spss = go_parse_uint32(s).map_err(|e| format!("invalid spss: {e}"))?;
    }
    if (req.start != 0 || req.end != 0) && req.end <= req.start {
        return Err(format!(
            "http parameter start must be before end. received start={} end={}",
            req.start, req.end
        ));
    }
    Ok(req)
}

/// The frontend's `adjustLimit`: 0 → default; above a non-zero max → error.
fn adjust_limit(limit: u32, cfg: &TempoConfig) -> Result<u32, String> {
    if limit == 0 {
        return Ok(cfg.search_default_limit);
    }
    if cfg.search_max_limit != 0 && limit > cfg.search_max_limit {
        return Err(format!(
            "limit {limit} exceeds max limit {}",
            cfg.search_max_limit
        ));
    }
    Ok(limit)
}

/// The span-start window `[start_ns, end_ns)` of a search (`end` inclusive in seconds).
fn window(req: &SearchRequest, now_ns: i64) -> (i64, i64) {
    if req.start != 0 && req.end != 0 {
        return (i64::from(req.start) * NS, i64::from(req.end) * NS + 1);
    }
    (now_ns.saturating_sub(DEFAULT_WINDOW_S * NS), i64::MAX)
}

pub(crate) fn now_ns() -> i64 {
    chrono::Utc::now().timestamp_nanos_opt().unwrap_or(i64::MAX)
}

/// What a search or metrics query read (`SearchMetrics`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanMetrics {
    pub inspected_traces: u64,
    pub inspected_bytes: u64,
    pub inspected_spans: u64,
    pub total_blocks: u64,
}

/// Reads the traces of `[start_ns, end_ns)` within the byte budget
/// ([`TempoConfig::max_bytes_scanned`]).
pub(crate) async fn read_traces(
    app: &App,
    tenant: &TenantId,
    start_ns: i64,
    end_ns: i64,
) -> Result<(Vec<TraceSpans>, ScanMetrics), TempoError> {
    let reader = &app.traces_reader;
    let size = scan_budget(app, tenant, start_ns, end_ns).await?;
    let traces = reader
        .scan_traces(tenant, start_ns, end_ns)
        .await
        .map_err(TempoError::internal)?;
    let metrics = ScanMetrics {
        inspected_traces: traces.len() as u64,
        inspected_bytes: size.bytes,
        inspected_spans: size.spans,
        total_blocks: size.objects,
    };
    Ok((traces, metrics))
}

/// What a scan of `[start_ns, end_ns)` reads, checked against the byte budget
/// ([`TempoConfig::max_bytes_scanned`]; 400 above it).
async fn scan_budget(
    app: &App,
    tenant: &TenantId,
    start_ns: i64,
    end_ns: i64,
) -> Result<ScanSize, TempoError> {
    let size = app
        .traces_reader
        .scan_size(tenant, start_ns, end_ns)
        .await
        .map_err(TempoError::internal)?;
    let max = app.tempo.max_bytes_scanned;
    if max != 0 && size.bytes > max {
        return Err(TempoError::bad_request(format!(
            "query would read {} bytes of traces, more than the limit of {max} bytes \
             (LAKEWATCH_TEMPO_MAX_BYTES_SCANNED): narrow the time range",
            size.bytes
        )));
    }
    Ok(size)
}

/// The answer of a search only trace `id` can match ([`needle`]): that trace as the scan
/// would have found and evaluated it, and the scan's metrics.
async fn one_trace(
    app: &App,
    tenant: &TenantId,
    matcher: &Matcher,
    id: [u8; 16],
    start_ns: i64,
    end_ns: i64,
) -> Result<(Vec<TraceMeta>, ScanMetrics), TempoError> {
    let reader = &app.traces_reader;
    let size = scan_budget(app, tenant, start_ns, end_ns).await?;
    let inspected = reader
        .count_traces(tenant, start_ns, end_ns)
        .await
        .map_err(TempoError::internal)?;
    let spans = reader
        .trace_records(tenant, &id, Some(start_ns), Some(end_ns))
        .await
        .map_err(TempoError::internal)?;
    let metrics = ScanMetrics {
        inspected_traces: inspected,
        inspected_bytes: size.bytes,
        inspected_spans: size.spans,
        total_blocks: size.objects,
    };
    let in_window = spans
        .iter()
        .any(|r| (start_ns..end_ns).contains(&r.start_ns()));
    let results = match in_window {
        true => matcher.result(id, spans)?.into_iter().collect(),
        false => Vec::new(),
    };
    Ok((results, metrics))
}

/// Intrinsics `asTraceSearchMetadata` never lists among a span's attributes.
const HIDDEN_SPAN_ATTRS: &[&str] = &[
    "name",
    "duration",
    "traceDuration",
    "rootServiceName",
    "rootName",
    "trace:id",
    "span:id",
];

/// The trace-level fields of a result (no spansets).
fn trace_meta(trace_id: &[u8; 16], spans: &[SpanRecord], with_stats: bool) -> TraceMeta {
    let start = spans
        .iter()
        .map(|r| r.span.start_time_unix_nano)
        .min()
        .unwrap_or(0);
    let end = spans
        .iter()
        .map(|r| r.span.end_time_unix_nano)
        .max()
        .unwrap_or(0);
    let root = root_span(spans);
    let mut service_stats: BTreeMap<String, (u32, u32)> = BTreeMap::new();
    if with_stats {
        for r in spans {
            let e = service_stats
                .entry(service_name(r).to_string())
                .or_default();
            e.0 += 1;
            if r.span.status.as_ref().is_some_and(|s| s.code == 2) {
                e.1 += 1;
            }
        }
    }
    TraceMeta {
        trace_id: trace_id_hex(trace_id),
        root_service: root
            .map(|r| service_name(r).to_string())
            .unwrap_or_default(),
        root_name: root.map(|r| r.span.name.clone()).unwrap_or_default(),
        start_ns: start,
        duration_ms: (end.saturating_sub(start) / 1_000_000).min(u64::from(u32::MAX)) as u32,
        spansets: Vec::new(),
        service_stats,
    }
}

/// Tempo's `spansetID`: the `by…` attributes of a spanset (its identity when combining).
fn spanset_id(ss: &Spanset) -> String {
    ss.attributes
        .iter()
        .filter(|(k, _)| k.starts_with("by"))
        .map(|(k, v)| format!("{k}{v:?}"))
        .collect()
}

/// The spansets of one trace as `tempopb.SpanSet`s: spans truncated to `spss`, `matched` the
/// full count, spansets with equal `by(…)` attributes merged (the one with most matches kept,
/// the first on ties).
fn spansets_out(view: &TraceView, sets: &[Spanset], spss: usize) -> Vec<SpanSetOut> {
    let mut out: Vec<(String, SpanSetOut)> = Vec::new();
    for ss in sets {
        let matched = ss.spans.len().min(u32::MAX as usize) as u32;
        let spans = ss
            .spans
            .iter()
            .take(spss)
            .filter_map(|m| {
                let r = view.spans.get(m.index)?;
                Some(SpanOut {
                    span_id: span_id_hex(&r.span.span_id),
                    name: r.span.name.clone(),
                    start_ns: r.span.start_time_unix_nano,
                    duration_ns: r
                        .span
                        .end_time_unix_nano
                        .saturating_sub(r.span.start_time_unix_nano),
                    attributes: m
                        .attributes
                        .iter()
                        .filter(|(k, _)| !HIDDEN_SPAN_ATTRS.contains(&k.as_str()))
                        .map(|(k, v)| key_value(k, v))
                        .collect(),
                })
            })
            .collect();
        let set = SpanSetOut {
            spans,
            matched,
            attributes: ss.attributes.iter().map(|(k, v)| key_value(k, v)).collect(),
        };
        let id = spanset_id(ss);
        match out.iter_mut().find(|(i, _)| *i == id) {
            Some((_, existing)) => {
                if existing.matched < set.matched {
                    *existing = set;
                }
            }
            None => out.push((id, set)),
        }
    }
    out.into_iter().map(|(_, s)| s).collect()
}

/// What a search keeps of each trace (shared by the evaluation threads).
struct Matcher {
    compiled: Option<SpansQuery>,
    tags: Vec<(String, String)>,
    min_duration_ms: u32,
    max_duration_ms: u32,
    spss: usize,
}

impl Matcher {
    /// The result entry of one trace (`None`: no match). Errors: the engine's runtime errors
    /// (400).
    fn result(
        &self,
        id: [u8; 16],
        spans: Vec<SpanRecord>,
    ) -> Result<Option<TraceMeta>, TempoError> {
        let Some(q) = &self.compiled else {
            if !search_legacy::matches(&spans, &self.tags) {
                return Ok(None);
            }
            let meta = trace_meta(&id, &spans, false);
            let dur_ns = spans
                .iter()
                .map(|r| r.span.end_time_unix_nano)
                .max()
                .unwrap_or(0)
                .saturating_sub(meta.start_ns);
            let min_ns = u64::from(self.min_duration_ms) * 1_000_000;
            let max_ns = if self.max_duration_ms == 0 {
                u64::MAX
            } else {
                u64::from(self.max_duration_ms) * 1_000_000
            };
            return Ok((min_ns..=max_ns).contains(&dur_ns).then_some(meta));
        };
        let view = TraceView::new(id, spans);
        let sets = q
            .evaluate(&view)
            .map_err(|e| TempoError::bad_request(e.0))?;
        if sets.is_empty() {
            return Ok(None);
        }
        let mut meta = trace_meta(&id, &view.spans, true);
        meta.spansets = spansets_out(&view, &sets, self.spss);
        Ok(Some(meta))
    }
}

/// `GET /api/search` (see the module docs).
pub async fn search(app: &App, tenant: &TenantId, p: &Params) -> TempoResult {
    let cfg = &app.tempo;
    let req = parse_request(p, cfg.search_default_spss).map_err(TempoError::bad_request)?;
    let limit = adjust_limit(req.limit, cfg).map_err(TempoError::bad_request)?;
    let query = if req.query.is_empty() {
        None
    } else {
        Some(
            parse(&req.query)
                .map_err(|e| TempoError::bad_request(format!("invalid TraceQL query: {e}")))?,
        )
    };
    let max = cfg.search_max_duration;
    let range_s = u64::from(req.end.saturating_sub(req.start));
    if !max.is_zero() && u128::from(range_s) * 1_000_000_000 > max.as_nanos() {
        return Err(TempoError::bad_request(format!(
            "range specified by start and end exceeds {}. received start={} end={}",
            go_duration_string(max.as_nanos().min(i64::MAX as u128) as i64),
            req.start,
            req.end
        )));
    }
    if cfg.search_max_spss != 0 && req.spss > cfg.search_max_spss {
        return Err(TempoError::bad_request(format!(
            "spans per span set exceeds {}. received {}",
            cfg.search_max_spss, req.spss
        )));
    }
    let compiled = match &query {
        Some(q) => Some(SpansQuery::compile(q).map_err(|e| TempoError::bad_request(e.0))?),
        None => None,
    };
    let (start_ns, end_ns) = window(&req, now_ns());
    let spss = if req.spss == 0 { 3 } else { req.spss as usize };
    let needle = query.as_ref().and_then(needle::needle);
    let matcher = Arc::new(Matcher {
        compiled,
        tags: req.tags.clone(),
        min_duration_ms: req.min_duration_ms,
        max_duration_ms: req.max_duration_ms,
        spss,
    });
    let (mut results, metrics) = match needle {
        Some(id) => one_trace(app, tenant, &matcher, id, start_ns, end_ns).await?,
        None => {
            let (traces, metrics) = read_traces(app, tenant, start_ns, end_ns).await?;
            let f: ChunkFn<TraceSpans, TraceMeta, TempoError> = Arc::new(move |chunk| {
                let mut out = Vec::new();
                for (id, spans) in chunk {
                    if let Some(meta) = matcher.result(id, spans)? {
                        out.push(meta);
                    }
                }
                Ok(out)
            });
            (map_chunks(traces, f).await?, metrics)
        }
    };
    results.sort_by(|a, b| {
        b.start_ns
            .cmp(&a.start_ns)
            .then_with(|| a.trace_id.cmp(&b.trace_id))
    });
    results.truncate(limit as usize);
    Ok(json_response(render(&results, &metrics)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_as_tempo() {
        let mut id = [0u8; 16];
        id[14] = 0x0a;
        id[15] = 0xbc;
        assert_eq!(trace_id_hex(&id), "abc");
        assert_eq!(span_id_hex(&[0, 0, 0, 0, 0, 0, 0, 1]), "0000000000000001");
        assert_eq!(span_id_hex(&[]), "0000000000000000");
    }

    #[test]
    fn request_errors() {
        let parse = |pairs: &[(&str, &str)]| parse_request(&Params::from_pairs(pairs.to_vec()), 3);
        assert_eq!(
            parse(&[("start", "x")]).unwrap_err(),
            "invalid start: strconv.ParseUint: parsing \"x\": invalid syntax"
        );
        assert_eq!(
            parse(&[("q", "{}"), ("tags", "a=b")]).unwrap_err(),
            "invalid request: can't specify tags and q in the same query"
        );
        assert_eq!(
            parse(&[("limit", "0")]).unwrap_err(),
            "invalid limit: must be a positive number"
        );
        assert_eq!(
            parse(&[("minDuration", "5")]).unwrap_err(),
            "invalid minDuration: time: missing unit in duration \"5\""
        );
        assert_eq!(
            parse(&[("minDuration", "2s"), ("maxDuration", "1s")]).unwrap_err(),
            "invalid maxDuration: must be greater than minDuration"
        );
        assert_eq!(
            parse(&[("start", "20"), ("end", "10")]).unwrap_err(),
            "http parameter start must be before end. received start=20 end=10"
        );
        let r = parse(&[("service.name", "api"), ("limit", "5")]).unwrap();
        assert_eq!(r.tags, vec![("service.name".into(), "api".into())]);
        assert_eq!((r.limit, r.spss), (5, 3));
    }
}
