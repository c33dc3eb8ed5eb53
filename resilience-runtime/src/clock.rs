//! Time for every policy, read through tokio's clock.
//!
//! Policies keep instants as nanoseconds since a process-wide origin so they fit in an
//! `AtomicU64`. The clock is [`tokio::time::Instant`], so a paused test runtime
//! (`#[tokio::test(start_paused = true)]`) drives breakers, limiters and backoff
//! deterministically; outside a runtime it reads the system's monotonic clock.

use std::sync::OnceLock;
use std::time::Duration;

use tokio::time::Instant;

/// Nanoseconds on the process-wide scale (see [`now`]).
pub(crate) type Nanos = u64;

fn origin() -> Instant {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    *ORIGIN.get_or_init(Instant::now)
}

/// Where the origin sits on the `Nanos` scale: far from zero, so that an instant read before
/// the origin was fixed (a paused test runtime created earlier, say) still maps to a value
/// below it rather than saturating at zero. Zero therefore means "long ago".
const ORIGIN_NANOS: Nanos = 1 << 62;

/// The current time as nanoseconds on the process-wide scale.
#[inline]
pub(crate) fn now() -> Nanos {
    nanos_at(Instant::now())
}

/// `instant` on the process-wide scale.
#[inline]
pub(crate) fn nanos_at(now: Instant) -> Nanos {
    let origin = origin();
    if now >= origin {
        ORIGIN_NANOS.saturating_add(to_nanos(now.duration_since(origin)))
    } else {
        ORIGIN_NANOS.saturating_sub(to_nanos(origin.duration_since(now)))
    }
}

/// A duration as nanoseconds, saturating at `u64::MAX` (about 584 years).
#[inline]
pub(crate) fn to_nanos(duration: Duration) -> Nanos {
    // In u64 arithmetic: `as_nanos` goes through u128, which costs more on the hot path.
    duration
        .as_secs()
        .saturating_mul(1_000_000_000)
        .saturating_add(u64::from(duration.subsec_nanos()))
}

/// Nanoseconds as a duration.
pub(crate) const fn to_duration(nanos: Nanos) -> Duration {
    Duration::from_nanos(nanos)
}

/// Waits `duration` on tokio's clock.
pub(crate) async fn sleep(duration: Duration) {
    if !duration.is_zero() {
        tokio::time::sleep(duration).await;
    }
}

/// Blocks the thread for `duration`; the waiting primitive of sync fns.
pub(crate) fn sleep_blocking(duration: Duration) {
    if !duration.is_zero() {
        std::thread::sleep(duration);
    }
}
