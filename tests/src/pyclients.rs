//! Runs the Python Loki clients of `tests/python/` (the PyPI `python-logging-loki` handler and
//! the protobuf pusher built from `tests/proto/push.proto`) and reads back what they sent.

use crate::loki::LabelMap;
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, ExitStatus};

/// Set to `1` to skip the tests that need the Python Loki clients (quick local runs only).
pub const SKIP_LOKI_CLIENTS: &str = "LAKEWATCH_E2E_SKIP_LOKI_CLIENTS";

/// Longest run of one client script (seconds; it runs under `timeout`).
pub const SCRIPT_TIMEOUT_SECS: u64 = 300;

/// One log entry a client sent.
#[derive(Debug, Clone)]
pub struct SentEntry {
    /// Stream labels as the client sent them.
    pub labels: LabelMap,
    pub line: String,
    /// Entry timestamp (ns) when the script chose it (the protobuf pusher); `None` for the
    /// logging handler, which stamps entries with the wall clock when it sends them.
    pub ts_ns: Option<i64>,
    pub structured_metadata: LabelMap,
    /// The record's fields (level, status, duration_ms, trace_id, …).
    pub record: Value,
}

impl SentEntry {
    /// A string field of the record (`level`, `route`, `trace_id`, `user_id`, …).
    pub fn field(&self, name: &str) -> &str {
        self.record[name].as_str().unwrap_or_default()
    }

    /// The record's HTTP status.
    pub fn status(&self) -> i64 {
        self.record["status"].as_i64().unwrap_or_default()
    }

    /// The record's `duration_ms`.
    pub fn duration_ms(&self) -> f64 {
        self.record["duration_ms"].as_f64().unwrap_or_default()
    }
}

/// The folder of the client scripts.
pub fn python_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python")
}

/// Checks that `python3` can import the clients' modules; returns `false` when the tests are
/// skipped with [`SKIP_LOKI_CLIENTS`], panics with install instructions when they are missing.
pub fn require_clients() -> bool {
    if crate::env::flag(SKIP_LOKI_CLIENTS) {
        eprintln!("SKIPPED: {SKIP_LOKI_CLIENTS} is set, not running the Loki client tests");
        return false;
    }
    let ok = Command::new("python3")
        .args(["-c", "import logging_loki, grpc_tools, cramjam"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(
        ok,
        "python3 cannot import logging_loki, grpc_tools and cramjam. Run `bash tests/run.sh` \
         (it runs `pip install python-logging-loki grpcio-tools cramjam`), or set \
         {SKIP_LOKI_CLIENTS}=1 to skip this test for a quick local run."
    );
    true
}

fn label_map(v: &Value) -> LabelMap {
    v.as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// The last `max` bytes of `s` (at a character boundary).
fn tail(s: &str, max: usize) -> &str {
    let mut i = s.len().saturating_sub(max);
    while !s.is_char_boundary(i) {
        i += 1;
    }
    &s[i..]
}

/// Runs `python3 tests/python/<script> args…` (blocking, under `timeout`
/// [`SCRIPT_TIMEOUT_SECS`], no bytecode written) and parses the JSON summary it prints on
/// stdout. Errors: the script cannot start; it failed (`failure` makes the message from its
/// exit status, stdout and stderr); its stdout is not JSON.
pub fn run_json_script(
    script: &str,
    args: &[String],
    failure: impl FnOnce(ExitStatus, &str, &str) -> String,
) -> Result<Value, String> {
    let path = python_dir().join(script);
    let out = Command::new("timeout")
        .arg(SCRIPT_TIMEOUT_SECS.to_string())
        .arg("python3")
        .arg(&path)
        .args(args)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .map_err(|e| format!("cannot run {}: {e}", path.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(failure(out.status, &stdout, &stderr));
    }
    serde_json::from_str(stdout.trim())
        .map_err(|e| format!("{script}: summary is not JSON ({e}); stderr:\n{stderr}"))
}

/// Runs a Loki client script (see [`run_json_script`]) and reads the `{"sent": […]}` summary
/// it prints. Errors: the script failed (the end of its stderr is included) or printed no
/// summary.
pub fn run_script(script: &str, args: &[String]) -> Result<Vec<SentEntry>, String> {
    let summary = run_json_script(script, args, |status, _, stderr| {
        format!(
            "{script} exited with {status}:\n{}",
            tail(stderr, 3000).trim_end()
        )
    })?;
    Ok(summary["sent"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| SentEntry {
            labels: label_map(&e["labels"]),
            line: e["line"].as_str().unwrap_or_default().to_string(),
            ts_ns: e["ts_ns"].as_i64(),
            structured_metadata: label_map(&e["structured_metadata"]),
            record: e["record"].clone(),
        })
        .collect())
}
