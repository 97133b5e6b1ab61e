//! Collects the measurements and renders them as a Markdown table: our figure, the DESIGN §9
//! target, Prometheus's figure, and where we stand.

use crate::compare::Comparison;
use crate::gen::Dataset;
use crate::ingest::IngestResult;
use crate::query::{QuerySpec, Timing};
use crate::rest::{LakewatchRest, PromRest};
use crate::Args;
use std::fmt::Write;
use std::time::Duration;

/// DESIGN §9: remote-write ingest, one core, decode → Parquet (samples/s).
pub const TARGET_INGEST: f64 = 1e6;
/// DESIGN §9: metrics at rest, compacted (bytes/sample).
pub const TARGET_BYTES_PER_SAMPLE: f64 = 1.0;

type Run = Result<(Timing, Vec<u8>), String>;

struct QueryRow {
    spec: QuerySpec,
    ours: Result<Timing, String>,
    theirs: Option<Result<Timing, String>>,
    cmp: Option<Result<Comparison, String>>,
}

/// Everything measured in one run.
pub struct Report {
    args: String,
    dataset: String,
    ingest: Vec<IngestResult>,
    lw_rest: Option<LakewatchRest>,
    prom_rest: Option<PromRest>,
    queries: Vec<QueryRow>,
    notes: Vec<String>,
    load_start: Option<f64>,
}

/// Samples/s for display (M or k).
fn rate(v: f64) -> String {
    if v >= 1e6 {
        format!("{:.2} M samples/s", v / 1e6)
    } else {
        format!("{:.0} k samples/s", v / 1e3)
    }
}

fn mb(b: u64) -> String {
    format!("{:.1} MB", b as f64 / 1e6)
}

impl Report {
    /// An empty report for a run with `args`.
    pub fn new(args: &Args) -> Self {
        Report {
            args: format!(
                "--series {} --hours {} --reps {} --ingest-samples {}{}",
                args.series,
                args.hours,
                args.reps,
                args.ingest_samples,
                if args.quick { " (--quick)" } else { "" }
            ),
            dataset: String::new(),
            ingest: Vec::new(),
            lw_rest: None,
            prom_rest: None,
            queries: Vec::new(),
            notes: Vec::new(),
            load_start: crate::cpu::load_average(),
        }
    }

    /// Records the generated data set.
    pub fn dataset(&mut self, d: &Dataset, took: Duration) {
        self.dataset = format!(
            "{} series ({} instances × 200), {} samples, {:.2} h at {} s, generated in {:.1} s",
            d.series.len(),
            d.instances,
            d.samples(),
            (d.max_time_ms - d.min_time_ms) as f64 / 3.6e6,
            d.interval_ms / 1000,
            took.as_secs_f64()
        );
    }

    pub fn ingest(&mut self, r: IngestResult) {
        if r.failures > 0 {
            self.notes.push(format!(
                "ingest {}/req: {} of {} requests failed, first: {}",
                r.per_request,
                r.failures,
                r.requests,
                r.first_failure.clone().unwrap_or_default()
            ));
        }
        self.ingest.push(r);
    }

    pub fn lakewatch_rest(&mut self, r: LakewatchRest) {
        self.lw_rest = Some(r);
    }

    pub fn prom_rest(&mut self, r: PromRest) {
        self.prom_rest = Some(r);
    }

    pub fn note(&mut self, n: String) {
        self.notes.push(n);
    }

    pub fn query(
        &mut self,
        spec: QuerySpec,
        ours: Run,
        theirs: Option<Run>,
        cmp: Option<Result<Comparison, String>>,
    ) {
        self.queries.push(QueryRow {
            spec,
            ours: ours.map(|(t, _)| t),
            theirs: theirs.map(|r| r.map(|(t, _)| t)),
            cmp,
        });
    }

