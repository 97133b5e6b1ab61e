//! Service graphs as Tempo's `servicegraphs` processor with its defaults
//! (`modules/generator/processor/servicegraphs`, `store/{store,edge}.go`).
//!
//! An edge is keyed by (trace id, span id of the client span): a `CLIENT`/`PRODUCER` span
//! upserts it with its own span id, a `SERVER`/`CONSUMER` span with its parent span id; spans
//! of resources without `service.name` and spans of other kinds are ignored. When both sides
//! are known (`client` and `server` services set) the edge completes:
//! `traces_service_graph_request_total` += 1, `…_failed_total` += 1 if either span has status
//! `ERROR`, `…_request_server_seconds` / `…_request_client_seconds` observe the server/client
//! span durations in **seconds** (buckets [`latency_buckets`], exemplar = trace id). Labels:
//! `client`, `server`, `connection_type` (`messaging_system` when the last side was a
//! `PRODUCER`/`CONSUMER`, `database`, `virtual_node`, or absent) and the instance label.
//!
//! - Database calls: a client span with `db.namespace`, `db.name`, `db.system` or
//!   `db.system.name` (resource, then span attributes) completes at once with
//!   `connection_type="database"`, server = `peer.service` | `server.address` |
//!   `network.peer.address[:network.peer.port]` | that db attribute, server latency = the
//!   client span's duration.
//! - Unpaired edges wait [`DEFAULT_WAIT_MS`]; on expiry (checked at the next request of the same
//!   process) they become `virtual_node` edges when possible: a root server span gets client
//!   = its peer attribute (`peer.service`, `db.name`, `db.system`, `db.system.name`) or
//!   `"user"`; a client span with a peer attribute gets server = that value. Others are
//!   dropped (counted in [`EdgeStore::expired`]).
//! - At most [`DEFAULT_MAX_ITEMS`] unpaired edges are held; spans over that are dropped
//!   (counted in [`EdgeStore::dropped_spans`]).

use super::attrs::{find, service_name, trace_id_hex};
use super::registry::Registry;
use super::spanmetrics::{duration_seconds, exponential_buckets};
use lakewatch_model::{Labels, METRIC_NAME};
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::trace::v1::{
    span::SpanKind, status::StatusCode, ResourceSpans, Span,
};
use std::collections::{HashMap, VecDeque};

/// Counter: completed edges.
pub const REQUEST_TOTAL: &str = "traces_service_graph_request_total";
/// Counter: completed edges where either span had status `ERROR`.
pub const REQUEST_FAILED_TOTAL: &str = "traces_service_graph_request_failed_total";
/// Histogram family: server span duration (seconds).
pub const REQUEST_SERVER_SECONDS: &str = "traces_service_graph_request_server_seconds";
/// Histogram family: client span duration (seconds).
pub const REQUEST_CLIENT_SECONDS: &str = "traces_service_graph_request_client_seconds";

/// Tempo's default wait for the other side of an edge (`wait: 10s`), in ms.
pub const DEFAULT_WAIT_MS: i64 = 10_000;
/// Tempo's default max unpaired edges (`max_items: 10000`).
pub const DEFAULT_MAX_ITEMS: usize = 10_000;

const PEER_ATTRIBUTES: &[&str] = &["peer.service", "db.name", "db.system", "db.system.name"];
const DATABASE_NAME_ATTRIBUTES: &[&str] =
    &["db.namespace", "db.name", "db.system", "db.system.name"];

/// Tempo's default service-graph buckets, `ExponentialBuckets(0.1, 2, 8)`: 0.1 … 12.8 s.
pub fn latency_buckets() -> Vec<f64> {
    exponential_buckets(0.1, 2.0, 8)
}

type EdgeKey = (Vec<u8>, Vec<u8>);

#[derive(Debug, Clone, Default)]
struct Edge {
    seq: u64,
    root: bool,
    trace_id: Vec<u8>,
    connection_type: &'static str,
    client: String,
    server: String,
    client_latency: f64,
    server_latency: f64,
    failed: bool,
    peer_node: String,
}

impl Edge {
    fn complete(&self) -> bool {
        !self.client.is_empty() && !self.server.is_empty()
    }

    /// What a client and a server span set alike: the connection type (`messaging_system` for
    /// producer and consumer spans), failure and the peer node. Returns the span's duration
    /// in seconds (the side's latency).
    fn update_from(&mut self, span: &Span) -> f64 {
        let messaging =
            span.kind == SpanKind::Producer as i32 || span.kind == SpanKind::Consumer as i32;
        self.connection_type = if messaging { "messaging_system" } else { "" };
        self.failed |= failed(span);
        if let Some(p) = peer_node(&span.attributes) {
            self.peer_node = p;
        }
        duration_seconds(span.start_time_unix_nano, span.end_time_unix_nano)
    }
}

