//! `lakewatch-bench`: measures Lakewatch against the targets of DESIGN §9 and against
//! Prometheus 2.42 (Debian) on the same generated data, and prints a Markdown table.
//!
//! 1. remote-write ingest samples/s on one core (full path, decode only, encode only);
//! 2. bytes/sample at rest after compaction, next to Prometheus TSDB blocks built by promtool;
//! 3. dashboard range-query latency, Lakewatch in-process vs Prometheus over HTTP, with the
//!    answers compared;
//! 4. with `--logs` (instead of 1–3): log ingest MB/s on one core, logs bytes at rest per raw
//!    byte after compaction and LogQL needle/volume latency over generated JSON logs
//!    ([`logs`]);
//! 5. with `--traces` (instead of 1–3): span ingest spans/s on one core, bytes/span at rest
//!    after compaction and trace-by-id latency over generated AI-gateway traces ([`traces`]);
//! 6. with `--ruler` (instead of 1–3): time and object-store requests of scheduled-ruler passes
//!    over the generated metrics ([`ruler`]).
//! 7. with `--functions DIR` (instead of 1–3): each Lambda function binary's size and cold start
//!    through the Lambda Runtime API ([`functions`]).
//!
//! See docs/benchmarks.md for the method and the recorded results.

mod compare;
mod cpu;
mod functions;
mod gen;
mod ingest;
mod logs;
mod openmetrics;
mod proc;
mod query;
mod report;
mod rest;
mod rng;
mod ruler;
mod traces;

use clap::Parser;
use lakewatch_api::{App, QueryConfig};
use lakewatch_model::TenantId;
use lakewatch_storage::{AuthConfig, Store};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Command-line options.
#[derive(Parser, Debug, Clone)]
#[command(
    name = "lakewatch-bench",
    about = "Lakewatch benchmarks vs DESIGN §9 and Prometheus"
)]
pub struct Args {
    /// Series to generate (rounded up to a multiple of 200 = one instance).
    #[arg(long, default_value_t = 10_000)]
    pub series: usize,
    /// Hours of 15 s scrapes, ending now.
    #[arg(long, default_value_t = 3.0)]
    pub hours: f64,
    /// Small sizes for a fast run (1000 series, 1 h, 3 repetitions, 100k ingest samples).
    #[arg(long)]
    pub quick: bool,
    /// Timed repetitions of each query (after one warm-up run).
    #[arg(long, default_value_t = 7)]
    pub reps: usize,
    /// Samples pushed through each ingest measurement (per request size).
    #[arg(long, default_value_t = 1_000_000)]
    pub ingest_samples: usize,
    /// Most seconds spent timing one query on one system (repetitions stop early after it).
    #[arg(long, default_value_t = 60)]
    pub query_budget_secs: u64,
    /// Scratch directory (default: a new folder under /tmp); removed at the end unless --keep.
    #[arg(long)]
    pub work_dir: Option<PathBuf>,
    /// Keep the scratch directory (stores, OpenMetrics file, TSDB blocks, logs).
    #[arg(long)]
    pub keep: bool,
    /// Skip everything that needs promtool/prometheus.
    #[arg(long)]
    pub no_prometheus: bool,
    /// Run only step 1 (ingest rates).
    #[arg(long)]
    pub ingest_only: bool,
    /// Seed of the data generator.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Run the logs benchmark instead of the metrics one (see `logs` module).
    #[arg(long)]
    pub logs: bool,
    /// Megabytes (10^6 bytes) of log lines to generate for `--logs` (`--quick`: at most 64).
    #[arg(long, default_value_t = 1000.0)]
    pub logs_mb: f64,
    /// Hours the generated logs span, ending a minute ago.
    #[arg(long, default_value_t = 1.0)]
    pub logs_hours: f64,
    /// Line bytes per push request, in KiB (Promtail's and Alloy's default batch: 1 MiB).
    #[arg(long, default_value_t = 1024)]
    pub logs_batch_kb: usize,
    /// Run the traces benchmark instead of the metrics one (see `traces` module).
    #[arg(long)]
    pub traces: bool,
    /// Spans to generate for `--traces` (`--quick`: at most 100 000).
    #[arg(long, default_value_t = 1_000_000)]
    pub traces_spans: usize,
    /// Spans per OTLP export request for `--traces` (the OpenTelemetry Collector batch
    /// processor's default `send_batch_size`: 8192).
    #[arg(long, default_value_t = 8192)]
    pub traces_batch_spans: usize,
    /// Run the scheduled-ruler benchmark instead of the metrics one (see `ruler` module).
    #[arg(long)]
    pub ruler: bool,
    /// Hours of metrics generated for `--ruler`, ending now.
    #[arg(long, default_value_t = 1.0)]
    pub ruler_hours: f64,
    /// Measure the Lambda function binaries in DIR (`target/lambda` of `cargo lambda build
    /// --release`, or `target/release`): size and cold start (see `functions` module).
    #[arg(long, value_name = "DIR")]
    pub functions: Option<PathBuf>,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Progress line on stderr.
pub fn log(msg: impl AsRef<str>) {
    eprintln!("[bench] {}", msg.as_ref());
}

fn main() {
    let mut args = Args::parse();
    if args.quick {
        args.series = args.series.min(1000);
        args.hours = args.hours.min(1.0);
        args.reps = args.reps.min(3);
        args.ingest_samples = args.ingest_samples.min(100_000);
        args.logs_mb = args.logs_mb.min(64.0);
        args.traces_spans = args.traces_spans.min(100_000);
    }
    let work = args.work_dir.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("lakewatch-bench-{}", std::process::id()))
    });
    if let Err(e) = std::fs::create_dir_all(&work) {
        eprintln!("cannot create {}: {e}", work.display());
        std::process::exit(2);
    }
    let outcome = if let Some(dir) = args.functions.clone() {
        functions::run(&args, &dir)
    } else if args.ruler {
        ruler::run(&args, &work)
    } else if args.traces {
        traces::run(&args, &work)
    } else if args.logs {
        logs::run(&args, &work)
    } else {
        run(&args, &work)
    };
    let code = match outcome {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("benchmark failed: {e}");
            1
        }
    };
    if !args.keep {
        let _ = std::fs::remove_dir_all(&work);
    } else {
        log(format!("kept {}", work.display()));
    }
    std::process::exit(code);
}

