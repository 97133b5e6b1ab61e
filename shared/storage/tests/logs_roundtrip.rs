//! Logs layout: write/read round trips, pruning by time and matchers, dedupe of re-sent
//! entries, series/labels/stats, compaction levels and retention.

mod common;

use lakewatch_model::{
    LabelMatcher, Labels, LogEntry, LogStream, LogsBatch, MatchOp, Signal, TenantId,
};
use lakewatch_storage::compact::{run_once, CompactionOptions};
use lakewatch_storage::{LogSelect, LogsReader, LogsWriter, ManifestLog, Store};
use std::sync::Arc;
use std::time::Duration;

const S: i64 = 1_000_000_000;
/// 2026-01-01T00:00:00Z in ns plus a sub-ms offset so ms rounding is visible.
const T0: i64 = 1_767_225_600 * S + 123_456;

fn entry(ts: i64, line: &str, md: &[(&str, &str)]) -> LogEntry {
    LogEntry {
        timestamp_ns: ts,
        line: line.to_string(),
        structured_metadata: Labels::from_pairs(md.iter().copied()),
    }
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    Labels::from_pairs(pairs.iter().copied())
}

fn m(op: MatchOp, n: &str, v: &str) -> LabelMatcher {
    LabelMatcher::new(op, n, v).unwrap()
}

fn all(matchers: Vec<LabelMatcher>) -> LogSelect {
    LogSelect {
        matchers,
        start_ns: i64::MIN,
        end_ns: i64::MAX,
        line_contains: vec![],
    }
}

