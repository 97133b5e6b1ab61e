//! The Prometheus HTTP query API handlers (`/api/v1/*`).

pub mod encode;
pub mod fetch;
pub mod histogram;
pub mod meta;
pub mod query;
