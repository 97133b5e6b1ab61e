//! Environment switches of the end-to-end tests and lookup of external programs.

use std::path::PathBuf;

/// Set to `1` to skip the tests that need Debian's `prometheus` (quick local runs only;
/// `tests/run.sh` installs it and CI never sets this).
pub const SKIP_PROMETHEUS: &str = "LAKEWATCH_E2E_SKIP_PROMETHEUS";
/// Set to `1` to skip the tests that need `moto_server` (S3).
pub const SKIP_S3: &str = "LAKEWATCH_E2E_SKIP_S3";
/// Set to `1` to skip the `cargo lambda watch` test.
pub const SKIP_LAMBDA: &str = "LAKEWATCH_E2E_SKIP_LAMBDA";
/// Set to `1` to keep temporary folders (Prometheus TSDB, Lakewatch store, logs) for debugging.
pub const KEEP_TEMP: &str = "LAKEWATCH_E2E_KEEP";

/// `true` when the variable is set to something other than empty, `0` or `false`.
pub fn flag(name: &str) -> bool {
    std::env::var(name)
        .map(|v| !(v.is_empty() || v == "0" || v.eq_ignore_ascii_case("false")))
        .unwrap_or(false)
}

/// The full path of `program` if it is on `PATH` (and executable).
pub fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::metadata(p)
                .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
                .unwrap_or(false)
        })
}

/// Finds a required external program, or explains how to get it (or skip) and panics.
/// Returns `None` when the skip variable is set.
pub fn require(program: &str, skip_var: &str, install_hint: &str) -> Option<PathBuf> {
    if flag(skip_var) {
        eprintln!("SKIPPED: {skip_var} is set, not running the tests that need `{program}`");
        return None;
    }
    match which(program) {
        Some(p) => Some(p),
        None => panic!(
            "`{program}` is not installed (not on PATH). Run `bash tests/run.sh`, which installs it \
             ({install_hint}), or set {skip_var}=1 to skip this test for a quick local run."
        ),
    }
}
