//! **Sans-IO.** Owns the enrolled templates and the 1:N search.
//!
//! Templates are stored as int8 with one f32 scale per template (`x ≈ code * scale`, scale =
//! max|x| / 127): 516 B per 512-d template instead of 2 KiB in f32. The score error against f32
//! cosine is about 1e-3 (proptest below), far inside the decision margin, so no f32 copy is kept
//! for a re-rank. Scores are cosine similarities of L2-normalised embeddings.
//!
//! # Search
//!
//! A scan of 100,000 int8 templates reads 52 MB, which took 4–6 ms on the quiet 2-core target box
//! with AVX2 on two threads (6.5–7.4 ms with the earlier SSE2 loop): memory-bound.
//! [`Gallery::search_exhaustive`] still does that, and so does `search` below 4,096 templates;
//! from 4,096 it searches in two stages:
//!
//! 1. **4-bit pass** over a second copy of every template (the int8 codes requantised to 16
//!    levels, 256 B per 512-d template: 100k = 25.6 MB, so 100k templates take 77.6 MB in all).
//!    It gives an approximate score `a` per template and, from those, the approximate score
//!    `A2` of the second-best identity. From 20,000 templates it runs on this thread and a
//!    helper thread kept by the gallery, in chunks of 1,024 templates claimed one at a time.
//! 2. **int8 re-rank** of every template whose approximate score could reach the exact
//!    second-best identity: `a + ε_t ≥ A2 − ε_max` (tens to a few hundred templates for
//!    100,000). They are scored and folded in template order exactly as the exhaustive scan
//!    folds them, so best and second-best are the exhaustive scan's (same identities,
//!    bit-identical scores) whenever no template's 4-bit error exceeds its `ε`.
//!
//! Why that holds: if every error is within its `ε`, the approximate second-best identity score
//! is at most the exact one plus `ε_max`, and a template scoring at least the exact second-best
//! has `a + ε_t` at least that; so nothing that could be best or second-best is left out.
//!
//! `ε_t = Z σ_t` with `Z` = 8 and `σ_t = s4_t ‖q‖ / √12`: the standard deviation of the 4-bit
//! error if its per-dimension rounding errors are independent and uniform over a cell (`s4_t` =
//! max|x| / 8 is the template's 4-bit cell width, `‖q‖` ≈ 1 the quantised probe's norm; `ε_max`
//! uses the gallery's widest cell). For random 512-d vectors σ ≈ 0.003 (ε ≈ 0.02 in cosine);
//! for the 358 real embeddings of the bench's `verify` σ ≈ 0.005 (at most 0.0065: ε ≤ 0.05). Such
//! a sum is sub-Gaussian with that σ, so `P(|error| > 8σ) ≤ 2e^-32 ≈ 3e-14` per template. That
//! is a model, not a proof (the rounding errors are fixed by the template, not random): hence
//! the measurements below, and the margin between them and 8σ.
//! Measured: rms error 1.00σ (the model holds); largest error 4.1σ over 48,000 pairs in the unit
//! test, 5.2σ over 5 million pairs in the bench's `search` and 5.1σ over 10.9 million pairs of
//! real embeddings (self-matches included) against 30,000 fillers in `verify`, where all 358
//! real probes gave exactly the exhaustive result. The int8 scores themselves (and so their
//! ≈1e-3 error against f32) are unchanged.
//!
//! The dot products run through `kernels.rs` (AVX2 when the CPU has it, chosen at run time;
//! portable loops otherwise).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crate::error::FaceError;
use crate::heads::l2_normalise;
pub use crate::kernels::dot_i8;
use crate::kernels::{dots_i8, dots_i8_at, dots_q4, push_q4, q4_stride, PREFETCH_AHEAD};

/// From this many templates `search` runs the two-stage scan.
const TWO_STAGE_FROM: usize = 4_096;

/// From this many templates a scan uses two threads (the box has two cores): the two-stage
/// 4-bit pass shares its chunks with the helper thread, `search_exhaustive` splits in halves.
const PARALLEL_FROM: usize = 20_000;

/// Templates per kernel call (and per claim of work in the two-stage pass).
const CHUNK: usize = 1024;

/// The first-pass error allowance in standard deviations (see the module docs).
const Z: f32 = 8.0;

