//! The Markdown table of the `--traces` benchmark.

use super::gen::{TracesTotals, INSTANCES};
use super::{ingest, query, rest, HOURS, TARGET_BYTES_PER_SPAN, TARGET_INGEST_SPANS_S};
use crate::Args;
use std::fmt::Write;

/// Everything one `--traces` run measured.
pub struct TracesResults {
    pub totals: TracesTotals,
    pub ingest: ingest::TracesIngestResult,
    pub rest: rest::TracesRest,
    pub lookup: Result<query::LookupResult, String>,
    pub searches: Vec<super::search::SearchResult>,
    /// 1-minute load average at the start.
    pub load_start: Option<f64>,
}

fn verdict(ratio: f64, meets: bool) -> String {
    if meets {
        format!("**meets** ({ratio:.2}× target)")
    } else {
        format!("**misses**, {ratio:.2}× target")
    }
}

fn k(v: f64) -> String {
    format!("{:.1} k", v / 1e3)
}

/// Renders `r` as the Markdown block printed on stdout.
pub fn render(args: &Args, r: &TracesResults) -> String {
    let (t, ing, rest) = (&r.totals, &r.ingest, &r.rest);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "## lakewatch-bench --traces (--traces-spans {} --traces-batch-spans {})\n",
        args.traces_spans, args.traces_batch_spans
    );
    let _ = writeln!(
        s,
        "Data: {} spans in {} traces ({:.2} spans/trace) over {HOURS} h, {INSTANCES} gateway instances, \
         {} export requests (mean body {:.0} KB OTLP protobuf, {:.0} B/span).\n",
        t.spans,
        t.traces,
        t.spans as f64 / t.traces.max(1) as f64,
        t.batches,
        ing.mean_body() / 1e3,
        ing.body_bytes_per_span(),
    );
    let _ = writeln!(
        s,
        "| measurement | Lakewatch | target (DESIGN §9) | where we stand |"
    );
    let _ = writeln!(s, "|---|---|---|---|");
    let _ = writeln!(
        s,
        "| span ingest, full path (OTLP protobuf `POST /v1/traces` → `TracesWriter`, `memory://`), 1 core | **{} spans/s** (wall {} spans/s; {:.1} MB/s of protobuf) | ≥ 50 k spans/s | {} (Tempo distributor ~5 MB/s) |",
        k(ing.full_spans_s),
        k(ing.full_wall_spans_s),
        ing.full_mb_s(),
        verdict(
            ing.full_spans_s / TARGET_INGEST_SPANS_S,
            ing.full_spans_s >= TARGET_INGEST_SPANS_S
        )
    );
    let share = |v: f64| {
        if v > 0.0 {
            format!("{:.0} % of the path's CPU", 100.0 * ing.full_spans_s / v)
        } else {
            "—".to_string()
        }
    };
    let _ = writeln!(
        s,
        "| ↳ decode only (`decode_traces`: protobuf + validation) | {} spans/s | — | {} |",
        k(ing.decode_spans_s),
        share(ing.decode_spans_s)
    );
    let _ = writeln!(
        s,
        "| ↳ `TracesWriter::write` only (flatten + sort + Parquet encode + PUT + manifest commit) | {} spans/s | — | {} |",
        k(ing.write_spans_s),
        share(ing.write_spans_s)
    );
    let levels: Vec<String> = rest
        .levels
        .iter()
        .map(|(l, n, b)| format!("L{l}: {n} × {:.1} MB", *b as f64 / 1e6 / (*n).max(1) as f64))
        .collect();
    let bps = rest.bytes_per_span();
    let _ = writeln!(
        s,
        "| spans at rest after compaction | **{bps:.1} bytes/span** ({:.1} MB for {} spans; {}) | ≤ {TARGET_BYTES_PER_SPAN} bytes/span | {} (Tempo vParquet ~58) |",
        rest.object_bytes as f64 / 1e6,
        rest.spans,
        levels.join(", "),
        verdict(bps / TARGET_BYTES_PER_SPAN, bps <= TARGET_BYTES_PER_SPAN)
    );
    let cell = match &r.lookup {
        Ok(l) => format!(
            "**{:.1} / {:.1} ms**, {:.1} object reads ({:.0} KB)",
            l.timing.median(),
            l.timing.p90(),
            l.gets,
            l.bytes / 1e3
        ),
        Err(e) => format!("failed: {}", e.chars().take(120).collect::<String>()),
    };
    let check = match &r.lookup {
        Ok(l) if l.wrong == 0 => {
            format!("{} lookups, every span count checked", l.timing.runs.len())
        }
        Ok(l) => format!(
            "**{} wrong answers** of {} (first: {})",
            l.wrong,
            l.timing.runs.len() + 1,
            l.first_wrong.clone().unwrap_or_default()
        ),
        Err(_) => "—".into(),
    };
    let _ = writeln!(
        s,
        "| `TracesReader::trace_by_id` of a random trace, no time range, compacted store (median / p90) | {cell} | ≤ 20 object reads | {check} |"
    );
    for q in &r.searches {
        let cell = match &q.timing {
            Ok(t) => format!(
                "**{:.0} / {:.0} ms**, {} object reads ({:.1} MB)",
                t.median(),
                t.p90(),
                q.gets,
                q.bytes as f64 / 1e6
            ),
            Err(e) => format!("failed: {}", e.chars().take(120).collect::<String>()),
        };
        let check = match &q.check {
            Ok(c) => c.clone(),
            Err(e) => format!("**wrong**: {}", e.chars().take(120).collect::<String>()),
        };
        let _ = writeln!(
            s,
            "| TraceQL {} `{}` over the hour (median / p90) | {cell} | — | {check} |",
            q.name,
            q.query.replace('|', "\\|")
        );
    }
    let _ = writeln!(
        s,
        "\nLookups: wall clock, in-process, file:// store in the page cache. \
         At rest: {} L0 exports in {:.1} s, compaction {:.1} s ({} merges); L0 objects before the final compaction {:.1} bytes/span. \
         Ingest failures: {}{}. Load average at start: {}.",
        rest.l0_objects_written,
        rest.write_secs,
        rest.compact_secs,
        rest.merges,
        rest.l0_bytes_before_final as f64 / rest.spans.max(1) as f64,
        ing.failures,
        ing.first_failure
            .as_ref()
            .map(|f| format!(" (first: {f})"))
            .unwrap_or_default(),
        r.load_start.map_or("?".into(), |l| format!("{l:.2}")),
    );
    s
}
