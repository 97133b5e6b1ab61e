//! Writer → manifest → reader → compactor round trips on `memory://` and `file://`.

mod common;

use lakewatch_model::{
    is_stale_nan, BucketSpan, Exemplar, FloatHistogram, LabelMatcher, Labels, MatchOp,
    MetricMetadata, MetricType, MetricsBatch, Sample, Signal, TenantId, TimeSeries, STALE_NAN_BITS,
};
use lakewatch_storage::compact::{run_once, CompactionOptions};
use lakewatch_storage::{ManifestLog, MetricsReader, MetricsWriter, Store};
use std::time::Duration;

/// Series as comparable bit patterns (NaN != NaN otherwise).
type SeriesBits = (Labels, Vec<(i64, u64)>, usize);

fn bits(s: &[TimeSeries]) -> Vec<SeriesBits> {
    s.iter()
        .map(|t| {
            (
                t.labels.clone(),
                t.samples
                    .iter()
                    .map(|x| (x.timestamp_ms, x.value.to_bits()))
                    .collect(),
                t.histograms.len(),
            )
        })
        .collect()
}

fn chrono_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn m(op: MatchOp, n: &str, v: &str) -> LabelMatcher {
    LabelMatcher::new(op, n, v).unwrap()
}

fn hist(c: f64) -> FloatHistogram {
    FloatHistogram {
        schema: 3,
        count: c,
        sum: c * 1.5,
        zero_threshold: 1e-128,
        positive_spans: vec![BucketSpan {
            offset: 1,
            length: 2,
        }],
        positive_buckets: vec![c / 2.0, c / 2.0],
        ..Default::default()
    }
}

fn sample_batch(t0: i64) -> MetricsBatch {
    let up = Labels::from_pairs([("__name__", "up"), ("job", "api"), ("instance", "a:1")]);
    let up2 = Labels::from_pairs([("__name__", "up"), ("job", "db"), ("instance", "b:1")]);
    let lat = Labels::from_pairs([("__name__", "latency_seconds"), ("job", "api")]);
    MetricsBatch {
        series: vec![
            TimeSeries {
                labels: up.clone(),
                samples: vec![
                    Sample {
                        timestamp_ms: t0,
                        value: 1.0,
                    },
                    Sample {
                        timestamp_ms: t0 + 15_000,
                        value: 0.0,
                    },
                    Sample {
                        timestamp_ms: t0 + 30_000,
                        value: f64::from_bits(STALE_NAN_BITS),
                    },
                ],
                exemplars: vec![Exemplar {
                    labels: Labels::from_pairs([("trace_id", "abc123")]),
                    value: 1.0,
                    timestamp_ms: t0 + 1,
                }],
                ..Default::default()
            },
            TimeSeries {
                labels: up2,
                samples: vec![Sample {
                    timestamp_ms: t0,
                    value: 1.0,
                }],
                ..Default::default()
            },
            TimeSeries {
                labels: lat,
                histograms: vec![(t0, hist(4.0)), (t0 + 15_000, hist(8.0))],
                ..Default::default()
            },
        ],
        metadata: vec![MetricMetadata {
            metric_family_name: "up".into(),
            metric_type: MetricType::Gauge,
            help: "Target up.".into(),
            unit: String::new(),
        }],
    }
}

