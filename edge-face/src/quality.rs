//! **Sans-IO.** Owns the enrolment photo rules: given what the pipeline measured (faces found,
//! the main face's size, pose, brightness and sharpness), say whether the photo is usable and,
//! if not, every reason why.

use serde::Serialize;

use crate::geometry::Pose;

/// Why a photo cannot be used for enrolment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QualityReason {
    NoFace,
    MultipleFaces,
    FaceTooSmall,
    Blurred,
    TooDark,
    TurnedAway,
}

impl QualityReason {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::NoFace => "no_face",
            Self::MultipleFaces => "multiple_faces",
            Self::FaceTooSmall => "face_too_small",
            Self::Blurred => "blurred",
            Self::TooDark => "too_dark",
            Self::TurnedAway => "turned_away",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QualityRules {
    /// Minimum detection box height, pixels of the original photo.
    pub min_face_px: f32,
    /// A second face counts when its box is at least this fraction of the largest face's height
    /// (smaller faces far behind are bystanders, not a second subject).
    pub second_face_ratio: f32,
    /// Minimum Laplacian variance of the aligned 112x112 face.
    pub min_sharpness: f32,
    /// Minimum mean luma (0..=255) of the aligned face's centre.
    pub min_brightness: f32,
    /// Largest |yaw| proxy accepted (about 1.0 at 45 degrees).
    pub max_yaw: f32,
    /// Largest |pitch| proxy accepted.
    pub max_pitch: f32,
}

impl Default for QualityRules {
    fn default() -> Self {
        // Calibrated on the test photos (see tests/real_models.rs): sharp photos measure
        // 60..400 and a 4 px blur drops them under 20; faces in normal light measure 90..180.
        Self {
            min_face_px: 80.0,
            second_face_ratio: 0.5,
            min_sharpness: 25.0,
            min_brightness: 45.0,
            max_yaw: 0.45,
            max_pitch: 0.25,
        }
    }
}

/// Measurements of one photo.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PhotoMeasure {
    /// Heights (pixels) of all detected faces, largest first.
    pub face_heights: [f32; 4],
    pub faces: usize,
    /// Of the largest face; `None` when there is no face or landmarks failed.
    pub pose: Option<Pose>,
    pub brightness: f32,
    pub sharpness: f32,
}

impl QualityRules {
    /// Every reason the photo is unusable; empty means usable.
    pub fn check(&self, m: &PhotoMeasure) -> Vec<QualityReason> {
        let mut r = Vec::new();
        if m.faces == 0 {
            r.push(QualityReason::NoFace);
            return r;
        }
        let main = m.face_heights[0];
        let others = m.face_heights[1..m.faces.min(4)]
            .iter()
            .filter(|h| **h >= main * self.second_face_ratio)
            .count();
        if others > 0 {
            r.push(QualityReason::MultipleFaces);
        }
        if main < self.min_face_px {
            r.push(QualityReason::FaceTooSmall);
        }
        match m.pose {
            Some(p) if p.yaw.abs() <= self.max_yaw && p.pitch.abs() <= self.max_pitch => {}
            _ => r.push(QualityReason::TurnedAway),
        }
        if m.brightness < self.min_brightness {
            r.push(QualityReason::TooDark);
        } else if m.sharpness < self.min_sharpness {
            // A dark face is also flat; only call it blurred when the light was adequate.
            r.push(QualityReason::Blurred);
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn good() -> PhotoMeasure {
        PhotoMeasure {
            face_heights: [300.0, 0.0, 0.0, 0.0],
            faces: 1,
            pose: Some(Pose {
                yaw: 0.05,
                pitch: 0.02,
                roll_deg: 3.0,
            }),
            brightness: 120.0,
            sharpness: 150.0,
        }
    }

    #[test]
    fn each_rule_gives_its_reason() {
        let q = QualityRules::default();
        assert!(q.check(&good()).is_empty());
        assert_eq!(
            q.check(&PhotoMeasure { faces: 0, ..good() }),
            vec![QualityReason::NoFace]
        );
        let two = PhotoMeasure {
            faces: 2,
            face_heights: [300.0, 200.0, 0.0, 0.0],
            ..good()
        };
        assert_eq!(q.check(&two), vec![QualityReason::MultipleFaces]);
        let bystander = PhotoMeasure {
            faces: 2,
            face_heights: [300.0, 60.0, 0.0, 0.0],
            ..good()
        };
        assert!(q.check(&bystander).is_empty());
        let small = PhotoMeasure {
            face_heights: [40.0, 0.0, 0.0, 0.0],
            ..good()
        };
        assert_eq!(q.check(&small), vec![QualityReason::FaceTooSmall]);
        assert_eq!(
            q.check(&PhotoMeasure {
                sharpness: 3.0,
                ..good()
            }),
            vec![QualityReason::Blurred]
        );
        assert_eq!(
            q.check(&PhotoMeasure {
                brightness: 10.0,
                sharpness: 1.0,
                ..good()
            }),
            vec![QualityReason::TooDark]
        );
        let turned = PhotoMeasure {
            pose: Some(Pose {
                yaw: 0.9,
                pitch: 0.0,
                roll_deg: 0.0,
            }),
            ..good()
        };
        assert_eq!(q.check(&turned), vec![QualityReason::TurnedAway]);
        assert_eq!(
            q.check(&PhotoMeasure {
                pose: None,
                ..good()
            }),
            vec![QualityReason::TurnedAway]
        );
        assert_eq!(QualityReason::FaceTooSmall.as_str(), "face_too_small");
    }

    proptest! {
        #[test]
        fn usable_only_when_every_measure_is_in_range(
            faces in 0usize..4, h in 0.0f32..600.0, h2 in 0.0f32..600.0, yaw in -2.0f32..2.0,
            pitch in -1.0f32..1.0, b in 0.0f32..255.0, s in 0.0f32..500.0,
        ) {
            let q = QualityRules::default();
            let m = PhotoMeasure {
                face_heights: [h.max(h2), h.min(h2), 0.0, 0.0], faces,
                pose: Some(Pose { yaw, pitch, roll_deg: 0.0 }), brightness: b, sharpness: s,
            };
            let ok = q.check(&m).is_empty();
            let expect = faces >= 1 && h.max(h2) >= q.min_face_px
                && (faces < 2 || h.min(h2) < h.max(h2) * q.second_face_ratio)
                && yaw.abs() <= q.max_yaw && pitch.abs() <= q.max_pitch
                && b >= q.min_brightness && s >= q.min_sharpness;
            prop_assert_eq!(ok, expect);
        }
    }
}
