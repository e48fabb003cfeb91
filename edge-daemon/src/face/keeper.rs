//! The face keeper: one OS thread owns ONNX Runtime, the face pipeline, the gallery of
//! enrolled templates and each face door's decision state. Everything face-related reaches it
//! through one queue, so inference never blocks the async runtime and the gallery has exactly
//! one writer. It decides "who is this" only; whether that person may pass is the access
//! engine's decision, asked by the caller (`api::face_frame`).
//!
//! Images and templates never leave this module except as a thumbnail for the pass log, and
//! nothing here logs them.

use std::collections::HashMap;

use edge_face::{
    thumbnail_jpeg, DoorAction, DoorDecider, FacePipeline, FrameVerdict, Gallery, PipelineConfig,
    Runtime, RuntimeConfig, StageTimes,
};
use tokio::sync::{mpsc, oneshot};

use crate::config::face::FaceConfig;

/// What the pass log and the caller learn from one frame.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FrameReport {
    /// no_face | match | unknown | ambiguous | not_live
    pub verdict: &'static str,
    /// Best similarity, when a live face was searched.
    pub score: Option<f32>,
    /// Set when this frame completed an identification (the door is then asked).
    pub identified: Option<String>,
    /// Set when this frame completed a refused attempt (`face_unknown`, `face_not_live`, …).
    pub refused: Option<&'static str>,
    pub faces: usize,
    #[serde(skip)]
    pub thumbnail: Option<Vec<u8>>,
    pub decode_ms: f64,
    pub total_ms: f64,
    #[serde(skip)]
    pub times: StageTimes,
}

#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error("door `{0}` does not open by face (no [[face.doors]] entry)")]
    NotAFaceDoor(String),
    #[error("{0}")]
    Image(edge_face::DecodeError),
    #[error("face pipeline failed: {0}")]
    Pipeline(String),
    #[error("the face keeper has stopped")]
    Gone,
}

/// An enrolment photo's outcome: a template, or the reasons staff see in face review.
pub type EnrolOutcome = Result<Vec<f32>, Vec<String>>;

pub enum FaceMsg {
    Frame {
        door: String,
        bytes: Vec<u8>,
        mono_ms: u64,
        reply: oneshot::Sender<Result<FrameReport, FrameError>>,
    },
    Enrol {
        bytes: Vec<u8>,
        reply: oneshot::Sender<Result<EnrolOutcome, FrameError>>,
    },
    /// Replace a person's templates (none = forget them).
    SetPerson {
        person: String,
        templates: Vec<Vec<f32>>,
    },
}

#[derive(Clone, Debug)]
pub struct FaceHandle {
    tx: mpsc::Sender<FaceMsg>,
    /// Identifies the embedder; stored with each template.
    pub model: std::sync::Arc<str>,
}

impl FaceHandle {
    pub async fn frame(
        &self,
        door: &str,
        bytes: Vec<u8>,
        mono_ms: u64,
    ) -> Result<FrameReport, FrameError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(FaceMsg::Frame {
                door: door.to_string(),
                bytes,
                mono_ms,
                reply,
            })
            .await
            .map_err(|_| FrameError::Gone)?;
        rx.await.map_err(|_| FrameError::Gone)?
    }

    pub async fn enrol(&self, bytes: Vec<u8>) -> Result<EnrolOutcome, FrameError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(FaceMsg::Enrol { bytes, reply })
            .await
            .map_err(|_| FrameError::Gone)?;
        rx.await.map_err(|_| FrameError::Gone)?
    }

    pub async fn set_person(&self, person: String, templates: Vec<Vec<f32>>) -> bool {
        self.tx
            .send(FaceMsg::SetPerson { person, templates })
            .await
            .is_ok()
    }
}

/// The process's ONNX Runtime. It allows one environment per process, and the daemon restarts
/// its rooms in the same process (a configuration revision from the cloud): the first start
/// loads it, later starts reuse it. A changed `library_path` or `intra_threads` in the file takes
/// effect at the next process start (said in the log).
fn runtime(cfg: &FaceConfig) -> Result<std::sync::Arc<Runtime>, edge_face::FaceError> {
    static LOADED: std::sync::Mutex<Option<(RuntimeConfig, std::sync::Arc<Runtime>)>> =
        std::sync::Mutex::new(None);
    let want = RuntimeConfig {
        library_path: cfg.library_path.clone(),
        intra_threads: cfg.intra_threads,
    };
    let mut loaded = LOADED.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((had, rt)) = loaded.as_ref() {
        if had.library_path != want.library_path || had.intra_threads != want.intra_threads {
            tracing::warn!(library = %had.library_path.display(), intra_threads = had.intra_threads,
                           "face.library_path or face.intra_threads changed: the loaded ONNX Runtime stays until the process restarts");
        }
        return Ok(rt.clone());
    }
    let rt = std::sync::Arc::new(Runtime::init(&want)?);
    *loaded = Some((want, rt.clone()));
    Ok(rt)
}

