//! The clock every policy reads: tokio's by default, or, opted into, the CPU's time-stamp
//! counter.
//!
//! Breakers, limiters, retries' deadlines and timeouts read the time once per call, so that
//! read is a large part of their cost. There are two sources ([`ClockSource`]):
//!
//! - **[`Tokio`](ClockSource::Tokio)** (the default): `tokio::time::Instant::now()`. It
//!   follows a paused tokio clock, so a test with `#[tokio::test(start_paused = true)]`
//!   drives breakers, limiters, backoff and timeouts deterministically, with no setup.
//!   Outside a runtime, or in one whose clock runs, it reads the system's monotonic clock.
//! - **[`CpuCounter`](ClockSource::CpuCounter)**: the CPU's time-stamp counter through
//!   [`quanta`](https://docs.rs/quanta) (as `governor` uses it): a fraction of the cost to
//!   read (about a third, where it was measured). It is calibrated against the system's monotonic clock when it is switched on
//!   (a busy loop of up to a few hundred milliseconds, once per process) and re-anchored to
//!   that clock every 100 ms of use, so timers (tokio's, which run on the monotonic clock)
//!   stay within microseconds of it. A re-anchor never steps time back: when the counter ran
//!   fast, the clock holds still for the drift (microseconds) instead. Threads may still read
//!   values slightly out of order with one another, as they do with any clock read without
//!   synchronisation; every policy tolerates that. On machines without a usable invariant
//!   counter, quanta reads the monotonic clock instead: still correct, just not faster.
//!
//! **What the CPU counter gives up**: it knows nothing of tokio's paused clock (tokio keeps
//! that flag private), so with it a paused test's `tokio::time::advance` no longer moves the
//! policies' time, and timers and policies disagree. Never switch to it in tests that pause
//! time; switch in `main`, which tests do not run.
//!
//! The source is process-wide. Choose it with [`set_source`] (the usual place is the start
//! of `main`), with `RESILIENCE_CLOCK=tokio|cpu`, or with `clock = "tokio"|"cpu"` under
//! `[global]` in a configuration file (see the [`config`](crate::config) module; as with
//! the kill switch, code and files win over the environment). Both sources put time on the
//! same scale, so switching while calls are in flight is harmless (time may step by
//! microseconds).
//!
//! ```
//! use resilience_runtime::clock::{self, ClockSource};
//!
//! // At the start of `main`: the counter is calibrated here, not on a call's path.
//! clock::set_source(ClockSource::CpuCounter);
//! assert_eq!(clock::source(), ClockSource::CpuCounter);
//!
//! // Readings follow the system's monotonic clock closely.
//! let before = tokio::time::Instant::now();
//! let reading = clock::instant_now();
//! let after = tokio::time::Instant::now();
//! let slack = std::time::Duration::from_millis(1);
//! assert!(before - slack <= reading && reading <= after + slack);
//!
//! clock::set_source(ClockSource::Tokio);
//! ```

mod counter;
mod source;

pub use source::{ClockSource, ParseClockSourceError};

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use tokio::time::Instant;

/// Nanoseconds on the process-wide scale (see [`now`]).
///
/// Policies keep instants as nanoseconds since a process-wide origin so they fit in an
/// `AtomicU64`.
pub(crate) type Nanos = u64;

/// The source [`now`] reads, as a `u8` (`ClockSource as u8`).
static SOURCE: AtomicU8 = AtomicU8::new(ClockSource::Tokio as u8);

const CPU_COUNTER: u8 = ClockSource::CpuCounter as u8;

fn origin() -> Instant {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    *ORIGIN.get_or_init(Instant::now)
}

/// Where the origin sits on the `Nanos` scale: far from zero, so that an instant read before
/// the origin was fixed (a paused test runtime created earlier, say) still maps to a value
/// below it rather than saturating at zero. Zero therefore means "long ago".
const ORIGIN_NANOS: Nanos = 1 << 62;

