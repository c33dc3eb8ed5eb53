//! The wall clock on the process-wide scale: what a quota's UTC-aligned windows are cut by.
//!
//! The system clock is read once, at the first call, together with the process-wide
//! [`Nanos`] of that moment (the anchor); every later reading is the anchor's wall time plus
//! the time elapsed on the process-wide scale. So the wall clock advances exactly as the
//! clock the policies read: under tokio's paused clock (`#[tokio::test(start_paused = true)]`)
//! it stands still and moves only with `tokio::time::advance`, which keeps tests of window
//! boundaries deterministic. The price is that a step of the system clock after the anchor
//! (a manual change, an NTP step) is not followed; the drift of the monotonic clock against
//! UTC is a few parts per million, seconds per week.

use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use super::scale::{Nanos, to_nanos};

/// The anchor: a process-wide instant and the UTC nanoseconds since the Unix epoch at it.
static ANCHOR: OnceLock<(Nanos, u64)> = OnceLock::new();

/// UTC nanoseconds since the Unix epoch at `now` (a process-wide instant), leap seconds not
/// counted (as Unix time counts them). A system clock set before 1970 reads as the epoch.
#[inline]
pub(crate) fn wall_at(now: Nanos) -> u64 {
    let &(at, wall) = ANCHOR.get_or_init(|| {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, to_nanos);
        (now, wall)
    });
    shifted(wall, at, now)
}

/// `wall`, the wall time at `at`, moved to `now`, saturating at both ends.
#[inline]
fn shifted(wall: u64, at: Nanos, now: Nanos) -> u64 {
    if now >= at {
        wall.saturating_add(now - at)
    } else {
        wall.saturating_sub(at - now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wall_clock_moves_with_the_process_scale() {
        assert_eq!(shifted(1_000, 50, 50), 1_000);
        assert_eq!(shifted(1_000, 50, 80), 1_030);
        assert_eq!(shifted(1_000, 50, 20), 970);
        assert_eq!(shifted(10, 50, 0), 0);
        assert_eq!(shifted(u64::MAX - 1, 0, 5), u64::MAX);
    }

    #[tokio::test(start_paused = true)]
    async fn under_a_paused_clock_it_advances_only_with_it() {
        let now = crate::base::clock::now();
        let before = wall_at(now);
        assert_eq!(wall_at(now), before);
        tokio::time::advance(std::time::Duration::from_secs(3600)).await;
        let later = crate::base::clock::now();
        assert_eq!(wall_at(later) - before, later - now);
        // Roughly today: after 2020-01-01.
        assert!(before > 1_577_836_800 * 1_000_000_000);
    }
}
