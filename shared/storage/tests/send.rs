//! The storage futures are `Send`, so axum handlers and `tokio::spawn` can await them.

use lakewatch_model::{MetricsBatch, TenantId};
use lakewatch_storage::compact::{run_once, CompactionOptions};
use lakewatch_storage::{MetricsReader, MetricsWriter, Store};

fn assert_send<T: Send>(_: &T) {}

#[test]
fn futures_are_send() {
    let store = Store::memory();
    let t = TenantId::anonymous();
    let r = MetricsReader::new(store.clone());
    let w = MetricsWriter::new(store.clone());
    let b = MetricsBatch::default();
    let opts = CompactionOptions::default();
    assert_send(&w.write(&t, &b));
    assert_send(&r.select(&t, &[], 0, 1));
    assert_send(&r.series(&t, &[], 0, 1));
    assert_send(&r.label_names(&t, &[], 0, 1));
    assert_send(&r.label_values(&t, "job", &[], 0, 1));
    assert_send(&r.exemplars(&t, &[], 0, 1));
    assert_send(&r.metadata(&t));
    assert_send(&run_once(&store, &opts));
}

/// What axum and `tokio::spawn` need: the futures, inside an owning `async move`, are `Send`
/// for any lifetime (this is where rust-lang/rust#102211 bites).
#[tokio::test]
async fn spawnable() {
    let store = Store::memory();
    let r = MetricsReader::new(store.clone());
    let w = MetricsWriter::new(store.clone());
    let s2 = store.clone();
    let a = tokio::spawn(async move {
        let t = TenantId::anonymous();
        w.write(&t, &MetricsBatch::default()).await.unwrap();
        let sets: Vec<Vec<lakewatch_model::LabelMatcher>> = vec![];
        r.select(&t, &[], 0, 1).await.unwrap();
        r.series(&t, &sets, 0, 1).await.unwrap();
        r.label_names(&t, &sets, 0, 1).await.unwrap();
        r.label_values(&t, "a", &sets, 0, 1).await.unwrap();
        r.exemplars(&t, &sets, 0, 1).await.unwrap();
        r.metadata(&t).await.unwrap();
    });
    let b =
        tokio::spawn(async move { run_once(&s2, &CompactionOptions::default()).await.unwrap() });
    a.await.unwrap();
    b.await.unwrap();
}
