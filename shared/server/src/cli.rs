//! The `lakewatch` command line.

use crate::config::{DevConfig, DEFAULT_LISTEN, DEFAULT_STORE};
use crate::demo::sink::BasicAuth;
use crate::demo_command::DemoCommandConfig;
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
    /// Send the demo AI gateway's traffic (metrics, logs, traces) to a Lakewatch, local or
    /// deployed, over HTTP, with a progress line on stderr.
    Demo(DemoArgs),
}

/// Flags of `lakewatch demo` (each also readable from the environment variable shown).
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Base URL of the Lakewatch to write to: metrics go to URL/api/v1/write, logs to
    /// URL/loki/api/v1/push, traces to URL/v1/traces.
    #[arg(
        long,
        env = "LAKEWATCH_DEMO_URL",
        default_value = "http://127.0.0.1:9009"
    )]
    pub url: String,
    /// Simulated gateway requests per second (the default is the dev demo's rate).
    #[arg(long, env = "LAKEWATCH_DEMO_RATE", default_value_t = crate::demo::catalog::base_rps())]
    pub rate: f64,
    /// Tenant sent as X-Scope-OrgID (default: none, the target's default tenant "anonymous").
    #[arg(long, env = "LAKEWATCH_DEMO_TENANT")]
    pub tenant: Option<String>,
    /// Stop after this long (e.g. 30s, 10m; default: until Ctrl-C).
    #[arg(long, env = "LAKEWATCH_DEMO_DURATION", value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// History to write first so dashboards have data at once (e.g. 1h; default none).
    #[arg(long, env = "LAKEWATCH_DEMO_BACKFILL", default_value = "0s", value_parser = parse_duration)]
    pub backfill: Duration,
    /// Spacing of metric samples, like a scrape interval (at least 1s).
    #[arg(long, env = "LAKEWATCH_DEMO_INTERVAL", default_value = "15s", value_parser = parse_duration)]
    pub interval: Duration,
    /// Basic-auth user (with --password).
    #[arg(long, env = "LAKEWATCH_DEMO_USER")]
    pub user: Option<String>,
    /// Basic-auth password (prefer the environment variable over the flag).
    #[arg(long, env = "LAKEWATCH_DEMO_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// Simulator seed (the same seed gives the same traffic for the same timestamps).
    #[arg(long, default_value_t = crate::demo::DEFAULT_SEED)]
    pub seed: u64,
    /// Do not print the progress line.
    #[arg(long)]
    pub quiet: bool,
}

impl From<DemoArgs> for DemoCommandConfig {
    fn from(a: DemoArgs) -> Self {
        let auth = match (a.user, a.password) {
            (Some(user), password) => Some(BasicAuth {
                user,
                password: password.unwrap_or_default(),
            }),
            (None, Some(password)) => Some(BasicAuth {
                user: String::new(),
                password,
            }),
            (None, None) => None,
        };
        DemoCommandConfig {
            url: a.url,
            tenant: a.tenant,
            auth,
            rate: a.rate,
            duration: a.duration,
            backfill: a.backfill,
            interval: a.interval,
            seed: a.seed,
            progress: !a.quiet,
        }
    }
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
    /// How often Lakewatch writes its own metrics (also served at GET /metrics) into its store
    /// as tenant "anonymous", job="lakewatch" (0 disables it).
    #[arg(long, env = "LAKEWATCH_SELF_MONITORING_INTERVAL", default_value = "15s", value_parser = parse_duration)]
    pub self_monitoring_interval: Duration,
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
            self_monitoring_interval: a.self_monitoring_interval,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_flags() {
        let cli = Cli::try_parse_from(["lakewatch", "dev"]).unwrap();
        let Command::Dev(a) = cli.command else {
            panic!("dev")
        };
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
        let Command::Dev(a) = cli.command else {
            panic!("dev")
        };
        let cfg = DevConfig::from(a);
        assert!(!cfg.demo);
        assert_eq!(cfg.store_url, "memory://");
        assert_eq!(cfg.compaction_interval, Duration::from_secs(300));
        assert_eq!(cfg.rules_dir, None);

        let cli = Cli::try_parse_from(["lakewatch", "dev", "--rules", "examples/rules"]).unwrap();
        let Command::Dev(a) = cli.command else {
            panic!("dev")
        };
        let cfg = DevConfig::from(a);
        assert_eq!(cfg.rules_dir, Some("examples/rules".into()));
    }

    #[test]
    fn demo_flags() {
        let cli = Cli::try_parse_from(["lakewatch", "demo"]).unwrap();
        let Command::Demo(a) = cli.command else {
            panic!("demo")
        };
        let cfg = DemoCommandConfig::from(a);
        assert_eq!(cfg.url, "http://127.0.0.1:9009");
        assert_eq!(cfg.duration, None);
        assert_eq!(cfg.auth, None);
        assert!((cfg.rate - crate::demo::catalog::base_rps()).abs() < 1e-9);

        let cli = Cli::try_parse_from([
            "lakewatch",
            "demo",
            "--url",
            "https://example.com/prod",
            "--rate",
            "50",
            "--tenant",
            "team-a",
            "--duration",
            "10m",
            "--backfill",
            "1h",
            "--user",
            "grafana",
            "--password",
            "s3cret",
        ])
        .unwrap();
        let Command::Demo(a) = cli.command else {
            panic!("demo")
        };
        let cfg = DemoCommandConfig::from(a);
        assert_eq!(cfg.rate, 50.0);
        assert_eq!(cfg.tenant.as_deref(), Some("team-a"));
        assert_eq!(cfg.duration, Some(Duration::from_secs(600)));
        assert_eq!(cfg.backfill, Duration::from_secs(3600));
        assert_eq!(
            cfg.auth,
            Some(BasicAuth {
                user: "grafana".into(),
                password: "s3cret".into()
            })
        );
    }
}
