//! Wiring: opens the store, starts the store writer, one bus owner per bus, one driver per
//! device, the gatekeeper, the ticker and the local API; speaks sd_notify; shuts down in order.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::api::{router, ApiState};
use crate::config::EdgeConfig;
use crate::gate::bus::BusOwner;
use crate::gate::{DeviceDriver, GateEvent};
use crate::gatekeeper::{Gatekeeper, GatekeeperHandle, Msg};
use crate::store::{Store, StoreWriter};
use crate::wire::{DirectoryV1, IntoDomain};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot open the store at {path}: {source}")]
    Store {
        path: String,
        source: crate::store::StoreError,
    },
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("seed file {path}: {reason}")]
    Seed { path: String, reason: String },
    /// ONNX Runtime, a model or the template key could not be loaded.
    #[error("face pass: {0}")]
    Face(String),
}

/// A running daemon. Dropping it does not stop it; call [`Daemon::stop`].
pub struct Daemon {
    pub api_addr: SocketAddr,
    pub store: Store,
    pub gatekeeper: GatekeeperHandle,
    shutdown: watch::Sender<bool>,
    drivers: Vec<JoinHandle<()>>,
    tasks: Vec<JoinHandle<()>>,
    writer_thread: Option<std::thread::JoinHandle<()>>,
    api: JoinHandle<()>,
}

impl std::fmt::Debug for Daemon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Daemon")
            .field("api_addr", &self.api_addr)
            .finish_non_exhaustive()
    }
}

impl Daemon {
    pub async fn start(cfg: EdgeConfig) -> Result<Daemon, StartError> {
        let store_err = |source| StartError::Store {
            path: cfg.store.path.display().to_string(),
            source,
        };
        let store = Store::open(&cfg.store.path).map_err(store_err)?;
        let (writer, writer_thread) = StoreWriter::start_joinable(store.clone());
        // Alarms of doors/devices no longer configured have nobody left to clear them: drop them.
        let known = |source: &str| {
            source == crate::alarm::BOX_SOURCE
                || cfg
                    .doors
                    .iter()
                    .any(|d| d.id == source && d.monitor_contact)
                || cfg.devices.iter().any(|d| d.id == source)
        };
        let restored: Vec<crate::alarm::ActiveAlarm> = store
            .active_alarms()
            .map_err(store_err)?
            .iter()
            .filter_map(|r| r.to_active())
            .filter(|a| known(&a.key.source))
            .collect();
        if !restored.is_empty() {
            tracing::info!(alarms = restored.len(), "restored active alarms");
        }
        let mut tasks = Vec::new();

        let (alarm_tx, mut alarm_rx) = mpsc::channel(1024);
        let (gate_tx, mut gate_rx) = mpsc::channel::<GateEvent>(1024);
        let mut drivers = HashMap::new();
        let mut buses_by_device = HashMap::new();
        let mut driver_tasks = Vec::new();
        let (shutdown, stop_rx) = watch::channel(false);
        for plan in &cfg.buses {
            let (owner, bus) = BusOwner::new(plan, &cfg, alarm_tx.clone(), &restored);
            tasks.push(tokio::spawn(owner.run()));
            for dev in &plan.devices {
                buses_by_device.insert(dev.clone(), bus.clone());
                if let Some((driver, handle)) =
                    DeviceDriver::new(&cfg, dev, bus.clone(), gate_tx.clone())
                {
                    driver_tasks.push(tokio::spawn(driver.run(stop_rx.clone())));
                    drivers.insert(dev.clone(), handle);
                }
            }
        }
        drop((alarm_tx, gate_tx));

        let sensor_writer = writer.clone();
        let face_writer = writer.clone();
        let (gk, handle) =
            Gatekeeper::new(&cfg, store.clone(), writer, drivers, &restored).map_err(store_err)?;
        let gk_task = tokio::spawn(gk.run());

        // Sensors: one keeper owns the rule engine; the MQTT task feeds it; a ticker drives time.
        let sensors = match &cfg.sensors {
            Some(setup) => {
                let (keeper, sh) = crate::sensorkeeper::SensorKeeper::new(
                    &cfg.identity.id,
                    setup.clone(),
                    store.clone(),
                    sensor_writer,
                    handle.clone(),
                    cfg.cloud
                        .as_ref()
                        .map(|c| Duration::from_millis(c.settings.device_state_interval_ms)),
                );
                let filters = keeper.filters();
                tasks.push(tokio::spawn(keeper.run()));
                tasks.push(tokio::spawn(crate::mqtt::run(
                    setup.mqtt.clone(),
                    setup.password.clone(),
                    setup.tls.clone(),
                    filters,
                    sh.clone(),
                    stop_rx.clone(),
                )));
                let (t, mut stop) = (sh.clone(), stop_rx.clone());
                tasks.push(tokio::spawn(async move {
                    let mut every = tokio::time::interval(Duration::from_secs(1));
                    loop {
                        tokio::select! {
                            _ = every.tick() => if t.tx.send(crate::sensorkeeper::SensorMsg::Tick).await.is_err() { break },
                            _ = stop.changed() => break,
                        }
                    }
                }));
                tracing::info!(sensors = setup.sensors.len(), broker = %format!("{}:{}", setup.mqtt.host, setup.mqtt.port), "sensors started");
                Some(sh)
            }
            None => {
                drop(sensor_writer);
                None
            }
        };

        // Forwarders: drivers and bus owners speak their own event types; the gatekeeper one queue.
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
        let mut stop_rx = stop_rx;
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

        if let Some(path) = &cfg.seed_file {
            let seed_err = |reason: String| StartError::Seed {
                path: path.display().to_string(),
                reason,
            };
            let text = std::fs::read_to_string(path).map_err(|e| seed_err(e.to_string()))?;
            let dir: DirectoryV1 =
                serde_json::from_str(&text).map_err(|e| seed_err(e.to_string()))?;
            let dir = dir
                .into_domain("directory")
                .map_err(|e| seed_err(e.to_string()))?;
            match handle.import(dir).await {
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(seed_err(e.to_string())),
                None => return Err(seed_err("gatekeeper stopped".into())),
            }
        }

        // Face pass: one thread owns the models and the gallery; the enroller keeps the
        // templates in step with the cloud's photo lists.
        let mut face_kick = None;
        let face = match &cfg.face {
            Some(fc) => {
                let key = crate::faceenrol::TemplateKey::load_or_create(&fc.template_key_file)
                    .map_err(|e| StartError::Face(e.to_string()))?;
                let (fh, _thread) = crate::facekeeper::start(fc)
                    .await
                    .map_err(StartError::Face)?;
                let kick = crate::faceenrol::EnrolKick::default();
                let enroller = crate::faceenrol::Enroller::new(
                    store.clone(),
                    face_writer.clone(),
                    fh.clone(),
                    key,
                    cfg.cloud.as_ref().map(crate::cloud::photo_fetcher),
                    kick.clone(),
                );
                tasks.push(tokio::spawn(enroller.run(shutdown.subscribe())));
                for cam in &fc.cameras {
                    let bus = cam
                        .presence
                        .as_ref()
                        .and_then(|p| buses_by_device.get(&p.device).cloned());
                    tasks.push(tokio::spawn(crate::facecamera::run(
                        cam.clone(),
                        bus,
                        fc.max_frame_bytes,
                        fh.clone(),
                        handle.clone(),
                        store.clone(),
                        shutdown.subscribe(),
                    )));
                }
                face_kick = Some(kick);
                tracing::info!(doors = fc.doors.len(), cameras = fc.cameras.len(), model = %fh.model, "face pass started");
                Some(crate::api::FaceFront {
                    handle: fh,
                    frame_token: fc.frame_token.as_deref().map(Arc::from),
                    max_frame_bytes: fc.max_frame_bytes,
                })
            }
            None => None,
        };
        drop(face_writer);

        let listener = tokio::net::TcpListener::bind(cfg.api.listen)
            .await
            .map_err(|source| StartError::Listen {
                addr: cfg.api.listen,
                source,
            })?;
        let api_addr = listener.local_addr().map_err(|source| StartError::Listen {
            addr: cfg.api.listen,
            source,
        })?;
        let state = ApiState {
            gk: handle.clone(),
            store: store.clone(),
            admin_token: cfg.api.admin_token.as_deref().map(Arc::from),
            box_id: Arc::from(cfg.identity.id.as_str()),
            sensors: sensors.clone(),
            face,
        };
        let mut stop_api = shutdown.subscribe();
        let api = tokio::spawn(async move {
            let serve = axum::serve(listener, router(state)).with_graceful_shutdown(async move {
                let _ = stop_api.changed().await;
            });
            if let Err(e) = serve.await {
                tracing::error!(error = %e, "local API stopped");
            }
        });
        tasks.push(gk_task);
        if let Some(link) = &cfg.cloud {
            tasks.extend(crate::cloud::spawn(
                link,
                store.clone(),
                handle.clone(),
                sensors.clone(),
                face_kick,
                shutdown.subscribe(),
            ));
            tracing::info!(cloud = %link.identity.cloud_url, "cloud link started");
        }
        tracing::info!(
            box_id = %cfg.identity.id,
            api = %api_addr,
            buses = cfg.buses.len(),
            doors = cfg.doors.len(),
            "edge daemon started"
        );
        Ok(Daemon {
            api_addr,
            store,
            gatekeeper: handle,
            shutdown,
            drivers: driver_tasks,
            tasks,
            writer_thread,
            api,
        })
    }

