//! `query-logs`: the Loki query API (`/loki/api/v1/*`) as a Lambda function (see
//! `lakewatch_api::App::handle_query_logs` and docs/api-logs.md).

use lakewatch_api::{lambda, App};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lakewatch_api::lambda::init_logging();
    let app = App::from_env()?;
    lambda::serve(|req| app.handle_query_logs(req)).await
}
