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
pub(crate) fn now() -> Nanos {
    let now = Instant::now();
    let origin = origin();
    match now.checked_duration_since(origin) {
        Some(after) => ORIGIN_NANOS.saturating_add(to_nanos(after)),
        None => ORIGIN_NANOS.saturating_sub(to_nanos(origin.duration_since(now))),
    }
}

/// A duration as nanoseconds, saturating at `u64::MAX` (about 584 years).
pub(crate) fn to_nanos(duration: Duration) -> Nanos {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
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
