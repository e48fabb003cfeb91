//! PostgreSQL notifications between replicas: the one connection that LISTENs, and where each
//! channel goes. A notification only wakes: what it is about is in the database (a command, an
//! outcome) or is a hint to re-read (alarms changed). `edge_commands` → the long-poll of that box
//! held here; `edge_outcomes` → the one-tap waiting here; `console_alarms` → this replica's open
//! consoles. SQLite has one process and no listener.

use std::time::Duration;

use edge_sync::sync::CommandOutcomeV1;
use tokio::sync::watch;

use crate::feed::CHANNEL_ALARMS;
use crate::hub::{CHANNEL_COMMANDS, CHANNEL_OUTCOMES};
use crate::state::AppState;

/// Start the listener (PostgreSQL only); it ends when `stop` turns true, and reconnects after
/// a lost connection (the hub's re-checks cover what was missed meanwhile).
pub fn start(
    st: &AppState,
    mut stop: watch::Receiver<bool>,
) -> Option<tokio::task::JoinHandle<()>> {
    if st.db.engine != crate::db::Engine::Postgres {
        return None;
    }
    let st = st.clone();
    Some(tokio::spawn(async move {
        loop {
            let mut listener = match sqlx::postgres::PgListener::connect(&st.cfg.database_url).await
            {
                Ok(l) => l,
                Err(e) => {
                    tracing::warn!(error = %e, "notification listener cannot connect; retrying");
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_secs(1)) => continue,
                        _ = stop.changed() => return,
                    }
                }
            };
            if let Err(e) = listener
                .listen_all([CHANNEL_COMMANDS, CHANNEL_OUTCOMES, CHANNEL_ALARMS])
                .await
            {
                tracing::warn!(error = %e, "notification listener cannot listen; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => continue,
                    _ = stop.changed() => return,
                }
            }
            loop {
                let n = tokio::select! {
                    n = listener.recv() => n,
                    _ = stop.changed() => return,
                };
                match n {
                    Ok(n) => match n.channel() {
                        CHANNEL_COMMANDS => st.hub.wake_box(n.payload()),
                        CHANNEL_OUTCOMES => {
                            if let Ok(o) = serde_json::from_str::<CommandOutcomeV1>(n.payload()) {
                                st.hub.complete_here(o);
                            }
                        }
                        CHANNEL_ALARMS => st.feed.heard_from_replica(n.payload()),
                        _ => {}
                    },
                    Err(e) => {
                        tracing::warn!(error = %e, "notification listener lost its connection; reconnecting");
                        break;
                    }
                }
            }
        }
    }))
}
