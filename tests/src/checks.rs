//! Named checks of the client end-to-end tests (Loki clients, OpenTelemetry SDK traces),
//! printed as they run and summed up at the end of a test.

use std::future::Future;
use std::time::{Duration, Instant};

/// Checks made and failures.
#[derive(Default)]
pub struct Checks {
    pub total: usize,
    pub failures: Vec<String>,
}

impl Checks {
    /// Records one check's outcome.
    pub fn record(&mut self, phase: &str, name: &str, outcome: Result<(), String>) {
        self.total += 1;
        match outcome {
            Ok(()) => println!("OK    [{phase}] {name}"),
            Err(e) => {
                println!("FAIL  [{phase}] {name}\n      {e}");
                self.failures.push(format!("[{phase}] {name}: {e}"));
            }
        }
    }

    /// Prints the totals and panics when a check failed.
    pub fn assert_all_passed(&self, what: &str) {
        println!(
            "{what}: {} checks, {} passed, {} failed",
            self.total,
            self.total - self.failures.len(),
            self.failures.len()
        );
        assert!(
            self.failures.is_empty(),
            "{} of {} {what} checks failed:\n{}",
            self.failures.len(),
            self.total,
            self.failures.join("\n")
        );
    }
}

/// `Ok` when `cond`, else `Err(msg())`.
pub fn ensure(cond: bool, msg: impl FnOnce() -> String) -> Result<(), String> {
    if cond {
        Ok(())
    } else {
        Err(msg())
    }
}

/// Runs `check` until it passes or `timeout` has passed (every 500 ms); returns the last
/// outcome. For results that a background step (span-metric flushes) makes visible later.
pub async fn eventually<F, Fut>(timeout: Duration, mut check: F) -> Result<(), String>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        let r = check().await;
        if r.is_ok() || Instant::now() >= deadline {
            return r;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
