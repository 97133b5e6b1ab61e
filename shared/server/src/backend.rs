//! The one seam between the local process and the shared crates: the all-in-one router
//! (`lakewatch_api::App`), the store and compactor (`lakewatch_storage`) and the remote-write
//! encoder (`lakewatch_ingest`).

use crate::error::ServerError;
use bytes::Bytes;
use http::{Request, Response};
use lakewatch_api::{App, QueryConfig};
use lakewatch_ingest::IngestLimits;
use lakewatch_model::MetricsBatch;
use lakewatch_storage::compact::{self, CompactionOptions};
use lakewatch_storage::{AuthConfig, Store};

/// Every route of every function behind one handler, plus the store the compactor works on.
pub struct Backend {
    app: App,
    compaction: CompactionOptions,
}

fn store_err(url: &str, e: impl std::fmt::Display) -> ServerError {
    ServerError::Store {
        url: url.to_string(),
        message: e.to_string(),
    }
}

impl Backend {
    /// Opens the store named by `store_url` and builds the all-in-one router on it. The rest of
    /// the configuration comes from the same environment variables the Lambda functions read
    /// (`LAKEWATCH_AUTH_TENANTS`, `LAKEWATCH_QUERY_*`, `LAKEWATCH_INGEST_*`, `LAKEWATCH_COMPACT_*`,
    /// `LAKEWATCH_RETENTION`, `LAKEWATCH_GC_GRACE`; see docs/configuration.md).
    /// Errors: [`ServerError::Store`] when the URL or a variable is invalid.
    pub async fn open(store_url: &str) -> Result<Self, ServerError> {
        let store = Store::from_url(store_url).map_err(|e| store_err(store_url, e))?;
        let auth = AuthConfig::from_env().map_err(|e| store_err(store_url, e))?;
        let query = QueryConfig::from_env().map_err(|e| store_err(store_url, e))?;
        let compaction = CompactionOptions::from_env().map_err(|e| store_err(store_url, e))?;
        let mut app = App::new(store, auth, query);
        let (limits, warnings) = IngestLimits::from_env();
        for w in warnings {
            tracing::warn!("{w}");
        }
        app.ingest.limits = limits;
        Ok(Backend { app, compaction })
    }

    /// The scheduled ruler over this backend's store and engines, with the Alertmanager
    /// targets of `LAKEWATCH_ALERTMANAGER_*` and the `LAKEWATCH_RULER_*` settings (as the
    /// `ruler` function). Errors: [`ServerError::Ruler`] for an invalid variable.
    pub fn ruler(&self) -> Result<lakewatch_ruler::schedule::Ruler, ServerError> {
        let notifier = lakewatch_ruler::notifier::Notifier::from_env()
            .map_err(|e| ServerError::Ruler(e.to_string()))?;
        let opts =
            lakewatch_ruler::schedule::RulerOptions::from_env().map_err(ServerError::Ruler)?;
        Ok(self.ruler_with(notifier, opts))
    }

    /// The scheduled ruler over this backend with the given notifier and settings.
    pub fn ruler_with(
        &self,
        notifier: lakewatch_ruler::notifier::Notifier,
        opts: lakewatch_ruler::schedule::RulerOptions,
    ) -> lakewatch_ruler::schedule::Ruler {
        lakewatch_api::rules::querier::ruler(self.app.clone(), notifier, opts)
    }

    /// The store URL as given.
    pub fn store_url(&self) -> &str {
        self.app.store.url()
    }

    /// The store (to inspect objects in tests).
    pub fn store(&self) -> &Store {
        &self.app.store
    }

    /// Serves one request exactly as the Lambda functions would (same router, same handlers).
    pub async fn handle(&self, req: Request<Bytes>) -> Response<Bytes> {
        self.app.handle(req).await
    }

    /// Runs one compaction pass over every tenant (as the `compactor` function does) and
    /// returns a one-line summary.
    pub async fn compact_once(&self) -> Result<String, ServerError> {
        let stats = compact::run_once(&self.app.store, &self.compaction)
            .await
            .map_err(|e| ServerError::Task(format!("compaction: {e}")))?;
        Ok(format!(
            "tenants={} merges={} objects {}->{} retention_dropped={} gc_deleted={} errors={}",
            stats.tenants,
            stats.merges,
            stats.objects_in,
            stats.objects_out,
            stats.retention_dropped,
            stats.gc_deleted_objects,
            stats.errors
        ))
    }
}

/// Encodes `batch` as a Prometheus remote-write 1.0 body: a snappy-compressed (block format)
/// `prometheus.WriteRequest` protobuf, as Prometheus sends it.
pub fn encode_remote_write_v1(batch: &MetricsBatch) -> Bytes {
    Bytes::from(lakewatch_ingest::remote_write::encode_v1(batch))
}
