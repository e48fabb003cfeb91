//! The rendezvous between one-tap requests and the boxes' long-polls. Boxes sit behind NAT, so
//! the cloud cannot call them: each box holds a `GET /v1/edge/commands` open, a one-tap request
//! queues a signed command for the box and waits for the box's outcome report.
//!
//! One SQLite process: commands and outcomes meet in memory (one std mutex, held only for map
//! updates, never across an await); a command is valid for seconds, and after a restart the app
//! simply taps again. PostgreSQL, where replicas share the database and a request may land on
//! any of them: the signed command is kept with its `commands` row and claimed by the box's
//! long-poll on whichever replica holds it (`UPDATE … RETURNING`, so exactly once); a box's
//! presence is a row (`box_presence`) with an expiry; `NOTIFY edge_commands` / `edge_outcomes`
//! only wake the replica that waits (`listen`), and a slow re-check covers a
//! notification lost while a listener reconnects.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use edge_sync::sync::CommandOutcomeV1;
use edge_sync::SignedCommand;
use sqlx::Row as _;
use tokio::sync::{oneshot, Notify};
use uuid::Uuid;

/// A box counts as online while it holds a poll, or for this long after its last one ended
/// (it re-polls at once after each answer).
const ONLINE_GRACE_MS: i64 = 3_000;
/// PostgreSQL: how often a waiting poll or one-tap looks in the table without a notification.
const RECHECK_POLL: Duration = Duration::from_secs(5);
const RECHECK_OUTCOME: Duration = Duration::from_millis(1_000);
pub(crate) const CHANNEL_COMMANDS: &str = "edge_commands";
pub(crate) const CHANNEL_OUTCOMES: &str = "edge_outcomes";

#[derive(Default)]
pub struct CommandHub {
    inner: Mutex<Inner>,
    /// The shared database when replicas may serve (PostgreSQL); `None`: all in memory.
    shared: Option<sqlx::AnyPool>,
}

impl std::fmt::Debug for CommandHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CommandHub { .. }")
    }
}

#[derive(Default)]
struct Inner {
    boxes: HashMap<String, Slot>,
    waiting: HashMap<Uuid, oneshot::Sender<CommandOutcomeV1>>,
}

#[derive(Default)]
struct Slot {
    queue: VecDeque<SignedCommand>,
    notify: Arc<Notify>,
    polling: u32,
    last_poll_end_ms: i64,
}

impl CommandHub {
    /// In memory (one process, SQLite).
    pub fn local() -> CommandHub {
        CommandHub::default()
    }

