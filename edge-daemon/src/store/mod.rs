//! The durable local store (sled): the people/grant directory, door modes, the clock high-water
//! mark, replay marks for one-tap commands, active alarms, and the append-only event log of
//! passes and alarm transitions.
//!
//! The event log is also the outbox: each record is written once, under a key that starts with
//! a sequence number sled keeps monotonic across crashes; the uplink will send everything after
//! the cloud's last acknowledged sequence, in order, and only then move that cursor. Appends go
//! through exactly one writer thread ([`writer::StoreWriter`]), which does group commit: it
//! takes every append waiting in its queue, inserts them, flushes once (fsync), and only then
//! answers each caller. So an id a caller has been given is on disk. Everything else
//! (directory, modes, marks) is rare and flushed by the caller.
//!
//! What is stored is always a versioned record type (`records::*V1`,
//! `cloud::wire::PersonV1`/`GrantV1`, door-mode codes), never a domain type, so the engine can
//! change without rewriting the disk.
//!
//! This file opens the store (its lock, its trees) and holds what the rest shares. What is kept
//! is split by kind, one file each, every one an `impl Store` block: [`directory`] (people,
//! grants, revocations, door modes, the cloud cursor, `apply_delta`), [`outbox`] (the event log,
//! the alarm outbox, acknowledgements), [`faces`] (face photo lists, templates, thumbnails) and
//! [`meta`] (clock high-water, active alarms, command marks, settings, small JSON state).
//! [`writer`] is the writer thread, [`records`] the record types.

pub mod directory;
pub mod faces;
pub mod meta;
pub mod outbox;
pub mod records;
pub mod writer;

use std::path::Path;

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

// The sled trees.
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
/// Alarm records not yet acknowledged (key = their event key): the uplink sends these first.
const T_ALARM_OUTBOX: &str = "uplink_alarms_v1";

pub const DEFAULT_CACHE_BYTES: u64 = 8 * 1024 * 1024;

