//! `lakewatch`: the local all-in-one process (`lakewatch dev --help`) and the demo traffic
//! sender (`lakewatch demo --help`).

use clap::Parser;
use lakewatch_server::cli::{Cli, Command};
use lakewatch_server::demo_command::DemoCommandConfig;
use lakewatch_server::DevConfig;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let stop = ctrl_c();
    let result = match cli.command {
        Command::Dev(args) => lakewatch_server::run_until(DevConfig::from(args), stop)
            .await
            .map_err(|e| e.to_string()),
        Command::Demo(args) => {
            let cfg = DemoCommandConfig::from(args);
            let url = cfg.url.clone();
            match lakewatch_server::demo_command::run(cfg, stop).await {
                Ok(s) => {
                    eprintln!(
                        "lakewatch demo: sent to {url}: {}",
                        lakewatch_server::demo_command::progress_line(&s)
                    );
                    Ok(())
                }
                Err(e) => Err(format!("demo: {e}")),
            }
        }
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lakewatch: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Completes on Ctrl-C (SIGINT) or SIGTERM. The handlers are installed now, before the server
/// starts answering, so a signal that arrives during start-up is not lost (nor fatal).
#[cfg(unix)]
fn ctrl_c() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{signal, SignalKind};
    let int = signal(SignalKind::interrupt()).ok();
    let term = signal(SignalKind::terminate()).ok();
    async move {
        match (int, term) {
            (Some(mut i), Some(mut t)) => {
                tokio::select! {
                    _ = i.recv() => {}
                    _ = t.recv() => {}
                }
            }
            (Some(mut i), None) => {
                i.recv().await;
            }
            (None, Some(mut t)) => {
                t.recv().await;
            }
            (None, None) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
}

/// Completes on Ctrl-C.
#[cfg(not(unix))]
fn ctrl_c() -> impl std::future::Future<Output = ()> {
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}
