//! Lakewatch on a `file://` store vs Debian's Prometheus 2.42: Prometheus scrapes itself and
//! remote-writes to Lakewatch; ≥ 50 PromQL expressions (instant and range) must give the same
//! answers from both. Needs `prometheus` on PATH (`bash tests/run.sh` installs it); set
//! `LAKEWATCH_E2E_SKIP_PROMETHEUS=1` to skip.

use lakewatch_e2e::scenario;
use lakewatch_e2e::tempdir::TempDir;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_and_lakewatch_agree_on_a_file_store() {
    let store = TempDir::new("store").expect("temp dir");
    let url = format!("file://{}", store.path().display());
    if let Some(report) = scenario::run("file", &url).await {
        report.assert_all_match("file store");
    }
}
