//! The append-only event log (passes, alarm transitions, device states, face verdicts), which is
//! also the outbox: the read side, what the uplink sends next, and the cloud's acknowledgements
//! that move its cursor. Records are appended only by the writer thread (`writer.rs`).

use std::sync::atomic::{AtomicU64, Ordering};

use uuid::Uuid;

use super::records::{OutboxItemV1, PassRecordV1};
use super::{corrupt, decode, Store, StoreError, T_ALARM_OUTBOX, T_EVENTS};
use crate::retention::{LogFigures, RetentionPolicy};

/// The event log's figures (records and bytes, key plus value), counted once when the store
/// opens and then kept by the writes: appends add before they insert (so an acknowledgement
/// can never subtract a record not yet added), acknowledgements move records out of the
/// unacknowledged part, trims take acknowledged records away.
#[derive(Debug, Default)]
pub(crate) struct LogCounters {
    records: AtomicU64,
    bytes: AtomicU64,
    passes: AtomicU64,
    unacked_records: AtomicU64,
    unacked_bytes: AtomicU64,
}

/// One record's share of the counters.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Tally {
    records: u64,
    bytes: u64,
    passes: u64,
}

impl Tally {
    pub(super) fn add(&mut self, key: &[u8], value: &[u8]) {
        self.records += 1;
        self.bytes += (key.len() + value.len()) as u64;
        if value.first() == Some(&TAG_PASS) {
            self.passes += 1;
        }
    }
}

impl LogCounters {
    /// New records, all unacknowledged.
    pub(super) fn appended(&self, t: Tally) {
        self.records.fetch_add(t.records, Ordering::SeqCst);
        self.bytes.fetch_add(t.bytes, Ordering::SeqCst);
        self.passes.fetch_add(t.passes, Ordering::SeqCst);
        self.unacked_records.fetch_add(t.records, Ordering::SeqCst);
        self.unacked_bytes.fetch_add(t.bytes, Ordering::SeqCst);
    }

    /// An append that failed: take back what [`appended`](Self::appended) added.
    pub(super) fn not_appended(&self, t: Tally) {
        sub(&self.records, t.records);
        sub(&self.bytes, t.bytes);
        sub(&self.passes, t.passes);
        sub(&self.unacked_records, t.records);
        sub(&self.unacked_bytes, t.bytes);
    }

    fn acked(&self, t: Tally) {
        sub(&self.unacked_records, t.records);
        sub(&self.unacked_bytes, t.bytes);
    }

    fn trimmed(&self, t: Tally) {
        sub(&self.records, t.records);
        sub(&self.bytes, t.bytes);
        sub(&self.passes, t.passes);
    }
}

fn sub(a: &AtomicU64, n: u64) {
    let _ = a.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |v| {
        Some(v.saturating_sub(n))
    });
}

/// What one trim round took away.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Trimmed {
    pub records: u64,
    pub bytes: u64,
    /// Whether the round stopped at its record limit (another round may take more).
    pub more: bool,
}