/// Index of an enrolled identity.
pub type IdentityIdx = u32;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    pub identity: IdentityIdx,
    pub score: f32,
}

/// The best and the second-best *identity* (not template) for a probe.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SearchResult {
    pub best: Option<Candidate>,
    pub second: Option<Candidate>,
}

pub struct Gallery {
    /// Shared with the helper thread during a two-stage search; changed only when the helper
    /// has let go (`store_mut`).
    store: Arc<Store>,
    labels: Vec<String>,
    by_label: HashMap<String, IdentityIdx>,
    helper: OnceLock<Option<Helper>>,
}

/// The templates.
#[derive(Clone)]
struct Store {
    dim: usize,
    q8: Vec<i8>,
    s8: Vec<f32>,
    /// The int8 codes requantised to 4 bits, `q4_stride(dim)` bytes per template (first pass).
    q4: Vec<u8>,
    /// The largest `s8`: bounds every template's first-pass error.
    s8_max: f32,
    owner: Vec<IdentityIdx>,
}

/// One chunk of the 4-bit pass: its approximate top two identities and the templates that may
/// reach the exact second-best, as (index, upper bound `a + ε_t`).
type Pass = (SearchResult, Vec<(usize, f32)>);

/// The 4-bit pass of one search: chunks are claimed from `next` one at a time by the searching
/// thread and the helper, and each chunk's result is set once in its slot.
struct Work {
    next: AtomicUsize,
    slots: Vec<OnceLock<Pass>>,
}

/// What the helper thread is asked to do: claim chunks of `work` until none is left.
struct Job {
    store: Arc<Store>,
    probe: Arc<CoarseProbe>,
    work: Arc<Work>,
}

/// A thread kept for the two-stage pass, started on the first search that needs it and ended
/// when the gallery is dropped. A thread spawned per search waited for a core for 4 ms (p50) on
/// the busy 2-core box; this one, parked on its channel between searches, was running 30 µs
/// (p50) after being sent a job. The searching thread never waits for it: when it runs out of
/// chunks to claim it redoes any chunk the helper is still on (the scheduler may have paused
/// the helper for milliseconds).
struct Helper {
    jobs: Sender<Job>,
}

impl Helper {
    fn start() -> Option<Self> {
        let (jobs, queue) = channel::<Job>();
        std::thread::Builder::new()
            .name("face-gallery".into())
            .spawn(move || {
                for job in queue {
                    job.store.coarse(&job.probe, &job.work);
                }
            })
            .ok()?;
        Some(Self { jobs })
    }
}

impl std::fmt::Debug for Gallery {
    // Templates are biometric data: never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Gallery {{ dim: {}, templates: {}, identities: {} }}",
            self.store.dim,
            self.len(),
            self.labels.len()
        )
    }
}

fn quantise<T: Copy>(v: &[f32], max_code: f32, out: &mut Vec<T>, conv: impl Fn(f32) -> T) -> f32 {
    let m = v.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    let scale = if m > 0.0 { m / max_code } else { 1.0 };
    out.extend(
        v.iter()
            .map(|x| conv((x / scale).round().clamp(-max_code, max_code))),
    );
    scale
}

/// f32 dot product with 16 independent accumulators (vectorised; used where f32 is needed).
#[inline]
pub fn dot_f32(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 16];
    let (ca, cb) = (a.chunks_exact(16), b.chunks_exact(16));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..16 {
            acc[i] += x[i] * y[i];
        }
    }
    let tail: f32 = ra.iter().zip(rb).map(|(x, y)| x * y).sum();
    acc.iter().sum::<f32>() + tail
}

/// Offers one candidate to the best and second-best distinct identities. Most templates lose to
/// the current runner-up: one comparison and on.
#[inline]
fn offer(r: &mut SearchResult, c: Candidate) {
    if r.second.is_some_and(|s| c.score <= s.score) {
        return;
    }
    fold(&mut r.best, &mut r.second, c);
}

/// Folds one candidate into the best and second-best distinct identities.
#[inline]
fn fold(best: &mut Option<Candidate>, second: &mut Option<Candidate>, c: Candidate) {
    match *best {
        Some(b) if b.identity == c.identity => {
            if c.score > b.score {
                *best = Some(c);
            }
        }
        Some(b) if c.score > b.score => {
            *second = *best;
            *best = Some(c);
        }
        Some(_) => {
            if second.is_none_or(|s| c.score > s.score) {
                *second = Some(c);
            }
        }
        None => *best = Some(c),
    }
}

