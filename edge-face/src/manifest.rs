//! Owns the per-model manifest (`models/<name>.toml`): what the model expects as input and what
//! its outputs mean, so a model can be swapped by editing a file instead of code.
//! Parsing is sans-IO ([`ModelManifest::parse`]); [`ModelManifest::load`] only reads the file.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::FaceError;

/// Memory layout of the input tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    Nchw,
    Nhwc,
}

/// Channel order of the input tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Colour {
    Rgb,
    Bgr,
    /// One channel, ITU-R BT.601 luma.
    Gray,
}

/// The input tensor: `value = (pixel - mean[c]) * scale[c]`, pixel in 0..=255.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputSpec {
    pub name: String,
    pub width: u32,
    pub height: u32,
    pub layout: Layout,
    pub colour: Colour,
    pub mean: [f32; 3],
    pub scale: [f32; 3],
}

impl InputSpec {
    pub fn channels(&self) -> usize {
        if self.colour == Colour::Gray {
            1
        } else {
            3
        }
    }

    pub fn shape(&self) -> [i64; 4] {
        let (c, h, w) = (
            self.channels() as i64,
            i64::from(self.height),
            i64::from(self.width),
        );
        match self.layout {
            Layout::Nchw => [1, c, h, w],
            Layout::Nhwc => [1, h, w, c],
        }
    }

    pub fn len(&self) -> usize {
        self.channels() * self.width as usize * self.height as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What the outputs mean, per model kind.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum OutputSpec {
    /// UltraFace-style detector: `scores` [1, N, 2] (softmaxed, index 1 = face) and `boxes`
    /// [1, N, 4] (x1, y1, x2, y2 normalised to the input). The whole image is stretched to the input.
    UltraFace {
        scores: String,
        boxes: String,
        score_threshold: f32,
        nms_iou: f32,
    },
    /// 68-point landmarks [1, 136] as (x, y) pairs normalised to the crop; the crop is the
    /// detection box scaled by `crop_scale` around its centre.
    Landmarks68 { output: String, crop_scale: f32 },
    /// Face embedding [1, dim] from a face aligned to the ArcFace 112x112 five-point template.
    Embedding { output: String, dim: usize },
    /// Liveness classifier [1, classes] logits over a crop `crop_scale` times the detection box.
    Liveness {
        output: String,
        classes: usize,
        live_class: usize,
        crop_scale: f32,
    },
}

/// A parsed `models/<name>.toml`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelManifest {
    pub name: String,
    /// Model file, relative to the manifest's directory.
    pub file: String,
    /// Expected sha256 of the file (hex); checked when the model is loaded.
    pub sha256: String,
    pub input: InputSpec,
    pub output: OutputSpec,
}

impl ModelManifest {
    /// Parses and checks a manifest; `origin` names it in errors.
    pub fn parse(text: &str, origin: &Path) -> Result<Self, FaceError> {
        let err = |reason: String| FaceError::Manifest {
            path: origin.to_path_buf(),
            reason,
        };
        let m: ModelManifest = toml::from_str(text).map_err(|e| err(e.to_string()))?;
        if m.input.width == 0
            || m.input.height == 0
            || m.input.width > 4096
            || m.input.height > 4096
        {
            return Err(err(
                "input.width and input.height must be in 1..=4096".into()
            ));
        }
        if m.input.scale.iter().any(|s| !s.is_finite() || *s == 0.0) {
            return Err(err("input.scale must be finite and non-zero".into()));
        }
        if m.input.mean.iter().any(|s| !s.is_finite()) {
            return Err(err("input.mean must be finite".into()));
        }
        if m.sha256.len() != 64 || !m.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(err("sha256 must be 64 hex digits".into()));
        }
        let unit = |v: &f32| (0.0..=1.0).contains(v);
        let reason = match &m.output {
            OutputSpec::UltraFace {
                score_threshold,
                nms_iou,
                ..
            } if !unit(score_threshold) || !unit(nms_iou) => {
                Some("output.score_threshold and output.nms_iou must be in 0..=1")
            }
            OutputSpec::Landmarks68 { crop_scale, .. }
            | OutputSpec::Liveness { crop_scale, .. }
                if !(crop_scale.is_finite() && (0.5..=8.0).contains(crop_scale)) =>
            {
                Some("output.crop_scale must be in 0.5..=8")
            }
            OutputSpec::Liveness {
                classes,
                live_class,
                ..
            } if live_class >= classes => Some("output.live_class must be < output.classes"),
            OutputSpec::Embedding { dim, .. } if *dim == 0 || *dim > 4096 => {
                Some("output.dim must be in 1..=4096")
            }
            OutputSpec::Embedding { .. } if m.input.width != 112 || m.input.height != 112 => {
                Some("embedding input must be 112x112 (the ArcFace template)")
            }
            _ => None,
        };
        if let Some(r) = reason {
            return Err(err(r.into()));
        }
        Ok(m)
    }

    /// Reads and parses `path`.
    pub fn load(path: &Path) -> Result<Self, FaceError> {
        let text = std::fs::read_to_string(path).map_err(|e| FaceError::Manifest {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        Self::parse(&text, path)
    }

    /// The model file next to the manifest.
    pub fn model_path(&self, manifest_dir: &Path) -> PathBuf {
        manifest_dir.join(&self.file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DETECT: &str = r#"
name = "fr_detect"
file = "fr_detect.onnx"
sha256 = "6c0256ccd3164f844736a401faf936ec2930764a87ae39442180887d0c5c8854"
[input]
name = "input"
width = 320
height = 240
layout = "nchw"
colour = "rgb"
mean = [127.0, 127.0, 127.0]
scale = [0.0078125, 0.0078125, 0.0078125]
[output]
kind = "ultra_face"
scores = "scores"
boxes = "boxes"
score_threshold = 0.7
nms_iou = 0.4
"#;

    #[test]
    fn detector_manifest_parses() {
        let m = ModelManifest::parse(DETECT, Path::new("x.toml")).unwrap();
        assert_eq!(m.input.shape(), [1, 3, 240, 320]);
        assert!(matches!(m.output, OutputSpec::UltraFace { .. }));
    }

    #[test]
    fn errors_name_the_field() {
        let bad = DETECT.replace("width = 320", "width = 0");
        let e = ModelManifest::parse(&bad, Path::new("x.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("input.width"), "{e}");
        let bad = DETECT.replace("layout = \"nchw\"", "layout = \"chw\"");
        let e = ModelManifest::parse(&bad, Path::new("x.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("layout"), "{e}");
        let bad = DETECT.replace("score_threshold = 0.7", "score_threshold = 1.7");
        let e = ModelManifest::parse(&bad, Path::new("x.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("score_threshold"), "{e}");
    }

    #[test]
    fn shipped_manifests_parse() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../models");
        for name in ["fr_detect", "fr_landmark", "fr_feature", "fr_liveness"] {
            let m = ModelManifest::load(&dir.join(format!("{name}.toml"))).unwrap();
            assert_eq!(m.name, name);
        }
    }
}
