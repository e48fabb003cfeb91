//! Changes pushed to open consoles (server-sent events): today, "these alarms of this community
//! changed". Writers publish after their transaction commits; each console's stream subscribes
//! and keeps only its own community's events, then reads what changed through the same scoped
//! queries as the list routes. The feed carries ids only, never the records.
//!
//! One process today (a broadcast channel). With several replicas the same `publish` will also
//! go through the database's notifications, so a console on any replica hears every change.

use tokio::sync::{broadcast, watch};

/// How many unread events a slow console may fall behind before it is told to reload.
const BACKLOG: usize = 1024;

/// Alarms of one community changed (raised, updated by a box, acknowledged, cleared).
#[derive(Clone, Debug)]
pub struct AlarmsChanged {
    pub community_id: String,
    pub alarm_ids: Vec<String>,
}

/// The owner of the process's live feeds, and of the signal that ends every open stream when
/// the server stops (a stream never ends by itself, and a graceful stop waits for them).
#[derive(Debug)]
pub struct Feed {
    alarms: broadcast::Sender<AlarmsChanged>,
    stopping: watch::Sender<bool>,
}

impl Default for Feed {
    fn default() -> Self {
        Feed {
            alarms: broadcast::channel(BACKLOG).0,
            stopping: watch::channel(false).0,
        }
    }
}

impl Feed {
    /// Tell open consoles; nobody listening is fine.
    pub fn publish_alarms(&self, community_id: &str, alarm_ids: Vec<String>) {
        if alarm_ids.is_empty() {
            return;
        }
        let _ = self.alarms.send(AlarmsChanged {
            community_id: community_id.to_string(),
            alarm_ids,
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