/// Merges results of disjoint parts. The global top two distinct identities are among each
/// part's top two.
fn merge<'a>(parts: impl IntoIterator<Item = &'a SearchResult>) -> SearchResult {
    let mut r = SearchResult::default();
    for p in parts {
        for c in [p.best, p.second].into_iter().flatten() {
            fold(&mut r.best, &mut r.second, c);
        }
    }
    r
}

impl Gallery {
    pub fn new(dim: usize) -> Self {
        Self {
            store: Arc::new(Store {
                dim,
                q8: Vec::new(),
                s8: Vec::new(),
                q4: Vec::new(),
                s8_max: 0.0,
                owner: Vec::new(),
            }),
            labels: Vec::new(),
            by_label: HashMap::new(),
            helper: OnceLock::new(),
        }
    }

    pub fn dim(&self) -> usize {
        self.store.dim
    }
    /// Number of templates.
    pub fn len(&self) -> usize {
        self.store.owner.len()
    }
    pub fn is_empty(&self) -> bool {
        self.store.owner.is_empty()
    }
    pub fn identities(&self) -> usize {
        self.by_label.len()
    }
    pub fn label(&self, id: IdentityIdx) -> &str {
        &self.labels[id as usize]
    }

    /// Bytes held by the templates (int8 and 4-bit codes) and their indexes (labels excluded).
    pub fn memory_bytes(&self) -> usize {
        let s = &self.store;
        s.q8.capacity() + s.q4.capacity() + s.s8.capacity() * 4 + s.owner.capacity() * 4
    }

    /// The templates for a change. The helper thread may still hold them for the end of a
    /// chunk it was on when the last search returned: wait for it rather than copy them.
    fn store_mut(&mut self) -> &mut Store {
        while Arc::strong_count(&self.store) > 1 {
            std::thread::sleep(Duration::from_micros(100));
        }
        Arc::make_mut(&mut self.store)
    }

    /// Reserves room for `n` more templates.
    pub fn reserve(&mut self, n: usize) {
        let s = self.store_mut();
        s.q8.reserve_exact(n * s.dim);
        s.q4.reserve_exact(n * q4_stride(s.dim));
        s.s8.reserve_exact(n);
        s.owner.reserve_exact(n);
    }

    /// Adds one template for `label` (normalised here; an identity may have several).
    pub fn add(&mut self, label: &str, embedding: &[f32]) -> Result<IdentityIdx, FaceError> {
        if embedding.len() != self.dim() {
            return Err(FaceError::Gallery {
                reason: format!(
                    "embedding has {} values, the gallery holds {}",
                    embedding.len(),
                    self.dim()
                ),
            });
        }
        let mut v = embedding.to_vec();
        if !l2_normalise(&mut v) {
            return Err(FaceError::Gallery {
                reason: "embedding is zero or not finite".into(),
            });
        }
        let id = match self.by_label.get(label) {
            Some(&id) => id,
            None => {
                let id = u32::try_from(self.labels.len()).map_err(|_| FaceError::Gallery {
                    reason: "too many identities".into(),
                })?;
                self.labels.push(label.to_owned());
                self.by_label.insert(label.to_owned(), id);
                id
            }
        };
        let s = self.store_mut();
        let at = s.q8.len();
        let scale = quantise(&v, 127.0, &mut s.q8, |x| x as i8);
        push_q4(&s.q8[at..], &mut s.q4);
        s.s8.push(scale);
        s.s8_max = s.s8_max.max(scale);
        s.owner.push(id);
        Ok(id)
    }

    /// Removes every template of `label`; returns how many were removed.
    pub fn remove(&mut self, label: &str) -> usize {
        let Some(id) = self.by_label.remove(label) else {
            return 0;
        };
        let s = self.store_mut();
        let (d, d4) = (s.dim, q4_stride(s.dim));
        let keep: Vec<bool> = s.owner.iter().map(|&o| o != id).collect();
        let removed = keep.iter().filter(|k| !**k).count();
        let mut w = 0;
        for (r, &k) in keep.iter().enumerate() {
            if k {
                s.q8.copy_within(r * d..(r + 1) * d, w * d);
                s.q4.copy_within(r * d4..(r + 1) * d4, w * d4);
                s.s8[w] = s.s8[r];
                s.owner[w] = s.owner[r];
                w += 1;
            }
        }
        s.q8.truncate(w * d);
        s.q4.truncate(w * d4);
        s.s8.truncate(w);
        s.owner.truncate(w);
        s.s8_max = s.s8.iter().fold(0.0, |m, x| m.max(*x));
        removed
    }

