//! [`Stripes`]: statistics counters that many threads bump without sharing a cache line and
//! without a locked instruction.
//!
//! A counter that every call increments is the one write a shared instance's happy path
//! cannot avoid. A single `AtomicU64` costs a locked read-modify-write per call, and written
//! from two cores it makes its cache line travel between them on every call. Here each of the
//! first [`STRIPES`] live threads that count owns a stripe of its own in every counter group
//! (its index is claimed once per thread and given back when the thread ends): as the only
//! writer it adds with a plain load and store. Threads beyond that share one overflow stripe
//! with atomic adds. A read adds the stripes up; reads are rare (metrics, snapshots), so they
//! pay instead.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

/// Stripes owned by one thread each; a thread beyond these uses the shared overflow stripe.
/// Sixteen: a runtime's worker threads on a 16-core machine each count on their own line, at
/// 128 bytes a stripe (2 KiB per counter group of an instance).
pub(crate) const STRIPES: usize = 16;

/// One stripe: `N` counters alone on their cache line(s). 128 bytes, because adjacent-line
/// prefetching pairs lines on common x86 parts.
#[repr(align(128))]
#[derive(Debug)]
struct Stripe<const N: usize>([AtomicU64; N]);

impl<const N: usize> Stripe<N> {
    const fn new() -> Self {
        Self([const { AtomicU64::new(0) }; N])
    }
}

/// A group of `N` counters, striped across threads. Counter `i` is the sum of slot `i` of
/// every stripe; the sum is exact once the adds it should include are visible to the reader
/// (e.g. after joining the threads that made them).
#[derive(Debug)]
pub(crate) struct Stripes<const N: usize> {
    owned: [Stripe<N>; STRIPES],
    overflow: Stripe<N>,
}

impl<const N: usize> Stripes<N> {
    /// All counters at zero.
    pub(crate) const fn new() -> Self {
        Self {
            owned: [const { Stripe::new() }; STRIPES],
            overflow: Stripe::new(),
        }
    }

    /// Adds one to counter `counter` (below `N`; others are ignored).
    #[inline]
    pub(crate) fn bump(&self, counter: usize) {
        match self.owned.get(thread_index()) {
            Some(stripe) => {
                if let Some(slot) = stripe.0.get(counter) {
                    // This thread is the stripe's only writer: no locked add needed.
                    slot.store(
                        slot.load(Ordering::Relaxed).wrapping_add(1),
                        Ordering::Relaxed,
                    );
                }
            }
            None => {
                if let Some(slot) = self.overflow.0.get(counter) {
                    slot.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }

    /// Counter `counter`: the sum over the stripes.
    pub(crate) fn sum(&self, counter: usize) -> u64 {
        self.owned
            .iter()
            .chain(std::iter::once(&self.overflow))
            .filter_map(|stripe| stripe.0.get(counter))
            .fold(0, |sum, slot| {
                sum.wrapping_add(slot.load(Ordering::Relaxed))
            })
    }
}

impl<const N: usize> Default for Stripes<N> {
    fn default() -> Self {
        Self::new()
    }
}

/// A thread's claim on a stripe index, given back when the thread ends.
struct Claim(usize);

/// Indices below [`STRIPES`] given back by threads that ended.
static FREE: Mutex<Vec<usize>> = Mutex::new(Vec::new());
/// The next index never handed out.
static NEXT: AtomicUsize = AtomicUsize::new(0);

impl Claim {
    fn new() -> Self {
        let freed = FREE.lock().unwrap_or_else(PoisonError::into_inner).pop();
        Self(freed.unwrap_or_else(|| NEXT.fetch_add(1, Ordering::Relaxed)))
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        // From now on this thread counts on the overflow stripe: the index may go to another.
        let _ = INDEX.try_with(|index| index.set(usize::MAX));
        if self.0 < STRIPES {
            FREE.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(self.0);
        }
    }
}

thread_local! {
    static CLAIM: Claim = Claim::new();
    /// A copy of an owner's index, read without the lazy-initialisation check of `CLAIM`;
    /// `usize::MAX` until claimed, for overflow threads, and once the claim is given back.
    static INDEX: Cell<usize> = const { Cell::new(usize::MAX) };
}

/// This thread's stripe index: below [`STRIPES`] for an owner, anything else for the
/// overflow stripe (also while the thread's locals are being torn down).
#[inline]
pub(crate) fn thread_index() -> usize {
    let index = INDEX.try_with(Cell::get).unwrap_or(usize::MAX);
    if index != usize::MAX {
        return index;
    }
    let claimed = CLAIM.try_with(|claim| claim.0).unwrap_or(usize::MAX);
    if claimed < STRIPES {
        let _ = INDEX.try_with(|index| index.set(claimed));
    }
    claimed
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn sums_and_takes_across_threads() {
        let stripes = Arc::new(Stripes::<2>::new());
        let threads: Vec<_> = (0..12)
            .map(|_| {
                let stripes = Arc::clone(&stripes);
                std::thread::spawn(move || {
                    for _ in 0..1_000 {
                        stripes.bump(0);
                    }
                    stripes.bump(1);
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        // 12 threads (some of them on the overflow stripe, with the test threads around):
        // no add lost.
        assert_eq!(stripes.sum(0), 12_000);
        assert_eq!(stripes.sum(1), 12);
        // Out of range: ignored, never a panic.
        stripes.bump(2);
        assert_eq!(stripes.sum(2), 0);
    }

    #[test]
    fn a_stripe_fills_its_own_lines() {
        assert_eq!(std::mem::align_of::<Stripe<1>>(), 128);
        assert_eq!(std::mem::size_of::<Stripes<3>>(), (STRIPES + 1) * 128);
    }
}
