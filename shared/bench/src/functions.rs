//! `--functions DIR`: each Lambda function binary's size and cold start, as AWS Lambda measures
//! them, against DESIGN §9 (≤ 15 MB stripped; init ≤ 30 ms ingest, ≤ 100 ms query).
//!
//! The binaries (`cargo lambda build --release` → `target/lambda/<fn>/bootstrap`, or
//! `cargo build --release` → `target/release/<fn>`) are started as Lambda starts them: with
//! `AWS_LAMBDA_RUNTIME_API` pointing at a local implementation of the Lambda Runtime API
//! (`GET /2018-06-01/runtime/invocation/next`, `POST …/{id}/response`), the same protocol
//! `cargo lambda watch --only-lambda-apis` serves. Measured per start: **init** = process spawn
//! → the runtime's first `next` request (Lambda's "Init Duration"), **first answer** = spawn →
//! the response of the first invocation (a realistic request per function, store `memory://`).
//! Medians over `--reps` starts.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Path as UrlPath, State};
use axum::routing::{get, post};
use axum::Router;
use tokio::sync::{mpsc, Mutex};

use crate::{log, Args};

/// Every function crate under functions/.
const FUNCTIONS: [&str; 8] = [
    "ingest-metrics",
    "ingest-logs",
    "ingest-traces",
    "query-metrics",
    "query-logs",
    "query-traces",
    "compactor",
    "ruler",
];

/// The first invocation's event: an API Gateway HTTP API (v2) request for HTTP functions, an
/// EventBridge-like `{}` for the scheduled ones.
fn event(function: &str) -> String {
    let http = |method: &str, path: &str, query: &str, body: &str| {
        serde_json::json!({
            "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": query,
            "headers": {"content-type": "application/json", "host": "bench"},
            "requestContext": {"accountId": "1", "apiId": "bench", "domainName": "bench",
                "domainPrefix": "bench", "requestId": "bench-1", "routeKey": "$default",
                "stage": "$default", "time": "21/Nov/2026:00:00:00 +0000", "timeEpoch": 0,
                "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                    "sourceIp": "127.0.0.1", "userAgent": "lakewatch-bench"}},
            "body": body, "isBase64Encoded": false
        })
        .to_string()
    };
    match function {
        "ingest-metrics" => http("POST", "/api/v1/write", "", ""),
        "ingest-logs" => http("POST", "/loki/api/v1/push", "", r#"{"streams":[]}"#),
        "ingest-traces" => http("POST", "/v1/traces", "", "{}"),
        "query-metrics" => http("GET", "/api/v1/query", "query=1", ""),
        "query-logs" => http("GET", "/loki/api/v1/labels", "", ""),
        "query-traces" => http("GET", "/api/echo", "", ""),
        _ => "{}".to_string(),
    }
}

/// The Runtime API for one start: hands out `event` once, reports when `next` was first
/// called and when the response arrived.
#[derive(Clone)]
struct Runtime {
    event: Arc<String>,
    served: Arc<Mutex<bool>>,
    tx: mpsc::UnboundedSender<(&'static str, Instant, String)>,
}

async fn next(State(rt): State<Runtime>) -> axum::response::Response {
    let _ = rt.tx.send(("next", Instant::now(), String::new()));
    let mut served = rt.served.lock().await;
    if *served {
        drop(served);
        // Later `next` calls wait for ever, as Lambda freezes an idle function.
        std::future::pending::<()>().await;
        unreachable!()
    }
    *served = true;
    let deadline = chrono::Utc::now().timestamp_millis() + 60_000;
    axum::response::Response::builder()
        .header("lambda-runtime-aws-request-id", "bench-1")
        .header("lambda-runtime-deadline-ms", deadline.to_string())
        .header(
            "lambda-runtime-invoked-function-arn",
            "arn:aws:lambda:us-east-1:000000000000:function:bench",
        )
        .header(
            "lambda-runtime-trace-id",
            "Root=1-00000000-000000000000000000000000",
        )
        .body(axum::body::Body::from(rt.event.as_str().to_string()))
        .unwrap_or_default()
}

async fn response(
    State(rt): State<Runtime>,
    UrlPath(_id): UrlPath<String>,
    body: String,
) -> &'static str {
    let _ = rt.tx.send(("response", Instant::now(), body));
    ""
}

async fn error(
    State(rt): State<Runtime>,
    UrlPath(_id): UrlPath<String>,
    body: String,
) -> &'static str {
    let _ = rt.tx.send(("error", Instant::now(), body));
    ""
}

/// One measured start.
#[derive(Debug, Clone)]
struct Start {
    init: Duration,
    first_answer: Duration,
    answer: String,
}

async fn start_once(binary: &Path, function: &str) -> Result<Start, String> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let rt = Runtime {
        event: Arc::new(event(function)),
        served: Arc::new(Mutex::new(false)),
        tx,
    };
    let app = Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route(
            "/2018-06-01/runtime/invocation/{id}/response",
            post(response),
        )
        .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
        .with_state(rt);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let spawned = Instant::now();
    let mut child = tokio::process::Command::new(binary)
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", function)
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1769")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/bench")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
        .env("AWS_REGION", "us-east-1")
        .env("LAKEWATCH_STORE_URL", "memory://")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("{}: {e}", binary.display()))?;
    let mut init = None;
    let outcome = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some((what, at, body)) = rx.recv().await {
            match what {
                "next" if init.is_none() => init = Some(at - spawned),
                "response" | "error" => return Ok((at - spawned, what, body)),
                _ => {}
            }
        }
        Err("runtime API closed".to_string())
    })
    .await
    .map_err(|_| format!("{function}: no answer within 30 s"))?;
    let _ = child.kill().await;
    server.abort();
    let (first_answer, what, body) = outcome?;
    if what == "error" {
        return Err(format!("{function}: invocation error: {body}"));
    }
    Ok(Start {
        init: init.unwrap_or(first_answer),
        first_answer,
        answer: body.chars().take(80).collect(),
    })
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