    /// The probe normalised and quantised like the templates: codes and scale.
    fn quantise_probe(&self, probe: &[f32]) -> Option<(Vec<i8>, f32)> {
        let mut v = probe.to_vec();
        if v.len() != self.dim() || !l2_normalise(&mut v) || self.is_empty() {
            return None;
        }
        let mut q8 = Vec::with_capacity(self.dim());
        let qs = quantise(&v, 127.0, &mut q8, |x| x as i8);
        Some((q8, qs))
    }

    /// The best and second-best identities for a probe embedding (normalised here).
    ///
    /// From 4,096 templates this is the two-stage search (module docs); its result is the
    /// exhaustive one unless a first-pass error exceeds 8σ.
    pub fn search(&self, probe: &[f32]) -> SearchResult {
        match self.quantise_probe(probe) {
            Some((q, qs)) if self.len() >= TWO_STAGE_FROM => {
                self.two_stage(&q, qs, self.len() >= PARALLEL_FROM)
            }
            Some((q, qs)) => self.store.scan(&q, qs, 0, self.len()),
            None => SearchResult::default(),
        }
    }

    /// [`search`](Self::search) scoring every int8 template (the reference for the two-stage
    /// search; 4–6 ms per 100,000 templates on the quiet target box, bound by memory).
    pub fn search_exhaustive(&self, probe: &[f32]) -> SearchResult {
        let Some((q, qs)) = self.quantise_probe(probe) else {
            return SearchResult::default();
        };
        let (st, n) = (&*self.store, self.len());
        if n < PARALLEL_FROM {
            return st.scan(&q, qs, 0, n);
        }
        let mid = n / 2;
        let (a, b) = std::thread::scope(|s| {
            let h = s.spawn(|| st.scan(&q, qs, mid, n));
            (st.scan(&q, qs, 0, mid), h.join())
        });
        let b = b.unwrap_or_else(|_| st.scan(&q, qs, mid, n));
        merge([&a, &b])
    }

    /// The largest first-pass error over all templates for this probe, in units of its σ (the
    /// two-stage search counts on it staying under 8). A diagnostic for the bench and tests.
    pub fn first_pass_error_sigmas(&self, probe: &[f32]) -> f32 {
        let Some((q, qs)) = self.quantise_probe(probe) else {
            return 0.0;
        };
        self.store
            .first_pass_errors(&q, qs)
            .iter()
            .fold(0.0, |m, (a, e, sigma)| m.max((a - e).abs() / sigma))
    }

    /// 4-bit pass (shared with the helper thread when `parallel`), then the exact int8 scores
    /// of the templates it cannot rule out.
    fn two_stage(&self, q: &[i8], qs: f32, parallel: bool) -> SearchResult {
        let st = &self.store;
        let probe = Arc::new(CoarseProbe::new(q, qs, st.dim, st.s8_max));
        let chunks = self.len().div_ceil(CHUNK);
        let work = Arc::new(Work {
            next: AtomicUsize::new(0),
            slots: (0..chunks).map(|_| OnceLock::new()).collect(),
        });
        if parallel {
            if let Some(h) = self.helper.get_or_init(Helper::start) {
                // A helper that died leaves its chunks to this thread.
                let _ = h.jobs.send(Job {
                    store: Arc::clone(st),
                    probe: Arc::clone(&probe),
                    work: Arc::clone(&work),
                });
            }
        }
        st.coarse(&probe, &work);
        let mut top = SearchResult::default();
        // Chunks the helper has claimed but not finished are done again here.
        for (c, slot) in work.slots.iter().enumerate() {
            let pass = match slot.get() {
                Some(pass) => pass,
                None => {
                    let pass = st.coarse_chunk(&probe, c, &top);
                    slot.get_or_init(|| pass)
                }
            };
            top = merge([&top, &pass.0]);
        }
        // Every template whose exact score may reach the exact second-best identity (or the
        // best, with one identity) has a + ε_t ≥ A2 − ε_max.
        let Some(a2) = top.second.or(top.best) else {
            return SearchResult::default();
        };
        let floor = a2.score - probe.eps_max;
        let rows: Vec<usize> = work
            .slots
            .iter()
            .filter_map(OnceLock::get)
            .flat_map(|p| &p.1)
            .filter(|c| c.1 >= floor)
            .map(|c| c.0)
            .collect();
        st.scan_rows(q, qs, &rows)
    }
}

