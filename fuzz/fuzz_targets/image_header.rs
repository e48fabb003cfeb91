//! A face photo or camera frame (JPEG or PNG) as uploaded to the box, decoded under the box's
//! limits: headers that lie about sizes, truncated data. Errors, never panics or runs away.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = edge_face::DecodeLimits {
        max_input_bytes: 1 << 20,
        max_width: 2000,
        max_height: 2000,
        max_pixels: 2_000_000,
        max_alloc_bytes: 32 << 20,
        min_side: 32,
    };
    let _ = edge_face::decode(data, &limits);
});
