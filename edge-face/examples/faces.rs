//! Lists the faces found in photos given as arguments and writes each face (with a margin) as
//! a PNG next to /tmp for a look: `cargo run --release -p edge-face --example faces -- a.jpg`.
#[path = "../tests/common/mod.rs"]
mod common;

fn main() {
    let p = common::pipeline();
    for path in std::env::args().skip(1) {
        let bytes = std::fs::read(&path).unwrap();
        let img = p.decode(&bytes).unwrap();
        let faces = p.detect(&img).unwrap();
        println!(
            "{path}: {}x{}, {} faces",
            img.width,
            img.height,
            faces.len()
        );
        for (i, d) in faces.iter().enumerate() {
            let b = d
                .bbox
                .scaled_within(1.6, img.width as f32, img.height as f32);
            let fx = |v: f32, m: u32| v / m as f32;
            let c = common::crop(
                &img,
                fx(b.x1, img.width),
                fx(b.y1, img.height),
                fx(b.x2, img.width),
                fx(b.y2, img.height),
            );
            let out = format!(
                "/tmp/face_{}_{i}.png",
                std::path::Path::new(&path)
                    .file_stem()
                    .unwrap()
                    .to_string_lossy()
            );
            std::fs::write(&out, common::png(&c)).unwrap();
            println!(
                "  {i}: box {:.0},{:.0},{:.0},{:.0} score {:.3} -> {out}",
                d.bbox.x1, d.bbox.y1, d.bbox.x2, d.bbox.y2, d.score
            );
        }
    }
}
