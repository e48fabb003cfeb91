//! **Sans-IO.** Owns the geometry of the face pass: boxes, IoU and non-maximum suppression, the
//! ArcFace five-point template, the least-squares similarity transform that aligns a face to it
//! (Umeyama, closed form in complex numbers), and head pose estimated from five points.

/// A box in pixels: (x1, y1) top-left, (x2, y2) bottom-right.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoxF {
    pub x1: f32,
    pub y1: f32,
    pub x2: f32,
    pub y2: f32,
}

impl BoxF {
    pub fn width(&self) -> f32 {
        (self.x2 - self.x1).max(0.0)
    }
    pub fn height(&self) -> f32 {
        (self.y2 - self.y1).max(0.0)
    }
    pub fn area(&self) -> f32 {
        self.width() * self.height()
    }
    pub fn centre(&self) -> (f32, f32) {
        ((self.x1 + self.x2) * 0.5, (self.y1 + self.y2) * 0.5)
    }

    /// Intersection over union; 0 for empty boxes.
    pub fn iou(&self, o: &BoxF) -> f32 {
        let iw = (self.x2.min(o.x2) - self.x1.max(o.x1)).max(0.0);
        let ih = (self.y2.min(o.y2) - self.y1.max(o.y1)).max(0.0);
        let inter = iw * ih;
        let union = self.area() + o.area() - inter;
        if union <= 0.0 {
            0.0
        } else {
            inter / union
        }
    }

    /// The box scaled by `s` around its centre, then shifted (not shrunk) to fit inside
    /// `width` x `height` where it can, and finally clipped. Mirrors the reference crop code.
    pub fn scaled_within(&self, s: f32, width: f32, height: f32) -> BoxF {
        let (cx, cy) = self.centre();
        // Never larger than the image (keeps the aspect ratio like the reference).
        let s = s
            .min((height - 1.0) / self.height().max(1.0))
            .min((width - 1.0) / self.width().max(1.0));
        let (hw, hh) = (self.width() * s * 0.5, self.height() * s * 0.5);
        let (mut x1, mut y1, mut x2, mut y2) = (cx - hw, cy - hh, cx + hw, cy + hh);
        if x1 < 0.0 {
            x2 -= x1;
            x1 = 0.0;
        }
        if y1 < 0.0 {
            y2 -= y1;
            y1 = 0.0;
        }
        if x2 > width - 1.0 {
            x1 -= x2 - (width - 1.0);
            x2 = width - 1.0;
        }
        if y2 > height - 1.0 {
            y1 -= y2 - (height - 1.0);
            y2 = height - 1.0;
        }
        BoxF {
            x1: x1.max(0.0),
            y1: y1.max(0.0),
            x2,
            y2,
        }
    }
}

/// A scored detection.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Detection {
    pub bbox: BoxF,
    pub score: f32,
}

/// Greedy NMS: highest score first, drop anything overlapping a kept box by more than `iou`.
/// Output is sorted by descending score.
pub fn nms(mut dets: Vec<Detection>, iou: f32, max_out: usize) -> Vec<Detection> {
    dets.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut keep: Vec<Detection> = Vec::new();
    for d in dets {
        if keep.len() >= max_out {
            break;
        }
        if keep.iter().all(|k| k.bbox.iou(&d.bbox) <= iou) {
            keep.push(d);
        }
    }
    keep
}

/// A 2-D point.
pub type Pt = (f32, f32);

/// ArcFace reference points for a 112x112 crop: left eye, right eye, nose tip, left and right
/// mouth corners ("left" = smaller x in the image).
pub const ARCFACE_112: [Pt; 5] = [
    (38.2946, 51.6963),
    (73.5318, 51.5014),
    (56.0252, 71.7366),
    (41.5493, 92.3655),
    (70.7299, 92.2041),
];

/// Five points from the 68-point (iBUG 300-W) layout: eye centres from four lid points each, nose
/// tip, mouth corners averaged over the outer and inner lip corners (as the reference code does).
pub fn five_from_68(p: &[Pt; 68]) -> [Pt; 5] {
    let avg = |ix: &[usize]| {
        let n = ix.len() as f32;
        let (sx, sy) = ix
            .iter()
            .fold((0.0, 0.0), |(sx, sy), &i| (sx + p[i].0, sy + p[i].1));
        (sx / n, sy / n)
    };
    [
        avg(&[37, 38, 40, 41]),
        avg(&[43, 44, 46, 47]),
        p[30],
        avg(&[48, 60]),
        avg(&[54, 64]),
    ]
}

/// An affine map (x, y) -> (a x + b y + c, d x + e y + f).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Affine {
    pub a: f32,
    pub b: f32,
    pub c: f32,
    pub d: f32,
    pub e: f32,
    pub f: f32,
}

