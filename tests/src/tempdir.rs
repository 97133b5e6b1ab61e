//! A temporary folder removed on drop (kept when `LAKEWATCH_E2E_KEEP=1`).

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// A fresh folder under the system temp dir, named `lakewatch-e2e-<label>-<pid>-<nanos>`.
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Creates the folder. Errors: the folder cannot be created.
    pub fn new(label: &str) -> std::io::Result<Self> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path = std::env::temp_dir().join(format!(
            "lakewatch-e2e-{label}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&path)?;
        Ok(TempDir { path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if crate::env::flag(crate::env::KEEP_TEMP) {
            eprintln!("keeping {}", self.path.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}
