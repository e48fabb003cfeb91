//! On-device face pass (issue 4): from an untrusted photo or camera frame to "this is enrolled
//! person X" or a list of reasons why not, on the edge box, offline, on two CPU cores.
//!
//! ```text
//! bytes ─decode─► Rgb8 ─detect─► boxes ─┬─ landmarks ─► 5 points ─► align 112×112 ─► embed ─► L2 ─► gallery.search ─► judge ─► Confirmer
//!  (limits,        (UltraFace)          └─ liveness (2.7× crop, in parallel) ───────────────────────────────────────────┘  (threshold, margin, N frames)
//!   EXIF)                                 enrolment: quality rules on the same measurements → template or reasons
//! ```
//!
//! # Modules
//!
//! | module | owns | I/O? |
//! |---|---|---|
//! | [`decode`](mod@decode) | bytes → `Rgb8`: JPEG/PNG only, size/pixel/allocation limits checked from the header, truncation, EXIF orientation | no (bytes in) |
//! | [`manifest`] | `models/<name>.toml`: input size, layout, colour, normalisation, output meaning; **sans-IO** `parse`, `load` reads the file | reads a file |
//! | [`runtime`] | the only `ort` code: library loaded from `runtime.library_path`, one environment with one shared intra-op pool, sessions, FTZ/DAZ (the crate's only `unsafe`) | loads the library and models |
//! | [`pipeline`] | stage order, timing per stage, enrolment check, per-frame probe | via `runtime` |
//! | [`imageops`] | **sans-IO** resampling (point-sampled shrink, bilinear warp), tensors per manifest, crop brightness/sharpness | no |
//! | [`geometry`] | **sans-IO** boxes, IoU, NMS, ArcFace template, least-squares similarity, pose from 5 points | no |
//! | [`heads`] | **sans-IO** model outputs → detections, landmarks, probabilities, unit vectors | no |
//! | [`gallery`] | **sans-IO** int8 templates and the two-stage 1:N search (best and second-best identity) | no |
//! | `kernels` (private) | **sans-IO** int8 and 4-bit dot-product scans, AVX2 or portable, chosen at run time (`multiversion`) | no |
//! | [`decision`] | **sans-IO** threshold + margin verdict, N-consecutive-frame confirmation (time is a parameter) | no |
//! | [`quality`] | **sans-IO** enrolment rules: `no_face`, `multiple_faces`, `face_too_small`, `blurred`, `too_dark`, `turned_away` | no |
//!
//! A unit test below reads the sans-IO modules' sources and fails if one names `ort`, a file, a
//! clock or an async runtime. Face images and templates are never logged (`Rgb8`, `RgbF` and
//! `Gallery` print only sizes); logs carry counts, reasons and `duration_ms`.
//!
//! # Running
//!
//! ```text
//! bash models/fetch.sh                                                     # models, libonnxruntime, photos (npm/PyPI, sha256-pinned)
//! CARGO_TARGET_DIR=/work/target-face cargo test -p edge-face               # unit + proptests, hostile images, real models on real photos
//! CARGO_TARGET_DIR=/work/target-face cargo bench -p edge-face --bench face [-- stages|search|verify]
//! cargo run --release -p edge-face --example {probe,calibrate,liveness,modeltime,preptime,faces}
//! ```
//!
//! The real-model tests fail (never skip) with "run `bash models/fetch.sh`" when a file is missing.
//!
//! # Choices and why
//!
//! - **Runtime**: `ort` 2.0.0-rc.15 with `load-dynamic` + `api-31`; `libonnxruntime.so.1.31.1` comes from
//!   the PyPI `onnxruntime==1.31.1` wheel. A missing file, a non-ONNX-Runtime library or one older than 1.31
//!   is a `FaceError::RuntimeLoad` naming `runtime.library_path` (unit-tested with a missing path and with
//!   `libz.so.1`), never a panic. One environment per process (an ONNX Runtime rule).
//! - **Threads**: one global intra-op pool (one thread per core, not spinning) shared by all four sessions,
//!   and FTZ/DAZ on the pool (`with_flush_to_zero`) and on every calling thread (`runtime::set_ftz_daz`
//!   before each `run`): the recogniser has subnormal weights. Liveness runs on a second thread while the
//!   main thread does landmarks, alignment and the embedding (p50 e2e 68 → 49 ms in an A/B at the same load).
//! - **Resampling**: the detector input (whole photo → 320×240) and the liveness/landmark crops use
//!   `resize_points` (n×n integer point samples, 2.5–3 ms for 1 MP) instead of exact area averaging (7–9 ms)
//!   or supersampled bilinear (11 ms); alignment uses a bilinear similarity warp (≈2 ms). The models'
//!   reference code used plain bilinear, so this is at least as smooth as what they were trained on.
//! - **Alignment**: least-squares similarity on 5 points (Umeyama) to the ArcFace template; the reference
//!   used a 3-point affine, which shears with landmark noise.
//! - **Gallery**: int8 per-template-scaled codes, 516 B per 512-d template, plus a 4-bit copy (256 B) for
//!   a first pass: 100k = 77.6 MB. From 4,096 templates a search scores every 4-bit template (from 20,000
//!   on the calling thread and a helper thread the gallery keeps), then re-scores in int8 only those
//!   that could reach the second-best identity under an 8σ bound on the 4-bit error; below 4,096 it
//!   scores every int8 template. The result equals the all-int8 scan's (identities and scores) unless a
//!   4-bit error exceeds 8σ (largest seen: 5.2σ in 16 million pairs); `gallery` docs give the bound.
//!   Dot products use AVX2 (`vpmaddubsw`) when the CPU has it, chosen at run time by `multiversion`,
//!   with portable loops otherwise: the build stays baseline x86-64. Score error vs f32 cosine ≈1e-3
//!   (proptest), so no f32 re-rank copy is kept (it would put 100k at 257 MB). An all-int8 scan of 100k
//!   reads 52 MB (4.1–6 ms here, memory-bound); the 4-bit pass reads 25.6 MB with software prefetch
//!   4 KiB ahead (the hardware prefetcher stops at page ends: 4.1–4.5 → 2.3–2.4 ms single-threaded).
//! - **Decision**: cosine ≥ 0.55 **and** ≥ 0.08 ahead of the second-best identity, confirmed by 3
//!   consecutive live matching frames at most 1 s apart; a confirmation restarts the count.
//! - **Liveness**: class 0 of `fr_liveness` is "live" (measured, see `models/fr_liveness.md`); gate at 0.5.
//!   It is weak evidence against spoofing, documented as such.
//! - **Quality** (enrolment): face box ≥ 80 px high; a second face ≥ half the main face's height is
//!   `multiple_faces` (smaller ones are bystanders); |yaw| ≤ 0.45, |pitch| ≤ 0.25 (pose proxies from the 5
//!   points); mean luma of the aligned face ≥ 45; Laplacian variance ≥ 25 (only judged when not too dark).
//!   Calibrated with `examples/calibrate.rs` on the fetched photos and their edits.
//! - **Decode limits**: 32 MiB input, 6000×6000 and 36 MP, 192 MiB for the decoder buffer plus the RGB copy
//!   (checked from the header before decoding), JPEG without an end-of-image marker in its last KiB refused
//!   as truncated (the JPEG decoder would otherwise fill the missing scan with grey).
//!
//! # Measured (2-core Xeon @ 2.5 GHz, ONNX Runtime 1.31.1, `cargo bench`)
//!
//! The box was shared with another engineer's cargo builds during every run (1-minute load average
//! 1.7–4.2 on 2 cores, printed by the bench as `loadavg_1m_*`), so latencies are inflated and noisy;
//! re-run on an idle box before quoting them.
//!
//! | figure | value | target |
//! |---|---|---|
//! | e2e probe, 1.03 MP JPEG (decode → verdict, 10k gallery), best run (load ≈ 2) | p50 44 ms, p95 58 ms, p99 62 ms | p95 ≤ 50 ms: **not shown** under this load |
//! | same, heavily loaded runs (load 3–4) | p50 48–75 ms, p95 61–97 ms | |
//! | stage p50s in the best runs: decode / detect / landmarks / liveness ∥ align+embed / search | 9 / 7–10 / 1.2–1.5 / 18–22 ∥ 20–25 / 1.0 ms | |
//! | models alone, quieter moment: detect / landmarks / liveness / embed | 3.6 / 0.5–0.7 / 8.2 / 11.9 ms p50 | |
//! | 1:N search, 10,000 templates (2026-11-29 08:00–08:46 UTC, two-stage, 1 thread) | quiet box (load 0.1–1.3): p50 0.22–0.42 ms, p95 0.26–0.55 ms; two other rustc on the cores (load 3.5–4.6): p50 0.22–0.40 ms | ≤ 1 ms |
//! | 1:N search, 100,000 templates (same runs, two-stage, 2 threads) | quiet box: p50 1.3–2.2 ms, p95 1.4–2.5 ms; one other rustc (load 2.4–3.3): p50 2.2–3.0 ms; two other rustc (load 3.5–4.6): p50 2.9–4.4 ms, p95 3.2–7.9 ms | ≤ 5 ms |
//! | same searches before (all-int8 SSE2 scan), same morning | quiet: 10k p50 0.7–1.4 ms, 100k p50 6.5–7.4 ms; two other rustc: 10k 0.94 ms, 100k 11.2 ms; load 6.2: 10k 1.0–1.1 ms, 100k 12 ms (p95 20–22 ms) | |
//! | two-stage result vs scoring every int8 template | identical on 100/100 bench probes and 358/358 real embeddings (against 30,000 fillers); largest 4-bit error 5.2σ, bound 8σ | identical |
//! | gallery memory, 100,000 × 512-d | 77.6 MB templates (52 MB int8 + 25.6 MB 4-bit), 90.9 MB RSS incl. labels | ≤ 160 MB |
//! | hostile images (bombs, truncation, garbage) | each refused in < 2 ms, peak RSS +0.9 MB | |
//!
//! Idle-box estimate from the quietest per-stage figures: 9 + 6.5 + 1.2 + max(10, 13) + 1 ≈ 31 ms p50
//! (search measured before the two-stage change; it is now ≈0.3 ms at 10k).
//!
//! Search under load: with five CPU-bound processes on the two cores (load 3.4–5.0; two of them another
//! engineer's rustc, three busy loops of ours) the 100k search took p50 8.9–10.9 ms (the old scan 29 ms
//! there): its two threads then get about a third of a core each. On a quiet box both threads are busy
//! for the whole 1.3–2.2 ms, mostly waiting on memory for the 25.6 MB 4-bit pass, so ≤ 5 ms holds while
//! the rest of the box leaves the search about one core.
//!
//! Verification (`-- verify`; photos from registry packages: 11 people — Obama ×5 photos, Biden, Eileen
//! Collins, Grace Hopper, Tom Hanks and the six faces of a group photo — each under 24 edits, 358
//! embeddings): genuine pairs 9,758 (mean cosine 0.78), impostor pairs 54,145 (mean 0.04, p99 0.30, max
//! 0.496: two neighbours in the low-resolution group photo). At the default 0.55: **0 / 54,145 false
//! accepts** (≤ 1 in 10,000 required), FRR 4.8 % of genuine pairs, almost all from edits that crop away
//! half of a face that already touches the photo's edge. Sweep: t = 0.45 → FAR 1.8e-5, FRR 3.8 %;
//! t = 0.60 → FAR 0, FRR 6.5 %. With 11 people this bounds nothing about a population: re-measure on a
//! real enrolment set.
//!
//! # Licence of the recogniser
//!
//! `fr_feature.onnx` has no usable licence: its ONNX trace names a Humanode "bioauth-ml" export path. Do
//! not ship it; see `models/fr_feature.md`.
#![deny(unsafe_code)]