impl Affine {
    pub fn apply(&self, (x, y): Pt) -> Pt {
        (
            self.a * x + self.b * y + self.c,
            self.d * x + self.e * y + self.f,
        )
    }

    /// The inverse, or `None` when the map is singular.
    pub fn inverse(&self) -> Option<Affine> {
        let det = self.a * self.e - self.b * self.d;
        if !det.is_finite() || det.abs() < 1e-12 {
            return None;
        }
        let (a, b, d, e) = (self.e / det, -self.b / det, -self.d / det, self.a / det);
        Some(Affine {
            a,
            b,
            c: -(a * self.c + b * self.f),
            d,
            e,
            f: -(d * self.c + e * self.f),
        })
    }

    /// Scale factor of a similarity (sqrt of the determinant's magnitude).
    pub fn scale(&self) -> f32 {
        (self.a * self.e - self.b * self.d).abs().sqrt()
    }

    /// Maps the output rectangle `[0, w) x [0, h)` onto the source box (a plain resize).
    pub fn box_to_output(b: &BoxF, w: u32, h: u32) -> Affine {
        let sx = b.width() / w as f32;
        let sy = b.height() / h as f32;
        // Pixel centres: output pixel i covers source x1 + (i + 0.5) * sx.
        Affine {
            a: sx,
            b: 0.0,
            c: b.x1 + 0.5 * sx - 0.5,
            d: 0.0,
            e: sy,
            f: b.y1 + 0.5 * sy - 0.5,
        }
    }
}

/// Least-squares similarity (rotation, uniform scale, translation; no reflection) mapping `src`
/// onto `dst`. `None` when the source points coincide.
pub fn similarity(src: &[Pt], dst: &[Pt]) -> Option<Affine> {
    let n = src.len().min(dst.len());
    if n < 2 {
        return None;
    }
    let nf = n as f64;
    let mean = |p: &[Pt]| {
        let (sx, sy) = p[..n].iter().fold((0.0f64, 0.0f64), |(a, b), q| {
            (a + f64::from(q.0), b + f64::from(q.1))
        });
        (sx / nf, sy / nf)
    };
    let (msx, msy) = mean(src);
    let (mdx, mdy) = mean(dst);
    // With z = centred src and w = centred dst as complex numbers, the optimum is
    // a = sum(w * conj(z)) / sum(|z|^2), and dst ≈ a * z.
    let (mut re, mut im, mut norm) = (0.0f64, 0.0f64, 0.0f64);
    for i in 0..n {
        let (zx, zy) = (f64::from(src[i].0) - msx, f64::from(src[i].1) - msy);
        let (wx, wy) = (f64::from(dst[i].0) - mdx, f64::from(dst[i].1) - mdy);
        re += wx * zx + wy * zy;
        im += wy * zx - wx * zy;
        norm += zx * zx + zy * zy;
    }
    if norm < 1e-9 {
        return None;
    }
    let (ar, ai) = (re / norm, im / norm);
    let c = mdx - (ar * msx - ai * msy);
    let f = mdy - (ai * msx + ar * msy);
    Some(Affine {
        a: ar as f32,
        b: -ai as f32,
        c: c as f32,
        d: ai as f32,
        e: ar as f32,
        f: f as f32,
    })
}

/// Head pose proxies from five points, each 0 for a frontal face.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pose {
    /// Nose offset from the eyes' midpoint along the eye line, in units of half the eye distance:
    /// about ±1 when the nose reaches an eye (~45° of yaw).
    pub yaw: f32,
    /// Nose height between the eye line (0) and the mouth line (1), minus the template's 0.49.
    pub pitch: f32,
    /// Angle of the eye line, degrees.
    pub roll_deg: f32,
}

