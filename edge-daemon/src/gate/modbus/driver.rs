//! One task per gate controller: opens doors the way its profile says (pulse a relay coil, or
//! write an open-command register), guarantees a pulsed relay is switched off again, and polls the
//! controller's door contacts and fault/tamper points, reporting what it sees as [`GateEvent`]s.
//! All wire traffic goes through the bus owner's queue.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;

use super::bus::{BusHandle, GateError, Op, Reply};
use crate::config::gate_profile::{DeviceProfile, OpenMethod, Point, PointKind, PointRole};
use crate::config::EdgeConfig;

/// What a driver reports to the gatekeeper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GateEvent {
    Contact {
        door_id: String,
        open: bool,
    },
    /// The contact could not be read (device or link down).
    ContactUnknown {
        door_id: String,
    },
    /// Device-reported conditions, read from the profile's fault/tamper points or an exception.
    /// `tamper: None` = not read this time (leave the tamper alarm as it is).
    DeviceFlags {
        device_id: String,
        fault: Option<String>,
        tamper: Option<bool>,
    },
}

#[derive(Debug)]
pub enum DriverCmd {
    Open {
        door_id: String,
        /// An open still queued after this is dropped: nobody is waiting for that door anymore.
        deadline: Instant,
        reply: oneshot::Sender<Result<(), GateError>>,
    },
    /// Hold the door released (emergency release, fire) or end the hold.
    Hold {
        door_id: String,
        on: bool,
        reply: oneshot::Sender<Result<(), GateError>>,
    },
}

#[derive(Clone, Debug)]
pub struct DriverHandle {
    pub device_id: String,
    tx: mpsc::Sender<DriverCmd>,
}

impl DriverHandle {
    /// Ask for a door to be opened; returns the receiver of the outcome without waiting for it.
    pub fn open(&self, door_id: &str) -> oneshot::Receiver<Result<(), GateError>> {
        let (reply, rx) = oneshot::channel();
        if let Err(e) = self.tx.try_send(DriverCmd::Open {
            door_id: door_id.to_string(),
            deadline: Instant::now() + OPEN_DEADLINE,
            reply,
        }) {
            self.refuse(e.into_inner());
        }
        rx
    }

    /// Hold a door released (`on`) or end the hold; returns the receiver of the outcome.
    pub fn hold(&self, door_id: &str, on: bool) -> oneshot::Receiver<Result<(), GateError>> {
        let (reply, rx) = oneshot::channel();
        if let Err(e) = self.tx.try_send(DriverCmd::Hold {
            door_id: door_id.to_string(),
            on,
            reply,
        }) {
            self.refuse(e.into_inner());
        }
        rx
    }

    fn refuse(&self, cmd: DriverCmd) {
        let (DriverCmd::Open { reply, .. } | DriverCmd::Hold { reply, .. }) = cmd;
        let _ = reply.send(Err(GateError::Busy {
            device: self.device_id.clone(),
        }));
    }
}

/// How long an open command may wait in the driver's queue before it is refused as stale.
const OPEN_DEADLINE: Duration = Duration::from_secs(5);

struct Output {
    point: Point,
    pulse: Duration,
}

/// A contact this driver reads for a door (possibly a door driven by another device).
struct Contact {
    door_id: String,
    point: Point,
}

pub struct DeviceDriver {
    device_id: String,
    bus: BusHandle,
    open: OpenMethod,
    outputs: BTreeMap<String, Output>,
    contacts: Vec<Contact>,
    faults: Vec<Point>,
    tampers: Vec<Point>,
    poll_every: Duration,
    /// Relay coils currently on, with the instant they must go off.
    pulses: BTreeMap<u16, Instant>,
    /// Relays whose switch-off failed at least once (so the error is logged once, not per retry).
    failing_off: BTreeSet<u16>,
    /// Relays held on (emergency release): no pulse ends them; they stay on through a stop.
    held: BTreeSet<u16>,
    events: mpsc::Sender<GateEvent>,
    cmds: mpsc::Receiver<DriverCmd>,
}

