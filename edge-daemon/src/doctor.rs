//! Installer tools: `edge-daemon doctor` (is everything wired right?), `edge-daemon test-door`
//! (pulse one door and report the contact it saw) and `edge-daemon scan-bus` (which Modbus unit
//! ids answer on a line). They use the daemon's own rooms — the bus owners, the door drivers, the
//! MQTT and cloud links, the face loader — so what they check is what the daemon will do; they
//! run with the daemon stopped (a serial line and the store have one owner at a time).
//!
//! Every finding is a [`Finding`]: ok, warning or problem, what was checked, and in plain words
//! what was seen and what to do about it.

use std::fmt;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::config::{BusKey, EdgeConfig};
use crate::gate::modbus::bus::{BusOwner, ScanAnswer};
use crate::gate::modbus::driver::{DeviceDriver, GateEvent};
use crate::gate::modbus::{GateError, Op, Reply};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    Ok,
    Warning,
    Problem,
}

/// One line of the doctor's report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub verdict: Verdict,
    /// What was checked, e.g. `device relay-1`.
    pub what: String,
    /// What was seen, and for anything not ok, what to do.
    pub said: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tag = match self.verdict {
            Verdict::Ok => "ok     ",
            Verdict::Warning => "WARN   ",
            Verdict::Problem => "PROBLEM",
        };
        write!(f, "{tag}  {:<22} {}", self.what, self.said)
    }
}

fn finding(verdict: Verdict, what: impl Into<String>, said: impl Into<String>) -> Finding {
    Finding {
        verdict,
        what: what.into(),
        said: said.into(),
    }
}

/// How long each device, the broker and the cloud get to answer.
const ANSWER_WITHIN: Duration = Duration::from_secs(3);
/// Below this much free space the store is a problem; below `max_log_bytes` a warning.
const MIN_FREE_BYTES: u64 = 64 << 20;

/// Run every check the config calls for.
pub async fn doctor(cfg: &EdgeConfig) -> Vec<Finding> {
    let mut out = vec![finding(
        Verdict::Ok,
        "config",
        format!(
            "{} device(s) on {} bus(es), {} door(s){}{}{}",
            cfg.devices.len(),
            cfg.buses.len(),
            cfg.doors.len(),
            if cfg.cloud.is_some() {
                ", cloud link"
            } else {
                ""
            },
            if cfg.sensors.is_some() { ", MQTT" } else { "" },
            if cfg.face.is_some() { ", face" } else { "" },
        ),
    )];
    match check_store(cfg) {
        Ok(f) => out.extend(f),
        Err(f) => {
            // The daemon is running: it owns the lines too. Nothing more can be checked.
            out.push(f);
            return out;
        }
    }
    out.extend(check_serial_ports(cfg));
    out.extend(check_devices(cfg).await);
    if let Some(setup) = &cfg.sensors {
        out.push(
            match crate::sensors::mqtt::probe(setup, ANSWER_WITHIN).await {
                Ok(()) => finding(
                    Verdict::Ok,
                    "mqtt broker",
                    format!("{}:{} accepted the box's login", setup.mqtt.host, setup.mqtt.port),
                ),
                Err(e) => finding(
                    Verdict::Problem,
                    "mqtt broker",
                    format!(
                        "{}:{}: {e} — is mosquitto running (systemctl status mosquitto), and are [mqtt] host, port, username and password_file right?",
                        setup.mqtt.host, setup.mqtt.port
                    ),
                ),
            },
        );
    }
    if let Some(link) = &cfg.cloud {
        out.extend(check_cloud(cfg, link).await);
    }
    if let Some(face) = &cfg.face {
        let started = Instant::now();
        out.push(
            match tokio::task::spawn_blocking({
                let face = face.clone();
                move || crate::face::keeper::load(&face).map(|(_, p)| p.embedder_id())
            })
            .await
            {
                Ok(Ok(model)) => finding(
                    Verdict::Ok,
                    "face models",
                    format!(
                        "ONNX Runtime and the models loaded in {} ms (recogniser {model})",
                        started.elapsed().as_millis()
                    ),
                ),
                Ok(Err(e)) => finding(Verdict::Problem, "face models", e),
                Err(e) => finding(
                    Verdict::Problem,
                    "face models",
                    format!("loading crashed: {e}"),
                ),
            },
        );
    }
    out
}

