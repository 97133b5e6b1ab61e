//! Errors of the local process.

/// Why `lakewatch dev` could not start or stopped abnormally.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The store URL could not be opened (bad scheme, missing bucket, unreadable folder).
    #[error("cannot open store {url}: {message}")]
    Store { url: String, message: String },
    /// Binding or serving the HTTP listener failed.
    #[error("HTTP listener {addr}: {source}")]
    Listen {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    /// A rule file of `--rules DIR` is invalid (`<file>: <promtool message>`) or unreadable.
    #[error("cannot load rules: {0}")]
    Rules(String),
    /// The ruler's settings (`LAKEWATCH_ALERTMANAGER_*`, `LAKEWATCH_RULER_*`) are invalid.
    #[error("ruler configuration: {0}")]
    Ruler(String),
    /// A background task (demo traffic, compactor) failed.
    #[error("{0}")]
    Task(String),
}