    /// Across replicas on the shared PostgreSQL database `pool`.
    pub fn shared(pool: sqlx::AnyPool) -> CommandHub {
        CommandHub {
            inner: Mutex::default(),
            shared: Some(pool),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding this lock cannot leave the maps inconsistent (each update is
        // one insert or remove), so a poisoned lock is still usable.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn locally_online(&self, box_id: &str, now_ms: i64) -> bool {
        self.lock()
            .boxes
            .get(box_id)
            .is_some_and(|s| s.polling > 0 || now_ms - s.last_poll_end_ms < ONLINE_GRACE_MS)
    }

    pub async fn is_online(&self, box_id: &str, now_ms: i64) -> Result<bool, sqlx::Error> {
        Ok(self
            .online_among(&[box_id.to_string()], now_ms)
            .await?
            .contains(box_id))
    }

    /// Which of `ids` hold a long-poll (on any replica) now.
    pub async fn online_among(
        &self,
        ids: &[String],
        now_ms: i64,
    ) -> Result<HashSet<String>, sqlx::Error> {
        let Some(pool) = &self.shared else {
            return Ok(ids
                .iter()
                .filter(|id| self.locally_online(id, now_ms))
                .cloned()
                .collect());
        };
        let mut out = HashSet::new();
        for chunk in ids.chunks(500) {
            let sql = format!(
                "SELECT box_id FROM box_presence WHERE online_until_ms > $1 AND box_id IN ({})",
                crate::db::placeholders(2, chunk.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(now_ms);
            for id in chunk {
                q = q.bind(id);
            }
            for r in q.fetch_all(pool).await? {
                out.insert(r.try_get::<String, _>(0)?);
            }
        }
        Ok(out)
    }

    /// Queue a signed command for a box (its `commands` row already written); the receiver
    /// resolves with the box's outcome report, wherever the box reports it.
    pub async fn push(
        &self,
        box_id: &str,
        command_id: Uuid,
        cmd: SignedCommand,
        expires_at_ms: i64,
    ) -> Result<oneshot::Receiver<CommandOutcomeV1>, sqlx::Error> {
        let (tx, rx) = oneshot::channel();
        self.lock().waiting.insert(command_id, tx);
        let Some(pool) = &self.shared else {
            let mut inner = self.lock();
            let slot = inner.boxes.entry(box_id.to_string()).or_default();
            slot.queue.push_back(cmd);
            slot.notify.notify_one();
            return Ok(rx);
        };
        sqlx::query(
            "UPDATE commands SET payload = $1, signature = $2, expires_at_ms = $3 WHERE id = $4",
        )
        .bind(&cmd.payload)
        .bind(&cmd.signature)
        .bind(expires_at_ms)
        .bind(command_id.to_string())
        .execute(pool)
        .await?;
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL_COMMANDS)
            .bind(box_id)
            .execute(pool)
            .await?;
        Ok(rx)
    }

    /// Wait for a command's outcome until `timeout`: the report's wake-up, or (PostgreSQL) the
    /// row's outcome found by a re-check. `None`: no outcome in time.
    pub async fn outcome(
        &self,
        command_id: Uuid,
        mut rx: oneshot::Receiver<CommandOutcomeV1>,
        timeout: Duration,
    ) -> Option<CommandOutcomeV1> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let step = match &self.shared {
                Some(_) => RECHECK_OUTCOME
                    .min(deadline.saturating_duration_since(tokio::time::Instant::now())),
                None => deadline.saturating_duration_since(tokio::time::Instant::now()),
            };
            match tokio::time::timeout(step, &mut rx).await {
                Ok(Ok(o)) => return Some(o),
                Ok(Err(_)) => return None,
                Err(_) => {}
            }
            if let Some(pool) = &self.shared {
                if let Ok(Some(o)) = stored_outcome(pool, command_id).await {
                    self.abandon(command_id);
                    return Some(o);
                }
            }
            if tokio::time::Instant::now() >= deadline {
                self.abandon(command_id);
                return None;
            }
        }
    }

    /// Forget a command nobody waits for any more (the one-tap request timed out).
    pub fn abandon(&self, command_id: Uuid) {
        self.lock().waiting.remove(&command_id);
    }

    /// Deliver a box's outcome (already stored) to the request waiting for it, here or on
    /// another replica. False if nobody waits here (and, alone, anywhere).
    pub async fn complete(&self, outcome: CommandOutcomeV1) -> bool {
        if let Some(pool) = &self.shared {
            if let Ok(text) = serde_json::to_string(&outcome) {
                if let Err(e) = sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(CHANNEL_OUTCOMES)
                    .bind(text)
                    .execute(pool)
                    .await
                {
                    tracing::warn!(error = %e, "outcome notification not sent; the waiting request finds it by its re-check");
                }
            }
        }
        self.complete_here(outcome)
    }

    /// Hand an outcome to the request waiting here for it (from the listener, or the report).
    pub(crate) fn complete_here(&self, outcome: CommandOutcomeV1) -> bool {
        let tx = self.lock().waiting.remove(&outcome.command_id);
        match tx {
            Some(tx) => tx.send(outcome).is_ok(),
            None => false,
        }
    }

    /// Wake a long-poll of `box_id` held here (a command was queued on another replica).
    pub(crate) fn wake_box(&self, box_id: &str) {
        if let Some(slot) = self.lock().boxes.get(box_id) {
            slot.notify.notify_one();
        }
    }

    /// A box's long-poll: the queued commands, at once if there are any, else as soon as one
    /// arrives, else an empty list after `wait`.
    pub async fn poll(&self, box_id: &str, wait: Duration) -> Vec<SignedCommand> {
        let notify = {
            let mut inner = self.lock();
            let slot = inner.boxes.entry(box_id.to_string()).or_default();
            slot.polling += 1;
            slot.notify.clone()
        };
        let _guard = PollGuard { hub: self, box_id };
        if let Some(pool) = &self.shared {
            let until = crate::now_ms() + wait.as_millis() as i64 + ONLINE_GRACE_MS;
            if let Err(e) = present(pool, box_id, until, true).await {
                tracing::warn!(error = %e, box_id, "box presence not recorded");
            }
        }
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let taken: Vec<SignedCommand> = match &self.shared {
                None => {
                    let mut inner = self.lock();
                    match inner.boxes.get_mut(box_id) {
                        Some(slot) => slot.queue.drain(..).collect(),
                        None => Vec::new(),
                    }
                }
                Some(pool) => match claim(pool, box_id).await {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::warn!(error = %e, box_id, "commands could not be claimed; trying again");
                        Vec::new()
                    }
                },
            };
            if !taken.is_empty() {
                return taken;
            }
            // notify_one stores a permit when no poll waits, so a push between the drain above
            // and this await still wakes us.
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                return Vec::new();
            }
            let step = if self.shared.is_some() {
                left.min(RECHECK_POLL)
            } else {
                left
            };
            let _ = tokio::time::timeout(step, notify.notified()).await;
        }
    }
}

/// Mark `box_id` online until `until` (extending only when `extend`; a poll's end sets it).
async fn present(
    pool: &sqlx::AnyPool,
    box_id: &str,
    until: i64,
    extend: bool,
) -> Result<(), sqlx::Error> {
    let sql = if extend {
        "INSERT INTO box_presence (box_id, online_until_ms) VALUES ($1, $2) ON CONFLICT (box_id) \
         DO UPDATE SET online_until_ms = GREATEST(box_presence.online_until_ms, excluded.online_until_ms)"
    } else {
        "UPDATE box_presence SET online_until_ms = $2 WHERE box_id = $1"
    };
    sqlx::query(sql)
        .bind(box_id)
        .bind(until)
        .execute(pool)
        .await?;
    Ok(())
}

