//! **Sans-IO.** Owns pixel work: sampling a region of an image through an affine map (resize,
//! crop, alignment are all one warp, anti-aliased by supersampling when shrinking), turning the
//! result into a model input tensor as its manifest says, and the quality measurements
//! (brightness, sharpness) of a face crop.

use crate::decode::Rgb8;
use crate::geometry::Affine;
use crate::manifest::{Colour, InputSpec, Layout};

/// An RGB image in f32 (0..=255), interleaved.
#[derive(Clone)]
pub struct RgbF {
    pub width: u32,
    pub height: u32,
    pub data: Vec<f32>,
}

impl std::fmt::Debug for RgbF {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RgbF {{ {}x{} }}", self.width, self.height)
    }
}

#[inline]
fn bilinear(src: &Rgb8, x: f32, y: f32) -> [f32; 3] {
    let (w, h) = (src.width as usize, src.height as usize);
    let (xf, yf) = (x.floor(), y.floor());
    let (fx, fy) = (x - xf, y - yf);
    let stride = w * 3;
    let d = &src.data;
    // Interior: the 2x2 neighbourhood is inside, read it directly.
    if xf >= 0.0 && yf >= 0.0 && (xf as usize) + 1 < w && (yf as usize) + 1 < h {
        let i = yf as usize * stride + xf as usize * 3;
        let (r0, r1) = (&d[i..i + 6], &d[i + stride..i + stride + 6]);
        let mut out = [0.0f32; 3];
        for c in 0..3 {
            let (p00, p01) = (f32::from(r0[c]), f32::from(r0[c + 3]));
            let (p10, p11) = (f32::from(r1[c]), f32::from(r1[c + 3]));
            let top = p00 + (p01 - p00) * fx;
            let bot = p10 + (p11 - p10) * fx;
            out[c] = top + (bot - top) * fy;
        }
        return out;
    }
    // Outside by more than a pixel is black, like a constant border.
    if !(x > -1.0 && y > -1.0 && x < w as f32 && y < h as f32) {
        return [0.0; 3];
    }
    let (x0, y0) = (xf as i64, yf as i64);
    let cx = |v: i64| v.clamp(0, w as i64 - 1) as usize;
    let cy = |v: i64| v.clamp(0, h as i64 - 1) as usize;
    let (xa, xb, ya, yb) = (cx(x0), cx(x0 + 1), cy(y0), cy(y0 + 1));
    let mut out = [0.0f32; 3];
    for (c, o) in out.iter_mut().enumerate() {
        let p00 = f32::from(d[ya * stride + xa * 3 + c]);
        let p01 = f32::from(d[ya * stride + xb * 3 + c]);
        let p10 = f32::from(d[yb * stride + xa * 3 + c]);
        let p11 = f32::from(d[yb * stride + xb * 3 + c]);
        let top = p00 + (p01 - p00) * fx;
        let bot = p10 + (p11 - p10) * fx;
        *o = top + (bot - top) * fy;
    }
    out
}

/// Samples a `w` x `h` image where output pixel centre (x, y) comes from `map.apply(x, y)` in
/// `src`. When the map shrinks (scale > 2) each output pixel averages n x n bilinear samples
/// spread over its footprint, which stops aliasing at a fraction of a full area filter's cost.
pub fn warp(src: &Rgb8, map: &Affine, w: u32, h: u32) -> RgbF {
    let n = ((map.scale() / 2.0).ceil() as usize).clamp(1, 4);
    let mut data = Vec::with_capacity(w as usize * h as usize * 3);
    let inv_n = 1.0 / n as f32;
    let norm = 1.0 / (n * n) as f32;
    for y in 0..h {
        for x in 0..w {
            if n == 1 {
                let (sx, sy) = map.apply((x as f32, y as f32));
                data.extend_from_slice(&bilinear(src, sx, sy));
                continue;
            }
            let mut acc = [0.0f32; 3];
            for j in 0..n {
                for i in 0..n {
                    let ox = x as f32 - 0.5 + (i as f32 + 0.5) * inv_n;
                    let oy = y as f32 - 0.5 + (j as f32 + 0.5) * inv_n;
                    let (sx, sy) = map.apply((ox, oy));
                    let p = bilinear(src, sx, sy);
                    acc[0] += p[0];
                    acc[1] += p[1];
                    acc[2] += p[2];
                }
            }
            data.extend_from_slice(&[acc[0] * norm, acc[1] * norm, acc[2] * norm]);
        }
    }
    RgbF {
        width: w,
        height: h,
        data,
    }
}

