//! What the scheduled ruler evaluates expressions against.

use lakewatch_model::TenantId;
use lakewatch_promql::{Engine, InstantSample};

use crate::eval::CheckedQueryable;

/// The data side of the ruler, implemented over object storage by the API layer
/// (`lakewatch_api::rules::querier`). Called from a blocking thread (the ruler evaluates each
/// group inside `tokio::task::spawn_blocking`), so implementations may block on async storage
/// reads with `tokio::runtime::Handle::block_on`.
pub trait RuleQuerier: Send + Sync {
    /// The PromQL engine (lookback delta, sample limits).
    fn engine(&self) -> &Engine;

    /// The metrics of `tenants` (the group's tenant, or a federated group's
    /// `source_tenants`, whose series then carry `__tenant_id__` as in Mimir) as a
    /// [`CheckedQueryable`]; series are read from storage when the engine selects them, and a
    /// failed read fails the rule's query.
    fn promql_storage(&self, tenants: &[TenantId]) -> Box<dyn CheckedQueryable + '_>;

    /// A LogQL metric query over the logs of `tenants`, evaluated as Loki's instant query at
    /// `time_ms` (ms since the epoch): a vector, or a scalar as one sample without labels.
    /// Errors: the query's parse or evaluation message, as Loki's ruler reports it.
    fn logql_instant(
        &self,
        tenants: &[TenantId],
        query: &str,
        time_ms: i64,
    ) -> Result<Vec<InstantSample>, String>;
}