fn seq_of(key: &[u8]) -> u64 {
    key.get(..8)
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .map_or(0, u64::from_be_bytes)
}

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

    /// Count the log once (at open); from then on the writes keep the counters.
    pub(super) fn count_log(&self) -> Result<(), StoreError> {
        let acked = self.acked_seq();
        let (mut all, mut unacked) = (Tally::default(), Tally::default());
        for r in self.events.iter() {
            let (k, v) = r?;
            all.add(&k, &v);
            if seq_of(&k) > acked {
                unacked.add(&k, &v);
            }
        }
        let c = &self.counters;
        c.records.store(all.records, Ordering::SeqCst);
        c.bytes.store(all.bytes, Ordering::SeqCst);
        c.passes.store(all.passes, Ordering::SeqCst);
        c.unacked_records.store(unacked.records, Ordering::SeqCst);
        c.unacked_bytes.store(unacked.bytes, Ordering::SeqCst);
        Ok(())
    }

    /// Pass records in the log (counted, not scanned).
    pub fn passlog_len(&self) -> usize {
        self.counters.passes.load(Ordering::SeqCst) as usize
    }

    /// Records not yet acknowledged by the cloud (counted, not scanned).
    pub fn outbox_depth(&self) -> usize {
        self.counters.unacked_records.load(Ordering::SeqCst) as usize
    }

    /// The log's bytes, all and unacknowledged (counted, not scanned).
    pub fn log_figures(&self) -> LogFigures {
        LogFigures {
            total_bytes: self.counters.bytes.load(Ordering::SeqCst),
            unacked_bytes: self.counters.unacked_bytes.load(Ordering::SeqCst),
        }
    }

    /// Records in the log, acknowledged or not (counted).
    pub fn log_records(&self) -> u64 {
        self.counters.records.load(Ordering::SeqCst)
    }

    /// One trim round (only the store writer calls this, between group commits): acknowledged
    /// records, oldest first, while `policy` says they go at `now_ms`; at most `limit` of them.
    /// Never a record the cloud has not acknowledged. Not flushed: a trim lost in a crash is
    /// simply done again.
    pub(crate) fn trim(
        &self,
        policy: &RetentionPolicy,
        now_ms: i64,
        limit: usize,
    ) -> Result<Trimmed, StoreError> {
        let acked = self.acked_seq();
        let mut total = self.counters.bytes.load(Ordering::SeqCst);
        let mut gone = Tally::default();
        let mut batch = sled::Batch::default();
        let mut more = false;
        for r in self.events.range(..acked.saturating_add(1).to_be_bytes()) {
            let (k, v) = r?;
            if seq_of(&k) > acked {
                break;
            }
            if gone.records as usize >= limit {
                more = true;
                break;
            }
            // A record this version cannot read is trimmed by its age in the key's UUIDv7.
            let at_ms = decode_event(&k, &v).map_or_else(
                |_| {
                    Uuid::from_slice(k.get(8..24).unwrap_or_default())
                        .ok()
                        .and_then(|u| u.get_timestamp())
                        .map_or(i64::MIN, |t| {
                            let (s, n) = t.to_unix();
                            (s as i64) * 1000 + i64::from(n / 1_000_000)
                        })
                },
                |item| item.at_ms(),
            );
            if !policy.trim(at_ms, now_ms, total) {
                break;
            }
            total = total.saturating_sub((k.len() + v.len()) as u64);
            gone.add(&k, &v);
            batch.remove(k);
        }
        if gone.records > 0 {
            self.events.apply_batch(batch)?;
            self.counters.trimmed(gone);
        }
        Ok(Trimmed {
            records: gone.records,
            bytes: gone.bytes,
            more,
        })
    }

    #[cfg(test)]
    pub(super) fn acked_seq_for_tests(&self) -> u64 {
        self.acked_seq()
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
        self.flush()?;
        Ok(())
    }

    /// The cloud has durably stored every record up to and including `key` (log order).
    pub fn ack_through(&self, key: &[u8]) -> Result<(), StoreError> {
        let seq = key
            .get(..8)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map(u64::from_be_bytes)
            .ok_or_else(|| corrupt(T_EVENTS, key, "short key"))?;
        let before = self.acked_seq();
        if seq <= before {
            return Ok(());
        }
        let mut newly = Tally::default();
        for r in self
            .events
            .range(before.saturating_add(1).to_be_bytes().to_vec()..=key.to_vec())
        {
            let (k, v) = r?;
            newly.add(&k, &v);
        }
        let mut b = sled::Batch::default();
        let index = self.alarm_outbox()?;
        for k in index.range(..=key.to_vec()).keys() {
            b.remove(k?);
        }
        index.apply_batch(b)?;
        self.meta.insert(K_ACKED_SEQ, &seq.to_be_bytes())?;
        self.flush()?;
        self.counters.acked(newly);
        Ok(())
    }

    pub fn pending_alarm_count(&self) -> usize {
        self.alarm_outbox().map_or(0, |t| t.len())
    }
}