/// Resizes the axis-aligned source box `(x0, y0, x1, y1)` to `w` x `h` by exact area averaging
/// (separable, fractional pixel weights). Used instead of [`warp`] for large shrink factors: it
/// reads each source pixel about once, where supersampled bilinear would read it many times.
pub fn resize_area(src: &Rgb8, x0: f32, y0: f32, x1: f32, y1: f32, w: u32, h: u32) -> RgbF {
    // For each output index: (first source index, weights of the source pixels it covers).
    fn spans(start: f32, end: f32, n_out: u32, n_src: u32) -> Vec<(usize, Vec<f32>)> {
        let step = (end - start) / n_out as f32;
        (0..n_out)
            .map(|i| {
                let a = (start + i as f32 * step).clamp(0.0, n_src as f32);
                let b = (start + (i + 1) as f32 * step).clamp(0.0, n_src as f32);
                let first = (a.floor() as usize).min(n_src as usize - 1);
                let last = ((b.ceil() as usize).max(first + 1)).min(n_src as usize);
                let mut ws: Vec<f32> = (first..last)
                    .map(|p| ((p + 1) as f32).min(b) - (p as f32).max(a))
                    .map(|v| v.max(0.0))
                    .collect();
                let total: f32 = ws.iter().sum();
                if total > 0.0 {
                    ws.iter_mut().for_each(|v| *v /= total);
                } else {
                    ws = vec![1.0];
                }
                (first, ws)
            })
            .collect()
    }
    let xs = spans(x0, x1, w, src.width);
    let ys = spans(y0, y1, h, src.height);
    let stride = src.width as usize * 3;
    let mut row = vec![0.0f32; w as usize * 3];
    let mut data = vec![0.0f32; w as usize * h as usize * 3];
    for (oy, (fy, wy)) in ys.iter().enumerate() {
        let out = &mut data[oy * w as usize * 3..(oy + 1) * w as usize * 3];
        for (k, wk) in wy.iter().enumerate() {
            let line = &src.data[(fy + k) * stride..(fy + k + 1) * stride];
            for (ox, (fx, wx)) in xs.iter().enumerate() {
                let mut acc = [0.0f32; 3];
                for (j, wj) in wx.iter().enumerate() {
                    let p = &line[(fx + j) * 3..(fx + j) * 3 + 3];
                    acc[0] += f32::from(p[0]) * wj;
                    acc[1] += f32::from(p[1]) * wj;
                    acc[2] += f32::from(p[2]) * wj;
                }
                row[ox * 3] = acc[0];
                row[ox * 3 + 1] = acc[1];
                row[ox * 3 + 2] = acc[2];
            }
            for (o, r) in out.iter_mut().zip(&row) {
                *o += r * wk;
            }
        }
    }
    RgbF {
        width: w,
        height: h,
        data,
    }
}

/// Shrinks the axis-aligned source box to `w` x `h` by averaging an n x n grid of point
/// samples per output pixel (n grows with the shrink factor, up to 4). Integer reads only, so
/// 1 MP to 320x240 costs about a millisecond, against ~7 ms for exact area averaging and ~11 ms
/// for supersampled bilinear; the models' reference code used plain bilinear (no anti-aliasing
/// at all), so this is already smoother than what they were trained with.
pub fn resize_points(src: &Rgb8, b: &crate::geometry::BoxF, w: u32, h: u32) -> RgbF {
    let sx = b.width() / w as f32;
    let sy = b.height() / h as f32;
    let n = ((sx.max(sy) / 2.0).ceil() as usize).clamp(1, 4);
    // Source indices of the sample points, per output column and per output row.
    let pick = |start: f32, step: f32, count: u32, limit: u32| -> Vec<usize> {
        let mut v = Vec::with_capacity(count as usize * n);
        for i in 0..count {
            for k in 0..n {
                let pos = start + (i as f32 + (k as f32 + 0.5) / n as f32) * step;
                v.push((pos.floor().max(0.0) as usize).min(limit as usize - 1));
            }
        }
        v
    };
    let xs = pick(b.x1, sx, w, src.width);
    let ys = pick(b.y1, sy, h, src.height);
    let stride = src.width as usize * 3;
    let norm = 1.0 / (n * n) as f32;
    let wu = w as usize;
    let mut data = Vec::with_capacity(wu * h as usize * 3);
    let mut acc = vec![0u32; wu * 3];
    for oy in 0..h as usize {
        acc.iter_mut().for_each(|a| *a = 0);
        for &ry in &ys[oy * n..oy * n + n] {
            let line = &src.data[ry * stride..ry * stride + stride];
            for (a, cols) in acc.chunks_exact_mut(3).zip(xs.chunks_exact(n)) {
                for &cx in cols {
                    let p = &line[cx * 3..cx * 3 + 3];
                    a[0] += u32::from(p[0]);
                    a[1] += u32::from(p[1]);
                    a[2] += u32::from(p[2]);
                }
            }
        }
        data.extend(acc.iter().map(|v| *v as f32 * norm));
    }
    RgbF {
        width: w,
        height: h,
        data,
    }
}

