//! [`LiveLimit`]: the calls per period in force, with a count of how often it changed, in one
//! word, so that a decision reads both with one load and a note made under an older limit
//! ([`Blocked`](super::blocked::Blocked)) is told apart from one made under the current one.

use std::sync::atomic::{AtomicU64, Ordering};

/// The limit a decision reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Limit {
    /// Calls per period.
    pub(super) count: u32,
    /// How many times the limit was set since the quota was created (wrapping).
    pub(super) epoch: u32,
}

/// The limit in force; see the module docs.
#[derive(Debug)]
pub(super) struct LiveLimit(AtomicU64);

impl LiveLimit {
    pub(super) const fn new(count: u32) -> Self {
        Self(AtomicU64::new(count as u64))
    }

    /// The limit in force.
    #[inline]
    #[allow(clippy::cast_possible_truncation)]
    pub(super) fn load(&self) -> Limit {
        let word = self.0.load(Ordering::Relaxed);
        // Truncations on purpose: the two halves.
        Limit {
            count: word as u32,
            epoch: (word >> 32) as u32,
        }
    }

    /// Puts `count` in force, in a new epoch.
    pub(super) fn set(&self, count: u32) {
        let mut word = self.0.load(Ordering::Relaxed);
        loop {
            let epoch = ((word >> 32) as u32).wrapping_add(1);
            let next = (u64::from(epoch) << 32) | u64::from(count);
            match self
                .0
                .compare_exchange_weak(word, next, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return,
                Err(actual) => word = actual,
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn each_change_is_a_new_epoch() {
        let limit = LiveLimit::new(10);
        assert_eq!(
            limit.load(),
            Limit {
                count: 10,
                epoch: 0
            }
        );
        limit.set(10);
        assert_eq!(
            limit.load(),
            Limit {
                count: 10,
                epoch: 1
            }
        );
        limit.set(u32::MAX);
        assert_eq!(
            limit.load(),
            Limit {
                count: u32::MAX,
                epoch: 2
            }
        );
    }
}
