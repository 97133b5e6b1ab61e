//! Debian's Alertmanager (`prometheus-alertmanager`, 0.25) on a loopback port with a null
//! receiver, for the notifier and ruler tests; stopped and its folder removed on drop.

use crate::process::{free_port, wait_until, ProcessGroup};
use crate::tempdir::TempDir;
use serde_json::Value;
use std::path::Path;
use std::time::Duration;

/// The Debian package's binary name.
pub const AM_BIN: &str = "prometheus-alertmanager";

/// A running Alertmanager.
pub struct Alertmanager {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    proc: ProcessGroup,
    _dir: TempDir,
}

impl Alertmanager {
    /// Starts one on a free port (panics with install instructions when the binary is missing,
    /// or with its log when it is not ready within 10 s).
    pub async fn start() -> Alertmanager {
        Self::start_on(free_port()).await
    }

    /// Starts one on `port` (e.g. a port a notifier was already told about).
    pub async fn start_on(port: u16) -> Alertmanager {
        let found = std::process::Command::new(AM_BIN)
            .arg("--version")
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        assert!(
            found,
            "`{AM_BIN}` (Debian's Alertmanager) is required by this test but was not found. Install it with:\n  \
             sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus-alertmanager\n\
             (tests/run.sh installs it)."
        );
        let dir = TempDir::new("alertmanager").unwrap_or_else(|e| panic!("temp dir: {e}"));
        let cfg = dir.path().join("am.yml");
        std::fs::write(
            &cfg,
            "route: {receiver: 'null', group_by: ['alertname']}\nreceivers: [{name: 'null'}]\n",
        )
        .unwrap_or_else(|e| panic!("write {}: {e}", cfg.display()));
        let args = vec![
            format!("--config.file={}", cfg.display()),
            format!("--storage.path={}", dir.path().join("data").display()),
            format!("--web.listen-address=127.0.0.1:{port}"),
            "--cluster.listen-address=".to_string(),
        ];
        let proc = ProcessGroup::spawn("alertmanager", Path::new(AM_BIN), &args, &[], dir.path())
            .unwrap_or_else(|e| panic!("{e}"));
        let url = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let ready = format!("{url}/-/ready");
        let ok = wait_until(Duration::from_secs(10), || {
            let (http, ready) = (http.clone(), ready.clone());
            async move { matches!(http.get(&ready).send().await, Ok(r) if r.status().is_success()) }
        })
        .await;
        assert!(
            ok,
            "Alertmanager did not become ready on {url}:\n{}",
            proc.log_tail(4000)
        );
        Alertmanager {
            url,
            proc,
            _dir: dir,
        }
    }

    /// `GET /api/v2/alerts` (active, silenced, inhibited and unprocessed; resolved alerts are
    /// not listed).
    pub async fn alerts(&self) -> Vec<Value> {
        let body = reqwest::Client::new()
            .get(format!("{}/api/v2/alerts", self.url))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET /api/v2/alerts: {e}"))
            .text()
            .await
            .unwrap_or_else(|e| panic!("body: {e}"));
        serde_json::from_str::<Vec<Value>>(&body)
            .unwrap_or_else(|e| panic!("alerts JSON: {e}: {body}"))
    }

    /// The listed alert named `alertname`, if any.
    pub async fn find(&self, alertname: &str) -> Option<Value> {
        self.alerts()
            .await
            .into_iter()
            .find(|a| a["labels"]["alertname"] == alertname)
    }

    /// The tail of its log.
    pub fn log_tail(&self) -> String {
        self.proc.log_tail(4000)
    }
}
