//! Owns the order of the face pass and the models it runs: detect, then landmarks → five-point
//! alignment → embedding on this thread while liveness runs on a second one, plus the enrolment
//! check and the per-frame probe. The
//! maths lives in the sans-IO modules; this module only feeds them model outputs and times
//! each stage. Images and templates are never logged.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Deserialize;

use crate::decision::{DecisionPolicy, FrameVerdict};
use crate::decode::{decode, DecodeLimits, Rgb8};
use crate::error::{DecodeError, FaceError};
use crate::gallery::{Gallery, SearchResult};
use crate::geometry::{five_from_68, pose, similarity, BoxF, Detection, Pose, Pt, ARCFACE_112};
use crate::heads::{l2_normalise, landmarks68, softmax, ultraface};
use crate::imageops::{crop_stats, resize_box, to_tensor, warp, CropStats, RgbF};
use crate::manifest::{ModelManifest, OutputSpec};
use crate::quality::{PhotoMeasure, QualityReason, QualityRules};
use crate::runtime::{OnnxModel, Runtime};

fn default_detector() -> String {
    "fr_detect".into()
}
fn default_landmarks() -> String {
    "fr_landmark".into()
}
fn default_embedder() -> String {
    "fr_feature".into()
}
fn default_liveness() -> Option<String> {
    Some("fr_liveness".into())
}
fn default_live_threshold() -> f32 {
    0.5
}

/// `[face]` in the daemon config: which manifests to load from `models_dir`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineConfig {
    pub models_dir: PathBuf,
    #[serde(default = "default_detector")]
    pub detector: String,
    #[serde(default = "default_landmarks")]
    pub landmarks: String,
    #[serde(default = "default_embedder")]
    pub embedder: String,
    /// `None` disables the liveness gate (enrolment from photos, tests).
    #[serde(default = "default_liveness")]
    pub liveness: Option<String>,
    /// Minimum probability of the live class.
    #[serde(default = "default_live_threshold")]
    pub live_threshold: f32,
}

impl PipelineConfig {
    pub fn new(models_dir: impl Into<PathBuf>) -> Self {
        Self {
            models_dir: models_dir.into(),
            detector: default_detector(),
            landmarks: default_landmarks(),
            embedder: default_embedder(),
            liveness: default_liveness(),
            live_threshold: default_live_threshold(),
        }
    }
}

/// Milliseconds spent per stage of one call.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StageTimes {
    pub decode_ms: f64,
    pub detect_ms: f64,
    pub landmarks_ms: f64,
    pub liveness_ms: f64,
    pub embed_ms: f64,
    pub search_ms: f64,
}

/// Everything measured about the main (largest) face of an image.
#[derive(Debug, Clone)]
pub struct FaceAnalysis {
    pub detection: Detection,
    pub five: [Pt; 5],
    pub pose: Pose,
    pub stats: CropStats,
    /// Probability of the live class; `None` when liveness is disabled.
    pub live: Option<f32>,
    /// L2-normalised; `None` if the embedder produced a zero or non-finite vector.
    pub embedding: Option<Vec<f32>>,
}

/// The result of [`FacePipeline::analyse`].
#[derive(Debug, Clone)]
pub struct Analysis {
    /// All faces, largest first.
    pub faces: Vec<Detection>,
    /// The largest face, when landmarks could be placed.
    pub main: Option<FaceAnalysis>,
    pub times: StageTimes,
}

/// Why an enrolment photo was refused.
#[derive(Debug, Clone, PartialEq)]
pub enum EnrolRefusal {
    Decode(DecodeError),
    Quality(Vec<QualityReason>),
}

pub struct FacePipeline {
    detector: OnnxModel,
    landmarks: OnnxModel,
    embedder: OnnxModel,
    liveness: Option<OnnxModel>,
    live_threshold: f32,
    /// Run liveness and the embedding on two threads (see `analyse`).
    pub parallel: bool,
    pub decode_limits: DecodeLimits,
    pub quality: QualityRules,
}

impl std::fmt::Debug for FacePipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FacePipeline")
            .field("detector", &self.detector.manifest.name)
            .field("landmarks", &self.landmarks.manifest.name)
            .field("embedder", &self.embedder.manifest.name)
            .field(
                "liveness",
                &self.liveness.as_ref().map(|m| &m.manifest.name),
            )
            .finish()
    }
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

fn load(rt: &Runtime, dir: &Path, name: &str, want: &str) -> Result<OnnxModel, FaceError> {
    let path = dir.join(format!("{name}.toml"));
    let m = ModelManifest::load(&path)?;
    let kind = match m.output {
        OutputSpec::UltraFace { .. } => "ultra_face",
        OutputSpec::Landmarks68 { .. } => "landmarks68",
        OutputSpec::Embedding { .. } => "embedding",
        OutputSpec::Liveness { .. } => "liveness",
    };
    if kind != want {
        return Err(FaceError::Manifest {
            path,
            reason: format!("output.kind is {kind}, this slot needs {want}"),
        });
    }
    rt.load_model(m, dir)
}

