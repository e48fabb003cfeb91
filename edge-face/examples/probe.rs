//! Prints what the pipeline sees in each fetched test photo (for calibration by hand):
//! `cargo run --release -p edge-face --example probe`.
#[path = "../tests/common/mod.rs"]
mod common;

fn main() {
    let p = common::pipeline();
    let names = [
        "obama.jpg",
        "obama2.jpg",
        "obama3.jpg",
        "obama_partial_face.jpg",
        "obama_partial_face2.jpg",
        "biden.jpg",
        "32bit.png",
        "astronaut.png",
        "grace_hopper.jpg",
    ];
    let mut embs = Vec::new();
    for n in names {
        let img = common::image(n);
        let a = p.analyse(&img, true).unwrap();
        println!("{n}: {}x{} faces={}", img.width, img.height, a.faces.len());
        for d in &a.faces {
            println!(
                "   box {:.0},{:.0},{:.0},{:.0} score {:.3}",
                d.bbox.x1, d.bbox.y1, d.bbox.x2, d.bbox.y2, d.score
            );
        }
        if let Some(m) = &a.main {
            let probs = p.liveness_probs(&img, &m.detection).unwrap();
            println!(
                "   pose yaw {:.2} pitch {:.2} roll {:.1}; bright {:.0} sharp {:.0}; live {:?}",
                m.pose.yaw,
                m.pose.pitch,
                m.pose.roll_deg,
                m.stats.brightness,
                m.stats.sharpness,
                probs
            );
            println!("   five {:?}", m.five);
            println!("   times {:?}", a.times);
            embs.push((n, m.embedding.clone().unwrap()));
        }
    }
    for i in 0..embs.len() {
        let row: Vec<String> = (0..embs.len())
            .map(|j| {
                format!(
                    "{:5.2}",
                    edge_face::gallery::dot_f32(&embs[i].1, &embs[j].1)
                )
            })
            .collect();
        println!("{:>24} {}", embs[i].0, row.join(" "));
    }
}
