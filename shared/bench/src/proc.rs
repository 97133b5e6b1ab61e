//! Child processes with time limits: `promtool` runs and a Prometheus server that is killed
//! when dropped, so no process outlives the benchmark.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Runs `cmd` with stdout/stderr captured to `log`, killing it after `limit`.
/// Errors: spawn failure, timeout, non-zero exit (with the log's tail).
pub fn run_with_timeout(mut cmd: Command, limit: Duration, log: &Path) -> Result<(), String> {
    let out = std::fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let err = out.try_clone().map_err(|e| e.to_string())?;
    let mut child = cmd
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err))
        .stdin(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {cmd:?}: {e}"))?;
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => {
                return Err(format!("{cmd:?} exited with {status}: {}", tail(log)));
            }
            Ok(None) if started.elapsed() > limit => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{cmd:?} killed after {limit:?}: {}", tail(log)));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(100)),
            Err(e) => return Err(format!("waiting for {cmd:?}: {e}")),
        }
    }
}

fn tail(log: &Path) -> String {
    let s = std::fs::read_to_string(log).unwrap_or_default();
    let n = s.len().saturating_sub(1500);
    s[s.floor_char_boundary_compat(n)..].to_string()
}

trait FloorBoundary {
    fn floor_char_boundary_compat(&self, i: usize) -> usize;
}

impl FloorBoundary for str {
    fn floor_char_boundary_compat(&self, mut i: usize) -> usize {
        while i > 0 && !self.is_char_boundary(i) {
            i -= 1;
        }
        i
    }
}

/// A free TCP port on 127.0.0.1 (bound then released).
pub fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    l.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

/// Minimal HTTP/1.0 GET (`Connection: close`, so the body is never chunked). Returns the
/// status code and body. Errors: connection and I/O failures, malformed response.
pub fn http_get(
    port: u16,
    path_and_query: &str,
    timeout: Duration,
) -> Result<(u16, Vec<u8>), String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    s.set_nodelay(true).map_err(|e| e.to_string())?;
    write!(
        s,
        "GET {path_and_query} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).map_err(|e| e.to_string())?;
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no end of HTTP headers")?;
    let head = String::from_utf8_lossy(&buf[..split]);
    let code = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or("no HTTP status")?;
    Ok((code, buf[split + 4..].to_vec()))
}

/// A Prometheus server on 127.0.0.1 over an existing TSDB directory; killed on drop.
pub struct Prometheus {
    child: Child,
    /// Listening port.
    pub port: u16,
    /// Seconds from spawn to `/-/ready` answering 200.
    pub ready_secs: f64,
}

impl Prometheus {
    /// Starts `prometheus` on `tsdb` (no scrape jobs, retention 10 years, no block compaction)
    /// and waits up to `limit` for `/-/ready`. `work` holds the config file and log.
    pub fn start(tsdb: &Path, work: &Path, limit: Duration) -> Result<Prometheus, String> {
        let cfg: PathBuf = work.join("prometheus.yml");
        std::fs::write(&cfg, "global:\n  scrape_interval: 1m\n").map_err(|e| e.to_string())?;
        let port = free_port()?;
        let log = work.join("prometheus.log");
        let out = std::fs::File::create(&log).map_err(|e| e.to_string())?;
        let err = out.try_clone().map_err(|e| e.to_string())?;
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", cfg.display()))
            .arg(format!("--storage.tsdb.path={}", tsdb.display()))
            .arg("--storage.tsdb.retention.time=3650d")
            .arg("--storage.tsdb.min-block-duration=2h")
            .arg("--storage.tsdb.max-block-duration=2h")
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--query.max-samples=50000000")
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .stdin(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start prometheus: {e}"))?;
        let mut p = Prometheus {
            child,
            port,
            ready_secs: 0.0,
        };
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = p.child.try_wait() {
                return Err(format!("prometheus exited with {status}: {}", tail(&log)));
            }
            if let Ok((200, _)) = http_get(port, "/-/ready", Duration::from_secs(2)) {
                p.ready_secs = started.elapsed().as_secs_f64();
                return Ok(p);
            }
            if started.elapsed() > limit {
                return Err(format!(
                    "prometheus not ready after {limit:?}: {}",
                    tail(&log)
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