/// Unpaired client/server span sides of one tenant, kept between requests of one process.
#[derive(Debug, Clone, Default)]
pub struct EdgeStore {
    edges: HashMap<EdgeKey, Edge>,
    /// (expiry ms, key, seq) in insertion order; stale entries are skipped.
    order: VecDeque<(i64, EdgeKey, u64)>,
    next_seq: u64,
    /// Spans dropped because [`DEFAULT_MAX_ITEMS`] (or the configured limit) was reached.
    pub dropped_spans: u64,
    /// Edges that expired without a pair and without peer information.
    pub expired: u64,
}

/// Settings of one [`EdgeStore::process`] call.
#[derive(Debug, Clone, Copy)]
pub struct EdgeSettings<'a> {
    /// Wait for the other side, ms.
    pub wait_ms: i64,
    /// Max unpaired edges held.
    pub max_items: usize,
    /// Histogram bounds (seconds).
    pub buckets: &'a [f64],
    /// The per-process instance label added to every series.
    pub instance_label: (&'a str, &'a str),
}

fn is_client(kind: i32) -> bool {
    kind == SpanKind::Client as i32 || kind == SpanKind::Producer as i32
}

fn is_server(kind: i32) -> bool {
    kind == SpanKind::Server as i32 || kind == SpanKind::Consumer as i32
}

fn failed(span: &Span) -> bool {
    span.status
        .as_ref()
        .is_some_and(|s| s.code == StatusCode::Error as i32)
}

fn peer_node(span_attrs: &[KeyValue]) -> Option<String> {
    PEER_ATTRIBUTES.iter().find_map(|k| find(k, &[span_attrs]))
}

/// Tempo's `upsertDatabaseRequest`: the server name of a database call, if the span is one.
fn database_server(resource_attrs: &[KeyValue], span_attrs: &[KeyValue]) -> Option<String> {
    let lists = [resource_attrs, span_attrs];
    let db_name = DATABASE_NAME_ATTRIBUTES
        .iter()
        .find_map(|k| find(k, &lists))?;
    if let Some(v) = find("peer.service", &lists).or_else(|| find("server.address", &lists)) {
        return Some(v);
    }
    if let Some(host) = find("network.peer.address", &lists) {
        return Some(match find("network.peer.port", &lists) {
            Some(port) => format!("{host}:{port}"),
            None => host,
        });
    }
    Some(db_name)
}

impl EdgeStore {
    /// Number of unpaired edges held.
    pub fn len(&self) -> usize {
        self.edges.len()
    }

    /// `true` when no unpaired edge is held.
    pub fn is_empty(&self) -> bool {
        self.edges.is_empty()
    }

    /// Expires edges older than the wait (virtual nodes, see the module docs), then pairs the
    /// client/server spans of `resource_spans`, recording completed edges into `reg` at `now_ms`.
    pub fn process(
        &mut self,
        reg: &mut Registry,
        resource_spans: &[ResourceSpans],
        s: &EdgeSettings<'_>,
        now_ms: i64,
    ) {
        self.expire(reg, s, now_ms);
        for rs in resource_spans {
            let res_attrs: &[KeyValue] = rs.resource.as_ref().map_or(&[], |r| &r.attributes);
            let Some(service) = service_name(res_attrs) else {
                continue;
            };
            for span in rs.scope_spans.iter().flat_map(|x| &x.spans) {
                if is_client(span.kind) {
                    let key = (span.trace_id.clone(), span.span_id.clone());
                    self.upsert(reg, key, s, now_ms, |e| {
                        e.trace_id = span.trace_id.clone();
                        e.client = service.clone();
                        e.client_latency = e.update_from(span);
                        if let Some(server) = database_server(res_attrs, &span.attributes) {
                            e.connection_type = "database";
                            e.server_latency = e.client_latency;
                            e.server = server;
                        }
                    });
                } else if is_server(span.kind) {
                    let key = (span.trace_id.clone(), span.parent_span_id.clone());
                    self.upsert(reg, key, s, now_ms, |e| {
                        if span.parent_span_id.is_empty() {
                            e.trace_id = span.trace_id.clone();
                        }
                        e.server = service.clone();
                        e.server_latency = e.update_from(span);
                    });
                }
            }
        }
    }

    fn upsert(
        &mut self,
        reg: &mut Registry,
        key: EdgeKey,
        s: &EdgeSettings<'_>,
        now_ms: i64,
        update: impl FnOnce(&mut Edge),
    ) {
        if let Some(e) = self.edges.get_mut(&key) {
            update(e);
            if e.complete() {
                if let Some(e) = self.edges.remove(&key) {
                    record_edge(reg, &e, s, now_ms);
                }
            }
            return;
        }
        let mut e = Edge {
            seq: self.next_seq,
            root: key.1.is_empty(),
            ..Default::default()
        };
        self.next_seq += 1;
        update(&mut e);
        if e.complete() {
            record_edge(reg, &e, s, now_ms);
            return;
        }
        if self.edges.len() >= s.max_items {
            self.dropped_spans += 1;
            return;
        }
        self.order
            .push_back((now_ms + s.wait_ms, key.clone(), e.seq));
        self.edges.insert(key, e);
    }

