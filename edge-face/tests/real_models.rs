//! The face pass with the real models on real photos (fetched by `bash models/fetch.sh`; a
//! missing file fails the test with that instruction, it never skips).

mod common;

use common::*;
use edge_face::{
    Confirmer, DecisionPolicy, DecodeError, EnrolRefusal, FacePipeline, FrameVerdict, Gallery,
    QualityReason, Rgb8,
};

fn enrol(name: &str) -> Vec<f32> {
    match pipeline().enrol(&bytes(name)).unwrap() {
        Ok(t) => t,
        Err(r) => panic!("{name} refused for enrolment: {r:?}"),
    }
}

fn gallery() -> Gallery {
    let mut g = Gallery::new(pipeline().dim());
    g.add("obama", &enrol("obama.jpg")).unwrap();
    g.add("biden", &enrol("biden.jpg")).unwrap();
    g.add("collins", &enrol("astronaut.png")).unwrap();
    g.add("hopper", &enrol("grace_hopper.jpg")).unwrap();
    g
}

/// The verdict for the largest face of `img`, without the liveness gate (these are photos).
fn verdict(g: &Gallery, img: &Rgb8) -> (FrameVerdict, String) {
    let p = pipeline();
    let a = p.analyse(img, false).unwrap();
    let Some(e) = a.main.and_then(|m| m.embedding) else {
        return (FrameVerdict::NoFace, String::new());
    };
    let r = g.search(&e);
    let v = DecisionPolicy::default().judge(&r);
    let who = r
        .best
        .map(|b| g.label(b.identity).to_owned())
        .unwrap_or_default();
    (v, format!("{who} {:.3}", r.best.map_or(0.0, |b| b.score)))
}

fn edits(img: &Rgb8) -> Vec<(&'static str, Rgb8)> {
    let reenc = |q| edge_face::decode(&jpeg(img, q), &Default::default()).unwrap();
    vec![
        ("original", img.clone()),
        ("flip", flip(img)),
        ("dark_0.6", brightness(img, 0.6)),
        ("bright_1.4", brightness(img, 1.4)),
        ("crop_top", crop(img, 0.05, 0.0, 0.95, 0.8)),
        ("crop_left", crop(img, 0.0, 0.0, 0.85, 1.0)),
        ("downscale_2", downscale(img, 2)),
        ("downscale_3", downscale(img, 3)),
        ("jpeg_q25", reenc(25)),
        ("jpeg_q60", reenc(60)),
        ("flip_dark_jpeg", {
            let f = flip(&brightness(img, 0.7));
            edge_face::decode(&jpeg(&f, 40), &Default::default()).unwrap()
        }),
    ]
}

#[test]
fn the_same_person_is_accepted_under_edits() {
    let g = gallery();
    let mut failures = Vec::new();
    // Other photos of the enrolled person, each under every edit.
    for name in [
        "obama2.jpg",
        "obama3.jpg",
        "obama_partial_face.jpg",
        "obama_partial_face2.jpg",
        "obama.jpg",
    ] {
        for (edit, img) in edits(&image(name)) {
            if name == "obama_partial_face2.jpg" && edit == "crop_left" {
                continue; // the face touches the right edge: this crop cuts it off
            }
            let (v, who) = verdict(&g, &img);
            let ok =
                matches!(v, FrameVerdict::Match { identity, .. } if g.label(identity) == "obama");
            eprintln!("{name} {edit}: {v:?} ({who})");
            if !ok {
                failures.push(format!("{name} {edit}: {v:?} ({who})"));
            }
        }
    }
    assert!(failures.is_empty(), "not accepted: {failures:#?}");
}

#[test]
fn other_people_are_rejected() {
    // Only Obama is enrolled; everybody else must come out Unknown, never as him.
    let mut g = Gallery::new(pipeline().dim());
    g.add("obama", &enrol("obama.jpg")).unwrap();
    g.add("obama", &enrol("obama2.jpg")).unwrap();
    let mut failures = Vec::new();
    for name in ["biden.jpg", "astronaut.png", "grace_hopper.jpg"] {
        for (edit, img) in edits(&image(name)) {
            let (v, who) = verdict(&g, &img);
            eprintln!("{name} {edit}: {v:?} ({who})");
            if !matches!(v, FrameVerdict::Unknown { .. }) {
                failures.push(format!("{name} {edit}: {v:?} ({who})"));
            }
        }
    }
    // The six people of a group photo, one at a time, and Tom Hanks.
    let group = image("t1.jpg");
    let dets = pipeline().detect(&group).unwrap();
    assert_eq!(dets.len(), 6, "t1.jpg shows six people");
    let (w, h) = (group.width as f32, group.height as f32);
    let mut others: Vec<(String, Rgb8)> = dets
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let b = d.bbox.scaled_within(1.8, w, h);
            (
                format!("t1 face {i}"),
                crop(&group, b.x1 / w, b.y1 / h, b.x2 / w, b.y2 / h),
            )
        })
        .collect();
    others.push(("Tom Hanks".into(), image("Tom_Hanks_54745.png")));
    for (name, img) in others {
        let (v, who) = verdict(&g, &img);
        eprintln!("{name}: {v:?} ({who})");
        if !matches!(v, FrameVerdict::Unknown { .. }) {
            failures.push(format!("{name}: {v:?} ({who})"));
        }
    }
    assert!(
        failures.is_empty(),
        "accepted as someone else: {failures:#?}"
    );
}

