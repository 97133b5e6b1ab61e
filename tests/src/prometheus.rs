//! Debian's Prometheus 2.42 on a free loopback port: scrapes itself every second and remote
//! writes everything to Lakewatch with `basic_auth` (Debian's build does not send custom
//! `remote_write.headers`, so the basic-auth user name is the tenant).

use crate::client::PromApi;
use crate::process::{free_port, wait_until, ProcessGroup};
use std::path::Path;
use std::time::Duration;

/// Scrape interval of the test Prometheus (seconds).
pub const SCRAPE_INTERVAL_S: u64 = 1;

/// A running Prometheus.
pub struct Prometheus {
    pub api: PromApi,
    pub port: u16,
    proc: ProcessGroup,
}

/// The configuration file: one job scraping this Prometheus, one remote_write to
/// `remote_write_url` as `tenant`, one shard (samples arrive in order), 1 s batch deadline.
pub fn config_yaml(port: u16, remote_write_url: &str, tenant: &str) -> String {
    format!(
        "global:\n\
         \x20 scrape_interval: {SCRAPE_INTERVAL_S}s\n\
         \x20 scrape_timeout: {SCRAPE_INTERVAL_S}s\n\
         \x20 evaluation_interval: {SCRAPE_INTERVAL_S}s\n\
         scrape_configs:\n\
         \x20 - job_name: prometheus\n\
         \x20   static_configs:\n\
         \x20     - targets: ['127.0.0.1:{port}']\n\
         remote_write:\n\
         \x20 - url: {remote_write_url}\n\
         \x20   name: lakewatch\n\
         \x20   basic_auth:\n\
         \x20     username: {tenant}\n\
         \x20     password: e2e-password\n\
         \x20   queue_config:\n\
         \x20     min_shards: 1\n\
         \x20     max_shards: 1\n\
         \x20     capacity: 10000\n\
         \x20     max_samples_per_send: 5000\n\
         \x20     batch_send_deadline: 1s\n\
         \x20     min_backoff: 100ms\n\
         \x20     max_backoff: 1s\n\
         \x20   metadata_config:\n\
         \x20     send: true\n\
         \x20     send_interval: 10s\n"
    )
}

impl Prometheus {
    /// Writes the config into `dir`, starts `binary` with its TSDB in `dir/tsdb` and waits for
    /// `/-/ready`. Errors: start failure or not ready within 30 s (with its log).
    pub async fn start(
        binary: &Path,
        dir: &Path,
        remote_write_url: &str,
        tenant: &str,
    ) -> Result<Self, String> {
        let port = free_port();
        let cfg = dir.join("prometheus.yml");
        std::fs::write(&cfg, config_yaml(port, remote_write_url, tenant))
            .map_err(|e| format!("write {}: {e}", cfg.display()))?;
        let args = vec![
            format!("--config.file={}", cfg.display()),
            format!("--storage.tsdb.path={}", dir.join("tsdb").display()),
            format!("--web.listen-address=127.0.0.1:{port}"),
            "--storage.remote.flush-deadline=5s".to_string(),
            "--log.level=info".to_string(),
        ];
        let mut proc = ProcessGroup::spawn("prometheus", binary, &args, &[], dir)?;
        let http = reqwest::Client::new();
        let ready_url = format!("http://127.0.0.1:{port}/-/ready");
        let ok = wait_until(Duration::from_secs(30), || {
            let http = http.clone();
            let url = ready_url.clone();
            async move { matches!(http.get(&url).send().await, Ok(r) if r.status().is_success()) }
        })
        .await;
        if !ok || !proc.is_running() {
            return Err(format!(
                "prometheus did not become ready\n{}",
                proc.log_tail(3000)
            ));
        }
        Ok(Prometheus {
            api: PromApi::new(&format!("http://127.0.0.1:{port}"), None),
            port,
            proc,
        })
    }

    /// The newest timestamp (s) this Prometheus has successfully sent to the remote, as its
    /// own `prometheus_remote_storage_queue_highest_sent_timestamp_seconds` reports.
    pub async fn highest_sent(&self, now: f64) -> Option<f64> {
        self.api
            .scalar_value(
                "max(prometheus_remote_storage_queue_highest_sent_timestamp_seconds)",
                now,
            )
            .await
    }

    /// Output of the process, for failure messages.
    pub fn log_tail(&self) -> String {
        self.proc.log_tail(3000)
    }

    /// Stops Prometheus (before its remote-write receiver, so it does not wait for retries).
    pub fn stop(&mut self) {
        self.proc.stop(Duration::from_secs(15));
    }
}
