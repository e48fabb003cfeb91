//! `[face]` in the box's config: where ONNX Runtime and the models are, the key that encrypts
//! face templates at rest, and per door the decision thresholds and the cameras that feed it.
//! Parsing and cross-checks only; nothing is loaded here.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::config::error::ConfigError;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaceConfig {
    /// `libonnxruntime.so` 1.31.x (`bash models/fetch.sh` installs it as
    /// `models/runtime/libonnxruntime.so`). A missing or wrong library stops the daemon at start
    /// with a message naming this field.
    pub library_path: PathBuf,
    /// Folder with the model manifests (`fr_detect.toml`, …) and their ONNX files.
    pub models_dir: PathBuf,
    /// 32 random bytes that encrypt face templates in the store. Kept outside the store's
    /// folder so a copied store is unreadable without it; created (mode 0600) at first start.
    pub template_key_file: PathBuf,
    /// Threads of ONNX Runtime's shared pool; 0 = one per core.
    #[serde(default)]
    pub intra_threads: usize,
    /// Run the liveness model on camera frames (a photo held up is refused).
    #[serde(default = "yes")]
    pub liveness: bool,
    /// Minimum probability of the live class.
    #[serde(default = "default_live_threshold")]
    pub live_threshold: f32,
    /// Bearer token a face terminal or camera presents to `POST /v1/doors/{id}/face-frames`
    /// (the admin token is accepted too). At least 16 characters.
    #[serde(default)]
    pub frame_token: Option<String>,
    /// Largest frame accepted over HTTP or from a camera.
    #[serde(default = "default_max_frame_bytes")]
    pub max_frame_bytes: usize,
    /// Side of the pass log's face thumbnail in pixels (0 = no thumbnails).
    #[serde(default = "default_thumbnail_px")]
    pub thumbnail_px: u32,
    /// Doors that open by face, with their thresholds.
    #[serde(default)]
    pub doors: Vec<FaceDoorConfig>,
    /// Cameras the box pulls snapshots from.
    #[serde(default)]
    pub cameras: Vec<CameraConfig>,
}

/// One face door. The defaults come from the verification report in `edge-face` (0 false
/// accepts in 54,145 impostor pairs at 0.55; FRR 4.8 %).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaceDoorConfig {
    /// A `[[doors]] id`.
    pub door: String,
    /// Minimum cosine similarity to the best enrolled person.
    #[serde(default = "default_threshold")]
    pub threshold: f32,
    /// Minimum lead of the best person over the second best.
    #[serde(default = "default_margin")]
    pub margin: f32,
    /// Consecutive matching frames before the door is asked to open.
    #[serde(default = "default_confirm_frames")]
    pub confirm_frames: u32,
    /// A longer pause between frames starts a new attempt.
    #[serde(default = "default_max_gap_ms")]
    pub max_gap_ms: u64,
    /// The same person is not let through this door again within this time.
    #[serde(default = "default_repeat_ms")]
    pub repeat_ms: u64,
}

/// A camera whose snapshots the box pulls while someone is at the door.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraConfig {
    /// The face door it watches.
    pub door: String,
    /// `http://` URL returning one JPEG per GET.
    pub snapshot_url: String,
    /// Time between snapshots while someone is present.
    #[serde(default = "default_interval_ms")]
    pub interval_ms: u64,
    /// Per-request timeout.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// A presence sensor (e.g. a PIR or radar on a Modbus discrete input); without one the
    /// camera is pulled all the time.
    #[serde(default)]
    pub presence: Option<PresenceConfig>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PresenceConfig {
    /// A `[[devices]] id`.
    pub device: String,
    /// Discrete input address (0-based) that is on while someone is present.
    pub discrete_input: u16,
    /// How often the input is read.
    #[serde(default = "default_presence_poll_ms")]
    pub poll_ms: u64,
}

fn yes() -> bool {
    true
}
fn default_live_threshold() -> f32 {
    0.5
}
fn default_max_frame_bytes() -> usize {
    4 * 1024 * 1024
}
fn default_thumbnail_px() -> u32 {
    96
}
fn default_threshold() -> f32 {
    0.55
}
fn default_margin() -> f32 {
    0.08
}
fn default_confirm_frames() -> u32 {
    3
}
fn default_max_gap_ms() -> u64 {
    1_000
}
fn default_repeat_ms() -> u64 {
    5_000
}
fn default_interval_ms() -> u64 {
    250
}
fn default_timeout_ms() -> u64 {
    1_000
}
fn default_presence_poll_ms() -> u64 {
    200
}