#[test]
fn a_pass_is_confirmed_over_consecutive_live_frames() {
    let p = pipeline();
    let g = gallery();
    let policy = DecisionPolicy::default();
    let mut c = Confirmer::new(policy);
    let frames = [
        image("obama.jpg"),
        brightness(&image("obama.jpg"), 0.9),
        flip(&image("obama.jpg")),
    ];
    let mut confirmed = None;
    for (i, f) in frames.iter().enumerate() {
        let (v, _, _) = p.probe(f, &g, &policy).unwrap();
        assert!(matches!(v, FrameVerdict::Match { .. }), "frame {i}: {v:?}");
        let got = c.observe(i as u64 * 100, v);
        assert_eq!(got.is_some(), i == 2, "frame {i}");
        confirmed = got;
    }
    assert_eq!(g.label(confirmed.unwrap().identity), "obama");
    // A frame with nobody in it breaks a streak.
    let empty = crop(&image("obama.jpg"), 0.0, 0.5, 1.0, 1.0);
    let (v, _, _) = p.probe(&empty, &g, &policy).unwrap();
    assert_eq!(v, FrameVerdict::NoFace);
}

#[test]
fn camera_photos_pass_the_liveness_gate() {
    // Class 0 of fr_liveness is "live" (see models/fr_liveness.md); these are straight photos.
    let p = pipeline();
    for name in ["obama.jpg", "obama2.jpg", "biden.jpg", "astronaut.png"] {
        let img = image(name);
        let a = p.analyse(&img, true).unwrap();
        let live = a.main.unwrap().live.unwrap();
        eprintln!("{name}: live {live:.3}");
        assert!(live > 0.9, "{name}: live probability {live}");
    }
}

fn refusal(img: &Rgb8) -> Vec<QualityReason> {
    match pipeline().enrol(&png(img)).unwrap() {
        Ok(_) => Vec::new(),
        Err(EnrolRefusal::Quality(r)) => r,
        Err(EnrolRefusal::Decode(e)) => panic!("decode: {e}"),
    }
}

#[test]
fn enrolment_photos_get_their_reasons() {
    let obama = image("obama.jpg");
    assert_eq!(refusal(&obama), vec![], "a good photo is accepted");
    let cases: Vec<(&str, Rgb8, QualityReason)> = vec![
        (
            "no face (body only)",
            crop(&obama, 0.0, 0.45, 1.0, 1.0),
            QualityReason::NoFace,
        ),
        (
            "flat grey",
            Rgb8::new(400, 300, vec![128; 400 * 300 * 3]).unwrap(),
            QualityReason::NoFace,
        ),
        ("group photo", image("t1.jpg"), QualityReason::MultipleFaces),
        (
            "two people",
            side_by_side(&obama, &image("biden.jpg")),
            QualityReason::MultipleFaces,
        ),
        (
            "tiny face",
            downscale(&obama, 5),
            QualityReason::FaceTooSmall,
        ),
        (
            "small face in a big photo",
            tiny_in_canvas(&image("grace_hopper.jpg"), 4),
            QualityReason::FaceTooSmall,
        ),
        ("blurred", blur(&obama, 10), QualityReason::Blurred),
        ("too dark", brightness(&obama, 0.2), QualityReason::TooDark),
        (
            "turned away",
            squeeze_left(&image("grace_hopper.jpg"), 0.5, 0.2),
            QualityReason::TurnedAway,
        ),
    ];
    let mut failures = Vec::new();
    for (what, img, want) in cases {
        let got = refusal(&img);
        let m = FacePipeline::measure(&pipeline().analyse(&img, false).unwrap());
        eprintln!("{what}: {got:?} ({m:?})");
        if !got.contains(&want) {
            failures.push(format!("{what}: wanted {want:?}, got {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn undecodable_enrolment_photos_say_why() {
    let p = pipeline();
    let r = p.enrol(b"definitely not a photo").unwrap();
    assert_eq!(r, Err(EnrolRefusal::Decode(DecodeError::UnknownFormat)));
    let jpeg = bytes("obama.jpg");
    let r = p.enrol(&jpeg[..jpeg.len() / 2]).unwrap();
    assert!(
        matches!(r, Err(EnrolRefusal::Decode(DecodeError::Corrupt { .. }))),
        "{r:?}"
    );
}

#[test]
fn embeddings_are_unit_length_and_stable() {
    let p = pipeline();
    let img = image("obama.jpg");
    let a = p
        .analyse(&img, false)
        .unwrap()
        .main
        .unwrap()
        .embedding
        .unwrap();
    let b = p
        .analyse(&img, false)
        .unwrap()
        .main
        .unwrap()
        .embedding
        .unwrap();
    assert_eq!(a.len(), 512);
    let n: f32 = a.iter().map(|x| x * x).sum();
    assert!((n - 1.0).abs() < 1e-4);
    let same = edge_face::gallery::dot_f32(&a, &b);
    assert!(same > 0.9999, "same input, cosine {same}");
}
