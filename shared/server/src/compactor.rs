//! The compactor schedule, in-process (the `compactor` Lambda runs the same pass on an
//! EventBridge schedule).

use crate::backend::Backend;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Runs [`Backend::compact_once`] every `interval` until `stop` turns `true`.
/// Failures are logged and retried at the next tick; a zero interval returns at once.
pub async fn run(backend: Arc<Backend>, interval: Duration, stop: watch::Receiver<bool>) {
    crate::every::every(interval, false, stop, || async {
        match backend.compact_once().await {
            Ok(summary) => tracing::info!(%summary, "compaction pass"),
            Err(e) => tracing::warn!(error = %e, "compaction pass failed"),
        }
    })
    .await
}
