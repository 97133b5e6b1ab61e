//! CPU time of the calling thread, so that one-core rates are not skewed by other processes
//! competing for the (shared) cores: POSIX `clock_gettime(CLOCK_THREAD_CPUTIME_ID)`
//! (nanosecond resolution, unlike `/proc/thread-self/schedstat`, which is only refreshed at
//! scheduler ticks).

use std::time::Duration;

/// CPU time used by this thread so far (`None` if the clock is unavailable).
pub fn thread_cpu() -> Option<Duration> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the call only writes into it.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return None;
    }
    Some(Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
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
