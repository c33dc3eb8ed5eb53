//! The process-wide time scale: instants as nanoseconds from one origin, so that policies
//! keep them in an `AtomicU64`.

use std::sync::OnceLock;
use std::time::Duration;

use tokio::time::Instant;

/// Nanoseconds on the process-wide scale (see [`now`]).
///
/// Policies keep instants as nanoseconds since a process-wide origin so they fit in an
/// `AtomicU64`.
pub(crate) type Nanos = u64;

fn origin() -> Instant {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    *ORIGIN.get_or_init(Instant::now)
}

/// Where the origin sits on the `Nanos` scale: far from zero, so that an instant read before
/// the origin was fixed (a paused test runtime created earlier, say) still maps to a value
/// below it rather than saturating at zero. Zero therefore means "long ago".
pub(crate) const ORIGIN_NANOS: Nanos = 1 << 62;

/// `instant` on the process-wide scale.
#[inline]
pub(crate) fn nanos_at(now: Instant) -> Nanos {
    let origin = origin();
    // One subtraction of instants on the common path: comparing them first costs a second.
    match now.checked_duration_since(origin) {
        Some(since) => ORIGIN_NANOS.saturating_add(to_nanos(since)),
        None => ORIGIN_NANOS.saturating_sub(to_nanos(origin.duration_since(now))),
    }
}

/// The tokio instant at `nanos` on the process-wide scale: the inverse of [`nanos_at`], exact
/// for every instant it mapped. For timers on the scale's deadlines.
pub(crate) fn instant_at(nanos: Nanos) -> Instant {
    let origin = origin();
    if nanos >= ORIGIN_NANOS {
        // Past what an instant holds (centuries away): a deadline that never comes.
        origin
            .checked_add(to_duration(nanos - ORIGIN_NANOS))
            .or_else(|| origin.checked_add(Duration::from_secs(86_400 * 365 * 30)))
            .unwrap_or(origin)
    } else {
        // Before what an instant holds: any time long past does.
        origin
            .checked_sub(to_duration(ORIGIN_NANOS - nanos))
            .unwrap_or(origin)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::clock::now;

    #[tokio::test(start_paused = true)]
    async fn instants_round_trip_exactly() {
        let origin = origin();
        for instant in [
            origin,
            Instant::now(),
            Instant::now() + Duration::from_nanos(1),
            Instant::now() + Duration::from_secs(86_400 * 365),
            origin - Duration::from_nanos(7),
        ] {
            assert_eq!(instant_at(nanos_at(instant)), instant);
        }
        let nanos = now();
        assert_eq!(nanos_at(instant_at(nanos)), nanos);
        assert_eq!(instant_at(ORIGIN_NANOS), origin);
        // Beyond what an instant holds: far away in the right direction, no panic.
        assert!(instant_at(Nanos::MAX) > origin + Duration::from_secs(86_400 * 365));
        assert!(instant_at(0) <= origin);
    }
}
