//! The `--traces` benchmark (DESIGN §9 trace targets): generated AI-gateway traces (default
//! 1 M spans over 1 h, ~2.85 spans per trace, [`gen`]) measured for
//!
//! 1. span ingest per second on one core ([`ingest`]: OTLP/HTTP protobuf export →
//!    `TracesWriter`), with decode alone and `TracesWriter::write` alone;
//! 2. bytes per span at rest after compaction ([`rest`]: `file://` store,
//!    `compact::run_once`);
//! 3. `TracesReader::trace_by_id` latency of random traces over the compacted store
//!    ([`query`]), answers checked.
//!
//! Prints a Markdown table (stdout); progress on stderr. Method and results: docs/benchmarks.md.

pub mod gen;
pub mod ingest;
pub mod query;
pub mod report;
pub mod rest;
pub mod search;

use crate::{log, Args};
use gen::{TracesGen, TracesSpec};
use lakewatch_api::{App, QueryConfig};
use lakewatch_storage::CountingStore;
use lakewatch_storage::{AuthConfig, Store};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// DESIGN §9: span ingest, one core (spans/s).
pub const TARGET_INGEST_SPANS_S: f64 = 50_000.0;
/// DESIGN §9: spans at rest (bytes/span).
pub const TARGET_BYTES_PER_SPAN: f64 = 50.0;
/// Hours the generated traces span, ending a minute ago.
pub const HOURS: f64 = 1.0;
/// Most trace-by-id lookups timed (within `--query-budget-secs`).
pub const LOOKUPS: usize = 200;

fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}

fn spec(args: &Args) -> TracesSpec {
    let end_ns = now_ns() - 60_000_000_000;
    TracesSpec {
        spans: args.traces_spans as u64,
        batch_spans: args.traces_batch_spans,
        start_ns: end_ns - (HOURS * 3.6e12) as i64,
        end_ns,
        seed: args.seed,
    }
}

/// Runs the traces benchmark in `work` and prints its table. Errors: a failed step, as text.
pub fn run(args: &Args, work: &Path) -> Result<(), String> {
    let load_start = crate::cpu::load_average();
    let spec = spec(args);
    log(format!(
        "traces: {} spans over {HOURS} h, ~{} spans per export request",
        spec.spans, spec.batch_spans
    ));

    // 1. Ingest, one core.
    let t = Instant::now();
    let mut g = TracesGen::new(spec.clone());
    let ing = ingest::run(g.by_ref())?;
    let totals = g.totals.clone();
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
    let dir = work.join("traces-store");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let store = Store::from_url(&format!("file://{}", dir.display())).map_err(|e| e.to_string())?;
    log("traces at rest: pushing to a file:// store and compacting");
    let rest = rt.block_on(rest::run(&store, TracesGen::new(spec.clone())))?;
    log(format!("  {rest:?}"));

    // 3. Trace by id, reads counted.
    let counting = Arc::new(CountingStore::new(store.object_store().clone()));
    let store = Store::new(counting.clone(), "");
    log(format!("trace by id: up to {LOOKUPS} random traces"));
    let lookup = query::trace_by_id(
        &rt,
        &store,
        &counting,
        &totals.sample,
        LOOKUPS,
        Duration::from_secs(args.query_budget_secs),
        args.seed,
    );
    if let Ok(l) = &lookup {
        log(format!(
            "  median {:.2} ms, p90 {:.2} ms over {} lookups, {} wrong",
            l.timing.median(),
            l.timing.p90(),
            l.timing.runs.len(),
            l.wrong
        ));
    }

    // 4. TraceQL search and metrics through the Tempo API.
    log("TraceQL: /api/search and /api/metrics/query_range");
    let app = App::new(store, AuthConfig::disabled(), QueryConfig::default());
    let searches = search::run(
        &rt,
        &app,
        &counting,
        &totals,
        args.reps,
        Duration::from_secs(args.query_budget_secs),
    );
    for r in &searches {
        log(format!(
            "  {}: {:?} {:?}",
            r.name,
            r.timing.as_ref().map(|t| t.median()),
            r.check
        ));
    }
    let results = report::TracesResults {
        searches,
        totals,
        ingest: ing,
        rest,
        lookup,
        load_start,
    };
    println!("{}", report::render(args, &results));
    Ok(())
}
