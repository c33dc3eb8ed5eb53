//! A fixed window's count in one `AtomicU64`: the window's number (its low 32 bits) and the
//! calls admitted in it, so that a decision is a load and one compare-and-swap.
//!
//! A stored window older than the current one holds nothing that counts: the count starts
//! again from zero. The window just after the caller's (a thread that read the clock just
//! before a boundary while another, just after it, already counted in the next window) is
//! counted into, never reset, so no call at a boundary makes the newer window forget its
//! calls. Window numbers are compared on 32 bits: a state left untouched for exactly
//! 2³² − 1 periods would be taken for the next window (136 years of seconds, a coincidence
//! of one period in four billion for shorter ones).

use std::sync::atomic::{AtomicU64, Ordering};

use super::divisor::Divisor;
use super::window::fixed_window;
use crate::base::clock::{Nanos, wall_at};
use crate::base::keyed::KeyState;

/// A fixed window's state: see the module docs.
#[derive(Debug, Default)]
pub(super) struct FixedCount(AtomicU64);

/// The window length a map of [`FixedCount`]s reads free times with.
#[derive(Debug, Clone, Copy)]
pub(super) struct FixedWindows {
    pub(super) period: Divisor,
}

/// Where `now` falls: the window's number and the nanoseconds until it ends.
#[inline]
pub(super) fn window_at(period: Divisor, now: Nanos) -> (u64, Nanos) {
    fixed_window(wall_at(now), period)
}

const fn pack(window: u32, count: u32) -> u64 {
    ((count as u64) << 32) | window as u64
}

/// The stored window and count.
const fn unpack(state: u64) -> (u32, u32) {
    // Truncations on purpose: the two halves.
    (state as u32, (state >> 32) as u32)
}

/// How far the stored `window` is ahead of `current` (negative: behind), on 32 bits.
#[allow(clippy::cast_possible_wrap)]
const fn ahead(window: u32, current: u32) -> i32 {
    window.wrapping_sub(current) as i32
}

/// The window and count a call in window `current` counts on, from a stored state: the
/// stored ones if they are the current window or the next (module docs), else a fresh count.
#[inline]
const fn live(state: u64, current: u32) -> (u32, u32) {
    let (window, count) = unpack(state);
    if count > 0 && matches!(ahead(window, current), 0 | 1) {
        (window, count)
    } else {
        (current, 0)
    }
}

impl FixedCount {
    /// Counts one call in window `index` if fewer than `limit` are counted: the count after
    /// it, or `Err` with the count that is full.
    #[inline]
    pub(super) fn admit(&self, index: u64, limit: u32) -> Result<u32, u32> {
        // Truncation on purpose: windows are told apart on 32 bits (module docs).
        #[allow(clippy::cast_possible_truncation)]
        let current = index as u32;
        let mut state = self.0.load(Ordering::Acquire);
        loop {
            let (window, count) = live(state, current);
            if count >= limit {
                return Err(count);
            }
            match self.0.compare_exchange_weak(
                state,
                pack(window, count + 1),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return Ok(count + 1),
                Err(actual) => state = actual,
            }
        }
    }

    /// The calls counted in window `index`.
    #[inline]
    #[allow(clippy::cast_possible_truncation)]
    pub(super) fn count(&self, index: u64) -> u32 {
        live(self.0.load(Ordering::Acquire), index as u32).1
    }
}

impl KeyState for FixedCount {
    type Context = FixedWindows;

    /// The end of the stored window if it counted any call, else long ago.
    fn free_at(&self, windows: &FixedWindows, now: Nanos) -> Nanos {
        let (window, count) = unpack(self.0.load(Ordering::Acquire));
        if count == 0 {
            return 0;
        }
        let (index, left) = window_at(windows.period, now);
        #[allow(clippy::cast_possible_truncation)]
        let offset = ahead(window, index as u32);
        let end = now.saturating_add(left);
        let period = windows.period.get();
        match offset {
            // The current window, or the next one a racing caller started: busy until its end.
            0 | 1 => end.saturating_add(u64::from(offset.unsigned_abs()) * period),
            // An older window: it ended before the current one began.
            _ => end.saturating_sub(u64::from(offset.unsigned_abs()).saturating_mul(period)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_up_to_the_limit_then_refuses() {
        let state = FixedCount::default();
        assert_eq!(state.admit(7, 3), Ok(1));
        assert_eq!(state.admit(7, 3), Ok(2));
        assert_eq!(state.admit(7, 3), Ok(3));
        assert_eq!(state.admit(7, 3), Err(3));
        assert_eq!(state.count(7), 3);
        // A raised limit admits at once, the count kept.
        assert_eq!(state.admit(7, 5), Ok(4));
        // The next window starts from zero.
        assert_eq!(state.count(8), 0);
        assert_eq!(state.admit(8, 3), Ok(1));
    }

    #[test]
    fn a_caller_behind_a_boundary_counts_into_the_newer_window() {
        let state = FixedCount::default();
        assert_eq!(state.admit(8, 2), Ok(1));
        // A caller that read the clock before the boundary: counted in window 8, not reset.
        assert_eq!(state.admit(7, 2), Ok(2));
        assert_eq!(state.admit(8, 2), Err(2));
        assert_eq!(state.count(8), 2);
        // Windows far apart wrap on 32 bits and still compare by distance.
        let wrapping = FixedCount::default();
        assert_eq!(wrapping.admit(u64::from(u32::MAX), 1), Ok(1));
        assert_eq!(wrapping.admit(u64::from(u32::MAX) + 1, 1), Ok(1));
    }

    #[tokio::test(start_paused = true)]
    async fn free_at_the_end_of_the_window_that_counted() {
        let windows = FixedWindows {
            period: Divisor::new(1_000_000_000),
        };
        let state = FixedCount::default();
        let now = crate::base::clock::now();
        assert_eq!(state.free_at(&windows, now), 0);
        let (index, left) = window_at(windows.period, now);
        state.admit(index, 10).unwrap();
        assert_eq!(state.free_at(&windows, now), now + left);
        // Three windows later it ended two and a bit windows ago, at the same instant.
        let later = now + left + 2 * windows.period.get() + 5;
        assert_eq!(state.free_at(&windows, later), now + left);
    }
}
