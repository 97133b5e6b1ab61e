//! The handlers' futures must be `Send`: `lambda_http::run` and axum require it. This fails
//! to compile if a dependency (e.g. storage) makes them non-`Send`.

use bytes::Bytes;
use lakewatch_api::{App, QueryConfig};
use lakewatch_storage::{AuthConfig, Store};

fn assert_send<T: Send>(_: &T) {}

#[test]
fn handler_futures_are_send() {
    let app = App::new(
        Store::memory(),
        AuthConfig::disabled(),
        QueryConfig::default(),
    );
    let f = app.handle(http::Request::new(Bytes::new()));
    assert_send(&f);
    let g = app.handle_query_metrics(http::Request::new(Bytes::new()));
    assert_send(&g);
}
