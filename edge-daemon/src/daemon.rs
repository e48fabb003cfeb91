//! Wiring: starts each room in order — the store and its writer thread, the gate room (bus
//! owners, drivers, the gatekeeper), the sensors, the gatekeeper's forwarders and ticker, the
//! seed directory, the face pass, the local API, the cloud link — by calling its own `start`;
//! speaks sd_notify; shuts down in order.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::EdgeConfig;
use crate::gate::keeper::GatekeeperHandle;
use crate::store::writer::StoreStart;
use crate::store::Store;
use crate::{api, cloud, face, gate, sensors, store};

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
    /// A store writer handle for [`Daemon::liveness`]; dropped first at the stop.
    writer: Option<crate::store::writer::StoreWriter>,
    api: JoinHandle<()>,
    /// Turns true when the cloud link saved a configuration revision to run on.
    reconfigure: watch::Receiver<bool>,
}

impl std::fmt::Debug for Daemon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Daemon")
            .field("api_addr", &self.api_addr)
            .finish_non_exhaustive()
    }
}

impl Daemon {
    /// Start on the file's configuration `file_cfg`, with the configuration the cloud keeps for
    /// the box laid over it (`config::overlay`) when the box has a cloud link.
    pub async fn start(file_cfg: EdgeConfig) -> Result<Daemon, StartError> {
        let (cfg, overlay_state, start_refusal) = crate::config::overlay::load_effective(file_cfg);
        let store_err = |source| StartError::Store {
            path: cfg.store.path.display().to_string(),
            source,
        };
        let StoreStart {
            store,
            writer,
            writer_thread,
        } = store::writer::start(&cfg.store.path).map_err(store_err)?;
        let (shutdown, stop_rx) = watch::channel(false);
        let liveness_writer = writer.clone();

        let gate = gate::start(&cfg, &store, writer.clone(), &stop_rx).map_err(store_err)?;
        let mut tasks = gate.bus_owners;

        let sensors = sensors::start(&cfg, &store, writer.clone(), &gate.handle, &stop_rx);
        tasks.extend(sensors.tasks);

        tasks.extend(gate.events.forward(&gate.handle, stop_rx));

        if let Some(path) = &cfg.seed_file {
            gate::seed(path, &gate.handle)
                .await
                .map_err(|reason| StartError::Seed {
                    path: path.display().to_string(),
                    reason,
                })?;
        }

        let face = match &cfg.face {
            Some(fc) => {
                let fetch = cfg
                    .cloud
                    .as_ref()
                    .map(|l| cloud::photo_fetcher(l, gate.handle.clone()));
                let started = face::start(
                    fc,
                    &store,
                    writer,
                    fetch,
                    &gate.handle,
                    &gate.buses_by_device,
                    &shutdown,
                )
                .await
                .map_err(StartError::Face)?;
                tasks.extend(started.tasks);
                Some((started.handle, started.kick))
            }
            None => {
                drop(writer);
                None
            }
        };
        let (face_handle, face_kick) = face.unzip();

        let api = api::start(
            &cfg,
            gate.handle.clone(),
            store.clone(),
            sensors.handle.clone(),
            face_handle,
            &shutdown,
        )
        .await
        .map_err(|source| StartError::Listen {
            addr: cfg.api.listen,
            source,
        })?;
        tasks.push(gate.keeper);
        let (restart, reconfigure) = watch::channel(false);
        if let Some(link) = &cfg.cloud {
            let config = cloud::ConfigLink {
                file: cfg.file.clone(),
                state_path: crate::config::overlay::state_path(&cfg.store.path),
                report: crate::config::overlay::report(
                    &cfg,
                    &overlay_state,
                    start_refusal.as_ref(),
                ),
                state: overlay_state,
                restart,
            };
            tasks.extend(cloud::start(
                link,
                store.clone(),
                gate.handle.clone(),
                sensors.handle.clone(),
                face_kick,
                config,
                shutdown.subscribe(),
            ));
        }
        tracing::info!(
            box_id = %cfg.identity.id,
            api = %api.addr,
            buses = cfg.buses.len(),
            doors = cfg.doors.len(),
            "edge daemon started"
        );
        Ok(Daemon {
            api_addr: api.addr,
            store,
            gatekeeper: gate.handle,
            shutdown,
            drivers: gate.drivers,
            tasks,
            writer_thread,
            writer: Some(liveness_writer),
            api: api.task,
            reconfigure,
        })
    }

