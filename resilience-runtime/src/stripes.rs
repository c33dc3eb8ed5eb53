//! [`Stripes`]: statistics counters that many threads bump without sharing a cache line.
//!
//! A counter that every call increments is the one write a shared instance's happy path
//! cannot avoid, and a single `AtomicU64` written from two cores makes its cache line travel
//! between them on every call, which costs more than the rest of the path. Here each thread
//! adds to one of a few cache-line-sized stripes (picked once per thread), and a read adds the
//! stripes up. Reads are rare (metrics, snapshots), so they pay instead.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// Stripes per counter group: enough for the cores a service typically runs on; threads
/// beyond that share stripes, which stays correct (the adds are atomic) and only contends.
const STRIPES: usize = 8;

/// One stripe: `N` counters alone on their cache line(s). 128 bytes, because adjacent-line
/// prefetching pairs lines on common x86 parts.
#[repr(align(128))]
#[derive(Debug)]
struct Stripe<const N: usize>([AtomicU64; N]);

/// A group of `N` counters, striped across threads. Counter `i` is the sum of slot `i` of
/// every stripe; the sum is exact once the adds it should include have returned.
#[derive(Debug)]
pub(crate) struct Stripes<const N: usize> {
    stripes: [Stripe<N>; STRIPES],
}

impl<const N: usize> Stripes<N> {
    /// All counters at zero.
    pub(crate) const fn new() -> Self {
        Self {
            stripes: [const { Stripe([const { AtomicU64::new(0) }; N]) }; STRIPES],
        }
    }

    /// Adds one to counter `counter` (below `N`).
    #[inline]
    pub(crate) fn bump(&self, counter: usize) {
        // `% STRIPES` and the `get`s keep a bad index from ever panicking.
        if let Some(slot) = self.stripes[stripe() % STRIPES].0.get(counter) {
            slot.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counter `counter`: the sum over the stripes.
    pub(crate) fn sum(&self, counter: usize) -> u64 {
        self.stripes
            .iter()
            .filter_map(|stripe| stripe.0.get(counter))
            .fold(0, |sum, slot| {
                sum.wrapping_add(slot.load(Ordering::Relaxed))
            })
    }

    /// Zeroes counter `counter`, returning what it held; adds that race with it land either
    /// in the returned total or in the counter, never in neither.
    pub(crate) fn take(&self, counter: usize) -> u64 {
        self.stripes
            .iter()
            .filter_map(|stripe| stripe.0.get(counter))
            .fold(0, |sum, slot| {
                sum.wrapping_add(slot.swap(0, Ordering::Relaxed))
            })
    }
}

impl<const N: usize> Default for Stripes<N> {
    fn default() -> Self {
        Self::new()
    }
}

/// This thread's stripe: threads take stripes round-robin as they first count something.
#[inline]
fn stripe() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static STRIPE: Cell<usize> = const { Cell::new(usize::MAX) };
    }
    STRIPE
        .try_with(|stripe| {
            let mut index = stripe.get();
            if index == usize::MAX {
                index = NEXT.fetch_add(1, Ordering::Relaxed) % STRIPES;
                stripe.set(index);
            }
            index
        })
        // While the thread's locals are being torn down: any stripe will do.
        .unwrap_or(0)
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
        assert_eq!(stripes.sum(0), 12_000);
        assert_eq!(stripes.sum(1), 12);
        assert_eq!(stripes.take(0), 12_000);
        assert_eq!(stripes.sum(0), 0);
        assert_eq!(stripes.sum(1), 12);
        // Out of range: ignored, never a panic.
        stripes.bump(2);
        assert_eq!(stripes.sum(2), 0);
    }

    #[test]
    fn a_stripe_fills_its_own_lines() {
        assert_eq!(std::mem::align_of::<Stripe<1>>(), 128);
        assert_eq!(std::mem::size_of::<Stripes<3>>(), STRIPES * 128);
    }
}
