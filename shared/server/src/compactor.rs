//! The compactor schedule, in-process (the `compactor` Lambda runs the same pass on an
//! EventBridge schedule).

use crate::backend::Backend;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Runs [`Backend::compact_once`] every `interval` until `stop` turns `true`.
/// Failures are logged and retried at the next tick; a zero interval returns at once.
pub async fn run(backend: Arc<Backend>, interval: Duration, mut stop: watch::Receiver<bool>) {
    if interval.is_zero() {
        return;
    }
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => {
                match backend.compact_once().await {
                    Ok(summary) => tracing::info!(%summary, "compaction pass"),
                    Err(e) => tracing::warn!(error = %e, "compaction pass failed"),
                }
            }
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
    }
}