/// Samples the axis-aligned box onto `w` x `h`: [`resize_points`] when shrinking by more than
/// 2, bilinear otherwise.
pub fn resize_box(src: &Rgb8, b: &crate::geometry::BoxF, w: u32, h: u32) -> RgbF {
    let map = Affine::box_to_output(b, w, h);
    if map.scale() > 2.0 {
        resize_points(src, b, w, h)
    } else {
        warp(src, &map, w, h)
    }
}

/// Converts a warped image of the input's size into the model's tensor layout.
pub fn to_tensor(img: &RgbF, spec: &InputSpec) -> Vec<f32> {
    debug_assert_eq!((img.width, img.height), (spec.width, spec.height));
    let plane = img.width as usize * img.height as usize;
    let order: [usize; 3] = match spec.colour {
        Colour::Rgb | Colour::Gray => [0, 1, 2],
        Colour::Bgr => [2, 1, 0],
    };
    let (m, s) = (spec.mean, spec.scale);
    match (spec.colour, spec.layout) {
        (Colour::Gray, _) => img
            .data
            .chunks_exact(3)
            .map(|p| (luma(p[0], p[1], p[2]) - m[0]) * s[0])
            .collect(),
        (_, Layout::Nchw) => {
            let mut out = vec![0.0f32; plane * 3];
            for (i, p) in img.data.chunks_exact(3).enumerate() {
                for c in 0..3 {
                    out[c * plane + i] = (p[order[c]] - m[c]) * s[c];
                }
            }
            out
        }
        (_, Layout::Nhwc) => {
            let mut out = Vec::with_capacity(plane * 3);
            for p in img.data.chunks_exact(3) {
                for c in 0..3 {
                    out.push((p[order[c]] - m[c]) * s[c]);
                }
            }
            out
        }
    }
}

/// ITU-R BT.601 luma.
#[inline]
pub fn luma(r: f32, g: f32, b: f32) -> f32 {
    0.299 * r + 0.587 * g + 0.114 * b
}

/// Brightness and sharpness of a face crop (the aligned 112x112 face).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CropStats {
    /// Mean luma, 0..=255, over the central half of the crop (skin, not background).
    pub brightness: f32,
    /// Variance of the 4-neighbour Laplacian of luma over the central half.
    pub sharpness: f32,
}

