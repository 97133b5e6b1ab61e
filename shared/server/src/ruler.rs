//! The ruler schedule, in-process (the `ruler` Lambda runs the same pass on an EventBridge
//! schedule). A pass evaluates only the groups whose slot came, so ticking more often than the
//! group intervals evaluates each slot once, close to its time.

use lakewatch_ruler::schedule::{now_ms, Ruler};
use std::time::Duration;
use tokio::sync::watch;

/// Runs [`Ruler::run_pass`] every `interval` until `stop` turns `true`. Failures are logged
/// (the report's errors) and the next tick tries again; a zero interval returns at once.
/// Each pass adds to `lakewatch_ruler_evaluations_total`, `lakewatch_ruler_missed_iterations_total`,
/// `lakewatch_ruler_alerts_sent_total` and `lakewatch_errors_total{component="ruler"}`.
pub async fn run(ruler: Ruler, interval: Duration, stop: watch::Receiver<bool>) {
    crate::every::every(interval, true, stop, || async {
        let report = ruler.run_pass(now_ms()).await;
        let metrics = lakewatch_api::selfmon::global();
        metrics.record_ruler_pass(
            report.evaluated as u64,
            report.missed_iterations,
            report.alerts_sent as u64,
        );
        metrics.record_error("ruler", report.errors.len() as u64);
        if !report.errors.is_empty() {
            tracing::warn!(errors = ?report.errors, "ruler pass had errors");
        }
        if report.evaluated > 0 {
            tracing::info!(
                evaluated = report.evaluated,
                samples = report.samples_written,
                alerts_sent = report.alerts_sent,
                missed = report.missed_iterations,
                "ruler pass"
            );
        }
    })
    .await
}