/// Handle to the store. Cheap to clone (sled trees are reference counted).
#[derive(Clone)]
pub struct Store {
    /// Our own exclusive lock on `<store>/edge-daemon.lock`, held by every clone: a second
    /// daemon on the same store waits and then fails with `Locked`, and crash clean-up
    /// (`remove_unfinished_snapshots`) only ever runs while no one else can be writing.
    _lock: std::sync::Arc<std::fs::File>,
    db: sled::Db,
    /// sled's data file, for [`Store::flush`]'s fdatasync (see there).
    db_file: std::sync::Arc<std::fs::File>,
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
    /// The event log's figures, counted once at open and kept by every write and trim, so the
    /// status answers without a scan.
    counters: std::sync::Arc<outbox::LogCounters>,
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
        let db_file = std::sync::Arc::new(
            std::fs::File::open(path.join("db"))
                .map_err(|e| StoreError::Sled(sled::Error::Io(e)))?,
        );
        let store = Store {
            _lock: std::sync::Arc::new(lock),
            db_file,
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
            counters: Default::default(),
            db,
        };
        store.count_log()?;
        Ok(store)
    }

    /// Make everything written so far durable: sled's flush, then fdatasync of its data file.
    /// sled 0.34 ends a flush with `sync_file_range`, which writes the pages out but neither the
    /// file's size nor the disk's cache: under a simulated power cut that keeps only what was
    /// fsynced, every acknowledged record was lost (`durability.rs::a_power_cut_loses_nothing_acknowledged`).
    /// fdatasync on any descriptor of the file covers what sled wrote through its own.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        self.db_file
            .sync_data()
            .map_err(|e| StoreError::Sled(sled::Error::Io(e)))?;
        Ok(())
    }

    pub fn size_on_disk(&self) -> u64 {
        self.db.size_on_disk().unwrap_or(0)
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

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use uuid::Uuid;

    use super::directory::DeltaWrite;
    use super::faces::FaceEntryV1;
    use super::records::{OutboxItemV1, PassRecordV1, StoredFacePhotoV1};
    use super::writer::StoreWriter;
    use super::*;
    use crate::access::{AccessRequest, Decision, DenyReason, DoorMode, Method};

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

    fn pass_at(at_ms: i64) -> OutboxItemV1 {
        let req = AccessRequest {
            door_id: "d".into(),
            person_id: "p".into(),
            method: Method::Face,
        };
        let d = Decision::Deny {
            reason: DenyReason::UnknownPerson,
        };
        OutboxItemV1::Pass(PassRecordV1::from_decision(
            Uuid::now_v7(),
            at_ms,
            "b",
            &req,
            &d,
            None,
        ))
    }

    /// The counters agree with a scan after appends, acknowledgements, trims and a reopen; a
    /// trim takes acknowledged records only — by age at the given time, or by the byte budget —
    /// and never one the cloud has not acknowledged, whatever the budget says.
    #[tokio::test]
    async fn trimming_takes_acknowledged_records_only_and_the_counters_hold() {
        use crate::retention::RetentionPolicy;
        const DAY: i64 = 86_400_000;
        let now = 1_000 * DAY;
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(tmp.path()).unwrap();
        let (writer, thread) = StoreWriter::start_joinable(store.clone());
        // 10 records 100 days old, 10 from today.
        for i in 0..20 {
            let at = if i < 10 { now - 100 * DAY } else { now };
            writer.append(pass_at(at)).await.unwrap();
        }
        let scan = |store: &Store| -> (u64, u64) {
            store.events.iter().fold((0, 0), |(n, b), r| {
                let (k, v) = r.unwrap();
                (n + 1, b + (k.len() + v.len()) as u64)
            })
        };
        let (n, bytes) = scan(&store);
        assert_eq!(
            (store.log_records(), store.log_figures().total_bytes),
            (n, bytes)
        );
        assert_eq!(store.log_figures().unacked_bytes, bytes);
        let per = bytes / 20;
        let policy = RetentionPolicy {
            max_age_ms: 90 * DAY,
            max_bytes: 1 << 30,
            nearly_full_pct: 80,
            clear_pct: 70,
        };
        // Nothing acknowledged: neither age nor a budget of one byte trims anything.
        let tiny = RetentionPolicy {
            max_bytes: 1,
            ..policy
        };
        assert_eq!(writer.trim(tiny, now).await.unwrap().records, 0);
        assert_eq!(store.outbox_depth(), 20);
        // The cloud takes the first 15: 10 old ones go by age, the 5 young stay.
        let entries = store.outbox_entries(15).unwrap();
        store.ack_through(&entries[14].0).unwrap();
        assert_eq!(store.outbox_depth(), 5);
        assert_eq!(store.log_figures().unacked_bytes, scan_unacked(&store));
        let t = writer.trim(policy, now).await.unwrap();
        assert_eq!((t.records, t.more), (10, false));
        assert_eq!(store.passlog_len(), 10);
        assert_eq!(
            (store.log_records(), store.log_figures().total_bytes),
            scan(&store)
        );
        // A budget of 7 records' bytes: acknowledged ones go, oldest first, until it fits or
        // only unacknowledged ones are left (5 acknowledged remain, 5 not).
        let small = RetentionPolicy {
            max_bytes: 7 * per,
            ..policy
        };
        let t = writer.trim(small, now).await.unwrap();
        assert_eq!(
            t.records, 3,
            "10 records, budget 7: the 3 oldest acknowledged go"
        );
        let t = writer.trim(tiny, now).await.unwrap();
        assert_eq!(t.records, 2, "then the other acknowledged ones");
        assert_eq!(store.outbox_depth(), 5);
        assert_eq!(store.log_records(), 5, "unacknowledged records never go");
        let head: Vec<i64> = store
            .outbox_head(10)
            .unwrap()
            .iter()
            .map(OutboxItemV1::at_ms)
            .collect();
        assert_eq!(head, vec![now; 5]);
        // Reopened: counted again from disk, the same figures.
        let before = (
            store.log_records(),
            store.log_figures(),
            store.outbox_depth(),
        );
        drop(writer);
        thread.unwrap().join().unwrap();
        drop(store);
        let store = reopen(tmp.path());
        assert_eq!(
            (
                store.log_records(),
                store.log_figures(),
                store.outbox_depth()
            ),
            before
        );
    }

    fn scan_unacked(store: &Store) -> u64 {
        let from = store.acked_seq_for_tests().saturating_add(1);
        store
            .events
            .range(from.to_be_bytes()..)
            .map(|r| {
                let (k, v) = r.unwrap();
                (k.len() + v.len()) as u64
            })
            .sum()
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
                alarm_actions: &[],
                cursor,
            })
            .unwrap();
    }

    /// Cloud alarm actions come with their delta in one transaction and stay pending until the
    /// sensor state they changed is written in the same write as their removal; the id their
    /// report carries is fixed (the same after a crash), distinct per action and per box.
    #[test]
    fn cloud_alarm_actions_stay_pending_until_applied_with_the_state() {
        use crate::cloud::wire::AlarmAction;
        use crate::sensor::SensorAlarm;
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(tmp.path()).unwrap();
        let act = |device: &str, clear| AlarmAction {
            device: device.into(),
            alarm: SensorAlarm::Smoke,
            clear,
            by: "cloud:wang".into(),
        };
        let actions = [act("smoke-1", false), act("smoke-2", true)];
        store
            .apply_delta(&DeltaWrite {
                people: &[],
                removed_people: &[],
                grants: &[],
                door_modes: &[],
                sensors: &[],
                face_photos: &[],
                alarm_actions: &actions,
                cursor: 7,
            })
            .unwrap();
        assert_eq!(store.directory_cursor().unwrap(), 7);
        drop(store);
        // A crash right after the delta: still pending after a reopen, same ids.
        let store = reopen(tmp.path());
        let p = store.pending_alarm_actions("box-a").unwrap();
        assert_eq!(
            p.iter().map(|p| p.action.clone()).collect::<Vec<_>>(),
            actions.to_vec()
        );
        let again = store.pending_alarm_actions("box-a").unwrap();
        assert_eq!(p, again, "the report ids do not change between reads");
        assert_ne!(p[0].record_id, p[1].record_id);
        let other_box = store.pending_alarm_actions("box-b").unwrap();
        assert_ne!(p[0].record_id, other_box[0].record_id, "ids differ per box");
        // Applied: the state and the removal in one write.
        store
            .put_meta_json_and_done("sensor_state_test", &"acked", &[p[0].key.clone()])
            .unwrap();
        drop(store);
        let store = reopen(tmp.path());
        let left = store.pending_alarm_actions("box-a").unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].action, actions[1]);
        assert_eq!(
            store.meta_json::<String>("sensor_state_test").as_deref(),
            Some("acked")
        );
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
