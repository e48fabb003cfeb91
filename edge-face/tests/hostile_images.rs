//! Hostile inputs to the decoder: decompression bombs (huge declared dimensions in PNG and JPEG
//! headers, a PNG whose pixel buffer would be too large), truncated files and garbage. Each must
//! be refused with a reason, fast and without a large allocation. Needs no model.

use std::time::{Duration, Instant};

use edge_face::{decode, DecodeError, DecodeLimits};

fn crc32(data: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
}

/// A PNG header declaring `w` x `h` at `depth` bits and `colour` type, with a small valid zlib
/// stream of zeros as its only data.
fn png_declaring(w: u32, h: u32, depth: u8, colour: u8) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[depth, colour, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    // zlib: header, one stored block of 1024 zero bytes, adler32 of zeros = 1024 * 65536 + 1.
    let mut z = vec![0x78, 0x01, 0x01, 0x00, 0x04, 0xFF, 0xFB];
    z.extend_from_slice(&[0u8; 1024]);
    z.extend_from_slice(&(((1024u32) << 16) | 1).to_be_bytes());
    chunk(&mut out, b"IDAT", &z);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// A baseline JPEG header (SOI, DQT, SOF0, DHT, SOS) declaring `w` x `h`, followed by a few
/// bytes of entropy data and EOI.
fn jpeg_declaring(w: u16, h: u16) -> Vec<u8> {
    let mut j = vec![0xFF, 0xD8];
    // DQT: one table of all ones.
    j.extend_from_slice(&[0xFF, 0xDB, 0x00, 0x43, 0x00]);
    j.extend_from_slice(&[1u8; 64]);
    // SOF0: 8-bit, h x w, one component, 1x1 sampling, table 0.
    j.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x0B, 0x08]);
    j.extend_from_slice(&h.to_be_bytes());
    j.extend_from_slice(&w.to_be_bytes());
    j.extend_from_slice(&[0x01, 0x01, 0x11, 0x00]);
    // DHT: DC table 0 and AC table 0, each with one 1-bit code for symbol 0.
    for class in [0x00u8, 0x10] {
        j.extend_from_slice(&[0xFF, 0xC4, 0x00, 0x14, class, 0x01]);
        j.extend_from_slice(&[0u8; 15]);
        j.push(0x00);
    }
    // SOS: one component, tables 0/0.
    j.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00]);
    j.extend_from_slice(&[0x00; 16]);
    j.extend_from_slice(&[0xFF, 0xD9]);
    j
}

fn peak_rss_mb() -> f64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn refused(name: &str, bytes: &[u8]) -> DecodeError {
    let limits = DecodeLimits::default();
    let t = Instant::now();
    let r = decode(bytes, &limits);
    let took = t.elapsed();
    assert!(took < Duration::from_secs(1), "{name}: took {took:?}");
    match r {
        Ok(img) => panic!(
            "{name}: decoded as {}x{}, expected a refusal",
            img.width, img.height
        ),
        Err(e) => {
            eprintln!("{name}: refused in {:.1} ms: {e}", took.as_secs_f64() * 1e3);
            e
        }
    }
}

fn real_jpeg() -> Vec<u8> {
    let mut img = image::RgbImage::new(256, 256);
    for (x, y, p) in img.enumerate_pixels_mut() {
        *p = image::Rgb([
            (x * 7 % 256) as u8,
            (y * 3 % 256) as u8,
            ((x ^ y) % 256) as u8,
        ]);
    }
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .encode_image(&img)
        .unwrap();
    out
}

// One test so the peak-memory figure belongs to these inputs alone.
#[test]
fn hostile_images_are_refused_fast_and_small() {
    let before = peak_rss_mb();

    let e = refused("png 100000x100000", &png_declaring(100_000, 100_000, 8, 2));
    assert!(matches!(e, DecodeError::TooLarge { .. }), "{e}");
    let e = refused("png 4294967295x1", &png_declaring(u32::MAX >> 1, 1, 8, 2));
    assert!(
        matches!(
            e,
            DecodeError::TooLarge { .. } | DecodeError::Corrupt { .. }
        ),
        "{e}"
    );
    // Inside the width/height limits, but 16-bit RGBA would need 288 MB.
    let e = refused("png 6000x6000 rgba16", &png_declaring(6000, 6000, 16, 6));
    assert!(matches!(e, DecodeError::TooLarge { .. }), "{e}");
    let e = refused("jpeg 65000x65000", &jpeg_declaring(65_000, 65_000));
    assert!(matches!(e, DecodeError::TooLarge { .. }), "{e}");
    let e = refused("jpeg 0x0", &jpeg_declaring(0, 0));
    assert!(
        matches!(
            e,
            DecodeError::Corrupt { .. } | DecodeError::TooSmall { .. }
        ),
        "{e}"
    );

    let jpeg = real_jpeg();
    decode(&jpeg, &DecodeLimits::default()).expect("the untouched JPEG decodes");
    for cut in [jpeg.len() / 2, jpeg.len() - 64, 300, 20, 3] {
        refused(&format!("jpeg cut at {cut}"), &jpeg[..cut]);
    }
    let mut png = Vec::new();
    image::RgbImage::from_pixel(256, 256, image::Rgb([1, 2, 3]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    for cut in [png.len() / 2, png.len() - 13, 40, 8] {
        refused(&format!("png cut at {cut}"), &png[..cut]);
    }

    let e = refused("empty", &[]);
    assert_eq!(e, DecodeError::Empty);
    let mut seed = 7u64;
    let garbage: Vec<u8> = (0..100_000)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed as u8
        })
        .collect();
    assert_eq!(refused("garbage", &garbage), DecodeError::UnknownFormat);
    // A valid signature followed by garbage.
    let mut fake = jpeg[..2].to_vec();
    fake.extend_from_slice(&garbage[..5000]);
    refused("jpeg magic + garbage", &fake);
    let mut fake = png[..8].to_vec();
    fake.extend_from_slice(&garbage[..5000]);
    refused("png magic + garbage", &fake);
    // Formats we do not accept are refused even when the image crate could read them.
    assert_eq!(
        refused("gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"),
        DecodeError::UnknownFormat
    );

    let grown = peak_rss_mb() - before;
    eprintln!("peak RSS grew by {grown:.1} MB");
    assert!(
        grown < 64.0,
        "peak RSS grew by {grown:.1} MB while refusing hostile images"
    );
}
