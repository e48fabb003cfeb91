//! Sensor alarms (smoke detectors, elevator monitors): rules that turn decoded readings and the
//! passing of time into alarms, and the alarm lifecycle, in the style of ThingsBoard:
//! active/cleared × unacknowledged/acknowledged, one alarm per (device, kind) updated rather
//! than duplicated, raise/ack/clear times, and escalation of an alarm nobody acknowledged.
//!
//! Sans-IO: the owner passes readings, acknowledgements and ticks with the wall time `now` and
//! gets [`SensorEvent`]s back; [`SensorEngine::state`] / [`SensorEngine::restore`] let it persist
//! rule state across restarts. Nothing here reads a clock or touches a network.
//!
//! Rules, per device kind:
//! * smoke detector — `smoke` (immediate, critical), `low_battery` (below the threshold for a
//!   duration, minor), `tamper` and `sensor_fault` (immediate, major);
//! * elevator monitor — `trapped_passenger` (immediate, critical), `door_open_while_moving`
//!   (critical), `stopped_between_floors` (not running, not level with a floor, for a duration;
//!   major), `elevator_fault` (a non-zero fault code, major); maintenance mode suppresses the two
//!   motion rules but never `trapped_passenger`;
//! * every device — `sensor_offline` when no message arrived for `missed_heartbeats` intervals.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::alarm::Severity;
use crate::clock::EpochMs;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SensorKind {
    SmokeDetector,
    ElevatorMonitor,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SensorAlarm {
    Smoke,
    LowBattery,
    Tamper,
    SensorFault,
    SensorOffline,
    TrappedPassenger,
    DoorOpenWhileMoving,
    StoppedBetweenFloors,
    ElevatorFault,
}

impl SensorAlarm {
    pub const ALL: [SensorAlarm; 9] = [
        SensorAlarm::Smoke,
        SensorAlarm::LowBattery,
        SensorAlarm::Tamper,
        SensorAlarm::SensorFault,
        SensorAlarm::SensorOffline,
        SensorAlarm::TrappedPassenger,
        SensorAlarm::DoorOpenWhileMoving,
        SensorAlarm::StoppedBetweenFloors,
        SensorAlarm::ElevatorFault,
    ];

    pub fn code(self) -> &'static str {
        match self {
            SensorAlarm::Smoke => "smoke",
            SensorAlarm::LowBattery => "low_battery",
            SensorAlarm::Tamper => "tamper",
            SensorAlarm::SensorFault => "sensor_fault",
            SensorAlarm::SensorOffline => "sensor_offline",
            SensorAlarm::TrappedPassenger => "trapped_passenger",
            SensorAlarm::DoorOpenWhileMoving => "door_open_while_moving",
            SensorAlarm::StoppedBetweenFloors => "stopped_between_floors",
            SensorAlarm::ElevatorFault => "elevator_fault",
        }
    }

    pub fn parse(code: &str) -> Option<SensorAlarm> {
        SensorAlarm::ALL.into_iter().find(|a| a.code() == code)
    }

    pub fn severity(self) -> Severity {
        match self {
            SensorAlarm::Smoke
            | SensorAlarm::TrappedPassenger
            | SensorAlarm::DoorOpenWhileMoving => Severity::Critical,
            SensorAlarm::Tamper
            | SensorAlarm::SensorFault
            | SensorAlarm::SensorOffline
            | SensorAlarm::StoppedBetweenFloors
            | SensorAlarm::ElevatorFault => Severity::Major,
            SensorAlarm::LowBattery => Severity::Minor,
        }
    }
}

/// One step more urgent (escalation); critical stays critical.
pub fn escalate(s: Severity) -> Severity {
    match s {
        Severity::Warning => Severity::Minor,
        Severity::Minor => Severity::Major,
        Severity::Major | Severity::Critical => Severity::Critical,
    }
}

/// Thresholds and durations; defaults follow the examples.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rules {
    pub battery_low_percent: f64,
    pub battery_low_for_ms: i64,
    pub missed_heartbeats: u32,
    pub stopped_between_floors_ms: i64,
    /// An active alarm nobody acknowledged for this long is escalated once (0 = never).
    pub escalate_after_ms: i64,
}

impl Default for Rules {
    fn default() -> Rules {
        Rules {
            battery_low_percent: 20.0,
            battery_low_for_ms: 10 * 60_000,
            missed_heartbeats: 3,
            stopped_between_floors_ms: 30_000,
            escalate_after_ms: 5 * 60_000,
        }
    }
}

