//! Bytes per span at rest for realistic AI-gateway spans (6 spans per trace: HTTP server,
//! rate limiter, Redis, LLM call with `gen_ai.*` attributes, provider HTTP client, response
//! serialisation; about 6 attributes per span, 9 resource attributes) after ingest (L0) and
//! after compaction (L2). Target: ≤ 50 bytes/span after compaction.

mod traces_common;

use lakewatch_model::{Signal, TenantId};
use lakewatch_storage::compact::{run_once, CompactionOptions};
use lakewatch_storage::{ManifestLog, Store, TracesReader, TracesWriter};
use prost::Message;
use std::time::Duration;
use traces_common::*;

const REQUESTS: usize = 40;
const TRACES_PER_REQUEST: usize = 100;

#[tokio::test]
async fn bytes_per_span_after_compaction() {
    let dir = std::env::temp_dir().join(format!("lakewatch-traces-size-{}", std::process::id()));
    let store = Store::from_url(dir.to_str().unwrap()).unwrap();
    let t = TenantId::new("size").unwrap();
    let w = TracesWriter::new(store.clone());
    let now_s = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let t0 = (now_s - 3 * 3600) / 3600 * 3600 * 1_000_000_000;
    let mut rng = Rng(42);
    let (mut l0_bytes, mut spans, mut otlp_bytes) = (0u64, 0u64, 0usize);
    let mut sample = Vec::new();
    for k in 0..REQUESTS {
        // Requests of 5 s of traffic from 4 gateway pods.
        let req = realistic_request(
            &mut rng,
            t0 + k as u64 * TRACES_PER_REQUEST as u64 * 50_000_000,
            TRACES_PER_REQUEST,
            &format!("ai-gateway-7d9f8b-{}", k % 4),
        );
        otlp_bytes += req.iter().map(|r| r.encoded_len()).sum::<usize>();
        let rc = w.write(&t, &req).await.unwrap();
        l0_bytes += rc.bytes;
        spans += rc.spans;
        if k == 7 {
            sample = req;
        }
    }
    let opts = CompactionOptions {
        l0_min_objects: 1,
        l1_min_objects: 1,
        window_settle: Duration::from_secs(0),
        ..Default::default()
    };
    let st = run_once(&store, &opts).await.unwrap();
    assert_eq!(st.errors, 0, "{st:?}");
    let m = ManifestLog::new(store.clone(), t.clone(), Signal::Traces)
        .load()
        .await
        .unwrap();
    assert!(m.objects.iter().all(|o| o.level == 2));
    let l2_bytes: u64 = m.objects.iter().map(|o| o.size_bytes).sum();
    let rows: u64 = m.objects.iter().map(|o| o.rows).sum();
    assert_eq!(rows, spans);
    let per_l0 = l0_bytes as f64 / spans as f64;
    let per_l2 = l2_bytes as f64 / spans as f64;
    println!(
        "traces size: {spans} spans, {} traces, OTLP protobuf {:.1} B/span, L0 {:.1} B/span ({} objects), \
         L2 {:.1} B/span ({} objects, {} bytes)",
        spans / 6,
        otlp_bytes as f64 / spans as f64,
        per_l0,
        REQUESTS,
        per_l2,
        m.objects.len(),
        l2_bytes
    );
    // Compressed bytes per span of each top-level column.
    let mut per_col: std::collections::BTreeMap<String, i64> = Default::default();
    for o in &m.objects {
        let f = std::fs::File::open(dir.join(&o.key)).unwrap();
        let pr = parquet::file::reader::SerializedFileReader::new(f).unwrap();
        for rg in parquet::file::reader::FileReader::metadata(&pr).row_groups() {
            for c in rg.columns() {
                let root = c.column_path().parts()[0].clone();
                *per_col.entry(root).or_default() += c.compressed_size();
            }
        }
    }
    let mut cols: Vec<(String, i64)> = per_col.into_iter().collect();
    cols.sort_by_key(|c| -c.1);
    let breakdown: Vec<String> = cols
        .iter()
        .map(|(n, b)| format!("{n} {:.2}", *b as f64 / spans as f64))
        .collect();
    println!("L2 bytes/span by column: {}", breakdown.join(", "));
    // Still readable exactly after compaction.
    let r = TracesReader::new(store.clone());
    for tid in trace_ids(&sample).iter().step_by(17) {
        let got = r.trace_by_id(&t, tid, None, None).await.unwrap();
        let want: Vec<_> = all_spans(&sample)
            .into_iter()
            .filter(|s| s.trace_id == tid)
            .collect();
        assert_eq!(all_spans(&got), want);
    }
    assert!(per_l2 <= 50.0, "{per_l2:.1} bytes/span after compaction");
    let _ = std::fs::remove_dir_all(dir);
}
