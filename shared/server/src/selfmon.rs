//! Self-monitoring of the local process: `GET /metrics` ([`metrics_response`]) and the
//! self-scrape ([`run`]) that writes Lakewatch's own metrics into its store every interval as
//! tenant `anonymous` with `job="lakewatch"`, `instance="<listen addr>"`, through the real
//! remote-write ingest path (as the demo traffic), so they can be queried with PromQL.

use crate::backend::{encode_remote_write_v1, Backend};
use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue, Response, StatusCode};
use lakewatch_api::selfmon::registry::{OPENMETRICS_CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE};
use lakewatch_api::selfmon::scrape::{parse_exposition, parse_families};
use lakewatch_api::selfmon::{global, SelfMetrics};
use lakewatch_model::{Labels, MetricMetadata, MetricType, MetricsBatch, Sample, TimeSeries};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// The `job` label of the self-scraped series.
pub const JOB: &str = "lakewatch";

/// The answer to `GET /metrics`: the compaction gauges are refreshed from the manifests, then
/// the registry is rendered as OpenMetrics text when `Accept` asks for
/// `application/openmetrics-text` (as Prometheus's scraper does), else as Prometheus 0.0.4
/// text.
pub async fn metrics_response(backend: &Backend, accept: &HeaderMap) -> Response<Bytes> {
    backend.update_compaction_gauges().await;
    let m = global();
    let openmetrics = accept
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("application/openmetrics-text"));
    let (body, ct) = if openmetrics {
        (m.encode_openmetrics(), OPENMETRICS_CONTENT_TYPE)
    } else {
        (m.encode_prometheus(), PROMETHEUS_CONTENT_TYPE)
    };
    let mut r = Response::new(Bytes::from(body));
    *r.status_mut() = StatusCode::OK;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    r
}

/// The registry's samples as series at `t_ms` with `job="lakewatch"` and `instance`.
pub fn scrape_series(metrics: &SelfMetrics, instance: &str, t_ms: i64) -> Vec<TimeSeries> {
    parse_exposition(&metrics.encode_prometheus())
        .into_iter()
        .map(|s| {
            let pairs = s.labels.into_iter().chain([
                ("__name__".to_string(), s.name),
                ("job".to_string(), JOB.to_string()),
                ("instance".to_string(), instance.to_string()),
            ]);
            TimeSeries {
                labels: Labels::from_pairs(pairs),
                samples: vec![Sample {
                    timestamp_ms: t_ms,
                    value: s.value,
                }],
                ..Default::default()
            }
        })
        .collect()
}

/// The `# TYPE` / `# HELP` of every family of the registry, as remote-write metadata (so
/// `/api/v1/metadata` and Grafana's metric browser describe them).
pub fn scrape_metadata(metrics: &SelfMetrics) -> Vec<MetricMetadata> {
    parse_families(&metrics.encode_prometheus())
        .into_iter()
        .map(|f| MetricMetadata {
            metric_type: match f.kind.as_str() {
                "counter" => MetricType::Counter,
                "gauge" => MetricType::Gauge,
                "histogram" => MetricType::Histogram,
                "summary" => MetricType::Summary,
                _ => MetricType::Unknown,
            },
            metric_family_name: f.name,
            help: f.help,
            unit: String::new(),
        })
        .collect()
}

/// One self-scrape: refreshes the compaction gauges, then writes every sample of the
/// registry as one remote-write request for tenant `anonymous`. Returns the samples written;
/// a refused write is logged and counted under `lakewatch_errors_total{component="selfmon"}`.
pub async fn scrape_once(backend: &Backend, instance: &str) -> usize {
    backend.update_compaction_gauges().await;
    let now = chrono::Utc::now().timestamp_millis();
    let batch = MetricsBatch {
        series: scrape_series(global(), instance, now),
        metadata: scrape_metadata(global()),
    };
    let n = batch.sample_count();
    let req = http::Request::builder()
        .method(http::Method::POST)
        .uri("/api/v1/write")
        .header(header::CONTENT_TYPE, "application/x-protobuf")
        .header(header::CONTENT_ENCODING, "snappy")
        .header("X-Prometheus-Remote-Write-Version", "0.1.0")
        .header(header::USER_AGENT, "lakewatch-selfmon")
        .body(encode_remote_write_v1(&batch));
    let resp = match req {
        Ok(r) => backend.handle_unobserved(r).await,
        Err(e) => {
            tracing::error!(error = %e, "self-monitoring: cannot build request");
            return 0;
        }
    };
    if resp.status().is_success() {
        n
    } else {
        tracing::warn!(
            status = resp.status().as_u16(),
            body = %String::from_utf8_lossy(resp.body()),
            "self-monitoring: writing Lakewatch's own metrics failed"
        );
        global().record_error("selfmon", 1);
        0
    }
}

/// Runs [`scrape_once`] every `interval` (first after one interval) until `stop` turns
/// `true`; a zero interval returns at once.
pub async fn run(
    backend: Arc<Backend>,
    interval: Duration,
    instance: String,
    stop: watch::Receiver<bool>,
) {
    crate::every::every(interval, false, stop, || async {
        let n = scrape_once(&backend, &instance).await;
        tracing::debug!(samples = n, "self-monitoring scrape written");
    })
    .await
}
