//! The generic cell rate algorithm on one `AtomicU64`.
//!
//! The whole state is the *theoretical arrival time* (TAT): the instant at which the limiter
//! would be back to a full burst had nothing else arrived. A request at `now` conforms once
//! `max(TAT, now) - tolerance <= now`; taking it advances the TAT by one emission interval.
//! Because the state is one number, taking a permit is a load plus one compare-and-swap, and
//! an idle limiter needs no refill work: `max(TAT, now)` already forgets unused time, which is
//! also why a long idle period never yields more than `burst` permits at once.

use std::sync::atomic::Ordering;

use super::sync::StateCell;
use super::{Rate, RateLimitConfig};
use crate::base::clock::{self, Nanos};

/// The parameters of one limiter at one moment (see [`Tuning`](super::tuning::Tuning) for
/// how they change at run time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Gcra {
    /// Time between two permits at the sustained rate (rounded up, so the limiter never
    /// admits more than the declared rate).
    interval: Nanos,
    /// How far ahead of `now` the TAT may run: `interval * (burst - 1)`.
    tolerance: Nanos,
    /// A zero count or zero burst: nothing is ever admitted.
    closed: bool,
}

/// A permit taken by [`Gcra::reserve`]: usable after `wait`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Grant {
    /// How long until the permit conforms (0: usable now).
    pub(super) wait: Nanos,
    /// The TAT the reservation started from (what a give-back restores).
    pub(super) before: Nanos,
    /// The TAT the reservation stored.
    pub(super) after: Nanos,
}

impl Gcra {
    /// The parameters for `config`.
    pub(super) fn new(config: &RateLimitConfig) -> Self {
        Self::from_parts(config.rate(), config.burst())
    }

    /// The parameters for `rate` with `burst`.
    pub(super) fn from_parts(rate: Rate, burst: u32) -> Self {
        let count = u64::from(rate.count());
        let interval = if count == 0 {
            u64::MAX
        } else {
            clock::to_nanos(rate.period()).div_ceil(count)
        };
        Self {
            interval,
            tolerance: interval.saturating_mul(u64::from(burst.saturating_sub(1))),
            closed: count == 0 || burst == 0,
        }
    }

    /// Rebuilds from raw parts (what [`Tuning`](super::tuning::Tuning) stores).
    pub(super) const fn from_raw(interval: Nanos, tolerance: Nanos, closed: bool) -> Self {
        Self {
            interval,
            tolerance,
            closed,
        }
    }

    /// True when nothing can ever be admitted.
    pub(super) const fn is_closed(&self) -> bool {
        self.closed
    }

    /// Time between two permits at the sustained rate.
    pub(super) const fn interval(&self) -> Nanos {
        self.interval
    }

    /// How far ahead of `now` the TAT may run.
    pub(super) const fn tolerance(&self) -> Nanos {
        self.tolerance
    }

    /// Takes a permit that conforms within `max_wait` of `now`.
    ///
    /// On success the TAT is advanced (the permit is reserved even if it must be waited for).
    /// On failure nothing changes and the error is the exact time until a permit would
    /// conform, or `None` if none ever will.
    #[inline]
    pub(super) fn reserve(
        &self,
        state: &impl StateCell,
        now: Nanos,
        max_wait: Nanos,
    ) -> Result<Grant, Option<Nanos>> {
        if self.closed {
            return Err(None);
        }
        let mut current = state.load(Ordering::Acquire);
        loop {
            let tat = current.max(now);
            let wait = tat.saturating_sub(self.tolerance).saturating_sub(now);
            if wait > max_wait {
                return Err(Some(wait));
            }
            let after = tat.saturating_add(self.interval);
            match state.compare_exchange_weak(current, after, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => {
                    return Ok(Grant {
                        wait,
                        before: tat,
                        after,
                    });
                }
                Err(actual) => current = actual,
            }
        }
    }