impl DeviceDriver {
    pub fn new(
        cfg: &EdgeConfig,
        device_id: &str,
        bus: BusHandle,
        events: mpsc::Sender<GateEvent>,
    ) -> Option<(DeviceDriver, DriverHandle)> {
        let profile: &DeviceProfile = cfg.profile_of(device_id)?;
        let open_role = profile.open_role();
        let mut outputs = BTreeMap::new();
        let mut contacts = Vec::new();
        for door in &cfg.doors {
            if door.device == device_id {
                if let Some(p) = profile.point(open_role, Some(door.channel)) {
                    outputs.insert(
                        door.id.clone(),
                        Output {
                            point: p.clone(),
                            pulse: Duration::from_millis(door.pulse_ms),
                        },
                    );
                }
            }
            let cdev = door.contact_device.as_deref().unwrap_or(&door.device);
            if door.monitor_contact && cdev == device_id {
                let ch = door.contact_channel.unwrap_or(door.channel);
                if let Some(p) = profile.point(PointRole::DoorContact, Some(ch)) {
                    contacts.push(Contact {
                        door_id: door.id.clone(),
                        point: p.clone(),
                    });
                }
            }
        }
        let of_role = |r: PointRole| -> Vec<Point> {
            profile
                .points
                .iter()
                .filter(|p| p.role == r)
                .cloned()
                .collect()
        };
        let (tx, cmds) = mpsc::channel(64);
        let driver = DeviceDriver {
            device_id: device_id.to_string(),
            bus,
            open: profile.open.clone(),
            outputs,
            contacts,
            faults: of_role(PointRole::Fault),
            tampers: of_role(PointRole::Tamper),
            poll_every: Duration::from_millis(cfg.monitor.poll_interval_ms),
            pulses: BTreeMap::new(),
            failing_off: BTreeSet::new(),
            held: BTreeSet::new(),
            events,
            cmds,
        };
        let handle = DriverHandle {
            device_id: device_id.to_string(),
            tx,
        };
        Some((driver, handle))
    }

