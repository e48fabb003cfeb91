//! **Sans-IO.** The gallery's dot-product kernels, chosen at run time for the CPU.
//!
//! The binary is built for baseline x86-64 (SSE2), so wider instructions are only used after the
//! CPU has been asked. The `multiversion` crate (0.9, `std` feature only) compiles each scan
//! function twice, for `x86_64+avx2` and for the build's baseline, and picks one on the first
//! call (one relaxed atomic load per call after that). A CPU without AVX2, or another
//! architecture, runs the portable loops. AVX-512 is not used: `multiversion` only selects an
//! AVX-512 clone on Ice Lake or later (it adds those CPUs' features to any `avx512*` target), so
//! the target box's Cascade Lake would never run it.
//!
//! The AVX2 bodies use `std::arch` intrinsics, which are safe to call inside a function
//! compiled with the feature enabled (Rust ≥ 1.87), and load through `_mm256_set_epi64x` of
//! bytes (the compiler emits one `vmovdqu`) rather than through pointers: there is no `unsafe`
//! in this file. The `unsafe` on this path is the dispatcher that the `multiversion` macro
//! writes: after the CPU check it calls the selected clone (a `#[target_feature]` function) in
//! an `unsafe` block, through a transmuted function pointer (indirect dispatch) or a `match`
//! whose impossible arm is `unreachable_unchecked` (direct dispatch). That code is the
//! dependency's, expanded here; the crate's `deny(unsafe_code)` skips code expanded from
//! another crate's macro.
//!
//! Two kinds of template code are scanned:
//! - **int8** (`i8` per dimension, |code| ≤ 127): exact scores. AVX2: `vpsignb` moves the query's
//!   sign onto the template code, `vpmaddubsw` multiplies |query| × code and adds pairs (≤ 2 × 127²
//!   = 32,258, never saturates), `vpmaddwd` widens to i32. 32 dimensions in 5 instructions.
//! - **4-bit** (`u8` nibbles 0..=15, offset by 7.5): the coarse first pass. Each 64 dimensions take
//!   32 bytes: byte `j` holds dimension `j` in its low nibble and dimension `32 + j` in its high
//!   nibble, so unpacking is one mask and one shift. `vpmaddubsw` of nibble × query code (pairs ≤
//!   2 × 15 × 127 = 3,810), summed in i16 over 4 blocks (≤ 30,480), then widened.
//!
//! The portable versions are plain loops the compiler vectorises with what the build allows.

use multiversion::multiversion;
use multiversion::target::match_target;

/// Dimensions per 4-bit block (32 bytes).
pub(crate) const BLOCK4: usize = 64;

/// Bytes of 4-bit code for a `dim`-dimensional template (whole blocks; padding is ignored
/// because the padded query is zero there).
pub(crate) fn q4_stride(dim: usize) -> usize {
    dim.div_ceil(BLOCK4) * BLOCK4 / 2
}

/// The 4-bit code of one int8 code: the cell `floor(c / (127/8))` of a 16-cell uniform quantiser
/// on [-127, 127], as 0..=15. It stands for `(u - 7.5) * 127/8` (the cell's middle), so the
/// error is at most half a cell, 127/16 int8 units.
#[inline]
pub(crate) fn nibble(c: i8) -> u8 {
    let cell = (i32::from(c) * 8).div_euclid(127) + 8;
    cell.clamp(0, 15) as u8
}

/// Appends the 4-bit codes of one template (`q4_stride(c8.len())` bytes).
pub(crate) fn push_q4(c8: &[i8], out: &mut Vec<u8>) {
    let stride = q4_stride(c8.len());
    let at = |i: usize| c8.get(i).map_or(0, |c| nibble(*c));
    for b in 0..stride / 32 {
        for j in 0..32 {
            let d = b * BLOCK4 + j;
            out.push(at(d) | (at(d + 32) << 4));
        }
    }
}

/// Portable int8 dot product. Each i8 × i8 product fits in i16 (at most 127 × 127), so the
/// products are formed in i16 and widened into 32 independent i32 lanes: the compiler turns that
/// into packed multiplies. Kept out of line: inlined into the scan loop the same code measured 4×
/// slower (0.7 ms vs 2.7 ms for 10,000 templates).
#[inline(never)]
pub fn dot_i8(a: &[i8], b: &[i8]) -> i32 {
    let mut acc = [0i32; 32];
    let (ca, cb) = (a.chunks_exact(32), b.chunks_exact(32));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..32 {
            acc[i] += i32::from(i16::from(x[i]) * i16::from(y[i]));
        }
    }
    let tail: i32 = ra
        .iter()
        .zip(rb)
        .map(|(x, y)| i32::from(*x) * i32::from(*y))
        .sum();
    acc.iter().sum::<i32>() + tail
}