    /// Stop the API, let drivers switch their relays off (bounded wait), then the rest; flushes
    /// the store.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        // Graceful for in-flight requests, but a stuck client must not hold the stop forever.
        let api_abort = self.api.abort_handle();
        if tokio::time::timeout(Duration::from_secs(5), self.api)
            .await
            .is_err()
        {
            api_abort.abort();
        }
        for d in self.drivers {
            let abort = d.abort_handle();
            if tokio::time::timeout(Duration::from_secs(3), d)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
        for t in &self.tasks {
            t.abort();
        }
        for t in self.tasks {
            let _ = t.await;
        }
        let _ = self.store.flush();
        // Every writer handle is gone with the tasks: the writer thread finishes its last group
        // and lets go of the store, so it can be reopened (a restart in the same process).
        if let Some(thread) = self.writer_thread {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
        tracing::info!("edge daemon stopped");
    }
}

/// Tell systemd we are ready and keep its watchdog fed (no-ops outside systemd).
pub fn systemd_ready() {
    if let Err(e) = sd_notify::notify(false, &[sd_notify::NotifyState::Ready]) {
        tracing::debug!(error = %e, "sd_notify READY failed");
    }
    let mut usec = 0u64;
    if sd_notify::watchdog_enabled(false, &mut usec) && usec > 0 {
        let every = Duration::from_micros(usec / 2);
        tracing::info!(
            interval_ms = every.as_millis() as u64,
            "systemd watchdog enabled"
        );
        tokio::spawn(async move {
            let mut t = tokio::time::interval(every);
            loop {
                t.tick().await;
                let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Watchdog]);
            }
        });
    }
}

pub fn systemd_stopping() {
    let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Stopping]);
}