impl FacePipeline {
    pub fn load(rt: &Runtime, cfg: &PipelineConfig) -> Result<Self, FaceError> {
        let dir = &cfg.models_dir;
        Ok(Self {
            detector: load(rt, dir, &cfg.detector, "ultra_face")?,
            landmarks: load(rt, dir, &cfg.landmarks, "landmarks68")?,
            embedder: load(rt, dir, &cfg.embedder, "embedding")?,
            liveness: match &cfg.liveness {
                Some(n) => Some(load(rt, dir, n, "liveness")?),
                None => None,
            },
            live_threshold: cfg.live_threshold,
            parallel: true,
            decode_limits: DecodeLimits::default(),
            quality: QualityRules::default(),
        })
    }

    /// Names the embedder a template came from (`<manifest name>:<sha256 prefix>:<dim>`):
    /// templates of another model are not comparable and must be recomputed.
    pub fn embedder_id(&self) -> String {
        let m = &self.embedder.manifest;
        format!(
            "{}:{}:{}",
            m.name,
            &m.sha256[..m.sha256.len().min(12)],
            self.dim()
        )
    }

    /// Embedding length.
    pub fn dim(&self) -> usize {
        match self.embedder.manifest.output {
            OutputSpec::Embedding { dim, .. } => dim,
            _ => 0,
        }
    }

    /// Decodes untrusted bytes under the pipeline's limits.
    pub fn decode(&self, bytes: &[u8]) -> Result<Rgb8, DecodeError> {
        decode(bytes, &self.decode_limits)
    }

    /// All faces, largest first.
    pub fn detect(&self, img: &Rgb8) -> Result<Vec<Detection>, FaceError> {
        let m = &self.detector;
        let OutputSpec::UltraFace {
            scores,
            boxes,
            score_threshold,
            nms_iou,
        } = &m.manifest.output
        else {
            unreachable!("checked at load")
        };
        let spec = &m.manifest.input;
        let whole = BoxF {
            x1: 0.0,
            y1: 0.0,
            x2: img.width as f32,
            y2: img.height as f32,
        };
        let resized = resize_box(img, &whole, spec.width, spec.height);
        let out = m.run(&to_tensor(&resized, spec), &[scores, boxes])?;
        let mut d = ultraface(
            &out[0],
            &out[1],
            img.width,
            img.height,
            *score_threshold,
            *nms_iou,
        );
        d.sort_by(|a, b| b.bbox.area().total_cmp(&a.bbox.area()));
        Ok(d)
    }

    /// 68 landmarks of one face, in image pixels.
    pub fn landmarks(&self, img: &Rgb8, det: &Detection) -> Result<Option<[Pt; 68]>, FaceError> {
        let m = &self.landmarks;
        let OutputSpec::Landmarks68 { output, crop_scale } = &m.manifest.output else {
            unreachable!("checked at load")
        };
        let spec = &m.manifest.input;
        let crop = det
            .bbox
            .scaled_within(*crop_scale, img.width as f32, img.height as f32);
        let patch = resize_box(img, &crop, spec.width, spec.height);
        let out = m.run(&to_tensor(&patch, spec), &[output])?;
        Ok(landmarks68(&out[0], &crop))
    }

    /// The face warped onto the ArcFace 112x112 template.
    pub fn align(&self, img: &Rgb8, five: &[Pt; 5]) -> Option<RgbF> {
        let to_template = similarity(five, &ARCFACE_112)?;
        let from_template = to_template.inverse()?;
        Some(warp(img, &from_template, 112, 112))
    }

    /// Probability of the live class, or `None` when liveness is disabled.
    pub fn liveness(&self, img: &Rgb8, det: &Detection) -> Result<Option<f32>, FaceError> {
        let Some(m) = &self.liveness else {
            return Ok(None);
        };
        let OutputSpec::Liveness {
            output,
            live_class,
            crop_scale,
            ..
        } = &m.manifest.output
        else {
            unreachable!("checked at load")
        };
        let spec = &m.manifest.input;
        let crop = det
            .bbox
            .scaled_within(*crop_scale, img.width as f32, img.height as f32);
        let patch = resize_box(img, &crop, spec.width, spec.height);
        let out = m.run(&to_tensor(&patch, spec), &[output])?;
        Ok(softmax(&out[0]).get(*live_class).copied())
    }