/// Portable 4-bit dot product: `sum(nibble * q)` over a row of `q4_stride` bytes and a query
/// padded to `2 * row.len()` codes. 32 i16 lanes, each taking two products (≤ 3,810) per block,
/// are widened every 8 blocks (≤ 30,480).
#[inline(never)]
pub(crate) fn dot4_portable(row: &[u8], q: &[i8]) -> i32 {
    let mut acc = [0i32; 32];
    for (g, qg) in row.chunks(256).zip(q.chunks(512)) {
        let mut a16 = [0i16; 32];
        for (b, qb) in g.chunks_exact(32).zip(qg.chunks_exact(64)) {
            for i in 0..32 {
                a16[i] += i16::from(b[i] & 15) * i16::from(qb[i])
                    + i16::from(b[i] >> 4) * i16::from(qb[32 + i]);
            }
        }
        for i in 0..32 {
            acc[i] += i32::from(a16[i]);
        }
    }
    acc.iter().sum()
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    /// 32 bytes into a vector without a pointer: the compiler folds this into one `vmovdqu`.
    #[target_feature(enable = "avx2")]
    #[inline]
    fn load_u8(b: &[u8]) -> __m256i {
        let w = |i: usize| {
            let c = &b[i * 8..i * 8 + 8];
            i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]])
        };
        _mm256_set_epi64x(w(3), w(2), w(1), w(0))
    }

    #[target_feature(enable = "avx2")]
    #[inline]
    fn load_i8(b: &[i8]) -> __m256i {
        let w = |i: usize| {
            let c = &b[i * 8..i * 8 + 8];
            i64::from_le_bytes([
                c[0] as u8, c[1] as u8, c[2] as u8, c[3] as u8, c[4] as u8, c[5] as u8, c[6] as u8,
                c[7] as u8,
            ])
        };
        _mm256_set_epi64x(w(3), w(2), w(1), w(0))
    }

    #[target_feature(enable = "avx2")]
    #[inline]
    fn hsum(v: __m256i) -> i32 {
        let s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256::<1>(v));
        let s = _mm_add_epi32(s, _mm_shuffle_epi32::<0b01_00_11_10>(s));
        let s = _mm_add_epi32(s, _mm_shuffle_epi32::<0b10_11_00_01>(s));
        _mm_cvtsi128_si32(s)
    }

    /// A query prepared once per search: signed codes and their absolute values, 32 at a time,
    /// and the codes past the last whole vector.
    pub(super) struct Query<'a> {
        sign: Vec<__m256i>,
        abs: Vec<__m256i>,
        tail: &'a [i8],
    }

    #[target_feature(enable = "avx2")]
    pub(super) fn prepare(q: &[i8]) -> Query<'_> {
        let chunks = q.chunks_exact(32);
        let tail = chunks.remainder();
        let mut out = Query {
            sign: Vec::with_capacity(q.len() / 32),
            abs: Vec::with_capacity(q.len() / 32),
            tail,
        };
        for c in chunks {
            out.sign.push(load_i8(c));
            out.abs.push(_mm256_abs_epi8(load_i8(c)));
        }
        out
    }

    /// Exact int8 dot product (template codes and query codes within ±127).
    #[target_feature(enable = "avx2")]
    #[inline]
    pub(super) fn dot8(row: &[i8], q: &Query<'_>) -> i32 {
        let ones = _mm256_set1_epi16(1);
        let mut acc = _mm256_setzero_si256();
        let chunks = row.chunks_exact(32);
        let rest = chunks.remainder();
        for ((c, s), a) in chunks.zip(&q.sign).zip(&q.abs) {
            let p = _mm256_maddubs_epi16(*a, _mm256_sign_epi8(load_i8(c), *s));
            acc = _mm256_add_epi32(acc, _mm256_madd_epi16(p, ones));
        }
        let tail: i32 = rest
            .iter()
            .zip(q.tail)
            .map(|(x, y)| i32::from(*x) * i32::from(*y))
            .sum();
        hsum(acc) + tail
    }

    /// Query for the 4-bit pass: the padded codes, 32 at a time (low-nibble and high-nibble
    /// halves of each block alternate).
    #[target_feature(enable = "avx2")]
    pub(super) fn prepare4(q: &[i8]) -> Vec<__m256i> {
        q.chunks_exact(32).map(|c| load_i8(c)).collect()
    }

    /// One block of 64 dimensions: `sum(nibble * q)` in 16 i16 lanes (each ≤ 4 × 15 × 127).
    #[target_feature(enable = "avx2")]
    #[inline]
    fn block4(b: &[u8], lo_q: __m256i, hi_q: __m256i) -> __m256i {
        let mask = _mm256_set1_epi8(15);
        let v = load_u8(b);
        let lo = _mm256_and_si256(v, mask);
        let hi = _mm256_and_si256(_mm256_srli_epi16::<4>(v), mask);
        _mm256_add_epi16(
            _mm256_maddubs_epi16(lo, lo_q),
            _mm256_maddubs_epi16(hi, hi_q),
        )
    }

    /// `sum(nibble * q)` for one row of 4-bit codes: i16 sums of up to 4 blocks (≤ 30,480),
    /// widened to i32 per group.
    #[target_feature(enable = "avx2")]
    #[inline]
    pub(super) fn dot4(row: &[u8], q: &[__m256i]) -> i32 {
        let ones = _mm256_set1_epi16(1);
        let mut acc = _mm256_setzero_si256();
        let groups = row.chunks_exact(128);
        let rest = groups.remainder();
        let (q_groups, q_rest) = q.split_at(row.len() / 128 * 8);
        for (g, v) in groups.zip(q_groups.chunks_exact(8)) {
            let a = _mm256_add_epi16(block4(&g[..32], v[0], v[1]), block4(&g[32..64], v[2], v[3]));
            let b = _mm256_add_epi16(block4(&g[64..96], v[4], v[5]), block4(&g[96..], v[6], v[7]));
            acc = _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_add_epi16(a, b), ones));
        }
        let mut a16 = _mm256_setzero_si256();
        for (b, v) in rest.chunks_exact(32).zip(q_rest.chunks_exact(2)) {
            a16 = _mm256_add_epi16(a16, block4(b, v[0], v[1]));
        }
        hsum(_mm256_add_epi32(acc, _mm256_madd_epi16(a16, ones)))
    }
}