impl Store {
    /// The exact int8 scores of templates `from..to`, folded in order.
    fn scan(&self, q: &[i8], qs: f32, from: usize, to: usize) -> SearchResult {
        let mut r = SearchResult::default();
        let mut dots = [0i32; CHUNK];
        for start in (from..to).step_by(CHUNK) {
            let end = (start + CHUNK).min(to);
            let dots = &mut dots[..end - start];
            dots_i8(
                &self.q8[start * self.dim..end * self.dim],
                self.dim,
                q,
                dots,
            );
            self.fold_exact(qs, start..end, dots, &mut r);
        }
        r
    }

    /// The exact int8 scores of the templates `rows` (ascending), folded in order.
    fn scan_rows(&self, q: &[i8], qs: f32, rows: &[usize]) -> SearchResult {
        let mut r = SearchResult::default();
        let mut dots = [0i32; CHUNK];
        for chunk in rows.chunks(CHUNK) {
            let dots = &mut dots[..chunk.len()];
            dots_i8_at(&self.q8, self.dim, q, chunk, dots);
            self.fold_exact(qs, chunk.iter().copied(), dots, &mut r);
        }
        r
    }

    fn fold_exact(
        &self,
        qs: f32,
        rows: impl Iterator<Item = usize>,
        dots: &[i32],
        r: &mut SearchResult,
    ) {
        for (t, &dot) in rows.zip(dots) {
            let score = dot as f32 * (qs * self.s8[t]);
            offer(
                r,
                Candidate {
                    identity: self.owner[t],
                    score,
                },
            );
        }
    }

    /// (approximate, exact int8 score, σ of the approximation's error) for every template.
    fn first_pass_errors(&self, q: &[i8], qs: f32) -> Vec<(f32, f32, f32)> {
        let p = CoarseProbe::new(q, qs, self.dim, self.s8_max);
        let n = self.owner.len();
        let (mut d4, mut d8) = (vec![0; n], vec![0; n]);
        dots_q4(&self.q4, q4_stride(self.dim), &p.q, &mut d4);
        dots_i8(&self.q8, self.dim, q, &mut d8);
        (0..n)
            .map(|t| {
                let s = self.s8[t];
                let a = (2 * d4[t] - p.offset) as f32 * (p.k * s);
                (a, d8[t] as f32 * (qs * s), p.e * s / Z)
            })
            .collect()
    }

    /// Claims chunks of the 4-bit pass from `work` until none is left and sets their results.
    fn coarse(&self, p: &CoarseProbe, work: &Work) {
        // The approximate top two over this thread's chunks so far: a floor for the next.
        let mut seen = SearchResult::default();
        loop {
            let c = work.next.fetch_add(1, Ordering::Relaxed);
            let Some(slot) = work.slots.get(c) else {
                break;
            };
            // Computed outside the cell: a thread inside `get_or_init` would make the other
            // wait for its whole chunk.
            let pass = self.coarse_chunk(p, c, &seen);
            seen = merge([&seen, &slot.get_or_init(|| pass).0]);
        }
    }