/// Load the ONNX Runtime and the models as `[face]` says, with errors named as the config
/// names them (the daemon's start and `edge-daemon doctor`).
pub fn load(cfg: &FaceConfig) -> Result<(std::sync::Arc<Runtime>, FacePipeline), String> {
    let loaded = runtime(cfg).and_then(|rt| {
        let mut pc = PipelineConfig::new(cfg.models_dir.clone());
        pc.live_threshold = cfg.live_threshold;
        if !cfg.liveness {
            pc.liveness = None;
        }
        FacePipeline::load(&rt, &pc).map(|p| (rt, p))
    });
    match loaded {
        Ok(x) => Ok(x),
        Err(edge_face::FaceError::RuntimeLoad { path, reason }) => Err(format!(
            "face.library_path = {}: cannot load ONNX Runtime: {reason} \
             (run `bash models/fetch.sh`, which installs models/runtime/libonnxruntime.so 1.31.1)",
            path.display()
        )),
        Err(e) => Err(format!(
            "[face] (models_dir = {}): {e}",
            cfg.models_dir.display()
        )),
    }
}

/// Loads the runtime and models on a new thread and starts serving. A missing or wrong
/// library or model is returned here (the daemon refuses to start), never a panic.
pub async fn start(cfg: &FaceConfig) -> Result<(FaceHandle, std::thread::JoinHandle<()>), String> {
    let (tx, rx) = mpsc::channel::<FaceMsg>(64);
    let (ready_tx, ready_rx) = oneshot::channel::<Result<String, String>>();
    let cfg = cfg.clone();
    let thread = std::thread::Builder::new()
        .name("face".into())
        .spawn(move || {
            let started = std::time::Instant::now();
            let (_rt, pipeline) = match load(&cfg) {
                Ok(x) => x,
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return;
                }
            };
            tracing::info!(
                doors = cfg.doors.len(),
                duration_ms = started.elapsed().as_millis() as u64,
                "face models loaded"
            );
            let _ = ready_tx.send(Ok(pipeline.embedder_id()));
            Keeper::new(&cfg, pipeline).run(rx);
        })
        .map_err(|e| format!("cannot start the face thread: {e}"))?;
    match ready_rx.await {
        Ok(Ok(model)) => Ok((
            FaceHandle {
                tx,
                model: model.into(),
            },
            thread,
        )),
        Ok(Err(e)) => {
            let _ = thread.join();
            Err(e)
        }
        Err(_) => Err("the face thread stopped while loading".into()),
    }
}

struct Keeper {
    pipeline: FacePipeline,
    gallery: Gallery,
    doors: HashMap<String, DoorDecider>,
    thumbnail_px: u32,
}

fn verdict_code(v: &FrameVerdict) -> &'static str {
    match v {
        FrameVerdict::Match { .. } => "match",
        FrameVerdict::Unknown { .. } => "unknown",
        FrameVerdict::Ambiguous { .. } => "ambiguous",
        FrameVerdict::NoFace => "no_face",
        FrameVerdict::NotLive => "not_live",
    }
}

impl Keeper {
    fn new(cfg: &FaceConfig, pipeline: FacePipeline) -> Keeper {
        let gallery = Gallery::new(pipeline.dim());
        Keeper {
            doors: cfg
                .doors
                .iter()
                .map(|d| (d.door.clone(), DoorDecider::new(d.policy(), d.repeat_ms)))
                .collect(),
            pipeline,
            gallery,
            thumbnail_px: cfg.thumbnail_px,
        }
    }

    fn run(mut self, mut rx: mpsc::Receiver<FaceMsg>) {
        while let Some(msg) = rx.blocking_recv() {
            match msg {
                FaceMsg::Frame {
                    door,
                    bytes,
                    mono_ms,
                    reply,
                } => {
                    let _ = reply.send(self.frame(&door, &bytes, mono_ms));
                }
                FaceMsg::Enrol { bytes, reply } => {
                    let r = match self.pipeline.enrol(&bytes) {
                        Ok(Ok(t)) => Ok(Ok(t)),
                        Ok(Err(edge_face::EnrolRefusal::Quality(rs))) => {
                            Ok(Err(rs.iter().map(|r| r.as_str().to_string()).collect()))
                        }
                        Ok(Err(edge_face::EnrolRefusal::Decode(_))) => {
                            Ok(Err(vec!["unreadable_image".to_string()]))
                        }
                        Err(e) => Err(FrameError::Pipeline(e.to_string())),
                    };
                    let _ = reply.send(r);
                }
                FaceMsg::SetPerson { person, templates } => {
                    self.gallery.remove(&person);
                    for t in &templates {
                        if let Err(e) = self.gallery.add(&person, t) {
                            tracing::warn!(error = %e, "face template not loaded");
                        }
                    }
                    tracing::debug!(
                        templates = self.gallery.len(),
                        identities = self.gallery.identities(),
                        "face gallery updated"
                    );
                }
            }
        }
        tracing::info!("face keeper stopped");
    }

