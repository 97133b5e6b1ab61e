//! HTTP APIs: the Prometheus query API, the Loki query API ([`loki`]), the Tempo query API
//! ([`tempo`]) and the request plumbing shared by every function.
//!
//! Handlers take `http::Request<bytes::Bytes>` and return `http::Response<bytes::Bytes>`;
//! [`lambda::serve`] runs such a handler under AWS Lambda, and the local server calls the
//! same handlers. [`App`] is the metrics service (query routes, plus ingest routes in
//! [`App::handle`]).

pub mod app;
pub mod config;
pub mod escape;
pub mod format;
pub mod json;
pub mod lambda;
pub mod loki;
pub mod matchers;
pub mod middleware;
pub mod params;
pub mod prom;
pub mod response;
pub mod rules;
pub mod selfmon;
pub mod tempo;
pub mod tenants;
pub mod time;

pub use app::App;
pub use config::QueryConfig;
pub use loki::LokiConfig;
pub use params::Params;
pub use response::{ApiData, ApiError, ApiResult, ErrorType};