async fn roundtrip(store: Store) {
    let t = TenantId::new("team-a").unwrap();
    let w = MetricsWriter::new(store.clone());
    let r = MetricsReader::new(store.clone());
    let t0 = (chrono_now_ms() - 3_600_000) / 1000 * 1000;
    let rec = w.write(&t, &sample_batch(t0)).await.unwrap();
    assert_eq!(
        (rec.series, rec.samples, rec.histograms, rec.exemplars),
        (3, 4, 2, 1)
    );
    assert_eq!(rec.manifest_version, 1);
    // Identical re-send (client retry): stored twice, returned once.
    w.write(&t, &sample_batch(t0)).await.unwrap();

    let up = r
        .select(
            &t,
            &[m(MatchOp::Equal, "__name__", "up")],
            i64::MIN,
            i64::MAX,
        )
        .await
        .unwrap();
    assert_eq!(up.len(), 2);
    assert_eq!(up[0].labels.get("job"), Some("api"));
    assert_eq!(up[0].samples.len(), 3);
    assert!(is_stale_nan(up[0].samples[2].value));
    assert!(up[0].exemplars.is_empty());
    // Time bounds are inclusive.
    let s = r
        .select(
            &t,
            &[m(MatchOp::Equal, "job", "api")],
            t0 + 15_000,
            t0 + 15_000,
        )
        .await
        .unwrap();
    assert_eq!(s.len(), 2);
    let lat = s
        .iter()
        .find(|s| s.labels.metric_name() == Some("latency_seconds"))
        .unwrap();
    assert_eq!(lat.histograms, vec![(t0 + 15_000, hist(8.0))]);
    assert_eq!(
        s.iter()
            .find(|s| s.labels.metric_name() == Some("up"))
            .unwrap()
            .samples,
        vec![Sample {
            timestamp_ms: t0 + 15_000,
            value: 0.0
        }]
    );
    // Regex, negative matchers, missing names.
    let s = r
        .select(
            &t,
            &[
                m(MatchOp::Regex, "__name__", "u.*"),
                m(MatchOp::NotEqual, "job", "api"),
            ],
            i64::MIN,
            i64::MAX,
        )
        .await
        .unwrap();
    assert_eq!(s.len(), 1);
    assert!(r
        .select(
            &t,
            &[m(MatchOp::Equal, "__name__", "nope")],
            i64::MIN,
            i64::MAX
        )
        .await
        .unwrap()
        .is_empty());
    assert!(r
        .select(
            &t,
            &[m(MatchOp::Equal, "__name__", "up")],
            t0 + 31_000,
            i64::MAX
        )
        .await
        .unwrap()
        .is_empty());
    // Other tenants see nothing.
    let other = TenantId::new("team-b").unwrap();
    assert!(r
        .select(
            &other,
            &[m(MatchOp::Regex, "__name__", ".+")],
            i64::MIN,
            i64::MAX
        )
        .await
        .unwrap()
        .is_empty());

    assert_eq!(
        r.series(&t, &[], i64::MIN, i64::MAX).await.unwrap().len(),
        3
    );
    assert_eq!(
        r.series(
            &t,
            &[
                vec![m(MatchOp::Equal, "job", "db")],
                vec![m(MatchOp::Equal, "__name__", "latency_seconds")]
            ],
            i64::MIN,
            i64::MAX
        )
        .await
        .unwrap()
        .len(),
        2
    );
    assert_eq!(
        r.label_names(&t, &[], i64::MIN, i64::MAX).await.unwrap(),
        vec!["__name__", "instance", "job"]
    );
    assert_eq!(
        r.label_values(&t, "job", &[], i64::MIN, i64::MAX)
            .await
            .unwrap(),
        vec!["api", "db"]
    );
    assert_eq!(
        r.label_values(
            &t,
            "instance",
            &[vec![m(MatchOp::Equal, "job", "db")]],
            i64::MIN,
            i64::MAX
        )
        .await
        .unwrap(),
        vec!["b:1"]
    );
    let ex = r
        .exemplars(
            &t,
            &[vec![m(MatchOp::Equal, "__name__", "up")]],
            i64::MIN,
            i64::MAX,
        )
        .await
        .unwrap();
    assert_eq!(ex.len(), 1);
    assert_eq!(ex[0].1.len(), 1, "identical exemplars kept once");
    assert_eq!(ex[0].1[0].labels.get("trace_id"), Some("abc123"));
    let md = r.metadata(&t).await.unwrap();
    assert_eq!(md.len(), 1);
    assert_eq!(md[0].metric_type, MetricType::Gauge);

    // Compaction keeps exactly the same answers.
    let opts = CompactionOptions {
        l0_min_objects: 2,
        l1_min_objects: 1,
        gc_grace: Duration::ZERO,
        ..Default::default()
    };
    let st = run_once(&store, &opts).await.unwrap();
    assert_eq!(st.errors, 0, "{st:?}");
    assert_eq!(st.merges, 2, "{st:?}"); // L0->L1, then L1->L2
    let after = r
        .select(
            &t,
            &[m(MatchOp::Equal, "__name__", "up")],
            i64::MIN,
            i64::MAX,
        )
        .await
        .unwrap();
    assert_eq!(bits(&after), bits(&up));
    assert_eq!(r.exemplars(&t, &[], i64::MIN, i64::MAX).await.unwrap(), ex);
    assert_eq!(r.metadata(&t).await.unwrap(), md);
    let manifest = ManifestLog::new(store.clone(), t.clone(), Signal::Metrics)
        .load()
        .await
        .unwrap();
    assert_eq!(manifest.objects.len(), 1);
    assert_eq!(manifest.objects[0].level, 2);
    assert_eq!(
        manifest.objects[0].rows, 7,
        "duplicates removed: 4 samples + 2 histograms + 1 exemplar"
    );
    assert!(
        manifest.tombstones.is_empty(),
        "grace 0: removed objects are deleted"
    );
    let data = store
        .list(&format!("{}/metrics/objects/", t))
        .await
        .unwrap();
    assert_eq!(data.len(), 1, "only the live object remains: {data:?}");

    // Retention drops old data.
    let st = run_once(
        &store,
        &CompactionOptions {
            retention: Duration::from_secs(60),
            gc_grace: Duration::ZERO,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(st.retention_dropped, 1);
    assert!(r
        .select(&t, &[], i64::MIN, i64::MAX)
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .list(&format!("{}/metrics/objects/", t))
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn roundtrip_memory() {
    roundtrip(Store::from_url("memory://").unwrap()).await;
}

#[tokio::test]
async fn roundtrip_file() {
    let dir = common::temp_dir("rt");
    roundtrip(Store::from_url(&format!("file://{}", dir.display())).unwrap()).await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn store_urls() {
    let dir = common::temp_dir("url");
    let rel = dir.join("nested/data");
    let s = Store::from_url(rel.to_str().unwrap()).unwrap();
    assert!(rel.is_dir());
    s.put_create("x/y.json", "1".into()).await.unwrap();
    assert!(
        s.put_create("x/y.json", "2".into()).await.is_err(),
        "Create must not overwrite"
    );
    assert!(Store::from_url("ftp://x").is_err());
    assert!(Store::from_url("file://relative").is_err());
    assert!(Store::from_url("s3://").is_err());
    let _ = std::fs::remove_dir_all(dir);
}

/// Many writers racing for manifest versions: every commit lands exactly once.
async fn manifest_races(store: Store) {
    let t = TenantId::new("race").unwrap();
    let w = MetricsWriter::new(store.clone());
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let w = w.clone();
            let t = t.clone();
            tokio::spawn(async move {
                let b = MetricsBatch {
                    series: vec![TimeSeries {
                        labels: Labels::from_pairs([("__name__", "x"), ("i", &i.to_string())]),
                        samples: vec![Sample {
                            timestamp_ms: 1000,
                            value: i as f64,
                        }],
                        ..Default::default()
                    }],
                    metadata: vec![],
                };
                w.write(&t, &b).await.unwrap()
            })
        })
        .collect();
    let mut versions = Vec::new();
    for task in tasks {
        versions.push(task.await.unwrap().manifest_version);
    }
    versions.sort();
    assert_eq!(versions, (1..=16).collect::<Vec<u64>>());
    let man = ManifestLog::new(store.clone(), t.clone(), Signal::Metrics)
        .load()
        .await
        .unwrap();
    assert_eq!(man.version, 16);
    assert_eq!(man.objects.len(), 16);
    let r = MetricsReader::new(store);
    assert_eq!(r.select(&t, &[], 0, 2000).await.unwrap().len(), 16);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn manifest_races_memory() {
    manifest_races(Store::memory()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn manifest_races_file() {
    let dir = common::temp_dir("race");
    manifest_races(Store::from_url(dir.to_str().unwrap()).unwrap()).await;
    let _ = std::fs::remove_dir_all(dir);
}
