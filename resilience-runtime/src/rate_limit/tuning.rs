//! [`Tuning`]: a limiter's GCRA parameters, changeable at run time without a lock on the
//! read side.
//!
//! The parameters are two words plus a flag, read on every decision and written only by
//! `set_rate` / `set_burst`. A sequence lock keeps them consistent: a reader loads the
//! sequence number, the fields, then the sequence number again, and retries if a writer was
//! in between (odd, or changed). Reading costs three plain loads and no read-modify-write, so
//! readers on many cores never contend; writers take a mutex among themselves.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering, fence};
use std::sync::{Mutex, PoisonError};

use super::gcra::Gcra;

/// The current [`Gcra`] of a limiter.
#[derive(Debug)]
pub(super) struct Tuning {
    sequence: AtomicU64,
    interval: AtomicU64,
    tolerance: AtomicU64,
    closed: AtomicBool,
    writer: Mutex<()>,
}

impl Tuning {
    pub(super) fn new(gcra: Gcra) -> Self {
        Self {
            sequence: AtomicU64::new(0),
            interval: AtomicU64::new(gcra.interval()),
            tolerance: AtomicU64::new(gcra.tolerance()),
            closed: AtomicBool::new(gcra.is_closed()),
            writer: Mutex::new(()),
        }
    }

    /// The parameters in force.
    #[inline]
    pub(super) fn load(&self) -> Gcra {
        loop {
            let before = self.sequence.load(Ordering::Acquire);
            if before & 1 == 0 {
                let gcra = Gcra::from_raw(
                    self.interval.load(Ordering::Relaxed),
                    self.tolerance.load(Ordering::Relaxed),
                    self.closed.load(Ordering::Relaxed),
                );
                fence(Ordering::Acquire);
                if self.sequence.load(Ordering::Relaxed) == before {
                    return gcra;
                }
            }
            std::hint::spin_loop();
        }
    }

    /// Replaces the parameters; decisions from now on use them.
    pub(super) fn store(&self, gcra: Gcra) {
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let sequence = self.sequence.load(Ordering::Relaxed);
        self.sequence
            .store(sequence.wrapping_add(1), Ordering::Relaxed);
        fence(Ordering::Release);
        self.interval.store(gcra.interval(), Ordering::Relaxed);
        self.tolerance.store(gcra.tolerance(), Ordering::Relaxed);
        self.closed.store(gcra.is_closed(), Ordering::Relaxed);
        self.sequence
            .store(sequence.wrapping_add(2), Ordering::Release);
    }
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
