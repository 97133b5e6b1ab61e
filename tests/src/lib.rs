//! Harness for Lakewatch's end-to-end tests: real external processes (Debian's `prometheus`,
//! `moto_server`) started on free loopback ports in process groups that are always stopped,
//! an HTTP client for the Prometheus API, and a result comparator.
//!
//! The tests themselves live in `tests/tests/*.rs`; `bash tests/run.sh` installs the external
//! programs and runs the whole workspace's tests.

pub mod alertmanager;
pub mod checks;
pub mod client;
pub mod compare;
pub mod env;
pub mod loki;
pub mod moto;
pub mod process;
pub mod prometheus;
pub mod pyclients;
pub mod queries;
pub mod scenario;
pub mod tempdir;
pub mod tenant_client;
