//! Door monitoring and alarm lifecycle: owns which alarms are active and turns
//! door-contact samples, device link results and device-reported fault/tamper
//! points into `Raised`/`Cleared` events.
//!
//! Sans-IO: callers pass monotonic time ([`MonoMs`]) for durations and wall
//! time ([`EpochMs`]) only to stamp events.
//!
//! * [`AlarmBook`] holds at most one active alarm per [`AlarmKey`]; raising an
//!   active key again yields nothing, clearing an inactive key yields nothing.
//!   So every stream of events it produces alternates Raised/Cleared per key.
//! * [`DoorMonitor`] (one per door) raises `ForcedOpen` for an opening without
//!   a recent granted open, `HeldOpen` once the door has been open for
//!   `held_open_ms`, and clears both on a closed sample. The first sample after
//!   start or after the device was offline only establishes state.
//! * [`DeviceHealth`] (one per Modbus slave) raises `DeviceOffline` after N
//!   consecutive link failures, spaces out probes of an offline slave so it
//!   cannot stall the bus, and mirrors the device's own fault/tamper points.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::access::DoorMode;
use crate::clock::{EpochMs, MonoMs};

/// Source name for alarms about the box itself (e.g. `ClockJump`).
pub const BOX_SOURCE: &str = "box";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AlarmKind {
    HeldOpen,
    ForcedOpen,
    DeviceOffline,
    DeviceFault,
    Tamper,
    ClockJump,
    /// The unacknowledged records reached the warning line of the log's budget.
    OutboxNearlyFull,
    /// The unacknowledged records reached the log's budget (they are kept all the same).
    OutboxFull,
}

