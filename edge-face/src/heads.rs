//! **Sans-IO.** Owns the meaning of model outputs: UltraFace scores and boxes to detections,
//! 68 normalised landmark pairs to image points, liveness logits to a probability, and L2
//! normalisation of embeddings.

use crate::geometry::{nms, BoxF, Detection, Pt};

/// Most detections the pipeline ever looks at; more faces than this is a crowd, not a pass.
pub const MAX_DETECTIONS: usize = 32;

/// UltraFace outputs (`scores` [N, 2] softmaxed, `boxes` [N, 4] normalised x1 y1 x2 y2) to
/// detections in pixels of an image of `img_w` x `img_h`.
pub fn ultraface(
    scores: &[f32],
    boxes: &[f32],
    img_w: u32,
    img_h: u32,
    threshold: f32,
    iou: f32,
) -> Vec<Detection> {
    let n = (scores.len() / 2).min(boxes.len() / 4);
    let (w, h) = (img_w as f32, img_h as f32);
    let mut cands = Vec::new();
    for i in 0..n {
        let s = scores[i * 2 + 1];
        // NaN scores fail this comparison and are dropped.
        if s > threshold {
            let b = &boxes[i * 4..i * 4 + 4];
            let bbox = BoxF {
                x1: (b[0] * w).clamp(0.0, w),
                y1: (b[1] * h).clamp(0.0, h),
                x2: (b[2] * w).clamp(0.0, w),
                y2: (b[3] * h).clamp(0.0, h),
            };
            if bbox.width() >= 1.0 && bbox.height() >= 1.0 {
                cands.push(Detection { bbox, score: s });
            }
        }
    }
    nms(cands, iou, MAX_DETECTIONS)
}

/// 136 values, (x, y) normalised to `crop`, to points in the image. `None` if any is not finite.
pub fn landmarks68(out: &[f32], crop: &BoxF) -> Option<[Pt; 68]> {
    if out.len() < 136 || out[..136].iter().any(|v| !v.is_finite()) {
        return None;
    }
    let mut p = [(0.0, 0.0); 68];
    for (i, q) in p.iter_mut().enumerate() {
        *q = (
            crop.x1 + out[2 * i] * crop.width(),
            crop.y1 + out[2 * i + 1] * crop.height(),
        );
    }
    Some(p)
}

/// Numerically stable softmax.
pub fn softmax(logits: &[f32]) -> Vec<f32> {
    let m = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let e: Vec<f32> = logits.iter().map(|v| (v - m).exp()).collect();
    let s: f32 = e.iter().sum();
    e.iter().map(|v| v / s).collect()
}

/// L2-normalises in place; `false` (and the vector untouched) when it is zero or not finite.
pub fn l2_normalise(v: &mut [f32]) -> bool {
    let n: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if !n.is_finite() || n < 1e-12 {
        return false;
    }
    v.iter_mut().for_each(|x| *x /= n);
    true
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn ultraface_scales_thresholds_and_suppresses() {
        let scores = [0.1, 0.9, 0.2, 0.8, 0.9, 0.1, 0.3, 0.7];
        let boxes = [
            0.1, 0.1, 0.3, 0.4, // face
            0.11, 0.1, 0.31, 0.4, // same face, lower score
            0.5, 0.5, 0.6, 0.6, // below threshold
            0.6, 0.1, 0.8, 0.4, // second face
        ];
        let d = ultraface(&scores, &boxes, 1000, 500, 0.65, 0.4);
        assert_eq!(d.len(), 2);
        assert!((d[0].bbox.x1 - 100.0).abs() < 1e-3 && (d[0].bbox.y2 - 200.0).abs() < 1e-3);
        assert_eq!(d[1].score, 0.7);
    }

    #[test]
    fn landmarks_map_into_the_crop() {
        let mut out = vec![0.5f32; 136];
        out[0] = 0.0;
        out[1] = 1.0;
        let crop = BoxF {
            x1: 10.0,
            y1: 20.0,
            x2: 110.0,
            y2: 220.0,
        };
        let p = landmarks68(&out, &crop).unwrap();
        assert_eq!(p[0], (10.0, 220.0));
        assert_eq!(p[5], (60.0, 120.0));
        out[7] = f32::NAN;
        assert!(landmarks68(&out, &crop).is_none());
    }

    proptest! {
        #[test]
        fn softmax_sums_to_one(v in proptest::collection::vec(-50.0f32..50.0, 1..8)) {
            let p = softmax(&v);
            prop_assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-4);
        }

        #[test]
        fn normalised_vectors_have_unit_length(mut v in proptest::collection::vec(-10.0f32..10.0, 1..64)) {
            if l2_normalise(&mut v) {
                let n: f32 = v.iter().map(|x| x * x).sum();
                prop_assert!((n - 1.0).abs() < 1e-3);
            }
        }

        #[test]
        fn ultraface_never_panics_and_stays_in_image(
            s in proptest::collection::vec(-1.0f32..2.0, 0..64), b in proptest::collection::vec(-1.0f32..2.0, 0..128),
        ) {
            for d in ultraface(&s, &b, 640, 480, 0.5, 0.4) {
                prop_assert!(d.bbox.x1 >= 0.0 && d.bbox.x2 <= 640.0 && d.bbox.y1 >= 0.0 && d.bbox.y2 <= 480.0);
            }
        }
    }
}
