//! Cloud core: the street's registry (communities, grids, estates → rooms, people, addresses,
//! doors, edge boxes), accounts with roles and data scope, visitor appointments and
//! multi-address applications, edge provisioning and the sync spine (directory down, pass logs
//! and alarms up, one-tap commands over a long-poll), and the admin queries.
//!
//! Code map: the rules (`policy`, `faces`, `cases`, and the pure parts of visits, alarms,
//! one-tap, sync and the login throttle) live in the `cloud-rules` crate (`cloud-core/rules`),
//! which cannot do I/O; `policy`, `faces` and `cases` keep their paths here through the
//! re-export below. `rooms` holds one module per domain (its API types, handlers and SQL).
//! Shared below the rooms: `state`, `paging`, `scope` (scoped lookups), `contract` (typed API
//! bodies), `error`, `db` (connections, migrations), `objects`, `hub` (one-tap rendezvous),
//! `feed` (changes pushed to consoles), `auth` and `keys` (secrets). Above them: `server`
//! (route table, guard, OpenAPI), `console` (serving the built web console) and `jobs`
//! (scheduled work).
#![forbid(unsafe_code)]

pub use cloud_rules::{cases, faces, policy};

pub mod auth;
pub mod config;
pub mod console;
pub mod contract;
pub mod db;
pub mod error;
pub mod feed;
pub mod hub;
pub mod jobs;
pub mod keys;
pub mod objects;
pub mod paging;
pub mod public;
pub mod rooms;
pub mod scope;
pub mod server;
pub mod state;

use std::net::SocketAddr;

/// Wall-clock milliseconds since the Unix epoch (the cloud trusts its own clock).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A new time-ordered id.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// A running cloud: bound address and a handle to stop it.
#[derive(Debug)]
pub struct Running {
    pub addr: SocketAddr,
    pub state: server::AppState,
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    jobs: Vec<tokio::task::JoinHandle<()>>,
}

impl Running {
    pub async fn stop(self) {
        self.state.feed.stop();
        let _ = self.stop.send(true);
        let _ = self.task.await;
        for j in self.jobs {
            let _ = j.await;
        }
    }
}

impl std::fmt::Debug for server::AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Db(#[from] db::DbError),
    #[error("key files in {dir}: {source}")]
    Keys { dir: String, source: std::io::Error },
    #[error("object store: {0}")]
    Objects(#[from] objects::OpenError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// Connect, migrate, load keys, bind and serve in the background.
pub async fn start(cfg: config::CloudConfig) -> Result<Running, StartError> {
    start_layered(cfg, |r| r).await
}

/// `start` with the router passed through `wrap` first (the tests add a layer that checks
/// every response against the OpenAPI document).
pub async fn start_layered(
    cfg: config::CloudConfig,
    wrap: impl FnOnce(axum::Router) -> axum::Router,
) -> Result<Running, StartError> {
    let db = db::Db::connect(&cfg.database_url).await?;
    let keys = keys::Keys::load_or_create(&cfg.data_dir).map_err(|source| StartError::Keys {
        dir: cfg.data_dir.display().to_string(),
        source,
    })?;
    let listener = tokio::net::TcpListener::bind(cfg.listen)
        .await
        .map_err(|source| StartError::Listen {
            addr: cfg.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| StartError::Listen {
        addr: cfg.listen,
        source,
    })?;
    let objects = objects::open(&cfg).await?;
    let state = server::AppState::new(db, cfg, keys, objects);
    let app = wrap(server::router(state.clone()));
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    let jobs = jobs::start(&state, &stop);
    let feed = state.feed.clone();
    let task = tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            let _ = stopped.changed().await;
            feed.stop();
        })
        .await
    });
    tracing::info!(%addr, engine = ?state.db.engine, "cloud core listening");
    Ok(Running {
        addr,
        state,
        stop,
        task,
        jobs,
    })
}
