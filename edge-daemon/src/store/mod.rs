//! The durable local store (sled): the people/grant directory, door modes, the clock high-water
//! mark, replay marks for one-tap commands, active alarms, and the append-only event log of
//! passes and alarm transitions.
//!
//! The event log is also the outbox: each record is written once, under a key that starts with
//! a sequence number sled keeps monotonic across crashes; the uplink will send everything after
//! the cloud's last acknowledged sequence, in order, and only then move that cursor. Appends go
//! through exactly one writer thread ([`StoreWriter`]), which does group commit: it takes every
//! append waiting in its queue, inserts them, flushes once (fsync), and only then answers each
//! caller. So an id a caller has been given is on disk. Everything else (directory, modes,
//! marks) is rare and flushed by the caller.
//!
//! What is stored is always a versioned record type (`records::*V1`, `wire::PersonV1`/`GrantV1`,
//! door-mode codes), never a domain type, so the engine can change without rewriting the disk.

use std::path::Path;
use std::time::Instant;

use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::access::{DoorMode, Person, VisitorGrant};
use crate::records::{AlarmRecordV1, OutboxItemV1, PassRecordV1};
use crate::wire::{door_mode_code, parse_door_mode, GrantV1, IntoDomain, PersonV1};

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
    #[error(
        "the store at {path} is locked by another process (waited {waited_ms} ms); is a second edge-daemon running on it?"
    )]
    Locked { path: String, waited_ms: u64 },
}

/// How long `open` waits for another holder to let go of sled's file lock. A restart under
/// systemd (or in-process, where sled drops the lock from its flusher thread) can overlap the
/// old holder's exit by a few milliseconds; a second daemon on the same store waits this long
/// and then gets `Locked`.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Take `<dir>/edge-daemon.lock`, waiting up to `wait` from `started` for a previous
/// holder to exit.
fn take_lock(
    dir: &Path,
    started: std::time::Instant,
    wait: std::time::Duration,
) -> Result<std::fs::File, StoreError> {
    let io = |e| StoreError::Sled(sled::Error::Io(e));
    std::fs::create_dir_all(dir).map_err(io)?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join("edge-daemon.lock"))
        .map_err(io)?;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(std::fs::TryLockError::WouldBlock) if started.elapsed() < wait => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(StoreError::Locked {
                    path: dir.display().to_string(),
                    waited_ms: started.elapsed().as_millis() as u64,
                })
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
        }
    }
}

fn is_lock_error(e: &sled::Error) -> bool {
    // sled reports the flock failure as `io::ErrorKind::Other` with this message.
    matches!(e, sled::Error::Io(io) if io.to_string().contains("could not acquire lock"))
}

const T_PEOPLE: &str = "people";
const T_GRANTS: &str = "grants";
const T_REVOKED: &str = "revoked_people";
const T_DOOR_MODES: &str = "door_modes";
const T_META: &str = "meta";
const T_SEEN: &str = "onetap_seen";
/// Passes and alarms, key = seq (u64 BE) ‖ record id (UUIDv7), value = tag byte ‖ JSON.
const T_EVENTS: &str = "events_v1";
const T_FACES: &str = "face_templates_v1";
const T_FACE_WANTED: &str = "face_wanted_v1";
const T_THUMBS: &str = "face_thumbnails_v1";
const K_BOX_SETTINGS: &[u8] = b"box_settings_v1";
const K_HIGH_WATER: &[u8] = b"clock_high_water_ms";
const K_ACTIVE_ALARMS: &[u8] = b"active_alarms_v1";
/// Highest event seq the cloud has acknowledged; the outbox is everything after it.
const K_ACKED_SEQ: &[u8] = b"uplink_acked_seq";
/// Alarm records not yet acknowledged (key = their event key): the uplink sends these first.
const T_ALARM_OUTBOX: &str = "uplink_alarms_v1";
/// The cloud directory cursor: every change up to it is applied here.
const K_DIR_CURSOR: &[u8] = b"directory_cursor";

pub const DEFAULT_CACHE_BYTES: u64 = 8 * 1024 * 1024;

/// Entries per sled batch. One batch of 10,000 directory entries cost ~46 MB of RSS here;
/// batches of a few hundred cost next to nothing. Imports are upserts, so chunking is safe.
const BATCH_CHUNK: usize = 256;

/// Handle to the store. Cheap to clone (sled trees are reference counted).
#[derive(Clone)]
pub struct Store {
    /// Our own exclusive lock on `<store>/edge-daemon.lock`, held by every clone: a second
    /// daemon on the same store waits and then fails with `Locked`, and crash clean-up
    /// (`remove_unfinished_snapshots`) only ever runs while no one else can be writing.
    _lock: std::sync::Arc<std::fs::File>,
    db: sled::Db,
    people: sled::Tree,
    grants: sled::Tree,
    revoked: sled::Tree,
    door_modes: sled::Tree,
    meta: sled::Tree,
    seen: sled::Tree,
    events: sled::Tree,
    /// Face templates (sealed) and refusals, keyed `person \0 photo`.
    faces: sled::Tree,
    /// The photos the cloud wants enrolled, per person (`Vec<StoredFacePhotoV1>`).
    face_wanted: sled::Tree,
    /// Pass-log face thumbnails keyed by pass record id: 8-byte `at_ms` then the JPEG.
    thumbs: sled::Tree,
}

