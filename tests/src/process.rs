//! External processes in their own process group, stopped (TERM, then KILL) on drop, with
//! their output in a log file, and free loopback ports.

use std::fs::File;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Longest life of any process a test starts (a safety net if the test binary is killed):
/// the program runs under `timeout -k 10 <secs>`.
pub const MAX_LIFETIME_SECS: u64 = 1200;

/// A free TCP port on 127.0.0.1 (bound and released; another process could take it, which is
/// unlikely enough for tests).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port on 127.0.0.1: {e}"))
}

/// A running program and its whole process group.
pub struct ProcessGroup {
    name: String,
    child: Option<Child>,
    log: PathBuf,
}

impl ProcessGroup {
    /// Starts `program args…` under `timeout` in a new process group, stdout and stderr to
    /// `<log_dir>/<name>.log`. Errors: spawn failure (message names the program).
    pub fn spawn(
        name: &str,
        program: &Path,
        args: &[String],
        envs: &[(&str, &str)],
        log_dir: &Path,
    ) -> Result<Self, String> {
        Self::spawn_with(name, program, args, envs, None, log_dir)
    }

    /// As [`ProcessGroup::spawn`], with `cwd` as the working directory.
    pub fn spawn_in(
        name: &str,
        program: &Path,
        args: &[String],
        cwd: &Path,
        log_dir: &Path,
    ) -> Result<Self, String> {
        Self::spawn_with(name, program, args, &[], Some(cwd), log_dir)
    }

    fn spawn_with(
        name: &str,
        program: &Path,
        args: &[String],
        envs: &[(&str, &str)],
        cwd: Option<&Path>,
        log_dir: &Path,
    ) -> Result<Self, String> {
        let log = log_dir.join(format!("{name}.log"));
        let out = File::create(&log).map_err(|e| format!("create {}: {e}", log.display()))?;
        let err = out.try_clone().map_err(|e| e.to_string())?;
        let mut cmd = Command::new("timeout");
        cmd.arg("-k")
            .arg("10")
            .arg(MAX_LIFETIME_SECS.to_string())
            .arg(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0);
        for (k, v) in envs {
            cmd.env(k, v);
        }
        if let Some(d) = cwd {
            cmd.current_dir(d);
        }
        let child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", program.display()))?;
        Ok(ProcessGroup {
            name: name.to_string(),
            child: Some(child),
            log,
        })
    }

    /// `true` while the program runs.
    pub fn is_running(&mut self) -> bool {
        match &mut self.child {
            Some(c) => matches!(c.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// The last `max_bytes` of the program's output (for failure messages).
    pub fn log_tail(&self, max_bytes: usize) -> String {
        let s = std::fs::read_to_string(&self.log).unwrap_or_default();
        let start = s.len().saturating_sub(max_bytes);
        let start = (start..s.len())
            .find(|i| s.is_char_boundary(*i))
            .unwrap_or(s.len());
        format!("--- last output of {} ---\n{}", self.name, &s[start..])
    }

    /// Sends SIGTERM to the group, waits up to `grace`, then SIGKILLs the group.
    pub fn stop(&mut self, grace: Duration) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let pgid = child.id();
        signal_group(pgid, "TERM");
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                // The leader is gone; make sure nothing else of the group survives.
                signal_group(pgid, "KILL");
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        eprintln!("{} did not stop within {grace:?}; killing it", self.name);
        signal_group(pgid, "KILL");
        let _ = child.kill();
        let _ = child.wait();
    }
}

fn signal_group(pgid: u32, sig: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg("--")
        .arg(format!("-{pgid}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        self.stop(Duration::from_secs(10));
    }
}

/// Polls `ready` every 100 ms until it returns `true` or `timeout` passes.
pub async fn wait_until<F, Fut>(timeout: Duration, mut ready: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if ready().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}
