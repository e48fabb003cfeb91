//! The append-only event log (passes, alarm transitions, device states, face verdicts), which is
//! also the outbox: the read side, what the uplink sends next, and the cloud's acknowledgements
//! that move its cursor. Records are appended only by the writer thread (`writer.rs`).

use uuid::Uuid;

use super::records::{OutboxItemV1, PassRecordV1};
use super::{corrupt, decode, Store, StoreError, T_ALARM_OUTBOX, T_EVENTS};

/// An outbox entry: its event key (log position) and the record.
pub type OutboxEntry = (Vec<u8>, OutboxItemV1);

/// Highest event seq the cloud has acknowledged; the outbox is everything after it.
const K_ACKED_SEQ: &[u8] = b"uplink_acked_seq";

pub(super) const TAG_PASS: u8 = b'P';
pub(super) const TAG_ALARM: u8 = b'A';
pub(super) const TAG_STATE: u8 = b'S';
pub(super) const TAG_FACE: u8 = b'F';

fn decode_event(key: &[u8], v: &[u8]) -> Result<OutboxItemV1, StoreError> {
    match v.split_first() {
        Some((&TAG_PASS | &TAG_ALARM | &TAG_STATE | &TAG_FACE, json)) => {
            decode(T_EVENTS, key, json)
        }
        _ => Err(corrupt(T_EVENTS, key, "unknown record tag")),
    }
}

impl Store {
    // ---- the event log (read side; writes go through StoreWriter) --------------------------

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

    // ---- uplink: what to send, and what the cloud acknowledged -----------------------------

    /// The alarm index tree, opened on first use (sled caches open trees). Not opened at start:
    /// a box that never records an alarm keeps exactly the trees it had before the index
    /// existed (the SIGKILL durability test exercises that store shape).
    pub(super) fn alarm_outbox(&self) -> Result<sled::Tree, StoreError> {
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

    pub fn pending_alarm_count(&self) -> usize {
        self.alarm_outbox().map_or(0, |t| t.len())
    }
}
