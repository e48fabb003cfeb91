//! The rendezvous between one-tap requests and the boxes' long-polls. Boxes sit behind NAT, so
//! the cloud cannot call them: each box holds a `GET /v1/edge/commands` open, a one-tap request
//! queues a signed command for the box and waits for the box's outcome report.
//!
//! Shared state with a reason: HTTP handlers on any task must meet here. One std mutex, held
//! only for map updates, never across an await. Commands are not persisted here: a command is
//! valid for seconds, and after a cloud restart the app simply taps again.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use edge_sync::sync::CommandOutcomeV1;
use edge_sync::SignedCommand;
use tokio::sync::{oneshot, Notify};
use uuid::Uuid;

/// A box counts as online while it holds a poll, or for this long after its last one ended
/// (it re-polls at once after each answer).
const ONLINE_GRACE_MS: i64 = 3_000;

#[derive(Default)]
pub struct CommandHub {
    inner: Mutex<Inner>,
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
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding this lock cannot leave the maps inconsistent (each update is
        // one insert or remove), so a poisoned lock is still usable.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn is_online(&self, box_id: &str, now_ms: i64) -> bool {
        self.lock()
            .boxes
            .get(box_id)
            .is_some_and(|s| s.polling > 0 || now_ms - s.last_poll_end_ms < ONLINE_GRACE_MS)
    }

    /// Queue a command for a box; the receiver resolves with the box's outcome report.
    pub fn push(
        &self,
        box_id: &str,
        command_id: Uuid,
        cmd: SignedCommand,
    ) -> oneshot::Receiver<CommandOutcomeV1> {
        let (tx, rx) = oneshot::channel();
        let mut inner = self.lock();
        inner.waiting.insert(command_id, tx);
        let slot = inner.boxes.entry(box_id.to_string()).or_default();
        slot.queue.push_back(cmd);
        slot.notify.notify_one();
        rx
    }

    /// Forget a command nobody waits for any more (the one-tap request timed out).
    pub fn abandon(&self, command_id: Uuid) {
        self.lock().waiting.remove(&command_id);
    }

    /// Deliver a box's outcome to the waiting request. False if nobody waits (late or unknown).
    pub fn complete(&self, outcome: CommandOutcomeV1) -> bool {
        let tx = self.lock().waiting.remove(&outcome.command_id);
        match tx {
            Some(tx) => tx.send(outcome).is_ok(),
            None => false,
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
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let taken: Vec<SignedCommand> = {
                let mut inner = self.lock();
                match inner.boxes.get_mut(box_id) {
                    Some(slot) => slot.queue.drain(..).collect(),
                    None => Vec::new(),
                }
            };
            if !taken.is_empty() {
                return taken;
            }
            // notify_one stores a permit when no poll waits, so a push between the drain above
            // and this await still wakes us.
            if tokio::time::timeout_at(deadline, notify.notified())
                .await
                .is_err()
            {
                return Vec::new();
            }
        }
    }
}

/// Marks the end of a poll however it ends (answered, timed out, or the connection dropped).
struct PollGuard<'a> {
    hub: &'a CommandHub,
    box_id: &'a str,
}

impl Drop for PollGuard<'_> {
    fn drop(&mut self) {
        let mut inner = self.hub.lock();
        if let Some(slot) = inner.boxes.get_mut(self.box_id) {
            slot.polling = slot.polling.saturating_sub(1);
            slot.last_poll_end_ms = crate::now_ms();
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
        assert!(!hub.is_online("b", crate::now_ms()));
        let h2 = hub.clone();
        let poll = tokio::spawn(async move { h2.poll("b", Duration::from_secs(5)).await });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(hub.is_online("b", crate::now_ms()));
        let id = Uuid::from_u128(1);
        let rx = hub.push("b", id, cmd(1));
        assert_eq!(poll.await.unwrap(), vec![cmd(1)]);
        assert!(hub.complete(CommandOutcomeV1 {
            version: 1,
            command_id: id,
            opened: true,
            reason: "resident".into()
        }));
        assert!(rx.await.unwrap().opened);
        // Queued before the poll: delivered at once. Unknown outcome: false.
        hub.push("b", Uuid::from_u128(2), cmd(2));
        assert_eq!(hub.poll("b", Duration::from_secs(5)).await, vec![cmd(2)]);
        hub.abandon(Uuid::from_u128(2));
        assert!(!hub.complete(CommandOutcomeV1 {
            version: 1,
            command_id: Uuid::from_u128(2),
            opened: true,
            reason: String::new()
        }));
        // Nothing queued: the poll ends empty after its wait.
        assert!(hub.poll("b", Duration::from_millis(30)).await.is_empty());
    }
}
