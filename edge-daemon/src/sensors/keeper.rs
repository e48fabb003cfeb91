//! The task that owns the sensor alarm engine: the only place sensor readings, acknowledgements
//! and ticks are applied. It decodes messages with the device's profile, runs the rules, writes
//! every alarm transition to the outbox (alarms travel to the cloud first), keeps the rule state
//! in the store (it survives restarts), and performs fire release: a smoke alarm puts the
//! configured exits in emergency release through the gatekeeper, which holds them released until
//! an operator restores them (`POST /v1/fire/restore`). Nothing here needs the cloud.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::access::DoorMode;
use crate::config::sensor_profile::TopicPattern;
use crate::config::sensors::{Sensor, SensorSetup};
use crate::gate::keeper::GatekeeperHandle;
use crate::sensor::{AckError, Change, SensorAlarm, SensorEngine, SensorEvent};
use crate::store::records::{AlarmRecordV1, OutboxItemV1, RECORD_VERSION};
use crate::store::writer::StoreWriter;
use crate::store::Store;

pub enum SensorMsg {
    /// One MQTT message; `done` fires once everything it caused is durable (then it is acked).
    Message {
        topic: String,
        payload: Vec<u8>,
        done: oneshot::Sender<()>,
    },
    Ack {
        device: String,
        alarm: SensorAlarm,
        by: String,
        reply: oneshot::Sender<Result<(), AckError>>,
    },
    /// End a fire release: doors of `building` (None = all) back to normal.
    Restore {
        building: Option<String>,
        by: String,
        reply: oneshot::Sender<Vec<String>>,
    },
    Snapshot {
        reply: oneshot::Sender<SensorSnapshot>,
    },
    /// What a directory delta brought (already stored): devices registered, changed or removed
    /// in the cloud; `actions` says the delta also kept acknowledgements or clears staff made
    /// there, which the keeper applies from the store (`Store::pending_alarm_actions`).
    Cloud {
        sensors: Vec<crate::cloud::wire::CloudSensor>,
        actions: bool,
    },
    Tick,
}

#[derive(Clone, Debug)]
pub struct SensorHandle {
    pub tx: mpsc::Sender<SensorMsg>,
}