pub mod decision;
pub mod decode;
pub mod error;
pub mod gallery;
pub mod geometry;
pub mod heads;
pub mod imageops;
mod kernels;
pub mod manifest;
pub mod pipeline;
pub mod quality;
pub mod runtime;

pub use decision::{
    Confirmed, Confirmer, DecisionPolicy, DoorAction, DoorDecider, FrameVerdict, Refusal,
};
pub use decode::{decode, DecodeLimits, Rgb8};
pub use error::{DecodeError, FaceError};
pub use gallery::{Gallery, SearchResult};
pub use pipeline::{
    thumbnail_jpeg, Analysis, EnrolRefusal, FacePipeline, PipelineConfig, Probe, StageTimes,
};
pub use quality::{QualityReason, QualityRules};
pub use runtime::{Runtime, RuntimeConfig};

#[cfg(test)]
mod tests {
    /// The sans-IO modules stay free of runtime, file, clock and async code.
    #[test]
    fn sans_io_cores_do_no_io() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        for m in [
            "decision", "gallery", "geometry", "heads", "imageops", "kernels", "quality",
        ] {
            let src = std::fs::read_to_string(dir.join(format!("{m}.rs"))).unwrap();
            for banned in [
                "ort::",
                "std::fs",
                "File::",
                "Instant",
                "SystemTime",
                "tokio",
                "std::net",
            ] {
                assert!(!src.contains(banned), "{m}.rs names {banned}");
            }
        }
    }
}
