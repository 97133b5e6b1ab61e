//! The logs storage futures are `Send` for any lifetime, so axum handlers and `tokio::spawn`
//! can await them (rust-lang/rust#102211 bites with higher-ranked closures).

use lakewatch_model::{LogsBatch, TenantId};
use lakewatch_storage::{LogSelect, LogsReader, LogsWriter, Store};

#[tokio::test]
async fn logs_futures_are_spawnable() {
    let store = Store::memory();
    let r = LogsReader::new(store.clone());
    let w = LogsWriter::new(store.clone());
    tokio::spawn(async move {
        let t = TenantId::anonymous();
        let matchers: Vec<lakewatch_model::LabelMatcher> = vec![];
        w.write(&t, &LogsBatch::default()).await.unwrap();
        r.select(&t, &LogSelect::default()).await.unwrap();
        r.series(&t, &matchers, 0, 1).await.unwrap();
        r.stream_stats(&t, &matchers, 0, 1).await.unwrap();
        r.label_names(&t, &matchers, 0, 1).await.unwrap();
        r.label_values(&t, "app", &matchers, 0, 1).await.unwrap();
    })
    .await
    .unwrap();
}
