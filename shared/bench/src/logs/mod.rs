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
pub mod rest;

use crate::{log, Args};
use gen::{LogsGen, LogsSpec, LogsTotals};
use lakewatch_api::{App, QueryConfig};
use lakewatch_storage::{AuthConfig, Store};
use std::fmt::Write;
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

fn verdict_min(v: f64, target: f64) -> String {
    if v >= target {
        format!("**meets** ({:.2}× target)", v / target)
    } else {
        format!("**misses**, {:.2}× target", v / target)
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

    println!(
        "{}",
        render(args, &totals, &ing, &rest, &anchor, &queries, load_start)
    );
    Ok(())
}

fn render(
    args: &Args,
    t: &LogsTotals,
    ing: &ingest::LogsIngestResult,
    rest: &rest::LogsRest,
    anchor: &[(i32, u64)],
    queries: &[query::LogQueryResult],
    load_start: Option<f64>,
) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "## lakewatch-bench --logs (--logs-mb {} --logs-hours {} --logs-batch-kb {} --reps {})\n",
        args.logs_mb, args.logs_hours, args.logs_batch_kb, args.reps
    );
    let _ = writeln!(
        s,
        "Data: {} entries, {:.1} MB of lines (mean {:.0} B), {} streams, {:.2} h, {} pushes of ~{} KiB (mean body {:.0} KB snappy protobuf).\n",
        t.entries,
        t.line_bytes as f64 / 1e6,
        t.line_bytes as f64 / t.entries.max(1) as f64,
        gen::SERVICES.len() * gen::PODS * gen::LEVELS.len(),
        (t.last_ns - t.first_ns) as f64 / 3.6e12,
        t.batches,
        args.logs_batch_kb,
        ing.body_bytes as f64 / 1e3,
    );
    let _ = writeln!(
        s,
        "| measurement | Lakewatch | target (DESIGN §9) | where we stand |"
    );
    let _ = writeln!(s, "|---|---|---|---|");
    let _ = writeln!(
        s,
        "| log ingest, full path (snappy protobuf push → `LogsWriter`, `memory://`), 1 core | **{:.1} MB/s** (wall {:.1} MB/s) | ≥ {TARGET_INGEST_MB_S} MB/s | {} |",
        ing.full_mb_s,
        ing.full_wall_mb_s,
        verdict_min(ing.full_mb_s, TARGET_INGEST_MB_S)
    );
    let share = |v: f64| {
        if v > 0.0 {
            format!("{:.0} % of the path's CPU", 100.0 * ing.full_mb_s / v)
        } else {
            "—".to_string()
        }
    };
    let _ = writeln!(
        s,
        "| ↳ decode only (snappy + protobuf + validation) | {:.1} MB/s | — | {} |",
        ing.decode_mb_s,
        share(ing.decode_mb_s)
    );
    let _ = writeln!(
        s,
        "| ↳ `LogsWriter::write` only (encode + PUT + manifest commit) | {:.1} MB/s | — | {} |",
        ing.write_mb_s,
        share(ing.write_mb_s)
    );
    let levels: Vec<String> = rest
        .levels
        .iter()
        .map(|(l, n, b)| format!("L{l}: {n} × {:.1} MB", *b as f64 / 1e6 / (*n).max(1) as f64))
        .collect();
    let ratio = rest.ratio();
    let _ = writeln!(
        s,
        "| logs at rest after compaction | **{ratio:.3} × raw** ({:.1} MB for {:.1} MB of lines; {}) | ≤ {TARGET_AT_REST} × raw | {} (Loki 5–10× = 0.10–0.20) |",
        rest.object_bytes as f64 / 1e6,
        rest.line_bytes as f64 / 1e6,
        levels.join(", "),
        if ratio <= TARGET_AT_REST {
            format!("**meets** ({:.2}× target)", ratio / TARGET_AT_REST)
        } else {
            format!("**misses**, {:.2}× target", ratio / TARGET_AT_REST)
        }
    );
    for (level, bytes) in anchor {
        let _ = writeln!(
            s,
            "| anchor: the same lines as one log file, `zstd -{level}` | {:.3} × raw ({:.1} MB) | — | our objects are {:.2}× this |",
            *bytes as f64 / t.line_bytes.max(1) as f64,
            *bytes as f64 / 1e6,
            rest.object_bytes as f64 / (*bytes).max(1) as f64,
        );
    }
    for q in queries {
        let cell = match &q.timing {
            Ok(t) => format!("{:.0} / {:.0} ms", t.median(), t.p90()),
            Err(e) => format!("failed: {}", e.chars().take(120).collect::<String>()),
        };
        let check = match &q.check {
            Ok(c) => format!("answer checked: {c}"),
            Err(e) => format!("**wrong answer**: {e}"),
        };
        let _ = writeln!(
            s,
            "| {} `` {} `` over all data | {cell} | — | {check} |",
            q.query.name,
            q.query.expr.replace('|', "\\|")
        );
    }
    let _ = writeln!(
        s,
        "\nQuery cells: median / p90 over the timed runs (wall clock, `App::handle` in-process, file:// store in the page cache). \
         At rest: {} L0 pushes in {:.1} s, compaction {:.1} s ({} merges); L0 objects before the final compaction {:.3} × raw. \
         Ingest failures: {}{}. Load average at start: {}.",
        rest.l0_objects_written,
        rest.write_secs,
        rest.compact_secs,
        rest.merges,
        rest.l0_bytes_before_final as f64 / rest.line_bytes.max(1) as f64,
        ing.failures,
        ing.first_failure
            .as_ref()
            .map(|f| format!(" (first: {f})"))
            .unwrap_or_default(),
        load_start.map_or("?".into(), |l| format!("{l:.2}")),
    );
    s
}
