//! Lakewatch storage layer over `object_store` (DESIGN §3–5).
//!
//! - [`Store`]: a backend plus key prefix, from a URL (`./data`, `file:///…`, `s3://…`, `memory://`).
//! - [`auth`]: tenant resolution (`X-Scope-OrgID`, basic auth, `anonymous`) and credentials.
//! - [`manifest`]: per tenant and signal, a numbered manifest log committed with `PutMode::Create`.
//! - [`metrics`]: the metrics Parquet layout, [`MetricsWriter`] (ingest) and [`MetricsReader`] (query).
//! - [`compact`]: the compactor (L0 → L1 → L2, dedupe, retention, garbage collection).
//! - [`counting`]: [`CountingStore`], a wrapper counting object reads (tests, benchmarks).
//!
//! Times are milliseconds since the Unix epoch (`i64`) throughout, as in Prometheus.
//! The key layout and Parquet schema are documented in `docs/storage.md` and
//! `docs/metrics-parquet-schema.md`.

pub mod auth;
pub mod compact;
pub mod config;
pub mod counting;
pub mod error;
pub mod keys;
pub mod logs;
pub mod manifest;
pub mod metrics;
pub mod store;
pub mod traces;

pub use auth::{resolve_tenant, resolve_tenants, AuthConfig, AuthError};
pub use compact::{CompactionOptions, CompactionStats};
pub use counting::CountingStore;
pub use error::StorageError;
pub use logs::{LineProjection, LogSelect, LogsReader, LogsWriteReceipt, LogsWriter, StreamStats};
pub use manifest::{Manifest, ManifestLog, ObjectEntry};
pub use metrics::{MetricsReader, MetricsWriter, WriteReceipt};
pub use store::Store;
pub use traces::{TracesReader, TracesWriteReceipt, TracesWriter};

/// Default grace period between an object leaving the manifest and its deletion (10 min);
/// must exceed the longest query. Override with `LAKEWATCH_GC_GRACE`.
pub const DEFAULT_GC_GRACE: std::time::Duration = std::time::Duration::from_secs(600);
