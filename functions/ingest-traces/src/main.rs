//! `ingest-traces` Lambda function: OTLP/HTTP traces (`POST /v1/traces`, `/otlp/v1/traces`;
//! `ExportTraceServiceRequest` as protobuf or OTLP/JSON, optionally gzip). Thin: reads the
//! configuration from the environment (`LAKEWATCH_STORE_URL`, `LAKEWATCH_AUTH_TENANTS`, the
//! limits in docs/ingest-traces.md), builds the `lakewatch_ingest::IngestContext` once per cold
//! start and serves `lakewatch_ingest::handle` through the shared `lakewatch_api::lambda`
//! adapter.

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