/// Reads time from `source` from now on, process-wide; logs a change (`info`).
///
/// Switching to [`ClockSource::CpuCounter`] calibrates the counter the first time (a busy
/// loop of up to a few hundred milliseconds) and anchors it to the monotonic clock, before
/// any call reads it. Never switch to it in a test that pauses tokio's clock (see the
/// [module docs](self)). Wins over `RESILIENCE_CLOCK`, like
/// [`config::set_disabled`](crate::config::set_disabled) over `RESILIENCE_DISABLED`.
pub fn set_source(source: ClockSource) {
    crate::config::store::set_clock(source);
}

/// The source in use (after reading `RESILIENCE_CLOCK`, if the environment was not read
/// yet).
#[must_use]
pub fn source() -> ClockSource {
    crate::config::store::ensure_env();
    current()
}

/// The current time on the clock the policies read, as a tokio instant: the paused tokio
/// clock's with [`ClockSource::Tokio`], the counter's with [`ClockSource::CpuCounter`].
#[must_use]
pub fn instant_now() -> Instant {
    instant_at(now())
}

/// The source in use, without reading the environment.
pub(crate) fn current() -> ClockSource {
    if SOURCE.load(Ordering::Relaxed) == CPU_COUNTER {
        ClockSource::CpuCounter
    } else {
        ClockSource::Tokio
    }
}

/// Switches to `source` (`by` names who asked, for the log). The counter is set up and
/// anchored before the switch is published.
pub(crate) fn apply(source: ClockSource, by: &str) {
    if source == ClockSource::CpuCounter {
        counter::prepare();
    }
    // Release: a reader that sees the counter chosen finds it set up (it also checks).
    if SOURCE.swap(source as u8, Ordering::Release) != source as u8 {
        tracing::info!(by, source = source.as_str(), "clock source changed");
    }
}

/// The current time as nanoseconds on the process-wide scale.
#[inline(always)]
pub(crate) fn now() -> Nanos {
    if SOURCE.load(Ordering::Relaxed) == CPU_COUNTER {
        counter_now()
    } else {
        tokio_now()
    }
}

/// tokio's clock on the process-wide scale; out of line, as it costs far more than a call.
#[inline(never)]
fn tokio_now() -> Nanos {
    nanos_at(Instant::now())
}

/// The counter's reading (tokio's clock in the instant before the counter is published).
#[inline(always)]
fn counter_now() -> Nanos {
    match counter::get() {
        Some(counter) => counter.now(),
        None => tokio_now(),
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn tokio_is_the_default_and_follows_a_paused_clock() {
        assert_eq!(current(), ClockSource::Tokio);
        assert_eq!(ClockSource::default(), ClockSource::Tokio);
        let start = now();
        tokio::time::advance(Duration::from_millis(1234)).await;
        assert_eq!(now() - start, 1_234_000_000);
        tokio::time::advance(Duration::from_nanos(1)).await;
        assert_eq!(now() - start, 1_234_000_001);
        assert_eq!(instant_now(), Instant::now());
    }

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

    #[test]
    fn sources_parse_and_display() {
        for source in [ClockSource::Tokio, ClockSource::CpuCounter] {
            assert_eq!(source.to_string().parse(), Ok(source));
            assert_eq!(source.as_str(), source.to_string());
        }
        assert_eq!("CPU".parse(), Ok(ClockSource::CpuCounter));
        assert_eq!("Tokio".parse(), Ok(ClockSource::Tokio));
        for word in ["", "tsc", "cpu ", "cpucounter", "system", "quanta"] {
            let error = word.parse::<ClockSource>().unwrap_err();
            assert_eq!(
                error.to_string(),
                format!("unknown clock source {word:?}: expected \"tokio\" or \"cpu\"")
            );
        }
        assert_eq!(
            serde_json::to_string(&[ClockSource::Tokio, ClockSource::CpuCounter]).unwrap(),
            r#"["tokio","cpu"]"#
        );
    }
}
