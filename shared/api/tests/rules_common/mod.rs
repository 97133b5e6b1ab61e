//! Shared by the rules API tests: an `App` over a `memory://` store and request helpers
//! through `App::handle`.
#![allow(dead_code)]

use bytes::Bytes;
use http::Request;
use lakewatch_api::{App, QueryConfig};
use lakewatch_storage::{AuthConfig, Store};

/// Status, content type and body of an answer.
pub struct Resp {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

/// An app without auth over a fresh `memory://` store.
pub fn app() -> App {
    App::new(
        Store::memory(),
        AuthConfig::disabled(),
        QueryConfig::default(),
    )
}

/// A request with an optional `X-Scope-OrgID`.
pub fn request(method: &str, uri: &str, tenant: Option<&str>, body: &str) -> Request<Bytes> {
    let mut b = Request::builder().method(method).uri(uri);
    if let Some(t) = tenant {
        b = b.header("X-Scope-OrgID", t);
    }
    b.body(Bytes::from(body.to_string())).unwrap()
}

/// The answer as a [`Resp`].
pub fn resp(r: http::Response<Bytes>) -> Resp {
    Resp {
        status: r.status().as_u16(),
        content_type: r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string(),
        body: String::from_utf8_lossy(r.body()).into_owned(),
    }
}

/// `App::handle` of one request.
pub async fn send(app: &App, method: &str, uri: &str, tenant: Option<&str>, body: &str) -> Resp {
    resp(app.handle(request(method, uri, tenant, body)).await)
}

/// `GET uri` without tenant.
pub async fn get(app: &App, uri: &str) -> Resp {
    send(app, "GET", uri, None, "").await
}
