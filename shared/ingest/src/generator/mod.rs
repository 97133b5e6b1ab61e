//! Span metrics and service graphs derived at trace ingest, as Tempo's metrics-generator
//! (`modules/generator`), written into the tenant's **metrics** store so that Grafana's service
//! graph and RED-table PromQL queries work through query-metrics (docs/span-metrics.md).
//!
//! Stateless-function design: each process keeps a [`Generator`] with, per tenant, a
//! [`registry::Registry`] of cumulative counters/histograms and a [`servicegraph::EdgeStore`]
//! of unpaired spans. On every trace export the spans update them, and one sample per touched
//! series is written at the request's wall-clock time (ms, strictly increasing per tenant) via
//! the ingest context's `MetricsWriter`; a new series also gets a `0` one ms earlier, and series
//! not emitted for `generator_refresh_ms` (15 s, Tempo's `collection_interval`) are re-sent
//! unchanged with the next request of the tenant until stale (15 min). Every series
//! carries [`INSTANCE_LABEL`] (Tempo's external label, there the hostname; here a random id per
//! cold start) so that counters of different processes never mix and PromQL `sum(rate(...))`
//! adds them up. Spans that ended more than the ingestion slack (30 s) away from the request's
//! arrival are left out ([`within_slack`]), as Tempo does.
//!
//! Limits: edges pair only within one process (a client span and its server span handled by
//! different Lambda instances, or more than the wait apart, never pair: the edge is lost or,
//! with peer attributes / a root server span, counted as a `virtual_node` edge by the *next*
//! request of the process holding it); nothing is emitted between requests, so after a tenant's
//! last request its series end there (an instant selector sees them for the 5-minute lookback)
//! and `rate()` over a single increment extrapolates up to 1.5x (Prometheus extrapolation
//! with two samples).

pub mod attrs;
pub mod registry;
pub mod servicegraph;
pub mod spanmetrics;

use crate::limits::TracesLimits;
use lakewatch_model::{MetricsBatch, TenantId};
use lakewatch_storage::MetricsWriter;
use opentelemetry_proto::tonic::trace::v1::ResourceSpans;
use registry::{Collected, Registry};
use servicegraph::{EdgeSettings, EdgeStore};
use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// `resource_spans` without the spans whose end time lies more than `slack_ms` before or after
/// `now_ms` (Tempo's `metrics_ingestion_time_range_slack`: late or backfilled spans would
/// otherwise all count at the time they arrive); borrowed when every span is inside or
/// `slack_ms` is 0.
pub fn within_slack(
    resource_spans: &[ResourceSpans],
    now_ms: i64,
    slack_ms: i64,
) -> Cow<'_, [ResourceSpans]> {
    if slack_ms <= 0 {
        return Cow::Borrowed(resource_spans);
    }
    let ns = |ms: i64| (ms as i128 * 1_000_000).clamp(0, u64::MAX as i128) as u64;
    let (min, max) = (ns(now_ms - slack_ms), ns(now_ms + slack_ms));
    let inside = |end: u64| (min..=max).contains(&end);
    let all_inside = resource_spans
        .iter()
        .flat_map(|rs| &rs.scope_spans)
        .flat_map(|ss| &ss.spans)
        .all(|s| inside(s.end_time_unix_nano));
    if all_inside {
        return Cow::Borrowed(resource_spans);
    }
    let mut kept = resource_spans.to_vec();
    for rs in &mut kept {
        for ss in &mut rs.scope_spans {
            ss.spans.retain(|s| inside(s.end_time_unix_nano));
        }
    }
    Cow::Owned(kept)
}

/// The per-process label on every generated series (Tempo's registry adds the same name with
/// the generator's hostname).
pub const INSTANCE_LABEL: &str = "__metrics_gen_instance";

/// Series not updated for this long are forgotten (Tempo's `stale_duration`, 15 min), in ms.
pub const STALE_MS: i64 = 15 * 60 * 1000;

/// Source of the wall-clock time in **ms** since the epoch.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// Failed metrics writes since process start (all tenants); the spans were stored anyway.
pub static METRICS_WRITE_FAILURES: AtomicU64 = AtomicU64::new(0);

fn system_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// 16 hex digits from the process-random `RandomState` seed, the time and the pid.
fn random_instance_id() -> String {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.write_u32(std::process::id());
    format!("{:016x}", h.finish())
}

#[derive(Debug, Default)]
struct TenantState {
    registry: Registry,
    edges: EdgeStore,
    last_ts_ms: i64,
}

/// What one request produced: the batch to write and how to undo its bookkeeping.
#[derive(Debug, Default)]
pub struct Pending {
    /// Samples of the touched series (empty when nothing was generated).
    pub batch: MetricsBatch,
    /// Sample timestamp used, ms.
    pub timestamp_ms: i64,
    collected: Collected,
}

/// Outcome of [`Generator::record`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordOutcome {
    /// Both generators are disabled.
    Disabled,
    /// Nothing to write.
    Empty,
    /// This many series were written.
    Written(usize),
    /// The metrics write failed (logged, counted in [`METRICS_WRITE_FAILURES`]); the series
    /// are re-emitted by the next request.
    Failed,
}

