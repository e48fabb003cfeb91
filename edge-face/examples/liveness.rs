//! Liveness class probabilities for straight photos and crude spoof simulations (a printed
//! photo with a white border held in front of another scene; a screen with moiré):
//! `cargo run --release -p edge-face --example liveness`.
#[path = "../tests/common/mod.rs"]
mod common;

use common::*;
use edge_face::Rgb8;

/// `face` shrunk by `k`, framed with a white border, pasted on `scene` (resized to `face`'s size).
fn printed_photo(face: &Rgb8, scene: &Rgb8, k: u32, border: u32) -> Rgb8 {
    let small = downscale(face, k);
    let (w, h) = (face.width, face.height);
    // Scene scaled to the canvas by nearest sampling.
    let mut d = Vec::with_capacity((w * h * 3) as usize);
    for y in 0..h {
        for x in 0..w {
            let (sx, sy) = (x * scene.width / w, y * scene.height / h);
            d.extend_from_slice(&scene.data[((sy * scene.width + sx) * 3) as usize..][..3]);
        }
    }
    let (x0, y0) = ((w - small.width) / 2, (h - small.height) / 2);
    for y in 0..small.height + 2 * border {
        for x in 0..small.width + 2 * border {
            let (cx, cy) = (x0 + x - border.min(x0), y0 + y - border.min(y0));
            if cx >= w || cy >= h {
                continue;
            }
            let t = ((cy * w + cx) * 3) as usize;
            let inside =
                x >= border && y >= border && x < small.width + border && y < small.height + border;
            if inside {
                let s = (((y - border) * small.width + (x - border)) * 3) as usize;
                // Print: lower contrast, a little warmer.
                for c in 0..3 {
                    let v =
                        f32::from(small.data[s + c]) * 0.8 + 30.0 + if c == 0 { 8.0 } else { 0.0 };
                    d[t + c] = v.clamp(0.0, 255.0) as u8;
                }
            } else {
                d[t..t + 3].copy_from_slice(&[235, 235, 230]);
            }
        }
    }
    Rgb8::new(w, h, d).unwrap()
}

/// A screen: fine vertical RGB stripes and a blue tint.
fn screen(face: &Rgb8) -> Rgb8 {
    let mut d = face.data.clone();
    for y in 0..face.height {
        for x in 0..face.width {
            let i = ((y * face.width + x) * 3) as usize;
            let stripe = 0.85 + 0.15 * ((x as f32 * 2.1 + y as f32 * 0.3).sin());
            for c in 0..3 {
                let tint = if c == 2 { 1.1 } else { 0.95 };
                d[i + c] = (f32::from(d[i + c]) * stripe * tint).clamp(0.0, 255.0) as u8;
            }
        }
    }
    Rgb8::new(face.width, face.height, d).unwrap()
}

fn main() {
    let p = pipeline();
    let scene = image("astronaut.png");
    for name in [
        "obama.jpg",
        "obama2.jpg",
        "obama3.jpg",
        "biden.jpg",
        "astronaut.png",
        "grace_hopper.jpg",
        "obama_partial_face.jpg",
    ] {
        let base = image(name);
        for (what, img) in [
            ("straight", base.clone()),
            ("printed_k2", printed_photo(&base, &scene, 2, 20)),
            ("printed_k3", printed_photo(&base, &scene, 3, 12)),
            ("screen", screen(&base)),
            (
                "jpeg_q20",
                edge_face::decode(&jpeg(&base, 20), &Default::default()).unwrap(),
            ),
        ] {
            let a = p.analyse(&img, false).unwrap();
            match a.faces.first() {
                Some(d) => {
                    let probs = p.liveness_probs(&img, d).unwrap().unwrap();
                    println!(
                        "{name:>24} {what:>10}: {:.3} {:.3} {:.3}",
                        probs[0], probs[1], probs[2]
                    );
                }
                None => println!("{name:>24} {what:>10}: no face"),
            }
        }
    }
}
