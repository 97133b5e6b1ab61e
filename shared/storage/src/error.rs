//! The storage layer's error type.

/// Everything the storage layer can fail with. HTTP layers usually map all of these to 5xx
/// (`InvalidBatch` to 400).
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The store URL could not be understood (`Store::from_url`).
    #[error("invalid store URL {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },
    /// An `object_store` call failed (network, permissions, not found, ...).
    #[error("object store: {0}")]
    ObjectStore(#[from] object_store::Error),
    /// Encoding or decoding Parquet failed.
    #[error("parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    /// Building Arrow arrays failed.
    #[error("arrow: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
    /// A manifest version could not be parsed.
    #[error("manifest {key}: {reason}")]
    Manifest { key: String, reason: String },
    /// A data object does not follow the documented layout.
    #[error("corrupt object {key}: {reason}")]
    Corrupt { key: String, reason: String },
    /// A manifest commit kept losing races (or took too long) and gave up.
    #[error("manifest commit gave up after {attempts} attempts: {reason}")]
    CommitFailed { attempts: u32, reason: String },
    /// The batch handed to a writer cannot be stored (e.g. a series without labels).
    #[error("invalid batch: {0}")]
    InvalidBatch(String),
    /// A configuration value (environment variable) is malformed.
    #[error("invalid configuration {name}: {reason}")]
    Config { name: String, reason: String },
}

/// Shorthand used throughout the crate.
pub type Result<T, E = StorageError> = std::result::Result<T, E>;
