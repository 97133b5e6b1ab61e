//! Helpers shared by the table-driven TraceQL tests (`eval.rs`, `metrics.rs`).

use std::path::PathBuf;

/// The `*.txt` case files of `tests/<subdir>`, sorted by name (so failures list in file order).
pub fn case_files(subdir: &str) -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(subdir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    files
}