pub fn pose(p: &[Pt; 5]) -> Pose {
    let (le, re, nose) = (p[0], p[1], p[2]);
    let mouth = ((p[3].0 + p[4].0) * 0.5, (p[3].1 + p[4].1) * 0.5);
    let eyes = ((le.0 + re.0) * 0.5, (le.1 + re.1) * 0.5);
    let (ex, ey) = (re.0 - le.0, re.1 - le.1);
    let eye_dist = (ex * ex + ey * ey).sqrt().max(1e-6);
    let (ux, uy) = (ex / eye_dist, ey / eye_dist);
    let along = (nose.0 - eyes.0) * ux + (nose.1 - eyes.1) * uy;
    let yaw = along / (eye_dist * 0.5);
    // Perpendicular distances below the eye line (towards the mouth).
    let (px, py) = (-uy, ux);
    let nose_down = (nose.0 - eyes.0) * px + (nose.1 - eyes.1) * py;
    let mouth_down = ((mouth.0 - eyes.0) * px + (mouth.1 - eyes.1) * py).max(1e-6);
    let pitch = nose_down / mouth_down - 0.49;
    Pose {
        yaw,
        pitch,
        roll_deg: ey.atan2(ex).to_degrees(),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn b(x1: f32, y1: f32, x2: f32, y2: f32) -> BoxF {
        BoxF { x1, y1, x2, y2 }
    }

    #[test]
    fn iou_basics() {
        let a = b(0.0, 0.0, 10.0, 10.0);
        assert_eq!(a.iou(&a), 1.0);
        assert_eq!(a.iou(&b(20.0, 20.0, 30.0, 30.0)), 0.0);
        assert!((a.iou(&b(5.0, 0.0, 15.0, 10.0)) - 1.0 / 3.0).abs() < 1e-6);
    }

    #[test]
    fn nms_keeps_best_of_overlapping() {
        let d = |x: f32, s: f32| Detection {
            bbox: b(x, 0.0, x + 10.0, 10.0),
            score: s,
        };
        let kept = nms(vec![d(0.0, 0.8), d(1.0, 0.9), d(50.0, 0.7)], 0.4, 10);
        assert_eq!(kept.len(), 2);
        assert_eq!(kept[0].score, 0.9);
        assert_eq!(kept[1].score, 0.7);
    }

    #[test]
    fn template_is_frontal() {
        let p = pose(&ARCFACE_112);
        assert!(
            p.yaw.abs() < 0.03 && p.pitch.abs() < 0.02 && p.roll_deg.abs() < 0.5,
            "{p:?}"
        );
    }

    #[test]
    fn crop_box_shifts_inside_the_image() {
        let c = b(0.0, 0.0, 20.0, 20.0).scaled_within(2.0, 100.0, 100.0);
        assert_eq!((c.x1, c.y1), (0.0, 0.0));
        assert!((c.width() - 40.0).abs() < 1e-4);
    }

    proptest! {
        #[test]
        fn similarity_recovers_a_known_transform(
            angle in -3.0f32..3.0, scale in 0.05f32..20.0, tx in -500.0f32..500.0, ty in -500.0f32..500.0,
        ) {
            let t = Affine {
                a: scale * angle.cos(), b: -scale * angle.sin(), c: tx,
                d: scale * angle.sin(), e: scale * angle.cos(), f: ty,
            };
            let dst: Vec<Pt> = ARCFACE_112.iter().map(|p| t.apply(*p)).collect();
            let est = similarity(&ARCFACE_112, &dst).unwrap();
            for p in ARCFACE_112 {
                let (x0, y0) = t.apply(p);
                let (x1, y1) = est.apply(p);
                let tol = 1e-3 * (1.0 + scale * 120.0 + tx.abs() + ty.abs());
                prop_assert!((x0 - x1).abs() < tol && (y0 - y1).abs() < tol);
            }
            let inv = est.inverse().unwrap();
            let back = inv.apply(est.apply((10.0, 20.0)));
            prop_assert!((back.0 - 10.0).abs() < 0.05 && (back.1 - 20.0).abs() < 0.05);
        }

        #[test]
        fn nms_output_never_overlaps(
            boxes in proptest::collection::vec((0.0f32..100.0, 0.0f32..100.0, 1.0f32..50.0, 0.0f32..1.0), 0..40),
        ) {
            let dets = boxes.iter().map(|&(x, y, s, sc)| Detection { bbox: b(x, y, x + s, y + s), score: sc }).collect();
            let kept = nms(dets, 0.4, 100);
            for i in 0..kept.len() {
                if i > 0 { prop_assert!(kept[i - 1].score >= kept[i].score); }
                for j in i + 1..kept.len() {
                    prop_assert!(kept[i].bbox.iou(&kept[j].bbox) <= 0.4);
                }
            }
        }

        #[test]
        fn pose_is_invariant_to_similarity(angle in -3.0f32..3.0, scale in 0.1f32..10.0) {
            let t = Affine {
                a: scale * angle.cos(), b: -scale * angle.sin(), c: 7.0,
                d: scale * angle.sin(), e: scale * angle.cos(), f: -3.0,
            };
            let mut p = ARCFACE_112;
            p[2].0 += 10.0; // nose turned towards the right eye
            let q: Vec<Pt> = p.iter().map(|x| t.apply(*x)).collect();
            let (a, b2) = (pose(&p), pose(&[q[0], q[1], q[2], q[3], q[4]]));
            prop_assert!((a.yaw - b2.yaw).abs() < 1e-3 && (a.pitch - b2.pitch).abs() < 1e-3);
        }
    }
}
