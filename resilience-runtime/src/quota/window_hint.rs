//! [`WindowHint`]: the fixed window a quota's calls last fell in, so that a call finds its
//! window with a multiplication it can make while the clock is read, instead of a division
//! that must wait for the clock's answer.
//!
//! The hint is checked on every use against the call's own instant (`index · period ≤ wall <
//! (index + 1) · period`), so any value it holds, stale or written by a racing thread, gives
//! the exact window or falls back to dividing; only the last division's window is written,
//! once per window in practice.

use std::sync::atomic::{AtomicU64, Ordering};

use super::divisor::Divisor;
use super::window::fixed_window;
use crate::base::clock::Nanos;

/// A window number of the quota's (fixed) period: see the module docs.
#[derive(Debug, Default)]
pub(super) struct WindowHint(AtomicU64);

impl WindowHint {
    /// The window of length `period` holding `wall` (UTC nanoseconds since the Unix epoch)
    /// and the nanoseconds until it ends, as [`fixed_window`] finds them.
    #[inline(always)]
    pub(super) fn find(&self, period: Divisor, wall: u64) -> (u64, Nanos) {
        let index = self.0.load(Ordering::Relaxed);
        if let Some(start) = index.checked_mul(period.get())
            && let Some(into) = wall.checked_sub(start)
            && into < period.get()
        {
            return (index, period.get() - into);
        }
        self.refresh(period, wall)
    }

    /// Divides, and keeps the window found as the hint.
    #[inline(never)]
    fn refresh(&self, period: Divisor, wall: u64) -> (u64, Nanos) {
        let (index, left) = fixed_window(wall, period);
        self.0.store(index, Ordering::Relaxed);
        (index, left)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const SECOND: u64 = 1_000_000_000;

    #[test]
    fn follows_the_windows_and_refreshes_once_per_window() {
        let hint = WindowHint::default();
        let period = Divisor::new(60 * SECOND);
        let wall = 1_796_271_300 * SECOND;
        assert_eq!(hint.find(period, wall), fixed_window(wall, period));
        assert_eq!(hint.0.load(Ordering::Relaxed), wall / (60 * SECOND));
        // Later in the same window: from the hint.
        assert_eq!(
            hint.find(period, wall + SECOND),
            fixed_window(wall + SECOND, period)
        );
        // A call that read the clock before the hint's window (another thread moved it on).
        let earlier = wall - 60 * SECOND;
        assert_eq!(hint.find(period, earlier), fixed_window(earlier, period));
    }

    proptest! {
        /// Whatever the hint holds, the window found is the one a division finds.
        #[test]
        fn always_the_divisions_answer(stored: u64, wall: u64, period in 1u64..=u64::MAX) {
            let hint = WindowHint(AtomicU64::new(stored));
            let period = Divisor::new(period);
            prop_assert_eq!(hint.find(period, wall), fixed_window(wall, period));
        }

        /// The same with hints near the right window, where a wrong answer would hide.
        #[test]
        fn near_misses(offset in -3i64..=3, wall: u64, period in 1u64..=1u64 << 40) {
            let divisor = Divisor::new(period);
            let stored = (wall / period).wrapping_add_signed(offset);
            let hint = WindowHint(AtomicU64::new(stored));
            prop_assert_eq!(hint.find(divisor, wall), fixed_window(wall, divisor));
        }
    }
}
