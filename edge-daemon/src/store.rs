//! The durable local store (sled): the people/grant directory, door modes, the clock high-water
//! mark, replay marks for one-tap commands, the append-only pass log and the alarm outbox.
//!
//! Appends to the pass log and outbox go through exactly one writer thread ([`StoreWriter`]),
//! which does group commit: it takes every append waiting in its queue, inserts them, flushes
//! once (fsync), and only then answers each caller. So an id a caller has been given is on disk.
//! Everything else (directory, modes, marks) is rare and flushed by the caller.

use std::path::Path;
use std::time::Instant;

use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::access::{DoorMode, Person, VisitorGrant};
use crate::records::OutboxItemV1;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store I/O: {0}")]
    Sled(#[from] sled::Error),
    #[error("stored record `{key}` in `{tree}` is unreadable: {reason}")]
    Corrupt {
        tree: &'static str,
        key: String,
        reason: String,
    },
    #[error("group commit failed, nothing acknowledged: {0}")]
    Commit(String),
    #[error("the store writer has stopped")]
    WriterGone,
}

const T_PEOPLE: &str = "people";
const T_GRANTS: &str = "grants";
const T_REVOKED: &str = "revoked_people";
const T_DOOR_MODES: &str = "door_modes";
const T_META: &str = "meta";
const T_SEEN: &str = "onetap_seen";
const T_PASSLOG: &str = "passlog";
const T_OUTBOX: &str = "outbox";
const K_HIGH_WATER: &[u8] = b"clock_high_water_ms";

/// Handle to the store. Cheap to clone (sled trees are reference counted).
#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    people: sled::Tree,
    grants: sled::Tree,
    revoked: sled::Tree,
    door_modes: sled::Tree,
    meta: sled::Tree,
    seen: sled::Tree,
    passlog: sled::Tree,
    outbox: sled::Tree,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

fn decode<T: serde::de::DeserializeOwned>(
    tree: &'static str,
    key: &[u8],
    v: &[u8],
) -> Result<T, StoreError> {
    serde_json::from_slice(v).map_err(|e| StoreError::Corrupt {
        tree,
        key: String::from_utf8_lossy(key).into_owned(),
        reason: e.to_string(),
    })
}

fn encode<T: serde::Serialize>(v: &T) -> Vec<u8> {
    // Our record types are plain structs of strings/numbers: serialising cannot fail.
    serde_json::to_vec(v).unwrap_or_default()
}

