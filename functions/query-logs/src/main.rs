//! `query-logs`: the Loki query API (`/loki/api/v1/*`) as a Lambda function (see
//! `lakewatch_api::App::handle_query_logs` and docs/api-logs.md).

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
    lambda::serve(|req| app.handle_query_logs(req)).await
}