    /// Liveness class probabilities (all classes), for calibration.
    pub fn liveness_probs(
        &self,
        img: &Rgb8,
        det: &Detection,
    ) -> Result<Option<Vec<f32>>, FaceError> {
        let Some(m) = &self.liveness else {
            return Ok(None);
        };
        let OutputSpec::Liveness {
            output, crop_scale, ..
        } = &m.manifest.output
        else {
            unreachable!("checked at load")
        };
        let spec = &m.manifest.input;
        let crop = det
            .bbox
            .scaled_within(*crop_scale, img.width as f32, img.height as f32);
        let patch = resize_box(img, &crop, spec.width, spec.height);
        let out = m.run(&to_tensor(&patch, spec), &[output])?;
        Ok(Some(softmax(&out[0])))
    }

    /// L2-normalised embedding of an aligned face.
    pub fn embed(&self, aligned: &RgbF) -> Result<Option<Vec<f32>>, FaceError> {
        let m = &self.embedder;
        let OutputSpec::Embedding { output, dim } = &m.manifest.output else {
            unreachable!("checked at load")
        };
        let mut out = m.run(&to_tensor(aligned, &m.manifest.input), &[output])?;
        let mut v = out.swap_remove(0);
        if v.len() != *dim {
            return Err(FaceError::Inference {
                model: m.manifest.name.clone(),
                reason: format!(
                    "output {output:?} has {} values, output.dim = {dim}",
                    v.len()
                ),
            });
        }
        Ok(l2_normalise(&mut v).then_some(v))
    }

    /// Runs every stage on the largest face. `with_liveness = false` skips the liveness model.
    pub fn analyse(&self, img: &Rgb8, with_liveness: bool) -> Result<Analysis, FaceError> {
        let mut times = StageTimes::default();
        let t = Instant::now();
        let faces = self.detect(img)?;
        times.detect_ms = ms(t);
        let Some(&main_det) = faces.first() else {
            return Ok(Analysis {
                faces,
                main: None,
                times,
            });
        };
        let live_part = || -> Result<(Option<f32>, f64), FaceError> {
            let t = Instant::now();
            Ok((self.liveness(img, &main_det)?, ms(t)))
        };
        // Liveness needs only the box, the embedding needs landmarks and alignment: on two cores
        // they run side by side (each model has serial parts the shared pool cannot fill).
        let (live, rest) = match (with_liveness, self.parallel) {
            (false, _) => (Ok((None, 0.0)), self.face_part(img, &main_det)),
            (true, false) => (live_part(), self.face_part(img, &main_det)),
            (true, true) => std::thread::scope(|s| {
                let h = s.spawn(live_part);
                let rest = self.face_part(img, &main_det);
                (
                    h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)),
                    rest,
                )
            }),
        };
        let (live, live_ms) = live?;
        times.liveness_ms = live_ms;
        let (main, lm_ms, embed_ms) = rest?;
        times.landmarks_ms = lm_ms;
        times.embed_ms = embed_ms;
        let main = main.map(|(five, stats, embedding)| FaceAnalysis {
            detection: main_det,
            five,
            pose: pose(&five),
            stats,
            live,
            embedding,
        });
        Ok(Analysis { faces, main, times })
    }

    /// Landmarks, alignment, crop measurements and embedding of one face, with the time of the
    /// landmark stage and of the rest. `None` when landmarks could not be placed.
    #[allow(clippy::type_complexity)]
    fn face_part(
        &self,
        img: &Rgb8,
        det: &Detection,
    ) -> Result<(Option<([Pt; 5], CropStats, Option<Vec<f32>>)>, f64, f64), FaceError> {
        let t = Instant::now();
        let lm = self.landmarks(img, det)?;
        let lm_ms = ms(t);
        let Some(lm) = lm else {
            return Ok((None, lm_ms, 0.0));
        };
        let five = five_from_68(&lm);
        let t = Instant::now();
        let (stats, embedding) = match self.align(img, &five) {
            Some(aligned) => (crop_stats(&aligned), self.embed(&aligned)?),
            None => (
                CropStats {
                    brightness: 0.0,
                    sharpness: 0.0,
                },
                None,
            ),
        };
        Ok((Some((five, stats, embedding)), lm_ms, ms(t)))
    }

    /// Quality measurements of an analysed photo.
    pub fn measure(a: &Analysis) -> PhotoMeasure {
        let mut face_heights = [0.0f32; 4];
        for (h, d) in face_heights.iter_mut().zip(&a.faces) {
            *h = d.bbox.height();
        }
        PhotoMeasure {
            face_heights,
            faces: a.faces.len(),
            pose: a.main.as_ref().map(|m| m.pose),
            brightness: a.main.as_ref().map_or(0.0, |m| m.stats.brightness),
            sharpness: a.main.as_ref().map_or(0.0, |m| m.stats.sharpness),
        }
    }

    /// Checks an enrolment photo and returns its template, or every reason it is unusable.
    /// Liveness is not applied: enrolment photos are photos.
    pub fn enrol(&self, bytes: &[u8]) -> Result<Result<Vec<f32>, EnrolRefusal>, FaceError> {
        let t = Instant::now();
        let img = match self.decode(bytes) {
            Ok(i) => i,
            Err(e) => {
                tracing::info!(reason = %e, "enrolment photo refused");
                return Ok(Err(EnrolRefusal::Decode(e)));
            }
        };
        let a = self.analyse(&img, false)?;
        let mut reasons = self.quality.check(&Self::measure(&a));
        let emb = a.main.and_then(|m| m.embedding);
        if reasons.is_empty() && emb.is_none() {
            reasons.push(QualityReason::NoFace);
        }
        let reason_list: Vec<&str> = reasons.iter().map(|r| r.as_str()).collect();
        tracing::info!(
            faces = a.faces.len(),
            accepted = reasons.is_empty(),
            reasons = ?reason_list,
            duration_ms = t.elapsed().as_millis() as u64,
            "enrolment photo checked"
        );
        match (reasons.is_empty(), emb) {
            (true, Some(e)) => Ok(Ok(e)),
            _ => Ok(Err(EnrolRefusal::Quality(reasons))),
        }
    }

    /// One camera frame: the largest face, the liveness gate, the search and the verdict.
    pub fn probe(
        &self,
        img: &Rgb8,
        gallery: &Gallery,
        policy: &DecisionPolicy,
    ) -> Result<(FrameVerdict, SearchResult, StageTimes), FaceError> {
        let p = self.probe_face(img, gallery, policy)?;
        Ok((p.verdict, p.search, p.times))
    }

    /// [`probe`](Self::probe), also returning where the face was (for the pass-log thumbnail).
    pub fn probe_face(
        &self,
        img: &Rgb8,
        gallery: &Gallery,
        policy: &DecisionPolicy,
    ) -> Result<Probe, FaceError> {
        let mut a = self.analyse(img, true)?;
        let face = a.faces.first().map(|d| d.bbox);
        let probe = |verdict, search, times| Probe {
            verdict,
            search,
            times,
            face,
        };
        let Some(main) = a.main.take() else {
            return Ok(probe(
                FrameVerdict::NoFace,
                SearchResult::default(),
                a.times,
            ));
        };
        if let Some(p) = main.live {
            if p.is_nan() || p < self.live_threshold {
                return Ok(probe(
                    FrameVerdict::NotLive,
                    SearchResult::default(),
                    a.times,
                ));
            }
        }
        let Some(e) = main.embedding else {
            return Ok(probe(
                FrameVerdict::NoFace,
                SearchResult::default(),
                a.times,
            ));
        };
        let t = Instant::now();
        let r = gallery.search(&e);
        a.times.search_ms = ms(t);
        Ok(probe(policy.judge(&r), r, a.times))
    }
}