    fn expire(&mut self, reg: &mut Registry, s: &EdgeSettings<'_>, now_ms: i64) {
        while let Some((expiry, _, _)) = self.order.front() {
            if *expiry > now_ms {
                break;
            }
            let Some((_, key, seq)) = self.order.pop_front() else {
                break;
            };
            if self.edges.get(&key).is_some_and(|e| e.seq == seq) {
                if let Some(e) = self.edges.remove(&key) {
                    self.on_expire(reg, e, s, now_ms);
                }
            }
        }
    }

    fn on_expire(&mut self, reg: &mut Registry, mut e: Edge, s: &EdgeSettings<'_>, now_ms: i64) {
        e.connection_type = "virtual_node";
        if e.client.is_empty() {
            if e.root {
                e.client = if e.peer_node.is_empty() {
                    "user".to_string()
                } else {
                    e.peer_node.clone()
                };
                record_edge(reg, &e, s, now_ms);
                return;
            }
        } else if e.server.is_empty() && !e.peer_node.is_empty() {
            e.server = e.peer_node.clone();
            record_edge(reg, &e, s, now_ms);
            return;
        }
        self.expired += 1;
    }
}

fn record_edge(reg: &mut Registry, e: &Edge, s: &EdgeSettings<'_>, now_ms: i64) {
    let base = Labels::from_pairs([
        ("client", e.client.as_str()),
        ("server", e.server.as_str()),
        ("connection_type", e.connection_type),
        s.instance_label,
    ]);
    let key = |name: &str| {
        let mut l = base.clone();
        l.set(METRIC_NAME, name);
        l
    };
    reg.inc(key(REQUEST_TOTAL), 1.0, now_ms);
    if e.failed {
        reg.inc(key(REQUEST_FAILED_TOTAL), 1.0, now_ms);
    }
    let trace = Some(trace_id_hex(&e.trace_id)).filter(|t| !t.is_empty());
    reg.observe(
        key(REQUEST_SERVER_SECONDS),
        s.buckets,
        e.server_latency,
        trace.clone(),
        now_ms,
    );
    reg.observe(
        key(REQUEST_CLIENT_SECONDS),
        s.buckets,
        e.client_latency,
        trace,
        now_ms,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::common::v1::{any_value::Value as Av, AnyValue};
    use opentelemetry_proto::tonic::resource::v1::Resource;
    use opentelemetry_proto::tonic::trace::v1::ScopeSpans;

    fn kv(k: &str, v: Av) -> KeyValue {
        KeyValue {
            key: k.into(),
            value: Some(AnyValue { value: Some(v) }),
            ..Default::default()
        }
    }

    fn rs(spans: Vec<Span>) -> Vec<ResourceSpans> {
        vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![kv("service.name", Av::StringValue("api".into()))],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }]
    }

    fn client(id: u8, attrs: Vec<KeyValue>) -> Span {
        Span {
            trace_id: vec![1; 16],
            span_id: vec![id; 8],
            kind: SpanKind::Client as i32,
            attributes: attrs,
            ..Default::default()
        }
    }

    fn settings(b: &[f64], max_items: usize) -> EdgeSettings<'_> {
        EdgeSettings {
            wait_ms: DEFAULT_WAIT_MS,
            max_items,
            buckets: b,
            instance_label: ("i", "x"),
        }
    }

    #[test]
    fn database_server_name_precedence() {
        let db = kv("db.system", Av::StringValue("postgresql".into()));
        let host = kv("network.peer.address", Av::StringValue("10.0.0.1".into()));
        let port = kv("network.peer.port", Av::IntValue(5432));
        assert_eq!(
            database_server(&[], &[db.clone(), host.clone(), port]),
            Some("10.0.0.1:5432".into())
        );
        assert_eq!(
            database_server(&[], &[db.clone(), host]),
            Some("10.0.0.1".into())
        );
        assert_eq!(database_server(&[], &[db]), Some("postgresql".into()));
        assert_eq!(database_server(&[], &[]), None);
    }

    #[test]
    fn max_items_drops_unpaired_spans() {
        let b = latency_buckets();
        let mut store = EdgeStore::default();
        let mut reg = Registry::new(0);
        store.process(
            &mut reg,
            &rs(vec![client(1, vec![]), client(2, vec![])]),
            &settings(&b, 1),
            0,
        );
        assert_eq!((store.len(), store.dropped_spans), (1, 1));
        // Expiry without peer information: dropped and counted.
        store.process(&mut reg, &[], &settings(&b, 1), DEFAULT_WAIT_MS);
        assert_eq!((store.len(), store.expired), (0, 1));
        assert!(reg.is_empty());
    }
}
