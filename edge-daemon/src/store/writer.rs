//! The sole writer of the event log: one thread that takes every append waiting in its queue,
//! inserts them in arrival order, flushes once (fsync), and only then answers each caller (group
//! commit). So an id a caller has been given is on disk. Trimming acknowledged records
//! (`Store::trim`, by the retention policy) runs on the same thread, between groups, when asked.

use std::path::Path;
use std::time::Instant;

use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::outbox::{TAG_ALARM, TAG_FACE, TAG_PASS, TAG_STATE};
use super::records::OutboxItemV1;
use super::{Store, StoreError};

/// A record on its way to the writer, already encoded by the caller's task (so the single
/// writer thread spends its time on the log, not on JSON).
struct Append {
    id: Uuid,
    bytes: Vec<u8>,
    done: oneshot::Sender<Result<Uuid, String>>,
}

/// What the writer thread is asked to do.
enum Job {
    Append(Append),
    /// One trim round at the box's time `now_ms`; answers what went.
    Trim {
        policy: crate::retention::RetentionPolicy,
        now_ms: i64,
        done: oneshot::Sender<Result<super::outbox::Trimmed, String>>,
    },
    /// Answered between groups: proof that the writer thread is taking work (the watchdog).
    Ping(oneshot::Sender<()>),
}

/// The sole writer of the event log. Clone the handle freely; one thread writes.
#[derive(Clone, Debug)]
pub struct StoreWriter {
    tx: mpsc::Sender<Job>,
}

/// Most records one trim round removes (bounds how long appends wait behind it).
const TRIM_ROUND: usize = 5_000;

/// Most appends one group commit takes (bounds the caller wait and the batch size under a flood).
const MAX_GROUP: usize = 512;

impl StoreWriter {
    /// Start the writer thread. It stops when every handle is dropped.
    pub fn start(store: Store) -> StoreWriter {
        Self::start_joinable(store).0
    }

    /// Start the writer thread and get its join handle: once every `StoreWriter` is dropped the
    /// thread finishes its last group and exits, releasing its hold on the store (sled's lock),
    /// so the store can be reopened in the same process.
    pub fn start_joinable(store: Store) -> (StoreWriter, Option<std::thread::JoinHandle<()>>) {
        let (tx, mut rx) = mpsc::channel::<Job>(16_384);
        let spawned = std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || {
                let mut group: Vec<Append> = Vec::with_capacity(MAX_GROUP);
                // A trim asked for while a group was being gathered runs right after it.
                let mut trim = None;
                while let Some(first) = rx.blocking_recv() {
                let mut pings = Vec::new();
                    match first {
                        Job::Append(a) => group.push(a),
                        Job::Trim { policy, now_ms, done } => trim = Some((policy, now_ms, done)),
                        Job::Ping(p) => pings.push(p),
                    }
                    while group.len() < MAX_GROUP {
                        match rx.try_recv() {
                            Ok(Job::Append(a)) => group.push(a),
                            Ok(Job::Trim { policy, now_ms, done }) => {
                                trim = Some((policy, now_ms, done));
                            }
                            Ok(Job::Ping(p)) => pings.push(p),
                            Err(_) => break,
                        }
                    }
                    for p in pings {
                        let _ = p.send(());
                    }
                    if let Some((policy, now_ms, done)) = trim.take() {
                        let started = Instant::now();
                        let r = store.trim(&policy, now_ms, TRIM_ROUND);
                        match &r {
                            Ok(t) if t.records > 0 => tracing::info!(
                                records = t.records,
                                bytes = t.bytes,
                                duration_ms = started.elapsed().as_secs_f64() * 1000.0,
                                "acknowledged records trimmed"
                            ),
                            Ok(_) => {}
                            Err(e) => tracing::error!(error = %e, "trim failed; the log keeps its records"),
                        }
                        let _ = done.send(r.map_err(|e| e.to_string()));
                    }
                    if group.is_empty() {
                        continue;
                    }
                    let started = Instant::now();
                    let result = store.append_group(&group);
                    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
                    match &result {
                        Ok(()) => tracing::trace!(records = group.len(), duration_ms, "group commit"),
                        Err(e) => tracing::error!(records = group.len(), error = %e, "group commit failed; callers are told, nothing is acknowledged"),
                    }
                    for a in group.drain(..) {
                        let r = match &result {
                            Ok(()) => Ok(a.id),
                            Err(e) => Err(e.to_string()),
                        };
                        let _ = a.done.send(r);
                    }
                }
            });
        match spawned {
            Ok(handle) => (StoreWriter { tx }, Some(handle)),
            Err(e) => {
                // Without the writer nothing can be acknowledged; appends will report WriterGone.
                tracing::error!(error = %e, "cannot start the store writer thread");
                (StoreWriter { tx }, None)
            }
        }
    }

    /// Queue a record; resolves once it is flushed to disk.
    pub async fn append(&self, item: OutboxItemV1) -> Result<Uuid, StoreError> {
        let rx = self.enqueue(item).await?;
        rx.await
            .map_err(|_| StoreError::WriterGone)?
            .map_err(StoreError::Commit)
    }

    /// Queue a record and get the receiver of its durability acknowledgement.
    pub async fn enqueue(
        &self,
        item: OutboxItemV1,
    ) -> Result<oneshot::Receiver<Result<Uuid, String>>, StoreError> {
        let tag = match item {
            OutboxItemV1::Pass(_) => TAG_PASS,
            OutboxItemV1::Alarm(_) => TAG_ALARM,
            OutboxItemV1::DeviceState(_) => TAG_STATE,
            OutboxItemV1::FaceEnrolment(_) => TAG_FACE,
        };
        let mut bytes = Vec::with_capacity(320);
        bytes.push(tag);
        serde_json::to_writer(&mut bytes, &item).map_err(|e| StoreError::Commit(e.to_string()))?;
        let (done, rx) = oneshot::channel();
        self.tx
            .send(Job::Append(Append {
                id: item.id(),
                bytes,
                done,
            }))
            .await
            .map_err(|_| StoreError::WriterGone)?;
        Ok(rx)
    }

    /// Resolves once the writer thread has taken this request off its queue (it is alive and
    /// not stuck in a commit).
    pub async fn ping(&self) -> Result<(), StoreError> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(Job::Ping(tx))
            .await
            .map_err(|_| StoreError::WriterGone)?;
        rx.await.map_err(|_| StoreError::WriterGone)
    }

    /// A handle whose thread never takes work (tests of what waits on the writer).
    #[doc(hidden)]
    pub fn stalled_for_tests() -> (StoreWriter, Box<dyn std::any::Any + Send>) {
        let (tx, rx) = mpsc::channel::<Job>(16);
        (StoreWriter { tx }, Box::new(rx))
    }

    /// Ask for one trim round (`Store::trim`) at the box's time `now_ms`; resolves with what
    /// went once it ran.
    pub async fn trim(
        &self,
        policy: crate::retention::RetentionPolicy,
        now_ms: i64,
    ) -> Result<super::outbox::Trimmed, StoreError> {
        let (done, rx) = oneshot::channel();
        self.tx
            .send(Job::Trim {
                policy,
                now_ms,
                done,
            })
            .await
            .map_err(|_| StoreError::WriterGone)?;
        rx.await
            .map_err(|_| StoreError::WriterGone)?
            .map_err(StoreError::Commit)
    }
}

