//! The one loop behind the in-process schedules (compactor, ruler, self-monitoring scrape).

use std::future::Future;
use std::time::Duration;
use tokio::sync::watch;

/// Runs `tick` every `interval` until `stop` turns `true` (checked between ticks; a running
/// tick is finished). The first tick comes at once with `immediate`, else after one interval.
/// A late tick is delayed, never doubled. A zero interval returns at once.
pub async fn every<F, Fut>(
    interval: Duration,
    immediate: bool,
    mut stop: watch::Receiver<bool>,
    mut tick: F,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    if interval.is_zero() {
        return;
    }
    let first = tokio::time::Instant::now() + if immediate { Duration::ZERO } else { interval };
    let mut ticker = tokio::time::interval_at(first, interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => tick().await,
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
    }
}
