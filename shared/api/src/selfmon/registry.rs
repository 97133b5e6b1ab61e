//! [`SelfMetrics`]: Lakewatch's own metric families, kept with the `prometheus-client` crate
//! (the Prometheus project's Rust client) and exposed as text by [`SelfMetrics::encode`].
//!
//! Names and labels are fixed (the self-monitoring dashboard queries them); see
//! docs/self-monitoring.md. Counters are registered without their `_total` suffix, which the
//! encoder appends (OpenMetrics naming).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;
use std::sync::OnceLock;

/// `{signal}` label set.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SignalLabels {
    signal: &'static str,
}

/// `{signal, reason}` label set.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RejectLabels {
    signal: &'static str,
    reason: &'static str,
}

/// `{endpoint}` label set.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EndpointLabels {
    endpoint: &'static str,
}

/// `{route, status}` label set.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: &'static str,
    status: u16,
}

/// `{component}` label set.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ComponentLabels {
    component: &'static str,
}

/// Buckets of `lakewatch_query_duration_seconds` (seconds): Prometheus client libraries'
/// default buckets extended to 60 s (long range queries).
pub const QUERY_DURATION_BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0,
];

fn query_histogram() -> Histogram {
    Histogram::new(QUERY_DURATION_BUCKETS)
}

/// Lakewatch's own metrics. One per process ([`global`]); cheap to update from any thread.
pub struct SelfMetrics {
    registry: Registry,
    ingested_items: Family<SignalLabels, Counter>,
    ingested_bytes: Family<SignalLabels, Counter>,
    rejected: Family<RejectLabels, Counter>,
    objects_written: Family<SignalLabels, Counter>,
    backlog: Family<SignalLabels, Gauge>,
    lag: Family<SignalLabels, Gauge<f64, AtomicU64>>,
    query_duration: Family<EndpointLabels, Histogram, fn() -> Histogram>,
    http_requests: Family<RouteLabels, Counter>,
    errors: Family<ComponentLabels, Counter>,
    ruler_evaluations: Counter,
    ruler_missed: Counter,
    ruler_alerts_sent: Counter,
}

impl std::fmt::Debug for SelfMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SelfMetrics")
    }
}

impl Default for SelfMetrics {
    fn default() -> Self {
        Self::new()
    }
}

/// The `component` values of `lakewatch_errors_total` created at 0 (so `rate()` and the
/// dashboards see the series before the first error).
pub const COMPONENTS: [&str; 9] = [
    "ingest-metrics",
    "ingest-logs",
    "ingest-traces",
    "query-metrics",
    "query-logs",
    "query-traces",
    "compactor",
    "ruler",
    "selfmon",
];

/// The signals, in label order.
pub const SIGNALS: [&str; 3] = ["metrics", "logs", "traces"];