/// The exact int8 dot product of `q` with each row of `codes` (`dim` codes per row, one row
/// per element of `out`).
#[multiversion(targets("x86_64+avx2"))]
pub(crate) fn dots_i8(codes: &[i8], dim: usize, q: &[i8], out: &mut [i32]) {
    let rows = codes.chunks_exact(dim);
    match_target! {
        "x86_64+avx2" => {
            let prepared = avx2::prepare(q);
            for (o, row) in out.iter_mut().zip(rows) {
                *o = avx2::dot8(row, &prepared);
            }
        }
        _ => {
            for (o, row) in out.iter_mut().zip(rows) {
                *o = dot_i8(row, q);
            }
        }
    }
}

/// [`dots_i8`] for the rows `rows` of `codes` only, into `out` in the same order.
#[multiversion(targets("x86_64+avx2"))]
pub(crate) fn dots_i8_at(codes: &[i8], dim: usize, q: &[i8], rows: &[usize], out: &mut [i32]) {
    match_target! {
        "x86_64+avx2" => {
            let prepared = avx2::prepare(q);
            for (o, &t) in out.iter_mut().zip(rows) {
                *o = avx2::dot8(&codes[t * dim..(t + 1) * dim], &prepared);
            }
        }
        _ => {
            for (o, &t) in out.iter_mut().zip(rows) {
                *o = dot_i8(&codes[t * dim..(t + 1) * dim], q);
            }
        }
    }
}

/// Bytes ahead of the current row that the AVX2 4-bit scan asks the CPU to fetch. The hardware
/// prefetcher stops at every 4 KiB page; with this the single-threaded scan of 25.6 MB went from
/// 4.1–4.5 ms to 2.3–2.4 ms on the target box (512–8192 tried; 4096 and 8192 were best).
pub(crate) const PREFETCH_AHEAD: usize = 4096;

