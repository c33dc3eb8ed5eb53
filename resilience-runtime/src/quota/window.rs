//! Fixed windows: where a period's boundaries fall on the wall clock, as a pure function.
//!
//! Boundaries sit at whole multiples of the period since the Unix epoch, in UTC: a `"/day"`
//! quota resets at 00:00 UTC, a `"/h"` one on the hour, a `"/min"` one on the minute, and any
//! other period at the multiples of it (a `"/10m"` quota at :00, :10, :20...). Unix time
//! counts no leap seconds, so every UTC day is 86 400 s long here.

use super::divisor::Divisor;
use crate::base::clock::Nanos;

/// The fixed window of length `period` nanoseconds holding `wall`, UTC nanoseconds since the
/// Unix epoch: its number since the epoch, and the nanoseconds from `wall` until it ends (at
/// least 1: a boundary instant starts the next window).
#[inline]
pub(super) const fn fixed_window(wall: u64, period: Divisor) -> (u64, Nanos) {
    let (index, into) = period.div_rem(wall);
    // `into < period`, so the window ends within `period` of `wall`.
    (index, period.get() - into)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: u64 = 1_000_000_000;
    const HOUR: u64 = 3600 * SECOND;
    const DAY: u64 = 86_400 * SECOND;

    /// 2026-12-03T04:15:00Z, as Unix nanoseconds.
    const MORNING: u64 = 1_796_271_300 * SECOND;

    #[test]
    fn days_end_at_midnight_utc() {
        let (index, left) = fixed_window(MORNING, Divisor::new(DAY));
        // 04:15 into the day: 19:45 left.
        assert_eq!(left, DAY - (4 * HOUR + 15 * 60 * SECOND));
        assert_eq!(index, MORNING / DAY);
        // The last nanosecond of the day and the first of the next.
        let midnight = MORNING + left;
        assert_eq!(fixed_window(midnight - 1, Divisor::new(DAY)), (index, 1));
        assert_eq!(fixed_window(midnight, Divisor::new(DAY)), (index + 1, DAY));
        assert_eq!(midnight % DAY, 0);
    }

    #[test]
    fn hours_end_on_the_hour_and_other_periods_at_their_multiples() {
        assert_eq!(
            fixed_window(MORNING, Divisor::new(HOUR)).1,
            45 * 60 * SECOND
        );
        let ten_minutes = 600 * SECOND;
        assert_eq!(
            fixed_window(MORNING, Divisor::new(ten_minutes)).1,
            5 * 60 * SECOND
        );
        assert_eq!(fixed_window(0, Divisor::new(SECOND)), (0, SECOND));
        assert_eq!(fixed_window(7, Divisor::new(0)), (7, 1));
    }

    #[test]
    fn windows_tile_time_without_gaps() {
        for period in [1, 3, 250_000_000, SECOND, HOUR, DAY, u64::MAX] {
            for wall in [0, 1, MORNING, MORNING + 17, u64::MAX - 1, u64::MAX] {
                let (index, left) = fixed_window(wall, Divisor::new(period));
                assert!(left >= 1 && left <= period, "{wall} {period}");
                // The window's start is at or before `wall`, its end after.
                assert!(u128::from(index) * u128::from(period) <= u128::from(wall));
                assert_eq!(
                    u128::from(wall) + u128::from(left),
                    (u128::from(index) + 1) * u128::from(period)
                );
            }
        }
    }
}
