//! `compactor` Lambda: on each scheduled (EventBridge) event, runs one compaction pass over
//! every tenant (`lakewatch_storage::compact::run_once`). Configuration: `LAKEWATCH_STORE_URL`
//! and the compaction variables documented in `docs/storage.md`.

use lakewatch_storage::compact::{run_once, CompactionOptions};
use lakewatch_storage::Store;
use lambda_runtime::{service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .without_time()
        .init();
    let store = Store::from_env()?;
    let opts = CompactionOptions::from_env()?;
    let (store, opts) = (&store, &opts);
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            let stats = run_once(store, opts).await?;
            tracing::info!(request_id = %event.context.request_id, ?stats, "compaction pass done");
            Ok::<_, Error>(serde_json::json!({
                "tenants": stats.tenants,
                "merges": stats.merges,
                "conflicts": stats.conflicts,
                "objects_in": stats.objects_in,
                "objects_out": stats.objects_out,
                "bytes_in": stats.bytes_in,
                "bytes_out": stats.bytes_out,
                "retention_dropped": stats.retention_dropped,
                "gc_deleted_objects": stats.gc_deleted_objects,
                "gc_deleted_manifests": stats.gc_deleted_manifests,
                "errors": stats.errors,
            }))
        },
    ))
    .await
}
