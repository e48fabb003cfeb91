//! Times the pixel work of each stage on a 1 MP photo.
#[path = "../tests/common/mod.rs"]
mod common;
use std::time::Instant;

use edge_face::geometry::{Affine, BoxF};
use edge_face::imageops::{crop_stats, resize_area, resize_points, warp};

fn t<F: FnMut()>(name: &str, mut f: F) {
    for _ in 0..3 {
        f();
    }
    let mut v: Vec<f64> = (0..30)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    v.sort_by(|a, b| a.total_cmp(b));
    println!("{name}: p50 {:.2} ms", v[15]);
}

fn main() {
    let bytes = std::fs::read(common::images_dir().join("obama.jpg")).unwrap();
    let img = edge_face::decode(&bytes, &Default::default()).unwrap();
    let whole = BoxF {
        x1: 0.0,
        y1: 0.0,
        x2: img.width as f32,
        y2: img.height as f32,
    };
    t("decode", || {
        std::hint::black_box(edge_face::decode(&bytes, &Default::default()).unwrap());
    });
    t("detect resize_area", || {
        std::hint::black_box(resize_area(
            &img,
            0.0,
            0.0,
            img.width as f32,
            img.height as f32,
            320,
            240,
        ));
    });
    t("detect resize_points", || {
        std::hint::black_box(resize_points(&img, &whole, 320, 240));
    });
    t("detect warp bilinear", || {
        std::hint::black_box(warp(
            &img,
            &Affine::box_to_output(&whole, 320, 240),
            320,
            240,
        ));
    });
    let b = BoxF {
        x1: 381.0,
        y1: 83.0,
        x2: 603.0,
        y2: 400.0,
    }
    .scaled_within(2.7, img.width as f32, img.height as f32);
    t("liveness resize_area", || {
        std::hint::black_box(resize_area(&img, b.x1, b.y1, b.x2, b.y2, 128, 128));
    });
    t("liveness warp", || {
        std::hint::black_box(warp(&img, &Affine::box_to_output(&b, 128, 128), 128, 128));
    });
    let five = [
        (443.9, 211.4),
        (545.8, 209.9),
        (498.7, 276.7),
        (444.9, 322.4),
        (549.3, 318.5),
    ];
    let p = common::pipeline();
    t("align", || {
        std::hint::black_box(p.align(&img, &five));
    });
    let a = p.align(&img, &five).unwrap();
    t("crop_stats", || {
        std::hint::black_box(crop_stats(&a));
    });
}
