//! The gatekeeper task: the single owner of the access engine, the clock guard, the door
//! monitors and the active-alarm book. Everything that asks "may this person pass?" or reports
//! what a door is doing sends it a message; it answers with decisions and hands records to the
//! store writer and open commands to the device drivers. Being the only owner, it needs no locks.

use std::collections::HashMap;

use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::access::{AccessEngine, AccessRequest, Decision, DoorInfo, DoorMode, Method};
use crate::alarm::{
    ActiveAlarm, AlarmBook, AlarmEvent, AlarmKey, AlarmKind, DoorMonitor, Severity,
};
use crate::clock::{ClockGuard, Reference};
use crate::cloud::wire::Directory;
use crate::config::EdgeConfig;
use crate::gate::modbus::{DriverHandle, GateError, GateEvent};
use crate::os_clock::{mono_ms, wall_ms, BoxTime};
use crate::retention::{OutboxPressure, RetentionPolicy};
use crate::store::records::{AlarmRecordV1, OutboxItemV1, PassRecordV1};
use crate::store::writer::StoreWriter;
use crate::store::{Store, StoreError};
use edge_sync::{SignedCommand, VerifyError};

/// Grace after an actuated open during which the contact opening is not "forced".
const GRANT_GRACE_EXTRA_MS: u64 = 5_000;

/// The answer to a decision request. The caller awaits `durable` (and `opened`) before it tells
/// anyone what happened.
#[derive(Debug)]
pub struct Outcome {
    pub record_id: Uuid,
    pub decision: Decision,
    pub durable: oneshot::Receiver<Result<Uuid, String>>,
    pub opened: Option<oneshot::Receiver<Result<(), GateError>>>,
}

