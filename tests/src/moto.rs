//! `moto_server` (PyPI `moto[server]`) on a free loopback port: an in-memory S3 that gets
//! conditional writes right (see docs/local-modes.md).

use crate::process::{free_port, wait_until, ProcessGroup};
use std::path::Path;
use std::time::Duration;

/// A running moto S3 server.
pub struct Moto {
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
    proc: ProcessGroup,
}

impl Moto {
    /// Starts `binary -H 127.0.0.1 -p <free port>`, waits until it answers and creates
    /// `bucket`. Errors: start failure, not answering within 30 s, bucket creation refused.
    pub async fn start(binary: &Path, log_dir: &Path, bucket: &str) -> Result<Self, String> {
        let port = free_port();
        let args = vec![
            "-H".to_string(),
            "127.0.0.1".to_string(),
            "-p".to_string(),
            port.to_string(),
        ];
        let proc = ProcessGroup::spawn("moto_server", binary, &args, &[], log_dir)?;
        let endpoint = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let ok = wait_until(Duration::from_secs(30), || {
            let http = http.clone();
            let url = format!("{endpoint}/");
            async move { http.get(&url).send().await.is_ok() }
        })
        .await;
        if !ok {
            return Err(format!(
                "moto_server did not answer\n{}",
                proc.log_tail(2000)
            ));
        }
        let r = http
            .put(format!("{endpoint}/{bucket}"))
            .send()
            .await
            .map_err(|e| format!("create bucket: {e}"))?;
        if !r.status().is_success() {
            return Err(format!("create bucket {bucket}: HTTP {}", r.status()));
        }
        Ok(Moto { endpoint, proc })
    }

    pub fn stop(&mut self) {
        self.proc.stop(Duration::from_secs(5));
    }
}