    /// The Markdown rendering (tables plus details).
    pub fn render(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(o, "Options: {}", self.args);
        let _ = writeln!(o, "Data: {}", self.dataset);
        let _ = writeln!(
            o,
            "Machine: {} CPUs; 1-min load average {} at start, {} at end (other processes share the cores)\n",
            std::thread::available_parallelism().map_or(0, |n| n.get()),
            self.load_start.map_or("?".into(), |l| format!("{l:.2}")),
            crate::cpu::load_average().map_or("?".into(), |l| format!("{l:.2}")),
        );
        let _ = writeln!(
            o,
            "| measurement | Lakewatch | target (DESIGN §9) | Prometheus 2.42 | where we stand |"
        );
        let _ = writeln!(o, "|---|---|---|---|---|");
        for r in &self.ingest {
            let ratio = r.full_per_s / TARGET_INGEST;
            let _ = writeln!(
                o,
                "| remote-write ingest, {} samples/request (body {} B), full path, per CPU-second of 1 thread | {} (per wall second: {}) | ≥ 1 M samples/s | — | {} ({:.2}× target) |",
                r.per_request,
                r.body_bytes,
                rate(r.full_per_s),
                rate(r.full_per_wall_s),
                if ratio >= 1.0 { "meets" } else { "misses" },
                ratio
            );
            let _ = writeln!(
                o,
                "| ↳ decode only (snappy + protobuf + validation → MetricsBatch), {}/req | {} | — | — | part of the path |",
                r.per_request,
                rate(r.decode_per_s)
            );
            let _ = writeln!(
                o,
                "| ↳ write only (MetricsWriter::write: merge + encode + PUT + manifest commit, memory://), {}/req | {} | — | — | part of the path |",
                r.per_request,
                rate(r.write_per_s)
            );
            let _ = writeln!(
                o,
                "| ↳ ↳ SeriesMerger only (clone + dedupe + sort, the writer's first step), {}/req | {} | — | — | part of the write |",
                r.per_request,
                rate(r.merge_per_s)
            );
            let _ = writeln!(
                o,
                "| ↳ ↳ Parquet encode only (MetricsBatch → object bytes), {}/req | {} | anchor 8–40 M/s | — | part of the write |",
                r.per_request,
                rate(r.encode_per_s)
            );
        }
        let prom_bps = self.prom_rest.as_ref().map(|p| p.bytes_per_sample());
        if let Some(l) = &self.lw_rest {
            let b = l.bytes_per_sample();
            let vs = prom_bps.map_or(String::new(), |p| format!(", {:.2}× Prometheus", b / p));
            let _ =
                writeln!(
                o,
                "| metrics at rest after compaction (bytes/sample) | {:.3} | ≤ 1.0 | {} | {}{} |",
                b,
                prom_bps.map_or("—".to_string(), |p| format!("{p:.3}")),
                if b <= TARGET_BYTES_PER_SAMPLE { "meets" } else { "misses" },
                vs
            );
        }
        for q in &self.queries {
            let ours = match &q.ours {
                Ok(t) => format!("{:.1} / {:.1} ms", t.median(), t.p90()),
                Err(e) => format!("error: {}", short(e)),
            };
            let theirs = match &q.theirs {
                Some(Ok(t)) => format!("{:.1} / {:.1} ms", t.median(), t.p90()),
                Some(Err(e)) => format!("error: {}", short(e)),
                None => "—".into(),
            };
            let stand = match (&q.ours, &q.theirs) {
                (Ok(a), Some(Ok(b))) => {
                    let ratio = a.median() / b.median();
                    if ratio <= 1.0 {
                        format!("meets ({ratio:.2}× Prometheus's median)")
                    } else {
                        format!("misses ({ratio:.1}× slower)")
                    }
                }
                _ => "not compared".into(),
            };
            let answers = match &q.cmp {
                Some(Ok(c)) => c.summary(),
                Some(Err(e)) => format!("not comparable: {}", short(e)),
                None => "not compared".into(),
            };
            let _ = writeln!(
                o,
                "| query \"{}\" ({:.0} h, step {} s), median / p90 | {} | no slower than Prometheus | {} | {}; answers {} |",
                q.spec.name,
                q.spec.hours(),
                q.spec.step_s,
                ours,
                theirs,
                stand,
                answers
            );
        }
        let _ = writeln!(o, "\nDetails:");
        if let Some(l) = &self.lw_rest {
            let levels: Vec<String> = l
                .levels
                .iter()
                .map(|(lv, n, b)| format!("L{lv}: {n} objects, {}", mb(*b)))
                .collect();
            let _ = writeln!(
                o,
                "- Lakewatch at rest: {} samples, {} L0 writes in {:.1} s ({} wall, incl. file store + manifest commits), compaction {:.1} s ({} merges); live objects {}; objects total {}; manifest {} B (not counted)",
                l.samples,
                l.l0_objects_written,
                l.write_secs,
                rate(l.samples as f64 / l.write_secs.max(1e-9)),
                l.compact_secs,
                l.merges,
                levels.join(", "),
                mb(l.object_bytes),
                l.manifest_bytes
            );
        }
        if let Some(l) = &self.lw_rest {
            let cols: Vec<String> = l
                .columns
                .iter()
                .take(10)
                .map(|(c, b)| format!("{c} {:.3}", *b as f64 / l.samples.max(1) as f64))
                .collect();
            let _ = writeln!(
                o,
                "- Lakewatch Parquet columns, bytes/sample (largest 10 of {}; {} rows, {} row groups; the rest is footer/page overhead): {}",
                l.columns.len(),
                l.rows,
                l.row_groups,
                cols.join(", ")
            );
        }
        if let Some(p) = &self.prom_rest {
            let _ = writeln!(
                o,
                "- Prometheus TSDB: {} blocks, {} samples, chunks {}, index {}; OpenMetrics input {}; promtool {:.1} s",
                p.blocks,
                p.samples,
                mb(p.chunk_bytes),
                mb(p.index_bytes),
                mb(p.openmetrics_bytes),
                p.promtool_secs
            );
        }
        for q in &self.queries {
            if let Some(Ok(c)) = &q.cmp {
                if !c.examples.is_empty() {
                    let _ = writeln!(
                        o,
                        "- \"{}\" differences: {}",
                        q.spec.name,
                        c.examples.join("; ")
                    );
                }
            }
            let _ = writeln!(o, "- \"{}\": `{}`", q.spec.name, q.spec.expr);
        }
        for n in &self.notes {
            let _ = writeln!(o, "- NOTE: {n}");
        }
        o
    }
}

fn short(s: &str) -> String {
    let s = s.replace('|', "/").replace('\n', " ");
    if s.len() > 160 {
        let mut i = 160;
        while !s.is_char_boundary(i) {
            i -= 1;
        }
        format!("{}…", &s[..i])
    } else {
        s
    }
}
