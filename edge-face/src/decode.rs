//! Owns turning untrusted bytes into pixels: JPEG and PNG only, with hard limits checked against
//! the declared header size before anything large is allocated (decompression bombs are refused
//! fast), and EXIF orientation applied so phone photos are upright.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

use crate::error::DecodeError;

/// An 8-bit RGB image, rows top to bottom, 3 bytes per pixel.
#[derive(Clone, PartialEq, Eq)]
pub struct Rgb8 {
    pub width: u32,
    pub height: u32,
    pub data: Vec<u8>,
}

impl std::fmt::Debug for Rgb8 {
    // Never print pixels: they are a face.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Rgb8 {{ {}x{} }}", self.width, self.height)
    }
}

impl Rgb8 {
    /// Wraps raw RGB bytes; `None` when the length does not match.
    pub fn new(width: u32, height: u32, data: Vec<u8>) -> Option<Self> {
        (data.len() == width as usize * height as usize * 3).then_some(Self {
            width,
            height,
            data,
        })
    }

    /// The pixel at (x, y) (no bounds check beyond the slice's own).
    pub fn pixel(&self, x: u32, y: u32) -> [u8; 3] {
        let i = (y as usize * self.width as usize + x as usize) * 3;
        [self.data[i], self.data[i + 1], self.data[i + 2]]
    }
}

/// Limits applied to every decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Refuse inputs larger than this before parsing.
    pub max_input_bytes: usize,
    pub max_width: u32,
    pub max_height: u32,
    /// Width x height, checked from the header before decoding.
    pub max_pixels: u64,
    /// Upper bound on what the decoder may allocate, in bytes.
    pub max_alloc_bytes: u64,
    /// Smaller images cannot hold a usable face.
    pub min_side: u32,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        // 6000 x 6000 covers phone photos up to 36 MP; the RGB buffer is then at most 108 MB and
        // everything the decoder allocates is capped at 192 MB.
        Self {
            max_input_bytes: 32 * 1024 * 1024,
            max_width: 6000,
            max_height: 6000,
            max_pixels: 36_000_000,
            max_alloc_bytes: 192 * 1024 * 1024,
            min_side: 32,
        }
    }
}

/// Decodes a JPEG or PNG under `limits`.
pub fn decode(bytes: &[u8], limits: &DecodeLimits) -> Result<Rgb8, DecodeError> {
    if bytes.is_empty() {
        return Err(DecodeError::Empty);
    }
    if bytes.len() > limits.max_input_bytes {
        return Err(DecodeError::InputTooLarge {
            bytes: bytes.len(),
            max: limits.max_input_bytes,
        });
    }
    let format = image::guess_format(bytes).map_err(|_| DecodeError::UnknownFormat)?;
    if !matches!(format, ImageFormat::Jpeg | ImageFormat::Png) {
        return Err(DecodeError::UnknownFormat);
    }
    // The JPEG decoder fills a truncated scan with grey instead of failing; a file without its
    // end-of-image marker near the end is refused as truncated.
    if format == ImageFormat::Jpeg {
        let tail = &bytes[bytes.len().saturating_sub(1024)..];
        if !tail.windows(2).any(|w| w == [0xFF, 0xD9]) {
            return Err(DecodeError::Corrupt {
                reason: "truncated: no JPEG end-of-image marker".into(),
            });
        }
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut lim = Limits::default();
    lim.max_image_width = Some(limits.max_width);
    lim.max_image_height = Some(limits.max_height);
    lim.max_alloc = Some(limits.max_alloc_bytes);
    reader.limits(lim);
    let mut decoder = reader.into_decoder().map_err(map_err)?;
    let (w, h) = decoder.dimensions();
    if u64::from(w) * u64::from(h) > limits.max_pixels {
        return Err(DecodeError::TooLarge {
            field: "pixels",
            reason: format!("{w}x{h} is more than max_pixels = {}", limits.max_pixels),
        });
    }
    // The decoded buffer plus the RGB copy must fit; checked here because not every decoder
    // enforces max_alloc before allocating its output.
    let need = decoder
        .total_bytes()
        .saturating_add(u64::from(w) * u64::from(h) * 3);
    if need > limits.max_alloc_bytes {
        return Err(DecodeError::TooLarge {
            field: "allocation",
            reason: format!(
                "{w}x{h} {:?} needs {need} bytes, max_alloc_bytes = {}",
                decoder.color_type(),
                limits.max_alloc_bytes
            ),
        });
    }
    if w < limits.min_side || h < limits.min_side {
        return Err(DecodeError::TooSmall {
            width: w,
            height: h,
            min: limits.min_side,
        });
    }
    // A missing or broken EXIF block is not a reason to refuse the photo.
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(map_err)?;
    img.apply_orientation(orientation);
    let rgb = match img {
        DynamicImage::ImageRgb8(b) => b,
        other => other.into_rgb8(),
    };
    let (width, height) = rgb.dimensions();
    Ok(Rgb8 {
        width,
        height,
        data: rgb.into_raw(),
    })
}

fn map_err(e: image::ImageError) -> DecodeError {
    use image::error::{ImageError, LimitErrorKind};
    match e {
        ImageError::Limits(l) => match l.kind() {
            LimitErrorKind::DimensionError => DecodeError::TooLarge {
                field: "dimensions",
                reason: "declared width or height is over max_width/max_height".into(),
            },
            LimitErrorKind::InsufficientMemory => DecodeError::TooLarge {
                field: "allocation",
                reason: "decoding would allocate more than max_alloc_bytes".into(),
            },
            other => DecodeError::TooLarge {
                field: "limits",
                reason: format!("{other:?}"),
            },
        },
        ImageError::Unsupported(u) => DecodeError::Corrupt {
            reason: format!("unsupported: {u}"),
        },
        other => DecodeError::Corrupt {
            reason: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_pixel(w, h, image::Rgb([10, 20, 30]));
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn small_png_decodes() {
        let img = decode(&png(40, 50), &DecodeLimits::default()).unwrap();
        assert_eq!((img.width, img.height), (40, 50));
        assert_eq!(img.pixel(3, 4), [10, 20, 30]);
    }

    #[test]
    fn garbage_and_empty_are_refused() {
        let l = DecodeLimits::default();
        assert_eq!(decode(&[], &l), Err(DecodeError::Empty));
        assert_eq!(
            decode(b"hello world, not an image", &l),
            Err(DecodeError::UnknownFormat)
        );
    }

    #[test]
    fn tiny_image_is_refused() {
        let e = decode(&png(8, 8), &DecodeLimits::default()).unwrap_err();
        assert!(matches!(e, DecodeError::TooSmall { .. }), "{e}");
    }

    #[test]
    fn oversize_input_is_refused_before_parsing() {
        let l = DecodeLimits {
            max_input_bytes: 10,
            ..DecodeLimits::default()
        };
        assert!(matches!(
            decode(&png(40, 40), &l),
            Err(DecodeError::InputTooLarge { .. })
        ));
    }

    #[test]
    fn truncated_png_is_corrupt() {
        let bytes = png(64, 64);
        let e = decode(&bytes[..bytes.len() / 2], &DecodeLimits::default()).unwrap_err();
        assert!(matches!(e, DecodeError::Corrupt { .. }), "{e}");
    }
}
