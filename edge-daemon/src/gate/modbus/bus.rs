//! The bus owner: the only code that reads or writes a given serial port / TCP connection.
//!
//! Requests from device drivers arrive on two queues — urgent (door writes) and routine
//! (polls) — and are served one at a time, urgent first. Each request has a timeout and bounded
//! retries with backoff. A slave that keeps failing is declared offline (alarm) and then only
//! probed once per `probe_interval_ms`: its other requests fail at once, so one dead slave cannot
//! stall the others on a shared RS-485 line. After any link error the port or socket is closed
//! and reopened on the next request (a USB adapter that was unplugged comes back this way; a late
//! reply can never be mistaken for the answer to the next request).

use std::collections::HashMap;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio_modbus::client::{Context, Reader, Writer};
use tokio_modbus::prelude::SlaveContext;
use tokio_modbus::Slave;

use crate::alarm::{ActiveAlarm, AlarmEvent, DeviceHealth};
use crate::config::gate_profile::Parity;
use crate::config::{BusKey, BusPlan, EdgeConfig, SerialSettings};
use crate::os_clock::{mono_ms, wall_ms};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    ReadCoils { addr: u16, count: u16 },
    ReadDiscreteInputs { addr: u16, count: u16 },
    ReadHoldingRegisters { addr: u16, count: u16 },
    ReadInputRegisters { addr: u16, count: u16 },
    WriteCoil { addr: u16, on: bool },
    WriteRegister { addr: u16, value: u16 },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Bits(Vec<bool>),
    Words(Vec<u16>),
    Written,
}

/// Why a request failed. `Exception` is the device answering "no" (a device fault);
/// `Link` is the wire or the socket failing; `Offline` is the owner refusing to wait on a slave
/// it already knows is dead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GateError {
    #[error("device `{device}` answered with Modbus exception: {code}")]
    Exception { device: String, code: String },
    #[error("link to device `{device}` failed: {reason}")]
    Link { device: String, reason: String },
    #[error("device `{device}` is offline (retried every {probe_interval_ms} ms)")]
    Offline {
        device: String,
        probe_interval_ms: u64,
    },
    #[error("the owner of bus {bus} has stopped")]
    BusGone { bus: String },
    #[error("device `{device}` is busy (command queue full)")]
    Busy { device: String },
    #[error("device `{device}` cannot hold a door open (its profile opens by a one-shot register write)")]
    CannotHold { device: String },
    #[error("door on device `{device}` not driven: the pass could not be recorded")]
    NotRecorded { device: String },
}

/// Per-slave request parameters, from the device's profile.
#[derive(Debug, Clone)]
pub struct SlaveParams {
    pub device: String,
    pub slave: u8,
    pub timeout: Duration,
    pub retries: u32,
    pub inter_frame_delay: Duration,
}

struct Request {
    device: String,
    op: Op,
    reply: oneshot::Sender<Result<Reply, GateError>>,
}

/// A cheap handle drivers use to queue requests on a bus.
#[derive(Clone, Debug)]
pub struct BusHandle {
    name: String,
    urgent: mpsc::Sender<Request>,
    routine: mpsc::Sender<Request>,
}

impl BusHandle {
    /// Queue a request; `urgent` ones (door writes) are served before queued polls.
    pub async fn request(&self, device: &str, op: Op, urgent: bool) -> Result<Reply, GateError> {
        let (tx, rx) = oneshot::channel();
        let q = if urgent { &self.urgent } else { &self.routine };
        let gone = || GateError::BusGone {
            bus: self.name.clone(),
        };
        q.send(Request {
            device: device.to_string(),
            op,
            reply: tx,
        })
        .await
        .map_err(|_| gone())?;
        rx.await.map_err(|_| gone())?
    }
}

pub struct BusOwner {
    key: BusKey,
    serial: Option<SerialSettings>,
    slaves: HashMap<String, (SlaveParams, DeviceHealth)>,
    probe_interval_ms: u64,
    ctx: Option<Context>,
    /// The line must stay silent until then (the last slave's inter-frame quiet time).
    quiet_until: Option<tokio::time::Instant>,
    /// When the last (re)connect failed; reconnects are spaced so a missing port is not hammered.
    last_connect_failure_ms: Option<u64>,
    alarms: mpsc::Sender<AlarmEvent>,
    urgent: mpsc::Receiver<Request>,
    routine: mpsc::Receiver<Request>,
}

