//! What every handler shares: the database, config, keys, the object store and the few
//! in-memory parts that must be shared (each with its reason). Handlers take
//! `State<AppState>`; nothing here knows about routes or handlers.

use std::sync::{Arc, Mutex};

use crate::auth::Throttle;
use crate::config::CloudConfig;
use crate::db::Db;
use crate::hub::CommandHub;
use crate::keys::Keys;

/// Everything handlers share. Shared mutable parts, each with its reason:
/// - `throttle`, `signups`: login failure and sign-up counts must be seen by every request; a
///   std mutex, never held across an await.
/// - `hub`: the rendezvous between one-tap requests and the boxes' long-polls (see `hub`).
/// - `feed`: changes pushed to open consoles (see `feed`).
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub cfg: Arc<CloudConfig>,
    pub keys: Arc<Keys>,
    pub throttle: Arc<Mutex<Throttle>>,
    /// Anonymous sign-ups counted per client address (same reason as `throttle`).
    pub signups: Arc<Mutex<Throttle>>,
    /// Visit requests counted per app account over 24 h (same reason).
    pub visit_requests: Arc<Mutex<Throttle>>,
    /// Signed box requests already accepted: each is admitted once (see `edge_sync::auth`).
    pub replay: Arc<Mutex<edge_sync::auth::ReplayGuard>>,
    pub hub: Arc<CommandHub>,
    pub objects: Arc<dyn crate::objects::ObjectStore>,
    /// The street's case category tree, read once every few seconds rather than per report.
    pub categories: Arc<CategoryCache>,
    /// Changes pushed to open consoles (see `feed`).
    pub feed: Arc<crate::feed::Feed>,
    /// This replica's Prometheus metrics (see `metrics`).
    pub metrics: Arc<crate::metrics::CloudMetrics>,
}

impl AppState {
    pub fn new(
        db: Db,
        cfg: CloudConfig,
        keys: Keys,
        objects: Arc<dyn crate::objects::ObjectStore>,
    ) -> AppState {
        let throttle = Throttle::new(
            cfg.login_max_failures,
            (cfg.login_window_seconds * 1000) as i64,
        );
        let signups = Throttle::new(
            cfg.signup_max_per_address,
            (cfg.signup_window_seconds * 1000) as i64,
        );
        let visit_requests = Throttle::new(cfg.visit_requests_per_day, 86_400_000);
        let cfg_access_log = cfg.access_log;
        let (hub, feed) = match db.engine {
            crate::db::Engine::Postgres => (
                CommandHub::shared(db.pool.clone()),
                crate::feed::Feed::shared(db.pool.clone()),
            ),
            crate::db::Engine::Sqlite => (CommandHub::local(), crate::feed::Feed::default()),
        };
        AppState {
            db,
            objects,
            cfg: Arc::new(cfg),
            keys: Arc::new(keys),
            throttle: Arc::new(Mutex::new(throttle)),
            signups: Arc::new(Mutex::new(signups)),
            visit_requests: Arc::new(Mutex::new(visit_requests)),
            replay: Arc::default(),
            hub: Arc::new(hub),
            categories: Arc::default(),
            feed: Arc::new(feed),
            metrics: Arc::new(crate::metrics::CloudMetrics::new(cfg_access_log)),
        }
    }
}

/// The street's category tree as last read, shared by the handlers of this process.
///
/// Why a cache: every report validates against the tree, and reading and parsing it was one
/// database round trip of the handful a report costs. A `PUT` here replaces it at once; another
/// cloud process sharing the database sees the change within `CATEGORY_CACHE_MS`.
#[derive(Debug, Default)]
pub struct CategoryCache {
    slot: std::sync::Mutex<Option<(std::time::Instant, Arc<crate::cases::CategoryTree>)>>,
}

const CATEGORY_CACHE_MS: u128 = 2_000;

impl CategoryCache {
    pub(crate) fn fresh(&self) -> Option<Arc<crate::cases::CategoryTree>> {
        let slot = self.slot.lock().unwrap_or_else(|p| p.into_inner());
        slot.as_ref()
            .filter(|(at, _)| at.elapsed().as_millis() < CATEGORY_CACHE_MS)
            .map(|(_, t)| t.clone())
    }

    pub(crate) fn keep(&self, tree: Arc<crate::cases::CategoryTree>) {
        *self.slot.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((std::time::Instant::now(), tree));
    }
}
