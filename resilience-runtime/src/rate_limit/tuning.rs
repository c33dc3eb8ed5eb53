//! [`Tuning`]: a limiter's GCRA parameters, changeable at run time without a lock on the
//! read side.
//!
//! The parameters are two words plus a flag, read on every decision and written only by
//! `set_rate` / `set_burst`; a [`SeqLock`] keeps them consistent without a lock or a
//! read-modify-write on the read side.

use super::gcra::Gcra;
use crate::base::seqlock::SeqLock;

/// The current [`Gcra`] of a limiter: interval, tolerance and the closed flag, as one
/// [`SeqLock`] value.
#[derive(Debug)]
pub(super) struct Tuning(SeqLock<3>);

impl Tuning {
    pub(super) fn new(gcra: Gcra) -> Self {
        Self(SeqLock::new(pack(gcra)))
    }

    /// The parameters in force.
    #[inline]
    pub(super) fn load(&self) -> Gcra {
        let [interval, tolerance, closed] = self.0.load();
        Gcra::from_raw(interval, tolerance, closed != 0)
    }

    /// Replaces the parameters; decisions from now on use them.
    pub(super) fn store(&self, gcra: Gcra) {
        self.0.store(pack(gcra));
    }
}

fn pack(gcra: Gcra) -> [u64; 3] {
    [
        gcra.interval(),
        gcra.tolerance(),
        u64::from(gcra.is_closed()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rate_limit::Rate;

    #[test]
    fn store_then_load() {
        let a = Gcra::from_parts(Rate::per_second(10), 3);
        let b = Gcra::from_parts(Rate::per_second(0), 1);
        let tuning = Tuning::new(a);
        assert_eq!(tuning.load(), a);
        tuning.store(b);
        assert_eq!(tuning.load(), b);
    }

    /// Readers racing with a writer only ever see one of the stored parameter sets, never
    /// a mix of two.
    #[test]
    fn readers_never_see_a_torn_value() {
        let sets: Vec<Gcra> = (1..=4)
            .map(|n| Gcra::from_parts(Rate::per_second(n * 10), n))
            .collect();
        let tuning = Tuning::new(sets[0]);
        std::thread::scope(|s| {
            for _ in 0..2 {
                s.spawn(|| {
                    for _ in 0..20_000 {
                        let seen = tuning.load();
                        assert!(sets.contains(&seen), "torn read: {seen:?}");
                    }
                });
            }
            s.spawn(|| {
                for i in 0..20_000 {
                    tuning.store(sets[i % sets.len()]);
                }
            });
        });
    }
}
