//! The clock every policy reads: tokio's or the CPU's time-stamp counter, the default chosen
//! by the build.
//!
//! Breakers, limiters, retries' deadlines and timeouts read the time once per call, so that
//! read is a large part of their cost. There are two sources ([`ClockSource`]):
//!
//! - **[`Tokio`](ClockSource::Tokio)**: `tokio::time::Instant::now()`. It follows a paused
//!   tokio clock, so a test with `#[tokio::test(start_paused = true)]` drives breakers,
//!   limiters, backoff and timeouts deterministically, with no setup. Outside a runtime, or
//!   in one whose clock runs, it reads the system's monotonic clock.
//! - **[`CpuCounter`](ClockSource::CpuCounter)**: the CPU's time-stamp counter through
//!   [`quanta`](https://docs.rs/quanta) (as `governor` uses it): a fraction of the cost to
//!   read (about a third, where it was measured). It is calibrated against the system's
//!   monotonic clock (a busy loop of up to a few hundred milliseconds, once per process) and
//!   re-anchored to that clock every 100 ms of use, so timers (tokio's, which run on the
//!   monotonic clock) stay within microseconds of it. A re-anchor never steps time back: when
//!   the counter ran fast, the clock holds still for the drift (microseconds) instead.
//!   Threads may still read values slightly out of order with one another, as they do with
//!   any clock read without synchronisation; every policy tolerates that. On machines
//!   without a usable invariant counter, quanta reads the monotonic clock instead: still
//!   correct, just not faster.
//!
//! **The default needs no choice.** The counter knows nothing of tokio's paused clock (tokio
//! keeps that flag private), but time can only be paused in a build of tokio with its
//! `test-util` feature, which tests turn on (as a dev-dependency) and production builds do
//! not. So the default is decided by the build: tokio's clock where tokio can pause time
//! (every paused test stays correct), the counter where it cannot (nothing can pause, and
//! the counter is cheaper). The counter is calibrated on a thread of its own at the first
//! read, with tokio's clock read meanwhile, so no call waits for it. A build whose normal
//! dependencies turn `test-util` on gets tokio's clock: correct, only slower.
//!
//! The source is process-wide. Choose it explicitly with [`set_source`] (the usual place is
//! the start of `main`), with `RESILIENCE_CLOCK=tokio|cpu`, or with `clock = "tokio"|"cpu"`
//! under `[global]` in a configuration file (see the [`config`](crate::config) module; as with
//! the kill switch, code and files win over the environment). Never choose the counter in a
//! test that pauses time. Both sources put time on the same scale, so switching while calls
//! are in flight is harmless (time may step by microseconds).
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
