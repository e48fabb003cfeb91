//! What the store keeps for the daemon's owner tasks in `meta` (the clock high-water mark, the
//! active alarms, small JSON state such as sensor rule state and released doors, the community's
//! settings) and in `onetap_seen` (the replay marks of one-tap commands).

use uuid::Uuid;

use super::records::AlarmRecordV1;
use super::{decode, encode, Store, StoreError, T_META};

const K_BOX_SETTINGS: &[u8] = b"box_settings_v1";
const K_HIGH_WATER: &[u8] = b"clock_high_water_ms";
const K_ACTIVE_ALARMS: &[u8] = b"active_alarms_v1";
/// Prefix of cloud alarm actions not yet applied: `prefix ‖ delta cursor (8 BE) ‖ index (4 BE)`.
const K_PENDING_ACTION: &[u8] = b"pending_alarm_action_v1:";

/// The key a delta's `index`-th alarm action is kept under until applied.
pub(super) fn pending_action_key(cursor: i64, index: u32) -> Vec<u8> {
    let mut k = K_PENDING_ACTION.to_vec();
    k.extend_from_slice(&cursor.to_be_bytes());
    k.extend_from_slice(&index.to_be_bytes());
    k
}

/// A cloud alarm action kept until applied, with the id of the record that reports it (the same
/// id however often a crash makes the box apply it again, so the cloud stores the report once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingAction {
    pub key: Vec<u8>,
    pub action: crate::cloud::wire::AlarmAction,
    pub record_id: Uuid,
}

impl Store {
    // ---- clock and replay marks ------------------------------------------------------------

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

    // ---- small JSON state ------------------------------------------------------------------

    /// A small JSON value kept in `meta` (sensor rule state, released doors). Unreadable or
    /// missing: None (the owner starts afresh and says so).
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
    /// Cloud alarm actions kept by `apply_delta` and not yet applied, in arrival order. One the
    /// box cannot read is dropped with a log line (a newer cloud's alarm kind).
    pub fn pending_alarm_actions(&self, box_id: &str) -> Result<Vec<PendingAction>, StoreError> {
        use sha2::Digest;
        let mut out = Vec::new();
        for kv in self.meta.scan_prefix(K_PENDING_ACTION) {
            let (k, v) = kv?;
            let stored: super::records::StoredAlarmActionV1 = decode(T_META, &k, &v)?;
            let Some(action) = stored.to_action() else {
                tracing::warn!(alarm = %stored.alarm, "a cloud alarm action this box cannot read; dropped");
                self.meta.remove(&k)?;
                continue;
            };
            let digest = sha2::Sha256::new()
                .chain_update(box_id.as_bytes())
                .chain_update([0])
                .chain_update(&k)
                .finalize();
            let mut bytes = [0u8; 16];
            bytes.copy_from_slice(&digest[..16]);
            out.push(PendingAction {
                key: k.to_vec(),
                action,
                record_id: uuid::Builder::from_custom_bytes(bytes).into_uuid(),
            });
        }
        Ok(out)
    }

    /// Store `v` under `key` and forget the pending actions `done`, in one durable write: the
    /// state an action changed and the action's removal are never apart.
    pub fn put_meta_json_and_done<T: serde::Serialize>(
        &self,
        key: &str,
        v: &T,
        done: &[Vec<u8>],
    ) -> Result<(), StoreError> {
        let mut b = sled::Batch::default();
        b.insert(key.as_bytes(), encode(v));
        for k in done {
            b.remove(k.as_slice());
        }
        self.meta.apply_batch(b)?;
        self.flush()
    }

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
        self.flush()?;
        Ok(true)
    }
}
