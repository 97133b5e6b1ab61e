//! The OpenTelemetry Python SDK against Lakewatch's traces path, end to end.
//!
//! `tests/python/otel_traces.py` (PyPI `opentelemetry-sdk` + `opentelemetry-exporter-otlp-proto-http`)
//! sends AI-gateway-shaped traces to an in-process `lakewatch dev` (no demo, `file://` store),
//! once with the SDK's OTLP/HTTP protobuf exporter and once as OTLP/HTTP JSON: service
//! `ai-gateway` SERVER `POST /v1/chat/completions` → CLIENT `redis GET` and CLIENT
//! `chat <model>` (gen_ai.* attributes, errors on some) → service `llm-provider-openai` SERVER
//! span (its own resource and exporter, parented through a W3C traceparent). The script prints
//! every span as the SDK finished it; the tests then read them back through the Tempo API
//! and PromQL, in separate test functions (each with its own process and store):
//!
//! - [`otel_sdk_traces_by_id_and_tags`]: every trace by id (`/api/traces/<id>` and
//!   `/api/v2/traces/<id>`, protobuf and JSON), unknown and malformed ids, tag names and values;
//! - [`otel_sdk_traces_traceql_search`]: `/api/search` with TraceQL (exact trace ids and
//!   matched spans) and the tags / minDuration / maxDuration / limit parameters;
//! - [`otel_sdk_traces_traceql_metrics`]: `/api/metrics/query_range` and `/api/metrics/query`;
//! - [`otel_sdk_traces_span_metrics`]: the metrics-generator series
//!   (`traces_spanmetrics_*`, `traces_service_graph_*`) through `/api/v1/query`.
//!
//! The read checks run on the freshly written objects and again after a compaction pass.
//! Needs `python3` with the SDK and exporter (`bash tests/run.sh` installs them); set
//! `LAKEWATCH_E2E_SKIP_OTEL_SDK=1` to skip.

#[path = "otel_traces/by_id.rs"]
mod by_id;
#[path = "otel_traces/metrics.rs"]
mod metrics;
#[path = "otel_traces/search.rs"]
mod search;
#[path = "otel_traces/sent.rs"]
mod sent;
#[path = "otel_traces/tags.rs"]
mod tags;
#[path = "otel_traces/tempo.rs"]
mod tempo;

use lakewatch_e2e::checks::Checks;
use lakewatch_e2e::scenario::start_lakewatch;
use lakewatch_e2e::tempdir::TempDir;
use lakewatch_server::DevServer;
use sent::{run_client, sdk_installed, Sent};
use std::time::{SystemTime, UNIX_EPOCH};
use tempo::Api;

/// Set to `1` to skip these tests (quick local runs only).
const SKIP: &str = "LAKEWATCH_E2E_SKIP_OTEL_SDK";
const TENANT: &str = "otel-e2e";
/// Traces sent with the SDK's protobuf exporter, and as OTLP/JSON.
const PROTOBUF_TRACES: usize = 10;
const JSON_TRACES: usize = 6;
const NS: u64 = 1_000_000_000;

/// A running Lakewatch with both client runs' traces in it.
pub struct Fixture {
    pub server: DevServer,
    _store: TempDir,
    pub api: Api,
    pub sent: Sent,
}

impl Fixture {
    /// Unix seconds well around every sent span: `(first start − 60 s, last end + 60 s)`.
    pub fn window_s(&self) -> (u64, u64) {
        let (start, end) = self.sent.bounds();
        (start / NS - 60, end / NS + 60)
    }
}

fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

/// Starts Lakewatch on a fresh `file://` store and sends both runs (protobuf traces from 4 min
/// ago, JSON traces from 3 min ago, 3 s apart). `None` when skipped; panics when the SDK is
/// missing or a client run failed.
async fn setup(label: &str) -> Option<Fixture> {
    if lakewatch_e2e::env::flag(SKIP) {
        eprintln!("SKIPPED: {SKIP} is set, not running the OpenTelemetry SDK tests");
        return None;
    }
    assert!(
        sdk_installed(),
        "python3 cannot import opentelemetry.sdk and opentelemetry.exporter.otlp.proto.http. \
         Run `bash tests/run.sh` (it runs `pip install opentelemetry-sdk \
         opentelemetry-exporter-otlp-proto-http`), or set {SKIP}=1 to skip this test."
    );
    let store = TempDir::new(label).expect("temp dir");
    let url = format!("file://{}", store.path().display());
    // The SDK runs send traces timed 3–4 minutes in the past: widen Tempo's 30 s
    // `metrics_ingestion_time_range_slack` so they still feed span metrics (every test of this
    // binary sets the same value before its server starts).
    std::env::set_var("LAKEWATCH_TRACES_GENERATOR_INGESTION_SLACK_MS", "3600000");
    let server = start_lakewatch(&url).await;
    let base = server.base_url();
    let now = now_ns();
    let mut sent = Sent::default();
    for (encoding, n, base_ns) in [
        ("protobuf", PROTOBUF_TRACES, now - 240 * NS),
        ("json", JSON_TRACES, now - 180 * NS),
    ] {
        let b = base.clone();
        let spans =
            tokio::task::spawn_blocking(move || run_client(&b, TENANT, encoding, n, base_ns))
                .await
                .expect("join")
                .unwrap_or_else(|e| panic!("the {encoding} client run failed: {e}"));
        sent.extend(encoding, spans);
    }
    assert_eq!(
        sent.traces().len(),
        PROTOBUF_TRACES + JSON_TRACES,
        "trace count"
    );
    Some(Fixture {
        api: Api::new(&base, TENANT),
        server,
        _store: store,
        sent,
    })
}

/// Runs `group` on fresh objects, compacts, runs it again; then stops the server and asserts.
macro_rules! both_phases {
    ($fx:expr, $c:expr, $group:path) => {{
        for phase in ["fresh", "compacted"] {
            if phase == "compacted" {
                match $fx.server.backend().compact_once().await {
                    Ok(s) => println!("compaction: {s}"),
                    Err(e) => $c.record(phase, "compaction", Err(e.to_string())),
                }
            }
            $group(&$fx, phase, &mut $c).await;
        }
    }};
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn otel_sdk_traces_by_id_and_tags() {
    let Some(fx) = setup("otel-by-id").await else {
        return;
    };
    let mut c = Checks::default();
    both_phases!(fx, c, by_id::check);
    both_phases!(fx, c, tags::check);
    fx.server.shutdown().await;
    c.assert_all_passed("trace-by-id and tag");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn otel_sdk_traces_traceql_search() {
    let Some(fx) = setup("otel-search").await else {
        return;
    };
    let mut c = Checks::default();
    both_phases!(fx, c, search::check);
    fx.server.shutdown().await;
    c.assert_all_passed("TraceQL search");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn otel_sdk_traces_traceql_metrics() {
    let Some(fx) = setup("otel-metrics").await else {
        return;
    };
    let mut c = Checks::default();
    both_phases!(fx, c, metrics::check_traceql_metrics);
    fx.server.shutdown().await;
    c.assert_all_passed("TraceQL metrics");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn otel_sdk_traces_span_metrics() {
    let Some(fx) = setup("otel-spanmetrics").await else {
        return;
    };
    let mut c = Checks::default();
    metrics::check_span_metrics(&fx, "ingest", &mut c).await;
    fx.server.shutdown().await;
    c.assert_all_passed("span metrics");
}