impl Store {
    /// Insert a group of encoded records in arrival order and make them durable. Only
    /// [`StoreWriter`] calls this.
    fn append_group(&self, group: &[Append]) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        let mut alarms = sled::Batch::default();
        let mut has_alarms = false;
        let mut tally = super::outbox::Tally::default();
        for a in group {
            // Monotonic across crashes (sled reserves ranges), unlike wall-clock UUIDv7s: the
            // log order survives a clock that jumps back.
            // +1: sequence 0 would sort below the "nothing acknowledged" cursor (0).
            let seq = self.db.generate_id()?.saturating_add(1);
            let mut key = [0u8; 24];
            key[..8].copy_from_slice(&seq.to_be_bytes());
            key[8..].copy_from_slice(a.id.as_bytes());
            batch.insert(&key[..], a.bytes.as_slice());
            tally.add(&key, &a.bytes);
            if a.bytes.first() == Some(&TAG_ALARM) {
                alarms.insert(&key[..], &[]);
                has_alarms = true;
            }
        }
        // Counted before the insert: the uplink may read and acknowledge a record as soon as
        // it is in the tree.
        self.counters.appended(tally);
        let written = (|| {
            self.events.apply_batch(batch)?;
            // After the events: an index entry never points at a record that is not there. (An
            // alarm whose index entry was lost in a crash still goes up with the passes.) Only
            // when there are alarms: a pass-only group writes exactly what it wrote before.
            if has_alarms {
                self.alarm_outbox()?.apply_batch(alarms)?;
            }
            self.flush()?;
            Ok(())
        })();
        if written.is_err() {
            // Not acknowledged to anyone; counted again at the next open if it is on disk.
            self.counters.not_appended(tally);
        }
        written
    }
}

/// What the daemon keeps of a started store: the store, its writer, and the writer thread to
/// join at the stop.
pub(crate) struct StoreStart {
    pub(crate) store: Store,
    pub(crate) writer: StoreWriter,
    pub(crate) writer_thread: Option<std::thread::JoinHandle<()>>,
}

/// Open the store at `path` and start its writer thread.
pub(crate) fn start(path: &Path) -> Result<StoreStart, StoreError> {
    let store = Store::open(path)?;
    let (writer, writer_thread) = StoreWriter::start_joinable(store.clone());
    Ok(StoreStart {
        store,
        writer,
        writer_thread,
    })
}