    /// The 4-bit pass over chunk `c`. `seen` holds approximate scores of other templates: the
    /// second-best identity there, less ε_max, is a floor below which no template can reach
    /// the exact second-best. Templates under the floor are not offered to the chunk's top two
    /// either: the merged approximate second-best can only come out lower, which lowers the
    /// final floor (more re-ranking, never a missed template). The floor is −∞ until some
    /// chunk has seen two identities, so the merged top two lacks a second identity only when
    /// the gallery has one.
    fn coarse_chunk(&self, p: &CoarseProbe, c: usize, seen: &SearchResult) -> Pass {
        let stride = q4_stride(self.dim);
        let (from, to) = (c * CHUNK, ((c + 1) * CHUNK).min(self.owner.len()));
        let mut dots = [0i32; CHUNK];
        let dots = &mut dots[..to - from];
        let ahead = (to * stride + PREFETCH_AHEAD).min(self.q4.len());
        dots_q4(&self.q4[from * stride..ahead], stride, &p.q, dots);
        let floor_of =
            |r: &SearchResult| r.second.map_or(f32::NEG_INFINITY, |c| c.score - p.eps_max);
        let mut floor = floor_of(seen);
        let mut top = SearchResult::default();
        let mut cand = Vec::new();
        for ((t, &dot), &s) in (from..to).zip(dots.iter()).zip(&self.s8[from..to]) {
            let a = (2 * dot - p.offset) as f32 * (p.k * s);
            let ub = a + p.e * s;
            // Mostly false: one comparison per template.
            if ub >= floor {
                cand.push((t, ub));
                let identity = self.owner[t];
                offer(&mut top, Candidate { identity, score: a });
                floor = floor.max(floor_of(&top));
            }
        }
        cand.retain(|c| c.1 >= floor);
        (top, cand)
    }
}

/// The probe as the 4-bit pass needs it. For template `t` with int8 scale `s`, the approximate
/// score is `(2 * sum(nibble * q) - offset) * k * s` and its error allowance `e * s`.
struct CoarseProbe {
    /// The int8 codes padded with zeros to whole 4-bit blocks.
    q: Vec<i8>,
    /// `15 * sum(q)`: the nibbles stand for `u - 7.5`.
    offset: i32,
    k: f32,
    e: f32,
    eps_max: f32,
}

impl CoarseProbe {
    fn new(q: &[i8], qs: f32, dim: usize, s8_max: f32) -> Self {
        let mut padded = q.to_vec();
        padded.resize(2 * q4_stride(dim), 0);
        let norm = qs * q.iter().map(|&c| f32::from(c).powi(2)).sum::<f32>().sqrt();
        // 4-bit cell width = s * 127/8; σ of the error = cell * |q| / √12.
        let e = Z * (127.0 / 8.0) * norm / 12f32.sqrt();
        Self {
            q: padded,
            offset: 15 * q.iter().map(|&c| i32::from(c)).sum::<i32>(),
            k: qs * 127.0 / 16.0,
            e,
            eps_max: e * s8_max,
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn unit(seed: u64, dim: usize) -> Vec<f32> {
        // xorshift: deterministic pseudo-random vectors without a dependency.
        let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut v: Vec<f32> = (0..dim)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                (s % 20_000) as f32 / 10_000.0 - 1.0
            })
            .collect();
        l2_normalise(&mut v);
        v
    }

    fn exact(g: &[(String, Vec<f32>)], p: &[f32]) -> Vec<(String, f32)> {
        let mut best: HashMap<String, f32> = HashMap::new();
        for (l, v) in g {
            let s: f64 = v
                .iter()
                .zip(p)
                .map(|(a, b)| f64::from(*a) * f64::from(*b))
                .sum();
            let e = best.entry(l.clone()).or_insert(f32::NEG_INFINITY);
            *e = e.max(s as f32);
        }
        let mut r: Vec<(String, f32)> = best.into_iter().collect();
        r.sort_by(|a, b| b.1.total_cmp(&a.1));
        r
    }

    #[test]
    fn dots_agree() {
        let a: Vec<i8> = (0..515).map(|i| (i % 255 - 127) as i8).collect();
        let b: Vec<i8> = (0..515).map(|i| ((i * 7) % 255 - 127) as i8).collect();
        let naive: i32 = a
            .iter()
            .zip(&b)
            .map(|(x, y)| i32::from(*x) * i32::from(*y))
            .sum();
        assert_eq!(dot_i8(&a, &b), naive);
        let fa: Vec<f32> = a.iter().map(|x| f32::from(*x)).collect();
        let fb: Vec<f32> = b.iter().map(|x| f32::from(*x)).collect();
        assert!((dot_f32(&fa, &fb) - naive as f32).abs() < 1.0);
    }

    #[test]
    fn finds_the_enrolled_identity_and_the_runner_up() {
        let mut g = Gallery::new(64);
        let a = unit(1, 64);
        g.add("alice", &a).unwrap();
        g.add("bob", &unit(2, 64)).unwrap();
        let mut probe = a.clone();
        probe[0] += 0.1;
        let r = g.search(&probe);
        assert_eq!(g.label(r.best.unwrap().identity), "alice");
        assert!(r.best.unwrap().score > 0.99);
        assert_eq!(g.label(r.second.unwrap().identity), "bob");
    }

