//! The Markdown table of the `--logs` benchmark.

use super::gen::{self, LogsTotals};
use super::{ingest, query, rest, TARGET_AT_REST, TARGET_INGEST_MB_S};
use crate::query::Timing;
use crate::Args;
use std::fmt::Write;

/// Everything one `--logs` run measured.
pub struct LogsResults {
    pub totals: LogsTotals,
    pub ingest: ingest::LogsIngestResult,
    pub rest: rest::LogsRest,
    /// `(zstd level, bytes)` of the lines as one file.
    pub anchor: Vec<(i32, u64)>,
    pub queries: Vec<query::LogQueryResult>,
    /// `(variant, timing, entries returned)` of `LogsReader::select` alone.
    pub storage: Vec<(String, Result<Timing, String>, usize)>,
    /// 1-minute load average at the start.
    pub load_start: Option<f64>,
}

fn verdict_min(v: f64, target: f64) -> String {
    if v >= target {
        format!("**meets** ({:.2}× target)", v / target)
    } else {
        format!("**misses**, {:.2}× target", v / target)
    }
}

/// Renders `r` as the Markdown block printed on stdout.
pub fn render(args: &Args, r: &LogsResults) -> String {
    let (t, ing, rest) = (&r.totals, &r.ingest, &r.rest);
    let (anchor, queries, storage, load_start) = (&r.anchor, &r.queries, &r.storage, r.load_start);
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
    for (what, timing, found) in storage {
        let cell = match timing {
            Ok(t) => format!("{:.0} / {:.0} ms", t.median(), t.p90()),
            Err(e) => format!("failed: {}", e.chars().take(120).collect::<String>()),
        };
        let _ = writeln!(
            s,
            "| ↳ storage alone: `LogsReader::select` of `{{env=\"prod\"}}`, {what} | {cell} | — | {found} entries returned |"
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
