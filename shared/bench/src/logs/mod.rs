//! The `--logs` benchmark (DESIGN §9 log targets): generated JSON request logs (default 1 GB of
//! lines over 1 h, [`gen`]) measured for
//!
//! 1. log ingest MB/s on one core ([`ingest`]: Loki snappy-protobuf push → `LogsWriter`);
//! 2. bytes at rest per raw byte after compaction ([`rest`]: `file://` store,
//!    `compact::run_once`);
//! 3. LogQL latency of a needle search and a `sum by (level) (count_over_time(…[1m]))` over all
//!    of it ([`query`]: `/loki/api/v1/query_range` through `App::handle`), answers checked.
//!
//! Prints a Markdown table (stdout); progress on stderr. Method and results: docs/benchmarks.md.

pub mod anchor;
pub mod gen;
pub mod ingest;
pub mod query;
pub mod report;
pub mod rest;

use crate::{log, Args};
use gen::{LogsGen, LogsSpec, LogsTotals};
use lakewatch_api::{App, QueryConfig};
use lakewatch_storage::{AuthConfig, Store};
use std::path::Path;
use std::time::{Duration, Instant};

/// DESIGN §9: log ingest, one core (MB/s of raw lines).
pub const TARGET_INGEST_MB_S: f64 = 50.0;
/// DESIGN §9: logs at rest (× raw).
pub const TARGET_AT_REST: f64 = 0.10;

fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}

fn spec(args: &Args) -> LogsSpec {
    let end_ns = now_ns() - 60_000_000_000;
    LogsSpec {
        target_bytes: (args.logs_mb * 1e6) as u64,
        start_ns: end_ns - (args.logs_hours * 3.6e12) as i64,
        end_ns,
        batch_bytes: args.logs_batch_kb * 1024,
        seed: args.seed,
    }
}

/// Runs the logs benchmark in `work` and prints its table. Errors: a failed step, as text.
pub fn run(args: &Args, work: &Path) -> Result<(), String> {
    let load_start = crate::cpu::load_average();
    let spec = spec(args);
    log(format!(
        "logs: {:.0} MB of JSON lines over {} h, {} KiB pushes",
        args.logs_mb, args.logs_hours, args.logs_batch_kb
    ));

    // 1. Ingest, one core.
    let t = Instant::now();
    let mut g = LogsGen::new(spec.clone());
    let ing = ingest::run(g.by_ref())?;
    let totals: LogsTotals = g.totals.clone();
    log(format!(
        "  ingest: {ing:?} ({:.1}s)",
        t.elapsed().as_secs_f64()
    ));

    // 2. At rest.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let dir = work.join("logs-store");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let store = Store::from_url(&format!("file://{}", dir.display())).map_err(|e| e.to_string())?;
    log("logs at rest: pushing to a file:// store and compacting");
    let rest = rt.block_on(rest::run(&store, LogsGen::new(spec.clone())))?;
    log(format!("  {rest:?}"));
    log("anchor: the lines as one file, zstd -3 and -9");
    let anchor = anchor::zstd_file_sizes(&spec, &[3, 9])?;
    log(format!("  {anchor:?}"));

    // 3. Queries.
    let app = App::new(store, AuthConfig::disabled(), QueryConfig::default());
    let budget = Duration::from_secs(args.query_budget_secs);
    let queries = query::run(&rt, &app, &totals, args.reps, budget);
    log("logs storage alone: LogsReader::select");
    let storage = query::storage_select(&rt, &app, &totals, args.reps, budget);

    let results = report::LogsResults {
        totals,
        ingest: ing,
        rest,
        anchor,
        queries,
        storage,
        load_start,
    };
    println!("{}", report::render(args, &results));
    Ok(())
}