const RECONNECT_SPACING_MS: u64 = 500;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

impl BusOwner {
    /// Build the owner for one bus and the handle drivers use. Run it with [`BusOwner::run`].
    /// `restored`: alarms active at the last stop; a device that was offline stays offline
    /// (probed, not waited on) until it answers, and its alarm is then cleared.
    pub fn new(
        plan: &BusPlan,
        cfg: &EdgeConfig,
        alarms: mpsc::Sender<AlarmEvent>,
        restored: &[ActiveAlarm],
    ) -> (BusOwner, BusHandle) {
        let (utx, urx) = mpsc::channel(256);
        let (rtx, rrx) = mpsc::channel(256);
        let mut slaves = HashMap::new();
        for dev_id in &plan.devices {
            let (Some(dev), Some(profile)) = (cfg.device(dev_id), cfg.profile_of(dev_id)) else {
                continue;
            };
            let params = SlaveParams {
                device: dev.id.clone(),
                slave: dev.slave_id,
                timeout: Duration::from_millis(profile.timing.response_timeout_ms),
                retries: profile.timing.max_retries,
                inter_frame_delay: Duration::from_millis(profile.timing.inter_frame_delay_ms),
            };
            let mut health = DeviceHealth::new(
                dev.id.clone(),
                cfg.monitor.offline_after_failures,
                cfg.monitor.probe_interval_ms,
            );
            for a in restored {
                health.restore(a);
            }
            slaves.insert(dev.id.clone(), (params, health));
        }
        let handle = BusHandle {
            name: plan.key.to_string(),
            urgent: utx,
            routine: rtx,
        };
        let owner = BusOwner {
            key: plan.key.clone(),
            serial: plan.serial.clone(),
            slaves,
            probe_interval_ms: cfg.monitor.probe_interval_ms,
            ctx: None,
            quiet_until: None,
            last_connect_failure_ms: None,
            alarms,
            urgent: urx,
            routine: rrx,
        };
        (owner, handle)
    }

    pub async fn run(mut self) {
        tracing::info!(bus = %self.key, slaves = self.slaves.len(), "bus owner started");
        loop {
            let req = tokio::select! {
                biased;
                Some(r) = self.urgent.recv() => r,
                Some(r) = self.routine.recv() => r,
                else => break,
            };
            let result = self.serve(&req.device, req.op).await;
            let _ = req.reply.send(result);
        }
        tracing::info!(bus = %self.key, "bus owner stopped: no drivers left");
    }

    async fn serve(&mut self, device: &str, op: Op) -> Result<Reply, GateError> {
        let Some((params, health)) = self.slaves.get_mut(device) else {
            return Err(GateError::Link {
                device: device.to_string(),
                reason: "device is not on this bus".into(),
            });
        };
        let params = params.clone();
        let now = mono_ms();
        if !health.should_attempt(now) {
            return Err(GateError::Offline {
                device: device.to_string(),
                probe_interval_ms: self.probe_interval_ms,
            });
        }
        // An offline slave gets one probe, not the full retry budget.
        let attempts = if health.is_offline() {
            1
        } else {
            1 + params.retries
        };
        let mut last_err = None;
        for attempt in 0..attempts {
            if attempt > 0 {
                // Backoff 20, 40, 80 … ms: lets a noisy line settle without stalling the bus long.
                let backoff = 20u64 << (attempt - 1).min(5);
                tokio::time::sleep(Duration::from_millis(backoff)).await;
            }
            let started = std::time::Instant::now();
            let outcome = self.attempt(&params, op).await;
            // Quiet time is an RS-485 line requirement (a TCP gateway keeps its own line timing).
            // It is owed before the *next* frame, so the caller is answered now.
            if self.serial.is_some() && !params.inter_frame_delay.is_zero() {
                self.quiet_until = Some(tokio::time::Instant::now() + params.inter_frame_delay);
            }
            let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
            match outcome {
                Ok(Ok(reply)) => {
                    self.health_success(device).await;
                    return Ok(reply);
                }
                Ok(Err(code)) if code.starts_with("Gateway") => {
                    // A TCP gateway answering for the unit behind it: "it did not respond" (or
                    // "no path to it"). The unit is not there: a failure towards offline, not a
                    // device fault.
                    let reason = format!(
                        "the gateway says unit {} did not answer ({code})",
                        params.slave
                    );
                    tracing::debug!(bus = %self.key, device, ?op, attempt, duration_ms, %reason, "modbus request failed");
                    crate::metrics::get().bus_failure(device);
                    self.health_failure(device, &reason).await;
                    last_err = Some(reason);
                    if self.slaves.get(device).is_some_and(|(_, h)| h.is_offline()) {
                        break;
                    }
                }
                Ok(Err(code)) => {
                    // The slave answered: the link is fine, the device refused.
                    self.health_success(device).await;
                    tracing::warn!(bus = %self.key, device, ?op, code = %code, "modbus exception reply");
                    return Err(GateError::Exception {
                        device: device.to_string(),
                        code,
                    });
                }
                Err(reason) => {
                    tracing::debug!(bus = %self.key, device, ?op, attempt, duration_ms, %reason, "modbus request failed");
                    crate::metrics::get().bus_failure(device);
                    self.ctx = None;
                    self.health_failure(device, &reason).await;
                    last_err = Some(reason);
                    if self.slaves.get(device).is_some_and(|(_, h)| h.is_offline()) {
                        break;
                    }
                }
            }
        }
        Err(GateError::Link {
            device: device.to_string(),
            reason: last_err.unwrap_or_else(|| "no attempt made".into()),
        })
    }

