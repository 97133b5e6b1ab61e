//! Developer helper (ignored by default): fills the store named by `LAKEWATCH_STORE_URL` with
//! 10 L0 objects of synthetic counters for tenant `demo`, e.g. to try the `compactor` function:
//! `LAKEWATCH_STORE_URL=/tmp/lw cargo test -p lakewatch-storage --test fill -- --ignored`.

mod common;

use lakewatch_model::TenantId;
use lakewatch_storage::{MetricsWriter, Store};

#[tokio::test]
#[ignore]
async fn fill_store_from_env() {
    let store = Store::from_env().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let data = common::counters(100, 20, now - 20 * 15_000, 15_000, 1);
    let w = MetricsWriter::new(store);
    let t = TenantId::new("demo").unwrap();
    for b in common::remote_write_batches(&data, 200) {
        w.write(&t, &b).await.unwrap();
    }
}