/// One frame's result.
#[derive(Debug, Clone)]
pub struct Probe {
    pub verdict: FrameVerdict,
    pub search: SearchResult,
    pub times: StageTimes,
    /// The largest face's box in image pixels, if any.
    pub face: Option<BoxF>,
}

/// A small JPEG of the face for the pass log: the box widened by 30 % (within the image),
/// scaled to `side`×`side`, quality 75. A 96-px face is 2–4 KB.
pub fn thumbnail_jpeg(img: &Rgb8, face: &BoxF, side: u32) -> Option<Vec<u8>> {
    let crop = face.scaled_within(1.3, img.width as f32, img.height as f32);
    if crop.width() < 1.0 || crop.height() < 1.0 || side == 0 {
        return None;
    }
    let small = resize_box(img, &crop, side, side);
    let rgb: Vec<u8> = small
        .data
        .iter()
        .map(|v| v.round().clamp(0.0, 255.0) as u8)
        .collect();
    let mut out = Vec::with_capacity(4096);
    let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 75);
    image::ImageEncoder::write_image(enc, &rgb, side, side, image::ExtendedColorType::Rgb8).ok()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::RuntimeConfig;

    #[derive(Debug, Deserialize)]
    struct DaemonFace {
        runtime: RuntimeConfig,
        face: PipelineConfig,
    }

    #[test]
    fn config_sections_parse_with_defaults_and_name_unknown_fields() {
        let c: DaemonFace = toml::from_str(
            r#"
            [runtime]
            library_path = "/opt/edge/models/runtime/libonnxruntime.so"
            [face]
            models_dir = "/opt/edge/models"
            "#,
        )
        .unwrap();
        assert_eq!(c.runtime.intra_threads, 0);
        assert_eq!(c.face, PipelineConfig::new("/opt/edge/models"));
        let e = toml::from_str::<DaemonFace>(
            r#"
            [runtime]
            library_path = "x"
            [face]
            models_dir = "m"
            live_treshold = 0.4
            "#,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("live_treshold"), "{e}");
    }
}
