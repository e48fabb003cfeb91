//! The doors: the gatekeeper ([`keeper`]), the one owner task that decides who may pass and
//! drives the doors, and the Modbus driver room ([`modbus`]: one bus owner task per serial port
//! or TCP connection, one driver task per controller). Drivers of other devices talk to the
//! gatekeeper through its handle from their own rooms (`readers` says where a serial
//! card-reader protocol goes).

pub mod keeper;
pub mod modbus;

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::alarm::{ActiveAlarm, AlarmEvent};
use crate::cloud::wire::{DirectoryV1, IntoDomain};
use crate::config::EdgeConfig;
use crate::gate::keeper::{Gatekeeper, GatekeeperHandle, Msg};
use crate::gate::modbus::bus::{BusHandle, BusOwner};
use crate::gate::modbus::driver::{DeviceDriver, GateEvent};
use crate::store::writer::StoreWriter;
use crate::store::{Store, StoreError};

/// What the daemon keeps of the started gate room.
pub(crate) struct GateStart {
    pub(crate) handle: GatekeeperHandle,
    /// The gatekeeper task.
    pub(crate) keeper: JoinHandle<()>,
    /// One task per bus.
    pub(crate) bus_owners: Vec<JoinHandle<()>>,
    /// One task per controller (stopped first, so relays are switched off).
    pub(crate) drivers: Vec<JoinHandle<()>>,
    /// Each device's bus, for a camera's presence input.
    pub(crate) buses_by_device: HashMap<String, BusHandle>,
    /// What the bus owners and drivers report, until [`GateEvents::forward`] hands it on.
    pub(crate) events: GateEvents,
}

/// The bus owners' alarms and the drivers' events, not yet forwarded to the gatekeeper.
pub(crate) struct GateEvents {
    alarms: mpsc::Receiver<AlarmEvent>,
    gate: mpsc::Receiver<GateEvent>,
}

/// Start one bus owner per bus, one driver per device and the gatekeeper, with the alarms that
/// were active at the last stop (those of doors and devices no longer configured are dropped).
pub(crate) fn start(
    cfg: &EdgeConfig,
    store: &Store,
    writer: StoreWriter,
    stop_rx: &watch::Receiver<bool>,
) -> Result<GateStart, StoreError> {
    // Alarms of doors/devices no longer configured have nobody left to clear them: drop them.
    let known = |source: &str| {
        source == crate::alarm::BOX_SOURCE
            || cfg
                .doors
                .iter()
                .any(|d| d.id == source && d.monitor_contact)
            || cfg.devices.iter().any(|d| d.id == source)
    };
    let restored: Vec<ActiveAlarm> = store
        .active_alarms()?
        .iter()
        .filter_map(|r| r.to_active())
        .filter(|a| known(&a.key.source))
        .collect();
    if !restored.is_empty() {
        tracing::info!(alarms = restored.len(), "restored active alarms");
    }
    let mut bus_owners = Vec::new();

    let (alarm_tx, alarm_rx) = mpsc::channel(1024);
    let (gate_tx, gate_rx) = mpsc::channel::<GateEvent>(1024);
    let mut drivers = HashMap::new();
    let mut buses_by_device = HashMap::new();
    let mut driver_tasks = Vec::new();
    for plan in &cfg.buses {
        let (owner, bus) = BusOwner::new(plan, cfg, alarm_tx.clone(), &restored);
        bus_owners.push(tokio::spawn(owner.run()));
        for dev in &plan.devices {
            buses_by_device.insert(dev.clone(), bus.clone());
            if let Some((driver, handle)) =
                DeviceDriver::new(cfg, dev, bus.clone(), gate_tx.clone())
            {
                driver_tasks.push(tokio::spawn(driver.run(stop_rx.clone())));
                drivers.insert(dev.clone(), handle);
            }
        }
    }
    drop((alarm_tx, gate_tx));

    let (gk, handle) = Gatekeeper::new(cfg, store.clone(), writer, drivers, &restored)?;
    let keeper = tokio::spawn(gk.run());
    Ok(GateStart {
        handle,
        keeper,
        bus_owners,
        drivers: driver_tasks,
        buses_by_device,
        events: GateEvents {
            alarms: alarm_rx,
            gate: gate_rx,
        },
    })
}

impl GateEvents {
    /// Forwarders (drivers and bus owners speak their own event types; the gatekeeper one
    /// queue) and the gatekeeper's one-second tick.
    pub(crate) fn forward(
        self,
        handle: &GatekeeperHandle,
        mut stop_rx: watch::Receiver<bool>,
    ) -> Vec<JoinHandle<()>> {
        let GateEvents {
            alarms: mut alarm_rx,
            gate: mut gate_rx,
        } = self;
        let mut tasks = Vec::new();
        let h = handle.clone();
        tasks.push(tokio::spawn(async move {
            while let Some(ev) = alarm_rx.recv().await {
                if h.tx.send(Msg::Alarm(ev)).await.is_err() {
                    break;
                }
            }
        }));
        let h = handle.clone();
        tasks.push(tokio::spawn(async move {
            while let Some(ev) = gate_rx.recv().await {
                if h.tx.send(Msg::Gate(ev)).await.is_err() {
                    break;
                }
            }
        }));
        let h = handle.clone();
        tasks.push(tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(1));
            loop {
                tokio::select! {
                    _ = every.tick() => if h.tx.send(Msg::Tick).await.is_err() { break },
                    _ = stop_rx.changed() => break,
                }
            }
        }));
        tasks
    }
}

/// Import the seed directory file (`seed_file`) through the gatekeeper; the error is the reason.
pub(crate) async fn seed(path: &Path, gk: &GatekeeperHandle) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let dir: DirectoryV1 = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let dir = dir.into_domain("directory").map_err(|e| e.to_string())?;
    match gk.import(dir).await {
        Some(Ok(_)) => Ok(()),
        Some(Err(e)) => Err(e.to_string()),
        None => Err("gatekeeper stopped".into()),
    }
}
