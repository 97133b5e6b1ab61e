//! The `lakewatch` command line.

use crate::config::{DevConfig, DEFAULT_LISTEN, DEFAULT_STORE};
use crate::duration::parse_duration;
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::time::Duration;

/// Lakewatch: a Grafana-compatible observability backend over Parquet on object storage.
#[derive(Debug, Parser)]
#[command(name = "lakewatch", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run everything in one local process: every route on one port, the compactor on a
    /// schedule, and demo traffic.
    Dev(DevArgs),
}

/// Flags of `lakewatch dev` (each also readable from the environment variable shown).
#[derive(Debug, Args)]
pub struct DevArgs {
    /// Address to serve every route on.
    #[arg(long, env = "LAKEWATCH_LISTEN", default_value = DEFAULT_LISTEN)]
    pub listen: SocketAddr,
    /// Store URL: a folder path, file:///path, s3://bucket/prefix, or memory://.
    #[arg(long, env = "LAKEWATCH_STORE_URL", default_value = DEFAULT_STORE)]
    pub store: String,
    /// Do not generate demo traffic.
    #[arg(long, env = "LAKEWATCH_NO_DEMO")]
    pub no_demo: bool,
    /// How often the in-process compactor runs (e.g. 60s, 5m; 0 disables it).
    #[arg(long, env = "LAKEWATCH_COMPACTION_INTERVAL", default_value = "60s", value_parser = parse_duration)]
    pub compaction_interval: Duration,
    /// How much demo history to write at start (e.g. 1h; 0 disables the backfill).
    #[arg(long, env = "LAKEWATCH_DEMO_BACKFILL", default_value = "1h", value_parser = parse_duration)]
    pub demo_backfill: Duration,
    /// Spacing of demo samples, like a scrape interval.
    #[arg(long, env = "LAKEWATCH_DEMO_INTERVAL", default_value = "15s", value_parser = parse_duration)]
    pub demo_interval: Duration,
    /// Load rule files at start for tenant "anonymous": DIR/*.yml|*.yaml as Prometheus (PromQL)
    /// namespaces, DIR/logs/*.yml|*.yaml as Loki (LogQL) ones; an invalid file stops the start.
    #[arg(long, env = "LAKEWATCH_RULES_DIR", value_name = "DIR")]
    pub rules: Option<std::path::PathBuf>,
    /// How often the in-process ruler looks for due rule groups (0 disables it). Alertmanager
    /// targets and ruler settings come from LAKEWATCH_ALERTMANAGER_* / LAKEWATCH_RULER_*.
    #[arg(long, env = "LAKEWATCH_RULER_INTERVAL", default_value = "5s", value_parser = parse_duration)]
    pub ruler_interval: Duration,
}

impl From<DevArgs> for DevConfig {
    fn from(a: DevArgs) -> Self {
        DevConfig {
            listen: a.listen,
            store_url: a.store,
            demo: !a.no_demo,
            compaction_interval: a.compaction_interval,
            demo_interval: a.demo_interval.max(Duration::from_secs(1)),
            demo_backfill: a.demo_backfill,
            rules_dir: a.rules,
            ruler_interval: a.ruler_interval,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_flags() {
        let cli = Cli::try_parse_from(["lakewatch", "dev"]).unwrap();
        let Command::Dev(a) = cli.command;
        let cfg = DevConfig::from(a);
        assert_eq!(cfg.listen.to_string(), "127.0.0.1:9009");
        assert_eq!(cfg.store_url, "./data");
        assert!(cfg.demo);
        assert_eq!(cfg.compaction_interval, Duration::from_secs(60));

        let cli = Cli::try_parse_from([
            "lakewatch",
            "dev",
            "--listen",
            "127.0.0.1:0",
            "--store",
            "memory://",
            "--no-demo",
            "--compaction-interval",
            "5m",
        ])
        .unwrap();
        let Command::Dev(a) = cli.command;
        let cfg = DevConfig::from(a);
        assert!(!cfg.demo);
        assert_eq!(cfg.store_url, "memory://");
        assert_eq!(cfg.compaction_interval, Duration::from_secs(300));
        assert_eq!(cfg.rules_dir, None);

        let cli = Cli::try_parse_from(["lakewatch", "dev", "--rules", "examples/rules"]).unwrap();
        let Command::Dev(a) = cli.command;
        let cfg = DevConfig::from(a);
        assert_eq!(cfg.rules_dir, Some("examples/rules".into()));
    }
}
