//! Support for `tests/dashboards.rs`: loading the Grafana dashboards and provisioning files of
//! `dashboards/`, static checks, Grafana's variable substitution and running every panel query
//! against a Lakewatch process.

pub mod checks;
pub mod model;
pub mod provisioning;
pub mod runner;
pub mod vars;
