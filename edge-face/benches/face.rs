//! Face pass benchmarks. Prints one `BENCH <name> <value> <unit>` line per figure.
//!
//! `cargo bench -p edge-face --bench face [-- stages|search|verify]` (all three by default).
//! Needs `bash models/fetch.sh` first.
#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use edge_face::gallery::{dot_f32, Gallery};
use edge_face::heads::l2_normalise;
use edge_face::{DecisionPolicy, Rgb8};

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i.min(v.len() - 1)]
}

fn bench(name: &str, unit: &str, mut v: Vec<f64>) {
    println!("BENCH {name}_p50 {:.3} {unit}", pct(&mut v, 0.50));
    println!("BENCH {name}_p95 {:.3} {unit}", pct(&mut v, 0.95));
    println!("BENCH {name}_p99 {:.3} {unit}", pct(&mut v, 0.99));
}

fn rss_mb() -> f64 {
    let s = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: f64 = s
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    pages * 4096.0 / 1e6
}

fn stages() {
    let p = common::pipeline();
    let jpeg = common::bytes("obama.jpg");
    let probe_img = p.decode(&jpeg).unwrap();
    println!(
        "BENCH e2e_input_megapixels {:.2} MP",
        f64::from(probe_img.width * probe_img.height) / 1e6
    );
    let mut gallery = Gallery::new(p.dim());
    let mut seed = 1u64;
    for i in 0..10_000 {
        gallery
            .add(&format!("p{i}"), &random_unit(&mut seed, p.dim()))
            .unwrap();
    }
    let enrolled = p.enrol(&common::bytes("obama2.jpg")).unwrap().unwrap();
    gallery.add("obama", &enrolled).unwrap();
    let policy = DecisionPolicy::default();
    // Warm-up: first runs allocate ORT arenas.
    for _ in 0..5 {
        let img = p.decode(&jpeg).unwrap();
        p.probe(&img, &gallery, &policy).unwrap();
    }
    let n = 100;
    let (mut dec, mut det, mut lm, mut live, mut emb, mut search, mut total) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    let mut matched = 0;
    for _ in 0..n {
        let t = Instant::now();
        let img = p.decode(&jpeg).unwrap();
        let d = t.elapsed().as_secs_f64() * 1e3;
        let (v, _, times) = p.probe(&img, &gallery, &policy).unwrap();
        total.push(t.elapsed().as_secs_f64() * 1e3);
        if matches!(v, edge_face::FrameVerdict::Match { .. }) {
            matched += 1;
        }
        dec.push(d);
        det.push(times.detect_ms);
        lm.push(times.landmarks_ms);
        live.push(times.liveness_ms);
        emb.push(times.embed_ms);
        search.push(times.search_ms);
    }
    bench("stage_decode_jpeg_1mp", "ms", dec);
    bench("stage_detect", "ms", det);
    bench("stage_landmarks", "ms", lm);
    bench("stage_liveness", "ms", live);
    bench("stage_align_embed", "ms", emb);
    bench("stage_search_10k", "ms", search);
    bench("e2e_1mp_jpeg_probe", "ms", total);
    println!("BENCH e2e_probe_matched {matched}/{n} frames");
}

fn random_unit(seed: &mut u64, dim: usize) -> Vec<f32> {
    let mut v: Vec<f32> = (0..dim)
        .map(|_| {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            (*seed % 20_001) as f32 / 10_000.0 - 1.0
        })
        .collect();
    l2_normalise(&mut v);
    v
}