fn run(args: &Args, work: &std::path::Path) -> Result<(), String> {
    let mut rep = report::Report::new(args);
    let t = Instant::now();
    let d = gen::generate(args.series, args.hours, now_ms(), args.seed);
    rep.dataset(&d, t.elapsed());
    log(format!(
        "generated {} series × {} scrapes = {} samples in {:.1}s",
        d.series.len(),
        d.series.first().map_or(0, |s| s.samples.len()),
        d.samples(),
        t.elapsed().as_secs_f64()
    ));

    // 1. Ingest.
    for per in [2000usize, 10_000] {
        log(format!(
            "ingest: {per} samples/request, {} samples",
            args.ingest_samples
        ));
        let r = ingest::run(gen::requests(&d, per, args.ingest_samples))?;
        log(format!("  {r:?}"));
        rep.ingest(r);
    }

    if args.ingest_only {
        println!("{}", rep.render());
        return Ok(());
    }

    // 2. At rest.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let store_dir = work.join("lakewatch-store");
    std::fs::create_dir_all(&store_dir).map_err(|e| e.to_string())?;
    let url = format!("file://{}", store_dir.display());
    let store = Store::from_url(&url).map_err(|e| e.to_string())?;
    let tenant = TenantId::anonymous();
    log("at rest: writing L0 objects (2000 samples each) and compacting");
    let lw = rt.block_on(rest::lakewatch(
        &store,
        &tenant,
        gen::requests(&d, 2000, 0),
        &d.metadata(),
    ))?;
    log(format!("  {lw:?}"));
    rep.lakewatch_rest(lw);

    let blocks = work.join("prom-data");
    let prom_ok = if args.no_prometheus {
        false
    } else {
        let om = work.join("data.om.txt");
        log(
            "at rest: writing OpenMetrics and running promtool tsdb create-blocks-from openmetrics",
        );
        let size = openmetrics::write(&d, &om).map_err(|e| e.to_string())?;
        log(format!("  OpenMetrics file {size} bytes"));
        match rest::prometheus(&om, &blocks, work, Duration::from_secs(1800)) {
            Ok(p) => {
                log(format!("  {p:?}"));
                rep.prom_rest(p);
                let _ = std::fs::remove_file(&om);
                true
            }
            Err(e) => {
                log(format!("  promtool failed: {e}"));
                rep.note(format!("promtool failed: {e}"));
                false
            }
        }
    };

    // 3. Queries.
    let app = App::new(
        store.clone(),
        AuthConfig::disabled(),
        QueryConfig::default(),
    );
    let prom = if prom_ok {
        match proc::Prometheus::start(&blocks, work, Duration::from_secs(120)) {
            Ok(p) => {
                log(format!(
                    "prometheus ready on port {} after {:.2}s",
                    p.port, p.ready_secs
                ));
                Some(p)
            }
            Err(e) => {
                rep.note(format!("prometheus did not start: {e}"));
                None
            }
        }
    } else {
        None
    };
    let budget = Duration::from_secs(args.query_budget_secs);
    for q in query::dashboard(&d) {
        let path = q.path();
        log(format!("query {:?}: {}", q.name, q.expr));
        let ours = query::time_runs(args.reps, budget, || {
            query::lakewatch_query(&rt, &app, &path)
        });
        let theirs = prom.as_ref().map(|p| {
            query::time_runs(args.reps, budget, || query::prometheus_query(p.port, &path))
        });
        let cmp = match (&ours, &theirs) {
            (Ok((_, a)), Some(Ok((_, b)))) => Some(compare::compare(a, b)),
            _ => None,
        };
        rep.query(q, ours, theirs, cmp);
    }
    drop(prom);
    if let Some(spec) = query::dashboard(&d)
        .into_iter()
        .find(|q| q.name == "one instance memory")
    {
        match query::storage_select(&rt, &store, &spec, args.reps) {
            Ok((t, series, samples)) => rep.note(format!(
                "storage alone for \"one instance memory\" (MetricsReader::select, {series} series, {samples} samples): median {:.1} ms, p90 {:.1} ms",
                t.median(),
                t.p90()
            )),
            Err(e) => rep.note(format!("storage select failed: {e}")),
        }
    }
    println!("{}", rep.render());
    Ok(())
}
