//! Changes pushed to open consoles (server-sent events): today, "these alarms of this community
//! changed". Writers publish after their transaction commits; each console's stream subscribes
//! and keeps only its own community's events, then reads what changed through the same scoped
//! queries as the list routes. The feed carries ids only, never the records.
//!
//! With replicas on PostgreSQL, `publish` also sends the change through `NOTIFY console_alarms`
//! (ids only, cut to fit a notification), and each replica's listener (`listen`) hands other
//! replicas' changes to its own consoles: a console on any replica hears every change.

use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, watch};

/// How many unread events a slow console may fall behind before it is told to reload.
const BACKLOG: usize = 1024;
pub(crate) const CHANNEL_ALARMS: &str = "console_alarms";
/// PostgreSQL's notification payload limit is 8000 bytes; ids go in chunks well below it.
const MAX_IDS_PER_NOTIFICATION: usize = 100;

/// Alarms of one community changed (raised, updated by a box, acknowledged, cleared).
#[derive(Clone, Debug)]
pub struct AlarmsChanged {
    pub community_id: String,
    pub alarm_ids: Vec<String>,
}

/// What goes between replicas.
#[derive(Serialize, Deserialize)]
struct Remote {
    /// The replica that published (its own consoles heard it already).
    origin: String,
    community_id: String,
    alarm_ids: Vec<String>,
}

/// The owner of the process's live feeds, and of the signal that ends every open stream when
/// the server stops (a stream never ends by itself, and a graceful stop waits for them).
#[derive(Debug)]
pub struct Feed {
    alarms: broadcast::Sender<AlarmsChanged>,
    stopping: watch::Sender<bool>,
    /// PostgreSQL: where other replicas hear of changes, and this replica's id.
    shared: Option<(sqlx::AnyPool, String)>,
}

impl Default for Feed {
    fn default() -> Self {
        Feed {
            alarms: broadcast::channel(BACKLOG).0,
            stopping: watch::channel(false).0,
            shared: None,
        }
    }
}

impl Feed {
    /// A feed that also tells the other replicas on `pool`.
    pub fn shared(pool: sqlx::AnyPool) -> Feed {
        Feed {
            shared: Some((pool, uuid::Uuid::now_v7().to_string())),
            ..Feed::default()
        }
    }

    /// Tell open consoles, here and on the other replicas; nobody listening is fine.
    pub fn publish_alarms(&self, community_id: &str, alarm_ids: Vec<String>) {
        if alarm_ids.is_empty() {
            return;
        }
        if let Some((pool, origin)) = &self.shared {
            for chunk in alarm_ids.chunks(MAX_IDS_PER_NOTIFICATION) {
                let Ok(text) = serde_json::to_string(&Remote {
                    origin: origin.clone(),
                    community_id: community_id.to_string(),
                    alarm_ids: chunk.to_vec(),
                }) else {
                    continue;
                };
                let pool = pool.clone();
                tokio::spawn(async move {
                    if let Err(e) = sqlx::query("SELECT pg_notify($1, $2)")
                        .bind(CHANNEL_ALARMS)
                        .bind(text)
                        .execute(&pool)
                        .await
                    {
                        tracing::warn!(error = %e, "alarm change not told to the other replicas (their consoles see it on reload)");
                    }
                });
            }
        }
        let _ = self.alarms.send(AlarmsChanged {
            community_id: community_id.to_string(),
            alarm_ids,
        });
    }

    /// A change another replica published (from the listener); our own are skipped.
    pub(crate) fn heard_from_replica(&self, payload: &str) {
        let Ok(r) = serde_json::from_str::<Remote>(payload) else {
            return;
        };
        if self.shared.as_ref().is_some_and(|(_, me)| *me == r.origin) {
            return;
        }
        let _ = self.alarms.send(AlarmsChanged {
            community_id: r.community_id,
            alarm_ids: r.alarm_ids,
        });
    }

    pub fn subscribe_alarms(&self) -> broadcast::Receiver<AlarmsChanged> {
        self.alarms.subscribe()
    }

    /// Turns true when the server stops.
    pub fn stopping(&self) -> watch::Receiver<bool> {
        self.stopping.subscribe()
    }

    /// End every open stream (called before the server's graceful stop).
    pub fn stop(&self) {
        self.stopping.send_replace(true);
    }
}