    #[test]
    fn remove_drops_every_template_of_a_label() {
        let mut g = Gallery::new(32);
        g.add("a", &unit(1, 32)).unwrap();
        g.add("b", &unit(2, 32)).unwrap();
        g.add("a", &unit(3, 32)).unwrap();
        assert_eq!(g.remove("a"), 2);
        assert_eq!(g.len(), 1);
        let r = g.search(&unit(3, 32));
        assert_eq!(g.label(r.best.unwrap().identity), "b");
        assert!(r.second.is_none());
    }

    #[test]
    fn bad_embeddings_are_refused() {
        let mut g = Gallery::new(4);
        assert!(g
            .add("x", &[1.0, 2.0])
            .unwrap_err()
            .to_string()
            .contains("4"));
        assert!(g.add("x", &[0.0; 4]).is_err());
        assert!(g.add("x", &[f32::NAN, 1.0, 0.0, 0.0]).is_err());
        assert_eq!(g.search(&[1.0, 0.0, 0.0, 0.0]), SearchResult::default());
    }

    #[test]
    fn parallel_scan_matches_serial_order() {
        let mut g = Gallery::new(16);
        for i in 0..(PARALLEL_FROM as u64 + 10) {
            g.add(&format!("p{}", i % 5000), &unit(i + 10, 16)).unwrap();
        }
        let target = unit(PARALLEL_FROM as u64 + 5, 16);
        let r = g.search(&target);
        assert!(r.best.unwrap().score > 0.999);
        // Two threads, two stages, against one thread scoring every template.
        for probe in [target, unit(3, 16), unit(99_999, 16)] {
            let (q, qs) = g.quantise_probe(&probe).unwrap();
            let serial = g.store.scan(&q, qs, 0, g.len());
            assert_eq!(g.search(&probe), serial);
            assert_eq!(g.search_exhaustive(&probe), serial);
        }
    }

    /// Near-duplicate captures: `centre` plus noise of relative size `spread`.
    fn near(centre: &[f32], seed: u64, spread: f32) -> Vec<f32> {
        let noise = unit(seed, centre.len());
        let mut v: Vec<f32> = centre
            .iter()
            .zip(&noise)
            .map(|(c, n)| c + spread * n)
            .collect();
        l2_normalise(&mut v);
        v
    }

    fn first_pass_errors(g: &Gallery, probe: &[f32]) -> Vec<(f32, f32, f32)> {
        let (q, qs) = g.quantise_probe(probe).unwrap();
        g.store.first_pass_errors(&q, qs)
    }

    #[test]
    fn first_pass_error_stays_far_inside_its_allowance() {
        // Unrelated pairs, near-duplicates (probe ≈ template: the error is then correlated with
        // the template) and exact duplicates, at the real dimension.
        let dim = 512;
        let mut g = Gallery::new(dim);
        for i in 0..400 {
            g.add(&format!("p{i}"), &unit(i, dim)).unwrap();
        }
        let (mut worst, mut sum2, mut count) = (0.0f32, 0.0f64, 0usize);
        for probe in (0..40)
            .map(|i| unit(50_000 + i, dim))
            .chain((0..40).map(|i| near(&unit(i * 7, dim), 9_000 + i, 0.3)))
            .chain((0..40).map(|i| unit(i * 3, dim)))
        {
            for (a, e, sigma) in first_pass_errors(&g, &probe) {
                let z = (a - e).abs() / sigma;
                worst = worst.max(z);
                sum2 += f64::from(z * z);
                count += 1;
            }
        }
        let rms = (sum2 / count as f64).sqrt();
        // The model says rms ≈ 1; the allowance is 8.
        assert!(rms > 0.3 && rms < 1.5, "rms {rms}");
        assert!(worst < 6.0, "worst {worst}σ");
    }