/// `sum(nibble * q)` for each row of the 4-bit `codes` (`stride` bytes per row, one row per
/// element of `out`); `q` is the int8 query padded with zeros to `2 * stride` codes. `codes` may
/// run on past the last row: up to [`PREFETCH_AHEAD`] bytes of what follows are prefetched.
#[multiversion(targets("x86_64+avx2"))]
pub(crate) fn dots_q4(codes: &[u8], stride: usize, q: &[i8], out: &mut [i32]) {
    let rows = codes.chunks_exact(stride);
    match_target! {
        "x86_64+avx2" => {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            let prepared = avx2::prepare4(q);
            for (i, (o, row)) in out.iter_mut().zip(rows).enumerate() {
                let at = i * stride + PREFETCH_AHEAD;
                if let Some(ahead) = codes.get(at..at + stride) {
                    for line in ahead.chunks(64) {
                        _mm_prefetch::<_MM_HINT_T0>(line.as_ptr().cast());
                    }
                }
                *o = avx2::dot4(row, &prepared);
            }
        }
        _ => {
            for (o, row) in out.iter_mut().zip(rows) {
                *o = dot4_portable(row, q);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(seed: u64, n: usize) -> Vec<i8> {
        let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                ((s % 255) as i32 - 127) as i8
            })
            .collect()
    }

    fn naive(a: &[i8], b: &[i8]) -> i32 {
        a.iter()
            .zip(b)
            .map(|(x, y)| i32::from(*x) * i32::from(*y))
            .sum()
    }

    #[test]
    fn nibbles_cover_the_int8_range_by_half_cells() {
        for c in -127i8..=127 {
            let u = nibble(c);
            let back = (f32::from(u) - 7.5) * 127.0 / 8.0;
            assert!(
                (f32::from(c) - back).abs() <= 127.0 / 16.0 + 1e-4,
                "{c} -> {u}"
            );
        }
        assert_eq!((nibble(-127), nibble(0), nibble(127)), (0, 8, 15));
    }

    #[test]
    fn every_kernel_agrees_with_the_plain_sum() {
        // Extreme codes (all ±127) and odd sizes: saturation and tails.
        for dim in [1usize, 5, 31, 32, 33, 63, 64, 65, 100, 128, 200, 512, 513] {
            let extreme: Vec<i8> = (0..dim)
                .map(|i| if i % 3 == 0 { -127 } else { 127 })
                .collect();
            let cases = [
                (codes(dim as u64, dim * 3), codes(dim as u64 + 9, dim)),
                (
                    [extreme.clone(), extreme.clone(), extreme.clone()].concat(),
                    extreme.clone(),
                ),
                (
                    [extreme.clone(), extreme.clone(), extreme.clone()].concat(),
                    extreme.iter().map(|x| -x).collect(),
                ),
            ];
            for (rows, q) in cases {
                let mut got = [0i32; 3];
                dots_i8_at(&rows, dim, &q, &[2, 0, 1], &mut got);
                let mut all = [0i32; 3];
                dots_i8(&rows, dim, &q, &mut all);
                assert_eq!([all[2], all[0], all[1]], got);
                let want: Vec<i32> = [2usize, 0, 1]
                    .iter()
                    .map(|&t| naive(&rows[t * dim..(t + 1) * dim], &q))
                    .collect();
                assert_eq!(got.to_vec(), want, "int8, dim {dim}");
                for t in 0..3 {
                    assert_eq!(
                        dot_i8(&rows[t * dim..(t + 1) * dim], &q),
                        want[[1, 2, 0][t]]
                    );
                }

                let stride = q4_stride(dim);
                let mut q4 = Vec::new();
                for t in 0..3 {
                    push_q4(&rows[t * dim..(t + 1) * dim], &mut q4);
                }
                assert_eq!(q4.len(), 3 * stride);
                let mut qp = q.clone();
                qp.resize(2 * stride, 0);
                let mut got = [0i32; 2];
                dots_q4(&q4[stride..], stride, &qp, &mut got);
                let want: Vec<i32> = (1..3)
                    .map(|t| {
                        let n: Vec<i8> = rows[t * dim..(t + 1) * dim]
                            .iter()
                            .map(|c| nibble(*c) as i8)
                            .collect();
                        naive(&n, &q)
                    })
                    .collect();
                assert_eq!(got.to_vec(), want, "4-bit, dim {dim}");
                for t in 1..3 {
                    assert_eq!(
                        dot4_portable(&q4[t * stride..(t + 1) * stride], &qp),
                        want[t - 1]
                    );
                }
            }
        }
    }
}
