//! Compaction backlog and lag computed from the manifests (DESIGN §5): the L0 objects of
//! every tenant still waiting to be merged, per signal.

use super::registry::SelfMetrics;
use lakewatch_model::Signal;
use lakewatch_storage::manifest::{now_ms, ManifestLog};
use lakewatch_storage::Store;

/// L0 backlog of one signal over every tenant.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Backlog {
    /// L0 objects in the manifests.
    pub objects: u64,
    /// Age in seconds of the oldest L0 object (from its `created_at_ms`), 0 when none.
    pub lag_seconds: f64,
}

/// Reads every tenant's metrics, logs and traces manifests and returns the L0 backlog per
/// signal (`[metrics, logs, traces]`). Errors: listing the tenants or loading a manifest.
pub async fn measure(store: &Store) -> lakewatch_storage::error::Result<[Backlog; 3]> {
    let now = now_ms();
    let mut out = [Backlog::default(); 3];
    let signals = [Signal::Metrics, Signal::Logs, Signal::Traces];
    for tenant in store.list_tenants().await? {
        for (slot, signal) in out.iter_mut().zip(signals) {
            let manifest = ManifestLog::new(store.clone(), tenant.clone(), signal)
                .load()
                .await?;
            for o in manifest.objects.iter().filter(|o| o.level == 0) {
                slot.objects += 1;
                let age = (now - o.created_at_ms).max(0) as f64 / 1000.0;
                slot.lag_seconds = slot.lag_seconds.max(age);
            }
        }
    }
    Ok(out)
}

/// [`measure`]s the backlog and sets `lakewatch_compaction_backlog_objects` and
/// `lakewatch_compaction_lag_seconds` in `metrics`. A failure is logged and counted under
/// `lakewatch_errors_total{component="selfmon"}`; the gauges keep their last values.
pub async fn update(store: &Store, metrics: &SelfMetrics) {
    match measure(store).await {
        Ok(b) => {
            for (signal, b) in super::registry::SIGNALS.into_iter().zip(b) {
                metrics.set_compaction(signal, b.objects, b.lag_seconds);
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "self-monitoring: cannot read the compaction backlog");
            metrics.record_error("selfmon", 1);
        }
    }
}
