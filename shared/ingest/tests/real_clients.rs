//! Real clients against the ingest handler served over HTTP on 127.0.0.1: Debian's Prometheus
//! 2.42 (`remote_write`, scraping itself) and the OpenTelemetry Python SDK (OTLP/HTTP protobuf,
//! gzip). Each test is skipped (with a message) when its client is not installed.

mod common;
use common::*;
use lakewatch_model::MetricType;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Serves `lakewatch_ingest::handle` on an ephemeral port; returns the port.
async fn serve(ctx: lakewatch_ingest::IngestContext) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
        let ctx = ctx.clone();
        async move {
            let (parts, body) = req.into_parts();
            let bytes = axum::body::to_bytes(body, 64 << 20)
                .await
                .unwrap_or_default();
            let resp =
                lakewatch_ingest::handle(http::Request::from_parts(parts, bytes), &ctx).await;
            let (p, b) = resp.into_parts();
            axum::response::Response::from_parts(p, axum::body::Body::from(b))
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    port
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn have(bin: &str, arg: &str) -> bool {
    Command::new(bin)
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Kills the child we started when dropped.
struct Child(std::process::Child);
impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_remote_write_v1() {
    if !have("prometheus", "--version") {
        eprintln!("SKIP: prometheus not installed (apt-get install prometheus)");
        return;
    }
    // Debian's Prometheus 2.42 cannot send custom headers; the tenant comes from basic auth.
    let e = env_with(
        lakewatch_ingest::IngestLimits::default(),
        lakewatch_storage::AuthConfig::disabled().with_tenant("team-a", "s3cret"),
    );
    let port = serve(e.ctx.clone()).await;
    let prom_port = free_port();
    let dir = std::env::temp_dir().join(format!("lakewatch-ingest-prom-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("prometheus.yml");
    std::fs::write(
        &cfg,
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: self\n    static_configs:\n      - targets: ['127.0.0.1:{prom_port}']\n\
             remote_write:\n  - url: http://127.0.0.1:{port}/api/v1/write\n    basic_auth:\n      username: team-a\n      password: s3cret\n    queue_config:\n      batch_send_deadline: 1s\n    metadata_config:\n      send_interval: 2s\n"
        ),
    )
    .unwrap();
    let child = Command::new("prometheus")
        .arg(format!("--config.file={}", cfg.display()))
        .arg(format!("--web.listen-address=127.0.0.1:{prom_port}"))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("data").display()
        ))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _guard = Child(child);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let series = e.all_series("team-a").await;
        let up = series.iter().find(|s| s.labels.metric_name() == Some("up"));
        let md = e.metadata("team-a").await;
        let has_md = md.iter().any(|m| {
            m.metric_family_name == "prometheus_http_requests_total"
                && m.metric_type == MetricType::Counter
        });
        if let (Some(up), true) = (up, has_md) {
            assert_eq!(
                show(&up.labels),
                format!(r#"up{{instance="127.0.0.1:{prom_port}", job="self"}}"#)
            );
            assert!(up.samples.iter().all(|s| s.value == 1.0));
            assert!(series.iter().any(|s| s.labels.metric_name()
                == Some("prometheus_http_request_duration_seconds_bucket")));
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no data from Prometheus after 60 s ({} series)",
            series.len()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    e.assert_nothing_written("anonymous").await;
    let _ = std::fs::remove_dir_all(&dir);
}

const OTEL_SCRIPT: &str = r#"
import sys
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.metrics.view import View, ExponentialBucketHistogramAggregation
from opentelemetry.sdk.resources import Resource
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http import Compression
exporter = OTLPMetricExporter(endpoint=sys.argv[1], compression=Compression.Gzip)
reader = PeriodicExportingMetricReader(exporter, export_interval_millis=600000)
provider = MeterProvider(
    resource=Resource.create({"service.name": "gateway", "service.namespace": "ai", "service.instance.id": "pod-1", "deployment.environment": "test"}),
    metric_readers=[reader],
    views=[View(instrument_name="payload.size", aggregation=ExponentialBucketHistogramAggregation())],
)
from opentelemetry.sdk.trace import TracerProvider
tracer = TracerProvider().get_tracer("gateway")
m = provider.get_meter("gateway.meter", "1.2.3")
with tracer.start_as_current_span("request") as span:
    m.create_counter("http.server.requests", unit="{request}", description="Requests").add(3, {"http.request.method": "GET", "http.response.status_code": 200})
    print(format(span.get_span_context().trace_id, "032x"))
m.create_histogram("http.server.request.duration", unit="s").record(0.2, {"http.request.method": "GET"})
m.create_up_down_counter("queue.depth", unit="{item}").add(5)
m.create_gauge("cpu.utilization", unit="1").set(0.5)
e = m.create_histogram("payload.size", unit="By")
e.record(1000)
e.record(2000)
ok = provider.force_flush()
provider.shutdown()
sys.exit(0 if ok else 1)
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opentelemetry_python_sdk_otlp_http() {
    let ok = Command::new("python3")
        .args([
            "-c",
            "import opentelemetry.exporter.otlp.proto.http, opentelemetry.sdk",
        ])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("SKIP: pip install opentelemetry-sdk opentelemetry-exporter-otlp-proto-http");
        return;
    }
    let e = env();
    let port = serve(e.ctx.clone()).await;
    let url = format!("http://127.0.0.1:{port}/otlp/v1/metrics");
    let out = tokio::task::spawn_blocking(move || {
        Command::new("python3")
            .args(["-c", OTEL_SCRIPT, &url])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "python: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = e.all_series("anonymous").await;
    let names: Vec<String> = got.iter().map(|s| show(&s.labels)).collect();
    let id = r#"instance="pod-1", job="ai/gateway""#;
    let val = |r: String| {
        got.iter()
            .find(|s| show(&s.labels) == r)
            .unwrap_or_else(|| panic!("missing {r} in {names:#?}"))
            .samples[0]
            .value
    };
    assert_eq!(
        val(format!(
            r#"http_server_requests_total{{http_request_method="GET", http_response_status_code="200", {id}}}"#
        )),
        3.0
    );
    assert_eq!(
        val(format!(
            r#"http_server_request_duration_seconds_count{{http_request_method="GET", {id}}}"#
        )),
        1.0
    );
    assert_eq!(
        val(format!(
            r#"http_server_request_duration_seconds_sum{{http_request_method="GET", {id}}}"#
        )),
        0.2
    );
    assert_eq!(
        val(format!(
            r#"http_server_request_duration_seconds_bucket{{http_request_method="GET", {id}, le="5"}}"#
        )),
        1.0
    );
    assert_eq!(
        val(format!(
            r#"http_server_request_duration_seconds_bucket{{http_request_method="GET", {id}, le="+Inf"}}"#
        )),
        1.0
    );
    assert_eq!(val(format!(r#"queue_depth{{{id}}}"#)), 5.0);
    assert_eq!(val(format!(r#"cpu_utilization_ratio{{{id}}}"#)), 0.5);
    let eh = got
        .iter()
        .find(|s| s.labels.metric_name() == Some("payload_size_bytes"))
        .expect("payload_size_bytes");
    assert_eq!(eh.histograms[0].1.count, 2.0);
    assert_eq!(eh.histograms[0].1.sum, 3000.0);
    let ti = got
        .iter()
        .find(|s| s.labels.metric_name() == Some("target_info"))
        .expect("target_info");
    assert_eq!(ti.labels.get("deployment_environment"), Some("test"));
    assert_eq!(ti.labels.get("telemetry_sdk_language"), Some("python"));
    assert_eq!(ti.labels.get("job"), Some("ai/gateway"));
    assert_eq!(ti.labels.get("service_name"), None);
    // The SDK's trace-based exemplar filter attached the active span to the counter.
    let trace_id = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let ex = e.exemplars("anonymous").await;
    let (l, list) = ex
        .iter()
        .find(|(l, _)| l.metric_name() == Some("http_server_requests_total"))
        .expect("counter exemplar");
    assert_eq!(l.get("job"), Some("ai/gateway"));
    assert_eq!(list[0].labels.get("trace_id"), Some(trace_id.as_str()));
    assert_eq!(list[0].labels.get("span_id").map(str::len), Some(16));
    assert_eq!(list[0].value, 3.0);
}