#[derive(Debug, thiserror::Error)]
pub enum OneTapError {
    #[error(transparent)]
    Invalid(#[from] VerifyError),
    #[error("command already used")]
    Replayed,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct DoorStatus {
    pub id: String,
    pub name: String,
    pub estate: String,
    pub device: String,
    pub mode: String,
    /// "open" | "closed" | "unknown"
    pub contact: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct AlarmStatus {
    pub source: String,
    pub kind: String,
    pub severity: String,
    pub since_ms: i64,
    pub detail: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Snapshot {
    pub doors: Vec<DoorStatus>,
    pub offline_devices: Vec<String>,
    pub alarms: Vec<AlarmStatus>,
    pub people: usize,
    pub grants: usize,
    pub clock_jumped: bool,
    /// `cloud` once the cloud's signed time has been heard since the daemon started (decisions
    /// follow it), `wall` before.
    pub clock_source: &'static str,
    /// How far the wall clock is from the cloud's time (positive: ahead), once heard.
    pub wall_offset_ms: Option<i64>,
}

pub enum Msg {
    OneTap {
        cmd: SignedCommand,
        reply: oneshot::Sender<Result<Outcome, OneTapError>>,
    },
    Decide {
        req: AccessRequest,
        reply: oneshot::Sender<Outcome>,
    },
    /// A face at a face door that matched nobody (or was not live): logged, nothing opens.
    FaceRefused {
        door_id: String,
        reason: &'static str,
        reply: oneshot::Sender<Outcome>,
    },
    Gate(GateEvent),
    Alarm(AlarmEvent),
    Import {
        dir: Directory,
        reply: oneshot::Sender<Result<(usize, usize), StoreError>>,
    },
    /// A directory delta from the cloud: applied durably (one transaction with its cursor),
    /// then made visible to decisions.
    ApplyDelta {
        delta: crate::cloud::wire::DirectoryDelta,
        reply: oneshot::Sender<Result<(), StoreError>>,
    },
    SetMode {
        door_id: String,
        mode: DoorMode,
        reply: oneshot::Sender<Result<bool, StoreError>>,
    },
    Snapshot {
        reply: oneshot::Sender<Snapshot>,
    },
    /// An operator vouches that the wall clock is right now.
    ConfirmClock {
        reply: oneshot::Sender<i64>,
    },
    /// The cloud's signed time on one of its answers (`edge_sync::auth::verify_time`).
    CloudTime {
        reference: Reference,
        reply: Option<oneshot::Sender<()>>,
    },
    Tick,
}

#[derive(Clone, Debug)]
pub struct GatekeeperHandle {
    pub tx: mpsc::Sender<Msg>,
    time: BoxTime,
}

impl GatekeeperHandle {
    async fn ask<T>(&self, make: impl FnOnce(oneshot::Sender<T>) -> Msg) -> Option<T> {
        let (tx, rx) = oneshot::channel();
        self.tx.send(make(tx)).await.ok()?;
        rx.await.ok()
    }
    pub async fn one_tap(&self, cmd: SignedCommand) -> Option<Result<Outcome, OneTapError>> {
        self.ask(|reply| Msg::OneTap { cmd, reply }).await
    }
    pub async fn decide(&self, req: AccessRequest) -> Option<Outcome> {
        self.ask(|reply| Msg::Decide { req, reply }).await
    }
    pub async fn face_refused(&self, door_id: String, reason: &'static str) -> Option<Outcome> {
        self.ask(|reply| Msg::FaceRefused {
            door_id,
            reason,
            reply,
        })
        .await
    }
    pub async fn import(&self, dir: Directory) -> Option<Result<(usize, usize), StoreError>> {
        self.ask(|reply| Msg::Import { dir, reply }).await
    }
    pub async fn apply_delta(
        &self,
        delta: crate::cloud::wire::DirectoryDelta,
    ) -> Option<Result<(), StoreError>> {
        self.ask(|reply| Msg::ApplyDelta { delta, reply }).await
    }
    pub async fn set_mode(
        &self,
        door_id: String,
        mode: DoorMode,
    ) -> Option<Result<bool, StoreError>> {
        self.ask(|reply| Msg::SetMode {
            door_id,
            mode,
            reply,
        })
        .await
    }
    /// A handle whose gatekeeper never answers (tests of what waits on it).
    #[doc(hidden)]
    pub fn stalled_for_tests() -> (GatekeeperHandle, mpsc::Receiver<Msg>) {
        let (tx, rx) = mpsc::channel(16);
        let (_time_tx, time_rx) = tokio::sync::watch::channel(None);
        (
            GatekeeperHandle {
                tx,
                time: BoxTime::new(time_rx),
            },
            rx,
        )
    }

    /// The box's best guess of now (see [`BoxTime`]).
    pub fn time(&self) -> &BoxTime {
        &self.time
    }
    /// Hand over the cloud's time; `wait` returns only once it is in force (before re-signing a
    /// request the cloud refused for its time).
    pub async fn heard_cloud(&self, reference: Reference, wait: bool) {
        if wait {
            let _ = self
                .ask(|reply| Msg::CloudTime {
                    reference,
                    reply: Some(reply),
                })
                .await;
        } else {
            let _ = self.tx.try_send(Msg::CloudTime {
                reference,
                reply: None,
            });
        }
    }
    pub async fn confirm_clock(&self) -> Option<i64> {
        self.ask(|reply| Msg::ConfirmClock { reply }).await
    }
    pub async fn snapshot(&self) -> Option<Snapshot> {
        self.ask(|reply| Msg::Snapshot { reply }).await
    }
}

struct DoorRuntime {
    name: String,
    estate: String,
    device: String,
    monitor: Option<DoorMonitor>,
    contact: Option<bool>,
}

pub struct Gatekeeper {
    box_id: String,
    community: String,
    onetap_key: ed25519_dalek::VerifyingKey,
    engine: AccessEngine,
    clock: ClockGuard,
    clock_jumped: bool,
    alarms: AlarmBook,
    doors: HashMap<String, DoorRuntime>,
    drivers: HashMap<String, DriverHandle>,
    offline: std::collections::BTreeSet<String>,
    store: Store,
    writer: StoreWriter,
    rx: mpsc::Receiver<Msg>,
    last_high_water_save: u64,
    /// Where the cloud's reference is published for [`BoxTime`].
    time_tx: tokio::sync::watch::Sender<Option<Reference>>,
    /// What the event log keeps, and how full its unacknowledged part was at the last tick.
    retention: RetentionPolicy,
    pressure: OutboxPressure,
    last_trim: u64,
    trim_running: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

/// How often acknowledged records are checked against the retention age.
const TRIM_EVERY_MS: u64 = 60_000;

impl Gatekeeper {
    /// `restored` are the alarms that were active when the daemon stopped.
    pub fn new(
        cfg: &EdgeConfig,
        store: Store,
        writer: StoreWriter,
        drivers: HashMap<String, DriverHandle>,
        restored: &[ActiveAlarm],
    ) -> Result<(Gatekeeper, GatekeeperHandle), StoreError> {
        let mut engine = AccessEngine::new();
        for p in store.people()? {
            engine.upsert_person(p);
        }
        for g in store.grants()? {
            engine.upsert_grant(g);
        }
        for id in store.revoked_people()? {
            engine.revoke_person(&id);
        }
        let saved_modes: HashMap<String, DoorMode> = store.door_modes()?.into_iter().collect();
        let mut doors = HashMap::new();
        for d in &cfg.doors {
            let mode = saved_modes.get(&d.id).cloned().unwrap_or(DoorMode::Normal);
            engine.upsert_door(DoorInfo {
                id: d.id.clone(),
                estate: d.estate.clone(),
                mode,
            });
            let monitor = d.monitor_contact.then(|| {
                let mut m = DoorMonitor::new(
                    d.id.clone(),
                    d.held_open_seconds * 1000,
                    d.pulse_ms + GRANT_GRACE_EXTRA_MS,
                );
                m.door_mode(mode);
                for a in restored {
                    m.restore(a);
                }
                m
            });
            doors.insert(
                d.id.clone(),
                DoorRuntime {
                    name: d.name.clone(),
                    estate: d.estate.clone(),
                    device: d.device.clone(),
                    monitor,
                    contact: None,
                },
            );
        }
        let clock = ClockGuard::new(
            wall_ms(),
            mono_ms(),
            store.clock_high_water()?,
            cfg.monitor.clock_tolerance_ms,
        );
        let mut alarms = AlarmBook::default();
        let mut offline = std::collections::BTreeSet::new();
        for a in restored {
            if a.key.kind == AlarmKind::DeviceOffline {
                offline.insert(a.key.source.clone());
            }
            let _ = alarms.raise(a.key.clone(), a.severity, a.since, a.detail.clone());
        }
        let (tx, rx) = mpsc::channel(1024);
        let (time_tx, time_rx) = tokio::sync::watch::channel(None);
        let gk = Gatekeeper {
            box_id: cfg.identity.id.clone(),
            community: cfg.identity.community.clone(),
            onetap_key: cfg.onetap_key,
            engine,
            clock,
            clock_jumped: false,
            alarms,
            doors,
            drivers,
            offline,
            store,
            writer,
            rx,
            last_high_water_save: 0,
            time_tx,
            retention: cfg.store.retention(),
            // Outbox alarms restored as active carry on from where they were.
            pressure: restored
                .iter()
                .map(|a| match a.key.kind {
                    AlarmKind::OutboxFull => OutboxPressure::Full,
                    AlarmKind::OutboxNearlyFull => OutboxPressure::NearlyFull,
                    _ => OutboxPressure::Normal,
                })
                .max()
                .unwrap_or_default(),
            last_trim: 0,
            trim_running: Default::default(),
        };
        Ok((
            gk,
            GatekeeperHandle {
                tx,
                time: BoxTime::new(time_rx),
            },
        ))
    }

    pub async fn run(mut self) {
        // Doors left in emergency release (a fire alarm, an operator) are held released again:
        // drivers switch every relay off at start.
        let released: Vec<String> = self
            .doors
            .keys()
            .filter(|d| self.engine.door_mode(d) == Some(DoorMode::EmergencyRelease))
            .cloned()
            .collect();
        for d in released {
            self.hold(&d, true);
        }
        while let Some(msg) = self.rx.recv().await {
            self.handle(msg).await;
        }
        let _ = self.store.set_clock_high_water(self.clock.high_water());
        let _ = self.store.flush();
    }

    async fn handle(&mut self, msg: Msg) {
        match msg {
            Msg::OneTap { cmd, reply } => {
                let r = self.one_tap(cmd).await;
                let _ = reply.send(r);
            }
            Msg::Decide { req, reply } => {
                let out = self.decide(req, None).await;
                let _ = reply.send(out);
            }
            Msg::FaceRefused {
                door_id,
                reason,
                reply,
            } => {
                let out = self.face_refused(door_id, reason).await;
                let _ = reply.send(out);
            }
            Msg::Gate(ev) => self.gate_event(ev).await,
            Msg::Alarm(ev) => {
                match &ev {
                    AlarmEvent::Raised { key, .. } if key.kind == AlarmKind::DeviceOffline => {
                        self.offline.insert(key.source.clone());
                    }
                    AlarmEvent::Cleared { key, .. } if key.kind == AlarmKind::DeviceOffline => {
                        self.offline.remove(&key.source);
                    }
                    _ => {}
                }
                self.record_alarm(ev).await;
            }
            Msg::Import { dir, reply } => {
                let _ = reply.send(self.import(dir));
            }
            Msg::ApplyDelta { delta, reply } => {
                let _ = reply.send(self.apply_delta(delta));
            }
            Msg::SetMode {
                door_id,
                mode,
                reply,
            } => {
                let r = self.set_mode(&door_id, mode);
                let _ = reply.send(r);
            }
            Msg::Snapshot { reply } => {
                let _ = reply.send(self.snapshot());
            }
            Msg::ConfirmClock { reply } => {
                let (wall, mono) = (wall_ms(), mono_ms());
                self.clock.confirm(wall, mono);
                self.clock_jumped = false;
                let key = AlarmKey {
                    source: "box".into(),
                    kind: AlarmKind::ClockJump,
                };
                if let Some(ev) = self.alarms.clear(&key, wall) {
                    self.record_alarm(ev).await;
                }
                tracing::info!(wall_ms = wall, "wall clock confirmed by operator");
                let _ = reply.send(wall);
            }
            Msg::CloudTime { reference, reply } => {
                let first = self.clock.reference().is_none();
                self.clock.heard_cloud(reference);
                let _ = self.time_tx.send(self.clock.reference());
                if first {
                    let (wall, mono) = (wall_ms(), mono_ms());
                    tracing::info!(
                        wall_offset_ms = wall - self.clock.estimate(wall, mono),
                        uncertainty_ms = reference.latest - reference.earliest,
                        "the cloud's time heard; decisions follow it"
                    );
                }
                // Raise or end the clock alarm against the new reference at once.
                self.observe_clock().await;
                // The cloud's word is the best mark there is: kept at once the first time (a
                // box killed a second later and booted on a wrong clock still detects it), then
                // with the tick's rhythm.
                let mono = mono_ms();
                if first || mono.saturating_sub(self.last_high_water_save) >= 10_000 {
                    self.last_high_water_save = mono;
                    let saved = self
                        .store
                        .set_clock_high_water(self.clock.high_water())
                        .and_then(|()| if first { self.store.flush() } else { Ok(()) });
                    if let Err(e) = saved {
                        tracing::error!(error = %e, "cannot save clock high-water mark");
                    }
                }
                if let Some(reply) = reply {
                    let _ = reply.send(());
                }
            }
            Msg::Tick => self.tick().await,
        }
    }

    /// The event log against its retention policy (each tick, from counters: no scan). A trim
    /// round is asked of the store writer every minute, and at once while the log is over its
    /// budget with acknowledged records to take; the outbox alarms follow the unacknowledged
    /// bytes (`edge_rules::retention`).
    async fn watch_log(&mut self, mono: u64) {
        use std::sync::atomic::Ordering;
        let figures = self.store.log_figures();
        let over = figures.total_bytes > self.retention.max_bytes
            && figures.total_bytes > figures.unacked_bytes;
        if (over || mono.saturating_sub(self.last_trim) >= TRIM_EVERY_MS || self.last_trim == 0)
            && !self.trim_running.swap(true, Ordering::SeqCst)
        {
            self.last_trim = mono.max(1);
            let (writer, policy, now) = (self.writer.clone(), self.retention, self.now_ms());
            let running = self.trim_running.clone();
            tokio::spawn(async move {
                let _ = writer.trim(policy, now).await;
                running.store(false, Ordering::SeqCst);
            });
        }
        let before = self.pressure;
        let now = self.retention.pressure(figures, before);
        if now == before {
            return;
        }
        self.pressure = now;
        let at = self.now_ms();
        let detail = format!(
            "unacknowledged records use {} of the log's {} bytes",
            figures.unacked_bytes, self.retention.max_bytes
        );
        let key = |kind| AlarmKey {
            source: "box".into(),
            kind,
        };
        let mut events = Vec::new();
        if now >= OutboxPressure::NearlyFull {
            tracing::warn!(
                unacked_bytes = figures.unacked_bytes,
                max_log_bytes = self.retention.max_bytes,
                "outbox nearly full: the cloud has not taken the box's records"
            );
            events.extend(self.alarms.raise(
                key(AlarmKind::OutboxNearlyFull),
                Severity::Warning,
                at,
                detail.clone(),
            ));
        }
        if now == OutboxPressure::Full {
            tracing::error!(
                unacked_bytes = figures.unacked_bytes,
                max_log_bytes = self.retention.max_bytes,
                "outbox full: records are kept beyond the budget until the cloud takes them"
            );
            events.extend(self.alarms.raise(
                key(AlarmKind::OutboxFull),
                Severity::Critical,
                at,
                detail,
            ));
        }
        if now == OutboxPressure::Normal {
            tracing::info!(
                unacked_bytes = figures.unacked_bytes,
                "outbox back under its lines"
            );
            events.extend(self.alarms.clear(&key(AlarmKind::OutboxFull), at));
            events.extend(self.alarms.clear(&key(AlarmKind::OutboxNearlyFull), at));
        }
        for e in events {
            self.record_alarm(e).await;
        }
    }

    /// The best guess of now for stamping records (the cloud's reference once heard).
    fn now_ms(&self) -> i64 {
        self.clock.estimate(wall_ms(), mono_ms())
    }

    async fn one_tap(&mut self, cmd: SignedCommand) -> Result<Outcome, OneTapError> {
        let tv = self.observe_clock().await;
        let verified = cmd.verify(&self.onetap_key, &self.community, tv.earliest, tv.latest)?;
        let c = verified.0;
        if !self
            .store
            .mark_command_used(c.command_id, c.expires_at_ms)?
        {
            return Err(OneTapError::Replayed);
        }
        let req = AccessRequest {
            door_id: c.door_id,
            person_id: c.person_id,
            method: Method::OneTap,
        };
        Ok(self.decide(req, Some(c.command_id)).await)
    }

    async fn observe_clock(&mut self) -> crate::clock::TimeView {
        let (wall, mono) = (wall_ms(), mono_ms());
        let tv = self.clock.observe(wall, mono);
        let referenced = self.clock.reference().is_some();
        let at = self.clock.estimate(wall, mono);
        if let Some(jump) = tv.jump {
            self.clock_jumped = true;
            if referenced {
                tracing::warn!(
                    delta_ms = jump.delta_ms,
                    "the wall clock is off the cloud's time; decisions follow the cloud's time (fix NTP)"
                );
            } else {
                tracing::warn!(
                    delta_ms = jump.delta_ms,
                    "wall clock jumped; visitor windows narrowed until the cloud answers or the time is confirmed"
                );
            }
            let ev = self.alarms.raise(
                AlarmKey {
                    source: "box".into(),
                    kind: AlarmKind::ClockJump,
                },
                Severity::Warning,
                at,
                if referenced {
                    format!("wall clock is {} ms off the cloud's time", jump.delta_ms)
                } else {
                    format!(
                        "wall clock moved {} ms against the monotonic clock",
                        jump.delta_ms
                    )
                },
            );
            if let Some(ev) = ev {
                self.record_alarm(ev).await;
            }
        } else if self.clock.wall_agrees() {
            // The clocks agree again (e.g. the wall clock was set right, or a restart found no
            // jump, or it agrees with the cloud's time): the alarm ends by itself; a
            // confirmation is not needed for that.
            let key = AlarmKey {
                source: "box".into(),
                kind: AlarmKind::ClockJump,
            };
            if self.alarms.is_active(&key) {
                self.clock_jumped = false;
                if let Some(ev) = self.alarms.clear(&key, at) {
                    self.record_alarm(ev).await;
                }
            }
        }
        tv
    }

    async fn decide(&mut self, req: AccessRequest, command_id: Option<Uuid>) -> Outcome {
        let asked = std::time::Instant::now();
        let tv = self.observe_clock().await;
        let decision = self.engine.decide(&req, &tv);
        let record_id = Uuid::now_v7();
        let rec = PassRecordV1::from_decision(
            record_id,
            self.now_ms(),
            &self.box_id,
            &req,
            &decision,
            command_id,
        );
        let written = match self.writer.enqueue(OutboxItemV1::Pass(rec)).await {
            Ok(rx) => rx,
            Err(e) => {
                let (tx, rx) = oneshot::channel();
                let _ = tx.send(Err(e.to_string()));
                rx
            }
        };
        // The relay is driven only once the record is on disk: a door never opens for a pass
        // the log could lose in a crash. The wait runs on its own task, so the gatekeeper goes
        // on deciding (and the writer's group commit gathers the next decisions meanwhile).
        let driver = match &decision {
            Decision::Allow { actuate: true, .. } => {
                self.doors.get_mut(&req.door_id).and_then(|d| {
                    if let Some(m) = d.monitor.as_mut() {
                        m.granted_open(mono_ms());
                    }
                    self.drivers
                        .get(&d.device)
                        .cloned()
                        .map(|h| (h, d.device.clone()))
                })
            }
            _ => None,
        };
        let (durable_tx, durable) = oneshot::channel();
        let (open_tx, opened) = match driver {
            Some(_) => {
                let (tx, rx) = oneshot::channel();
                (Some(tx), Some(rx))
            }
            None => (None, None),
        };
        let door = req.door_id.clone();
        let m = crate::metrics::get();
        m.decision(
            crate::store::records::method_code(&req.method),
            decision.is_allowed(),
            decision.reason_code(),
        );
        tokio::spawn(async move {
            let r = written
                .await
                .unwrap_or_else(|_| Err("store writer stopped".to_string()));
            let recorded = r.is_ok();
            let _ = durable_tx.send(r);
            let durable_at = std::time::Instant::now();
            if recorded {
                m.decision_seconds
                    .observe(durable_at.duration_since(asked).as_secs_f64());
            }
            if let (Some((h, device)), Some(open_tx)) = (driver, open_tx) {
                let res = if recorded {
                    h.open(&door)
                        .await
                        .unwrap_or(Err(GateError::BusGone { bus: device }))
                } else {
                    Err(GateError::NotRecorded { device })
                };
                if res.is_ok() {
                    m.relay_seconds.observe(durable_at.elapsed().as_secs_f64());
                }
                let _ = open_tx.send(res);
            }
        });
        tracing::info!(
            door = %req.door_id,
            method = crate::store::records::method_code(&req.method),
            allowed = decision.is_allowed(),
            reason = decision.reason_code(),
            record = %record_id,
            "access decision"
        );
        Outcome {
            record_id,
            decision,
            durable,
            opened,
        }
    }

    async fn face_refused(&mut self, door_id: String, reason: &'static str) -> Outcome {
        let record_id = Uuid::now_v7();
        let rec = PassRecordV1 {
            v: crate::store::records::RECORD_VERSION,
            id: record_id,
            at_ms: self.now_ms(),
            box_id: self.box_id.clone(),
            door_id: door_id.clone(),
            person_id: String::new(),
            method: "face".into(),
            allowed: false,
            reason: reason.into(),
            grant_id: None,
            command_id: None,
        };
        let durable = match self.writer.enqueue(OutboxItemV1::Pass(rec)).await {
            Ok(rx) => rx,
            Err(e) => {
                let (tx, rx) = oneshot::channel();
                let _ = tx.send(Err(e.to_string()));
                rx
            }
        };
        crate::metrics::get().decision("face", false, reason);
        tracing::info!(door = %door_id, method = "face", allowed = false, reason, record = %record_id, "access decision");
        Outcome {
            record_id,
            decision: Decision::Deny {
                reason: crate::access::DenyReason::UnknownPerson,
            },
            durable,
            opened: None,
        }
    }

    async fn gate_event(&mut self, ev: GateEvent) {
        let (mono, wall) = (mono_ms(), self.now_ms());
        let mut events = Vec::new();
        match ev {
            GateEvent::Contact { door_id, open } => {
                if let Some(d) = self.doors.get_mut(&door_id) {
                    d.contact = Some(open);
                    if let Some(m) = d.monitor.as_mut() {
                        events = m.contact(open, mono, wall);
                    }
                }
            }
            GateEvent::ContactUnknown { door_id } => {
                if let Some(d) = self.doors.get_mut(&door_id) {
                    d.contact = None;
                    if let Some(m) = d.monitor.as_mut() {
                        m.contact_unknown();
                    }
                }
            }
            GateEvent::DeviceFlags {
                device_id,
                fault,
                tamper,
            } => {
                let fkey = AlarmKey {
                    source: device_id.clone(),
                    kind: AlarmKind::DeviceFault,
                };
                let tkey = AlarmKey {
                    source: device_id,
                    kind: AlarmKind::Tamper,
                };
                events.extend(match fault {
                    Some(detail) => self.alarms.raise(fkey, Severity::Major, wall, detail),
                    None => self.alarms.clear(&fkey, wall),
                });
                events.extend(match tamper {
                    Some(true) => {
                        self.alarms
                            .raise(tkey, Severity::Critical, wall, "tamper input active")
                    }
                    Some(false) => self.alarms.clear(&tkey, wall),
                    None => None,
                });
            }
        }
        for e in events {
            self.record_alarm(e).await;
        }
    }

    async fn record_alarm(&mut self, ev: AlarmEvent) {
        // Door monitors and device health keep their own state; the book mirrors what is active
        // for the status API (raise/clear here are idempotent for keys already tracked).
        match &ev {
            AlarmEvent::Raised {
                key,
                severity,
                at,
                detail,
            } => {
                let _ = self
                    .alarms
                    .raise(key.clone(), *severity, *at, detail.clone());
                tracing::warn!(source = %key.source, kind = key.kind.code(), detail = %detail, "alarm raised");
            }
            AlarmEvent::Cleared { key, at } => {
                let _ = self.alarms.clear(key, *at);
                tracing::info!(source = %key.source, kind = key.kind.code(), "alarm cleared");
            }
        }
        let active: Vec<AlarmRecordV1> = self
            .alarms
            .active()
            .map(|a| AlarmRecordV1::from_active(&self.box_id, a))
            .collect();
        if let Err(e) = self.store.save_active_alarms(&active) {
            tracing::error!(error = %e, "cannot save the active alarm set");
        }
        let rec = AlarmRecordV1::from_event(Uuid::now_v7(), &self.box_id, &ev);
        match self.writer.enqueue(OutboxItemV1::Alarm(rec)).await {
            Ok(rx) => {
                // Alarms are not waited on here (this task must not stall); a failed commit is
                // logged by the writer.
                drop(rx);
            }
            Err(e) => tracing::error!(error = %e, "alarm not recorded"),
        }
    }

    fn import(&mut self, dir: Directory) -> Result<(usize, usize), StoreError> {
        // Durable first, then visible to decisions.
        self.store.put_people(&dir.people)?;
        self.store.put_grants(&dir.grants)?;
        for id in &dir.revoked_people {
            self.store.set_revoked(id, true)?;
        }
        self.store.flush()?;
        let counts = (dir.people.len(), dir.grants.len());
        for p in dir.people {
            self.engine.upsert_person(p);
        }
        for g in dir.grants {
            self.engine.upsert_grant(g);
        }
        for id in dir.revoked_people {
            self.engine.revoke_person(&id);
        }
        tracing::info!(people = counts.0, grants = counts.1, "directory imported");
        Ok(counts)
    }

    fn apply_delta(&mut self, d: crate::cloud::wire::DirectoryDelta) -> Result<(), StoreError> {
        // Modes only for doors this box drives; others are the cloud's business.
        let modes: Vec<(String, DoorMode)> = d
            .door_modes
            .into_iter()
            .filter(|(id, _)| self.doors.contains_key(id))
            .collect();
        self.store
            .apply_delta(&crate::store::directory::DeltaWrite {
                people: &d.people,
                removed_people: &d.removed_people,
                grants: &d.grants,
                door_modes: &modes,
                sensors: &d.sensors,
                face_photos: &d.face_photos,
                alarm_actions: &d.alarm_actions,
                cursor: d.cursor,
            })?;
        let counts = (d.people.len(), d.removed_people.len(), d.grants.len());
        for p in d.people {
            self.engine.upsert_person(p);
        }
        for id in &d.removed_people {
            self.engine.remove_person(id);
        }
        for g in d.grants {
            self.engine.upsert_grant(g);
        }
        for (door, mode) in modes {
            let before = self.engine.door_mode(&door);
            self.engine.set_door_mode(&door, mode);
            if let Some(m) = self.doors.get_mut(&door).and_then(|x| x.monitor.as_mut()) {
                m.door_mode(mode);
            }
            match (
                before == Some(DoorMode::EmergencyRelease),
                mode == DoorMode::EmergencyRelease,
            ) {
                (false, true) => self.hold(&door, true),
                (true, false) => self.hold(&door, false),
                _ => {}
            }
        }
        tracing::info!(
            people = counts.0,
            removed = counts.1,
            grants = counts.2,
            cursor = d.cursor,
            "directory delta applied"
        );
        Ok(())
    }

    /// Ask the door's driver to hold it released or to end the hold. The outcome is logged by
    /// a small task (the gatekeeper does not wait for the bus); an unreachable controller also
    /// shows as its `device_offline` alarm.
    fn hold(&self, door_id: &str, on: bool) {
        let Some(driver) = self
            .doors
            .get(door_id)
            .and_then(|d| self.drivers.get(&d.device))
        else {
            return;
        };
        let rx = driver.hold(door_id, on);
        let door = door_id.to_string();
        tokio::spawn(async move {
            match rx.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    tracing::error!(door = %door, on, error = %e, "could not change the door's emergency hold")
                }
                Err(_) => {
                    tracing::error!(door = %door, on, "driver gone while changing the emergency hold")
                }
            }
        });
    }

    fn set_mode(&mut self, door_id: &str, mode: DoorMode) -> Result<bool, StoreError> {
        if !self.doors.contains_key(door_id) {
            return Ok(false);
        }
        let before = self.engine.door_mode(door_id);
        self.store.set_door_mode(door_id, mode)?;
        self.engine.set_door_mode(door_id, mode);
        match (
            before == Some(DoorMode::EmergencyRelease),
            mode == DoorMode::EmergencyRelease,
        ) {
            (false, true) => self.hold(door_id, true),
            (true, false) => self.hold(door_id, false),
            _ => {}
        }
        if let Some(m) = self.doors.get_mut(door_id).and_then(|d| d.monitor.as_mut()) {
            m.door_mode(mode);
        }
        tracing::info!(door = door_id, mode = ?mode, "door mode changed");
        Ok(true)
    }

    fn snapshot(&self) -> Snapshot {
        let mut doors: Vec<DoorStatus> = self
            .doors
            .iter()
            .map(|(id, d)| DoorStatus {
                id: id.clone(),
                name: d.name.clone(),
                estate: d.estate.clone(),
                device: d.device.clone(),
                mode: crate::cloud::wire::door_mode_code(
                    self.engine.door_mode(id).unwrap_or(DoorMode::Normal),
                )
                .to_string(),
                contact: match d.contact {
                    Some(true) => "open",
                    Some(false) => "closed",
                    None => "unknown",
                }
                .into(),
            })
            .collect();
        doors.sort_by(|a, b| a.id.cmp(&b.id));
        let mut alarms: Vec<AlarmStatus> = self
            .alarms
            .active()
            .map(|a| AlarmStatus {
                source: a.key.source.clone(),
                kind: a.key.kind.code().into(),
                severity: crate::store::records::severity_code(a.severity).into(),
                since_ms: a.since,
                detail: a.detail.clone(),
            })
            .collect();
        alarms.sort_by(|a, b| (a.since_ms, &a.source).cmp(&(b.since_ms, &b.source)));
        Snapshot {
            doors,
            offline_devices: self.offline.iter().cloned().collect(),
            alarms,
            people: self.engine.people_count(),
            grants: self.engine.grant_count(),
            clock_jumped: self.clock_jumped,
            clock_source: if self.clock.reference().is_some() {
                "cloud"
            } else {
                "wall"
            },
            wall_offset_ms: self.clock.reference().map(|_| {
                let (wall, mono) = (wall_ms(), mono_ms());
                wall - self.clock.estimate(wall, mono)
            }),
        }
    }

    async fn tick(&mut self) {
        let (mono, wall) = (mono_ms(), self.now_ms());
        let mut events = Vec::new();
        for d in self.doors.values_mut() {
            if let Some(m) = d.monitor.as_mut() {
                events.extend(m.tick(mono, wall));
            }
        }
        for e in events {
            self.record_alarm(e).await;
        }
        let tv = self.observe_clock().await;
        self.watch_log(mono).await;
        if mono.saturating_sub(self.last_high_water_save) >= 10_000 {
            self.last_high_water_save = mono;
            if let Err(e) = self.store.set_clock_high_water(self.clock.high_water()) {
                tracing::error!(error = %e, "cannot save clock high-water mark");
            }
            if let Err(e) = self.store.prune_command_marks(tv.earliest) {
                tracing::error!(error = %e, "cannot prune one-tap replay marks");
            }
        }
    }
}