/// The store opens (so no daemon holds it), and its file system has room.
fn check_store(cfg: &EdgeConfig) -> Result<Vec<Finding>, Finding> {
    let path = &cfg.store.path;
    let store = match crate::store::Store::open(path) {
        Ok(s) => s,
        Err(crate::store::StoreError::Locked { .. }) => {
            return Err(finding(
                Verdict::Problem,
                "store",
                format!(
                    "{} is in use: edge-daemon is running. Stop it first (systemctl stop edge-daemon) — the doctor needs the serial lines and the store to itself",
                    path.display()
                ),
            ))
        }
        Err(e) => {
            return Err(finding(
                Verdict::Problem,
                "store",
                format!("{}: {e}", path.display()),
            ))
        }
    };
    let mut out = vec![finding(
        Verdict::Ok,
        "store",
        format!(
            "{}: {} records, {} not yet taken by the cloud",
            path.display(),
            store.log_records(),
            store.outbox_depth()
        ),
    )];
    drop(store);
    out.push(match fs2::available_space(path) {
        Ok(free) if free < MIN_FREE_BYTES => finding(
            Verdict::Problem,
            "disk",
            format!(
                "only {} MB free where the store is: decisions cannot be recorded when it is full — free space or move [store] path",
                free >> 20
            ),
        ),
        Ok(free) if free < cfg.store.max_log_bytes => finding(
            Verdict::Warning,
            "disk",
            format!(
                "{} MB free, less than the log's budget ([store] max_log_bytes = {} MB): lower the budget or free space",
                free >> 20,
                cfg.store.max_log_bytes >> 20
            ),
        ),
        Ok(free) => finding(Verdict::Ok, "disk", format!("{} MB free", free >> 20)),
        Err(e) => finding(Verdict::Warning, "disk", format!("free space unknown: {e}")),
    });
    Ok(out)
}

/// Each serial line named in the config is there.
fn check_serial_ports(cfg: &EdgeConfig) -> Vec<Finding> {
    cfg.buses
        .iter()
        .filter_map(|plan| match &plan.key {
            BusKey::Serial(p) if !p.exists() => Some(finding(
                Verdict::Problem,
                format!("serial {}", p.display()),
                "not present — is the USB-RS485 adapter plugged in? `ls /dev/ttyUSB* /dev/ttyACM* /dev/ttyAMA* /dev/ttyS*` lists the ports this machine has",
            )),
            _ => None,
        })
        .collect()
}

/// Ask every configured Modbus device for the first point its profile reads, through the same
/// bus owners the daemon runs.
async fn check_devices(cfg: &EdgeConfig) -> Vec<Finding> {
    let (alarm_tx, _alarm_rx) = mpsc::channel(1024);
    let mut owners = Vec::new();
    let mut asks = Vec::new();
    for plan in &cfg.buses {
        let (owner, bus) = BusOwner::new(plan, cfg, alarm_tx.clone(), &[]);
        owners.push(tokio::spawn(owner.run()));
        for dev in &plan.devices {
            let (Some(d), Some(profile)) = (cfg.device(dev), cfg.profile_of(dev)) else {
                continue;
            };
            let op = match profile.points.first().map(|p| (p.kind, p.address)) {
                Some((crate::config::gate_profile::PointKind::Coil, a)) => {
                    Op::ReadCoils { addr: a, count: 1 }
                }
                Some((crate::config::gate_profile::PointKind::DiscreteInput, a)) => {
                    Op::ReadDiscreteInputs { addr: a, count: 1 }
                }
                Some((crate::config::gate_profile::PointKind::HoldingRegister, a)) => {
                    Op::ReadHoldingRegisters { addr: a, count: 1 }
                }
                Some((crate::config::gate_profile::PointKind::InputRegister, a)) => {
                    Op::ReadInputRegisters { addr: a, count: 1 }
                }
                None => Op::ReadCoils { addr: 0, count: 1 },
            };
            let (bus, id, slave, line) =
                (bus.clone(), d.id.clone(), d.slave_id, plan.key.to_string());
            asks.push(tokio::spawn(async move {
                let started = Instant::now();
                let r = tokio::time::timeout(ANSWER_WITHIN, bus.request(&id, op, true)).await;
                let what = format!("device {id}");
                match r {
                    Ok(Ok(Reply::Bits(_) | Reply::Words(_) | Reply::Written)) => finding(
                        Verdict::Ok,
                        what,
                        format!("unit {slave} on {line} answered in {} ms", started.elapsed().as_millis()),
                    ),
                    Ok(Err(GateError::Exception { code, .. })) => finding(
                        Verdict::Warning,
                        what,
                        format!("unit {slave} on {line} answered but refused the read ({code}): is its profile the right model?"),
                    ),
                    Ok(Err(GateError::Link { reason, .. })) if reason.contains("open ") || reason.contains("connect") => finding(
                        Verdict::Problem,
                        what,
                        format!("{line}: {reason}{}", hint_for_open(&reason)),
                    ),
                    Ok(Err(e)) => finding(
                        Verdict::Problem,
                        what,
                        format!("unit {slave} on {line} did not answer ({e}) — check the A/B wires, the unit id (DIP switches), the baud rate and the termination; `edge-daemon scan-bus --config … --device {id}` lists the ids that answer"),
                    ),
                    Err(_) => finding(
                        Verdict::Problem,
                        what,
                        format!("unit {slave} on {line} did not answer within {} s — check the wiring and the unit id; `edge-daemon scan-bus --config … --device {id}` lists the ids that answer", ANSWER_WITHIN.as_secs()),
                    ),
                }
            }));
        }
    }
    drop(alarm_tx);
    let mut out = Vec::new();
    for a in asks {
        if let Ok(f) = a.await {
            out.push(f);
        }
    }
    for o in owners {
        o.abort();
    }
    out
}

