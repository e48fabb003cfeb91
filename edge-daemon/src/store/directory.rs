//! The people/grant directory, revocations, door modes, the sensors the cloud registered, and the
//! cloud directory cursor. A cloud delta is written with its cursor in one transaction
//! ([`Store::apply_delta`]), the face photo lists and the templates they drop included.

use crate::access::{DoorMode, Person, VisitorGrant};
use crate::cloud::wire::{door_mode_code, parse_door_mode, GrantV1, IntoDomain, PersonV1};

use super::faces::face_prefix;
use super::records::StoredFacePhotoV1;
use super::{corrupt, decode, encode, Store, StoreError, T_DOOR_MODES, T_GRANTS, T_META, T_PEOPLE};

/// Entries per sled batch. One batch of 10,000 directory entries cost ~46 MB of RSS here;
/// batches of a few hundred cost next to nothing. Imports are upserts, so chunking is safe.
const BATCH_CHUNK: usize = 256;
/// The cloud directory cursor: every change up to it is applied here.
const K_DIR_CURSOR: &[u8] = b"directory_cursor";

/// Prefix of the meta keys that hold the cloud's sensor registrations (one key per device),
/// written in the same transaction as the directory cursor.
const K_CLOUD_SENSOR: &str = "cloud_sensor_v1:";

/// A cloud-registered sensor as stored (the storage form of `config::sensors::Sensor`).
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

/// A directory delta in domain types, applied in one transaction.
#[derive(Debug, Default)]
pub struct DeltaWrite<'a> {
    pub people: &'a [Person],
    pub removed_people: &'a [String],
    pub grants: &'a [VisitorGrant],
    pub door_modes: &'a [(String, DoorMode)],
    pub sensors: &'a [crate::cloud::wire::CloudSensor],
    /// For each person in `people` (and only those): the face photos the cloud lists now.
    pub face_photos: &'a [(String, Vec<StoredFacePhotoV1>)],
    /// Staff actions on sensor alarms: kept as pending in the same transaction as the cursor,
    /// and removed only in the same write as the sensor state they changed (`meta.rs`), so each
    /// is applied exactly once across crashes.
    pub alarm_actions: &'a [crate::cloud::wire::AlarmAction],
    pub cursor: i64,
}

impl Store {
    pub fn put_people(&self, people: &[Person]) -> Result<(), StoreError> {
        for chunk in people.chunks(BATCH_CHUNK) {
            let mut b = sled::Batch::default();
            for p in chunk {
                b.insert(p.id.as_bytes(), encode(&crate::cloud::wire::person_v1(p)));
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
                b.insert(g.id.as_bytes(), encode(&crate::cloud::wire::grant_v1(g)));
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

    // ---- cloud directory -------------------------------------------------------------------

    /// The sensors the cloud registered for this box (see [`DeltaWrite::sensors`]).
    pub fn cloud_sensors(&self) -> Result<Vec<crate::config::sensors::Sensor>, StoreError> {
        let mut out = Vec::new();
        for r in self.meta.scan_prefix(K_CLOUD_SENSOR.as_bytes()) {
            let (k, v) = r?;
            let s: StoredSensorV1 = decode(T_META, &k, &v)?;
            out.push(crate::config::sensors::Sensor {
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
            .map(|p| (p.id.clone(), encode(&crate::cloud::wire::person_v1(p))))
            .collect();
        let grants: Vec<(String, Vec<u8>)> = d
            .grants
            .iter()
            .map(|g| (g.id.clone(), encode(&crate::cloud::wire::grant_v1(g))))
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
        let actions: Vec<(Vec<u8>, Vec<u8>)> = d
            .alarm_actions
            .iter()
            .enumerate()
            .map(|(i, a)| {
                (
                    super::meta::pending_action_key(d.cursor, i as u32),
                    encode(&super::records::StoredAlarmActionV1::from_action(a)),
                )
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
                for (k, v) in &actions {
                    tm.insert(k.as_slice(), v.as_slice())?;
                }
                tm.insert(K_DIR_CURSOR, &d.cursor.to_be_bytes())?;
                Ok::<(), sled::transaction::ConflictableTransactionError<()>>(())
            })
            .map_err(|e| StoreError::Commit(format!("directory delta: {e:?}")))?;
        self.flush()?;
        Ok(())
    }
}
