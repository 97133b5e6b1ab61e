//! The one seam between the local process and the shared crates: the all-in-one router
//! (`lakewatch_api::App`), the store and compactor (`lakewatch_storage`) and the remote-write
//! encoder (`lakewatch_ingest`).

use crate::error::ServerError;
use bytes::Bytes;
use http::{Request, Response};
use lakewatch_api::selfmon::registry::SIGNALS;
use lakewatch_api::{App, QueryConfig};
use lakewatch_ingest::IngestLimits;
use lakewatch_model::MetricsBatch;
use lakewatch_storage::compact::{self, CompactionOptions, CompactionStats};
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

    /// Serves one request exactly as the Lambda functions would (same router, same handlers,
    /// same self-monitoring middleware `lakewatch_api::selfmon::observe`: one log line and
    /// the request recorded in Lakewatch's own metrics; the request id is a new ULID).
    pub async fn handle(&self, req: Request<Bytes>) -> Response<Bytes> {
        lakewatch_api::selfmon::observe(req, None, |r| self.app.handle(r)).await
    }

    /// Serves one request without the self-monitoring middleware (no log line, not counted):
    /// the self-scrape's own writes.
    pub async fn handle_unobserved(&self, req: Request<Bytes>) -> Response<Bytes> {
        self.app.handle(req).await
    }

    /// Sets `lakewatch_compaction_backlog_objects` / `lakewatch_compaction_lag_seconds` from
    /// the manifests of every tenant (failures are logged and counted).
    pub async fn update_compaction_gauges(&self) {
        let metrics = lakewatch_api::selfmon::global();
        lakewatch_api::selfmon::backlog::update(&self.app.store, metrics).await;
    }

    /// Runs one compaction pass over every tenant (as the `compactor` function does: metrics,
    /// logs, traces) and returns a one-line summary. Objects written and failures are counted
    /// in the self-monitoring metrics (`lakewatch_objects_written_total{signal}`,
    /// `lakewatch_errors_total{component="compactor"}`) and the backlog gauges refreshed.
    pub async fn compact_once(&self) -> Result<String, ServerError> {
        let metrics = lakewatch_api::selfmon::global();
        let store = &self.app.store;
        let opts = &self.compaction;
        let tenants = store.list_tenants().await.map_err(|e| {
            metrics.record_error("compactor", 1);
            ServerError::Task(format!("compaction: {e}"))
        })?;
        let mut total = CompactionStats::default();
        for tenant in &tenants {
            total.tenants += 1;
            for signal in SIGNALS {
                let mut stats = CompactionStats::default();
                let done = match signal {
                    "metrics" => compact::compact_tenant(store, tenant, opts, &mut stats).await,
                    "logs" => compact::compact_tenant_logs(store, tenant, opts, &mut stats).await,
                    _ => compact::compact_tenant_traces(store, tenant, opts, &mut stats).await,
                };
                if let Err(e) = done {
                    tracing::error!(tenant = %tenant, signal, error = %e, "compaction failed");
                    stats.errors += 1;
                }
                metrics.record_objects(signal, stats.objects_out as u64);
                metrics.record_error("compactor", stats.errors as u64);
                total.merges += stats.merges;
                total.objects_in += stats.objects_in;
                total.objects_out += stats.objects_out;
                total.retention_dropped += stats.retention_dropped;
                total.gc_deleted_objects += stats.gc_deleted_objects;
                total.errors += stats.errors;
            }
        }
        self.update_compaction_gauges().await;
        let stats = total;
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
