//! Rough timing of a dashboard-sized range query through the whole HTTP path (ignored by
//! default; run with `cargo test -p lakewatch-api --test bench -- --ignored --nocapture`).

mod common;

use common::*;
use lakewatch_model::{MetricsBatch, TenantId};
use lakewatch_storage::MetricsWriter;
use std::time::Instant;

#[tokio::test]
#[ignore]
async fn range_query_2000_series() {
    let app = app().await;
    let samples: Vec<(i64, f64)> = (0..240).map(|i| (i * 15_000, i as f64)).collect();
    let batch = MetricsBatch {
        series: (0..2000)
            .map(|i| {
                series(
                    &[
                        ("__name__", "bench_total"),
                        ("pod", &format!("pod-{i}")),
                        ("code", if i % 2 == 0 { "200" } else { "500" }),
                    ],
                    &samples,
                )
            })
            .collect(),
        metadata: vec![],
    };
    MetricsWriter::new(app.store.clone())
        .write(&TenantId::anonymous(), &batch)
        .await
        .unwrap();
    for q in [
        "sum by (code) (rate(bench_total[1m]))",
        "rate(bench_total[1m])",
        "bench_total",
    ] {
        let t = Instant::now();
        let r = get(
            &app,
            &format!(
                "/api/v1/query_range?query={}&start=0&end=3600&step=15&stats=all",
                enc(q)
            ),
        )
        .await;
        let took = t.elapsed();
        assert_eq!(r.status, 200);
        let v = r.json();
        println!(
            "{q}: {:?}, {} bytes, timings {}",
            took,
            r.body.len(),
            v["data"]["stats"]["timings"]
        );
    }
}