    #[test]
    fn two_stage_equals_exhaustive_on_crowded_galleries() {
        // Many identities with several captures each, probes near an enrolled person, near two
        // people at once (close runner-up) and unrelated.
        let dim = 512;
        let mut g = Gallery::new(dim);
        let people: Vec<Vec<f32>> = (0..300).map(|i| unit(i, dim)).collect();
        for (i, c) in people.iter().enumerate() {
            for k in 0..1 + i % 4 {
                g.add(&format!("p{i}"), &near(c, (i * 10 + k) as u64 + 1_000, 0.6))
                    .unwrap();
            }
        }
        // Two labels for one person: best and second within noise of each other.
        g.add("twin-a", &near(&people[5], 77, 0.1)).unwrap();
        g.add("twin-b", &near(&people[5], 78, 0.1)).unwrap();
        let mut probes: Vec<Vec<f32>> = (0..60)
            .map(|i| near(&people[i * 5], 5_000 + i as u64, 0.5))
            .collect();
        probes.extend((0..30).map(|i| {
            let mix: Vec<f32> = people[i]
                .iter()
                .zip(&people[i + 1])
                .map(|(a, b)| a + b)
                .collect();
            near(&mix, 6_000 + i as u64, 0.2)
        }));
        probes.extend((0..30).map(|i| unit(7_000 + i, dim)));
        probes.push(people[5].clone());
        for p in &probes {
            let (q, qs) = g.quantise_probe(p).unwrap();
            let exact = g.store.scan(&q, qs, 0, g.len());
            assert_eq!(g.two_stage(&q, qs, false), exact);
            assert_eq!(g.two_stage(&q, qs, true), exact);
        }
        // Changing the gallery waits for the helper to let go of the templates.
        let before = g.store.q8.as_ptr();
        g.remove("twin-b");
        assert_eq!(g.store.q8.as_ptr(), before, "the templates were copied");
        g.add("p7", &people[7]).unwrap();
        // Concurrent searches share one helper; the one that finds it busy runs alone.
        std::thread::scope(|s| {
            let (g, probes) = (&g, &probes);
            let runs: Vec<_> = (0..4)
                .map(|i| {
                    s.spawn(move || {
                        for p in probes.iter().skip(i).step_by(4) {
                            let (q, qs) = g.quantise_probe(p).unwrap();
                            assert_eq!(g.two_stage(&q, qs, true), g.store.scan(&q, qs, 0, g.len()));
                        }
                    })
                })
                .collect();
            for r in runs {
                r.join().unwrap();
            }
        });
        let r = g.search(&people[7]);
        assert_eq!(g.label(r.best.unwrap().identity), "p7");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn two_stage_agrees_with_exhaustive(
            n in 1usize..200, ids in 1usize..40, dim in prop::sample::select(vec![16usize, 100, 128, 512]),
            seed in 0u64..1000, probe_seed in 0u64..1000, spread in 0.0f32..1.5,
        ) {
            let mut g = Gallery::new(dim);
            let centres: Vec<Vec<f32>> = (0..ids).map(|i| unit(seed * 100 + i as u64, dim)).collect();
            for i in 0..n {
                g.add(&format!("id{}", i % ids), &near(&centres[i % ids], seed * 1000 + i as u64 + 5, spread)).unwrap();
            }
            let p = near(&centres[probe_seed as usize % ids], probe_seed + 77_777, spread);
            let (q, qs) = g.quantise_probe(&p).unwrap();
            // The helper thread is used on every other case.
            let parallel = seed % 2 == 0;
            prop_assert_eq!(g.two_stage(&q, qs, parallel), g.store.scan(&q, qs, 0, g.len()));
        }

        #[test]
        fn search_agrees_with_exact_cosine(
            n in 1usize..60, ids in 1usize..12, seed in 0u64..1000, probe_seed in 0u64..1000,
        ) {
            let dim = 128;
            let mut g = Gallery::new(dim);
            let mut raw = Vec::new();
            for i in 0..n {
                let l = format!("id{}", i % ids);
                let v = unit(seed * 1000 + i as u64, dim);
                g.add(&l, &v).unwrap();
                raw.push((l, v));
            }
            let p = unit(probe_seed + 77_777, dim);
            let r = g.search(&p);
            let want = exact(&raw, &p);
            let b = r.best.unwrap();
            prop_assert!((b.score - want[0].1).abs() < 5e-3, "{} vs {}", b.score, want[0].1);
            if want.len() > 1 {
                let s = r.second.unwrap();
                prop_assert!((s.score - want[1].1).abs() < 5e-3);
                prop_assert_ne!(s.identity, b.identity);
            } else {
                prop_assert!(r.second.is_none());
            }
        }
    }
}