/// Take this box's undelivered, unexpired commands: each is claimed by one poll only.
async fn claim(pool: &sqlx::AnyPool, box_id: &str) -> Result<Vec<SignedCommand>, sqlx::Error> {
    let now = crate::now_ms();
    let rows = sqlx::query(
        "UPDATE commands SET delivered_at_ms = $1 WHERE id IN (\
           SELECT id FROM commands WHERE box_id = $2 AND delivered_at_ms IS NULL \
           AND payload IS NOT NULL AND outcome IS NULL AND expires_at_ms > $1 \
           ORDER BY issued_at_ms FOR UPDATE SKIP LOCKED) \
         RETURNING payload, signature, issued_at_ms",
    )
    .bind(now)
    .bind(box_id)
    .fetch_all(pool)
    .await?;
    let mut out: Vec<(i64, SignedCommand)> = rows
        .iter()
        .map(|r| {
            Ok((
                r.try_get::<i64, _>(2)?,
                SignedCommand {
                    payload: r.try_get(0)?,
                    signature: r.try_get(1)?,
                },
            ))
        })
        .collect::<Result<_, sqlx::Error>>()?;
    out.sort_by_key(|(at, _)| *at);
    Ok(out.into_iter().map(|(_, c)| c).collect())
}

/// The outcome the box reported for a command, if it has (stored by `edge::command_outcome`).
async fn stored_outcome(
    pool: &sqlx::AnyPool,
    command_id: Uuid,
) -> Result<Option<CommandOutcomeV1>, sqlx::Error> {
    let row = sqlx::query("SELECT outcome, reason FROM commands WHERE id = $1")
        .bind(command_id.to_string())
        .fetch_optional(pool)
        .await?;
    let Some(r) = row else { return Ok(None) };
    let outcome: Option<String> = r.try_get(0)?;
    let reason: Option<String> = r.try_get(1)?;
    Ok(match outcome.as_deref() {
        Some(o @ ("opened" | "denied")) => Some(CommandOutcomeV1 {
            version: edge_sync::sync::SYNC_VERSION,
            command_id,
            opened: o == "opened",
            reason: reason.unwrap_or_default(),
        }),
        _ => None,
    })
}

/// Marks the end of a poll however it ends (answered, timed out, or the connection dropped).
struct PollGuard<'a> {
    hub: &'a CommandHub,
    box_id: &'a str,
}

impl Drop for PollGuard<'_> {
    fn drop(&mut self) {
        let now = crate::now_ms();
        let mut inner = self.hub.lock();
        if let Some(slot) = inner.boxes.get_mut(self.box_id) {
            slot.polling = slot.polling.saturating_sub(1);
            slot.last_poll_end_ms = now;
        }
        if let Some(pool) = &self.hub.shared {
            let (pool, box_id) = (pool.clone(), self.box_id.to_string());
            tokio::spawn(async move {
                let _ = present(&pool, &box_id, now + ONLINE_GRACE_MS, false).await;
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(n: u8) -> SignedCommand {
        SignedCommand {
            payload: format!("p{n}"),
            signature: "s".into(),
        }
    }

    #[tokio::test]
    async fn a_waiting_poll_gets_a_pushed_command_and_the_outcome_reaches_the_requester() {
        let hub = Arc::new(CommandHub::default());
        assert!(!hub.is_online("b", crate::now_ms()).await.unwrap());
        let h2 = hub.clone();
        let poll = tokio::spawn(async move { h2.poll("b", Duration::from_secs(5)).await });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(hub.is_online("b", crate::now_ms()).await.unwrap());
        let id = Uuid::from_u128(1);
        let rx = hub.push("b", id, cmd(1), i64::MAX).await.unwrap();
        assert_eq!(poll.await.unwrap(), vec![cmd(1)]);
        assert!(
            hub.complete(CommandOutcomeV1 {
                version: 1,
                command_id: id,
                opened: true,
                reason: "resident".into()
            })
            .await
        );
        assert!(rx.await.unwrap().opened);
        // Queued before the poll: delivered at once. Unknown outcome: false.
        let _rx = hub
            .push("b", Uuid::from_u128(2), cmd(2), i64::MAX)
            .await
            .unwrap();
        assert_eq!(hub.poll("b", Duration::from_secs(5)).await, vec![cmd(2)]);
        hub.abandon(Uuid::from_u128(2));
        assert!(
            !hub.complete(CommandOutcomeV1 {
                version: 1,
                command_id: Uuid::from_u128(2),
                opened: true,
                reason: String::new()
            })
            .await
        );
        // Nothing queued: the poll ends empty after its wait.
        assert!(hub.poll("b", Duration::from_millis(30)).await.is_empty());
    }
}