/// An outbox entry: its event key (log position) and the record.
pub type OutboxEntry = (Vec<u8>, OutboxItemV1);

/// A directory delta in domain types, applied in one transaction.
#[derive(Debug, Default)]
pub struct DeltaWrite<'a> {
    pub people: &'a [Person],
    pub removed_people: &'a [String],
    pub grants: &'a [VisitorGrant],
    pub door_modes: &'a [(String, DoorMode)],
    pub sensors: &'a [crate::wire::CloudSensor],
    /// For each person in `people` (and only those): the face photos the cloud lists now.
    pub face_photos: &'a [(String, Vec<StoredFacePhotoV1>)],
    pub cursor: i64,
}

pub use crate::records::StoredFacePhotoV1;

/// One face photo's outcome on this box. `sealed` is the template encrypted with the key in
/// `face.template_key_file` (XChaCha20-Poly1305, the key as AAD-bound to person and photo);
/// empty for a refusal. `model` names the embedder, so a model change re-enrols.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FaceEntryV1 {
    pub v: u32,
    pub person_id: String,
    pub photo_id: String,
    pub sha256: String,
    pub model: String,
    pub accepted: bool,
    pub reasons: Vec<String>,
    /// base64 nonce and ciphertext.
    pub nonce: String,
    pub sealed: String,
}

fn face_key(person: &str, photo: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(person.len() + photo.len() + 1);
    k.extend_from_slice(person.as_bytes());
    k.push(0);
    k.extend_from_slice(photo.as_bytes());
    k
}

fn face_prefix(person: &str) -> Vec<u8> {
    let mut k = person.as_bytes().to_vec();
    k.push(0);
    k
}

/// Prefix of the meta keys that hold the cloud's sensor registrations (one key per device),
/// written in the same transaction as the directory cursor.
const K_CLOUD_SENSOR: &str = "cloud_sensor_v1:";

/// A cloud-registered sensor as stored (the storage form of `sensor_config::Sensor`).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct StoredSensorV1 {
    id: String,
    name: String,
    profile: String,
    estate: String,
    building: String,
    unit: String,
    floor: Option<i64>,
    heartbeat_ms: i64,
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

fn corrupt(tree: &'static str, key: &[u8], reason: impl ToString) -> StoreError {
    StoreError::Corrupt {
        tree,
        key: String::from_utf8_lossy(key).into_owned(),
        reason: reason.to_string(),
    }
}

fn encode<T: serde::Serialize>(v: &T) -> Vec<u8> {
    // Our record types are plain structs of strings/numbers: serialising cannot fail.
    serde_json::to_vec(v).unwrap_or_default()
}

