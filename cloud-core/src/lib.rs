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
pub mod listen;
pub mod metrics;
pub mod objects;
pub mod paging;
pub mod public;
pub mod replay;
pub mod rooms;
pub mod scope;
pub mod server;
pub mod state;
pub mod throttles;

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
    /// SQLite only: the lock beside the database file, held while serving.
    _serve_lock: Option<std::fs::File>,
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
    #[error("another cloud-core process is serving the SQLite database {path}: SQLite is for one process; run replicas on PostgreSQL")]
    SqliteInUse { path: String },
    #[error("cannot take the lock {path}: {source}")]
    SqliteLock {
        path: String,
        source: std::io::Error,
    },
    /// The data_dir's keys are not the ones the database was served with.
    #[error("the {role} in {dir} (fingerprint {here}) is not the one this database was served with ({recorded}): point data_dir at the right folder, or restore the keys with `cloud-core restore-keys`")]
    KeysDiffer {
        dir: String,
        role: String,
        recorded: String,
        here: String,
    },
    #[error("object store: {0}")]
    Objects(#[from] objects::OpenError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// The keys in `cfg.data_dir`, checked against the fingerprints the database recorded (and
/// recorded if it has none): a database served before gets no new key, and no other.
pub async fn open_keys(db: &db::Db, cfg: &config::CloudConfig) -> Result<keys::Keys, StartError> {
    let recorded = db.key_fingerprints().await?;
    let keys = keys::Keys::load(&cfg.data_dir, recorded.is_empty()).map_err(|source| {
        StartError::Keys {
            dir: cfg.data_dir.display().to_string(),
            source,
        }
    })?;
    db.check_key_fingerprints(keys.fingerprints())
        .await
        .map_err(|e| match e {
            db::FingerprintError::Db(e) => StartError::Db(e),
            db::FingerprintError::Differs {
                role,
                recorded,
                here,
            } => StartError::KeysDiffer {
                dir: cfg.data_dir.display().to_string(),
                role,
                recorded,
                here,
            },
        })?;
    Ok(keys)
}

/// SQLite is served by one process: an exclusive lock on `<file>.serve.lock`, held while the
/// process serves. `None` for PostgreSQL (replicas share it) and for an in-memory database.
async fn sqlite_serve_lock(url: &str) -> Result<Option<std::fs::File>, StartError> {
    let Some(rest) = url.strip_prefix("sqlite:") else {
        return Ok(None);
    };
    let path = rest.trim_start_matches("//");
    let path = path.split('?').next().unwrap_or(path);
    if path.is_empty() || path.starts_with(':') {
        return Ok(None);
    }
    let lock_path = format!("{path}.serve.lock");
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|source| StartError::SqliteLock {
            path: lock_path.clone(),
            source,
        })?;
    // A holder that is going away (a process just killed, a child forked by this one between
    // its fork and its exec) lets go within moments; a serving process never does.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    loop {
        match f.try_lock() {
            Ok(()) => return Ok(Some(f)),
            Err(std::fs::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(StartError::SqliteInUse {
                    path: path.to_string(),
                })
            }
            Err(std::fs::TryLockError::Error(source)) => {
                return Err(StartError::SqliteLock {
                    path: lock_path,
                    source,
                })
            }
        }
    }
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
    // Before anything is written: a second process on the same SQLite file is refused.
    let serve_lock = sqlite_serve_lock(&cfg.database_url).await?;
    let db = db::Db::connect(&cfg.database_url).await?;
    let keys = open_keys(&db, &cfg).await?;
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
    let mut jobs = jobs::start(&state, &stop);
    // PostgreSQL: other replicas' commands, outcomes and console changes reach this one.
    jobs.extend(listen::start(&state, stop.subscribe()));
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
        _serve_lock: serve_lock,
    })
}