impl SensorHandle {
    async fn ask<T>(&self, make: impl FnOnce(oneshot::Sender<T>) -> SensorMsg) -> Option<T> {
        let (tx, rx) = oneshot::channel();
        self.tx.send(make(tx)).await.ok()?;
        rx.await.ok()
    }
    pub async fn ack(
        &self,
        device: String,
        alarm: SensorAlarm,
        by: String,
    ) -> Option<Result<(), AckError>> {
        self.ask(|reply| SensorMsg::Ack {
            device,
            alarm,
            by,
            reply,
        })
        .await
    }
    pub async fn restore(&self, building: Option<String>, by: String) -> Option<Vec<String>> {
        self.ask(|reply| SensorMsg::Restore {
            building,
            by,
            reply,
        })
        .await
    }
    pub async fn snapshot(&self) -> Option<SensorSnapshot> {
        self.ask(|reply| SensorMsg::Snapshot { reply }).await
    }
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Counters {
    pub received: u64,
    pub decoded: u64,
    pub unknown_topic: u64,
    pub unknown_device: u64,
    /// Refused payloads by reason (`not_json`, `too_large`, `bad_value`, `empty`, …).
    pub rejected: BTreeMap<String, u64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct SensorView {
    pub id: String,
    pub name: String,
    pub profile: String,
    pub estate: String,
    pub building: String,
    pub unit: String,
    pub floor: Option<i64>,
    pub last_seen_ms: Option<i64>,
    pub last: crate::sensor::Reading,
}

#[derive(Clone, Debug, Serialize)]
pub struct AlarmView {
    pub device: String,
    pub alarm: &'static str,
    pub severity: &'static str,
    pub active: bool,
    pub acked: bool,
    pub acked_by: Option<String>,
    pub raised_at_ms: i64,
    pub cleared_at_ms: Option<i64>,
    pub detail: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct SensorSnapshot {
    pub sensors: Vec<SensorView>,
    pub alarms: Vec<AlarmView>,
    pub counters: Counters,
    /// Doors released by fire alarms and not yet restored.
    pub released_doors: Vec<String>,
}

const K_STATE: &str = "sensor_state_v1";
/// A device that keeps reporting the same reading is re-reported (for "last seen") this often.
const STATE_REFRESH_MS: i64 = 15 * 60 * 1000;
const K_RELEASED: &str = "fire_released_doors_v1";
/// Rule state is saved at most this often when only readings changed (alarm changes save at once).
const SAVE_EVERY: Duration = Duration::from_secs(5);

pub struct SensorKeeper {
    box_id: String,
    setup: SensorSetup,
    engine: SensorEngine,
    sensors: BTreeMap<String, Sensor>,
    /// (pattern, profile model, plain point index)
    patterns: Vec<(TopicPattern, String, Option<usize>)>,
    counters: Counters,
    released: Vec<String>,
    store: Store,
    writer: StoreWriter,
    gate: GatekeeperHandle,
    rx: mpsc::Receiver<SensorMsg>,
    dirty: bool,
    last_save: std::time::Instant,
    /// Cloud-linked: changed device states are reported up at most this often (a box without
    /// a cloud keeps no such log).
    report_every: Option<Duration>,
    /// Per device: (online, reading JSON, when reported) as last reported.
    reported: BTreeMap<String, (bool, String, i64)>,
    last_report: std::time::Instant,
    /// Pending cloud alarm actions applied since the last save: forgotten in the same write as
    /// the rule state they changed.
    done_actions: Vec<Vec<u8>>,
}

impl SensorKeeper {
    pub fn new(
        box_id: &str,
        setup: SensorSetup,
        store: Store,
        writer: StoreWriter,
        gate: GatekeeperHandle,
        report_every: Option<Duration>,
    ) -> (SensorKeeper, SensorHandle) {
        let now = gate.time().now_ms();
        let mut engine = SensorEngine::new(setup.rules.clone());
        // Configured sensors, then those the cloud registered (the cloud's registry wins for
        // a device both name).
        let mut sensors: BTreeMap<String, Sensor> = setup
            .sensors
            .iter()
            .map(|s| (s.id.clone(), s.clone()))
            .collect();
        match store.cloud_sensors() {
            Ok(list) => sensors.extend(list.into_iter().map(|s| (s.id.clone(), s))),
            Err(e) => tracing::error!(error = %e, "cloud-registered sensors unreadable"),
        }
        for s in sensors.values() {
            let kind = setup.profiles.get(&s.model).map(|p| p.kind);
            if let Some(kind) = kind {
                engine.register(&s.id, kind, s.heartbeat_ms, now);
            } else {
                tracing::error!(device = %s.id, profile = %s.model, "sensor names a profile this box does not have");
            }
        }
        if let Some(saved) = store.meta_json::<crate::sensor::EngineState>(K_STATE) {
            engine.restore(saved);
        }
        let released = store
            .meta_json::<Vec<String>>(K_RELEASED)
            .unwrap_or_default();
        // Every profile's topics: a device the cloud registers later needs no new subscription.
        let mut patterns = Vec::new();
        for (model, p) in &setup.profiles {
            for (pat, point) in p.patterns() {
                patterns.push((pat, model.clone(), point));
            }
        }
        let (tx, rx) = mpsc::channel(4096);
        let keeper = SensorKeeper {
            box_id: box_id.to_string(),
            sensors,
            setup,
            engine,
            patterns,
            counters: Counters::default(),
            released,
            store,
            writer,
            gate,
            rx,
            dirty: false,
            last_save: std::time::Instant::now(),
            report_every,
            reported: BTreeMap::new(),
            last_report: std::time::Instant::now(),
            done_actions: Vec::new(),
        };
        (keeper, SensorHandle { tx })
    }

    /// The subscription filters the MQTT task needs.
    pub fn filters(&self) -> Vec<String> {
        let mut f: Vec<String> = self.patterns.iter().map(|(p, _, _)| p.filter()).collect();
        f.sort();
        f.dedup();
        f
    }

    pub async fn run(mut self) {
        // Actions a crash left pending (kept with their delta, not yet applied).
        self.apply_pending_actions().await;
        while let Some(msg) = self.rx.recv().await {
            match msg {
                SensorMsg::Message {
                    topic,
                    payload,
                    done,
                } => {
                    self.message(&topic, &payload).await;
                    let _ = done.send(());
                }
                SensorMsg::Ack {
                    device,
                    alarm,
                    by,
                    reply,
                } => {
                    let r = self
                        .engine
                        .ack(&device, alarm, &by, self.gate.time().now_ms());
                    let r = match r {
                        Ok(ev) => {
                            self.record(vec![ev]).await;
                            Ok(())
                        }
                        Err(e) => Err(e),
                    };
                    let _ = reply.send(r);
                }
                SensorMsg::Restore {
                    building,
                    by,
                    reply,
                } => {
                    let doors = self.restore(building.as_deref(), &by).await;
                    let _ = reply.send(doors);
                }
                SensorMsg::Snapshot { reply } => {
                    let _ = reply.send(self.snapshot());
                }
                SensorMsg::Cloud { sensors, actions } => {
                    self.cloud(sensors).await;
                    if actions {
                        self.apply_pending_actions().await;
                    }
                }
                SensorMsg::Tick => {
                    let events = self.engine.tick(self.gate.time().now_ms());
                    self.record(events).await;
                    if self
                        .report_every
                        .is_some_and(|every| self.last_report.elapsed() >= every)
                    {
                        self.report_states().await;
                    }
                    if self.dirty && self.last_save.elapsed() >= SAVE_EVERY {
                        self.save();
                    }
                }
            }
        }
        self.save();
    }

    async fn message(&mut self, topic: &str, payload: &[u8]) {
        self.counters.received += 1;
        // The first pattern whose device is registered with that pattern's profile.
        let mut matched = false;
        let mut found = None;
        for (p, m, i) in &self.patterns {
            if let Some(d) = p.device(topic) {
                matched = true;
                if self.sensors.get(d).is_some_and(|s| &s.model == m) {
                    found = Some((d.to_string(), m.clone(), *i));
                    break;
                }
            }
        }
        let Some((device, model, point)) = found else {
            if matched {
                self.counters.unknown_device += 1;
                tracing::debug!(topic, "message from a device not registered");
            } else {
                self.counters.unknown_topic += 1;
                tracing::debug!(topic, "message on a topic no profile describes");
            }
            return;
        };
        let Some(profile) = self.setup.profiles.get(&model) else {
            return;
        };
        match profile.decode(point, payload) {
            Ok(reading) => {
                self.counters.decoded += 1;
                let events = self
                    .engine
                    .reading(&device, &reading, self.gate.time().now_ms());
                self.dirty = true;
                self.record(events).await;
            }
            Err(e) => {
                let reason = match &e {
                    crate::config::sensor_profile::DecodeError::TooLarge { .. } => "too_large",
                    crate::config::sensor_profile::DecodeError::NotJson(_) => "not_json",
                    crate::config::sensor_profile::DecodeError::NotObject => "not_object",
                    crate::config::sensor_profile::DecodeError::BadValue { .. } => "bad_value",
                    crate::config::sensor_profile::DecodeError::Empty => "no_known_field",
                };
                *self
                    .counters
                    .rejected
                    .entry(reason.to_string())
                    .or_default() += 1;
                tracing::warn!(device, topic, error = %e, "sensor message refused");
            }
        }
    }

    /// Write each transition to the outbox (awaiting durability), then act on smoke.
    async fn record(&mut self, events: Vec<SensorEvent>) {
        self.record_with(events.into_iter().map(|e| (e, None)).collect())
            .await;
    }

    /// Write each event's alarm record (under the given id, or a new one), wait until they are
    /// durable, then save the rule state: a crash in between leaves the state as it was, so
    /// the change happens again rather than being lost.
    async fn record_with(&mut self, events: Vec<(SensorEvent, Option<Uuid>)>) {
        if events.is_empty() {
            return;
        }
        let mut waits = Vec::new();
        let mut fire_from = Vec::new();
        for (ev, id) in &events {
            let where_ = self
                .sensors
                .get(&ev.device)
                .map(|s| {
                    format!(
                        "{} building {} unit {} floor {}",
                        s.name,
                        s.building,
                        s.unit,
                        s.floor.map_or("-".into(), |f| f.to_string())
                    )
                })
                .unwrap_or_default();
            let detail = [ev.detail.as_str(), where_.as_str()]
                .iter()
                .filter(|x| !x.is_empty())
                .cloned()
                .collect::<Vec<_>>()
                .join("; ");
            tracing::info!(device = %ev.device, alarm = ev.alarm.code(), change = ev.change.code(), severity = ev.severity.code(), "sensor alarm");
            let rec = AlarmRecordV1 {
                v: RECORD_VERSION,
                id: id.unwrap_or_else(Uuid::now_v7),
                at_ms: ev.at,
                box_id: self.box_id.clone(),
                source: ev.device.clone(),
                kind: ev.alarm.code().to_string(),
                severity: ev.severity.code().to_string(),
                state: match &ev.change {
                    Change::Acked { by } => format!("acked:{by}"),
                    c => c.code().to_string(),
                },
                detail,
            };
            if let Ok(rx) = self.writer.enqueue(OutboxItemV1::Alarm(rec)).await {
                waits.push(rx);
            }
            if ev.alarm == SensorAlarm::Smoke && ev.change == Change::Raised {
                fire_from.push(ev.device.clone());
            }
        }
        for w in waits {
            if !matches!(w.await, Ok(Ok(_))) {
                tracing::error!("a sensor alarm record could not be stored");
            }
        }
        self.save();
        for device in fire_from {
            self.fire_release(&device).await;
        }
    }

    async fn cloud(&mut self, sensors: Vec<crate::cloud::wire::CloudSensor>) {
        let now = self.gate.time().now_ms();
        for c in sensors {
            let id = c.sensor.id.clone();
            if !c.enabled {
                if self.sensors.remove(&id).is_some() {
                    self.engine.forget(&id);
                    self.reported.remove(&id);
                    tracing::info!(device = %id, "sensor removed by the cloud");
                }
                continue;
            }
            let Some(kind) = self.setup.profiles.get(&c.sensor.model).map(|p| p.kind) else {
                *self
                    .counters
                    .rejected
                    .entry("unknown_profile".into())
                    .or_default() += 1;
                tracing::error!(device = %id, profile = %c.sensor.model, "the cloud registered a sensor with a profile this box does not have");
                continue;
            };
            if let Some(old) = self.sensors.get(&id) {
                if old.model != c.sensor.model {
                    // Another kind of device under the same id: its old rule state means nothing.
                    self.engine.forget(&id);
                }
            }
            self.engine.register(&id, kind, c.sensor.heartbeat_ms, now);
            tracing::info!(device = %id, profile = %c.sensor.model, "sensor registered by the cloud");
            self.sensors.insert(id, c.sensor);
        }
        self.save();
    }

    /// Apply the cloud's alarm actions kept in the store, exactly once across crashes: each
    /// one's report carries an id fixed by the action (a second application after a crash
    /// reports under the same id, which the cloud stores once), the reports are durable before
    /// the rule state is saved, and the state and the actions' removal are one write.
    async fn apply_pending_actions(&mut self) {
        let pending = match self.store.pending_alarm_actions(&self.box_id) {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(error = %e, "pending cloud alarm actions unreadable");
                return;
            }
        };
        if pending.is_empty() {
            return;
        }
        let now = self.gate.time().now_ms();
        let mut events = Vec::new();
        for p in pending {
            let a = &p.action;
            let r = if a.clear {
                self.engine.clear(&a.device, a.alarm, now)
            } else {
                self.engine.ack(&a.device, a.alarm, &a.by, now)
            };
            match r {
                Ok(ev) => events.push((ev, Some(p.record_id))),
                // Already done here, or the alarm closed meanwhile: nothing to do.
                Err(e) => {
                    tracing::debug!(device = %a.device, alarm = a.alarm.code(), error = %e, "cloud alarm action not applied")
                }
            }
            self.done_actions.push(p.key);
        }
        self.record_with(events).await;
        self.save();
    }

    /// Report devices whose reading or reporting changed (and, now and then, those that did not,
    /// so the cloud's "last seen" stays fresh).
    async fn report_states(&mut self) {
        self.last_report = std::time::Instant::now();
        let now = self.gate.time().now_ms();
        let st = self.engine.state();
        let mut out = Vec::new();
        for id in self.sensors.keys() {
            let Some(d) = st.devices.get(id) else {
                continue;
            };
            let online = self
                .engine
                .alarm(id, SensorAlarm::SensorOffline)
                .is_none_or(|a| !a.is_active());
            let reading = serde_json::to_string(&d.last).unwrap_or_else(|_| "{}".into());
            let due = match self.reported.get(id) {
                None => true,
                Some((o, r, at)) => *o != online || *r != reading || now - at >= STATE_REFRESH_MS,
            };
            if due {
                out.push((id.clone(), online, d.last_seen_ms, reading));
            }
        }
        for (id, online, last_seen_ms, reading) in out {
            let rec = crate::store::records::DeviceStateRecordV1 {
                v: RECORD_VERSION,
                id: Uuid::now_v7(),
                at_ms: now,
                device: id.clone(),
                online,
                last_seen_ms,
                state: reading.clone(),
            };
            // Not awaited: a state lost in a crash is sent again at the next report.
            if self
                .writer
                .enqueue(OutboxItemV1::DeviceState(rec))
                .await
                .is_err()
            {
                return;
            }
            self.reported.insert(id, (online, reading, now));
        }
    }

    async fn fire_release(&mut self, device: &str) {
        let Some(building) = self.sensors.get(device).map(|s| s.building.clone()) else {
            return;
        };
        let doors: Vec<String> = self
            .setup
            .fire_release
            .iter()
            .filter(|g| g.building == "*" || g.building == building)
            .flat_map(|g| g.doors.iter().cloned())
            .collect();
        let mut done = Vec::new();
        for d in doors {
            if self.released.contains(&d) {
                continue;
            }
            match self
                .gate
                .set_mode(d.clone(), DoorMode::EmergencyRelease)
                .await
            {
                Some(Ok(true)) => done.push(d),
                other => {
                    tracing::error!(door = %d, result = ?other.map(|r| r.map_err(|e| e.to_string())), "fire release of a door failed")
                }
            }
        }
        if done.is_empty() {
            return;
        }
        tracing::warn!(device, building = %building, doors = ?done, "fire release: exits held released");
        self.released.extend(done.iter().cloned());
        self.store.put_meta_json(K_RELEASED, &self.released);
        self.audit(
            "raised",
            format!(
                "smoke at {device} (building {building}) released: {}",
                done.join(", ")
            ),
        )
        .await;
    }

    async fn restore(&mut self, building: Option<&str>, by: &str) -> Vec<String> {
        let wanted: Vec<String> = match building {
            None => self.released.clone(),
            Some(b) => self
                .setup
                .fire_release
                .iter()
                .filter(|g| g.building == b || g.building == "*")
                .flat_map(|g| g.doors.iter().cloned())
                .filter(|d| self.released.contains(d))
                .collect(),
        };
        let mut restored = Vec::new();
        for d in wanted {
            if let Some(Ok(true)) = self.gate.set_mode(d.clone(), DoorMode::Normal).await {
                restored.push(d);
            }
        }
        self.released.retain(|d| !restored.contains(d));
        self.store.put_meta_json(K_RELEASED, &self.released);
        if !restored.is_empty() {
            self.audit(
                "cleared",
                format!("restored by {by}: {}", restored.join(", ")),
            )
            .await;
        }
        restored
    }

    async fn audit(&mut self, state: &str, detail: String) {
        let rec = AlarmRecordV1 {
            v: RECORD_VERSION,
            id: Uuid::now_v7(),
            at_ms: self.gate.time().now_ms(),
            box_id: self.box_id.clone(),
            source: "box".into(),
            kind: "fire_release".into(),
            severity: if state == "raised" {
                "critical".into()
            } else {
                String::new()
            },
            state: state.into(),
            detail,
        };
        if let Err(e) = self.writer.append(OutboxItemV1::Alarm(rec)).await {
            tracing::error!(error = %e, "fire release audit record not stored");
        }
    }

    fn save(&mut self) {
        if self.done_actions.is_empty() {
            self.store.put_meta_json(K_STATE, self.engine.state());
        } else {
            match self.store.put_meta_json_and_done(
                K_STATE,
                self.engine.state(),
                &self.done_actions,
            ) {
                Ok(()) => self.done_actions.clear(),
                // Kept: the actions stay pending on disk and are forgotten with the next save.
                Err(e) => tracing::error!(error = %e, "could not store sensor state"),
            }
        }
        self.dirty = false;
        self.last_save = std::time::Instant::now();
    }

    fn snapshot(&self) -> SensorSnapshot {
        let st = self.engine.state();
        SensorSnapshot {
            sensors: self
                .sensors
                .values()
                .map(|s| {
                    let d = st.devices.get(&s.id);
                    SensorView {
                        id: s.id.clone(),
                        name: s.name.clone(),
                        profile: s.model.clone(),
                        estate: s.estate.clone(),
                        building: s.building.clone(),
                        unit: s.unit.clone(),
                        floor: s.floor,
                        last_seen_ms: d.and_then(|d| d.last_seen_ms),
                        last: d.map(|d| d.last.clone()).unwrap_or_default(),
                    }
                })
                .collect(),
            alarms: st
                .alarms
                .iter()
                .map(|((device, alarm), a)| AlarmView {
                    device: device.clone(),
                    alarm: alarm.code(),
                    severity: a.severity.code(),
                    active: a.is_active(),
                    acked: a.is_acked(),
                    acked_by: a.acked_by.clone(),
                    raised_at_ms: a.raised_at,
                    cleared_at_ms: a.cleared_at,
                    detail: a.detail.clone(),
                })
                .collect(),
            counters: self.counters.clone(),
            released_doors: self.released.clone(),
        }
    }
}