fn hint_for_open(reason: &str) -> &'static str {
    if reason.contains("ermission denied") {
        " — the daemon's user needs the serial group: `sudo usermod -aG dialout edge-daemon` (the Debian package does this)"
    } else if reason.contains("busy") {
        " — another program holds the port (is edge-daemon running?)"
    } else if reason.contains("refused") {
        " — nothing listens there: is the Modbus gateway powered, and is [devices.tcp] address right?"
    } else {
        ""
    }
}

/// The cloud answers a signed request with this box's identity, and its clock agrees.
async fn check_cloud(cfg: &EdgeConfig, link: &crate::config::cloud::CloudLink) -> Vec<Finding> {
    let url = &link.identity.cloud_url;
    let p = match crate::cloud::probe(link, ANSWER_WITHIN).await {
        Ok(p) => p,
        Err(e) => {
            return vec![finding(
                Verdict::Problem,
                "cloud",
                format!("cannot reach {url}: {e} — check the network, DNS and the firewall (the box needs HTTPS to the cloud)"),
            )]
        }
    };
    let mut out = Vec::new();
    out.push(match (p.status, p.code.as_deref()) {
        (200..=299, _) => finding(
            Verdict::Ok,
            "cloud",
            format!("{url} knows this box ({}) and answered in {} ms", link.identity.box_id, p.round_trip_ms),
        ),
        (401, Some("clock_skew")) => finding(
            Verdict::Warning,
            "cloud",
            format!("{url} knows this box but refused its clock; the daemon signs with the cloud's time once it hears it (see the clock line)"),
        ),
        (403, _) => finding(
            Verdict::Problem,
            "cloud",
            format!("{url} says this box has been revoked — provision it again with a new code from the console"),
        ),
        (401, _) => finding(
            Verdict::Problem,
            "cloud",
            format!("{url} does not accept this box's identity ({}) — was it provisioned against another cloud, or registered again since?", link.identity.box_id),
        ),
        (s, _) => finding(Verdict::Problem, "cloud", format!("{url} answered {s}")),
    });
    match p.cloud_ms {
        Some(cloud) => {
            // The cloud read its clock during the round trip: compare with its middle.
            let offset = p.wall_ms - (cloud + p.round_trip_ms as i64 / 2);
            let tol = cfg.monitor.clock_tolerance_ms as i64;
            out.push(if offset.abs() <= tol.max(p.round_trip_ms as i64) {
                finding(
                    Verdict::Ok,
                    "clock",
                    format!("agrees with the cloud ({offset:+} ms)"),
                )
            } else {
                finding(
                    Verdict::Warning,
                    "clock",
                    format!(
                        "{:+.1} s off the cloud's: decisions follow the cloud's time once the daemon has heard it, but fix the clock (timedatectl; systemctl status systemd-timesyncd)",
                        offset as f64 / 1000.0
                    ),
                )
            });
        }
        None => out.push(finding(
            Verdict::Warning,
            "clock",
            "the cloud's answer carried no signed time to compare with",
        )),
    }
    out
}

/// What `test-door` saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoorTest {
    pub door: String,
    pub device: String,
    pub pulse_ms: u64,
    /// Whether the driver reported the open command done.
    pub driven: Result<(), String>,
    /// The door contact over the test: (ms after the command, open?) for each change seen.
    pub contact: Vec<(u64, bool)>,
    /// Whether a contact is configured to be read for this door.
    pub monitored: bool,
}