pub fn crop_stats(img: &RgbF) -> CropStats {
    let (w, h) = (img.width as usize, img.height as usize);
    let y: Vec<f32> = img
        .data
        .chunks_exact(3)
        .map(|p| luma(p[0], p[1], p[2]))
        .collect();
    let (x0, x1, y0, y1) = (w / 4, w - w / 4, h / 4, h - h / 4);
    let (mut sum, mut n) = (0.0f64, 0usize);
    let (mut ls, mut ls2) = (0.0f64, 0.0f64);
    for yy in y0.max(1)..y1.min(h - 1) {
        for xx in x0.max(1)..x1.min(w - 1) {
            let c = y[yy * w + xx];
            let lap = y[yy * w + xx - 1]
                + y[yy * w + xx + 1]
                + y[(yy - 1) * w + xx]
                + y[(yy + 1) * w + xx]
                - 4.0 * c;
            sum += f64::from(c);
            ls += f64::from(lap);
            ls2 += f64::from(lap) * f64::from(lap);
            n += 1;
        }
    }
    if n == 0 {
        return CropStats {
            brightness: 0.0,
            sharpness: 0.0,
        };
    }
    let nf = n as f64;
    let mean_lap = ls / nf;
    CropStats {
        brightness: (sum / nf) as f32,
        sharpness: (ls2 / nf - mean_lap * mean_lap).max(0.0) as f32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::BoxF;

    fn gradient(w: u32, h: u32) -> Rgb8 {
        let mut d = Vec::new();
        for y in 0..h {
            for x in 0..w {
                d.extend_from_slice(&[(x % 256) as u8, (y % 256) as u8, 77]);
            }
        }
        Rgb8::new(w, h, d).unwrap()
    }

    #[test]
    fn identity_warp_copies_pixels() {
        let src = gradient(20, 10);
        let id = Affine {
            a: 1.0,
            b: 0.0,
            c: 0.0,
            d: 0.0,
            e: 1.0,
            f: 0.0,
        };
        let out = warp(&src, &id, 20, 10);
        for (a, b) in out.data.iter().zip(&src.data) {
            assert!((a - f32::from(*b)).abs() < 1e-4);
        }
    }

    #[test]
    fn downscale_averages_a_flat_image_exactly() {
        let src = Rgb8::new(400, 300, vec![100; 400 * 300 * 3]).unwrap();
        let map = Affine::box_to_output(
            &BoxF {
                x1: 0.0,
                y1: 0.0,
                x2: 400.0,
                y2: 300.0,
            },
            40,
            30,
        );
        let out = warp(&src, &map, 40, 30);
        assert!(out.data.iter().all(|v| (v - 100.0).abs() < 1e-3));
    }

    #[test]
    fn area_resize_matches_block_means() {
        let src = gradient(40, 20);
        let out = resize_area(&src, 0.0, 0.0, 40.0, 20.0, 10, 5);
        // Output (0, 0) averages x in 0..4 and y in 0..4: R = 1.5, G = 1.5, B = 77.
        assert!((out.data[0] - 1.5).abs() < 1e-3 && (out.data[1] - 1.5).abs() < 1e-3);
        assert!((out.data[2] - 77.0).abs() < 1e-3);
        let flat = Rgb8::new(333, 211, vec![9; 333 * 211 * 3]).unwrap();
        let o = resize_area(&flat, 10.5, 3.25, 300.0, 200.0, 37, 23);
        assert!(o.data.iter().all(|v| (v - 9.0).abs() < 1e-3));
    }

    #[test]
    fn point_resize_of_a_flat_image_is_flat_and_in_range() {
        let flat = Rgb8::new(1000, 800, vec![200; 1000 * 800 * 3]).unwrap();
        let b = BoxF {
            x1: 0.0,
            y1: 0.0,
            x2: 1000.0,
            y2: 800.0,
        };
        let o = resize_points(&flat, &b, 320, 240);
        assert!(o.data.iter().all(|v| (v - 200.0).abs() < 1e-3));
        // A box partly outside is clamped, never out of bounds.
        let b = BoxF {
            x1: 900.0,
            y1: 700.0,
            x2: 1400.0,
            y2: 1300.0,
        };
        assert_eq!(resize_points(&flat, &b, 50, 50).data.len(), 50 * 50 * 3);
    }

    #[test]
    fn tensor_layouts() {
        let img = RgbF {
            width: 2,
            height: 1,
            data: vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        };
        let mut spec = InputSpec {
            name: "i".into(),
            width: 2,
            height: 1,
            layout: Layout::Nchw,
            colour: Colour::Rgb,
            mean: [0.0; 3],
            scale: [1.0; 3],
        };
        assert_eq!(to_tensor(&img, &spec), vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
        spec.layout = Layout::Nhwc;
        spec.colour = Colour::Bgr;
        assert_eq!(to_tensor(&img, &spec), vec![3.0, 2.0, 1.0, 6.0, 5.0, 4.0]);
        spec.colour = Colour::Gray;
        spec.mean = [1.0; 3];
        let g = to_tensor(&img, &spec);
        assert!((g[0] - (luma(1.0, 2.0, 3.0) - 1.0)).abs() < 1e-5);
    }

    #[test]
    fn flat_crop_has_no_sharpness() {
        let img = RgbF {
            width: 16,
            height: 16,
            data: vec![50.0; 16 * 16 * 3],
        };
        let s = crop_stats(&img);
        assert!((s.brightness - 50.0).abs() < 1e-3 && s.sharpness < 1e-6);
    }
}
