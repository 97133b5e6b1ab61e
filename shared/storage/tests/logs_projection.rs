//! `LogsReader::select_projected` with `LineProjection::None`: the same entries as `select`
//! (timestamps, structured metadata, count per stream) with empty lines, also when a stream
//! has distinct entries at one timestamp and when re-sent entries sit in several objects.

use lakewatch_model::{LabelMatcher, Labels, LogEntry, LogStream, LogsBatch, MatchOp, TenantId};
use lakewatch_storage::{LineProjection, LogSelect, LogsReader, LogsWriter, Store};

const S: i64 = 1_000_000_000;
const T0: i64 = 1_767_225_600 * S;

fn entry(ts: i64, line: &str, md: &[(&str, &str)]) -> LogEntry {
    LogEntry {
        timestamp_ns: ts,
        line: line.to_string(),
        structured_metadata: Labels::from_pairs(md.iter().copied()),
    }
}

fn stream(pairs: &[(&str, &str)], entries: Vec<LogEntry>) -> LogStream {
    LogStream {
        labels: Labels::from_pairs(pairs.iter().copied()),
        entries,
    }
}

/// `(labels, [(ts, metadata)])` per stream, timestamps ascending (order within one timestamp
/// normalised), lines dropped.
fn shape(streams: &[LogStream]) -> Vec<(Labels, Vec<(i64, Labels)>)> {
    streams
        .iter()
        .map(|s| {
            let mut v: Vec<(i64, Labels)> = s
                .entries
                .iter()
                .map(|e| (e.timestamp_ns, e.structured_metadata.clone()))
                .collect();
            v.sort();
            (s.labels.clone(), v)
        })
        .collect()
}

#[tokio::test]
async fn no_lines_keeps_every_entry() {
    let store = Store::memory();
    let t = TenantId::new("acme").unwrap();
    let w = LogsWriter::new(store.clone());
    let r = LogsReader::new(store.clone());
    // Object 1: stream a has three distinct entries at T0 (two with equal metadata);
    // stream b only lives here.
    let first = LogsBatch {
        streams: vec![
            stream(
                &[("app", "a")],
                vec![
                    entry(T0, "one", &[]),
                    entry(T0, "two", &[]),
                    entry(T0, "three", &[("k", "v")]),
                    entry(T0 + S, "four", &[]),
                ],
            ),
            stream(&[("app", "b")], vec![entry(T0 + 2 * S, "b1", &[])]),
        ],
    };
    w.write(&t, &first).await.unwrap();
    // Object 2: stream a again at later times (no overlap with object 1); stream c is
    // re-sent (the same entries in objects 2 and 3: overlapping parts).
    let second = LogsBatch {
        streams: vec![
            stream(
                &[("app", "a")],
                vec![
                    entry(T0 + 10 * S, "five", &[]),
                    entry(T0 + 10 * S, "six", &[]),
                ],
            ),
            stream(
                &[("app", "c")],
                vec![entry(T0, "c1", &[]), entry(T0, "c2", &[])],
            ),
        ],
    };
    w.write(&t, &second).await.unwrap();
    let third = LogsBatch {
        streams: vec![stream(
            &[("app", "c")],
            vec![entry(T0, "c1", &[]), entry(T0 + S, "c3", &[])],
        )],
    };
    w.write(&t, &third).await.unwrap();

    let sel = LogSelect {
        matchers: vec![LabelMatcher::new(MatchOp::Regex, "app", ".+").unwrap()],
        start_ns: T0,
        end_ns: T0 + 60 * S,
        line_contains: vec![],
    };
    let full = r.select(&t, &sel).await.unwrap();
    let bare = r
        .select_projected(&t, &sel, LineProjection::None)
        .await
        .unwrap();
    assert_eq!(shape(&full), shape(&bare));
    let counts: Vec<usize> = bare.iter().map(|s| s.entries.len()).collect();
    assert_eq!(counts, vec![6, 1, 3]);
    // Streams a and b are read without lines; c (overlapping parts) with them.
    for s in &bare {
        let app = s.labels.get("app").unwrap_or("");
        let has_lines = s.entries.iter().all(|e| !e.line.is_empty());
        let no_lines = s.entries.iter().all(|e| e.line.is_empty());
        assert!(if app == "c" { has_lines } else { no_lines }, "{app}");
        assert!(s
            .entries
            .windows(2)
            .all(|w| w[0].timestamp_ns <= w[1].timestamp_ns));
    }
    // A time range cutting stream a.
    let cut = LogSelect {
        start_ns: T0 + S,
        end_ns: T0 + 10 * S,
        ..sel.clone()
    };
    let full = r.select(&t, &cut).await.unwrap();
    let bare = r
        .select_projected(&t, &cut, LineProjection::None)
        .await
        .unwrap();
    assert_eq!(shape(&full), shape(&bare));
    // Full is `select`; a `line_contains` hint makes `None` read lines.
    let hinted = LogSelect {
        line_contains: vec!["c".into()],
        ..sel.clone()
    };
    assert_eq!(
        r.select_projected(&t, &hinted, LineProjection::None)
            .await
            .unwrap(),
        r.select(&t, &hinted).await.unwrap()
    );
    // An empty needle keeps every line.
    let empty = LogSelect {
        line_contains: vec![String::new()],
        ..sel.clone()
    };
    assert_eq!(
        r.select(&t, &empty).await.unwrap(),
        r.select(&t, &sel).await.unwrap()
    );
    assert_eq!(
        r.select_projected(&t, &sel, LineProjection::Full)
            .await
            .unwrap(),
        r.select(&t, &sel).await.unwrap()
    );
}