fn search() {
    let dim = 512;
    for n in [10_000usize, 100_000] {
        let before = rss_mb();
        let mut g = Gallery::new(dim);
        g.reserve(n);
        let mut seed = 42u64;
        let mut probes = Vec::new();
        for i in 0..n {
            let v = random_unit(&mut seed, dim);
            if i % (n / 50) == 0 {
                probes.push((i, v.clone()));
            }
            g.add(&format!("person-{i}"), &v).unwrap();
        }
        let after = rss_mb();
        for _ in 0..5 {
            g.search(&probes[0].1);
        }
        let mut times = Vec::new();
        let mut correct = 0;
        for round in 0..4 {
            for (i, v) in &probes {
                let mut q = v.clone();
                q[round] += 0.05; // a slightly different capture of an enrolled person
                let t = Instant::now();
                let r = g.search(&q);
                times.push(t.elapsed().as_secs_f64() * 1e3);
                if r.best.map(|b| g.label(b.identity)) == Some(format!("person-{i}").as_str()) {
                    correct += 1;
                }
            }
        }
        let k = n / 1000;
        bench(&format!("search_1_to_{k}k"), "ms", times);
        println!(
            "BENCH search_1_to_{k}k_correct {correct}/{} probes",
            probes.len() * 4
        );
        // The reference: every int8 template scored (what `search` did before the 4-bit pass).
        // The two must agree exactly: same identities, same scores.
        let (mut times, mut same, mut worst) = (Vec::new(), 0, 0.0f32);
        for (round, (_, v)) in probes.iter().enumerate() {
            let mut q = v.clone();
            q[round % 4] += 0.05;
            let t = Instant::now();
            let r = g.search_exhaustive(&q);
            times.push(t.elapsed().as_secs_f64() * 1e3);
            same += usize::from(r == g.search(&q));
            worst = worst.max(g.first_pass_error_sigmas(&q));
        }
        bench(&format!("search_1_to_{k}k_exhaustive"), "ms", times);
        println!(
            "BENCH search_1_to_{k}k_same_as_exhaustive {same}/{} probes",
            probes.len()
        );
        println!("BENCH search_1_to_{k}k_first_pass_error_max {worst:.2} sigma");
        println!(
            "BENCH gallery_{k}k_template_bytes {:.1} MB",
            g.memory_bytes() as f64 / 1e6
        );
        println!("BENCH gallery_{k}k_rss_delta {:.1} MB", after - before);
    }
}

/// Photo edits that keep the person: (name, edit).
#[allow(clippy::type_complexity)]
fn variants() -> Vec<(&'static str, Box<dyn Fn(&Rgb8) -> Rgb8>)> {
    use common::*;
    let reenc =
        |q: u8| move |i: &Rgb8| edge_face::decode(&jpeg(i, q), &Default::default()).unwrap();
    vec![
        ("original", Box::new(|i: &Rgb8| i.clone())),
        ("flip", Box::new(flip)),
        ("dark_0.6", Box::new(|i: &Rgb8| brightness(i, 0.6))),
        ("dark_0.4", Box::new(|i: &Rgb8| brightness(i, 0.4))),
        ("bright_1.3", Box::new(|i: &Rgb8| brightness(i, 1.3))),
        ("bright_1.6", Box::new(|i: &Rgb8| brightness(i, 1.6))),
        (
            "crop_top",
            Box::new(|i: &Rgb8| crop(i, 0.05, 0.0, 0.95, 0.8)),
        ),
        (
            "crop_left",
            Box::new(|i: &Rgb8| crop(i, 0.0, 0.0, 0.85, 1.0)),
        ),
        (
            "crop_right",
            Box::new(|i: &Rgb8| crop(i, 0.15, 0.0, 1.0, 1.0)),
        ),
        (
            "crop_tight",
            Box::new(|i: &Rgb8| crop(i, 0.08, 0.04, 0.92, 0.7)),
        ),
        ("down_2", Box::new(|i: &Rgb8| downscale(i, 2))),
        ("down_3", Box::new(|i: &Rgb8| downscale(i, 3))),
        ("down_4", Box::new(|i: &Rgb8| downscale(i, 4))),
        ("jpeg_q20", Box::new(reenc(20))),
        ("jpeg_q40", Box::new(reenc(40))),
        ("jpeg_q70", Box::new(reenc(70))),
        ("flip_dark", Box::new(|i: &Rgb8| flip(&brightness(i, 0.6)))),
        ("flip_down_2", Box::new(|i: &Rgb8| flip(&downscale(i, 2)))),
        (
            "down_2_jpeg_q40",
            Box::new(move |i: &Rgb8| reenc(40)(&downscale(i, 2))),
        ),
        (
            "bright_jpeg_q30",
            Box::new(move |i: &Rgb8| reenc(30)(&brightness(i, 1.3))),
        ),
        ("blur_1", Box::new(|i: &Rgb8| blur(i, 1))),
        ("blur_2", Box::new(|i: &Rgb8| blur(i, 2))),
        (
            "crop_top_flip",
            Box::new(|i: &Rgb8| flip(&crop(i, 0.05, 0.0, 0.95, 0.8))),
        ),
        (
            "dark_down_3",
            Box::new(|i: &Rgb8| downscale(&brightness(i, 0.6), 3)),
        ),
    ]
}

