//! Lakewatch's self-monitoring: one structured log line per request and Lakewatch's own
//! Prometheus metrics (names fixed in docs/self-monitoring.md).
//!
//! - [`observe`]: the request middleware used by the Lambda adapter ([`crate::lambda::serve`])
//!   and the local process's HTTP front. It times the request, logs one `tracing` event
//!   (JSON under Lambda; fields in [`observe`]'s docs) and records the request in the
//!   process-wide [`SelfMetrics`] ([`global`]).
//! - [`route`]: maps a request path to its low-cardinality route group (`route` and
//!   `endpoint` label values) and to the function that serves it.
//! - [`registry`]: the metric families ([`SelfMetrics`]), kept with the `prometheus-client`
//!   crate and exposed in the OpenMetrics / Prometheus text formats.
//! - [`scrape`]: reads the exposition back as samples (the local process writes them into its
//!   own store, as a Prometheus scraping itself would).
//! - [`backlog`]: compaction backlog and lag computed from the manifests.

pub mod backlog;
pub mod observe;
pub mod registry;
pub mod route;
pub mod scrape;

pub use observe::{observe, REQUEST_LOG_TARGET};
pub use registry::{global, SelfMetrics};
pub use route::{classify, RouteInfo, RouteKind};