impl FaceDoorConfig {
    pub fn policy(&self) -> edge_face::DecisionPolicy {
        edge_face::DecisionPolicy {
            threshold: self.threshold,
            margin: self.margin,
            confirm_frames: self.confirm_frames,
            max_gap_ms: self.max_gap_ms,
        }
    }
}

impl FaceConfig {
    /// Resolves relative paths against the config file's folder and checks every field.
    pub fn resolve(
        mut self,
        file: &Path,
        rel: &dyn Fn(&Path) -> PathBuf,
        doors: &[&str],
        devices: &[&str],
    ) -> Result<FaceConfig, ConfigError> {
        let err = |field: String, reason: String| Err(ConfigError::new(file, &field, reason));
        self.library_path = rel(&self.library_path);
        self.models_dir = rel(&self.models_dir);
        self.template_key_file = rel(&self.template_key_file);
        if !(0.0..=1.0).contains(&self.live_threshold) {
            return err(
                "face.live_threshold".into(),
                format!("{} is outside 0..=1", self.live_threshold),
            );
        }
        if let Some(t) = &self.frame_token {
            if t.trim().len() < 16 || t.trim() != t {
                return err(
                    "face.frame_token".into(),
                    "must be at least 16 characters, without surrounding spaces".into(),
                );
            }
        }
        if !(64 * 1024..=32 * 1024 * 1024).contains(&self.max_frame_bytes) {
            return err(
                "face.max_frame_bytes".into(),
                format!("{} is outside 65536..=33554432", self.max_frame_bytes),
            );
        }
        if self.thumbnail_px > 256 {
            return err(
                "face.thumbnail_px".into(),
                format!("{} is more than 256", self.thumbnail_px),
            );
        }
        let mut seen = std::collections::HashSet::new();
        for (i, d) in self.doors.iter().enumerate() {
            let f = |n: &str| format!("face.doors[{i}].{n}");
            if !doors.contains(&d.door.as_str()) {
                return err(f("door"), format!("no door `{}` in [[doors]]", d.door));
            }
            if !seen.insert(d.door.clone()) {
                return err(f("door"), format!("door `{}` is listed twice", d.door));
            }
            if !(0.3..=0.95).contains(&d.threshold) {
                // Below 0.3 strangers open the door; above 0.95 nobody does.
                return err(
                    f("threshold"),
                    format!("{} is outside 0.3..=0.95", d.threshold),
                );
            }
            if !(0.0..=0.5).contains(&d.margin) {
                return err(f("margin"), format!("{} is outside 0..=0.5", d.margin));
            }
            if !(1..=10).contains(&d.confirm_frames) {
                return err(
                    f("confirm_frames"),
                    format!("{} is outside 1..=10", d.confirm_frames),
                );
            }
            if !(100..=10_000).contains(&d.max_gap_ms) {
                return err(
                    f("max_gap_ms"),
                    format!("{} is outside 100..=10000", d.max_gap_ms),
                );
            }
            if d.repeat_ms > 600_000 {
                return err(
                    f("repeat_ms"),
                    format!("{} is more than 600000", d.repeat_ms),
                );
            }
        }
        for (i, c) in self.cameras.iter().enumerate() {
            let f = |n: &str| format!("face.cameras[{i}].{n}");
            if !seen.contains(&c.door) {
                return err(
                    f("door"),
                    format!(
                        "door `{}` is not a face door (add it to [[face.doors]])",
                        c.door
                    ),
                );
            }
            if !c.snapshot_url.starts_with("http://") && !c.snapshot_url.starts_with("https://") {
                return err(
                    f("snapshot_url"),
                    "must be an http:// or https:// URL".into(),
                );
            }
            if !(50..=60_000).contains(&c.interval_ms) {
                return err(
                    f("interval_ms"),
                    format!("{} is outside 50..=60000", c.interval_ms),
                );
            }
            if !(50..=30_000).contains(&c.timeout_ms) {
                return err(
                    f("timeout_ms"),
                    format!("{} is outside 50..=30000", c.timeout_ms),
                );
            }
            if let Some(p) = &c.presence {
                if !devices.contains(&p.device.as_str()) {
                    return err(
                        f("presence.device"),
                        format!("no device `{}` in [[devices]]", p.device),
                    );
                }
                if !(20..=10_000).contains(&p.poll_ms) {
                    return err(
                        f("presence.poll_ms"),
                        format!("{} is outside 20..=10000", p.poll_ms),
                    );
                }
            }
        }
        Ok(self)
    }

    pub fn door(&self, id: &str) -> Option<&FaceDoorConfig> {
        self.doors.iter().find(|d| d.door == id)
    }
}
