//! Lakewatch on an `s3://` store (moto_server) vs Debian's Prometheus 2.42: the same comparison
//! as `prometheus_file_store.rs`, with every object going through S3 conditional writes.
//! Needs `prometheus` and `moto_server` on PATH (`bash tests/run.sh` installs both); set
//! `LAKEWATCH_E2E_SKIP_PROMETHEUS=1` or `LAKEWATCH_E2E_SKIP_S3=1` to skip.

use lakewatch_e2e::env::{require, SKIP_S3};
use lakewatch_e2e::moto::Moto;
use lakewatch_e2e::scenario;
use lakewatch_e2e::tempdir::TempDir;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_and_lakewatch_agree_on_an_s3_store() {
    let Some(moto_bin) = require("moto_server", SKIP_S3, "pip install 'moto[server]'") else {
        return;
    };
    if lakewatch_e2e::env::flag(lakewatch_e2e::env::SKIP_PROMETHEUS) {
        eprintln!("SKIPPED: {} is set", lakewatch_e2e::env::SKIP_PROMETHEUS);
        return;
    }
    let logs = TempDir::new("moto").expect("temp dir");
    let mut moto = Moto::start(&moto_bin, logs.path(), "lakewatch-e2e")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // This test binary runs only this test, so setting the process environment is safe here;
    // the store reads these when it is built.
    std::env::set_var("LAKEWATCH_S3_ENDPOINT", &moto.endpoint);
    std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
    std::env::set_var("AWS_REGION", "us-east-1");
    let report = scenario::run("s3", "s3://lakewatch-e2e/e2e-prefix").await;
    moto.stop();
    if let Some(report) = report {
        report.assert_all_match("s3 store (moto)");
    }
}