impl AlarmKind {
    /// Stable snake_case code for logs and APIs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::HeldOpen => "held_open",
            Self::ForcedOpen => "forced_open",
            Self::DeviceOffline => "device_offline",
            Self::DeviceFault => "device_fault",
            Self::Tamper => "tamper",
            Self::ClockJump => "clock_jump",
            Self::OutboxNearlyFull => "outbox_nearly_full",
            Self::OutboxFull => "outbox_full",
        }
    }

    /// The severity this kind is raised with.
    pub fn severity(&self) -> Severity {
        match self {
            Self::ForcedOpen | Self::Tamper | Self::OutboxFull => Severity::Critical,
            Self::HeldOpen | Self::DeviceOffline | Self::DeviceFault => Severity::Major,
            Self::ClockJump | Self::OutboxNearlyFull => Severity::Warning,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Severity {
    Critical,
    Major,
    Minor,
    Warning,
}

impl Severity {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Critical => "critical",
            Self::Major => "major",
            Self::Minor => "minor",
            Self::Warning => "warning",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AlarmKey {
    /// Door id, device id or [`BOX_SOURCE`].
    pub source: String,
    pub kind: AlarmKind,
}

impl AlarmKey {
    pub fn new(source: impl Into<String>, kind: AlarmKind) -> Self {
        Self {
            source: source.into(),
            kind,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AlarmEvent {
    Raised {
        key: AlarmKey,
        severity: Severity,
        at: EpochMs,
        detail: String,
    },
    Cleared {
        key: AlarmKey,
        at: EpochMs,
    },
}

impl AlarmEvent {
    pub fn key(&self) -> &AlarmKey {
        match self {
            Self::Raised { key, .. } | Self::Cleared { key, .. } => key,
        }
    }

    pub fn at(&self) -> EpochMs {
        match self {
            Self::Raised { at, .. } | Self::Cleared { at, .. } => *at,
        }
    }

    pub fn is_raised(&self) -> bool {
        matches!(self, Self::Raised { .. })
    }
}

/// One active alarm, as kept by [`AlarmBook`] and persisted by the store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActiveAlarm {
    pub key: AlarmKey,
    pub severity: Severity,
    pub since: EpochMs,
    pub detail: String,
}

/// The set of active alarms, at most one per key. Serialises as a list so it
/// fits formats whose map keys must be strings (JSON).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "Vec<ActiveAlarm>", into = "Vec<ActiveAlarm>")]
pub struct AlarmBook {
    active: HashMap<AlarmKey, ActiveAlarm>,
}

impl From<Vec<ActiveAlarm>> for AlarmBook {
    fn from(list: Vec<ActiveAlarm>) -> Self {
        let active = list.into_iter().map(|a| (a.key.clone(), a)).collect();
        Self { active }
    }
}

impl From<AlarmBook> for Vec<ActiveAlarm> {
    fn from(book: AlarmBook) -> Self {
        book.active.into_values().collect()
    }
}

impl AlarmBook {
    pub fn new() -> Self {
        Self::default()
    }

    /// Raises `key` unless it is already active (then: `None`).
    pub fn raise(
        &mut self,
        key: AlarmKey,
        severity: Severity,
        at: EpochMs,
        detail: impl Into<String>,
    ) -> Option<AlarmEvent> {
        if self.active.contains_key(&key) {
            return None;
        }
        let detail = detail.into();
        self.active.insert(
            key.clone(),
            ActiveAlarm {
                key: key.clone(),
                severity,
                since: at,
                detail: detail.clone(),
            },
        );
        Some(AlarmEvent::Raised {
            key,
            severity,
            at,
            detail,
        })
    }

    /// Clears `key` if it is active (otherwise: `None`).
    pub fn clear(&mut self, key: &AlarmKey, at: EpochMs) -> Option<AlarmEvent> {
        let (key, _) = self.active.remove_entry(key)?;
        Some(AlarmEvent::Cleared { key, at })
    }

    /// Mirrors an event produced elsewhere (e.g. a [`DoorMonitor`]) into this
    /// book; returns whether it changed anything.
    pub fn apply(&mut self, event: &AlarmEvent) -> bool {
        match event {
            AlarmEvent::Raised {
                key,
                severity,
                at,
                detail,
            } => self
                .raise(key.clone(), *severity, *at, detail.as_str())
                .is_some(),
            AlarmEvent::Cleared { key, at } => self.clear(key, *at).is_some(),
        }
    }

    pub fn active(&self) -> impl Iterator<Item = &ActiveAlarm> {
        self.active.values()
    }

    pub fn get(&self, key: &AlarmKey) -> Option<&ActiveAlarm> {
        self.active.get(key)
    }

    pub fn is_active(&self, key: &AlarmKey) -> bool {
        self.active.contains_key(key)
    }

    pub fn len(&self) -> usize {
        self.active.len()
    }

    pub fn is_empty(&self) -> bool {
        self.active.is_empty()
    }

    /// Re-installs an alarm persisted before a restart, without an event.
    fn adopt(&mut self, alarm: &ActiveAlarm) {
        self.active.insert(alarm.key.clone(), alarm.clone());
    }
}

/// Modes in which an open door is expected.
fn open_expected(mode: DoorMode) -> bool {
    matches!(mode, DoorMode::HeldOpen | DoorMode::EmergencyRelease)
}

/// Watches one door contact; see the module doc.
#[derive(Clone, Debug)]
pub struct DoorMonitor {
    door_id: String,
    held_open_ms: u64,
    grant_grace_ms: u64,
    /// `None` until the first sample (after start or after going offline).
    contact: Option<bool>,
    /// Start of the held-open timer while open.
    open_since: Option<MonoMs>,
    granted_at: Option<MonoMs>,
    mode: DoorMode,
    /// `door_mode` has no clock: its effects are applied at the next sample.
    mode_pending: bool,
    /// The last applied mode expected an open door (timer suspended).
    suspended: bool,
    book: AlarmBook,
}

impl DoorMonitor {
    pub fn new(door_id: String, held_open_ms: u64, grant_grace_ms: u64) -> Self {
        Self {
            door_id,
            held_open_ms,
            grant_grace_ms,
            contact: None,
            open_since: None,
            granted_at: None,
            mode: DoorMode::Normal,
            mode_pending: false,
            suspended: false,
            book: AlarmBook::new(),
        }
    }

    pub fn door_id(&self) -> &str {
        &self.door_id
    }

    /// Last known contact state (`Some(true)` = open), `None` if unknown.
    pub fn is_open(&self) -> Option<bool> {
        self.contact
    }

    pub fn mode(&self) -> DoorMode {
        self.mode
    }

    /// This door's active alarms.
    pub fn active(&self) -> impl Iterator<Item = &ActiveAlarm> {
        self.book.active()
    }

    pub fn is_active(&self, kind: AlarmKind) -> bool {
        self.book.is_active(&self.key(kind))
    }

    /// The daemon actuated an open: an opening within `grant_grace_ms` of
    /// `now` (inclusive) is not "forced".
    pub fn granted_open(&mut self, now: MonoMs) {
        self.granted_at = Some(now);
    }

    /// Records the door's mode. Clearing of alarms (when an open door becomes
    /// expected) and restarting the held-open timer (when it stops being
    /// expected) happen at the next [`contact`](Self::contact) or
    /// [`tick`](Self::tick), because events need a timestamp.
    pub fn door_mode(&mut self, mode: DoorMode) {
        self.mode = mode;
        self.mode_pending = true;
    }

    /// Adopts a `HeldOpen`/`ForcedOpen` alarm for this door persisted before a
    /// restart, so the next closed sample clears it. Returns false (ignored)
    /// for alarms of other doors or kinds.
    pub fn restore(&mut self, alarm: &ActiveAlarm) -> bool {
        let ours = alarm.key.source == self.door_id
            && matches!(alarm.key.kind, AlarmKind::HeldOpen | AlarmKind::ForcedOpen);
        if ours {
            self.book.adopt(alarm);
        }
        ours
    }

    /// One poll sample of the door contact.
    pub fn contact(&mut self, open: bool, now: MonoMs, at: EpochMs) -> Vec<AlarmEvent> {
        let mut out = Vec::new();
        self.apply_mode(now, at, &mut out);
        match (self.contact, open) {
            (_, false) => {
                // A real closed sample ends both alarms, also ones kept
                // across an offline spell or a restart.
                self.open_since = None;
                self.clear(AlarmKind::HeldOpen, at, &mut out);
                self.clear(AlarmKind::ForcedOpen, at, &mut out);
            }
            // First sample: we don't know how it got open, so not "forced";
            // the held-open timer starts now.
            (None, true) => self.open_since = Some(now),
            (Some(false), true) => {
                self.open_since = Some(now);
                if !open_expected(self.mode) && !self.grant_covers(now) {
                    let detail = "opened without a granted open";
                    self.raise(AlarmKind::ForcedOpen, at, detail, &mut out);
                }
            }
            (Some(true), true) => {}
        }
        self.contact = Some(open);
        self.check_held(now, at, &mut out);
        out
    }

    /// Evaluates held-open (and pending mode changes) without a new sample.
    pub fn tick(&mut self, now: MonoMs, at: EpochMs) -> Vec<AlarmEvent> {
        let mut out = Vec::new();
        self.apply_mode(now, at, &mut out);
        self.check_held(now, at, &mut out);
        out
    }

    /// The contact device went offline: forget the contact state, keep the
    /// active alarms (a later closed sample clears them).
    pub fn contact_unknown(&mut self) {
        self.contact = None;
        self.open_since = None;
    }

    fn key(&self, kind: AlarmKind) -> AlarmKey {
        AlarmKey::new(self.door_id.as_str(), kind)
    }

    fn grant_covers(&self, now: MonoMs) -> bool {
        self.granted_at
            .is_some_and(|g| now >= g && now - g <= self.grant_grace_ms)
    }

    fn apply_mode(&mut self, now: MonoMs, at: EpochMs, out: &mut Vec<AlarmEvent>) {
        if !std::mem::take(&mut self.mode_pending) {
            return;
        }
        if open_expected(self.mode) {
            self.suspended = true;
            self.clear(AlarmKind::HeldOpen, at, out);
            self.clear(AlarmKind::ForcedOpen, at, out);
        } else if std::mem::take(&mut self.suspended) && self.contact == Some(true) {
            // The schedule just ended with the door open: give it the full
            // held-open time from now rather than alarming at once.
            self.open_since = Some(now);
        }
    }

    fn check_held(&mut self, now: MonoMs, at: EpochMs, out: &mut Vec<AlarmEvent>) {
        if open_expected(self.mode) || self.contact != Some(true) {
            return;
        }
        let Some(since) = self.open_since else {
            return;
        };
        let open_for = now.saturating_sub(since);
        if open_for >= self.held_open_ms && !self.is_active(AlarmKind::HeldOpen) {
            let detail = format!("open for {open_for} ms (limit {} ms)", self.held_open_ms);
            self.raise(AlarmKind::HeldOpen, at, detail, out);
        }
    }

    fn raise(
        &mut self,
        kind: AlarmKind,
        at: EpochMs,
        detail: impl Into<String>,
        out: &mut Vec<AlarmEvent>,
    ) {
        let key = self.key(kind);
        out.extend(self.book.raise(key, kind.severity(), at, detail));
    }

    fn clear(&mut self, kind: AlarmKind, at: EpochMs, out: &mut Vec<AlarmEvent>) {
        let key = self.key(kind);
        out.extend(self.book.clear(&key, at));
    }
}

/// Link and self-reported health of one Modbus slave; see the module doc.
#[derive(Clone, Debug)]
pub struct DeviceHealth {
    device_id: String,
    offline_after_failures: u32,
    probe_interval_ms: u64,
    consecutive_failures: u32,
    offline: bool,
    last_attempt: Option<MonoMs>,
    book: AlarmBook,
}

impl DeviceHealth {
    /// `offline_after_failures` of 0 is treated as 1: going offline needs at
    /// least one failure.
    pub fn new(device_id: String, offline_after_failures: u32, probe_interval_ms: u64) -> Self {
        Self {
            device_id,
            offline_after_failures: offline_after_failures.max(1),
            probe_interval_ms,
            consecutive_failures: 0,
            offline: false,
            last_attempt: None,
            book: AlarmBook::new(),
        }
    }

    pub fn device_id(&self) -> &str {
        &self.device_id
    }

    pub fn is_offline(&self) -> bool {
        self.offline
    }

    pub fn consecutive_failures(&self) -> u32 {
        self.consecutive_failures
    }

    pub fn active(&self) -> impl Iterator<Item = &ActiveAlarm> {
        self.book.active()
    }

    pub fn is_active(&self, kind: AlarmKind) -> bool {
        self.book.is_active(&self.key(kind))
    }

    /// Online: always. Offline: once per `probe_interval_ms` (measured from
    /// the last recorded attempt) so a dead slave doesn't stall the bus.
    pub fn should_attempt(&self, now: MonoMs) -> bool {
        !self.offline
            || self
                .last_attempt
                .is_none_or(|last| now.saturating_sub(last) >= self.probe_interval_ms)
    }

    /// A transaction with the slave succeeded.
    pub fn success(&mut self, now: MonoMs, at: EpochMs) -> Option<AlarmEvent> {
        self.last_attempt = Some(now);
        self.consecutive_failures = 0;
        if !std::mem::take(&mut self.offline) {
            return None;
        }
        let key = self.key(AlarmKind::DeviceOffline);
        self.book.clear(&key, at)
    }

    /// A transaction failed (timeout, CRC, exception...).
    pub fn failure(&mut self, now: MonoMs, at: EpochMs, reason: &str) -> Option<AlarmEvent> {
        self.last_attempt = Some(now);
        self.consecutive_failures = self.consecutive_failures.saturating_add(1);
        if self.offline || self.consecutive_failures < self.offline_after_failures {
            return None;
        }
        self.offline = true;
        let detail = format!(
            "{} consecutive failures, last: {reason}",
            self.consecutive_failures
        );
        let key = self.key(AlarmKind::DeviceOffline);
        self.book
            .raise(key, AlarmKind::DeviceOffline.severity(), at, detail)
    }

    /// The device's own fault point (a device that reports a fault, unlike
    /// `DeviceOffline`, a link that failed).
    pub fn fault(&mut self, active: bool, at: EpochMs) -> Option<AlarmEvent> {
        self.point(AlarmKind::DeviceFault, active, at, "device reports a fault")
    }

    /// The device's tamper point.
    pub fn tamper(&mut self, active: bool, at: EpochMs) -> Option<AlarmEvent> {
        self.point(AlarmKind::Tamper, active, at, "device reports tamper")
    }

    /// Adopts a `DeviceOffline`/`DeviceFault`/`Tamper` alarm of this device
    /// persisted before a restart, so the next good reading clears it. An
    /// adopted `DeviceOffline` puts the device offline. Returns false
    /// (ignored) for alarms of other sources or kinds.
    pub fn restore(&mut self, alarm: &ActiveAlarm) -> bool {
        if alarm.key.source != self.device_id {
            return false;
        }
        match alarm.key.kind {
            AlarmKind::DeviceOffline => {
                self.offline = true;
                self.consecutive_failures = self.offline_after_failures;
            }
            AlarmKind::DeviceFault | AlarmKind::Tamper => {}
            _ => return false,
        }
        self.book.adopt(alarm);
        true
    }

    fn key(&self, kind: AlarmKind) -> AlarmKey {
        AlarmKey::new(self.device_id.as_str(), kind)
    }

    fn point(
        &mut self,
        kind: AlarmKind,
        active: bool,
        at: EpochMs,
        detail: &str,
    ) -> Option<AlarmEvent> {
        let key = self.key(kind);
        if active {
            if self.book.is_active(&key) {
                return None;
            }
            self.book.raise(key, kind.severity(), at, detail)
        } else {
            self.book.clear(&key, at)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    const HELD: u64 = 30_000;
    const GRACE: u64 = 8_000;
    const AT: EpochMs = 1_700_000_000_000;

    fn door() -> DoorMonitor {
        DoorMonitor::new("door-1".into(), HELD, GRACE)
    }

    /// Door monitor that has seen its first (closed) sample at mono 1_000.
    fn closed_door() -> DoorMonitor {
        let mut d = door();
        assert!(d.contact(false, 1_000, AT).is_empty());
        d
    }

    fn key(source: &str, kind: AlarmKind) -> AlarmKey {
        AlarmKey::new(source, kind)
    }

    fn cleared(source: &str, kind: AlarmKind, at: EpochMs) -> AlarmEvent {
        AlarmEvent::Cleared {
            key: key(source, kind),
            at,
        }
    }

    fn kinds(events: &[AlarmEvent]) -> Vec<(bool, AlarmKind)> {
        events
            .iter()
            .map(|e| (e.is_raised(), e.key().kind))
            .collect()
    }

    #[test]
    fn codes_and_severities() {
        let table = [
            (AlarmKind::HeldOpen, "held_open", Severity::Major),
            (AlarmKind::ForcedOpen, "forced_open", Severity::Critical),
            (AlarmKind::DeviceOffline, "device_offline", Severity::Major),
            (AlarmKind::DeviceFault, "device_fault", Severity::Major),
            (AlarmKind::Tamper, "tamper", Severity::Critical),
            (AlarmKind::ClockJump, "clock_jump", Severity::Warning),
            (
                AlarmKind::OutboxNearlyFull,
                "outbox_nearly_full",
                Severity::Warning,
            ),
            (AlarmKind::OutboxFull, "outbox_full", Severity::Critical),
        ];
        for (k, code, sev) in table {
            assert_eq!(k.code(), code);
            assert_eq!(k.severity(), sev);
        }
        assert_eq!(Severity::Critical.code(), "critical");
        assert_eq!(Severity::Major.code(), "major");
        assert_eq!(Severity::Minor.code(), "minor");
        assert_eq!(Severity::Warning.code(), "warning");
    }

    #[test]
    fn book_one_alarm_per_key() {
        let mut b = AlarmBook::new();
        let k = key(BOX_SOURCE, AlarmKind::ClockJump);
        assert_eq!(
            b.raise(k.clone(), Severity::Warning, 5, "jumped"),
            Some(AlarmEvent::Raised {
                key: k.clone(),
                severity: Severity::Warning,
                at: 5,
                detail: "jumped".into()
            })
        );
        assert!(b.is_active(&k));
        assert_eq!(b.raise(k.clone(), Severity::Critical, 6, "again"), None);
        assert_eq!(
            b.get(&k).map(|a| (a.since, a.severity)),
            Some((5, Severity::Warning))
        );
        assert_eq!(b.len(), 1);
        assert_eq!(b.active().count(), 1);
        assert_eq!(
            b.clear(&k, 9),
            Some(cleared(BOX_SOURCE, AlarmKind::ClockJump, 9))
        );
        assert_eq!(b.clear(&k, 10), None);
        assert!(b.is_empty());
        // Same kind, different source: independent.
        assert!(b
            .raise(key("a", AlarmKind::Tamper), Severity::Critical, 1, "")
            .is_some());
        assert!(b
            .raise(key("b", AlarmKind::Tamper), Severity::Critical, 1, "")
            .is_some());
        assert_eq!(b.len(), 2);
    }

    #[test]
    fn book_apply_mirrors_and_serde_roundtrips() {
        let mut d = closed_door();
        let mut global = AlarmBook::new();
        for e in d.contact(true, 2_000, AT) {
            assert!(global.apply(&e));
            assert!(
                !global.apply(&e),
                "second apply of the same Raised is a no-op"
            );
        }
        assert!(global.is_active(&key("door-1", AlarmKind::ForcedOpen)));
        let json = serde_json::to_string(&global).unwrap_or_default();
        assert!(json.starts_with('['), "serialises as a list: {json}");
        let back: Option<AlarmBook> = serde_json::from_str(&json).ok();
        assert_eq!(back.as_ref(), Some(&global));
        for e in d.contact(false, 3_000, AT + 1) {
            assert!(global.apply(&e));
        }
        assert!(global.is_empty());
    }

    #[test]
    fn forced_open_without_grant() {
        let mut d = closed_door();
        let ev = d.contact(true, 2_000, AT + 1);
        assert_eq!(
            ev,
            vec![AlarmEvent::Raised {
                key: key("door-1", AlarmKind::ForcedOpen),
                severity: Severity::Critical,
                at: AT + 1,
                detail: "opened without a granted open".into()
            }]
        );
        assert!(d.is_active(AlarmKind::ForcedOpen));
        // Staying open doesn't raise again.
        assert!(d.contact(true, 3_000, AT + 2).is_empty());
        assert_eq!(
            d.contact(false, 4_000, AT + 3),
            vec![cleared("door-1", AlarmKind::ForcedOpen, AT + 3)]
        );
        assert!(!d.is_active(AlarmKind::ForcedOpen));
    }

    #[test]
    fn granted_open_within_grace_edges() {
        for (delay, forced) in [
            (0, false),
            (GRACE - 1, false),
            (GRACE, false),
            (GRACE + 1, true),
        ] {
            let mut d = closed_door();
            d.granted_open(5_000);
            let ev = d.contact(true, 5_000 + delay, AT);
            assert_eq!(
                kinds(&ev),
                if forced {
                    vec![(true, AlarmKind::ForcedOpen)]
                } else {
                    vec![]
                },
                "delay {delay}"
            );
        }
    }

    #[test]
    fn grant_in_the_future_does_not_cover_an_earlier_opening() {
        let mut d = closed_door();
        d.granted_open(10_000);
        assert_eq!(
            kinds(&d.contact(true, 9_999, AT)),
            vec![(true, AlarmKind::ForcedOpen)]
        );
    }

    #[test]
    fn reopening_within_grace_is_covered_after_grace_forced() {
        let mut d = closed_door();
        d.granted_open(2_000);
        assert!(d.contact(true, 2_500, AT).is_empty());
        assert!(d.contact(false, 3_000, AT).is_empty());
        assert!(d.contact(true, 2_000 + GRACE, AT).is_empty());
        assert!(d.contact(false, 2_000 + GRACE + 100, AT).is_empty());
        assert_eq!(
            kinds(&d.contact(true, 2_000 + GRACE + 200, AT)),
            vec![(true, AlarmKind::ForcedOpen)]
        );
    }

    #[test]
    fn held_open_raised_exactly_once_at_threshold() {
        let mut d = closed_door();
        d.granted_open(2_000);
        assert!(d.contact(true, 2_000, AT).is_empty());
        assert!(
            d.tick(2_000 + HELD - 1, AT).is_empty(),
            "not before the threshold"
        );
        assert!(d.contact(true, 2_000 + HELD - 1, AT).is_empty());
        let ev = d.tick(2_000 + HELD, AT + 7);
        assert_eq!(
            ev,
            vec![AlarmEvent::Raised {
                key: key("door-1", AlarmKind::HeldOpen),
                severity: Severity::Major,
                at: AT + 7,
                detail: format!("open for {HELD} ms (limit {HELD} ms)"),
            }]
        );
        assert!(d.tick(2_000 + HELD + 1, AT).is_empty());
        assert!(d.contact(true, 2_000 + 10 * HELD, AT).is_empty());
        assert_eq!(
            d.contact(false, 2_000 + 10 * HELD + 1, AT + 9),
            vec![cleared("door-1", AlarmKind::HeldOpen, AT + 9)]
        );
        assert!(d.tick(2_000 + 20 * HELD, AT).is_empty());
    }

    #[test]
    fn held_open_also_raised_by_a_sample() {
        let mut d = closed_door();
        d.granted_open(2_000);
        assert!(d.contact(true, 2_000, AT).is_empty());
        assert_eq!(
            kinds(&d.contact(true, 2_000 + HELD, AT)),
            vec![(true, AlarmKind::HeldOpen)]
        );
    }

    #[test]
    fn forced_and_held_both_cleared_on_close_in_order() {
        let mut d = closed_door();
        assert_eq!(
            kinds(&d.contact(true, 2_000, AT)),
            vec![(true, AlarmKind::ForcedOpen)]
        );
        assert_eq!(
            kinds(&d.tick(2_000 + HELD, AT)),
            vec![(true, AlarmKind::HeldOpen)]
        );
        assert_eq!(
            d.contact(false, 2_000 + HELD + 5, AT + 5),
            vec![
                cleared("door-1", AlarmKind::HeldOpen, AT + 5),
                cleared("door-1", AlarmKind::ForcedOpen, AT + 5)
            ]
        );
    }

    #[test]
    fn held_open_timer_restarts_on_each_opening() {
        let mut d = closed_door();
        d.granted_open(2_000);
        assert!(d.contact(true, 2_000, AT).is_empty());
        assert!(d.contact(false, 2_000 + HELD - 1, AT).is_empty());
        d.granted_open(2_000 + HELD);
        assert!(d.contact(true, 2_000 + HELD, AT).is_empty());
        assert!(d.tick(2_000 + 2 * HELD - 1, AT).is_empty());
        assert_eq!(
            kinds(&d.tick(2_000 + 2 * HELD, AT)),
            vec![(true, AlarmKind::HeldOpen)]
        );
    }

    #[test]
    fn tick_without_any_sample_does_nothing() {
        let mut d = door();
        assert!(d.tick(u64::MAX, AT).is_empty());
        assert_eq!(d.is_open(), None);
    }

    #[test]
    fn restart_with_door_already_open() {
        let mut d = door();
        assert!(
            d.contact(true, 1_000, AT).is_empty(),
            "not forced on startup"
        );
        assert_eq!(d.is_open(), Some(true));
        assert!(d.tick(1_000 + HELD - 1, AT).is_empty());
        assert_eq!(
            kinds(&d.tick(1_000 + HELD, AT)),
            vec![(true, AlarmKind::HeldOpen)]
        );
        assert_eq!(
            kinds(&d.contact(false, 1_000 + HELD + 1, AT)),
            vec![(false, AlarmKind::HeldOpen)]
        );
    }

    #[test]
    fn first_sample_closed_establishes_state_only() {
        let mut d = door();
        assert!(d.contact(false, 1_000, AT).is_empty());
        assert_eq!(d.is_open(), Some(false));
    }

    #[test]
    fn offline_keeps_alarms_until_closed_sample() {
        let mut d = closed_door();
        assert_eq!(
            kinds(&d.contact(true, 2_000, AT)),
            vec![(true, AlarmKind::ForcedOpen)]
        );
        assert_eq!(
            kinds(&d.tick(2_000 + HELD, AT)),
            vec![(true, AlarmKind::HeldOpen)]
        );
        d.contact_unknown();
        assert_eq!(d.is_open(), None);
        assert!(d.is_active(AlarmKind::ForcedOpen));
        assert!(d.is_active(AlarmKind::HeldOpen));
        assert!(d.tick(2_000 + 5 * HELD, AT).is_empty());
        // Back online, still open: only establishes state, nothing new.
        assert!(d.contact(true, 2_000 + 6 * HELD, AT).is_empty());
        assert!(
            d.tick(2_000 + 8 * HELD, AT).is_empty(),
            "HeldOpen already active"
        );
        d.contact_unknown();
        // Back online closed: both cleared.
        assert_eq!(
            kinds(&d.contact(false, 2_000 + 9 * HELD, AT)),
            vec![(false, AlarmKind::HeldOpen), (false, AlarmKind::ForcedOpen)]
        );
        assert_eq!(d.active().count(), 0);
    }

    #[test]
    fn offline_then_open_is_not_forced_but_times_out() {
        let mut d = closed_door();
        d.contact_unknown();
        assert!(d.contact(true, 5_000, AT).is_empty());
        assert!(d.tick(5_000 + HELD - 1, AT).is_empty());
        assert_eq!(
            kinds(&d.tick(5_000 + HELD, AT)),
            vec![(true, AlarmKind::HeldOpen)]
        );
    }

    #[test]
    fn modes_suppress_and_clear() {
        for mode in [DoorMode::HeldOpen, DoorMode::EmergencyRelease] {
            let mut d = closed_door();
            assert_eq!(
                kinds(&d.contact(true, 2_000, AT)),
                vec![(true, AlarmKind::ForcedOpen)]
            );
            assert_eq!(
                kinds(&d.tick(2_000 + HELD, AT)),
                vec![(true, AlarmKind::HeldOpen)]
            );
            d.door_mode(mode);
            assert_eq!(d.mode(), mode);
            assert_eq!(
                d.tick(2_000 + HELD + 1, AT + 1),
                vec![
                    cleared("door-1", AlarmKind::HeldOpen, AT + 1),
                    cleared("door-1", AlarmKind::ForcedOpen, AT + 1)
                ],
                "{mode:?}"
            );
            assert!(d.tick(2_000 + 100 * HELD, AT).is_empty());
            assert!(d.contact(false, 2_000 + 100 * HELD, AT).is_empty());
            assert!(
                d.contact(true, 2_000 + 101 * HELD, AT).is_empty(),
                "no forced in {mode:?}"
            );
            assert!(
                d.tick(2_000 + 200 * HELD, AT).is_empty(),
                "no held in {mode:?}"
            );
        }
    }

    #[test]
    fn mode_change_applied_by_contact_sample_too() {
        let mut d = closed_door();
        d.door_mode(DoorMode::EmergencyRelease);
        assert!(d.contact(true, 2_000, AT).is_empty());
    }

    #[test]
    fn back_to_normal_with_door_open_restarts_held_timer() {
        let mut d = closed_door();
        d.door_mode(DoorMode::HeldOpen);
        assert!(d.contact(true, 2_000, AT).is_empty());
        assert!(d.tick(2_000 + 10 * HELD, AT).is_empty());
        d.door_mode(DoorMode::Normal);
        let back = 2_000 + 10 * HELD + 500;
        assert!(
            d.tick(back, AT).is_empty(),
            "not at once when the schedule ends"
        );
        assert!(d.tick(back + HELD - 1, AT).is_empty());
        assert_eq!(
            kinds(&d.tick(back + HELD, AT)),
            vec![(true, AlarmKind::HeldOpen)]
        );
    }

    #[test]
    fn normal_to_locked_does_not_restart_timer() {
        let mut d = closed_door();
        d.granted_open(2_000);
        assert!(d.contact(true, 2_000, AT).is_empty());
        d.door_mode(DoorMode::Locked);
        assert!(d.tick(2_000 + HELD - 1, AT).is_empty());
        assert_eq!(
            kinds(&d.tick(2_000 + HELD, AT)),
            vec![(true, AlarmKind::HeldOpen)]
        );
    }

    #[test]
    fn locked_mode_still_detects_forced_open() {
        let mut d = closed_door();
        d.door_mode(DoorMode::Locked);
        assert_eq!(
            kinds(&d.contact(true, 2_000, AT)),
            vec![(true, AlarmKind::ForcedOpen)]
        );
    }

    #[test]
    fn restore_adopts_only_own_door_alarms() {
        let mut d = door();
        let held = ActiveAlarm {
            key: key("door-1", AlarmKind::HeldOpen),
            severity: Severity::Major,
            since: AT - 5,
            detail: "before restart".into(),
        };
        assert!(d.restore(&held));
        assert!(!d.restore(&ActiveAlarm {
            key: key("door-2", AlarmKind::HeldOpen),
            ..held.clone()
        }));
        assert!(!d.restore(&ActiveAlarm {
            key: key("door-1", AlarmKind::Tamper),
            ..held.clone()
        }));
        assert_eq!(d.active().count(), 1);
        assert!(d.contact(true, 1_000, AT).is_empty());
        assert!(d.tick(1_000 + HELD, AT).is_empty(), "already active");
        assert_eq!(
            d.contact(false, 1_000 + HELD + 1, AT),
            vec![cleared("door-1", AlarmKind::HeldOpen, AT)]
        );
    }

    #[test]
    fn monotonic_going_back_does_not_panic() {
        let mut d = closed_door();
        d.granted_open(u64::MAX);
        assert_eq!(
            kinds(&d.contact(true, 0, AT)),
            vec![(true, AlarmKind::ForcedOpen)]
        );
        assert!(d.tick(0, AT).is_empty());
        let mut d = DoorMonitor::new("x".into(), u64::MAX, u64::MAX);
        d.granted_open(0);
        assert!(d.contact(false, 0, AT).is_empty());
        assert!(d.contact(true, u64::MAX, AT).is_empty());
        assert!(d.tick(u64::MAX, AT).is_empty());
    }

    fn dev() -> DeviceHealth {
        DeviceHealth::new("slave-3".into(), 3, 10_000)
    }

    #[test]
    fn device_goes_offline_after_n_consecutive_failures() {
        let mut h = dev();
        assert_eq!(h.failure(1, AT, "timeout"), None);
        assert_eq!(h.failure(2, AT, "timeout"), None);
        assert!(!h.is_offline());
        assert_eq!(
            h.failure(3, AT + 3, "crc"),
            Some(AlarmEvent::Raised {
                key: key("slave-3", AlarmKind::DeviceOffline),
                severity: Severity::Major,
                at: AT + 3,
                detail: "3 consecutive failures, last: crc".into()
            })
        );
        assert!(h.is_offline());
        assert_eq!(h.consecutive_failures(), 3);
        assert_eq!(h.failure(20_000, AT, "timeout"), None, "raised once");
        assert_eq!(
            h.success(30_000, AT + 9),
            Some(cleared("slave-3", AlarmKind::DeviceOffline, AT + 9))
        );
        assert!(!h.is_offline());
        assert_eq!(h.success(30_001, AT), None);
        assert!(!h.is_active(AlarmKind::DeviceOffline));
    }

    #[test]
    fn success_resets_the_failure_count() {
        let mut h = dev();
        assert_eq!(h.failure(1, AT, "x"), None);
        assert_eq!(h.failure(2, AT, "x"), None);
        assert_eq!(h.success(3, AT), None);
        assert_eq!(h.consecutive_failures(), 0);
        assert_eq!(h.failure(4, AT, "x"), None);
        assert_eq!(h.failure(5, AT, "x"), None);
        assert!(!h.is_offline());
        assert!(h.failure(6, AT, "x").is_some());
    }

    #[test]
    fn zero_threshold_means_one_failure() {
        let mut h = DeviceHealth::new("d".into(), 0, 1_000);
        assert!(!h.is_offline());
        assert!(h.failure(1, AT, "x").is_some());
        assert!(h.is_offline());
    }

    #[test]
    fn probe_spacing_when_offline() {
        let mut h = dev();
        assert!(h.should_attempt(0));
        for t in 1..=3 {
            let _ = h.failure(t, AT, "timeout");
        }
        assert!(h.is_offline());
        assert!(!h.should_attempt(3));
        assert!(!h.should_attempt(3 + 10_000 - 1));
        assert!(h.should_attempt(3 + 10_000));
        assert_eq!(h.failure(3 + 10_000, AT, "timeout"), None);
        assert!(!h.should_attempt(3 + 10_000 + 9_999));
        assert!(h.should_attempt(3 + 20_000));
        assert!(h.success(3 + 20_000, AT).is_some());
        assert!(h.should_attempt(3 + 20_000), "online: always");
        assert!(h.should_attempt(0), "online: always, even with odd clocks");
    }

    #[test]
    fn online_device_always_attempts() {
        let mut h = dev();
        let _ = h.failure(5, AT, "x");
        assert!(h.should_attempt(5));
        assert!(h.should_attempt(6));
    }

    #[test]
    fn fault_and_tamper_points() {
        let mut h = dev();
        assert_eq!(
            h.fault(true, AT),
            Some(AlarmEvent::Raised {
                key: key("slave-3", AlarmKind::DeviceFault),
                severity: Severity::Major,
                at: AT,
                detail: "device reports a fault".into()
            })
        );
        assert_eq!(h.fault(true, AT + 1), None);
        assert_eq!(
            h.tamper(true, AT + 2),
            Some(AlarmEvent::Raised {
                key: key("slave-3", AlarmKind::Tamper),
                severity: Severity::Critical,
                at: AT + 2,
                detail: "device reports tamper".into()
            })
        );
        assert_eq!(h.tamper(true, AT + 3), None);
        assert!(!h.is_offline(), "a fault is not a failed link");
        assert_eq!(
            h.fault(false, AT + 4),
            Some(cleared("slave-3", AlarmKind::DeviceFault, AT + 4))
        );
        assert_eq!(h.fault(false, AT + 5), None);
        assert_eq!(
            h.tamper(false, AT + 6),
            Some(cleared("slave-3", AlarmKind::Tamper, AT + 6))
        );
        assert_eq!(h.tamper(false, AT + 7), None);
        assert_eq!(h.active().count(), 0);
        assert_eq!(h.device_id(), "slave-3");
    }

    #[test]
    fn device_restore() {
        let mut h = dev();
        let off = ActiveAlarm {
            key: key("slave-3", AlarmKind::DeviceOffline),
            severity: Severity::Major,
            since: AT - 1,
            detail: "before restart".into(),
        };
        assert!(h.restore(&off));
        assert!(h.is_offline());
        assert!(!h.restore(&ActiveAlarm {
            key: key("slave-3", AlarmKind::HeldOpen),
            ..off.clone()
        }));
        assert!(!h.restore(&ActiveAlarm {
            key: key("other", AlarmKind::Tamper),
            ..off.clone()
        }));
        assert!(h.restore(&ActiveAlarm {
            key: key("slave-3", AlarmKind::Tamper),
            ..off.clone()
        }));
        assert_eq!(h.failure(1, AT, "x"), None);
        assert_eq!(
            h.success(2, AT),
            Some(cleared("slave-3", AlarmKind::DeviceOffline, AT))
        );
        assert_eq!(
            h.tamper(false, AT),
            Some(cleared("slave-3", AlarmKind::Tamper, AT))
        );
    }

    #[derive(Clone, Debug)]
    enum DoorOp {
        Contact(bool),
        Tick,
        Grant,
        Mode(DoorMode),
        Unknown,
    }

    fn door_op() -> impl Strategy<Value = (u64, DoorOp)> {
        let op = prop_oneof![
            6 => any::<bool>().prop_map(DoorOp::Contact),
            3 => Just(DoorOp::Tick),
            2 => Just(DoorOp::Grant),
            1 => prop_oneof![
                Just(DoorMode::Normal),
                Just(DoorMode::HeldOpen),
                Just(DoorMode::Locked),
                Just(DoorMode::EmergencyRelease),
            ].prop_map(DoorOp::Mode),
            1 => Just(DoorOp::Unknown),
        ];
        (0u64..20_000, op)
    }

    /// Checks Raised/Cleared alternation per key against a model set.
    fn check_stream(
        model: &mut HashSet<AlarmKey>,
        events: &[AlarmEvent],
    ) -> Result<(), TestCaseError> {
        for e in events {
            let k = e.key().clone();
            if e.is_raised() {
                prop_assert!(model.insert(k), "two Raised without Cleared: {:?}", e);
            } else {
                prop_assert!(model.remove(&k), "Cleared without Raised: {:?}", e);
            }
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn door_events_alternate_per_key(
            held in 0u64..40_000, grace in 0u64..10_000,
            ops in proptest::collection::vec(door_op(), 0..80),
        ) {
            let mut d = DoorMonitor::new("d".into(), held, grace);
            let mut model = HashSet::new();
            let mut now = 0u64;
            for (i, (dt, op)) in ops.into_iter().enumerate() {
                now += dt;
                let at = AT + i as i64;
                let ev = match op {
                    DoorOp::Contact(open) => d.contact(open, now, at),
                    DoorOp::Tick => d.tick(now, at),
                    DoorOp::Grant => { d.granted_open(now); vec![] }
                    DoorOp::Mode(m) => { d.door_mode(m); vec![] }
                    DoorOp::Unknown => { d.contact_unknown(); vec![] }
                };
                prop_assert!(ev.iter().all(|e| e.at() == at && e.key().source == "d"));
                check_stream(&mut model, &ev)?;
                // A closed sample always leaves the door with no active alarm.
                if matches!(op, DoorOp::Contact(false)) {
                    prop_assert!(model.is_empty());
                }
            }
            let active: HashSet<AlarmKey> = d.active().map(|a| a.key.clone()).collect();
            prop_assert_eq!(active, model);
        }

        #[test]
        fn device_events_alternate_per_key(
            n in 0u32..5, interval in 0u64..20_000,
            ops in proptest::collection::vec((0u64..5_000, 0u8..6, any::<bool>()), 0..80),
        ) {
            let mut h = DeviceHealth::new("s".into(), n, interval);
            let mut model = HashSet::new();
            let mut now = 0u64;
            let mut run = 0u32;
            for (i, (dt, op, flag)) in ops.into_iter().enumerate() {
                now += dt;
                let at = AT + i as i64;
                let ev = match op {
                    0 | 1 => { run = 0; h.success(now, at) }
                    2 | 3 => { run += 1; h.failure(now, at, "x") }
                    4 => h.fault(flag, at),
                    _ => h.tamper(flag, at),
                };
                check_stream(&mut model, ev.as_slice())?;
                prop_assert_eq!(h.is_offline(), run >= n.max(1));
                prop_assert_eq!(h.is_offline(), h.is_active(AlarmKind::DeviceOffline));
                if !h.is_offline() {
                    prop_assert!(h.should_attempt(now));
                }
            }
            let active: HashSet<AlarmKey> = h.active().map(|a| a.key.clone()).collect();
            prop_assert_eq!(active, model);
        }
    }
}