    /// Wait until the cloud link saved a configuration revision to run on: then
    /// [`Daemon::stop`] and [`Daemon::start`] again. Never returns for a box without a link.
    pub async fn reconfigured(&mut self) {
        loop {
            if *self.reconfigure.borrow_and_update() {
                return;
            }
            if self.reconfigure.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }

    /// What the systemd watchdog probes ([`systemd_ready`]).
    pub fn liveness(&self) -> Option<Liveness> {
        Some(Liveness {
            gatekeeper: self.gatekeeper.clone(),
            writer: self.writer.clone()?,
        })
    }

    /// Stop the API, let drivers switch their relays off (bounded wait), then the rest; flushes
    /// the store.
    pub async fn stop(mut self) {
        self.writer = None;
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

/// What must answer before the systemd watchdog is fed: the gatekeeper (every decision goes
/// through it) and the store writer (every record does).
#[derive(Clone, Debug)]
pub struct Liveness {
    pub gatekeeper: GatekeeperHandle,
    pub writer: crate::store::writer::StoreWriter,
}

impl Liveness {
    /// `Ok` when both answered within `within`; otherwise the one that did not.
    pub async fn probe(&self, within: Duration) -> Result<(), &'static str> {
        match tokio::time::timeout(within, self.gatekeeper.snapshot()).await {
            Ok(Some(_)) => {}
            _ => return Err("gatekeeper"),
        }
        match tokio::time::timeout(within, self.writer.ping()).await {
            Ok(Ok(())) => Ok(()),
            _ => Err("store writer"),
        }
    }
}

/// Tell systemd we are ready and feed its watchdog only while `alive` answers (no-ops outside
/// systemd): a wedged gatekeeper or store writer stops the feeding, and systemd restarts the
/// daemon after `WatchdogSec`.
///
/// Returns the feeding task: abort it before [`Daemon::stop`] (it holds a store writer handle,
/// and the writer thread ends only when every handle is gone).
pub fn systemd_ready(alive: Liveness) -> Option<JoinHandle<()>> {
    if let Err(e) = sd_notify::notify(false, &[sd_notify::NotifyState::Ready]) {
        tracing::debug!(error = %e, "sd_notify READY failed");
    }
    let mut usec = 0u64;
    if sd_notify::watchdog_enabled(false, &mut usec) && usec > 0 {
        let every = Duration::from_micros(usec / 2);
        tracing::info!(
            interval_ms = every.as_millis() as u64,
            "systemd watchdog enabled; fed while the gatekeeper and the store writer answer"
        );
        return Some(tokio::spawn(async move {
            let mut t = tokio::time::interval(every);
            let mut missed = 0u32;
            loop {
                t.tick().await;
                match alive.probe(every / 2).await {
                    Ok(()) => {
                        if missed > 0 {
                            tracing::info!(missed, "watchdog fed again");
                        }
                        missed = 0;
                        let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Watchdog]);
                    }
                    Err(who) => {
                        missed += 1;
                        tracing::error!(
                            component = who,
                            missed,
                            wait_ms = (every / 2).as_millis() as u64,
                            "watchdog not fed: a core task did not answer"
                        );
                    }
                }
            }
        }));
    }
    None
}

pub fn systemd_stopping() {
    let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Stopping]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::keeper::{Msg, Snapshot};
    use crate::store::writer::StoreWriter;

    /// The watchdog's probe answers only when both the gatekeeper and the store writer take a
    /// request; either one stalled names itself.
    #[tokio::test]
    async fn the_watchdog_is_fed_only_while_the_gatekeeper_and_the_writer_answer() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(tmp.path()).unwrap();
        let (writer, thread) = StoreWriter::start_joinable(store.clone());
        let (gk, mut rx) = GatekeeperHandle::stalled_for_tests();
        let wait = Duration::from_millis(100);
        let alive = Liveness {
            gatekeeper: gk.clone(),
            writer: writer.clone(),
        };
        assert_eq!(alive.probe(wait).await, Err("gatekeeper"));
        // Now a gatekeeper that answers.
        let answering = tokio::spawn(async move {
            while let Some(m) = rx.recv().await {
                if let Msg::Snapshot { reply } = m {
                    let _ = reply.send(Snapshot {
                        doors: vec![],
                        offline_devices: vec![],
                        alarms: vec![],
                        people: 0,
                        grants: 0,
                        clock_jumped: false,
                        clock_source: "wall",
                        wall_offset_ms: None,
                    });
                }
            }
        });
        assert_eq!(alive.probe(Duration::from_secs(5)).await, Ok(()));
        let (stalled, _keep) = StoreWriter::stalled_for_tests();
        let wedged = Liveness {
            gatekeeper: gk,
            writer: stalled,
        };
        assert_eq!(wedged.probe(wait).await, Err("store writer"));
        drop((alive, writer, wedged));
        answering.abort();
        thread.unwrap().join().unwrap();
    }
}
