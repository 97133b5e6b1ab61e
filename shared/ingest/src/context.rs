//! What every ingest request needs: the metrics, logs and traces writers, the auth
//! configuration, the limits and the span-metrics generator state.

use crate::generator::Generator;
use crate::limits::IngestLimits;
use lakewatch_storage::{AuthConfig, LogsWriter, MetricsWriter, Store, TracesWriter};
use std::sync::Arc;

/// Shared state of the ingest handlers (cheap to clone).
#[derive(Debug, Clone)]
pub struct IngestContext {
    /// Writes one batch per request; durable when `write` returns.
    pub writer: MetricsWriter,
    /// Writes the accepted part of each log push; durable when `write` returns.
    pub logs_writer: LogsWriter,
    /// Writes the valid spans of each OTLP trace export; durable when `write` returns.
    pub traces_writer: TracesWriter,
    /// Per-tenant credentials (empty = no authentication).
    pub auth: AuthConfig,
    /// Request limits and translation switches.
    pub limits: IngestLimits,
    /// Span metrics / service graph state of this process, shared by clones (written through
    /// `writer` after each successful trace export; docs/span-metrics.md).
    pub generator: Arc<Generator>,
}

impl IngestContext {
    /// A context writing into `store` with the given auth and limits.
    pub fn new(store: Store, auth: AuthConfig, limits: IngestLimits) -> Self {
        IngestContext {
            writer: MetricsWriter::new(store.clone()),
            logs_writer: LogsWriter::new(store.clone()),
            traces_writer: TracesWriter::new(store),
            auth,
            limits,
            generator: Arc::new(Generator::new()),
        }
    }

    /// Builds everything from the environment: `LAKEWATCH_STORE_URL` (default `./data`),
    /// `LAKEWATCH_AUTH_TENANTS` and the `LAKEWATCH_*` limits of [`IngestLimits::from_env`].
    /// Returns the context and warnings about ignored values; errors name the bad variable.
    pub fn from_env() -> Result<(Self, Vec<String>), String> {
        let store = Store::from_env().map_err(|e| e.to_string())?;
        let auth = AuthConfig::from_env().map_err(|e| e.to_string())?;
        let (limits, warnings) = IngestLimits::from_env();
        Ok((Self::new(store, auth, limits), warnings))
    }
}
