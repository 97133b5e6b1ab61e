//! Bytes at rest per raw line byte on repetitive JSON logs (DESIGN §9 target ≤ 0.10 × raw):
//! generated access/app logs pushed as Loki-sized requests (1000 entries), then compacted to
//! L2. Prints the ratio and a per-column breakdown; asserts the target on logs without
//! per-line random ids, and a bound with a random trace id in every line.

mod common;

use lakewatch_model::{Labels, LogEntry, LogStream, LogsBatch, Signal, TenantId};
use lakewatch_storage::compact::{run_once, CompactionOptions};
use lakewatch_storage::logs::LogsEncodeOptions;
use lakewatch_storage::{LogSelect, LogsReader, LogsWriter, ManifestLog, Store};
use parquet::file::reader::{FileReader, SerializedFileReader};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const ENTRIES: usize = 200_000;
const PER_PUSH: usize = 1000;

/// One generated JSON line (Go/Python-logger style): level, route, status, duration_ms,
/// user_id and, when `trace`, a random 128-bit trace id.
fn line(rng: &mut common::Lcg, ts_ms: i64, service: &str, trace: bool) -> (String, &'static str) {
    let routes = [
        "/v1/chat/completions",
        "/v1/embeddings",
        "/v1/models",
        "/healthz",
        "/v1/completions",
        "/api/users",
    ];
    let r = rng.next();
    let (level, status, msg) = match r % 50 {
        0 => ("error", 500, "upstream request failed"),
        1..=3 => ("warn", 429, "rate limited"),
        4..=8 => ("debug", 200, "cache hit"),
        _ => ("info", 200, "request completed"),
    };
    let secs = ts_ms.div_euclid(1000);
    let dt = chrono::DateTime::from_timestamp(secs, (ts_ms.rem_euclid(1000) * 1_000_000) as u32)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ");
    let trace_part = if trace {
        format!(
            r#","trace_id":"{:016x}{:016x}""#,
            rng.next() << 32 | rng.next(),
            rng.next() << 32 | rng.next()
        )
    } else {
        String::new()
    };
    (
        format!(
            r#"{{"time":"{dt}","level":"{level}","service":"{service}","method":"POST","route":"{}","status":{status},"duration_ms":{},"user_id":"user-{}"{trace_part},"msg":"{msg}"}}"#,
            routes[(r / 50 % 6) as usize],
            5 + rng.next() % 900,
            rng.next() % 200,
        ),
        level,
    )
}

/// Streams: 5 services × 4 levels (Loki-style `detected_level`), pushes of 1000 entries.
fn pushes(trace: bool, start_ms: i64) -> Vec<LogsBatch> {
    let services = ["ai-gateway", "billing", "auth", "search", "frontend"];
    let mut rng = common::Lcg(42);
    let mut out = Vec::new();
    let mut t = start_ms * 1_000_000;
    for p in 0..ENTRIES / PER_PUSH {
        let mut streams: BTreeMap<(usize, &str), Vec<LogEntry>> = BTreeMap::new();
        for k in 0..PER_PUSH {
            t += 10_000_000 + (rng.next() % 10_000_000) as i64;
            let svc = (p * PER_PUSH + k) % services.len();
            let (l, level) = line(&mut rng, t / 1_000_000, services[svc], trace);
            streams.entry((svc, level)).or_default().push(LogEntry {
                timestamp_ns: t,
                line: l,
                structured_metadata: Labels::default(),
            });
        }
        out.push(LogsBatch {
            streams: streams
                .into_iter()
                .map(|((svc, level), entries)| LogStream {
                    labels: Labels::from_pairs([
                        ("service_name", services[svc]),
                        ("detected_level", level),
                        ("env", "prod"),
                        ("cluster", "eu-west-1"),
                    ]),
                    entries,
                })
                .collect(),
        });
    }
    out
}

