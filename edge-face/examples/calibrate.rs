//! Prints the quality measurements of edited test photos, to calibrate `QualityRules`:
//! `cargo run --release -p edge-face --example calibrate`.
#[path = "../tests/common/mod.rs"]
mod common;

use common::*;
use edge_face::{FacePipeline, Rgb8};

fn main() {
    let p = pipeline();
    for name in [
        "obama.jpg",
        "biden.jpg",
        "astronaut.png",
        "grace_hopper.jpg",
        "obama3.jpg",
    ] {
        let base = image(name);
        let cases: Vec<(String, Rgb8)> = vec![
            ("original".into(), base.clone()),
            ("blur2".into(), blur(&base, 2)),
            ("blur4".into(), blur(&base, 4)),
            ("blur6".into(), blur(&base, 6)),
            ("dark0.4".into(), brightness(&base, 0.4)),
            ("dark0.25".into(), brightness(&base, 0.25)),
            ("dark0.15".into(), brightness(&base, 0.15)),
            ("tiny4".into(), tiny_in_canvas(&base, 4)),
            ("tiny8".into(), tiny_in_canvas(&base, 8)),
            ("pair".into(), side_by_side(&base, &image("biden.jpg"))),
            ("squeeze0.5".into(), squeeze_left(&base, 0.5, 0.5)),
            ("squeeze0.3".into(), squeeze_left(&base, 0.5, 0.3)),
            ("down4".into(), downscale(&base, 4)),
        ];
        for (c, img) in cases {
            let a = p.analyse(&img, false).unwrap();
            let m = FacePipeline::measure(&a);
            let reasons: Vec<&str> = p.quality.check(&m).iter().map(|r| r.as_str()).collect();
            println!(
                "{name:>18} {c:>10}: faces {} heights {:?} pose {:?} bright {:.0} sharp {:.1} -> {reasons:?}",
                m.faces,
                &m.face_heights[..m.faces.min(4)],
                m.pose.map(|p| (p.yaw, p.pitch)),
                m.brightness,
                m.sharpness
            );
        }
    }
}