impl Store {
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Store::open_with_cache(path, DEFAULT_CACHE_BYTES)
    }

    /// `cache_bytes` bounds sled's page cache (its default, 1 GiB, is far more than a box has).
    pub fn open_with_cache(path: &Path, cache_bytes: u64) -> Result<Store, StoreError> {
        Store::open_waiting(path, cache_bytes, LOCK_WAIT)
    }

    fn open_waiting(
        path: &Path,
        cache_bytes: u64,
        lock_wait: std::time::Duration,
    ) -> Result<Store, StoreError> {
        let started = std::time::Instant::now();
        let lock = take_lock(path, started, lock_wait)?;
        remove_unfinished_snapshots(path)?;
        let db = loop {
            let opened = sled::Config::new()
                .path(path)
                .cache_capacity(cache_bytes)
                .mode(sled::Mode::HighThroughput)
                // sled's own timer flush is off: durability points are explicit flushes.
                .flush_every_ms(None)
                .open();
            match opened {
                Ok(db) => break db,
                Err(e) if is_lock_error(&e) => {
                    if started.elapsed() >= lock_wait {
                        return Err(StoreError::Locked {
                            path: path.display().to_string(),
                            waited_ms: started.elapsed().as_millis() as u64,
                        });
                    }
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                Err(e) => return Err(e.into()),
            }
        };
        Ok(Store {
            _lock: std::sync::Arc::new(lock),
            people: db.open_tree(T_PEOPLE)?,
            grants: db.open_tree(T_GRANTS)?,
            revoked: db.open_tree(T_REVOKED)?,
            door_modes: db.open_tree(T_DOOR_MODES)?,
            meta: db.open_tree(T_META)?,
            seen: db.open_tree(T_SEEN)?,
            events: db.open_tree(T_EVENTS)?,
            faces: db.open_tree(T_FACES)?,
            face_wanted: db.open_tree(T_FACE_WANTED)?,
            thumbs: db.open_tree(T_THUMBS)?,
            db,
        })
    }

    pub fn flush(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        Ok(())
    }

    // ---- directory -------------------------------------------------------------------------

    pub fn put_people(&self, people: &[Person]) -> Result<(), StoreError> {
        for chunk in people.chunks(BATCH_CHUNK) {
            let mut b = sled::Batch::default();
            for p in chunk {
                b.insert(p.id.as_bytes(), encode(&crate::wire::person_v1(p)));
            }
            self.people.apply_batch(b)?;
        }
        Ok(())
    }

    pub fn remove_person(&self, id: &str) -> Result<(), StoreError> {
        self.people.remove(id.as_bytes())?;
        Ok(())
    }

    pub fn put_grants(&self, grants: &[VisitorGrant]) -> Result<(), StoreError> {
        for chunk in grants.chunks(BATCH_CHUNK) {
            let mut b = sled::Batch::default();
            for g in chunk {
                b.insert(g.id.as_bytes(), encode(&crate::wire::grant_v1(g)));
            }
            self.grants.apply_batch(b)?;
        }
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
                let p: PersonV1 = decode(T_PEOPLE, &k, &v)?;
                p.into_domain("person")
                    .map_err(|e| corrupt(T_PEOPLE, &k, e))
            })
            .collect()
    }

    pub fn grants(&self) -> Result<Vec<VisitorGrant>, StoreError> {
        self.grants
            .iter()
            .map(|r| {
                let (k, v) = r?;
                let g: GrantV1 = decode(T_GRANTS, &k, &v)?;
                g.into_domain("grant").map_err(|e| corrupt(T_GRANTS, &k, e))
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
        self.door_modes
            .insert(door_id.as_bytes(), door_mode_code(mode).as_bytes())?;
        self.flush()
    }

    pub fn door_modes(&self) -> Result<Vec<(String, DoorMode)>, StoreError> {
        self.door_modes
            .iter()
            .map(|r| {
                let (k, v) = r?;
                let mode = std::str::from_utf8(&v)
                    .ok()
                    .and_then(parse_door_mode)
                    .ok_or_else(|| corrupt(T_DOOR_MODES, &k, "not a door mode"))?;
                Ok((String::from_utf8_lossy(&k).into_owned(), mode))
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

    /// The alarms active when the daemon last changed one, so a restart neither forgets them
    /// nor raises them twice. Made durable by the next flush (the alarm's own outbox record).
    pub fn save_active_alarms(&self, active: &[AlarmRecordV1]) -> Result<(), StoreError> {
        self.meta.insert(K_ACTIVE_ALARMS, encode(&active))?;
        Ok(())
    }

    pub fn active_alarms(&self) -> Result<Vec<AlarmRecordV1>, StoreError> {
        match self.meta.get(K_ACTIVE_ALARMS)? {
            None => Ok(Vec::new()),
            Some(v) => decode(T_META, K_ACTIVE_ALARMS, &v),
        }
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

    // ---- the event log and its outbox (read side; writes go through StoreWriter) -----------

    /// Pass records in the log.
    pub fn passlog_len(&self) -> usize {
        self.events
            .iter()
            .values()
            .filter(|v| v.as_ref().is_ok_and(|v| v.first() == Some(&TAG_PASS)))
            .count()
    }

    /// Records not yet acknowledged by the cloud (all of them until the uplink exists).
    pub fn outbox_depth(&self) -> usize {
        let from = self.acked_seq().saturating_add(1);
        self.events.range(from.to_be_bytes()..).count()
    }

    fn acked_seq(&self) -> u64 {
        self.meta
            .get(K_ACKED_SEQ)
            .ok()
            .flatten()
            .and_then(|v| <[u8; 8]>::try_from(v.as_ref()).ok())
            .map_or(0, u64::from_be_bytes)
    }

    pub fn size_on_disk(&self) -> u64 {
        self.db.size_on_disk().unwrap_or(0)
    }

    /// Every record id in the log (read from the keys; no record is decoded).
    pub fn record_ids(&self) -> Result<std::collections::HashSet<Uuid>, StoreError> {
        self.events
            .iter()
            .keys()
            .map(|k| {
                let k = k?;
                Uuid::from_slice(k.get(8..24).unwrap_or_default())
                    .map_err(|e| corrupt(T_EVENTS, &k, e))
            })
            .collect()
    }

    /// Whether a record is in the log (a scan of the keys: for diagnostics and tests).
    pub fn contains_record(&self, id: Uuid) -> Result<bool, StoreError> {
        for k in self.events.iter().keys() {
            if k?.get(8..24) == Some(id.as_bytes().as_slice()) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The newest `limit` pass records, newest first.
    pub fn recent_passes(&self, limit: usize) -> Result<Vec<PassRecordV1>, StoreError> {
        let mut out = Vec::new();
        for r in self.events.iter().rev() {
            if out.len() >= limit {
                break;
            }
            let (k, v) = r?;
            if let OutboxItemV1::Pass(p) = decode_event(&k, &v)? {
                out.push(p);
            }
        }
        Ok(out)
    }

    /// The oldest `limit` records the cloud has not acknowledged, in log order (what the uplink
    /// sends first).
    pub fn outbox_head(&self, limit: usize) -> Result<Vec<OutboxItemV1>, StoreError> {
        Ok(self
            .outbox_entries(limit)?
            .into_iter()
            .map(|(_, item)| item)
            .collect())
    }

    /// Insert a group of encoded records in arrival order and make them durable. Only
    /// [`StoreWriter`] calls this.
    fn append_group(&self, group: &[Append]) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        let mut alarms = sled::Batch::default();
        let mut has_alarms = false;
        for a in group {
            // Monotonic across crashes (sled reserves ranges), unlike wall-clock UUIDv7s: the
            // log order survives a clock that jumps back.
            // +1: sequence 0 would sort below the "nothing acknowledged" cursor (0).
            let seq = self.db.generate_id()?.saturating_add(1);
            let mut key = [0u8; 24];
            key[..8].copy_from_slice(&seq.to_be_bytes());
            key[8..].copy_from_slice(a.id.as_bytes());
            batch.insert(&key[..], a.bytes.as_slice());
            if a.bytes.first() == Some(&TAG_ALARM) {
                alarms.insert(&key[..], &[]);
                has_alarms = true;
            }
        }
        self.events.apply_batch(batch)?;
        // After the events: an index entry never points at a record that is not there. (An
        // alarm whose index entry was lost in a crash still goes up with the passes.) Only when
        // there are alarms: a pass-only group writes exactly what it wrote before the index.
        if has_alarms {
            self.alarm_outbox()?.apply_batch(alarms)?;
        }
        self.db.flush()?;
        Ok(())
    }

    // ---- uplink: what to send, and what the cloud acknowledged ------------------------------

    /// The alarm index tree, opened on first use (sled caches open trees). Not opened at start:
    /// a box that never records an alarm keeps exactly the trees it had before the index
    /// existed (the SIGKILL durability test exercises that store shape).
    fn alarm_outbox(&self) -> Result<sled::Tree, StoreError> {
        Ok(self.db.open_tree(T_ALARM_OUTBOX)?)
    }

    /// Unacknowledged alarms, oldest first: they travel before any pass backlog.
    pub fn pending_alarms(&self, limit: usize) -> Result<Vec<OutboxEntry>, StoreError> {
        let mut out = Vec::new();
        let index = self.alarm_outbox()?;
        for k in index.iter().keys().take(limit) {
            let k = k?;
            match self.events.get(&k)? {
                Some(v) => out.push((k.to_vec(), decode_event(&k, &v)?)),
                // Not in the log (cannot happen by construction): drop the stale index entry.
                None => {
                    index.remove(&k)?;
                }
            }
        }
        Ok(out)
    }

    /// The oldest `limit` unacknowledged records with their keys, in log order.
    pub fn outbox_entries(&self, limit: usize) -> Result<Vec<OutboxEntry>, StoreError> {
        let from = self.acked_seq().saturating_add(1);
        self.events
            .range(from.to_be_bytes()..)
            .take(limit)
            .map(|r| {
                let (k, v) = r?;
                Ok((k.to_vec(), decode_event(&k, &v)?))
            })
            .collect()
    }

    /// The cloud has durably stored these alarms.
    pub fn ack_alarms(&self, keys: &[Vec<u8>]) -> Result<(), StoreError> {
        let mut b = sled::Batch::default();
        for k in keys {
            b.remove(k.as_slice());
        }
        self.alarm_outbox()?.apply_batch(b)?;
        self.db.flush()?;
        Ok(())
    }

    /// The cloud has durably stored every record up to and including `key` (log order).
    pub fn ack_through(&self, key: &[u8]) -> Result<(), StoreError> {
        let seq = key
            .get(..8)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map(u64::from_be_bytes)
            .ok_or_else(|| corrupt(T_EVENTS, key, "short key"))?;
        if seq <= self.acked_seq() {
            return Ok(());
        }
        let mut b = sled::Batch::default();
        let index = self.alarm_outbox()?;
        for k in index.range(..=key.to_vec()).keys() {
            b.remove(k?);
        }
        index.apply_batch(b)?;
        self.meta.insert(K_ACKED_SEQ, &seq.to_be_bytes())?;
        self.db.flush()?;
        Ok(())
    }

    /// A small JSON value kept in `meta` (sensor rule state, released doors). Unreadable or
    /// missing: None (the owner starts afresh and says so).
    /// The sensors the cloud registered for this box (see [`DeltaWrite::sensors`]).
    pub fn cloud_sensors(&self) -> Result<Vec<crate::sensor_config::Sensor>, StoreError> {
        let mut out = Vec::new();
        for r in self.meta.scan_prefix(K_CLOUD_SENSOR.as_bytes()) {
            let (k, v) = r?;
            let s: StoredSensorV1 = decode(T_META, &k, &v)?;
            out.push(crate::sensor_config::Sensor {
                id: s.id,
                name: s.name,
                model: s.profile,
                estate: s.estate,
                building: s.building,
                unit: s.unit,
                floor: s.floor,
                heartbeat_ms: s.heartbeat_ms,
            });
        }
        Ok(out)
    }

    pub fn meta_json<T: serde::de::DeserializeOwned>(&self, key: &str) -> Option<T> {
        let v = self.meta.get(key.as_bytes()).ok().flatten()?;
        match serde_json::from_slice(&v) {
            Ok(x) => Some(x),
            Err(e) => {
                tracing::error!(key, error = %e, "stored state unreadable; starting without it");
                None
            }
        }
    }

    /// Store a small JSON value in `meta` and flush.
    pub fn put_meta_json<T: serde::Serialize>(&self, key: &str, v: &T) {
        let r = self
            .meta
            .insert(key.as_bytes(), encode(v))
            .map_err(StoreError::from)
            .and_then(|_| self.flush());
        if let Err(e) = r {
            tracing::error!(key, error = %e, "could not store state");
        }
    }

    pub fn pending_alarm_count(&self) -> usize {
        self.alarm_outbox().map_or(0, |t| t.len())
    }

    // ---- cloud directory -------------------------------------------------------------------

    pub fn directory_cursor(&self) -> Result<i64, StoreError> {
        Ok(self
            .meta
            .get(K_DIR_CURSOR)?
            .and_then(|v| <[u8; 8]>::try_from(v.as_ref()).ok())
            .map_or(0, i64::from_be_bytes))
    }

    /// Apply a directory delta and its cursor in one transaction: after a crash either all of
    /// it is there, or none of it and the cursor still points before it.
    pub fn apply_delta(&self, d: &DeltaWrite<'_>) -> Result<(), StoreError> {
        use sled::Transactional;
        let people: Vec<(String, Vec<u8>)> = d
            .people
            .iter()
            .map(|p| (p.id.clone(), encode(&crate::wire::person_v1(p))))
            .collect();
        let grants: Vec<(String, Vec<u8>)> = d
            .grants
            .iter()
            .map(|g| (g.id.clone(), encode(&crate::wire::grant_v1(g))))
            .collect();
        let sensors: Vec<(String, Option<Vec<u8>>)> = d
            .sensors
            .iter()
            .map(|c| {
                let s = &c.sensor;
                let key = format!("{K_CLOUD_SENSOR}{}", s.id);
                let v = c.enabled.then(|| {
                    encode(&StoredSensorV1 {
                        id: s.id.clone(),
                        name: s.name.clone(),
                        profile: s.model.clone(),
                        estate: s.estate.clone(),
                        building: s.building.clone(),
                        unit: s.unit.clone(),
                        floor: s.floor,
                        heartbeat_ms: s.heartbeat_ms,
                    })
                });
                (key, v)
            })
            .collect();
        // Templates to delete: photos no longer listed for a changed person, every photo of a
        // removed one. Found before the transaction (sled transactions cannot scan); an
        // enrolment racing this is caught by `prune_unwanted_faces` right after.
        let mut drop_faces: Vec<Vec<u8>> = Vec::new();
        let mut wanted: Vec<(Vec<u8>, Option<Vec<u8>>)> = Vec::new();
        for (person, photos) in d.face_photos {
            for kv in self.faces.scan_prefix(face_prefix(person)) {
                let (k, _) = kv?;
                let photo = &k[person.len() + 1..];
                if !photos.iter().any(|p| p.id.as_bytes() == photo) {
                    drop_faces.push(k.to_vec());
                }
            }
            wanted.push((
                person.as_bytes().to_vec(),
                (!photos.is_empty()).then(|| encode(photos)),
            ));
        }
        for person in d.removed_people {
            for kv in self.faces.scan_prefix(face_prefix(person)) {
                drop_faces.push(kv?.0.to_vec());
            }
            wanted.push((person.as_bytes().to_vec(), None));
        }
        (
            &self.people,
            &self.grants,
            &self.door_modes,
            &self.meta,
            &self.faces,
            &self.face_wanted,
        )
            .transaction(|(tp, tg, td, tm, tf, tw)| {
                for k in &drop_faces {
                    tf.remove(k.as_slice())?;
                }
                for (k, v) in &wanted {
                    match v {
                        Some(v) => tw.insert(k.as_slice(), v.as_slice())?,
                        None => tw.remove(k.as_slice())?,
                    };
                }
                for (k, v) in &sensors {
                    match v {
                        Some(v) => tm.insert(k.as_bytes(), v.as_slice())?,
                        None => tm.remove(k.as_bytes())?,
                    };
                }
                for (id, v) in &people {
                    tp.insert(id.as_bytes(), v.as_slice())?;
                }
                for id in d.removed_people {
                    tp.remove(id.as_bytes())?;
                }
                for (id, v) in &grants {
                    tg.insert(id.as_bytes(), v.as_slice())?;
                }
                for (door, mode) in d.door_modes {
                    td.insert(door.as_bytes(), door_mode_code(*mode).as_bytes())?;
                }
                tm.insert(K_DIR_CURSOR, &d.cursor.to_be_bytes())?;
                Ok::<(), sled::transaction::ConflictableTransactionError<()>>(())
            })
            .map_err(|e| StoreError::Commit(format!("directory delta: {e:?}")))?;
        self.db.flush()?;
        Ok(())
    }
}

impl Store {
    // ---- faces -----------------------------------------------------------------------------

    /// Every person's wanted face photos.
    pub fn face_wanted(&self) -> Result<Vec<(String, Vec<StoredFacePhotoV1>)>, StoreError> {
        self.face_wanted
            .iter()
            .map(|kv| {
                let (k, v) = kv?;
                Ok((
                    String::from_utf8_lossy(&k).into_owned(),
                    decode(T_FACE_WANTED, &k, &v)?,
                ))
            })
            .collect()
    }

    /// Every stored face outcome (templates still sealed).
    pub fn face_entries(&self) -> Result<Vec<FaceEntryV1>, StoreError> {
        self.faces
            .iter()
            .map(|kv| {
                let (k, v) = kv?;
                decode(T_FACES, &k, &v)
            })
            .collect()
    }

    /// Stores an outcome only if the cloud still wants that photo (same id and hash), in one
    /// transaction with the wanted list: a removal that committed first wins. Flushed.
    pub fn put_face_entry_if_wanted(&self, e: &FaceEntryV1) -> Result<bool, StoreError> {
        use sled::Transactional;
        let key = face_key(&e.person_id, &e.photo_id);
        let value = encode(e);
        let stored = (&self.faces, &self.face_wanted)
            .transaction(|(tf, tw)| {
                let still = tw
                    .get(e.person_id.as_bytes())?
                    .and_then(|v| serde_json::from_slice::<Vec<StoredFacePhotoV1>>(&v).ok())
                    .is_some_and(|ps| {
                        ps.iter()
                            .any(|p| p.id == e.photo_id && p.sha256 == e.sha256)
                    });
                if still {
                    tf.insert(key.as_slice(), value.as_slice())?;
                }
                Ok::<bool, sled::transaction::ConflictableTransactionError<()>>(still)
            })
            .map_err(|err| StoreError::Commit(format!("face template: {err:?}")))?;
        self.db.flush()?;
        Ok(stored)
    }

    /// Deletes outcomes whose photo is no longer wanted; returns the persons touched.
    pub fn prune_unwanted_faces(&self) -> Result<Vec<String>, StoreError> {
        let wanted = self.face_wanted()?;
        let mut touched = Vec::new();
        for e in self.face_entries()? {
            let keep = wanted.iter().any(|(p, ps)| {
                *p == e.person_id
                    && ps
                        .iter()
                        .any(|w| w.id == e.photo_id && w.sha256 == e.sha256)
            });
            if !keep {
                self.faces.remove(face_key(&e.person_id, &e.photo_id))?;
                touched.push(e.person_id);
            }
        }
        if !touched.is_empty() {
            self.db.flush()?;
        }
        touched.dedup();
        Ok(touched)
    }

    // ---- pass-log thumbnails ---------------------------------------------------------------

    pub fn put_thumbnail(&self, record: Uuid, at_ms: i64, jpeg: &[u8]) -> Result<(), StoreError> {
        let mut v = Vec::with_capacity(8 + jpeg.len());
        v.extend_from_slice(&at_ms.to_be_bytes());
        v.extend_from_slice(jpeg);
        self.thumbs.insert(record.as_bytes(), v)?;
        Ok(())
    }

    pub fn thumbnail(&self, record: Uuid) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .thumbs
            .get(record.as_bytes())?
            .filter(|v| v.len() > 8)
            .map(|v| v[8..].to_vec()))
    }

    /// Deletes thumbnails taken before `before_ms`; returns how many.
    pub fn prune_thumbnails(&self, before_ms: i64) -> Result<usize, StoreError> {
        let mut n = 0;
        for kv in self.thumbs.iter() {
            let (k, v) = kv?;
            let at = v
                .get(..8)
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .map_or(i64::MIN, i64::from_be_bytes);
            if at < before_ms {
                self.thumbs.remove(k)?;
                n += 1;
            }
        }
        if n > 0 {
            self.db.flush()?;
        }
        Ok(n)
    }

    // ---- community settings ----------------------------------------------------------------

    pub fn box_settings(&self) -> Result<edge_sync::sync::BoxSettingsV1, StoreError> {
        match self.meta.get(K_BOX_SETTINGS)? {
            Some(v) => decode(T_META, K_BOX_SETTINGS, &v),
            None => Ok(edge_sync::sync::BoxSettingsV1::default()),
        }
    }

    /// Stores the settings if they changed; returns whether they did.
    pub fn put_box_settings(&self, s: &edge_sync::sync::BoxSettingsV1) -> Result<bool, StoreError> {
        if self.box_settings()? == *s {
            return Ok(false);
        }
        self.meta.insert(K_BOX_SETTINGS, encode(s))?;
        self.db.flush()?;
        Ok(true)
    }
}

const TAG_PASS: u8 = b'P';
const TAG_ALARM: u8 = b'A';
const TAG_STATE: u8 = b'S';
const TAG_FACE: u8 = b'F';

fn decode_event(key: &[u8], v: &[u8]) -> Result<OutboxItemV1, StoreError> {
    match v.split_first() {
        Some((&TAG_PASS | &TAG_ALARM | &TAG_STATE | &TAG_FACE, json)) => {
            decode(T_EVENTS, key, json)
        }
        _ => Err(corrupt(T_EVENTS, key, "unknown record tag")),
    }
}

/// sled 0.34 writes a snapshot as `snap.<lsn>.generating`, fsyncs it, then renames it to
/// `snap.<lsn>`. A process killed before the rename leaves the half-written file behind, and the
/// next open picks it (it sorts after the finished one) and refuses the whole store as "Read
/// corrupted data" — three SIGKILL rounds of `tests/tests/durability.rs` hit exactly that. Such
/// a file is never a finished snapshot, so it is removed before opening: sled then starts from
/// the last finished snapshot and replays its log, which holds everything flushed.
fn remove_unfinished_snapshots(dir: &Path) -> Result<(), StoreError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(StoreError::Sled(sled::Error::Io(e))),
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if name.starts_with("snap.") && name.ends_with(".generating") {
            tracing::warn!(file = %name, "removing an unfinished sled snapshot left by a crash");
            std::fs::remove_file(e.path()).map_err(|e| StoreError::Sled(sled::Error::Io(e)))?;
        }
    }
    Ok(())
}

/// A record on its way to the writer, already encoded by the caller's task (so the single
/// writer thread spends its time on the log, not on JSON).
struct Append {
    id: Uuid,
    bytes: Vec<u8>,
    done: oneshot::Sender<Result<Uuid, String>>,
}

/// The sole writer of the event log. Clone the handle freely; one thread writes.
#[derive(Clone, Debug)]
pub struct StoreWriter {
    tx: mpsc::Sender<Append>,
}

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
            .send(Append {
                id: item.id(),
                bytes,
                done,
            })
            .await
            .map_err(|_| StoreError::WriterGone)?;
        Ok(rx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::{AccessRequest, Decision, DenyReason, Method};

    fn pass(id: Uuid) -> OutboxItemV1 {
        let req = AccessRequest {
            door_id: "d".into(),
            person_id: "p".into(),
            method: Method::Face,
        };
        let d = Decision::Deny {
            reason: DenyReason::UnknownPerson,
        };
        OutboxItemV1::Pass(PassRecordV1::from_decision(id, 0, "b", &req, &d, None))
    }

    /// Log order is append order, whatever the record ids say (a wall clock that jumped back
    /// makes UUIDv7s go backwards), and the very first record is in the outbox.
    #[tokio::test]
    async fn outbox_keeps_append_order_and_the_first_record() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(tmp.path()).unwrap();
        let (writer, thread) = StoreWriter::start_joinable(store.clone());
        let ids: Vec<Uuid> = [900u128, 5, 700, 1]
            .into_iter()
            .map(Uuid::from_u128)
            .collect();
        for id in &ids {
            writer.append(pass(*id)).await.unwrap();
        }
        let head: Vec<Uuid> = store
            .outbox_head(10)
            .unwrap()
            .iter()
            .map(OutboxItemV1::id)
            .collect();
        assert_eq!(head, ids);
        assert_eq!(store.outbox_depth(), 4);
        assert_eq!(store.passlog_len(), 4);
        let newest: Vec<Uuid> = store
            .recent_passes(2)
            .unwrap()
            .iter()
            .map(|p| p.id)
            .collect();
        assert_eq!(newest, vec![ids[3], ids[2]]);
        assert!(store.contains_record(ids[1]).unwrap());
        assert!(!store.contains_record(Uuid::from_u128(6)).unwrap());
        // Reopened, the order and the count hold.
        drop(writer);
        thread.unwrap().join().unwrap();
        drop(store);
        let store = reopen(tmp.path());
        assert_eq!(store.record_ids().unwrap().len(), 4);
        assert_eq!(store.outbox_head(1).unwrap()[0].id(), ids[0]);
    }

    fn photo(id: &str) -> StoredFacePhotoV1 {
        StoredFacePhotoV1 {
            id: id.into(),
            sha256: format!("{id:0>64}"),
        }
    }

    fn face_entry(person: &str, p: &StoredFacePhotoV1) -> FaceEntryV1 {
        FaceEntryV1 {
            v: 1,
            person_id: person.into(),
            photo_id: p.id.clone(),
            sha256: p.sha256.clone(),
            model: "m".into(),
            accepted: true,
            reasons: vec![],
            nonce: "n".into(),
            sealed: "s".into(),
        }
    }

    fn faces_delta(
        store: &Store,
        cursor: i64,
        faces: &[(String, Vec<StoredFacePhotoV1>)],
        removed: &[String],
    ) {
        store
            .apply_delta(&DeltaWrite {
                people: &[],
                removed_people: removed,
                grants: &[],
                door_modes: &[],
                sensors: &[],
                face_photos: faces,
                cursor,
            })
            .unwrap();
    }

    fn photo_ids(store: &Store) -> Vec<(String, String)> {
        let mut v: Vec<_> = store
            .face_entries()
            .unwrap()
            .into_iter()
            .map(|e| (e.person_id, e.photo_id))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn face_templates_follow_the_cloud_list_in_the_delta_transaction() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(tmp.path()).unwrap();
        let (a, b, c) = (photo("a"), photo("b"), photo("c"));
        faces_delta(
            &store,
            1,
            &[
                ("p1".into(), vec![a.clone(), b.clone()]),
                ("p2".into(), vec![c.clone()]),
            ],
            &[],
        );
        assert!(store
            .put_face_entry_if_wanted(&face_entry("p1", &a))
            .unwrap());
        assert!(store
            .put_face_entry_if_wanted(&face_entry("p1", &b))
            .unwrap());
        assert!(store
            .put_face_entry_if_wanted(&face_entry("p2", &c))
            .unwrap());
        // Not listed, listed for someone else, or with another hash: not stored.
        assert!(!store
            .put_face_entry_if_wanted(&face_entry("p1", &photo("z")))
            .unwrap());
        assert!(!store
            .put_face_entry_if_wanted(&face_entry("p2", &a))
            .unwrap());
        let mut changed = a.clone();
        changed.sha256 = "f".repeat(64);
        assert!(!store
            .put_face_entry_if_wanted(&face_entry("p1", &changed))
            .unwrap());
        assert_eq!(photo_ids(&store).len(), 3);

        // p1's list shrinks (photo a deleted in the cloud): a's template goes with the cursor.
        faces_delta(&store, 2, &[("p1".into(), vec![b.clone()])], &[]);
        assert_eq!(
            photo_ids(&store),
            vec![("p1".into(), "b".into()), ("p2".into(), "c".into())]
        );
        assert_eq!(store.directory_cursor().unwrap(), 2);
        // Consent withdrawn (empty list) for p1, p2 moved out: nothing left, nothing wanted.
        faces_delta(&store, 3, &[("p1".into(), vec![])], &["p2".into()]);
        assert!(photo_ids(&store).is_empty());
        assert!(store.face_wanted().unwrap().is_empty());
        // An enrolment that finishes after the withdrawal is discarded.
        assert!(!store
            .put_face_entry_if_wanted(&face_entry("p1", &b))
            .unwrap());
        // And it all holds across a reopen.
        drop(store);
        let store = reopen(tmp.path());
        assert!(photo_ids(&store).is_empty());
        assert_eq!(store.directory_cursor().unwrap(), 3);
    }

    #[test]
    fn thumbnails_are_pruned_by_age_and_settings_round_trip() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(tmp.path()).unwrap();
        let (old, new) = (Uuid::from_u128(1), Uuid::from_u128(2));
        store.put_thumbnail(old, 1_000, &[0xFF, 0xD8, 1]).unwrap();
        store.put_thumbnail(new, 5_000, &[0xFF, 0xD8, 2]).unwrap();
        assert_eq!(store.prune_thumbnails(3_000).unwrap(), 1);
        assert_eq!(store.thumbnail(old).unwrap(), None);
        assert_eq!(store.thumbnail(new).unwrap(), Some(vec![0xFF, 0xD8, 2]));
        assert_eq!(store.prune_thumbnails(3_000).unwrap(), 0);

        let default = store.box_settings().unwrap();
        assert!(!default.face_thumbnail_upload);
        let on = edge_sync::sync::BoxSettingsV1 {
            face_thumbnail_upload: true,
            face_thumbnail_retention_days: 30,
        };
        assert!(store.put_box_settings(&on).unwrap());
        assert!(!store.put_box_settings(&on).unwrap());
        assert_eq!(store.box_settings().unwrap(), on);
    }

    /// sled lets go of its file lock from a background thread after the last handle drops;
    /// `open` itself waits that out, so an immediate reopen in the same process works.
    fn reopen(path: &Path) -> Store {
        Store::open(path).unwrap_or_else(|e| panic!("store does not reopen: {e}"))
    }

    #[test]
    fn a_second_holder_waits_and_then_gets_locked() {
        let tmp = tempfile::tempdir().unwrap();
        let first = Store::open(tmp.path()).unwrap();
        let wait = std::time::Duration::from_millis(200);
        let started = Instant::now();
        match Store::open_waiting(tmp.path(), DEFAULT_CACHE_BYTES, wait) {
            Err(StoreError::Locked { waited_ms, .. }) => {
                assert!(waited_ms >= 200, "gave up after {waited_ms} ms");
                assert!(started.elapsed() >= wait);
            }
            Err(e) => panic!("expected Locked, got {e}"),
            Ok(_) => panic!("two stores opened on one directory"),
        }
        // A clone keeps the lock; dropping every handle frees it, and the reopen sees the data.
        first.meta.insert(b"k", b"v".as_slice()).unwrap();
        first.flush().unwrap();
        let clone = first.clone();
        drop(first);
        assert!(matches!(
            Store::open_waiting(tmp.path(), DEFAULT_CACHE_BYTES, wait),
            Err(StoreError::Locked { .. })
        ));
        drop(clone);
        for _ in 0..20 {
            let again = reopen(tmp.path());
            assert_eq!(
                again.meta.get(b"k").unwrap().as_deref(),
                Some(b"v".as_slice())
            );
        }
    }

    /// A kill while sled writes a snapshot leaves `snap.<lsn>.generating` half-written; the
    /// store must still open with everything that was flushed (sled alone refuses it).
    #[tokio::test]
    async fn a_half_written_snapshot_left_by_a_kill_does_not_brick_the_store() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(tmp.path()).unwrap();
        let (writer, thread) = StoreWriter::start_joinable(store.clone());
        for i in 1..=50u128 {
            writer.append(pass(Uuid::from_u128(i))).await.unwrap();
        }
        drop(writer);
        thread.unwrap().join().unwrap();
        drop(store);
        std::fs::write(
            tmp.path().join("snap.FFFFFFFFFFFFFFFF.generating"),
            b"half a snapshot, no crc",
        )
        .unwrap();
        let store = reopen(tmp.path());
        assert_eq!(store.record_ids().unwrap().len(), 50);
        assert!(!tmp.path().join("snap.FFFFFFFFFFFFFFFF.generating").exists());
    }

    #[test]
    fn directory_and_modes_round_trip_through_storage_types() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(tmp.path()).unwrap();
        store
            .set_door_mode("d1", DoorMode::EmergencyRelease)
            .unwrap();
        store.set_revoked("p9", true).unwrap();
        store.set_clock_high_water(1234).unwrap();
        assert!(store.mark_command_used(Uuid::from_u128(1), 10).unwrap());
        assert!(!store.mark_command_used(Uuid::from_u128(1), 10).unwrap());
        assert_eq!(store.prune_command_marks(11).unwrap(), 1);
        assert!(store.mark_command_used(Uuid::from_u128(1), 10).unwrap());
        store.flush().unwrap();
        drop(store);
        let store = reopen(tmp.path());
        assert_eq!(
            store.door_modes().unwrap(),
            vec![("d1".to_string(), DoorMode::EmergencyRelease)]
        );
        assert_eq!(store.revoked_people().unwrap(), vec!["p9".to_string()]);
        assert_eq!(store.clock_high_water().unwrap(), 1234);
    }
}
