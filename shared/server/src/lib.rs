//! The local all-in-one process: `lakewatch dev`.
//!
//! One process serves every Lakewatch route on one port (an axum fallback that hands each
//! request to [`lakewatch_api`]'s all-in-one router), runs the compactor on a schedule
//! in-process, and (unless disabled) writes demo traffic shaped like an AI gateway through the
//! real remote-write ingest path. It stores into a local folder (`./data`) by default.
//!
//! Embedding (as the end-to-end tests do):
//! ```no_run
//! # async fn demo() -> Result<(), lakewatch_server::ServerError> {
//! let cfg = lakewatch_server::DevConfig {
//!     listen: "127.0.0.1:0".parse().unwrap(),
//!     store_url: "memory://".into(),
//!     demo: false,
//!     ..Default::default()
//! };
//! let server = lakewatch_server::start(cfg).await?;
//! println!("listening on {}", server.addr());
//! server.shutdown().await;
//! # Ok(()) }
//! ```

pub mod backend;
pub mod cli;
pub mod compactor;
pub mod config;
pub mod demo;
pub mod demo_command;
pub mod duration;
pub mod error;
pub mod every;
pub mod http_front;
pub mod ruler;
pub mod run;
pub mod selfmon;

pub use backend::Backend;
pub use config::DevConfig;
pub use error::ServerError;
pub use run::{run_until, start, DevServer};
