//! Starting and stopping the local process.

use crate::backend::Backend;
use crate::config::DevConfig;
use crate::error::ServerError;
use crate::{compactor, demo, http_front, ruler, selfmon};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A running `lakewatch dev`: the bound address and the handles to stop it.
pub struct DevServer {
    addr: SocketAddr,
    backend: Arc<Backend>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl DevServer {
    /// The address actually bound (useful with port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL clients use, e.g. `http://127.0.0.1:9009` (an unspecified listen address
    /// such as `0.0.0.0` is shown as `127.0.0.1`).
    pub fn base_url(&self) -> String {
        let mut a = self.addr;
        if a.ip().is_unspecified() {
            a.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
        }
        format!("http://{a}")
    }

    /// The router and store this process serves (to call handlers in-process).
    pub fn backend(&self) -> Arc<Backend> {
        self.backend.clone()
    }

    /// The lines printed at start: what to give Grafana, Prometheus and OTLP clients.
    pub fn banner(&self, cfg: &DevConfig) -> String {
        let base = self.base_url();
        let demo = if cfg.demo {
            format!(
                "on: AI-gateway metrics and logs every {}s for tenant \"anonymous\" (disable with --no-demo)",
                cfg.demo_interval.as_secs()
            )
        } else {
            "off".to_string()
        };
        format!(
            "Lakewatch dev is running\n\
             \x20 store:                               {store}\n\
             \x20 Grafana, Prometheus datasource URL:  {base}\n\
             \x20 Prometheus remote_write URL:         {base}/api/v1/write\n\
             \x20 OTLP/HTTP metrics URL:               {base}/otlp/v1/metrics\n\
             \x20 Grafana, Loki datasource URL:        {base}/logs\n\
             \x20 Loki push URL (Promtail, Alloy):     {base}/loki/api/v1/push\n\
             \x20 OTLP/HTTP logs URL:                  {base}/otlp/v1/logs\n\
             \x20 tenant: X-Scope-OrgID header, else the basic-auth user name, else \"anonymous\"\n\
             \x20 demo traffic:                        {demo}\n\
             \x20 compactor:                           every {comp:?}\n\
             \x20 Lakewatch's own metrics:             {base}/metrics ({selfmon})\n\
             Press Ctrl-C to stop.",
            store = self.backend.store_url(),
            comp = cfg.compaction_interval,
            selfmon = if cfg.self_monitoring_interval.is_zero() {
                "not written to the store".to_string()
            } else {
                format!(
                    "written every {:?} as job=\"lakewatch\"",
                    cfg.self_monitoring_interval
                )
            },
        )
    }

    /// Stops accepting requests, lets in-flight requests and the current demo write finish,
    /// and waits for every task.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

/// `--rules DIR`: loads DIR (PromQL) and, when present, `DIR/logs/` (LogQL) into the rules
/// store for tenant `anonymous` ([`lakewatch_ruler::store::RulesStore::load_dir`]).
/// Errors: [`ServerError::Rules`] naming the file and promtool's message.
pub async fn load_rules(
    store: &lakewatch_storage::Store,
    dir: &std::path::Path,
) -> Result<(), ServerError> {
    use lakewatch_ruler::rules::ExprLanguage;
    let rules = lakewatch_ruler::store::RulesStore::new(store.clone());
    let tenant = lakewatch_model::TenantId::anonymous();
    let err = |e: lakewatch_ruler::store::RulesStoreError| ServerError::Rules(e.to_string());
    let ns = rules
        .load_dir(&tenant, ExprLanguage::PromQL, dir)
        .await
        .map_err(err)?;
    tracing::info!(dir = %dir.display(), namespaces = ?ns, "loaded Prometheus rule files");
    let logs = dir.join("logs");
    if logs.is_dir() {
        let ns = rules
            .load_dir(&tenant, ExprLanguage::LogQL, &logs)
            .await
            .map_err(err)?;
        tracing::info!(dir = %logs.display(), namespaces = ?ns, "loaded Loki rule files");
    }
    Ok(())
}

/// Opens the store, binds `cfg.listen` and starts the HTTP server, the compactor schedule and
/// (if enabled) the demo traffic. Returns once the port accepts connections; the demo backfill
/// continues in the background.
/// Errors: [`ServerError::Store`], [`ServerError::Listen`].
pub async fn start(cfg: DevConfig) -> Result<DevServer, ServerError> {
    let backend = Arc::new(Backend::open(&cfg.store_url).await?);
    if let Some(dir) = &cfg.rules_dir {
        load_rules(backend.store(), dir).await?;
    }
    let listener = tokio::net::TcpListener::bind(cfg.listen)
        .await
        .map_err(|source| ServerError::Listen {
            addr: cfg.listen.to_string(),
            source,
        })?;
    let addr = listener
        .local_addr()
        .map_err(|source| ServerError::Listen {
            addr: cfg.listen.to_string(),
            source,
        })?;
    let (stop, stop_rx) = watch::channel(false);
    let mut tasks = Vec::new();

    let app = http_front::router(backend.clone());
    let mut http_stop = stop_rx.clone();
    tasks.push(tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = http_stop.wait_for(|s| *s).await;
            })
            .await;
        if let Err(e) = served {
            tracing::error!(error = %e, "HTTP server stopped");
        }
    }));
    tasks.push(tokio::spawn(compactor::run(
        backend.clone(),
        cfg.compaction_interval,
        stop_rx.clone(),
    )));
    if !cfg.ruler_interval.is_zero() {
        tasks.push(tokio::spawn(ruler::run(
            backend.ruler()?,
            cfg.ruler_interval,
            stop_rx.clone(),
        )));
    }
    if !cfg.self_monitoring_interval.is_zero() {
        tasks.push(tokio::spawn(selfmon::run(
            backend.clone(),
            cfg.self_monitoring_interval,
            addr.to_string(),
            stop_rx.clone(),
        )));
    }
    if cfg.demo {
        let opts = demo::DemoOptions {
            interval: cfg.demo_interval,
            backfill: cfg.demo_backfill,
            seed: demo::DEFAULT_SEED,
        };
        tasks.push(tokio::spawn(demo::run(backend.clone(), opts, stop_rx)));
    }
    Ok(DevServer {
        addr,
        backend,
        stop,
        tasks,
    })
}

/// Runs `lakewatch dev` until `signal` completes (Ctrl-C in the binary), printing the banner.
pub async fn run_until(
    cfg: DevConfig,
    signal: impl Future<Output = ()>,
) -> Result<(), ServerError> {
    let server = start(cfg.clone()).await?;
    println!("{}", server.banner(&cfg));
    signal.await;
    println!("Shutting down…");
    server.shutdown().await;
    Ok(())
}
