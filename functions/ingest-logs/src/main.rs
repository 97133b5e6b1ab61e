//! `ingest-logs` Lambda function: Loki push (`POST /loki/api/v1/push` JSON or snappy
//! protobuf, gzip on either; legacy `/api/prom/push`) and Loki-native OTLP logs
//! (`POST /otlp/v1/logs`). Thin: reads the configuration from the environment
//! (`LAKEWATCH_STORE_URL`, `LAKEWATCH_AUTH_TENANTS`, the limits in docs/ingest-logs.md), builds
//! the `lakewatch_ingest::IngestContext` once per cold start and serves
//! `lakewatch_ingest::handle` through the shared `lakewatch_api::lambda` adapter.

use lakewatch_ingest::IngestContext;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lakewatch_api::lambda::init_logging();
    let (ctx, warnings) = IngestContext::from_env().map_err(|e| {
        tracing::error!(error = %e, "bad configuration");
        lambda_http::Error::from(e)
    })?;
    for w in warnings {
        tracing::warn!("{w}");
    }
    let ctx = &ctx;
    lakewatch_api::lambda::serve(move |req| async move { lakewatch_ingest::handle(req, ctx).await })
        .await
}
