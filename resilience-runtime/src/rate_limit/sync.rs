//! The atomic cell a GCRA state lives in: std's `AtomicU64`, or loom's in the loom model tests
//! (`RUSTFLAGS="--cfg loom" cargo test -p resilience-runtime --release --lib loom`), so that
//! loom explores every interleaving of reservations and give-backs.
//!
//! A trait rather than a type alias: the limiter keeps its states in std atomics (its own and
//! one per key in the key table) and only the models need loom's, so the GCRA is generic over
//! the cell and compiles to the same code as before for std's.

use std::sync::atomic::Ordering;

/// The operations the GCRA performs on its state word.
pub(super) trait StateCell {
    fn load(&self, order: Ordering) -> u64;

    fn compare_exchange_weak(
        &self,
        current: u64,
        new: u64,
        success: Ordering,
        failure: Ordering,
    ) -> Result<u64, u64>;

    fn compare_exchange(
        &self,
        current: u64,
        new: u64,
        success: Ordering,
        failure: Ordering,
    ) -> Result<u64, u64>;
}

macro_rules! state_cell {
    ($atomic:ty) => {
        impl StateCell for $atomic {
            #[inline]
            fn load(&self, order: Ordering) -> u64 {
                <$atomic>::load(self, order)
            }

            #[inline]
            fn compare_exchange_weak(
                &self,
                current: u64,
                new: u64,
                success: Ordering,
                failure: Ordering,
            ) -> Result<u64, u64> {
                <$atomic>::compare_exchange_weak(self, current, new, success, failure)
            }

            #[inline]
            fn compare_exchange(
                &self,
                current: u64,
                new: u64,
                success: Ordering,
                failure: Ordering,
            ) -> Result<u64, u64> {
                <$atomic>::compare_exchange(self, current, new, success, failure)
            }
        }
    };
}

state_cell!(std::sync::atomic::AtomicU64);
#[cfg(all(test, loom))]
state_cell!(loom::sync::atomic::AtomicU64);