    fn frame(&mut self, door: &str, bytes: &[u8], mono_ms: u64) -> Result<FrameReport, FrameError> {
        let started = std::time::Instant::now();
        let Some(decider) = self.doors.get_mut(door) else {
            return Err(FrameError::NotAFaceDoor(door.to_string()));
        };
        let img = self.pipeline.decode(bytes).map_err(FrameError::Image)?;
        let decode_ms = started.elapsed().as_secs_f64() * 1000.0;
        let policy = *decider.policy();
        let probe = self
            .pipeline
            .probe_face(&img, &self.gallery, &policy)
            .map_err(|e| FrameError::Pipeline(e.to_string()))?;
        let action = decider.observe(mono_ms, probe.verdict);
        let (identified, refused) = match action {
            Some(DoorAction::Identified(c)) => {
                (Some(self.gallery.label(c.identity).to_string()), None)
            }
            Some(DoorAction::Refused(r)) => (None, Some(r.code())),
            None => (None, None),
        };
        // A thumbnail only for frames that make a pass-log record.
        let thumbnail = match (&action, probe.face, self.thumbnail_px) {
            (Some(_), Some(b), px) if px > 0 => thumbnail_jpeg(&img, &b, px),
            _ => None,
        };
        let score = match probe.verdict {
            FrameVerdict::Match { score, .. } | FrameVerdict::Ambiguous { score, .. } => {
                Some(score)
            }
            FrameVerdict::Unknown { best } => best,
            _ => None,
        };
        let faces = usize::from(probe.face.is_some());
        let total_ms = started.elapsed().as_secs_f64() * 1000.0;
        let m = crate::metrics::get();
        m.face_stage("decode", decode_ms);
        m.face_stage("total", total_ms);
        Ok(FrameReport {
            verdict: verdict_code(&probe.verdict),
            score,
            identified,
            refused,
            faces,
            thumbnail,
            decode_ms,
            total_ms,
            times: probe.times,
        })
    }
}

/// The outcome of one frame at a face door, after the access engine was asked (if it was).
#[derive(Debug, serde::Serialize)]
pub struct FacePass {
    #[serde(flatten)]
    pub report: FrameReport,
    /// The pass-log record this frame made, if any.
    pub record_id: Option<uuid::Uuid>,
    pub allowed: Option<bool>,
    /// The access engine's reason (`resident`, `not_authorised_for_estate`, …) or the face
    /// refusal (`face_unknown`, `face_not_live`, `face_ambiguous`).
    pub reason: Option<String>,
    /// Whether the lock was driven (and answered).
    pub opened: bool,
    /// Set when the record or the relay failed.
    pub error: Option<String>,
}

/// One frame through the face keeper, and on an identification or a refusal through the
/// gatekeeper (which records the pass and drives the lock); the thumbnail is stored with the
/// record. Used by the HTTP push endpoint and the camera puller alike.
pub async fn face_pass(
    face: &FaceHandle,
    gk: &crate::gate::keeper::GatekeeperHandle,
    store: &crate::store::Store,
    door: &str,
    bytes: Vec<u8>,
) -> Result<FacePass, FrameError> {
    let mut report = face.frame(door, bytes, crate::os_clock::mono_ms()).await?;
    let outcome = if let Some(person) = &report.identified {
        gk.decide(crate::access::AccessRequest {
            door_id: door.to_string(),
            person_id: person.clone(),
            method: crate::access::Method::Face,
        })
        .await
    } else if let Some(reason) = report.refused {
        gk.face_refused(door.to_string(), reason).await
    } else {
        None
    };
    let thumbnail = report.thumbnail.take();
    let mut pass = FacePass {
        report,
        record_id: None,
        allowed: None,
        reason: None,
        opened: false,
        error: None,
    };
    let Some(out) = outcome else {
        return Ok(pass);
    };
    pass.record_id = Some(out.record_id);
    pass.allowed = Some(out.decision.is_allowed());
    pass.reason = Some(match pass.report.refused {
        Some(r) => r.to_string(),
        None => out.decision.reason_code().to_string(),
    });
    match out.durable.await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => pass.error = Some(format!("pass not recorded: {e}")),
        Err(_) => pass.error = Some("pass not recorded: store writer stopped".into()),
    }
    if let Some(rx) = out.opened {
        match rx.await {
            Ok(Ok(())) => pass.opened = true,
            Ok(Err(e)) => pass.error = Some(format!("door not opened: {e}")),
            Err(_) => pass.error = Some("door not opened: driver stopped".into()),
        }
    }
    if let Some(jpeg) = thumbnail {
        if let Err(e) = store.put_thumbnail(out.record_id, crate::os_clock::wall_ms(), &jpeg) {
            tracing::warn!(error = %e, "face thumbnail not stored");
        }
    }
    Ok(pass)
}
