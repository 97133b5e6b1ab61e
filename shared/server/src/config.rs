//! Settings of `lakewatch dev`.

use std::net::SocketAddr;
use std::time::Duration;

/// The default listen address: Mimir's default HTTP port on loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9009";
/// The default store: the folder `./data` (relative to the working directory).
pub const DEFAULT_STORE: &str = "./data";

/// Default spacing of the self-scrape (like a Prometheus scrape interval).
pub const DEFAULT_SELF_MONITORING_INTERVAL: Duration = Duration::from_secs(15);

/// What the local all-in-one process does.
#[derive(Debug, Clone)]
pub struct DevConfig {
    /// Address to serve every route on (port 0 picks a free port; see [`crate::DevServer::addr`]).
    pub listen: SocketAddr,
    /// Store URL: `file:///abs/path`, a plain path (`./data`), `s3://bucket/prefix` or `memory://`.
    pub store_url: String,
    /// Write demo traffic (AI-gateway-shaped metrics, tenant `anonymous`).
    pub demo: bool,
    /// How often the in-process compactor runs (`Duration::ZERO` disables it).
    pub compaction_interval: Duration,
    /// Spacing of demo samples, like a scrape interval (default 15 s).
    pub demo_interval: Duration,
    /// How much demo history to write at start so dashboards have data at once (default 1 h).
    pub demo_backfill: Duration,
    /// Rule files loaded at start for tenant `anonymous` (`--rules DIR`): every `*.yml` /
    /// `*.yaml` of DIR as a PromQL namespace named after the file, and of `DIR/logs/` (if
    /// present) as a LogQL namespace. See docs/api-rules.md.
    pub rules_dir: Option<std::path::PathBuf>,
    /// How often the in-process ruler runs a pass (`Duration::ZERO` disables it); each pass
    /// evaluates the groups whose slot came, as the `ruler` function does once a minute.
    pub ruler_interval: Duration,
    /// How often the process writes its own metrics (`GET /metrics`) into its store as tenant
    /// `anonymous`, `job="lakewatch"`, `instance="<listen addr>"` (`Duration::ZERO` disables
    /// it; default 15 s; flag `--self-monitoring-interval`, env
    /// `LAKEWATCH_SELF_MONITORING_INTERVAL`). See docs/self-monitoring.md.
    pub self_monitoring_interval: Duration,
}

impl Default for DevConfig {
    fn default() -> Self {
        DevConfig {
            listen: DEFAULT_LISTEN.parse().expect("constant address parses"),
            store_url: DEFAULT_STORE.to_string(),
            demo: true,
            compaction_interval: Duration::from_secs(60),
            demo_interval: Duration::from_secs(15),
            demo_backfill: Duration::from_secs(3600),
            rules_dir: None,
            ruler_interval: Duration::from_secs(5),
            self_monitoring_interval: DEFAULT_SELF_MONITORING_INTERVAL,
        }
    }
}
