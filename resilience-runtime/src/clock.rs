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

use tokio::time::Instant;

pub use crate::base::clock::{ClockSource, ParseClockSourceError};
use crate::base::clock::{current, instant_at, now};

/// Reads time from `source` from now on, process-wide; logs a change (`info`).
///
/// Switching to [`ClockSource::CpuCounter`] calibrates the counter the first time (a busy
/// loop of up to a few hundred milliseconds) and anchors it to the monotonic clock, before
/// any call reads it. Never switch to it in a test that pauses tokio's clock (see the
/// [module docs](self)). Wins over `RESILIENCE_CLOCK`, like
/// [`config::set_disabled`](crate::config::set_disabled) over `RESILIENCE_DISABLED`.
pub fn set_source(source: ClockSource) {
    crate::registry::store::set_clock(source);
}

/// The source in use (after reading `RESILIENCE_CLOCK`, if the environment was not read
/// yet).
#[must_use]
pub fn source() -> ClockSource {
    crate::registry::environment::ensure_env();
    current()
}

/// The current time on the clock the policies read, as a tokio instant: the paused tokio
/// clock's with [`ClockSource::Tokio`], the counter's with [`ClockSource::CpuCounter`].
#[must_use]
pub fn instant_now() -> Instant {
    instant_at(now())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

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
}