/// Per-process span-metrics / service-graph state of all tenants (see the module docs).
pub struct Generator {
    instance: String,
    clock: Clock,
    tenants: Mutex<HashMap<TenantId, TenantState>>,
    spanmetrics_buckets: Vec<f64>,
    servicegraph_buckets: Vec<f64>,
}

impl std::fmt::Debug for Generator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Generator")
            .field("instance", &self.instance)
            .finish_non_exhaustive()
    }
}

impl Default for Generator {
    fn default() -> Self {
        Self::new()
    }
}

impl Generator {
    /// A generator with a random instance id and the system clock.
    pub fn new() -> Self {
        Generator {
            instance: random_instance_id(),
            clock: Arc::new(system_now_ms),
            tenants: Mutex::new(HashMap::new()),
            spanmetrics_buckets: spanmetrics::latency_buckets(),
            servicegraph_buckets: servicegraph::latency_buckets(),
        }
    }

    /// Replaces the clock (ms since the epoch); for tests and replays.
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Replaces the instance id (the value of [`INSTANCE_LABEL`]).
    pub fn with_instance(mut self, instance: impl Into<String>) -> Self {
        self.instance = instance.into();
        self
    }

    /// The value of [`INSTANCE_LABEL`] on this process's series.
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// Updates the tenant's state with `resource_spans` (spans already validated) and returns
    /// the samples to write; `None` when both generators are disabled in `limits`.
    pub fn process(
        &self,
        tenant: &TenantId,
        limits: &TracesLimits,
        resource_spans: &[ResourceSpans],
    ) -> Option<Pending> {
        if !limits.spanmetrics && !limits.service_graphs {
            return None;
        }
        let now = (self.clock)();
        let recent = within_slack(resource_spans, now, limits.generator_ingestion_slack_ms);
        let resource_spans: &[ResourceSpans] = &recent;
        let mut tenants = self.tenants.lock().unwrap_or_else(|e| e.into_inner());
        let st = tenants
            .entry(tenant.clone())
            .or_insert_with(|| TenantState {
                registry: Registry::new(limits.generator_max_series),
                ..Default::default()
            });
        // Strictly increasing per tenant, so two requests in the same ms never collide.
        let ts = now.max(st.last_ts_ms + 1);
        st.last_ts_ms = ts;
        let instance_label = (INSTANCE_LABEL, self.instance.as_str());
        if limits.spanmetrics {
            spanmetrics::record(
                &mut st.registry,
                instance_label,
                resource_spans,
                &self.spanmetrics_buckets,
                ts,
            );
        }
        if limits.service_graphs {
            let settings = EdgeSettings {
                wait_ms: limits.service_graphs_wait_ms,
                max_items: limits.service_graphs_max_items,
                buckets: &self.servicegraph_buckets,
                instance_label,
            };
            st.edges
                .process(&mut st.registry, resource_spans, &settings, ts);
        }
        st.registry.remove_stale(ts - STALE_MS);
        let mut collected = st.registry.collect(ts, limits.generator_refresh_ms);
        Some(Pending {
            batch: MetricsBatch {
                series: std::mem::take(&mut collected.series),
                metadata: Vec::new(),
            },
            timestamp_ms: ts,
            collected,
        })
    }

    /// Undoes [`Generator::process`]'s bookkeeping after its batch failed to be written.
    pub fn restore(&self, tenant: &TenantId, pending: &Pending) {
        let mut tenants = self.tenants.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(st) = tenants.get_mut(tenant) {
            st.registry.restore(&pending.collected);
        }
    }

    /// [`Generator::process`] then writes the batch through `writer`. A write failure is
    /// logged (`tracing::warn!`), counted in [`METRICS_WRITE_FAILURES`] and undone with
    /// [`Generator::restore`]; it never fails the trace export, whose spans are already stored.
    pub async fn record(
        &self,
        writer: &MetricsWriter,
        tenant: &TenantId,
        limits: &TracesLimits,
        resource_spans: &[ResourceSpans],
    ) -> RecordOutcome {
        let Some(pending) = self.process(tenant, limits, resource_spans) else {
            return RecordOutcome::Disabled;
        };
        if pending.batch.series.is_empty() {
            return RecordOutcome::Empty;
        }
        match writer.write(tenant, &pending.batch).await {
            Ok(_) => RecordOutcome::Written(pending.batch.series.len()),
            Err(e) => {
                METRICS_WRITE_FAILURES.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(
                    tenant = %tenant,
                    error = %e,
                    series = pending.batch.series.len(),
                    "span metrics write failed; spans were stored, series re-emitted next request"
                );
                self.restore(tenant, &pending);
                RecordOutcome::Failed
            }
        }
    }

    /// Unpaired service-graph edges held for `tenant` (diagnostics and tests).
    pub fn pending_edges(&self, tenant: &TenantId) -> usize {
        let tenants = self.tenants.lock().unwrap_or_else(|e| e.into_inner());
        tenants.get(tenant).map_or(0, |s| s.edges.len())
    }
}