    // Health transitions are rare and must not be lost (DeviceHealth reports each only once),
    // so they are sent with backpressure rather than try_send.
    async fn health_success(&mut self, device: &str) {
        let ev = self
            .slaves
            .get_mut(device)
            .and_then(|(_, h)| h.success(mono_ms(), wall_ms()));
        if let Some(ev) = ev {
            tracing::info!(bus = %self.key, device, "device back online");
            let _ = self.alarms.send(ev).await;
        }
    }

    async fn health_failure(&mut self, device: &str, reason: &str) {
        let ev = self
            .slaves
            .get_mut(device)
            .and_then(|(_, h)| h.failure(mono_ms(), wall_ms(), reason));
        if let Some(ev) = ev {
            tracing::warn!(bus = %self.key, device, %reason, "device offline");
            let _ = self.alarms.send(ev).await;
        }
    }

    /// One request on the wire. Outer error: link failure (text); inner error: exception code.
    async fn attempt(&mut self, p: &SlaveParams, op: Op) -> Result<Result<Reply, String>, String> {
        if let Some(t) = self.quiet_until.take() {
            tokio::time::sleep_until(t).await;
        }
        let ctx = self.connected().await?;
        ctx.set_slave(Slave(p.slave));
        let fut = async {
            match op {
                Op::ReadCoils { addr, count } => ctx
                    .read_coils(addr, count)
                    .await
                    .map(|r| r.map(Reply::Bits)),
                Op::ReadDiscreteInputs { addr, count } => ctx
                    .read_discrete_inputs(addr, count)
                    .await
                    .map(|r| r.map(Reply::Bits)),
                Op::ReadHoldingRegisters { addr, count } => ctx
                    .read_holding_registers(addr, count)
                    .await
                    .map(|r| r.map(Reply::Words)),
                Op::ReadInputRegisters { addr, count } => ctx
                    .read_input_registers(addr, count)
                    .await
                    .map(|r| r.map(Reply::Words)),
                Op::WriteCoil { addr, on } => ctx
                    .write_single_coil(addr, on)
                    .await
                    .map(|r| r.map(|()| Reply::Written)),
                Op::WriteRegister { addr, value } => ctx
                    .write_single_register(addr, value)
                    .await
                    .map(|r| r.map(|()| Reply::Written)),
            }
        };
        match tokio::time::timeout(p.timeout, fut).await {
            Err(_) => Err(format!("no reply within {} ms", p.timeout.as_millis())),
            Ok(Err(e)) => Err(e.to_string()),
            Ok(Ok(Err(code))) => Ok(Err(format!("{code:?}"))),
            Ok(Ok(Ok(reply))) => {
                let expected = match op {
                    Op::ReadCoils { count, .. }
                    | Op::ReadDiscreteInputs { count, .. }
                    | Op::ReadHoldingRegisters { count, .. }
                    | Op::ReadInputRegisters { count, .. } => Some(count as usize),
                    _ => None,
                };
                let got = match &reply {
                    Reply::Bits(b) => Some(b.len()),
                    Reply::Words(w) => Some(w.len()),
                    Reply::Written => None,
                };
                // A short reply would index out of range later; treat it as a link fault.
                if let (Some(want), Some(have)) = (expected, got) {
                    if have < want {
                        return Err(format!("short reply: {have} values, expected {want}"));
                    }
                }
                Ok(Ok(reply))
            }
        }
    }

