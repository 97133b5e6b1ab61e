//! `query-metrics`: the Prometheus query API as a Lambda function (see `lakewatch_api::App`).

use lakewatch_api::{lambda, App};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .json()
        .without_time()
        .init();
    let app = App::from_env()?;
    lambda::serve(|req| app.handle_query_metrics(req)).await
}