fn verify() {
    let p = common::pipeline();
    // (identity, photos). The six faces of the group photo `t1.jpg` are six more people, cut
    // out with a margin and ordered left to right.
    let mut set: Vec<(String, Vec<(String, Rgb8)>)> = vec![
        (
            "obama".into(),
            [
                "obama.jpg",
                "obama2.jpg",
                "obama3.jpg",
                "obama_partial_face.jpg",
                "obama_partial_face2.jpg",
            ]
            .iter()
            .map(|n| (n.to_string(), common::image(n)))
            .collect(),
        ),
        (
            "biden".into(),
            vec![("biden.jpg".into(), common::image("biden.jpg"))],
        ),
        (
            "collins".into(),
            vec![("astronaut.png".into(), common::image("astronaut.png"))],
        ),
        (
            "hopper".into(),
            vec![("grace_hopper.jpg".into(), common::image("grace_hopper.jpg"))],
        ),
        (
            "hanks".into(),
            vec![(
                "Tom_Hanks_54745.png".into(),
                common::image("Tom_Hanks_54745.png"),
            )],
        ),
    ];
    let group = common::image("t1.jpg");
    let mut dets = p.detect(&group).unwrap();
    dets.sort_by(|a, b| a.bbox.x1.total_cmp(&b.bbox.x1));
    for (i, d) in dets.iter().enumerate() {
        let b = d
            .bbox
            .scaled_within(1.8, group.width as f32, group.height as f32);
        let (w, h) = (group.width as f32, group.height as f32);
        let face = common::crop(&group, b.x1 / w, b.y1 / h, b.x2 / w, b.y2 / h);
        set.push((format!("t1_face{i}"), vec![(format!("t1.jpg#{i}"), face)]));
    }
    let vars = variants();
    // (identity, photo, embedding) and a name for each.
    let mut embs: Vec<(usize, usize, Vec<f32>)> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let mut missed = 0;
    let mut photo_no = 0;
    for (id, (_, photos)) in set.iter().enumerate() {
        for (ph, base) in photos.iter() {
            for (vname, f) in &vars {
                let img = f(base);
                match p
                    .analyse(&img, false)
                    .unwrap()
                    .main
                    .and_then(|m| m.embedding)
                {
                    Some(e) => {
                        embs.push((id, photo_no, e));
                        names.push(format!("{ph}/{vname}"));
                    }
                    None => {
                        missed += 1;
                        println!("NOTE no face in {ph}/{vname}");
                    }
                }
            }
            photo_no += 1;
        }
    }
    // The two-stage search on real embeddings: each one as a probe against a gallery of all of
    // them (under their people's labels) plus 30,000 random fillers, so that the 4-bit pass
    // runs on two threads. It must give exactly what scoring every int8 template gives.
    let mut g = Gallery::new(p.dim());
    for (id, _, e) in &embs {
        g.add(&set[*id].0, e).unwrap();
    }
    let mut seed = 7u64;
    for i in 0..30_000 {
        g.add(&format!("filler-{i}"), &random_unit(&mut seed, p.dim()))
            .unwrap();
    }
    let (mut same, mut worst) = (0, 0.0f32);
    for (_, _, e) in &embs {
        same += usize::from(g.search(e) == g.search_exhaustive(e));
        worst = worst.max(g.first_pass_error_sigmas(e));
    }
    println!(
        "BENCH verify_two_stage_same_as_exhaustive {same}/{} probes",
        embs.len()
    );
    println!("BENCH verify_first_pass_error_max {worst:.2} sigma");
    // σ in cosine units: the 4-bit cell (max|x| / 8) over √12, for these embeddings.
    let sigma: Vec<f64> = embs
        .iter()
        .map(|(_, _, e)| {
            let norm = e.iter().map(|x| x * x).sum::<f32>().sqrt();
            let max = e.iter().fold(0.0f32, |m, x| m.max(x.abs()));
            f64::from(max / norm / 8.0) / 12f64.sqrt()
        })
        .collect();
    println!(
        "BENCH verify_first_pass_sigma_mean {:.4} cosine (max {:.4})",
        sigma.iter().sum::<f64>() / sigma.len().max(1) as f64,
        sigma.iter().fold(0.0f64, |m, s| m.max(*s))
    );

    let (mut gen, mut imp, mut gen_cross) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..embs.len() {
        for j in i + 1..embs.len() {
            let s = f64::from(dot_f32(&embs[i].2, &embs[j].2));
            if embs[i].0 == embs[j].0 {
                gen.push(s);
                if embs[i].1 != embs[j].1 {
                    gen_cross.push(s);
                }
            } else {
                imp.push(s);
            }
        }
    }
    // The images whose genuine scores are lowest on average: what the recogniser finds hard.
    let mut per: Vec<(f64, &str)> = (0..embs.len())
        .map(|i| {
            let v: Vec<f64> = (0..embs.len())
                .filter(|&j| j != i && embs[j].0 == embs[i].0)
                .map(|j| f64::from(dot_f32(&embs[i].2, &embs[j].2)))
                .collect();
            (
                v.iter().sum::<f64>() / v.len().max(1) as f64,
                names[i].as_str(),
            )
        })
        .collect();
    per.sort_by(|a, b| a.0.total_cmp(&b.0));
    for (m, n) in per.iter().take(8) {
        println!("NOTE hardest genuine image {n}: mean genuine cosine {m:.3}");
    }
    // Which different people come closest: the pairs that set the threshold.
    let mut close: Vec<(f64, usize, usize)> = Vec::new();
    for i in 0..embs.len() {
        for j in i + 1..embs.len() {
            if embs[i].0 != embs[j].0 {
                close.push((f64::from(dot_f32(&embs[i].2, &embs[j].2)), i, j));
            }
        }
    }
    close.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (sc, i, j) in close.iter().take(5) {
        println!(
            "NOTE closest impostors {:.3}: {} vs {}",
            sc, names[*i], names[*j]
        );
    }
    for th in [0.40, 0.45, 0.50, 0.55, 0.60, 0.65] {
        let fa = imp.iter().filter(|s| **s >= th).count();
        let fr = gen.iter().filter(|s| **s < th).count();
        println!(
            "BENCH verify_sweep_t{:.2} far={:.6} frr={:.4} ratio",
            th,
            fa as f64 / imp.len().max(1) as f64,
            fr as f64 / gen.len().max(1) as f64
        );
    }
    let t = f64::from(DecisionPolicy::default().threshold);
    let fa = imp.iter().filter(|s| **s >= t).count();
    let fr = gen.iter().filter(|s| **s < t).count();
    let fr_cross = gen_cross.iter().filter(|s| **s < t).count();
    println!("BENCH verify_identities {} people", set.len());
    println!("BENCH verify_images {} embedded", embs.len());
    println!("BENCH verify_failed_to_acquire {missed} images");
    println!("BENCH verify_genuine_pairs {} pairs", gen.len());
    println!(
        "BENCH verify_genuine_cross_photo_pairs {} pairs",
        gen_cross.len()
    );
    println!("BENCH verify_impostor_pairs {} pairs", imp.len());
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    println!("BENCH verify_genuine_mean {:.3} cosine", mean(&gen));
    println!(
        "BENCH verify_genuine_p01 {:.3} cosine",
        pct(&mut gen.clone(), 0.01)
    );
    println!(
        "BENCH verify_genuine_min {:.3} cosine",
        pct(&mut gen.clone(), 0.0)
    );
    println!(
        "BENCH verify_genuine_cross_photo_min {:.3} cosine",
        pct(&mut gen_cross.clone(), 0.0)
    );
    println!("BENCH verify_impostor_mean {:.3} cosine", mean(&imp));
    println!(
        "BENCH verify_impostor_p99 {:.3} cosine",
        pct(&mut imp.clone(), 0.99)
    );
    println!(
        "BENCH verify_impostor_max {:.3} cosine",
        pct(&mut imp.clone(), 1.0)
    );
    println!("BENCH verify_threshold {t:.2} cosine");
    println!(
        "BENCH verify_false_accepts {fa}/{} impostor_pairs",
        imp.len()
    );
    println!(
        "BENCH verify_far {:.6} ratio",
        fa as f64 / imp.len().max(1) as f64
    );
    println!(
        "BENCH verify_frr {:.4} ratio",
        fr as f64 / gen.len().max(1) as f64
    );
    println!(
        "BENCH verify_frr_cross_photo {:.4} ratio",
        fr_cross as f64 / gen_cross.len().max(1) as f64
    );
    // Histograms in 0.1 bins, for the model card.
    for (name, v) in [("genuine", &gen), ("impostor", &imp)] {
        let mut bins = [0usize; 13];
        for s in v.iter() {
            bins[((s + 0.2) * 10.0).floor().clamp(0.0, 12.0) as usize] += 1;
        }
        let row: Vec<String> = bins
            .iter()
            .enumerate()
            .map(|(i, c)| {
                format!(
                    "[{:.1},{:.1}):{c}",
                    i as f64 / 10.0 - 0.2,
                    i as f64 / 10.0 - 0.1
                )
            })
            .collect();
        println!("HIST {name} {}", row.join(" "));
    }
}

fn loadavg() -> String {
    let s = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    s.split_whitespace().next().unwrap_or("?").to_owned()
}

fn main() {
    // Other work on the box skews every figure: record how busy it was.
    println!("BENCH loadavg_1m_at_start {} runnable", loadavg());
    let what: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let all = what.is_empty();
    let want = |s: &str| all || what.iter().any(|w| w == s);
    if want("search") {
        search();
    }
    if want("stages") {
        stages();
    }
    if want("verify") {
        verify();
    }
    println!("BENCH loadavg_1m_at_end {} runnable", loadavg());
}