/// What one message said, already decoded by the device profile. `None`: not in this message.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    pub smoke: Option<bool>,
    pub smoke_density: Option<f64>,
    pub battery_percent: Option<f64>,
    pub tamper: Option<bool>,
    pub fault: Option<bool>,
    pub floor: Option<i64>,
    /// -1 down, 0 idle, 1 up
    pub direction: Option<i64>,
    pub running: Option<bool>,
    pub door_open: Option<bool>,
    /// Level with a landing (doors may open).
    pub at_floor: Option<bool>,
    pub fault_code: Option<i64>,
    pub trapped: Option<bool>,
    pub maintenance: Option<bool>,
}

/// Per-device rule state (persisted).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DeviceState {
    pub last_seen_ms: Option<EpochMs>,
    pub last: Reading,
    /// Since when the battery has been below the threshold.
    pub battery_low_since: Option<EpochMs>,
    /// Since when the car has stood still away from a landing.
    pub stopped_off_floor_since: Option<EpochMs>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActiveAlarm {
    pub severity: Severity,
    pub raised_at: EpochMs,
    pub updated_at: EpochMs,
    pub cleared_at: Option<EpochMs>,
    pub acked_at: Option<EpochMs>,
    pub acked_by: Option<String>,
    pub escalated_at: Option<EpochMs>,
    pub detail: String,
}