impl SelfMetrics {
    /// A fresh registry with every family registered. The per-signal ingest counters,
    /// `lakewatch_rejected_total{reason="invalid"}` per signal, `lakewatch_errors_total` per
    /// [`COMPONENTS`] and the ruler counters start at 0 (so `rate()` sees the first increase);
    /// other series appear when first recorded.
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let m = SelfMetrics {
            ingested_items: Family::default(),
            ingested_bytes: Family::default(),
            rejected: Family::default(),
            objects_written: Family::default(),
            backlog: Family::default(),
            lag: Family::default(),
            query_duration: Family::new_with_constructor(query_histogram as fn() -> Histogram),
            http_requests: Family::default(),
            errors: Family::default(),
            ruler_evaluations: Counter::default(),
            ruler_missed: Counter::default(),
            ruler_alerts_sent: Counter::default(),
            registry: Registry::default(),
        };
        for component in COMPONENTS {
            let _ = m.errors.get_or_create(&ComponentLabels { component });
        }
        for signal in SIGNALS {
            let _ = m.rejected.get_or_create(&RejectLabels {
                signal,
                reason: "invalid",
            });
            let l = SignalLabels { signal };
            let _ = m.ingested_items.get_or_create(&l);
            let _ = m.ingested_bytes.get_or_create(&l);
            let _ = m.objects_written.get_or_create(&l);
        }
        registry.register(
            "lakewatch_ingested_items",
            "Samples, log entries or spans accepted by ingest",
            m.ingested_items.clone(),
        );
        registry.register(
            "lakewatch_ingested_bytes",
            "Request body bytes of accepted ingest requests",
            m.ingested_bytes.clone(),
        );
        registry.register(
            "lakewatch_rejected",
            "Ingest requests (4xx) or items (reason invalid_items) rejected",
            m.rejected.clone(),
        );
        registry.register(
            "lakewatch_objects_written",
            "Parquet objects written by ingest and compaction",
            m.objects_written.clone(),
        );
        registry.register(
            "lakewatch_compaction_backlog_objects",
            "L0 objects waiting for compaction",
            m.backlog.clone(),
        );
        registry.register(
            "lakewatch_compaction_lag_seconds",
            "Age of the oldest uncompacted L0 object in seconds",
            m.lag.clone(),
        );
        registry.register(
            "lakewatch_query_duration_seconds",
            "Query API latency in seconds by endpoint",
            m.query_duration.clone(),
        );
        registry.register(
            "lakewatch_http_requests",
            "HTTP requests by route group and status code",
            m.http_requests.clone(),
        );
        registry.register(
            "lakewatch_errors",
            "Internal errors (5xx answers, failed compaction or ruler passes) by component",
            m.errors.clone(),
        );
        registry.register(
            "lakewatch_ruler_evaluations",
            "Rule group evaluations by the ruler",
            m.ruler_evaluations.clone(),
        );
        registry.register(
            "lakewatch_ruler_missed_iterations",
            "Rule group slots that passed without an evaluation",
            m.ruler_missed.clone(),
        );
        registry.register(
            "lakewatch_ruler_alerts_sent",
            "Alerts accepted by Alertmanager",
            m.ruler_alerts_sent.clone(),
        );
        SelfMetrics { registry, ..m }
    }

    /// Adds an accepted ingest request: `items` samples / entries / spans and `bytes` request
    /// body bytes of `signal` (`metrics`, `logs`, `traces`), `objects` Parquet objects.
    pub fn record_ingest(&self, signal: &'static str, items: u64, bytes: u64, objects: u64) {
        let l = SignalLabels { signal };
        self.ingested_items.get_or_create(&l).inc_by(items);
        self.ingested_bytes.get_or_create(&l).inc_by(bytes);
        self.objects_written.get_or_create(&l).inc_by(objects);
    }

    /// Adds `n` rejections of `signal` with a short `reason` code (see
    /// [`super::observe::reject_reason`]).
    pub fn record_rejected(&self, signal: &'static str, reason: &'static str, n: u64) {
        self.rejected
            .get_or_create(&RejectLabels { signal, reason })
            .inc_by(n);
    }

    /// Adds `n` Parquet objects written for `signal` (compaction output).
    pub fn record_objects(&self, signal: &'static str, n: u64) {
        self.objects_written
            .get_or_create(&SignalLabels { signal })
            .inc_by(n);
    }

    /// Sets the compaction gauges of `signal`: L0 objects waiting and the age in seconds of
    /// the oldest (0 when none).
    pub fn set_compaction(&self, signal: &'static str, backlog: u64, lag_seconds: f64) {
        let l = SignalLabels { signal };
        self.backlog
            .get_or_create(&l)
            .set(i64::try_from(backlog).unwrap_or(i64::MAX));
        self.lag.get_or_create(&l).set(lag_seconds);
    }

    /// Records one answered request of route group `route` with HTTP `status`.
    pub fn record_request(&self, route: &'static str, status: u16) {
        self.http_requests
            .get_or_create(&RouteLabels { route, status })
            .inc();
    }

    /// Records the latency of one query-API request (`seconds`) under `endpoint`.
    pub fn observe_query(&self, endpoint: &'static str, seconds: f64) {
        self.query_duration
            .get_or_create(&EndpointLabels { endpoint })
            .observe(seconds);
    }

    /// Adds `n` internal errors of `component` (a function name, `compactor`, `ruler`,
    /// `selfmon`).
    pub fn record_error(&self, component: &'static str, n: u64) {
        if n > 0 {
            self.errors
                .get_or_create(&ComponentLabels { component })
                .inc_by(n);
        }
    }

    /// Adds one ruler pass: groups evaluated, missed slots and alerts Alertmanager accepted.
    pub fn record_ruler_pass(&self, evaluated: u64, missed: u64, alerts_sent: u64) {
        self.ruler_evaluations.inc_by(evaluated);
        self.ruler_missed.inc_by(missed);
        self.ruler_alerts_sent.inc_by(alerts_sent);
    }

    /// The OpenMetrics 1.0 text exposition (ends with `# EOF`), content type
    /// [`OPENMETRICS_CONTENT_TYPE`].
    pub fn encode_openmetrics(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }

    /// The Prometheus 0.0.4 text exposition ([`PROMETHEUS_CONTENT_TYPE`]): the OpenMetrics
    /// text without `# EOF`, with counter `# HELP`/`# TYPE` lines naming the `_total` series
    /// (the only differences for these families).
    pub fn encode_prometheus(&self) -> String {
        to_prometheus_text(&self.encode_openmetrics())
    }
}

