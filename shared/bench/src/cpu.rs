//! CPU time of the calling thread, so that one-core rates are not skewed by other processes
//! competing for the (shared) cores: Linux `/proc/thread-self/schedstat`, first field =
//! nanoseconds this thread spent running on a CPU.

use std::time::Duration;

/// Nanoseconds of CPU time used by this thread so far (`None` if the file is unreadable,
/// e.g. not Linux).
pub fn thread_cpu() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// The 1-minute load average (`/proc/loadavg`), to show how busy the machine was.
pub fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Wall-clock and thread-CPU time of one timed section.
#[derive(Debug, Clone, Copy, Default)]
pub struct Spent {
    pub wall: Duration,
    pub cpu: Duration,
}

impl Spent {
    /// Runs `f`, adding its wall and CPU time to `self`.
    pub fn time<T>(&mut self, f: impl FnOnce() -> T) -> T {
        let c0 = thread_cpu();
        let t0 = std::time::Instant::now();
        let out = f();
        self.wall += t0.elapsed();
        if let (Some(a), Some(b)) = (c0, thread_cpu()) {
            self.cpu += b.saturating_sub(a);
        } else {
            self.cpu = self.wall;
        }
        out
    }
}