impl fmt::Display for DoorTest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.driven {
            Ok(()) => writeln!(
                f,
                "door {}: pulsed through device {} for {} ms",
                self.door, self.device, self.pulse_ms
            )?,
            Err(e) => {
                return writeln!(
                    f,
                    "door {}: NOT driven through device {}: {e}",
                    self.door, self.device
                )
            }
        }
        if !self.monitored {
            return writeln!(
                f,
                "no door contact is read for this door (monitor_contact = false): look at the door"
            );
        }
        let opened = self.contact.iter().find(|(_, open)| *open);
        let closed = opened.and_then(|(t, _)| self.contact.iter().find(|(u, open)| u > t && !open));
        match (opened, closed) {
            (Some((t, _)), Some((u, _))) => writeln!(
                f,
                "the contact went open after {t} ms and closed again after {u} ms: the door opened and shut"
            ),
            (Some((t, _)), None) => writeln!(
                f,
                "the contact went open after {t} ms and had not closed when the test ended: is the door held or the closer weak?"
            ),
            _ => writeln!(
                f,
                "the contact did not change: the lock did not release, nobody pushed the door, or the contact is wired to another input (check contact_channel)"
            ),
        }
    }
}

/// Pulse one door the way the daemon would and watch its contact for `watch` after.
pub async fn test_door(
    cfg: &EdgeConfig,
    door_id: &str,
    watch: Duration,
) -> Result<DoorTest, String> {
    let door = cfg.doors.iter().find(|d| d.id == door_id).ok_or_else(|| {
        format!(
            "no door `{door_id}` in the config (doors: {})",
            cfg.doors
                .iter()
                .map(|d| d.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    let contact_dev = door.contact_device.clone().unwrap_or(door.device.clone());
    let (alarm_tx, _alarm_rx) = mpsc::channel(1024);
    let (gate_tx, mut gate_rx) = mpsc::channel::<GateEvent>(1024);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut tasks = Vec::new();
    let mut driver = None;
    for plan in &cfg.buses {
        let wanted: Vec<&String> = plan
            .devices
            .iter()
            .filter(|d| **d == door.device || **d == contact_dev)
            .collect();
        if wanted.is_empty() {
            continue;
        }
        let (owner, bus) = BusOwner::new(plan, cfg, alarm_tx.clone(), &[]);
        tasks.push(tokio::spawn(owner.run()));
        for dev in wanted {
            if let Some((d, h)) = DeviceDriver::new(cfg, dev, bus.clone(), gate_tx.clone()) {
                tasks.push(tokio::spawn(d.run(stop_rx.clone())));
                if *dev == door.device {
                    driver = Some(h);
                }
            }
        }
    }
    drop(gate_tx);
    let driver = driver.ok_or_else(|| format!("device `{}` has no driver", door.device))?;
    // Let the first poll report the contact before the pulse.
    tokio::time::sleep(Duration::from_millis(cfg.monitor.poll_interval_ms * 2)).await;
    while gate_rx.try_recv().is_ok() {}
    let started = Instant::now();
    let driven = match tokio::time::timeout(ANSWER_WITHIN, driver.open(door_id)).await {
        Ok(Ok(Ok(()))) => Ok(()),
        Ok(Ok(Err(e))) => Err(e.to_string()),
        Ok(Err(_)) => Err("the driver stopped".to_string()),
        Err(_) => Err(format!("no answer within {} s", ANSWER_WITHIN.as_secs())),
    };
    let mut contact = Vec::new();
    let until = started + Duration::from_millis(door.pulse_ms) + watch;
    let mut last = None;
    while let Ok(Some(ev)) = tokio::time::timeout_at(until.into(), gate_rx.recv()).await {
        if let GateEvent::Contact { door_id: d, open } = ev {
            if d == door_id && last != Some(open) {
                last = Some(open);
                contact.push((started.elapsed().as_millis() as u64, open));
            }
        }
    }
    let _ = stop_tx.send(true);
    for t in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(3), t).await;
    }
    Ok(DoorTest {
        door: door_id.to_string(),
        device: door.device.clone(),
        pulse_ms: door.pulse_ms,
        driven,
        contact,
        monitored: door.monitor_contact,
    })
}

/// Which unit ids answer on the line of `device_id` (see [`crate::gate::modbus::bus::scan`]).
pub async fn scan_bus(
    cfg: &EdgeConfig,
    device_id: &str,
    ids: std::ops::RangeInclusive<u8>,
    timeout: Duration,
) -> Result<(String, Vec<(u8, ScanAnswer)>), String> {
    let plan = cfg
        .buses
        .iter()
        .find(|p| p.devices.iter().any(|d| d == device_id))
        .ok_or_else(|| format!("no device `{device_id}` in the config"))?;
    let quiet = cfg.profile_of(device_id).map_or(Duration::ZERO, |p| {
        Duration::from_millis(p.timing.inter_frame_delay_ms)
    });
    let found =
        crate::gate::modbus::bus::scan(&plan.key, plan.serial.clone(), ids, timeout, quiet).await?;
    Ok((plan.key.to_string(), found))
}
