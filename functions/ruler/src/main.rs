//! `ruler` Lambda: on each scheduled (EventBridge) event, evaluates every rule group that is due,
//! for every tenant, writes rule results and `ALERTS` samples and notifies Alertmanager
//! (`lakewatch_ruler::schedule::Ruler::run_pass`). With `LAKEWATCH_RULER_RUN_FOR` (a duration,
//! default `0s`) one invocation keeps running passes at each group's next slot for that long,
//! so groups with intervals shorter than the schedule are evaluated on time.
//!
//! Configuration: `LAKEWATCH_STORE_URL`, the query limits of `query-metrics`/`query-logs`, the
//! notifier's `LAKEWATCH_ALERTMANAGER_*` / `LAKEWATCH_EXTERNAL_*` and the ruler's
//! `LAKEWATCH_RULER_*` variables (docs/ruler-schedule.md).

use lakewatch_api::App;
use lakewatch_ruler::notifier::Notifier;
use lakewatch_ruler::rules::parse_duration;
use lakewatch_ruler::schedule::{now_ms, RulerOptions};
use lambda_runtime::{service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lakewatch_api::lambda::init_logging();
    let app = App::from_env()?;
    let notifier = Notifier::from_env()?;
    let opts = RulerOptions::from_env()?;
    let run_for = match std::env::var("LAKEWATCH_RULER_RUN_FOR") {
        Ok(v) if !v.trim().is_empty() => {
            parse_duration(v.trim()).map_err(|e| format!("LAKEWATCH_RULER_RUN_FOR: {e}"))?
        }
        _ => std::time::Duration::ZERO,
    };
    let ruler = &lakewatch_api::rules::querier::ruler(app, notifier, opts);
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            let start = now_ms();
            let reports = if run_for.is_zero() {
                vec![ruler.run_pass(start).await]
            } else {
                ruler.run_until(start + run_for.as_millis() as i64).await
            };
            for r in &reports {
                tracing::info!(request_id = %event.context.request_id, ?r, "ruler pass done");
            }
            Ok::<_, Error>(serde_json::json!({ "passes": reports }))
        },
    ))
    .await
}
