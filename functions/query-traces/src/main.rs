//! `query-traces`: the Tempo query API (`/api/traces/<id>`, `/api/v2/traces/<id>`,
//! `/api/echo`, `/api/status/buildinfo`, and the search/tag/TraceQL-metrics routes) as a Lambda
//! function (see `lakewatch_api::App::handle_query_traces` and docs/api-traces.md).

use lakewatch_api::{lambda, App};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lakewatch_api::lambda::init_logging();
    let app = App::from_env()?;
    lambda::serve(|req| app.handle_query_traces(req)).await
}
