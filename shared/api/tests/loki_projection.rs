//! Metric queries that only count entries fetch them without lines
//! (`LineProjection::None`); their answers must equal those of the same queries reading
//! lines, also with re-sent entries in several objects, distinct entries at one timestamp
//! and several selectors.

mod loki_common;

use lakewatch_api::{App, QueryConfig};
use lakewatch_model::{Labels, LogEntry, LogStream, LogsBatch, TenantId};
use lakewatch_storage::{AuthConfig, LogsWriter, Store};
use loki_common::*;

fn batch(app: &str, entries: &[(i64, &str)]) -> LogsBatch {
    LogsBatch {
        streams: vec![LogStream {
            labels: Labels::from_pairs([("app", app), ("env", "prod")]),
            entries: entries
                .iter()
                .map(|(t, line)| LogEntry {
                    timestamp_ns: T0 + t * SEC,
                    line: line.to_string(),
                    structured_metadata: Labels::from_pairs([("detected_level", "info")]),
                })
                .collect(),
        }],
    }
}

async fn app_with_duplicates() -> App {
    let store = Store::memory();
    let w = LogsWriter::new(store.clone());
    let t = TenantId::anonymous();
    // `a`: three distinct lines at T0 + 1 s, then one more; re-sent (same object content
    // again: a client retry not yet compacted).
    let a = batch("a", &[(1, "x"), (1, "y"), (1, "z"), (20, "w")]);
    w.write(&t, &a).await.expect("write");
    w.write(&t, &a).await.expect("write again");
    // `b`: two objects with disjoint times, equal timestamps within each.
    w.write(&t, &batch("b", &[(2, "p"), (2, "q")]))
        .await
        .expect("write");
    w.write(&t, &batch("b", &[(40, "r"), (40, "s"), (41, "t")]))
        .await
        .expect("write");
    App::new(store, AuthConfig::disabled(), QueryConfig::default())
}

async fn matrix(app: &App, query: &str) -> serde_json::Value {
    let r = get(
        app,
        "/loki/api/v1/query_range",
        &[
            ("query", query),
            ("start", &(T0 + 60 * SEC).to_string()),
            ("end", &(T0 + 120 * SEC).to_string()),
            ("step", "30s"),
        ],
    )
    .await;
    assert_eq!(r.status, 200, "{query}: {}", r.text());
    r.json()["data"]["result"].clone()
}

#[tokio::test]
async fn counts_without_lines_match_counts_with_lines() {
    let app = app_with_duplicates().await;
    for (bare, with_lines) in [
        (
            r#"count_over_time({env="prod"}[1m])"#,
            r#"count_over_time({env="prod"} |= "" | drop none [1m])"#,
        ),
        (
            r#"sum by (app) (rate({env="prod"}[90s]))"#,
            r#"sum by (app) (rate({env="prod"} | drop none [90s]))"#,
        ),
        (
            r#"sum(count_over_time({app="a"}[2m])) + sum(count_over_time({app="a"}[2m]))"#,
            r#"sum(count_over_time({app="a"} | drop none [2m])) * 2"#,
        ),
        (
            r#"count_over_time({app="a"}[2m]) / count_over_time({app=~"a|b"}[2m])"#,
            r#"count_over_time({app="a"} | drop none [2m]) / count_over_time({app=~"a|b"} | drop none [2m])"#,
        ),
        (
            r#"absent_over_time({app="c"}[1m])"#,
            r#"absent_over_time({app="c"} | drop none [1m])"#,
        ),
    ] {
        let got = matrix(&app, bare).await;
        let want = matrix(&app, with_lines).await;
        assert_eq!(got, want, "{bare}");
        assert!(
            got.as_array().is_some_and(|a| !a.is_empty()),
            "{bare}: {got}"
        );
    }
    // Exact counts at T0 + 60 s: a has 4 distinct entries (the re-sent copy dropped),
    // b 5.
    let v = matrix(&app, r#"sum by (app) (count_over_time({env="prod"}[1m]))"#).await;
    assert_eq!(v[0]["metric"]["app"], "a");
    assert_eq!(v[0]["values"][0][1], "4");
    assert_eq!(v[1]["values"][0][1], "5");
}
