//! **Sans-IO.** Owns the enrolled templates and the 1:N search.
//!
//! Templates are stored as int8 with one f32 scale per template (`x ≈ code * scale`, scale =
//! max|x| / 127): 516 B per 512-d template instead of 2 KiB in f32, so 100,000 templates take
//! ~52 MB and a search reads 52 MB instead of 205 MB, which is what bounds its time. The score
//! error against f32 cosine is about 1e-3 (proptest below), far inside the decision margin, so
//! no f32 copy is kept for a re-rank. The int8 dot product is written so the compiler vectorises
//! it (see [`dot_i8`]); a plain iterator `sum()` is not vectorised. Scores are cosine
//! similarities of L2-normalised embeddings.

use std::collections::HashMap;

use crate::error::FaceError;
use crate::heads::l2_normalise;

/// Above this many templates the scan is split across two threads (the box has two cores).
const PARALLEL_FROM: usize = 20_000;

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
    dim: usize,
    q8: Vec<i8>,
    s8: Vec<f32>,
    owner: Vec<IdentityIdx>,
    labels: Vec<String>,
    by_label: HashMap<String, IdentityIdx>,
}

impl std::fmt::Debug for Gallery {
    // Templates are biometric data: never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Gallery {{ dim: {}, templates: {}, identities: {} }}",
            self.dim,
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

/// Dot product of int8 codes. Each i8 x i8 product fits in i16 (at most 127 * 127), so the
/// products are formed in i16 and widened into 32 independent i32 lanes: the compiler turns
/// that into packed multiplies. Kept out of line: inlined into the scan loop the same code
/// measured 4x slower (0.7 ms vs 2.7 ms for 10,000 templates).
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

impl Gallery {
    pub fn new(dim: usize) -> Self {
        Self {
            dim,
            q8: Vec::new(),
            s8: Vec::new(),
            owner: Vec::new(),
            labels: Vec::new(),
            by_label: HashMap::new(),
        }
    }

    pub fn dim(&self) -> usize {
        self.dim
    }
    /// Number of templates.
    pub fn len(&self) -> usize {
        self.owner.len()
    }
    pub fn is_empty(&self) -> bool {
        self.owner.is_empty()
    }
    pub fn identities(&self) -> usize {
        self.by_label.len()
    }
    pub fn label(&self, id: IdentityIdx) -> &str {
        &self.labels[id as usize]
    }

    /// Bytes held by the templates and their indexes (labels excluded).
    pub fn memory_bytes(&self) -> usize {
        self.q8.capacity() + self.s8.capacity() * 4 + self.owner.capacity() * 4
    }

    /// Reserves room for `n` more templates.
    pub fn reserve(&mut self, n: usize) {
        self.q8.reserve_exact(n * self.dim);
        self.s8.reserve_exact(n);
        self.owner.reserve_exact(n);
    }

    /// Adds one template for `label` (normalised here; an identity may have several).
    pub fn add(&mut self, label: &str, embedding: &[f32]) -> Result<IdentityIdx, FaceError> {
        if embedding.len() != self.dim {
            return Err(FaceError::Gallery {
                reason: format!(
                    "embedding has {} values, the gallery holds {}",
                    embedding.len(),
                    self.dim
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
        self.s8.push(quantise(&v, 127.0, &mut self.q8, |x| x as i8));
        self.owner.push(id);
        Ok(id)
    }

    /// Removes every template of `label`; returns how many were removed.
    pub fn remove(&mut self, label: &str) -> usize {
        let Some(id) = self.by_label.remove(label) else {
            return 0;
        };
        let d = self.dim;
        let keep: Vec<bool> = self.owner.iter().map(|&o| o != id).collect();
        let removed = keep.iter().filter(|k| !**k).count();
        let mut w = 0;
        for (r, &k) in keep.iter().enumerate() {
            if k {
                self.q8.copy_within(r * d..(r + 1) * d, w * d);
                self.s8[w] = self.s8[r];
                self.owner[w] = self.owner[r];
                w += 1;
            }
        }
        self.q8.truncate(w * d);
        self.s8.truncate(w);
        self.owner.truncate(w);
        removed
    }

    fn scan(&self, q: &[i8], qs: f32, from: usize, to: usize) -> SearchResult {
        let d = self.dim;
        let (mut best, mut second) = (None, None);
        for t in from..to {
            let dot = dot_i8(q, &self.q8[t * d..(t + 1) * d]);
            let c = Candidate {
                identity: self.owner[t],
                score: dot as f32 * (qs * self.s8[t]),
            };
            // Most templates lose to the current runner-up: one comparison and on.
            if second.is_some_and(|s: Candidate| c.score <= s.score)
                && best.is_some_and(|b: Candidate| b.identity != c.identity)
            {
                continue;
            }
            fold(&mut best, &mut second, c);
        }
        SearchResult { best, second }
    }

    /// The best and second-best identities for a probe embedding (normalised here).
    pub fn search(&self, probe: &[f32]) -> SearchResult {
        let mut v = probe.to_vec();
        if v.len() != self.dim || !l2_normalise(&mut v) || self.is_empty() {
            return SearchResult::default();
        }
        let mut q8 = Vec::with_capacity(self.dim);
        let qs = quantise(&v, 127.0, &mut q8, |x| x as i8);
        let n = self.len();
        if n < PARALLEL_FROM {
            return self.scan(&q8, qs, 0, n);
        }
        let mid = n / 2;
        let (a, b) = std::thread::scope(|s| {
            let h = s.spawn(|| self.scan(&q8, qs, mid, n));
            let a = self.scan(&q8, qs, 0, mid);
            (a, h.join())
        });
        // The global top two distinct identities are among each half's top two.
        let b = b.unwrap_or_else(|_| self.scan(&q8, qs, mid, n));
        let (mut best, mut second) = (a.best, a.second);
        for c in [b.best, b.second].into_iter().flatten() {
            fold(&mut best, &mut second, c);
        }
        SearchResult { best, second }
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
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
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