    async fn connected(&mut self) -> Result<&mut Context, String> {
        if self.ctx.is_none() {
            let now = mono_ms();
            if let Some(t) = self.last_connect_failure_ms {
                if now.saturating_sub(t) < RECONNECT_SPACING_MS {
                    return Err(format!("{} unavailable; reconnecting", self.key));
                }
            }
            match connect(self.key.clone(), self.serial.clone()).await {
                Ok(ctx) => {
                    tracing::info!(bus = %self.key, "bus connected");
                    self.last_connect_failure_ms = None;
                    self.ctx = Some(ctx);
                }
                Err(e) => {
                    if self.last_connect_failure_ms.is_none() {
                        tracing::warn!(bus = %self.key, error = %e, "cannot open bus");
                    }
                    self.last_connect_failure_ms = Some(now);
                    return Err(e);
                }
            }
        }
        self.ctx.as_mut().ok_or_else(|| "not connected".to_string())
    }
}

/// What one unit id on a line did when asked (`edge-daemon scan-bus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanAnswer {
    /// A normal reply to "read one coil at 0".
    Read,
    /// A Modbus exception: somebody is there, it does not have coil 0.
    Exception,
}

/// Ask every unit id in `ids` on one line for one coil, each with `timeout`, and list who
/// answered. For commissioning, with the daemon stopped (the line has one owner at a time). On
/// RTU a silent id costs the whole timeout; the port is reopened after each silence so a late
/// reply is never read as the next id's answer.
pub async fn scan(
    key: &BusKey,
    serial: Option<SerialSettings>,
    ids: std::ops::RangeInclusive<u8>,
    timeout: Duration,
    quiet: Duration,
) -> Result<Vec<(u8, ScanAnswer)>, String> {
    let mut found = Vec::new();
    let mut ctx = connect(key.clone(), serial.clone()).await?;
    for id in ids {
        ctx.set_slave(Slave(id));
        match tokio::time::timeout(timeout, ctx.read_coils(0, 1)).await {
            Ok(Ok(Ok(_))) => found.push((id, ScanAnswer::Read)),
            // A TCP gateway saying the unit behind it did not answer: nobody there.
            Ok(Ok(Err(
                tokio_modbus::ExceptionCode::GatewayTargetDevice
                | tokio_modbus::ExceptionCode::GatewayPathUnavailable,
            ))) => {}
            Ok(Ok(Err(_))) => found.push((id, ScanAnswer::Exception)),
            Ok(Err(_)) | Err(_) => {
                ctx = connect(key.clone(), serial.clone()).await?;
            }
        }
        tokio::time::sleep(quiet).await;
    }
    Ok(found)
}

/// Open the port or socket. A free function so no borrow of the owner lives across the await.
async fn connect(key: BusKey, serial: Option<SerialSettings>) -> Result<Context, String> {
    match &key {
        BusKey::Tcp(addr) => {
            let stream =
                tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect(addr))
                    .await
                    .map_err(|_| format!("connect to {addr} timed out"))?
                    .map_err(|e| format!("connect to {addr}: {e}"))?;
            let _ = stream.set_nodelay(true);
            Ok(tokio_modbus::client::tcp::attach(stream))
        }
        BusKey::Serial(path) => {
            let s = serial.ok_or("serial settings missing")?;
            let builder = tokio_serial::new(path.to_string_lossy(), s.baud)
                .parity(match s.parity {
                    Parity::None => tokio_serial::Parity::None,
                    Parity::Even => tokio_serial::Parity::Even,
                    Parity::Odd => tokio_serial::Parity::Odd,
                })
                .data_bits(if s.data_bits == 7 {
                    tokio_serial::DataBits::Seven
                } else {
                    tokio_serial::DataBits::Eight
                })
                .stop_bits(if s.stop_bits == 2 {
                    tokio_serial::StopBits::Two
                } else {
                    tokio_serial::StopBits::One
                });
            let stream = tokio_serial::SerialStream::open(&builder)
                .map_err(|e| format!("open {}: {e}", path.display()))?;
            Ok(tokio_modbus::client::rtu::attach(stream))
        }
    }
}
