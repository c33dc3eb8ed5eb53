//! The length of a timed period (open, or half-open with `max_wait_in_half_open`) that was
//! under way when the breaker was reconfigured: the period ends when it would have ended, and
//! the new settings apply from the next period on.
//!
//! Written only by [`reconfigure`](super::CircuitBreaker::reconfigure) (one writer at a time),
//! read on the open and half-open paths without a lock: the generation is invalidated before
//! the length changes and published after it, so a reader that sees the same generation before
//! and after reading the length has read that generation's length.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::base::clock::Nanos;

/// Marks "no period frozen", and, as a length, "no limit".
const NONE: u64 = u64::MAX;

#[derive(Debug)]
pub(super) struct FrozenPeriod {
    generation: AtomicU64,
    length: AtomicU64,
}

impl FrozenPeriod {
    pub(super) fn new() -> Self {
        Self {
            generation: AtomicU64::new(NONE),
            length: AtomicU64::new(NONE),
        }
    }

    /// Fixes the length of the period of `generation` (`None`: no limit), unless it is fixed
    /// already.
    pub(super) fn freeze(&self, generation: u32, length: Option<Nanos>) {
        let generation = u64::from(generation);
        if self.generation.load(Ordering::Acquire) == generation {
            return;
        }
        self.generation.store(NONE, Ordering::Relaxed);
        // Release: whoever reads the new length also sees the invalidated generation.
        self.length.store(
            length.map_or(NONE, |length| length.min(NONE - 1)),
            Ordering::Release,
        );
        self.generation.store(generation, Ordering::Release);
    }

    /// The fixed length of the period of `generation`: `None` when it is not fixed (the
    /// settings decide), `Some(None)` when it has no limit.
    pub(super) fn get(&self, generation: u32) -> Option<Option<Nanos>> {
        let generation = u64::from(generation);
        if self.generation.load(Ordering::Acquire) != generation {
            return None;
        }
        let length = self.length.load(Ordering::Acquire);
        if self.generation.load(Ordering::Acquire) != generation {
            return None;
        }
        Some(Some(length).filter(|length| *length != NONE))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_is_frozen_once() {
        let frozen = FrozenPeriod::new();
        assert_eq!(frozen.get(0), None);
        frozen.freeze(3, Some(500));
        frozen.freeze(3, Some(900));
        assert_eq!(frozen.get(3), Some(Some(500)));
        assert_eq!(frozen.get(4), None);
        frozen.freeze(4, None);
        assert_eq!(frozen.get(4), Some(None));
        assert_eq!(frozen.get(3), None);
    }
}