impl ActiveAlarm {
    pub fn is_active(&self) -> bool {
        self.cleared_at.is_none()
    }
    pub fn is_acked(&self) -> bool {
        self.acked_at.is_some()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Raised,
    /// Still active; the detail changed (e.g. a new fault code).
    Updated,
    Cleared,
    Acked {
        by: String,
    },
    Escalated,
}

impl Change {
    pub fn code(&self) -> &'static str {
        match self {
            Change::Raised => "raised",
            Change::Updated => "updated",
            Change::Cleared => "cleared",
            Change::Acked { .. } => "acked",
            Change::Escalated => "escalated",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct SensorEvent {
    pub device: String,
    pub alarm: SensorAlarm,
    pub change: Change,
    pub severity: Severity,
    pub at: EpochMs,
    pub detail: String,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AckError {
    #[error("no open `{alarm}` alarm on `{device}`")]
    NoSuchAlarm { device: String, alarm: &'static str },
    #[error("the alarm is already acknowledged")]
    AlreadyAcked,
    #[error("the alarm is already cleared")]
    AlreadyCleared,
}

/// Everything the engine remembers: persisted by its owner, restored at start.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EngineState {
    pub devices: BTreeMap<String, DeviceState>,
    /// Open alarms: active, or cleared but not yet acknowledged. (Stored as a list of pairs:
    /// JSON object keys must be strings.)
    #[serde(with = "pairs")]
    pub alarms: BTreeMap<(String, SensorAlarm), ActiveAlarm>,
}

mod pairs {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    type Map = BTreeMap<(String, super::SensorAlarm), super::ActiveAlarm>;

    pub fn serialize<S: Serializer>(m: &Map, s: S) -> Result<S::Ok, S::Error> {
        m.iter().collect::<Vec<_>>().serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Map, D::Error> {
        Ok(
            Vec::<((String, super::SensorAlarm), super::ActiveAlarm)>::deserialize(d)?
                .into_iter()
                .collect(),
        )
    }
}

#[derive(Clone, Debug)]
struct Registered {
    kind: SensorKind,
    heartbeat_ms: i64,
}

#[derive(Clone, Debug)]
pub struct SensorEngine {
    rules: Rules,
    registry: BTreeMap<String, Registered>,
    st: EngineState,
}

impl SensorEngine {
    pub fn new(rules: Rules) -> SensorEngine {
        SensorEngine {
            rules,
            registry: BTreeMap::new(),
            st: EngineState::default(),
        }
    }

    /// Register a device; `now` starts its heartbeat clock if it was never seen.
    pub fn register(&mut self, device: &str, kind: SensorKind, heartbeat_ms: i64, now: EpochMs) {
        self.registry.insert(
            device.to_string(),
            Registered {
                kind,
                heartbeat_ms: heartbeat_ms.max(1),
            },
        );
        let d = self.st.devices.entry(device.to_string()).or_default();
        if d.last_seen_ms.is_none() {
            d.last_seen_ms = Some(now);
        }
    }

    pub fn is_registered(&self, device: &str) -> bool {
        self.registry.contains_key(device)
    }

    pub fn state(&self) -> &EngineState {
        &self.st
    }

    /// Restore persisted state (devices no longer registered are dropped with their alarms:
    /// nothing could clear them).
    pub fn restore(&mut self, mut st: EngineState) {
        st.devices.retain(|d, _| self.registry.contains_key(d));
        st.alarms.retain(|(d, _), _| self.registry.contains_key(d));
        for d in self.registry.keys() {
            st.devices.entry(d.clone()).or_default();
        }
        self.st = st;
    }

    pub fn alarm(&self, device: &str, alarm: SensorAlarm) -> Option<&ActiveAlarm> {
        self.st.alarms.get(&(device.to_string(), alarm))
    }

    fn set(
        &mut self,
        device: &str,
        alarm: SensorAlarm,
        on: bool,
        detail: String,
        now: EpochMs,
        out: &mut Vec<SensorEvent>,
    ) {
        let key = (device.to_string(), alarm);
        let ev = |change, severity, detail: &str| SensorEvent {
            device: device.to_string(),
            alarm,
            change,
            severity,
            at: now,
            detail: detail.to_string(),
        };
        match (self.st.alarms.get_mut(&key), on) {
            (Some(a), true) if a.is_active() => {
                if a.detail != detail {
                    a.detail = detail;
                    a.updated_at = now;
                    out.push(ev(Change::Updated, a.severity, &a.detail));
                }
            }
            (Some(a), true) => {
                // Cleared but not acknowledged: the same alarm becomes active again.
                a.cleared_at = None;
                a.updated_at = now;
                a.detail = detail;
                out.push(ev(Change::Raised, a.severity, &a.detail));
            }
            (None, true) => {
                let a = ActiveAlarm {
                    severity: alarm.severity(),
                    raised_at: now,
                    updated_at: now,
                    cleared_at: None,
                    acked_at: None,
                    acked_by: None,
                    escalated_at: None,
                    detail,
                };
                out.push(ev(Change::Raised, a.severity, &a.detail));
                self.st.alarms.insert(key, a);
            }
            (Some(a), false) if a.is_active() => {
                a.cleared_at = Some(now);
                a.updated_at = now;
                out.push(ev(Change::Cleared, a.severity, &a.detail));
                if a.is_acked() {
                    self.st.alarms.remove(&key);
                }
            }
            (_, false) => {}
        }
    }

    /// A message from a device. Unregistered devices are ignored (the owner counts them).
    pub fn reading(&mut self, device: &str, r: &Reading, now: EpochMs) -> Vec<SensorEvent> {
        let mut out = Vec::new();
        let Some(reg) = self.registry.get(device).cloned() else {
            return out;
        };
        let rules = self.rules.clone();
        let d = self.st.devices.entry(device.to_string()).or_default();
        d.last_seen_ms = Some(now);
        merge(&mut d.last, r);
        let last = d.last.clone();
        // Durations: when did the condition start?
        let battery_low = last
            .battery_percent
            .is_some_and(|b| b < rules.battery_low_percent);
        d.battery_low_since = match (battery_low, d.battery_low_since) {
            (true, Some(t)) => Some(t),
            (true, None) => Some(now),
            (false, _) => None,
        };
        let maintenance = last.maintenance == Some(true);
        let off_floor = last.running == Some(false) && last.at_floor == Some(false) && !maintenance;
        d.stopped_off_floor_since = match (off_floor, d.stopped_off_floor_since) {
            (true, Some(t)) => Some(t),
            (true, None) => Some(now),
            (false, _) => None,
        };
        // A message is a heartbeat.
        self.set(
            device,
            SensorAlarm::SensorOffline,
            false,
            String::new(),
            now,
            &mut out,
        );
        match reg.kind {
            SensorKind::SmokeDetector => {
                if let Some(s) = r.smoke {
                    let detail = last
                        .smoke_density
                        .map(|x| format!("density {x}"))
                        .unwrap_or_default();
                    self.set(device, SensorAlarm::Smoke, s, detail, now, &mut out);
                }
                if let Some(t) = r.tamper {
                    self.set(device, SensorAlarm::Tamper, t, String::new(), now, &mut out);
                }
                if let Some(f) = r.fault {
                    self.set(
                        device,
                        SensorAlarm::SensorFault,
                        f,
                        String::new(),
                        now,
                        &mut out,
                    );
                }
            }
            SensorKind::ElevatorMonitor => {
                if let Some(t) = r.trapped {
                    self.set(
                        device,
                        SensorAlarm::TrappedPassenger,
                        t,
                        floor_detail(&last),
                        now,
                        &mut out,
                    );
                }
                let moving = last.running == Some(true) || last.direction.is_some_and(|x| x != 0);
                let door_moving = last.door_open == Some(true) && moving && !maintenance;
                if r.door_open.is_some()
                    || r.running.is_some()
                    || r.direction.is_some()
                    || r.maintenance.is_some()
                {
                    self.set(
                        device,
                        SensorAlarm::DoorOpenWhileMoving,
                        door_moving,
                        floor_detail(&last),
                        now,
                        &mut out,
                    );
                }
                if let Some(code) = r.fault_code {
                    self.set(
                        device,
                        SensorAlarm::ElevatorFault,
                        code != 0,
                        format!("fault code {code}"),
                        now,
                        &mut out,
                    );
                }
                if let Some(f) = r.fault {
                    self.set(
                        device,
                        SensorAlarm::SensorFault,
                        f,
                        String::new(),
                        now,
                        &mut out,
                    );
                }
            }
        }
        out.extend(self.durations(device, now));
        out
    }

    /// Duration rules for one device (battery, stopped between floors).
    fn durations(&mut self, device: &str, now: EpochMs) -> Vec<SensorEvent> {
        let mut out = Vec::new();
        let Some(d) = self.st.devices.get(device).cloned() else {
            return out;
        };
        let rules = self.rules.clone();
        let battery = d.last.battery_percent.unwrap_or(100.0);
        let low = d
            .battery_low_since
            .is_some_and(|t| now - t >= rules.battery_low_for_ms);
        self.set(
            device,
            SensorAlarm::LowBattery,
            low,
            format!("battery {battery}%"),
            now,
            &mut out,
        );
        if self
            .registry
            .get(device)
            .is_some_and(|r| r.kind == SensorKind::ElevatorMonitor)
        {
            let stuck = d
                .stopped_off_floor_since
                .is_some_and(|t| now - t >= rules.stopped_between_floors_ms);
            self.set(
                device,
                SensorAlarm::StoppedBetweenFloors,
                stuck,
                floor_detail(&d.last),
                now,
                &mut out,
            );
        }
        out
    }

    /// The passing of time: heartbeats, durations, escalation.
    pub fn tick(&mut self, now: EpochMs) -> Vec<SensorEvent> {
        let mut out = Vec::new();
        let devices: Vec<(String, Registered)> = self
            .registry
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (device, reg) in devices {
            let last_seen = self
                .st
                .devices
                .get(&device)
                .and_then(|d| d.last_seen_ms)
                .unwrap_or(now);
            let silent_ms = now - last_seen;
            let limit = reg
                .heartbeat_ms
                .saturating_mul(i64::from(self.rules.missed_heartbeats));
            if silent_ms > limit {
                let detail = format!("no message for {} s", silent_ms / 1000);
                // Raise once; the detail is not refreshed every tick.
                if !self
                    .alarm(&device, SensorAlarm::SensorOffline)
                    .is_some_and(ActiveAlarm::is_active)
                {
                    self.set(
                        &device,
                        SensorAlarm::SensorOffline,
                        true,
                        detail,
                        now,
                        &mut out,
                    );
                }
            }
            out.extend(self.durations(&device, now));
        }
        if self.rules.escalate_after_ms > 0 {
            for ((device, alarm), a) in self.st.alarms.iter_mut() {
                if a.is_active()
                    && !a.is_acked()
                    && a.escalated_at.is_none()
                    && now - a.raised_at >= self.rules.escalate_after_ms
                {
                    a.escalated_at = Some(now);
                    a.severity = escalate(a.severity);
                    a.updated_at = now;
                    out.push(SensorEvent {
                        device: device.clone(),
                        alarm: *alarm,
                        change: Change::Escalated,
                        severity: a.severity,
                        at: now,
                        detail: a.detail.clone(),
                    });
                }
            }
        }
        out
    }

    /// Forget a device removed from the registry: its rule state and open alarms go with it
    /// (nothing could clear them any more).
    pub fn forget(&mut self, device: &str) {
        self.registry.remove(device);
        self.st.devices.remove(device);
        self.st.alarms.retain(|(d, _), _| d != device);
    }

    /// Staff clear an alarm by hand. An acknowledged alarm is then closed; a condition that
    /// persists raises it again with the next reading.
    pub fn clear(
        &mut self,
        device: &str,
        alarm: SensorAlarm,
        now: EpochMs,
    ) -> Result<SensorEvent, AckError> {
        let key = (device.to_string(), alarm);
        let a = self.st.alarms.get_mut(&key).ok_or(AckError::NoSuchAlarm {
            device: device.to_string(),
            alarm: alarm.code(),
        })?;
        if !a.is_active() {
            return Err(AckError::AlreadyCleared);
        }
        a.cleared_at = Some(now);
        a.updated_at = now;
        let ev = SensorEvent {
            device: device.to_string(),
            alarm,
            change: Change::Cleared,
            severity: a.severity,
            at: now,
            detail: a.detail.clone(),
        };
        if a.is_acked() {
            self.st.alarms.remove(&key);
        }
        Ok(ev)
    }

    /// Staff acknowledge an alarm. A cleared alarm that is acknowledged is closed.
    pub fn ack(
        &mut self,
        device: &str,
        alarm: SensorAlarm,
        by: &str,
        now: EpochMs,
    ) -> Result<SensorEvent, AckError> {
        let key = (device.to_string(), alarm);
        let a = self.st.alarms.get_mut(&key).ok_or(AckError::NoSuchAlarm {
            device: device.to_string(),
            alarm: alarm.code(),
        })?;
        if a.is_acked() {
            return Err(AckError::AlreadyAcked);
        }
        a.acked_at = Some(now);
        a.acked_by = Some(by.to_string());
        a.updated_at = now;
        let ev = SensorEvent {
            device: device.to_string(),
            alarm,
            change: Change::Acked { by: by.to_string() },
            severity: a.severity,
            at: now,
            detail: a.detail.clone(),
        };
        if !a.is_active() {
            self.st.alarms.remove(&key);
        }
        Ok(ev)
    }
}

fn floor_detail(r: &Reading) -> String {
    match r.floor {
        Some(f) => format!("floor {f}"),
        None => String::new(),
    }
}

/// Later messages may carry only some fields: keep the rest from earlier ones.
fn merge(into: &mut Reading, r: &Reading) {
    macro_rules! take {
        ($($f:ident),*) => { $( if r.$f.is_some() { into.$f = r.$f; } )* };
    }
    take!(
        smoke,
        smoke_density,
        battery_percent,
        tamper,
        fault,
        floor,
        direction,
        running,
        door_open,
        at_floor,
        fault_code,
        trapped,
        maintenance
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const HB: i64 = 60_000;

    fn engine() -> SensorEngine {
        let mut e = SensorEngine::new(Rules::default());
        e.register("smoke-1", SensorKind::SmokeDetector, HB, 0);
        e.register("lift-1", SensorKind::ElevatorMonitor, HB, 0);
        e
    }

    fn kinds(ev: &[SensorEvent]) -> Vec<(SensorAlarm, &'static str)> {
        ev.iter().map(|e| (e.alarm, e.change.code())).collect()
    }

    #[test]
    fn smoke_raises_at_once_and_clears() {
        let mut e = engine();
        let ev = e.reading(
            "smoke-1",
            &Reading {
                smoke: Some(true),
                smoke_density: Some(0.3),
                ..Default::default()
            },
            10,
        );
        assert_eq!(kinds(&ev), vec![(SensorAlarm::Smoke, "raised")]);
        assert_eq!(ev[0].severity, Severity::Critical);
        assert_eq!(ev[0].detail, "density 0.3");
        // The same condition again: updated only if the detail changed, never duplicated.
        assert!(e
            .reading(
                "smoke-1",
                &Reading {
                    smoke: Some(true),
                    ..Default::default()
                },
                20
            )
            .is_empty());
        let ev = e.reading(
            "smoke-1",
            &Reading {
                smoke: Some(true),
                smoke_density: Some(0.5),
                ..Default::default()
            },
            30,
        );
        assert_eq!(kinds(&ev), vec![(SensorAlarm::Smoke, "updated")]);
        let ev = e.reading(
            "smoke-1",
            &Reading {
                smoke: Some(false),
                ..Default::default()
            },
            40,
        );
        assert_eq!(kinds(&ev), vec![(SensorAlarm::Smoke, "cleared")]);
        // Cleared, not acknowledged: still listed; acknowledging closes it.
        assert!(e.alarm("smoke-1", SensorAlarm::Smoke).is_some());
        let ack = e.ack("smoke-1", SensorAlarm::Smoke, "staff-1", 50).unwrap();
        assert_eq!(
            ack.change,
            Change::Acked {
                by: "staff-1".into()
            }
        );
        assert!(e.alarm("smoke-1", SensorAlarm::Smoke).is_none());
        assert_eq!(
            e.ack("smoke-1", SensorAlarm::Smoke, "x", 60),
            Err(AckError::NoSuchAlarm {
                device: "smoke-1".into(),
                alarm: "smoke"
            })
        );
    }

    #[test]
    fn acknowledged_active_alarm_closes_when_cleared_and_reraises_as_new() {
        let mut e = engine();
        e.reading(
            "smoke-1",
            &Reading {
                tamper: Some(true),
                ..Default::default()
            },
            1,
        );
        e.ack("smoke-1", SensorAlarm::Tamper, "s", 2).unwrap();
        assert_eq!(
            e.ack("smoke-1", SensorAlarm::Tamper, "s", 3),
            Err(AckError::AlreadyAcked)
        );
        let ev = e.reading(
            "smoke-1",
            &Reading {
                tamper: Some(false),
                ..Default::default()
            },
            4,
        );
        assert_eq!(kinds(&ev), vec![(SensorAlarm::Tamper, "cleared")]);
        assert!(e.alarm("smoke-1", SensorAlarm::Tamper).is_none());
        let ev = e.reading(
            "smoke-1",
            &Reading {
                tamper: Some(true),
                ..Default::default()
            },
            5,
        );
        assert_eq!(kinds(&ev), vec![(SensorAlarm::Tamper, "raised")]);
        assert!(!e.alarm("smoke-1", SensorAlarm::Tamper).unwrap().is_acked());
    }

    #[test]
    fn low_battery_needs_the_duration() {
        let mut e = engine();
        let low = Reading {
            battery_percent: Some(15.0),
            ..Default::default()
        };
        assert!(e.reading("smoke-1", &low, 0).is_empty());
        assert!(e.reading("smoke-1", &low, 9 * 60_000).is_empty());
        let ev: Vec<_> = e
            .tick(10 * 60_000)
            .into_iter()
            .filter(|x| x.alarm == SensorAlarm::LowBattery)
            .collect();
        assert_eq!(kinds(&ev), vec![(SensorAlarm::LowBattery, "raised")]);
        assert_eq!(ev[0].detail, "battery 15%");
        // Back above: cleared; a dip shorter than the duration raises nothing.
        let ev = e.reading(
            "smoke-1",
            &Reading {
                battery_percent: Some(80.0),
                ..Default::default()
            },
            10 * 60_000 + 1,
        );
        assert!(
            kinds(&ev).contains(&(SensorAlarm::LowBattery, "cleared")),
            "{ev:?}"
        );
        e.reading("smoke-1", &low, 11 * 60_000);
        e.reading(
            "smoke-1",
            &Reading {
                battery_percent: Some(50.0),
                ..Default::default()
            },
            12 * 60_000,
        );
        assert!(e
            .tick(25 * 60_000)
            .iter()
            .all(|x| x.alarm != SensorAlarm::LowBattery || x.change != Change::Raised));
    }

    #[test]
    fn silence_raises_offline_after_missed_heartbeats_and_a_message_clears_it() {
        let mut e = engine();
        assert!(e
            .tick(3 * HB)
            .iter()
            .all(|x| x.alarm != SensorAlarm::SensorOffline));
        let ev = e.tick(3 * HB + 1);
        assert_eq!(
            ev.iter()
                .filter(|x| x.alarm == SensorAlarm::SensorOffline)
                .count(),
            2
        );
        assert!(
            e.tick(4 * HB)
                .iter()
                .all(|x| x.alarm != SensorAlarm::SensorOffline),
            "raised once"
        );
        let ev = e.reading("smoke-1", &Reading::default(), 5 * HB);
        assert_eq!(kinds(&ev), vec![(SensorAlarm::SensorOffline, "cleared")]);
    }

    #[test]
    fn elevator_rules() {
        let mut e = engine();
        let ev = e.reading(
            "lift-1",
            &Reading {
                running: Some(true),
                direction: Some(1),
                door_open: Some(true),
                floor: Some(3),
                ..Default::default()
            },
            1,
        );
        assert_eq!(
            kinds(&ev),
            vec![(SensorAlarm::DoorOpenWhileMoving, "raised")]
        );
        let ev = e.reading(
            "lift-1",
            &Reading {
                door_open: Some(false),
                ..Default::default()
            },
            2,
        );
        assert_eq!(
            kinds(&ev),
            vec![(SensorAlarm::DoorOpenWhileMoving, "cleared")]
        );
        // Stopped away from a landing for 30 s.
        e.reading(
            "lift-1",
            &Reading {
                running: Some(false),
                direction: Some(0),
                at_floor: Some(false),
                ..Default::default()
            },
            1_000,
        );
        assert!(e
            .tick(30_999)
            .iter()
            .all(|x| x.alarm != SensorAlarm::StoppedBetweenFloors));
        let ev = e.tick(31_000);
        assert_eq!(
            kinds(&ev),
            vec![(SensorAlarm::StoppedBetweenFloors, "raised")]
        );
        assert_eq!(ev[0].detail, "floor 3");
        let ev = e.reading(
            "lift-1",
            &Reading {
                trapped: Some(true),
                ..Default::default()
            },
            32_000,
        );
        assert_eq!(kinds(&ev), vec![(SensorAlarm::TrappedPassenger, "raised")]);
        assert_eq!(ev[0].severity, Severity::Critical);
        let ev = e.reading(
            "lift-1",
            &Reading {
                fault_code: Some(37),
                ..Default::default()
            },
            33_000,
        );
        assert_eq!(kinds(&ev), vec![(SensorAlarm::ElevatorFault, "raised")]);
        let ev = e.reading(
            "lift-1",
            &Reading {
                fault_code: Some(41),
                ..Default::default()
            },
            34_000,
        );
        assert_eq!(kinds(&ev), vec![(SensorAlarm::ElevatorFault, "updated")]);
        // Maintenance: the motion rules stand down, a trapped passenger does not.
        let ev = e.reading(
            "lift-1",
            &Reading {
                maintenance: Some(true),
                ..Default::default()
            },
            35_000,
        );
        assert_eq!(
            kinds(&ev),
            vec![(SensorAlarm::StoppedBetweenFloors, "cleared")]
        );
        assert!(e
            .alarm("lift-1", SensorAlarm::TrappedPassenger)
            .unwrap()
            .is_active());
    }

    #[test]
    fn unacknowledged_alarms_escalate_once() {
        let mut e = engine();
        e.reading(
            "smoke-1",
            &Reading {
                tamper: Some(true),
                ..Default::default()
            },
            0,
        );
        let tamper = |ev: Vec<SensorEvent>| -> Vec<SensorEvent> {
            ev.into_iter()
                .filter(|x| x.alarm == SensorAlarm::Tamper && x.change == Change::Escalated)
                .collect()
        };
        let ev = tamper(e.tick(5 * 60_000));
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].severity, Severity::Critical);
        assert!(tamper(e.tick(20 * 60_000)).is_empty());
    }

    #[test]
    fn state_survives_a_restart_and_unknown_devices_are_ignored() {
        let mut e = engine();
        e.reading(
            "smoke-1",
            &Reading {
                smoke: Some(true),
                battery_percent: Some(10.0),
                ..Default::default()
            },
            0,
        );
        let saved = serde_json::to_string(e.state()).unwrap();
        let mut again = SensorEngine::new(Rules::default());
        again.register("smoke-1", SensorKind::SmokeDetector, HB, 100);
        again.restore(serde_json::from_str(&saved).unwrap());
        assert!(again
            .alarm("smoke-1", SensorAlarm::Smoke)
            .unwrap()
            .is_active());
        // The battery timer kept its start: 10 min after the first low reading it raises.
        let ev = again.tick(10 * 60_000);
        assert!(ev
            .iter()
            .any(|x| x.alarm == SensorAlarm::LowBattery && x.change == Change::Raised));
        // A repeat of the active condition after the restart is not a second alarm.
        assert!(again
            .reading(
                "smoke-1",
                &Reading {
                    smoke: Some(true),
                    ..Default::default()
                },
                10 * 60_000 + 1
            )
            .iter()
            .all(|x| x.alarm != SensorAlarm::Smoke));
        assert!(again
            .reading(
                "nobody",
                &Reading {
                    smoke: Some(true),
                    ..Default::default()
                },
                1
            )
            .is_empty());
    }

    fn arb_reading() -> impl Strategy<Value = Reading> {
        (
            proptest::option::of(any::<bool>()),
            proptest::option::of(0.0f64..100.0),
            proptest::option::of(any::<bool>()),
            proptest::option::of(any::<bool>()),
            proptest::option::of(any::<bool>()),
            proptest::option::of(0i64..3),
            proptest::option::of(any::<bool>()),
            proptest::option::of(any::<bool>()),
        )
            .prop_map(
                |(smoke, battery, tamper, running, door_open, fault_code, trapped, at_floor)| {
                    Reading {
                        smoke,
                        battery_percent: battery,
                        tamper,
                        running,
                        door_open,
                        fault_code,
                        trapped,
                        at_floor,
                        ..Default::default()
                    }
                },
            )
    }

    #[derive(Debug, Clone)]
    enum Op {
        Read(bool, Reading),
        Tick,
        Ack(bool, usize),
        Clear(bool, usize),
    }

    proptest! {
        /// Any sequence of readings, ticks, acknowledgements and manual clears: per (device, kind) the events
        /// form a valid lifecycle (raised only when not active, cleared only when active, at
        /// most one ack per alarm), the book agrees with the events, and severities never drop
        /// while an alarm is open.
        #[test]
        fn lifecycle_is_consistent(ops in proptest::collection::vec(prop_oneof![
            (any::<bool>(), arb_reading()).prop_map(|(d, r)| Op::Read(d, r)),
            Just(Op::Tick),
            (any::<bool>(), 0usize..9).prop_map(|(d, k)| Op::Ack(d, k)),
            (any::<bool>(), 0usize..9).prop_map(|(d, k)| Op::Clear(d, k)),
        ], 0..80), step in 1i64..200_000) {
            let mut e = engine();
            let mut now = 0;
            // Model: per key (active, acked, open).
            let mut model: BTreeMap<(String, SensorAlarm), (bool, bool, Severity)> = BTreeMap::new();
            for op in ops {
                now += step;
                let events = match op {
                    Op::Read(d, r) => e.reading(if d { "smoke-1" } else { "lift-1" }, &r, now),
                    Op::Tick => e.tick(now),
                    Op::Ack(d, k) => {
                        let dev = if d { "smoke-1" } else { "lift-1" };
                        e.ack(dev, SensorAlarm::ALL[k], "p", now).map(|x| vec![x]).unwrap_or_default()
                    }
                    Op::Clear(d, k) => {
                        let dev = if d { "smoke-1" } else { "lift-1" };
                        e.clear(dev, SensorAlarm::ALL[k], now).map(|x| vec![x]).unwrap_or_default()
                    }
                };
                for ev in events {
                    let key = (ev.device.clone(), ev.alarm);
                    match ev.change {
                        Change::Raised => {
                            let prev = model.get(&key);
                            prop_assert!(!prev.is_some_and(|m| m.0), "raised while active: {:?}", key);
                            let acked = prev.is_some_and(|m| m.1);
                            prop_assert!(!acked, "a cleared+acked alarm is closed, not re-raised");
                            model.insert(key, (true, false, ev.severity));
                        }
                        Change::Updated | Change::Escalated => {
                            let m = model.get_mut(&key);
                            prop_assert!(m.as_ref().is_some_and(|m| m.0), "update of an inactive alarm");
                            let m = m.unwrap();
                            prop_assert!(ev.severity as u8 <= m.2 as u8, "severity dropped");
                            m.2 = ev.severity;
                        }
                        Change::Cleared => {
                            let m = model.get_mut(&key);
                            prop_assert!(m.as_ref().is_some_and(|m| m.0), "cleared while inactive");
                            let m = m.unwrap();
                            m.0 = false;
                            if m.1 { model.remove(&key); }
                        }
                        Change::Acked { .. } => {
                            let m = model.get_mut(&key);
                            prop_assert!(m.as_ref().is_some_and(|m| !m.1), "double ack");
                            let m = m.unwrap();
                            m.1 = true;
                            if !m.0 { model.remove(&key); }
                        }
                    }
                }
                // The book and the model agree.
                let book: BTreeMap<_, _> = e.state().alarms.iter().map(|(k, a)| (k.clone(), (a.is_active(), a.is_acked()))).collect();
                let want: BTreeMap<_, _> = model.iter().map(|(k, m)| (k.clone(), (m.0, m.1))).collect();
                prop_assert_eq!(book, want);
            }
        }
    }
}