    /// Serve until `shutdown` turns true (or every handle is gone), then switch relays off.
    pub async fn run(mut self, mut shutdown: watch::Receiver<bool>) {
        // Safe state at start: a crash mid-pulse may have left a relay on, so every relay this
        // driver pulses is switched off first (retried like any pulse end if the device is down).
        if matches!(self.open, OpenMethod::PulseCoil) {
            let now = Instant::now();
            let addrs: Vec<u16> = self.outputs.values().map(|o| o.point.address).collect();
            for addr in addrs {
                self.pulses.insert(addr, now);
            }
        }
        let mut poll = tokio::time::interval(self.poll_every);
        poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let next_off = self.pulses.values().min().copied();
            tokio::select! {
                biased;
                cmd = self.cmds.recv() => match cmd {
                    Some(DriverCmd::Open { door_id, deadline, reply }) => {
                        let r = if Instant::now() > deadline {
                            Err(GateError::Busy { device: self.device_id.clone() })
                        } else {
                            self.open_door(&door_id).await
                        };
                        let _ = reply.send(r);
                    }
                    Some(DriverCmd::Hold { door_id, on, reply }) => {
                        let r = self.hold_door(&door_id, on).await;
                        let _ = reply.send(r);
                    }
                    None => break,
                },
                _ = sleep_until_opt(next_off) => self.end_due_pulses().await,
                _ = shutdown.changed() => break,
                _ = poll.tick() => self.poll().await,
            }
        }
        // Leave no relay energised when shutting down: one attempt each.
        self.pulses.values_mut().for_each(|t| *t = Instant::now());
        self.end_due_pulses().await;
        if !self.pulses.is_empty() {
            tracing::error!(device = %self.device_id, relays = self.pulses.len(), "stopping with relays possibly on; they are switched off at next start");
        }
    }

    async fn open_door(&mut self, door_id: &str) -> Result<(), GateError> {
        let Some(out) = self.outputs.get(door_id) else {
            return Err(GateError::Link {
                device: self.device_id.clone(),
                reason: format!("door `{door_id}` is not driven by this device"),
            });
        };
        let addr = out.point.address;
        let pulse = out.pulse;
        match self.open {
            // Held released already: nothing to pulse, and no pulse may end the hold.
            OpenMethod::PulseCoil if self.held.contains(&addr) => {}
            OpenMethod::PulseCoil => {
                // Schedule the switch-off before the switch-on: if the relay closes but its reply
                // is lost, the off-write still follows (and is retried until it succeeds).
                // A second open while the relay is on extends the pulse.
                self.pulses.insert(addr, Instant::now() + pulse);
                self.bus
                    .request(&self.device_id, Op::WriteCoil { addr, on: true }, true)
                    .await?;
                self.pulses.insert(addr, Instant::now() + pulse);
                tracing::debug!(device = %self.device_id, door = door_id, coil = addr, pulse_ms = pulse.as_millis() as u64, "relay on");
            }
            OpenMethod::WriteRegister { value } => {
                self.bus
                    .request(&self.device_id, Op::WriteRegister { addr, value }, true)
                    .await?;
            }
        }
        Ok(())
    }

    async fn hold_door(&mut self, door_id: &str, on: bool) -> Result<(), GateError> {
        let Some(out) = self.outputs.get(door_id) else {
            return Err(GateError::Link {
                device: self.device_id.clone(),
                reason: format!("door `{door_id}` is not driven by this device"),
            });
        };
        let addr = out.point.address;
        if !matches!(self.open, OpenMethod::PulseCoil) {
            return Err(GateError::CannotHold {
                device: self.device_id.clone(),
            });
        }
        if on {
            // Remembered before the write: if the reply is lost, no pulse end switches it off.
            self.held.insert(addr);
            self.pulses.remove(&addr);
            self.bus
                .request(&self.device_id, Op::WriteCoil { addr, on: true }, true)
                .await?;
            tracing::warn!(device = %self.device_id, door = door_id, coil = addr, "door held released");
        } else if self.held.remove(&addr) {
            // Ended like a pulse: retried until the relay is off.
            self.pulses.insert(addr, Instant::now());
            self.end_due_pulses().await;
            tracing::info!(device = %self.device_id, door = door_id, coil = addr, "door hold ended");
        }
        Ok(())
    }

    async fn end_due_pulses(&mut self) {
        let now = Instant::now();
        let due: Vec<u16> = self
            .pulses
            .iter()
            .filter(|(_, t)| **t <= now)
            .map(|(a, _)| *a)
            .collect();
        for addr in due {
            match self
                .bus
                .request(&self.device_id, Op::WriteCoil { addr, on: false }, true)
                .await
            {
                Ok(_) => {
                    self.pulses.remove(&addr);
                    if self.failing_off.remove(&addr) {
                        tracing::info!(device = %self.device_id, coil = addr, "relay finally switched off");
                    }
                    tracing::debug!(device = %self.device_id, coil = addr, "relay off");
                }
                Err(e) => {
                    // A relay stuck on leaves a door unlocked: keep trying; say so once.
                    if self.failing_off.insert(addr) {
                        tracing::error!(device = %self.device_id, coil = addr, error = %e, "cannot switch relay off; retrying every 250 ms");
                    }
                    self.pulses.insert(addr, now + Duration::from_millis(250));
                }
            }
        }
    }

    async fn poll(&mut self) {
        let mut points: Vec<&Point> = self.contacts.iter().map(|c| &c.point).collect();
        points.extend(self.faults.iter());
        points.extend(self.tampers.iter());
        if points.is_empty() {
            return;
        }
        let mut values: BTreeMap<(PointKind, u16), u16> = BTreeMap::new();
        let mut failure: Option<GateError> = None;
        for kind in PointKind::ALL {
            let addrs: Vec<u16> = points
                .iter()
                .filter(|p| p.kind == kind)
                .map(|p| p.address)
                .collect();
            let (Some(lo), Some(hi)) = (addrs.iter().min(), addrs.iter().max()) else {
                continue;
            };
            // Profiles keep each kind's span within one Modbus read (validated at load).
            let count = hi.saturating_sub(*lo).saturating_add(1);
            let op = match kind {
                PointKind::Coil => Op::ReadCoils { addr: *lo, count },
                PointKind::DiscreteInput => Op::ReadDiscreteInputs { addr: *lo, count },
                PointKind::HoldingRegister => Op::ReadHoldingRegisters { addr: *lo, count },
                PointKind::InputRegister => Op::ReadInputRegisters { addr: *lo, count },
            };
            match self.bus.request(&self.device_id, op, false).await {
                Ok(Reply::Bits(bits)) => {
                    for (i, b) in bits.iter().enumerate().take(count as usize) {
                        values.insert((kind, lo + i as u16), u16::from(*b));
                    }
                }
                Ok(Reply::Words(words)) => {
                    for (i, w) in words.iter().enumerate().take(count as usize) {
                        values.insert((kind, lo + i as u16), *w);
                    }
                }
                Ok(Reply::Written) => {}
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        let read = |p: &Point| values.get(&(p.kind, p.address)).map(|v| p.is_active(*v));
        match failure {
            Some(GateError::Exception { code, .. }) => {
                // The device is there but refuses our reads: report it as a device fault.
                self.emit_contacts_unknown().await;
                let _ = self
                    .events
                    .send(GateEvent::DeviceFlags {
                        device_id: self.device_id.clone(),
                        fault: Some(format!("exception reply to poll: {code}")),
                        tamper: None,
                    })
                    .await;
            }
            Some(_) => self.emit_contacts_unknown().await,
            None => {
                for c in &self.contacts {
                    if let Some(open) = read(&c.point) {
                        let _ = self
                            .events
                            .send(GateEvent::Contact {
                                door_id: c.door_id.clone(),
                                open,
                            })
                            .await;
                    }
                }
                let fault = self
                    .faults
                    .iter()
                    .find(|p| read(p) == Some(true))
                    .map(|p| format!("fault point `{}` active", p.name));
                let tamper = self.tampers.iter().any(|p| read(p) == Some(true));
                let _ = self
                    .events
                    .send(GateEvent::DeviceFlags {
                        device_id: self.device_id.clone(),
                        fault,
                        tamper: (!self.tampers.is_empty()).then_some(tamper),
                    })
                    .await;
            }
        }
    }

    async fn emit_contacts_unknown(&self) {
        for c in &self.contacts {
            let _ = self
                .events
                .send(GateEvent::ContactUnknown {
                    door_id: c.door_id.clone(),
                })
                .await;
        }
    }
}

async fn sleep_until_opt(t: Option<Instant>) {
    match t {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}
