//! `query-metrics`: the Prometheus query API as a Lambda function (see `lakewatch_api::App`).

use lakewatch_api::{lambda, App};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lakewatch_api::lambda::init_logging();
    let app = App::from_env()?;
    lambda::serve(|req| app.handle_query_metrics(req)).await
}
