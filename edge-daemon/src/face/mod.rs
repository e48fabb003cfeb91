//! The face pass: the face keeper ([`keeper`]), the one thread that owns the models, the gallery
//! and each face door's decision state; the enroller ([`enrol`]), which keeps the templates in
//! step with the cloud's photo lists; and the cameras ([`camera`]), one task each, that feed the
//! keeper frames.

pub mod camera;
pub mod enrol;
pub mod keeper;

use std::collections::HashMap;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::face::FaceConfig;
use crate::face::enrol::{EnrolKick, Enroller, PhotoFetcher, TemplateKey};
use crate::face::keeper::FaceHandle;
use crate::gate::keeper::GatekeeperHandle;
use crate::gate::modbus::bus::BusHandle;
use crate::store::writer::StoreWriter;
use crate::store::Store;

/// What the daemon keeps of the started face pass.
pub(crate) struct FaceStart {
    pub(crate) handle: FaceHandle,
    /// Wakes the enroller (after a directory delta).
    pub(crate) kick: EnrolKick,
    /// The enroller, then one task per camera.
    pub(crate) tasks: Vec<JoinHandle<()>>,
}

/// Load the template key, start the face keeper thread, the enroller and the cameras. The error
/// (ONNX Runtime, a model or the template key could not be loaded) is the reason.
pub(crate) async fn start(
    fc: &FaceConfig,
    store: &Store,
    writer: StoreWriter,
    fetch: Option<PhotoFetcher>,
    gk: &GatekeeperHandle,
    buses_by_device: &HashMap<String, BusHandle>,
    shutdown: &watch::Sender<bool>,
) -> Result<FaceStart, String> {
    let key = TemplateKey::load_or_create(&fc.template_key_file).map_err(|e| e.to_string())?;
    let (fh, _thread) = crate::face::keeper::start(fc).await?;
    let kick = EnrolKick::default();
    let enroller = Enroller::new(store.clone(), writer, fh.clone(), key, fetch, kick.clone());
    let mut tasks = vec![tokio::spawn(enroller.run(shutdown.subscribe()))];
    for cam in &fc.cameras {
        let bus = cam
            .presence
            .as_ref()
            .and_then(|p| buses_by_device.get(&p.device).cloned());
        tasks.push(tokio::spawn(crate::face::camera::run(
            cam.clone(),
            bus,
            fc.max_frame_bytes,
            fh.clone(),
            gk.clone(),
            store.clone(),
            shutdown.subscribe(),
        )));
    }
    tracing::info!(doors = fc.doors.len(), cameras = fc.cameras.len(), model = %fh.model, "face pass started");
    Ok(FaceStart {
        handle: fh,
        kick,
        tasks,
    })
}