impl Store {
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let db = sled::Config::new()
            .path(path)
            .mode(sled::Mode::HighThroughput)
            // sled's own timer flush is off: durability points are explicit flushes.
            .flush_every_ms(None)
            .open()?;
        Ok(Store {
            people: db.open_tree(T_PEOPLE)?,
            grants: db.open_tree(T_GRANTS)?,
            revoked: db.open_tree(T_REVOKED)?,
            door_modes: db.open_tree(T_DOOR_MODES)?,
            meta: db.open_tree(T_META)?,
            seen: db.open_tree(T_SEEN)?,
            passlog: db.open_tree(T_PASSLOG)?,
            outbox: db.open_tree(T_OUTBOX)?,
            db,
        })
    }

    pub fn flush(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        Ok(())
    }

    // ---- directory -------------------------------------------------------------------------

    pub fn put_people(&self, people: &[Person]) -> Result<(), StoreError> {
        let mut b = sled::Batch::default();
        for p in people {
            b.insert(p.id.as_bytes(), encode(p));
        }
        self.people.apply_batch(b)?;
        Ok(())
    }

    pub fn remove_person(&self, id: &str) -> Result<(), StoreError> {
        self.people.remove(id.as_bytes())?;
        Ok(())
    }

    pub fn put_grants(&self, grants: &[VisitorGrant]) -> Result<(), StoreError> {
        let mut b = sled::Batch::default();
        for g in grants {
            b.insert(g.id.as_bytes(), encode(g));
        }
        self.grants.apply_batch(b)?;
        Ok(())
    }

    pub fn set_revoked(&self, person_id: &str, revoked: bool) -> Result<(), StoreError> {
        if revoked {
            self.revoked.insert(person_id.as_bytes(), &[])?;
        } else {
            self.revoked.remove(person_id.as_bytes())?;
        }
        Ok(())
    }

    pub fn people(&self) -> Result<Vec<Person>, StoreError> {
        self.people
            .iter()
            .map(|r| {
                let (k, v) = r?;
                decode(T_PEOPLE, &k, &v)
            })
            .collect()
    }

    pub fn grants(&self) -> Result<Vec<VisitorGrant>, StoreError> {
        self.grants
            .iter()
            .map(|r| {
                let (k, v) = r?;
                decode(T_GRANTS, &k, &v)
            })
            .collect()
    }

    pub fn revoked_people(&self) -> Result<Vec<String>, StoreError> {
        self.revoked
            .iter()
            .keys()
            .map(|k| Ok(String::from_utf8_lossy(&k?).into_owned()))
            .collect()
    }

    pub fn set_door_mode(&self, door_id: &str, mode: DoorMode) -> Result<(), StoreError> {
        self.door_modes.insert(door_id.as_bytes(), encode(&mode))?;
        self.flush()
    }

    pub fn door_modes(&self) -> Result<Vec<(String, DoorMode)>, StoreError> {
        self.door_modes
            .iter()
            .map(|r| {
                let (k, v) = r?;
                Ok((
                    String::from_utf8_lossy(&k).into_owned(),
                    decode(T_DOOR_MODES, &k, &v)?,
                ))
            })
            .collect()
    }

    // ---- clock and replay marks -------------------------------------------------------------

    pub fn clock_high_water(&self) -> Result<i64, StoreError> {
        Ok(self
            .meta
            .get(K_HIGH_WATER)?
            .and_then(|v| <[u8; 8]>::try_from(v.as_ref()).ok())
            .map_or(0, i64::from_be_bytes))
    }

    pub fn set_clock_high_water(&self, ms: i64) -> Result<(), StoreError> {
        self.meta.insert(K_HIGH_WATER, &ms.to_be_bytes())?;
        Ok(())
    }

    /// Mark a one-tap command id as used. Returns false if it was already used (a replay).
    /// The mark becomes durable with the flush of the pass record that follows it.
    pub fn mark_command_used(&self, id: Uuid, expires_at_ms: i64) -> Result<bool, StoreError> {
        let prev = self.seen.compare_and_swap(
            id.as_bytes(),
            None as Option<&[u8]>,
            Some(&expires_at_ms.to_be_bytes()[..]),
        )?;
        Ok(prev.is_ok())
    }

    /// Forget replay marks of commands that expired before `now_ms` (they are refused as expired).
    pub fn prune_command_marks(&self, now_ms: i64) -> Result<usize, StoreError> {
        let mut n = 0;
        for r in self.seen.iter() {
            let (k, v) = r?;
            let exp = <[u8; 8]>::try_from(v.as_ref()).map_or(i64::MIN, i64::from_be_bytes);
            if exp < now_ms {
                self.seen.remove(k)?;
                n += 1;
            }
        }
        Ok(n)
    }

    // ---- pass log and outbox (read side; writes go through StoreWriter) ---------------------

    pub fn passlog_len(&self) -> usize {
        self.passlog.len()
    }

    pub fn outbox_depth(&self) -> usize {
        self.outbox.len()
    }

    pub fn size_on_disk(&self) -> u64 {
        self.db.size_on_disk().unwrap_or(0)
    }

    pub fn contains_record(&self, id: Uuid) -> Result<bool, StoreError> {
        Ok(self.passlog.contains_key(id.as_bytes())? || self.outbox.contains_key(id.as_bytes())?)
    }

    /// The newest `limit` pass records, newest first.
    pub fn recent_passes(
        &self,
        limit: usize,
    ) -> Result<Vec<crate::records::PassRecordV1>, StoreError> {
        self.passlog
            .iter()
            .rev()
            .take(limit)
            .map(|r| {
                let (k, v) = r?;
                decode(T_PASSLOG, &k, &v)
            })
            .collect()
    }

    /// The oldest `limit` outbox items, in stored order (what the uplink will send first).
    pub fn outbox_head(&self, limit: usize) -> Result<Vec<OutboxItemV1>, StoreError> {
        self.outbox
            .iter()
            .take(limit)
            .map(|r| {
                let (k, v) = r?;
                decode(T_OUTBOX, &k, &v)
            })
            .collect()
    }

    /// Insert a group of records and make them durable. Only [`StoreWriter`] calls this.
    fn append_group(&self, items: &[OutboxItemV1]) -> Result<(), StoreError> {
        let mut log = sled::Batch::default();
        let mut out = sled::Batch::default();
        for item in items {
            let bytes = encode(item);
            if let OutboxItemV1::Pass(p) = item {
                log.insert(p.id.as_bytes(), encode(p));
            }
            out.insert(item.id().as_bytes(), bytes);
        }
        self.passlog.apply_batch(log)?;
        self.outbox.apply_batch(out)?;
        self.db.flush()?;
        Ok(())
    }
}

struct Append {
    item: OutboxItemV1,
    done: oneshot::Sender<Result<Uuid, String>>,
}

/// The sole writer of the pass log and the outbox. Clone the handle freely; one thread writes.
#[derive(Clone, Debug)]
pub struct StoreWriter {
    tx: mpsc::Sender<Append>,
}

/// Most appends one group commit takes (bounds the caller wait under a flood).
const MAX_GROUP: usize = 4096;

impl StoreWriter {
    /// Start the writer thread. It stops when every handle is dropped.
    pub fn start(store: Store) -> StoreWriter {
        let (tx, mut rx) = mpsc::channel::<Append>(16_384);
        let spawned = std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || {
                let mut group: Vec<Append> = Vec::with_capacity(MAX_GROUP);
                while let Some(first) = rx.blocking_recv() {
                    group.push(first);
                    while group.len() < MAX_GROUP {
                        match rx.try_recv() {
                            Ok(a) => group.push(a),
                            Err(_) => break,
                        }
                    }
                    let items: Vec<OutboxItemV1> = group.iter().map(|a| a.item.clone()).collect();
                    let started = Instant::now();
                    let result = store.append_group(&items);
                    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
                    match &result {
                        Ok(()) => tracing::trace!(records = items.len(), duration_ms, "group commit"),
                        Err(e) => tracing::error!(records = items.len(), error = %e, "group commit failed; callers are told, nothing is acknowledged"),
                    }
                    for a in group.drain(..) {
                        let r = match &result {
                            Ok(()) => Ok(a.item.id()),
                            Err(e) => Err(e.to_string()),
                        };
                        let _ = a.done.send(r);
                    }
                }
            });
        if let Err(e) = spawned {
            // Without the writer nothing can be acknowledged; appends will report WriterGone.
            tracing::error!(error = %e, "cannot start the store writer thread");
        }
        StoreWriter { tx }
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
        let (done, rx) = oneshot::channel();
        self.tx
            .send(Append { item, done })
            .await
            .map_err(|_| StoreError::WriterGone)?;
        Ok(rx)
    }
}
