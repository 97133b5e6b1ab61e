//! HTTP APIs: the Prometheus query API and the request plumbing shared by every function.
