//! [`KeyState`]: what a per-key map keeps for each key, and when it is as good as new.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::base::clock::Nanos;

/// The state a [`KeyedStates`](super::KeyedStates) map keeps per key. A fresh state
/// (`Default`) is what a key never seen has; [`free_at`](Self::free_at) says from when this
/// one is the same again, so that forgetting it loses nothing.
pub(crate) trait KeyState: Default {
    /// What the states of one map read their free time with (a quota's window length).
    type Context: Send + Sync;

    /// From when, as of `now`, the state is as good as a fresh one: in the past for a key
    /// that could be forgotten; the larger, the busier the key.
    fn free_at(&self, context: &Self::Context, now: Nanos) -> Nanos;
}

/// A rate limit's state: the GCRA's theoretical arrival time, free once it has passed.
impl KeyState for AtomicU64 {
    type Context = ();

    #[inline]
    fn free_at(&self, (): &(), _now: Nanos) -> Nanos {
        self.load(Ordering::Acquire)
    }
}