/// Where a function's binary is in `dir`: `<dir>/<fn>/bootstrap` (cargo lambda) or `<dir>/<fn>`.
fn binary(dir: &Path, function: &str) -> Option<PathBuf> {
    [dir.join(function).join("bootstrap"), dir.join(function)]
        .into_iter()
        .find(|p| p.is_file())
}

/// Runs the measurement and prints the table.
pub fn run(args: &Args, dir: &Path) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let reps = args.reps.max(1);
    let mut rows = Vec::new();
    for f in FUNCTIONS {
        let Some(bin) = binary(dir, f) else {
            return Err(format!(
                "no binary for {f} in {} (build with `cargo lambda build --release` or `cargo build --release --workspace`)",
                dir.display()
            ));
        };
        let size = std::fs::metadata(&bin).map_err(|e| e.to_string())?.len();
        let mut starts = Vec::new();
        for _ in 0..reps {
            starts.push(rt.block_on(start_once(&bin, f))?);
        }
        log(format!("{f}: {:?}", starts.last().map(|s| &s.answer)));
        rows.push((
            f,
            size,
            median(starts.iter().map(|s| s.init).collect()),
            median(starts.iter().map(|s| s.first_answer).collect()),
            starts.last().map(|s| s.answer.clone()).unwrap_or_default(),
        ));
    }
    println!("## Lambda functions (`--functions {}`)\n", dir.display());
    println!(
        "{reps} starts each, medians. Init = spawn → first Runtime API `next`; first answer = spawn → first invocation's response (store `memory://`).\n"
    );
    println!("| function | binary MB | target | init ms | target | first answer ms | first answer (start) |");
    println!("|---|---|---|---|---|---|---|");
    for (f, size, init, first, answer) in rows {
        let init_target = if f.starts_with("ingest") {
            "≤ 30"
        } else if f.starts_with("query") {
            "≤ 100"
        } else {
            "–"
        };
        println!(
            "| {f} | {:.1} | ≤ 15 | {:.1} | {init_target} | {:.1} | `{}` |",
            size as f64 / 1e6,
            init.as_secs_f64() * 1000.0,
            first.as_secs_f64() * 1000.0,
            answer.replace('|', "\\|")
        );
    }
    Ok(())
}
