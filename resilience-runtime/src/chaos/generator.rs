//! The seeded, lock-free random generator behind every injection decision.
//!
//! SplitMix64 (Steele, Lea and Flood; Vigna's reference code) indexed by a counter: draw `n`
//! is the `n`-th output of the SplitMix64 sequence that starts at the seed. Each draw is one
//! `fetch_add` on an `AtomicU64` and a few multiplications, with no lock, and the same seed
//! gives the same draws in the same order on every platform and Rust version.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// SplitMix64's increment (2^64 divided by the golden ratio).
const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// A seeded sequence of 64-bit draws, shared by concurrent callers.
#[derive(Debug)]
pub(crate) struct Generator {
    seed: u64,
    next: AtomicU64,
}

impl Generator {
    pub(crate) const fn new(seed: u64) -> Self {
        Self {
            seed,
            next: AtomicU64::new(0),
        }
    }

    pub(crate) const fn seed(&self) -> u64 {
        self.seed
    }

    /// The next draw. Concurrent callers each get a distinct draw; which one depends on the
    /// order they arrive in.
    #[inline]
    pub(crate) fn next(&self) -> u64 {
        draw(self.seed, self.next.fetch_add(1, Relaxed))
    }

    /// Back to the first draw.
    pub(crate) fn rewind(&self) {
        self.next.store(0, Relaxed);
    }
}

/// Draw number `index` of the sequence seeded with `seed`.
#[inline]
pub(crate) const fn draw(seed: u64, index: u64) -> u64 {
    let mut z = seed.wrapping_add(index.wrapping_add(1).wrapping_mul(GAMMA));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A fraction of calls as a threshold on 32 random bits: `bits < threshold` happens with
/// probability `rate` (exactly 0 and exactly 1 at the ends).
pub(crate) fn threshold(rate: f64) -> u64 {
    const SCALE: f64 = 4_294_967_296.0; // 2^32
    if rate.is_nan() || rate <= 0.0 {
        0
    } else if rate >= 1.0 {
        1 << 32
    } else {
        // In 0..2^32 after the checks above, so the conversion is exact enough and in range.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let threshold = (rate * SCALE).round() as u64;
        threshold
    }
}

/// A stable 64-bit hash of a name (FNV-1a), so that instances with one seed differ and a
/// name alone gives a reproducible default seed.
pub(crate) const fn name_hash(name: &str) -> u64 {
    let bytes = name.as_bytes();
    let mut hash: u64 = 0xCBF2_9CE4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0100_0000_01B3);
        i += 1;
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_splitmix64_reference() {
        // The first outputs of Vigna's splitmix64.c seeded with 1234567.
        let generator = Generator::new(1_234_567);
        assert_eq!(generator.next(), 6_457_827_717_110_365_317);
        assert_eq!(generator.next(), 3_203_168_211_198_807_973);
        assert_eq!(generator.next(), 9_817_491_932_198_370_423);
    }

    #[test]
    fn same_seed_same_draws_and_rewind_restarts() {
        let first = Generator::new(42);
        let second = Generator::new(42);
        let a: Vec<u64> = (0..100).map(|_| first.next()).collect();
        let b: Vec<u64> = (0..100).map(|_| second.next()).collect();
        assert_eq!(a, b);
        first.rewind();
        assert_eq!(first.next(), a[0]);
        let other: Vec<u64> = (0..100).map(|index| draw(43, index)).collect();
        assert_ne!(a, other);
    }

    #[test]
    fn thresholds_give_their_rate() {
        assert_eq!(threshold(0.0), 0);
        assert_eq!(threshold(-0.5), 0);
        assert_eq!(threshold(f64::NAN), 0);
        assert_eq!(threshold(1.0), 1 << 32);
        assert_eq!(threshold(0.5), 1 << 31);
        // Every 32-bit draw is below the threshold of 1.0, none below that of 0.0.
        assert!(u64::from(u32::MAX) < threshold(1.0));

        let generator = Generator::new(7);
        let limit = threshold(0.2);
        let draws = 100_000;
        let hits = (0..draws)
            .filter(|_| (generator.next() >> 32) < limit)
            .count();
        // 0.2 ± 0.005: more than six standard deviations (0.00126) either side.
        assert!((19_500..=20_500).contains(&hits), "{hits} of {draws}");
    }

    #[test]
    fn names_hash_stably() {
        // FNV-1a's published test vectors.
        assert_eq!(name_hash(""), 0xCBF2_9CE4_8422_2325);
        assert_eq!(name_hash("a"), 0xAF63_DC4C_8601_EC8C);
        assert_ne!(name_hash("payments"), name_hash("inventory"));
    }
}