async fn measure(name: &str, trace: bool, logs_encode: LogsEncodeOptions) -> f64 {
    let store = Store::memory();
    let tenant = TenantId::new("size").unwrap();
    let now_ms = chrono::Utc::now().timestamp_millis();
    let batches = pushes(trace, now_ms - 3 * 3_600_000);
    let raw: u64 = batches.iter().map(|b| b.line_bytes() as u64).sum();
    let writer = LogsWriter::new(store.clone());
    let t = Instant::now();
    let mut l0 = 0u64;
    for b in &batches {
        l0 += writer.write(&tenant, b).await.unwrap().bytes;
    }
    let write_time = t.elapsed();
    let opts = CompactionOptions {
        window_settle: Duration::ZERO,
        gc_grace: Duration::ZERO,
        logs_encode,
        ..Default::default()
    };
    let t = Instant::now();
    let st = run_once(&store, &opts).await.unwrap();
    let compact_time = t.elapsed();
    assert_eq!(st.errors, 0, "{st:?}");
    let man = ManifestLog::new(store.clone(), tenant.clone(), Signal::Logs)
        .load()
        .await
        .unwrap();
    assert!(man.objects.iter().all(|o| o.level == 2));
    assert_eq!(
        man.objects.iter().map(|o| o.rows).sum::<u64>() as usize,
        ENTRIES
    );
    let l2: u64 = man.objects.iter().map(|o| o.size_bytes).sum();
    let mut cols: BTreeMap<String, i64> = BTreeMap::new();
    for o in &man.objects {
        let bytes = store.get(&o.key).await.unwrap();
        let r = SerializedFileReader::new(bytes).unwrap();
        for rg in r.metadata().row_groups() {
            for c in rg.columns() {
                *cols.entry(c.column_path().string()).or_default() += c.compressed_size();
            }
        }
    }
    let breakdown: Vec<String> = cols
        .iter()
        .map(|(k, v)| format!("{k} {:.2} B/entry", *v as f64 / ENTRIES as f64))
        .collect();
    let t = Instant::now();
    let all = LogsReader::new(store.clone())
        .select(
            &tenant,
            &LogSelect {
                start_ns: i64::MIN,
                end_ns: i64::MAX,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let read_time = t.elapsed();
    assert_eq!(all.iter().map(|s| s.entries.len()).sum::<usize>(), ENTRIES);
    let ratio = l2 as f64 / raw as f64;
    println!(
        "[{name}] {ENTRIES} entries, {} pushes, raw line bytes {raw} ({:.0} B/line): L0 {l0} B \
         ({:.3} × raw), compacted L2 {l2} B in {} objects = {ratio:.4} × raw ({:.1} B/entry); \
         write {write_time:.2?}, compact {compact_time:.2?}, read all {read_time:.2?} (debug build); \
         columns: {}",
        batches.len(),
        raw as f64 / ENTRIES as f64,
        l0 as f64 / raw as f64,
        man.objects.len(),
        l2 as f64 / ENTRIES as f64,
        breakdown.join(", ")
    );
    ratio
}

#[tokio::test]
async fn logs_bytes_at_rest_repetitive_json() {
    let no_trace = measure("json, no trace_id", false, LogsEncodeOptions::compacted()).await;
    let trace = measure(
        "json + random trace_id",
        true,
        LogsEncodeOptions::compacted(),
    )
    .await;
    let lvl3 = measure(
        "json + random trace_id, zstd 3",
        true,
        LogsEncodeOptions::default(),
    )
    .await;
    // DESIGN §9 target on repetitive JSON logs (measured 0.078).
    assert!(
        no_trace <= 0.10,
        "repetitive JSON logs: {no_trace:.4} × raw"
    );
    // A random 128-bit trace id per 232-byte line is ≥ 16 incompressible bytes (0.07 × raw)
    // on its own; measured 0.153 (zstd 19 would give 0.135 at ~20× the compaction time).
    assert!(
        trace <= 0.17,
        "JSON logs with random trace ids: {trace:.4} × raw"
    );
    // Compacted objects use zstd 9: smaller than zstd 3 (measured 0.167).
    assert!(lvl3 > trace, "zstd 3 {lvl3:.4} vs zstd 9 {trace:.4}");
}