/// Content type of [`SelfMetrics::encode_openmetrics`].
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";
/// Content type of [`SelfMetrics::encode_prometheus`].
pub const PROMETHEUS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// OpenMetrics text → Prometheus 0.0.4 text for counters, gauges and classic histograms.
fn to_prometheus_text(om: &str) -> String {
    let mut counters: Vec<String> = Vec::new();
    for line in om.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            if let Some(name) = rest.strip_suffix(" counter") {
                counters.push(name.to_string());
            }
        }
    }
    let mut out = String::with_capacity(om.len());
    for line in om.lines() {
        if line == "# EOF" {
            continue;
        }
        let renamed = ["# HELP ", "# TYPE "].iter().find_map(|p| {
            let rest = line.strip_prefix(p)?;
            let (name, tail) = rest.split_once(' ')?;
            counters
                .iter()
                .any(|c| c == name)
                .then(|| format!("{p}{name}_total {tail}"))
        });
        out.push_str(renamed.as_deref().unwrap_or(line));
        out.push('\n');
    }
    out
}

/// The process-wide registry every request, pass and scrape uses.
pub fn global() -> &'static SelfMetrics {
    static METRICS: OnceLock<SelfMetrics> = OnceLock::new();
    METRICS.get_or_init(SelfMetrics::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_names() {
        let m = SelfMetrics::new();
        m.record_ingest("metrics", 10, 100, 1);
        m.record_rejected("logs", "too_large", 1);
        m.observe_query("query_range", 0.2);
        m.record_request("query_range", 200);
        m.record_ruler_pass(2, 0, 1);
        m.set_compaction("traces", 3, 12.5);
        let text = m.encode_prometheus();
        for want in [
            "# TYPE lakewatch_ingested_items_total counter",
            "lakewatch_ingested_items_total{signal=\"metrics\"} 10",
            "lakewatch_ingested_items_total{signal=\"logs\"} 0",
            "lakewatch_ingested_bytes_total{signal=\"metrics\"} 100",
            "lakewatch_objects_written_total{signal=\"metrics\"} 1",
            "lakewatch_rejected_total{signal=\"logs\",reason=\"too_large\"} 1",
            "lakewatch_query_duration_seconds_bucket{le=\"0.25\",endpoint=\"query_range\"} 1",
            "lakewatch_query_duration_seconds_count{endpoint=\"query_range\"} 1",
            "lakewatch_http_requests_total{route=\"query_range\",status=\"200\"} 1",
            "lakewatch_ruler_evaluations_total 2",
            "lakewatch_ruler_alerts_sent_total 1",
            "lakewatch_compaction_backlog_objects{signal=\"traces\"} 3",
            "lakewatch_compaction_lag_seconds{signal=\"traces\"} 12.5",
        ] {
            assert!(text.contains(want), "missing {want:?} in\n{text}");
        }
        assert!(!text.contains("# EOF"));
        assert!(m.encode_openmetrics().ends_with("# EOF\n"));
    }
}