    /// Best effort: undoes `grant` if it is still the latest reservation on `state`.
    ///
    /// Reservations form a stack (each one advances the TAT past the previous one), so only
    /// the newest can be taken back without moving the slots of those reserved after it;
    /// if another permit was taken since, the slot is lost (the limiter under-admits by one
    /// permit, never over-admits). Returns whether the slot was given back.
    #[inline]
    pub(super) fn give_back(state: &impl StateCell, grant: Grant) -> bool {
        state
            .compare_exchange(
                grant.after,
                grant.before,
                Ordering::AcqRel,
                Ordering::Relaxed,
            )
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;
    use std::time::Duration;

    const MS: Nanos = 1_000_000;

    fn gcra(rate: Rate, burst: u32) -> Gcra {
        Gcra::new(&RateLimitConfig::new(rate).with_burst(burst))
    }

    #[test]
    fn parameters() {
        let g = gcra(Rate::per_second(10), 3);
        assert_eq!(g.interval, 100 * MS);
        assert_eq!(g.tolerance, 200 * MS);
        // Rounded up so the sustained rate is never exceeded.
        assert_eq!(
            gcra(Rate::new(3, Duration::from_millis(250)), 1).interval,
            83_333_334
        );
        assert!(gcra(Rate::per_second(0), 1).is_closed());
        assert!(gcra(Rate::per_second(1), 0).is_closed());
        assert!(!gcra(Rate::per_second(1), 1).is_closed());
    }

    #[test]
    fn burst_then_exact_retry_after() {
        let g = gcra(Rate::per_second(10), 3);
        let state = AtomicU64::new(0);
        let now = 5_000 * MS;
        for _ in 0..3 {
            assert_eq!(g.reserve(&state, now, 0).unwrap().wait, 0);
        }
        assert_eq!(g.reserve(&state, now, 0), Err(Some(100 * MS)));
        assert_eq!(g.reserve(&state, now + 40 * MS, 0), Err(Some(60 * MS)));
        assert!(g.reserve(&state, now + 100 * MS, 0).is_ok());
        assert_eq!(g.reserve(&state, now + 100 * MS, 0), Err(Some(100 * MS)));
    }

    #[test]
    fn reservations_queue_up_within_max_wait() {
        let g = gcra(Rate::per_second(10), 1);
        let state = AtomicU64::new(0);
        let now = 1_000 * MS;
        let waits: Vec<_> = (0..4)
            .map(|_| g.reserve(&state, now, 250 * MS).map(|grant| grant.wait))
            .collect();
        assert_eq!(
            waits,
            [Ok(0), Ok(100 * MS), Ok(200 * MS), Err(Some(300 * MS))]
        );
    }

    #[test]
    fn give_back_only_undoes_the_newest_reservation() {
        let g = gcra(Rate::per_second(10), 1);
        let state = AtomicU64::new(0);
        let now = 1_000 * MS;
        g.reserve(&state, now, 0).unwrap();
        let a = g.reserve(&state, now, Nanos::MAX).unwrap();
        let b = g.reserve(&state, now, Nanos::MAX).unwrap();
        assert!(!Gcra::give_back(&state, a), "a is not the newest");
        assert!(Gcra::give_back(&state, b));
        assert!(Gcra::give_back(&state, a), "a became the newest");
        assert_eq!(state.load(Ordering::Relaxed), now + 100 * MS);
    }

    #[test]
    fn idle_time_never_exceeds_burst() {
        let g = gcra(Rate::per_day(10_000), 10_000);
        let state = AtomicU64::new(0);
        let now = 400 * 86_400_000 * MS; // a long idle stretch
        let granted = (0..20_000)
            .take_while(|_| g.reserve(&state, now, 0).is_ok())
            .count();
        assert_eq!(granted, 10_000);
        assert_eq!(g.reserve(&state, now, 0), Err(Some(8_640 * MS)));
    }

    #[test]
    fn extreme_parameters_saturate_instead_of_overflowing() {
        let g = gcra(Rate::new(1, Duration::MAX), u32::MAX);
        let state = AtomicU64::new(0);
        assert!(g.reserve(&state, 0, 0).is_ok());
        assert!(g.reserve(&state, Nanos::MAX, 0).is_ok());
        let unlimited = gcra(Rate::new(5, Duration::ZERO), 1);
        let state = AtomicU64::new(0);
        for _ in 0..100 {
            assert_eq!(unlimited.reserve(&state, 7, 0).unwrap().wait, 0);
        }
        let closed = gcra(Rate::per_second(0), 5);
        assert_eq!(closed.reserve(&state, 7, Nanos::MAX), Err(None));
    }
}
