//! Times each model alone: `FACE_THREADS=1 cargo run --release -p edge-face --example modeltime`.
use std::time::Instant;

use edge_face::manifest::ModelManifest;
use edge_face::{Runtime, RuntimeConfig};

fn main() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models");
    let threads: usize = std::env::var("FACE_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let rt = Runtime::init(&RuntimeConfig {
        library_path: dir.join("runtime/libonnxruntime.so"),
        intra_threads: threads,
    })
    .unwrap();
    if std::env::var("NO_FTZ").is_err() {
        edge_face::runtime::set_ftz_daz();
    }
    for name in ["fr_detect", "fr_landmark", "fr_liveness", "fr_feature"] {
        let m = ModelManifest::load(&dir.join(format!("{name}.toml"))).unwrap();
        let model = rt.load_model(m, &dir).unwrap();
        let input: Vec<f32> = (0..model.manifest.input.len())
            .map(|i| ((i * 37) % 255) as f32 / 255.0)
            .collect();
        let out = model.output_names()[0].clone();
        for _ in 0..5 {
            model.run(&input, &[&out]).unwrap();
        }
        let mut v: Vec<f64> = (0..40)
            .map(|_| {
                let t = Instant::now();
                model.run(&input, &[&out]).unwrap();
                t.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        v.sort_by(|a, b| a.total_cmp(b));
        println!(
            "{name}: threads {threads} p50 {:.2} ms p90 {:.2} ms",
            v[20], v[36]
        );
    }
}
