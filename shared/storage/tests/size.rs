//! Bytes per sample on a realistic synthetic dataset: 1000 counter series scraped every 15 s
//! for 3 h, ingested as Prometheus-sized remote-write batches (2000 samples), then compacted.

mod common;

use lakewatch_model::{LabelMatcher, MatchOp};
use lakewatch_model::{Signal, TenantId, TimeSeries};
use lakewatch_storage::compact::{run_once, CompactionOptions};
use lakewatch_storage::{ManifestLog, MetricsReader, MetricsWriter, Store};
use object_store::memory::InMemory;
use parquet::file::reader::{FileReader, SerializedFileReader};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

const SERIES: usize = 1000;
const STEPS: usize = 720; // 3 h at 15 s
const STEP_MS: i64 = 15_000;

async fn measure(name: &str, data: Vec<TimeSeries>) -> f64 {
    let counting = Arc::new(lakewatch_storage::CountingStore::new(Arc::new(
        InMemory::new(),
    )));
    let store = Store::new(counting.clone(), "");
    let tenant = TenantId::new("size").unwrap();
    let samples = (SERIES * STEPS) as f64;
    let writer = MetricsWriter::new(store.clone());
    let batches = common::remote_write_batches(&data, 2000);
    let t = Instant::now();
    let mut l0_bytes = 0u64;
    for b in &batches {
        l0_bytes += writer.write(&tenant, b).await.unwrap().bytes;
    }
    let write_time = t.elapsed();
    let manifest_bytes = store
        .list(&format!("{tenant}/metrics/manifest/"))
        .await
        .unwrap()
        .iter()
        .map(|(_, m)| m.size)
        .max()
        .unwrap_or(0);
    let opts = CompactionOptions {
        window_settle: Duration::ZERO,
        gc_grace: Duration::ZERO,
        ..Default::default()
    };
    let t = Instant::now();
    let st = run_once(&store, &opts).await.unwrap();
    let compact_time = t.elapsed();
    assert_eq!(st.errors, 0, "{st:?}");
    let manifest = ManifestLog::new(store.clone(), tenant.clone(), Signal::Metrics)
        .load()
        .await
        .unwrap();
    assert!(manifest.objects.iter().all(|o| o.level == 2));
    let l2_bytes: u64 = manifest.objects.iter().map(|o| o.size_bytes).sum();
    let rows: u64 = manifest.objects.iter().map(|o| o.rows).sum();
    assert_eq!(rows as usize, SERIES * STEPS);
    // Per-column compressed bytes across the L2 objects.
    let mut cols: BTreeMap<String, i64> = BTreeMap::new();
    for o in &manifest.objects {
        let bytes = store.get(&o.key).await.unwrap();
        let r = SerializedFileReader::new(bytes).unwrap();
        for rg in r.metadata().row_groups() {
            for c in rg.columns() {
                let n = c.column_path().string();
                let n = if n.starts_with("l_") {
                    "l_* (5 label columns)".to_string()
                } else {
                    n
                };
                if n == "value_int" && std::env::var("SIZE_DEBUG").is_ok() {
                    println!(
                        "value_int encodings {:?} compressed {} uncompressed {}",
                        c.encodings().collect::<Vec<_>>(),
                        c.compressed_size(),
                        c.uncompressed_size()
                    );
                }
                *cols.entry(n).or_default() += c.compressed_size();
            }
        }
    }
    let breakdown: Vec<String> = cols
        .iter()
        .map(|(k, v)| format!("{k} {:.3}", *v as f64 / samples))
        .collect();
    // Query everything back once.
    let t = Instant::now();
    let all = MetricsReader::new(store.clone())
        .select(&tenant, &[], i64::MIN, i64::MAX)
        .await
        .unwrap();
    let read_time = t.elapsed();
    assert_eq!(
        all.iter().map(|s| s.samples.len()).sum::<usize>(),
        SERIES * STEPS
    );
    let mut want = data.clone();
    want.sort_by(|a, b| a.labels.cmp(&b.labels));
    assert_eq!(all, want, "read back exactly what was written");
    // A selective dashboard query: one metric (50 of 1000 series), the last hour.
    let maxt = data[0].samples.last().unwrap().timestamp_ms;
    let mint = maxt - 3_600_000;
    let sel = [LabelMatcher::new(MatchOp::Equal, "__name__", "http_requests_total").unwrap()];
    let reader = MetricsReader::new(store.clone());
    let mut sel_report = Vec::new();
    let want_per_series: Vec<usize> = data
        .iter()
        .filter(|s| s.labels.metric_name() == Some("http_requests_total"))
        .map(|s| {
            s.samples
                .iter()
                .filter(|x| x.timestamp_ms >= mint && x.timestamp_ms <= maxt)
                .count()
        })
        .collect();
    lakewatch_storage::metrics::object_reader::clear_footer_cache();
    for pass in ["cold", "warm"] {
        counting.take();
        let t = Instant::now();
        let got = reader.select(&tenant, &sel, mint, maxt).await.unwrap();
        let el = t.elapsed();
        let (gets, bytes) = counting.take();
        assert_eq!(got.len(), 50);
        assert_eq!(
            got.iter().map(|s| s.samples.len()).sum::<usize>(),
            want_per_series.iter().sum::<usize>()
        );
        sel_report.push(format!("{pass}: {gets} GETs {bytes} bytes {el:.2?}"));
    }
    let bps = l2_bytes as f64 / samples;
    println!(
        "[{name}] {SERIES} series x {STEPS} samples ({} samples): L0 {} objects {:.2} B/sample (write {:.2?}, manifest {} bytes); \
         compacted {} L2 objects {} bytes = {:.3} B/sample (compaction {:.2?}); columns B/sample: {}; full read {:.2?}; selective query (1 metric = 50 series, last 1 h, {} objects) {}",
        SERIES * STEPS,
        batches.len(),
        l0_bytes as f64 / samples,
        write_time,
        manifest_bytes,
        manifest.objects.len(),
        l2_bytes,
        bps,
        compact_time,
        breakdown.join(", "),
        read_time,
        manifest.objects.len(),
        sel_report.join(", "),
    );
    bps
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bytes_per_sample_after_compaction() {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let start = (now - 8 * 3_600_000) / 7_200_000 * 7_200_000;
    let aligned = common::counters(SERIES, STEPS, start, STEP_MS, 42);
    let bps = measure("aligned 15s counters", aligned.clone()).await;
    assert!(
        bps <= 1.5,
        "compacted counters should take at most 1.5 B/sample, got {bps:.3}"
    );
    measure(
        "storage_perf mix: 40% int counters, 20% cpu, 30% step gauges, 10% const",
        common::mixed(SERIES, STEPS, start, STEP_MS, 42),
    )
    .await;
    // Real scrapes jitter by a few ms.
    let mut rng = common::Lcg(7);
    let mut jittered = aligned;
    for s in &mut jittered {
        for x in &mut s.samples {
            x.timestamp_ms += (rng.next() % 7) as i64 - 3;
        }
    }
    measure("counters with +-3 ms jitter", jittered).await;
}
