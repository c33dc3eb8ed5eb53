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

    /// How many permits would conform at `now` one after another, taking none, with the TAT
    /// at `tat`.
    pub(super) fn available(&self, tat: Nanos, now: Nanos) -> u64 {
        if self.closed {
            return 0;
        }
        let horizon = now.saturating_add(self.tolerance);
        let tat = tat.max(now);
        if tat > horizon {
            0
        } else {
            (horizon - tat) / self.interval + 1
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

#[cfg(all(test, loom))]
mod loom_tests {
    //! Loom models of the limiter's atomic GCRA state: every interleaving of a few threads taking
    //! permits and giving them back.
    //!
    //! Run with `RUSTFLAGS="--cfg loom" cargo test -p resilience-runtime --release --lib loom`.
    //! Time is fixed (`NOW`): the GCRA decides from the `now` it is given, so the models need no
    //! clock, and at one instant the limit is exactly the burst.

    use std::sync::Arc;

    use loom::sync::atomic::AtomicU64;
    use loom::thread;

    use super::super::Rate;
    use super::{Gcra, Grant};
    use crate::base::loom_support::count_admitted;

    const MS: u64 = 1_000_000;
    /// The instant every decision is made at.
    const NOW: u64 = 1_000_000 * MS;

    /// 10/s with `burst` permits at once.
    fn limit(burst: u32) -> Gcra {
        Gcra::from_parts(Rate::per_second(10), burst)
    }

    /// A state whose limit has fully recovered by `NOW`.
    fn idle_state() -> Arc<AtomicU64> {
        Arc::new(AtomicU64::new(0))
    }

    /// Takes a permit usable at `NOW`.
    fn take_now(gcra: &Gcra, state: &AtomicU64) -> Option<Grant> {
        gcra.reserve(state, NOW, 0).ok()
    }

    /// The permits still available at `NOW` (taking them).
    fn drain(gcra: &Gcra, state: &AtomicU64) -> u32 {
        let mut taken = 0;
        while take_now(gcra, state).is_some() {
            taken += 1;
            assert!(taken <= 64, "runaway");
        }
        taken
    }

    #[test]
    fn loom_two_threads_racing_for_the_last_permit_admit_one() {
        loom::model(|| {
            let gcra = limit(2);
            let state = idle_state();
            take_now(&gcra, &state).expect("the first of two");
            let admitted = count_admitted(2, |_| {
                let state = Arc::clone(&state);
                move || take_now(&gcra, &state).is_some()
            });
            assert_eq!(admitted, 1);
            assert_eq!(drain(&gcra, &state), 0);
        });
    }

    #[test]
    fn loom_concurrent_reservations_never_exceed_the_burst() {
        loom::model(|| {
            let gcra = limit(2);
            let state = idle_state();
            let admitted = count_admitted(3, |_| {
                let state = Arc::clone(&state);
                move || take_now(&gcra, &state).is_some()
            });
            assert_eq!(admitted, 2, "exactly the burst");
            assert_eq!(drain(&gcra, &state), 0);
        });
    }

    #[test]
    fn loom_give_back_racing_an_acquire_neither_creates_nor_loses_a_permit() {
        loom::model(|| {
            let gcra = limit(2);
            let state = idle_state();
            take_now(&gcra, &state).expect("first");
            let newest = take_now(&gcra, &state).expect("second");
            let giver = {
                let state = Arc::clone(&state);
                thread::spawn(move || Gcra::give_back(&*state, newest))
            };
            let taker = {
                let state = Arc::clone(&state);
                thread::spawn(move || take_now(&gcra, &state).is_some())
            };
            let given_back = giver.join().unwrap();
            let taken = taker.join().unwrap();
            // The taker can only have had the permit the giver returned.
            assert!(given_back || !taken);
            let held = 2 - u32::from(given_back) + u32::from(taken);
            assert_eq!(
                held + drain(&gcra, &state),
                2,
                "exactly the burst at one instant"
            );
        });
    }

    #[test]
    fn loom_give_back_racing_a_waiting_reservation_never_over_admits() {
        loom::model(|| {
            let gcra = limit(1);
            let state = idle_state();
            let held = take_now(&gcra, &state).expect("the burst of one");
            let giver = {
                let state = Arc::clone(&state);
                thread::spawn(move || Gcra::give_back(&*state, held))
            };
            let waiter = {
                let state = Arc::clone(&state);
                // Willing to wait a second: always admitted, now or one interval later.
                thread::spawn(move || {
                    gcra.reserve(&*state, NOW, 1_000 * MS)
                        .expect("within max_wait")
                })
            };
            let given_back = giver.join().unwrap();
            let grant = waiter.join().unwrap();
            if given_back {
                // Returned before the waiter reserved: the waiter got the permit at once.
                assert_eq!(grant.wait, 0);
            } else {
                // The waiter reserved first, so the give-back was stale and refused: the returned
                // slot is lost (the limiter under-admits by one), never handed out twice.
                assert_eq!(grant.wait, gcra.interval());
            }
            let usable_now = u32::from(!given_back) + u32::from(grant.wait == 0);
            assert!(usable_now + drain(&gcra, &state) <= 1);
        });
    }

    #[test]
    fn loom_racing_give_backs_restore_at_most_what_was_taken() {
        loom::model(|| {
            let gcra = limit(2);
            let state = idle_state();
            let older = take_now(&gcra, &state).expect("first");
            let newer = take_now(&gcra, &state).expect("second");
            let threads: Vec<_> = [older, newer]
                .into_iter()
                .map(|grant| {
                    let state = Arc::clone(&state);
                    thread::spawn(move || Gcra::give_back(&*state, grant))
                })
                .collect();
            let restored = threads
                .into_iter()
                .map(|thread| thread.join().unwrap())
                .filter(|restored| *restored)
                .count();
            // The newer one always comes back; the older one only if it was then the newest.
            assert!((1..=2).contains(&restored));
            assert_eq!(drain(&gcra, &state) as usize, restored);
        });
    }
}
