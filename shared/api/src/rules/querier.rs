//! [`AppQuerier`]: what the scheduled ruler (`lakewatch_ruler::schedule`) evaluates rule
//! expressions against — the same storage reads and engines as the query APIs.
//!
//! - PromQL: each selector the engine evaluates is read from object storage when selected
//!   ([`crate::prom::fetch::load`]: manifest pruning, series and sample limits of
//!   `LAKEWATCH_QUERY_*`); a failed read fails the rule's query with the storage error.
//! - LogQL: an instant metric query as Loki's `/loki/api/v1/query` ([`crate::loki::query`]:
//!   `LAKEWATCH_LOKI_*` limits and timeout); a log (stream) query is an error, as in Loki's
//!   ruler (`rule result is not a vector or scalar`).
//!
//! Called on a blocking thread (the ruler evaluates inside `spawn_blocking`): storage reads
//! run on the runtime of the thread that created the querier, through its `Handle`.

use std::sync::{Arc, Mutex};

use lakewatch_logql::ast::Expr;
use lakewatch_logql::eval::{Direction, QueryParams, QueryResult};
use lakewatch_model::{LabelMatcher, Labels, TenantId, TimeSeries};
use lakewatch_promql::{Engine, InstantSample, Queryable, SelectHint};
use lakewatch_ruler::eval::CheckedQueryable;
use lakewatch_ruler::schedule::RuleQuerier;
use tokio::runtime::Handle;

use crate::app::App;
use crate::tenants::Tenants;

/// The ruler's view of an [`App`]'s storage and engines.
#[derive(Debug, Clone)]
pub struct AppQuerier {
    app: App,
    handle: Handle,
}

impl AppQuerier {
    /// A querier reading through `app`. Must be called inside a Tokio runtime (its handle
    /// runs the storage reads).
    pub fn new(app: App) -> Self {
        AppQuerier {
            app,
            handle: Handle::current(),
        }
    }
}

/// Series read on demand for one group evaluation; the first failed read is kept. What one
/// selection read serves every later selection it covers (fewer matchers, same or wider range:
/// `x` then `x{code=~"5.."}`), so rules of a group sharing a metric read it once.
struct LazyStorage<'a> {
    app: &'a App,
    tenants: Tenants,
    handle: &'a Handle,
    error: Mutex<Option<String>>,
    read: Mutex<Vec<(SelectHint, Arc<crate::prom::fetch::Fetched>)>>,
}

impl Queryable for LazyStorage<'_> {
    fn select(
        &self,
        matchers: &[LabelMatcher],
        mint_ms: i64,
        maxt_ms: i64,
    ) -> Vec<Arc<TimeSeries>> {
        let hint = SelectHint {
            matchers: matchers.to_vec(),
            mint_ms,
            maxt_ms,
        };
        let cached = self.read.lock().ok().and_then(|read| {
            read.iter()
                .find(|(h, _)| crate::prom::fetch::covers(h, &hint))
                .map(|(_, f)| Arc::clone(f))
        });
        if let Some(fetched) = cached {
            return fetched.select(matchers, mint_ms, maxt_ms);
        }
        let loaded = self.handle.block_on(crate::prom::fetch::load(
            self.app,
            &self.tenants,
            std::slice::from_ref(&hint),
        ));
        match loaded {
            Ok(fetched) => {
                let out = fetched.select(matchers, mint_ms, maxt_ms);
                if let Ok(mut read) = self.read.lock() {
                    read.push((hint, Arc::new(fetched)));
                }
                out
            }
            Err(e) => {
                if let Ok(mut slot) = self.error.lock() {
                    slot.get_or_insert(e.message);
                }
                Vec::new()
            }
        }
    }
}

impl CheckedQueryable for LazyStorage<'_> {
    fn take_error(&self) -> Option<String> {
        self.error.lock().ok().and_then(|mut e| e.take())
    }
}

impl RuleQuerier for AppQuerier {
    fn engine(&self) -> &Engine {
        &self.app.engine
    }

    fn promql_storage(&self, tenants: &[TenantId]) -> Box<dyn CheckedQueryable + '_> {
        Box::new(LazyStorage {
            app: &self.app,
            tenants: Tenants::new(tenants.to_vec()),
            handle: &self.handle,
            error: Mutex::new(None),
            read: Mutex::new(Vec::new()),
        })
    }

    fn logql_instant(
        &self,
        tenants: &[TenantId],
        query: &str,
        time_ms: i64,
    ) -> Result<Vec<InstantSample>, String> {
        let expr = lakewatch_logql::parse(query).map_err(|e| e.to_string())?;
        if matches!(expr, Expr::Log(_)) {
            return Err("rule result is not a vector or scalar".to_string());
        }
        let time_ns = time_ms.saturating_mul(1_000_000);
        let qp = QueryParams {
            start_ns: time_ns,
            end_ns: time_ns,
            step_ns: 0,
            interval_ns: 0,
            limit: 100,
            direction: Direction::Backward,
        };
        let tenants = Tenants::new(tenants.to_vec());
        let executed = self
            .handle
            .block_on(crate::loki::query::execute(&self.app, &tenants, &expr, qp))
            .map_err(|e| e.message.clone())?;
        match executed.result {
            QueryResult::Vector(v) => Ok(v
                .into_iter()
                .filter_map(|s| {
                    let (_, value) = *s.points.last()?;
                    Some(InstantSample {
                        labels: s.labels,
                        timestamp_ms: time_ms,
                        value,
                        histogram: None,
                    })
                })
                .collect()),
            QueryResult::Scalar(_, value) => Ok(vec![InstantSample {
                labels: Labels::default(),
                timestamp_ms: time_ms,
                value,
                histogram: None,
            }]),
            _ => Err("rule result is not a vector or scalar".to_string()),
        }
    }
}

/// The scheduled ruler over `app`'s store and engines (see [`AppQuerier`]). Must be called
/// inside a Tokio runtime.
pub fn ruler(
    app: App,
    notifier: lakewatch_ruler::notifier::Notifier,
    opts: lakewatch_ruler::schedule::RulerOptions,
) -> lakewatch_ruler::schedule::Ruler {
    let store = app.store.clone();
    lakewatch_ruler::schedule::Ruler::new(store, notifier, Arc::new(AppQuerier::new(app)), opts)
}