/// `n` streams of `per` entries each, 1 s apart, with metadata on every third entry.
fn many_streams(n: usize, per: usize, t0: i64) -> LogsBatch {
    LogsBatch {
        streams: (0..n)
            .map(|i| LogStream {
                labels: labels(&[
                    ("app", &format!("app{}", i % 7)),
                    ("pod", &format!("pod-{i}")),
                    ("env", "prod"),
                ]),
                entries: (0..per)
                    .map(|k| {
                        let md: Vec<(&str, String)> = if k % 3 == 0 {
                            vec![("trace_id", format!("{i:08x}{k:08x}"))]
                        } else {
                            vec![]
                        };
                        LogEntry {
                            timestamp_ns: t0 + k as i64 * S,
                            line: format!(r#"{{"level":"info","msg":"request {k}","pod":{i}}}"#),
                            structured_metadata: Labels::from_pairs(md),
                        }
                    })
                    .collect(),
            })
            .collect(),
    }
}

#[tokio::test]
async fn roundtrip_metadata_unicode_many_streams() {
    let store = Store::memory();
    let t = TenantId::new("acme").unwrap();
    let w = LogsWriter::new(store.clone());
    let r = LogsReader::new(store.clone());
    let a = labels(&[("app", "api"), ("env", "prod")]);
    let b = labels(&[("app", "ünïcødé"), ("region", "東京")]);
    let batch = LogsBatch {
        streams: vec![
            LogStream {
                labels: a.clone(),
                entries: vec![
                    entry(T0 + 2 * S, "second", &[("trace_id", "abc"), ("user", "u1")]),
                    entry(T0, "first ✓ 日本語 emoji 🚀", &[]),
                    // Same timestamp, different line: both kept, ordered by line.
                    entry(T0, "also first", &[]),
                    // Exact duplicate inside the batch: kept once.
                    entry(T0 + 2 * S, "second", &[("user", "u1"), ("trace_id", "abc")]),
                    // Same ts and line, other metadata: a distinct entry.
                    entry(T0 + 2 * S, "second", &[("trace_id", "def")]),
                    entry(T0 + 3 * S, "", &[]),
                ],
            },
            LogStream {
                labels: b.clone(),
                entries: vec![entry(T0 + S, "tab\tnew\nline \"quoted\" \\ back", &[])],
            },
            // Same labels as `a` in a second stream object: merged.
            LogStream {
                labels: a.clone(),
                entries: vec![entry(T0 + 999_999, "sub-ms", &[])],
            },
            LogStream {
                labels: labels(&[("app", "empty")]),
                entries: vec![],
            },
        ],
    };
    let rec = w.write(&t, &batch).await.unwrap();
    assert_eq!(rec.streams, 2);
    assert_eq!(rec.entries, 7);
    assert!(rec.object_id.is_some() && rec.bytes > 0 && rec.manifest_version == 1);
    assert!(rec.key.starts_with("acme/logs/objects/L0/"), "{}", rec.key);

    let man = ManifestLog::new(store.clone(), t.clone(), Signal::Logs)
        .load()
        .await
        .unwrap();
    let o = &man.objects[0];
    assert_eq!(o.min_time_ms, T0.div_euclid(1_000_000), "floored");
    assert_eq!(o.max_time_ms, (T0 + 3 * S) / 1_000_000 + 1, "ceiled");
    assert_eq!((o.rows, o.samples, o.series), (7, 7, 2));

    let got = r.select(&t, &all(vec![])).await.unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].labels, a);
    let lines: Vec<(i64, &str, String)> = got[0]
        .entries
        .iter()
        .map(|e| {
            (
                e.timestamp_ns - T0,
                e.line.as_str(),
                e.structured_metadata.to_string(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        vec![
            (0, "also first", "{}".to_string()),
            (0, "first ✓ 日本語 emoji 🚀", "{}".to_string()),
            (999_999, "sub-ms", "{}".to_string()),
            (
                2 * S,
                "second",
                r#"{trace_id="abc", user="u1"}"#.to_string()
            ),
            (2 * S, "second", r#"{trace_id="def"}"#.to_string()),
            (3 * S, "", "{}".to_string()),
        ]
    );
    assert_eq!(got[1].labels, b);
    assert_eq!(got[1].entries[0].line, "tab\tnew\nline \"quoted\" \\ back");

    // Many streams in one object (two writes), read back exactly.
    let big = many_streams(300, 20, T0 + 100 * S);
    let rec = w.write(&t, &big).await.unwrap();
    assert_eq!((rec.streams, rec.entries), (300, 6000));
    let got = r
        .select(&t, &all(vec![m(MatchOp::Equal, "env", "prod")]))
        .await
        .unwrap();
    assert_eq!(got.len(), 301, "300 pods + stream a");
    let mut want: Vec<LogStream> = big.streams.clone();
    want.sort_by(|x, y| x.labels.cmp(&y.labels));
    let got_pods: Vec<LogStream> = got
        .into_iter()
        .filter(|s| s.labels.get("pod").is_some())
        .collect();
    assert_eq!(got_pods, want);

    // An empty batch writes nothing.
    let rec = w.write(&t, &LogsBatch::default()).await.unwrap();
    assert_eq!(rec, Default::default());
}

#[tokio::test]
async fn pruning_by_time_matchers_and_line_filters() {
    let counting = Arc::new(lakewatch_storage::CountingStore::new(Arc::new(
        object_store::memory::InMemory::new(),
    )));
    let store = Store::new(counting.clone(), "");
    let t = TenantId::new("acme").unwrap();
    let w = LogsWriter::new(store.clone());
    let r = LogsReader::new(store.clone());
    // Hour 0 and hour 5, two objects; streams app=a/b.
    for (h, tag) in [(0i64, "early"), (5, "late")] {
        let batch = LogsBatch {
            streams: ["a", "b"]
                .iter()
                .map(|app| LogStream {
                    labels: labels(&[("app", app), ("tag", tag)]),
                    entries: (0..10)
                        .map(|k| {
                            entry(
                                T0 + h * 3600 * S + k * S,
                                &format!("{app} {tag} line {k} status={}", 200 + k % 2 * 300),
                                &[],
                            )
                        })
                        .collect(),
                })
                .collect(),
        };
        w.write(&t, &batch).await.unwrap();
    }
    let q = |matchers, start, end, contains: Vec<&str>| LogSelect {
        matchers,
        start_ns: start,
        end_ns: end,
        line_contains: contains.into_iter().map(String::from).collect(),
    };
    // Warm footers, then count object reads for a range holding only the first object.
    r.select(&t, &all(vec![])).await.unwrap();
    counting.take();
    let got = r
        .select(&t, &q(vec![], T0, T0 + 3600 * S, vec![]))
        .await
        .unwrap();
    let (gets_one, _) = counting.take();
    assert_eq!(got.len(), 2);
    assert!(got.iter().all(|s| s.labels.get("tag") == Some("early")));
    r.select(&t, &all(vec![])).await.unwrap();
    let (gets_all, _) = counting.take();
    assert!(
        gets_one < gets_all,
        "the late object is skipped: {gets_one} vs {gets_all} GETs"
    );

    // [start, end): start inclusive, end exclusive, at ns precision.
    let got = r
        .select(
            &t,
            &q(
                vec![m(MatchOp::Equal, "app", "a")],
                T0 + 2 * S,
                T0 + 5 * S,
                vec![],
            ),
        )
        .await
        .unwrap();
    assert_eq!(got.len(), 1);
    let ts: Vec<i64> = got[0]
        .entries
        .iter()
        .map(|e| (e.timestamp_ns - T0) / S)
        .collect();
    assert_eq!(ts, vec![2, 3, 4]);
    let got = r
        .select(&t, &q(vec![], T0 + 2 * S + 1, T0 + 3 * S + 1, vec![]))
        .await
        .unwrap();
    assert!(got.iter().all(|s| s.entries.len() == 1));

    // Matchers: !=, =~, !~, and a label absent from every stream.
    let n = |sel: Vec<LabelMatcher>| {
        let r = r.clone();
        let t = t.clone();
        async move { r.select(&t, &all(sel)).await.unwrap().len() }
    };
    assert_eq!(n(vec![m(MatchOp::NotEqual, "app", "a")]).await, 2);
    assert_eq!(n(vec![m(MatchOp::Regex, "tag", "ea.*")]).await, 2);
    assert_eq!(
        n(vec![
            m(MatchOp::NotRegex, "tag", "ea.*"),
            m(MatchOp::Equal, "app", "b")
        ])
        .await,
        1
    );
    assert_eq!(n(vec![m(MatchOp::Equal, "nope", "x")]).await, 0);
    assert_eq!(n(vec![m(MatchOp::Equal, "nope", "")]).await, 4);

    // line_contains: all needles must appear.
    let got = r
        .select(
            &t,
            &q(vec![], i64::MIN, i64::MAX, vec!["status=500", "late"]),
        )
        .await
        .unwrap();
    assert_eq!(got.len(), 2);
    assert!(got.iter().all(|s| s.entries.len() == 5
        && s.entries
            .iter()
            .all(|e| e.line.contains("status=500 ") || e.line.ends_with("status=500"))));

    // series / label helpers / stats with time bounds.
    let series = r
        .series(&t, &[], T0 + 5 * 3600 * S, i64::MAX)
        .await
        .unwrap();
    assert_eq!(
        series,
        vec![
            labels(&[("app", "a"), ("tag", "late")]),
            labels(&[("app", "b"), ("tag", "late")])
        ]
    );
    // A range inside the object's time span but between entries: no series.
    let none = r
        .series(&t, &[], T0 + 9 * S + 1, T0 + 10 * S)
        .await
        .unwrap();
    assert!(none.is_empty(), "{none:?}");
    let names = r.label_names(&t, &[], i64::MIN, i64::MAX).await.unwrap();
    assert_eq!(names, vec!["app", "tag"]);
    let vals = r
        .label_values(
            &t,
            "tag",
            &[m(MatchOp::Equal, "app", "a")],
            i64::MIN,
            i64::MAX,
        )
        .await
        .unwrap();
    assert_eq!(vals, vec!["early", "late"]);
    let stats = r
        .stream_stats(&t, &[m(MatchOp::Equal, "tag", "early")], T0, T0 + 4 * S)
        .await
        .unwrap();
    assert_eq!(stats.len(), 2);
    assert_eq!(stats[0].entries, 4);
    let bytes: u64 = (0..4)
        .map(|k| format!("a early line {k} status={}", 200 + k % 2 * 300).len() as u64)
        .sum();
    assert_eq!((stats[0].bytes, stats[0].chunks), (bytes, 1));
    // Whole range: answered from the stream table, same figures as reading.
    let stats = r.stream_stats(&t, &[], i64::MIN, i64::MAX).await.unwrap();
    assert_eq!(stats.len(), 4);
    assert!(stats.iter().all(|s| s.entries == 10 && s.chunks == 1));
}

#[tokio::test]
async fn resent_batches_are_returned_once_and_compacted_once() {
    let store = Store::memory();
    let t = TenantId::new("acme").unwrap();
    let w = LogsWriter::new(store.clone());
    let r = LogsReader::new(store.clone());
    let batch = many_streams(5, 10, T0);
    for _ in 0..3 {
        w.write(&t, &batch).await.unwrap();
    }
    // A partially overlapping re-send with one new entry.
    let mut extra = many_streams(1, 11, T0);
    extra.streams[0].entries.drain(..5);
    w.write(&t, &extra).await.unwrap();
    let got = r.select(&t, &all(vec![])).await.unwrap();
    let counts: Vec<usize> = got.iter().map(|s| s.entries.len()).collect();
    assert_eq!(counts, vec![11, 10, 10, 10, 10]);
    let stats = r.stream_stats(&t, &[], i64::MIN, i64::MAX).await.unwrap();
    assert_eq!(stats[0].entries, 11);
    assert_eq!(stats[0].chunks, 4);
    assert_eq!(stats[1].entries, 10);
    assert_eq!(stats[1].chunks, 3);

    let opts = CompactionOptions {
        l0_min_objects: 1,
        l1_min_objects: 1,
        gc_grace: Duration::ZERO,
        // T0 is fixed in the past: keep it.
        retention: Duration::from_secs(100 * 365 * 86400),
        ..Default::default()
    };
    let st = run_once(&store, &opts).await.unwrap();
    assert_eq!(st.errors, 0, "{st:?}");
    assert_eq!(st.merges, 2, "L0->L1 then L1->L2: {st:?}");
    assert_eq!(st.rows_in, 3 * 50 + 6 + 51, "{st:?}");
    let man = ManifestLog::new(store.clone(), t.clone(), Signal::Logs)
        .load()
        .await
        .unwrap();
    assert_eq!(man.objects.len(), 1);
    assert_eq!(man.objects[0].level, 2);
    assert_eq!(man.objects[0].rows, 51);
    let after = r.select(&t, &all(vec![])).await.unwrap();
    assert_eq!(after, got);
    let stats = r.stream_stats(&t, &[], i64::MIN, i64::MAX).await.unwrap();
    assert!(stats.iter().all(|s| s.chunks == 1));
    // Nothing left but the live object (GC grace zero).
    let objs = store.list("acme/logs/objects/").await.unwrap();
    assert_eq!(objs.len(), 1);
    // Metrics of the same tenant were untouched (none written).
    let metrics = ManifestLog::new(store.clone(), t.clone(), Signal::Metrics)
        .load()
        .await
        .unwrap();
    assert_eq!(metrics.version, 0);
}

#[tokio::test]
async fn compaction_splits_windows_and_applies_retention() {
    let store = Store::memory();
    let t = TenantId::new("acme").unwrap();
    let w = LogsWriter::new(store.clone());
    let r = LogsReader::new(store.clone());
    let now_ns = chrono::Utc::now().timestamp_nanos_opt().unwrap();
    let hour = 3600 * S;
    let day = 24 * hour;
    // 40 days old (expired under 30 d retention), and 5 h of recent data in one batch.
    let old = many_streams(3, 5, now_ns - 40 * day);
    w.write(&t, &old).await.unwrap();
    let recent = LogsBatch {
        streams: vec![LogStream {
            labels: labels(&[("app", "recent")]),
            entries: (0..10)
                .map(|k| entry(now_ns - 5 * hour + k * 30 * 60 * S, &format!("e{k}"), &[]))
                .collect(),
        }],
    };
    w.write(&t, &recent).await.unwrap();
    let opts = CompactionOptions {
        l0_min_objects: 1,
        l1_min_objects: 100,
        window: Duration::from_secs(7200),
        window_settle: Duration::from_secs(24 * 3600),
        retention: Duration::from_secs(30 * 86400),
        gc_grace: Duration::from_secs(3600),
        ..Default::default()
    };
    let st = run_once(&store, &opts).await.unwrap();
    assert_eq!(st.errors, 0, "{st:?}");
    assert_eq!(st.retention_dropped, 1);
    assert_eq!(st.merges, 1);
    let man = ManifestLog::new(store.clone(), t.clone(), Signal::Logs)
        .load()
        .await
        .unwrap();
    // 5 h of data on 2 h windows: 3 or 4 L1 objects, each within one window.
    assert!((3..=4).contains(&man.objects.len()), "{:?}", man.objects);
    for o in &man.objects {
        assert_eq!(o.level, 1);
        assert_eq!(
            o.min_time_ms.div_euclid(7_200_000),
            (o.max_time_ms - 1).div_euclid(7_200_000)
        );
    }
    // Removed objects are tombstoned, not yet deleted (grace 1 h).
    assert_eq!(man.tombstones.len(), 2);
    let got = r.select(&t, &all(vec![])).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].entries, recent.streams[0].entries);
    // A second pass with a closed-window rule merges nothing more (windows still open here),
    // and GC after a zero grace deletes the tombstoned objects.
    let st = run_once(
        &store,
        &CompactionOptions {
            gc_grace: Duration::ZERO,
            ..opts.clone()
        },
    )
    .await
    .unwrap();
    assert_eq!(st.gc_deleted_objects, 2, "{st:?}");
    let objs = store.list("acme/logs/objects/").await.unwrap();
    assert_eq!(objs.len(), man.objects.len());
}

#[tokio::test]
async fn page_index_skips_pages_outside_the_range() {
    let counting = Arc::new(lakewatch_storage::CountingStore::new(Arc::new(
        object_store::memory::InMemory::new(),
    )));
    let store = Store::new(counting.clone(), "");
    let t = TenantId::new("acme").unwrap();
    let w = LogsWriter::new(store.clone());
    let r = LogsReader::new(store.clone());
    // Two streams interleaved in time, 60 000 entries each, 100 ms apart, in one object.
    let mut rng = common::Lcg(7);
    let streams: Vec<LogStream> = ["a", "b"]
        .iter()
        .map(|app| LogStream {
            labels: labels(&[("app", app)]),
            entries: (0..60_000i64)
                .map(|k| {
                    entry(
                        T0 + k * 100_000_000,
                        &format!("{app} request {k} took {}ms", rng.next() % 1000),
                        &[],
                    )
                })
                .collect(),
        })
        .collect();
    w.write(
        &t,
        &LogsBatch {
            streams: streams.clone(),
        },
    )
    .await
    .unwrap();
    r.select(&t, &all(vec![])).await.unwrap();
    counting.take();
    let full = r.select(&t, &all(vec![])).await.unwrap();
    let (_, bytes_all) = counting.take();
    assert_eq!(full, streams);
    // Brute-force comparison on ranges, including ones cutting through pages.
    for (a, b) in [
        (0, 1),
        (5, 7),
        (100, 2_000),
        (3_000, 3_001),
        (59_990, 70_000),
        (-5, 3),
    ] {
        let (start, end) = (T0 + a * 100_000_000, T0 + b * 100_000_000);
        let got = r
            .select(
                &t,
                &LogSelect {
                    matchers: vec![m(MatchOp::Equal, "app", "b")],
                    start_ns: start,
                    end_ns: end,
                    line_contains: vec![],
                },
            )
            .await
            .unwrap();
        let (_, bytes) = counting.take();
        let want: Vec<LogEntry> = streams[1]
            .entries
            .iter()
            .filter(|e| e.timestamp_ns >= start && e.timestamp_ns < end)
            .cloned()
            .collect();
        let n = got.first().map_or(0, |s| s.entries.len());
        assert_eq!(n, want.len(), "range {a}..{b}");
        if !want.is_empty() {
            assert_eq!(got[0].entries, want, "range {a}..{b}");
        }
        if b - a <= 10 {
            assert!(
                bytes * 4 < bytes_all,
                "range {a}..{b}: read {bytes} B of {bytes_all} B"
            );
        }
    }
}
