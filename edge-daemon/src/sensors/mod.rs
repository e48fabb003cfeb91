//! The sensors: the sensor keeper ([`keeper`]), the one owner task of the sensor alarm engine,
//! and the MQTT driver ([`mqtt`]) that feeds it from the box's broker.

pub mod keeper;
pub mod mqtt;

use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::EdgeConfig;
use crate::gate::keeper::GatekeeperHandle;
use crate::sensors::keeper::{SensorHandle, SensorKeeper, SensorMsg};
use crate::store::writer::StoreWriter;
use crate::store::Store;

/// What the daemon keeps of the started sensors (nothing when `[mqtt]` is not configured).
pub(crate) struct SensorsStart {
    pub(crate) handle: Option<SensorHandle>,
    pub(crate) tasks: Vec<JoinHandle<()>>,
}

/// One keeper owns the rule engine; the MQTT task feeds it; a ticker drives time.
pub(crate) fn start(
    cfg: &EdgeConfig,
    store: &Store,
    writer: StoreWriter,
    gate: &GatekeeperHandle,
    stop_rx: &watch::Receiver<bool>,
) -> SensorsStart {
    let mut tasks = Vec::new();
    let handle = match &cfg.sensors {
        Some(setup) => {
            let (keeper, sh) = SensorKeeper::new(
                &cfg.identity.id,
                setup.clone(),
                store.clone(),
                writer,
                gate.clone(),
                cfg.cloud
                    .as_ref()
                    .map(|c| Duration::from_millis(c.settings.device_state_interval_ms)),
            );
            let filters = keeper.filters();
            tasks.push(tokio::spawn(keeper.run()));
            tasks.push(tokio::spawn(crate::sensors::mqtt::run(
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
                        _ = every.tick() => if t.tx.send(SensorMsg::Tick).await.is_err() { break },
                        _ = stop.changed() => break,
                    }
                }
            }));
            tracing::info!(sensors = setup.sensors.len(), broker = %format!("{}:{}", setup.mqtt.host, setup.mqtt.port), "sensors started");
            Some(sh)
        }
        None => {
            drop(writer);
            None
        }
    };
    SensorsStart { handle, tasks }
}
