//! The decision without waiting: a permit now, a rejection, or a permit to queue for, against
//! the unkeyed limit or a key's own.

use super::gcra::{Gcra, Grant};
use super::limiter::RateLimiter;
use super::queue::Slot;
use crate::Error;
use crate::base::admission::Admission;
use crate::base::clock::{self, Nanos};
use crate::base::kill_switch;

/// What [`RateLimiter::decide_now`] decided.
pub(super) enum Decision {
    Admitted,
    /// Rejected, with the time until a permit would conform (`None`: never).
    Rejected(Option<Nanos>),
    /// A permit this far away, within the wait budget.
    Queue(Nanos),
}

impl RateLimiter {
    #[inline(always)]
    pub(super) fn admit_slot(&self, slot: Slot, now: Nanos) -> Admission<()> {
        if self.remote.is_some() {
            return Admission::Wait;
        }
        match self.decide_now(slot, self.wait_budget, now) {
            Decision::Admitted => Admission::Admitted(()),
            Decision::Rejected(retry_after) => Admission::Rejected(self.reject(slot, retry_after)),
            Decision::Queue(_) => Admission::Wait,
        }
    }

    /// Reserves a permit of `slot` conforming within `budget` of `now`.
    #[inline]
    pub(super) fn reserve(
        &self,
        gcra: &Gcra,
        slot: Slot,
        now: Nanos,
        budget: Nanos,
    ) -> Result<Grant, Option<Nanos>> {
        match slot {
            Slot::Unkeyed => gcra.reserve(&self.state.0, now, budget),
            // Don't fill the key table for a limiter that admits nothing anyway.
            Slot::Key(_) if gcra.is_closed() => Err(None),
            Slot::Key(hash) => self
                .keys
                .with_state(hash, now, |state| gcra.reserve(state, now, budget)),
        }
    }

    // Always inlined, as `decide_now`: each caller passes its slot's kind as a constant, so the
    // unkeyed `try_acquire` keeps none of the keyed arm (out of line, with both arms, it paid
    // a frame of six saved registers and the keyed arm's stack slots on every call).
    #[inline(always)]
    pub(super) fn try_slot(&self, slot: Slot) -> Result<(), Error> {
        match self.decide_now(slot, 0, clock::now()) {
            Decision::Admitted => Ok(()),
            Decision::Rejected(retry_after) => Err(self.reject(slot, retry_after)),
            // Not with a zero budget; rejected all the same.
            Decision::Queue(wait) => Err(self.reject(slot, Some(wait))),
        }
    }

    /// The decision at `now` without waiting: a permit, a rejection, or a permit `wait`
    /// away (within `budget`) to queue for. Nothing is reserved for a queued call yet.
    ///
    /// Each arm decides on its own reservation: merged first, the arms' reservations met in
    /// a stack slot written through a computed address and read back at once, which stalled
    /// every unkeyed decision by a few nanoseconds. The unkeyed arm is inlined into the
    /// caller; the keyed one, with its table, is left to the compiler.
    #[inline(always)]
    pub(super) fn decide_now(&self, slot: Slot, budget: Nanos, now: Nanos) -> Decision {
        if kill_switch::engaged() {
            return Decision::Admitted;
        }
        match slot {
            Slot::Unkeyed => {
                let gcra = &self.tuning.load();
                self.decided(gcra.reserve(&self.state.0, now, 0), budget)
            }
            Slot::Key(hash) => self.decide_key(hash, budget, now),
        }
    }

    /// [`decide_now`](Self::decide_now) for a key's own limit.
    #[inline]
    fn decide_key(&self, hash: u64, budget: Nanos, now: Nanos) -> Decision {
        let gcra = &self.tuning.load();
        self.decided(self.reserve(gcra, Slot::Key(hash), now, 0), budget)
    }

    /// The decision on a reservation made with no wait allowed: a permit `wait` away within
    /// `budget` is queued for, further away rejected.
    #[inline(always)]
    fn decided(&self, reserved: Result<Grant, Option<Nanos>>, budget: Nanos) -> Decision {
        match reserved {
            Ok(_) => {
                self.counters.0.permitted();
                Decision::Admitted
            }
            Err(Some(wait)) if wait <= budget => Decision::Queue(wait),
            Err(retry_after) => Decision::Rejected(retry_after),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use std::sync::Barrier;
    use std::sync::atomic::{AtomicU64, Ordering};

    #[tokio::test(start_paused = true)]
    async fn try_acquire_retry_after_is_exact() {
        let rl = limiter(RateLimitConfig::new(Rate::per_second(10)).with_burst(2));
        rl.try_acquire().unwrap();
        rl.try_acquire().unwrap();
        assert_eq!(rejected(rl.try_acquire()), Some(ms(100)));
        tokio::time::advance(ms(30)).await;
        assert_eq!(rejected(rl.try_acquire()), Some(ms(70)));
        tokio::time::advance(ms(70)).await;
        rl.try_acquire().unwrap();
        assert_eq!(rejected(rl.try_acquire()), Some(ms(100)));
        let m = rl.metrics();
        assert_eq!((m.permitted, m.rejected, m.waited), (3, 3, 0));

        // An emission interval that is not a whole number of nanoseconds rounds up.
        let odd = limiter(RateLimitConfig::new(Rate::new(3, ms(250))));
        for _ in 0..3 {
            odd.try_acquire().unwrap();
        }
        assert_eq!(
            rejected(odd.try_acquire()),
            Some(Duration::from_nanos(83_333_334))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn max_wait_exceeded_rejects_without_waiting() {
        let t0 = Instant::now();
        let rl = limiter(
            RateLimitConfig::new(Rate::per_second(1))
                .with_burst(1)
                .with_max_wait(ms(500)),
        );
        rl.acquire().await.unwrap();
        assert_eq!(rejected(rl.acquire().await), Some(SEC));
        assert_eq!(t0.elapsed(), Duration::ZERO, "rejected without waiting");
        // The rejection reserved nothing: 600ms later the permit is 400ms away.
        tokio::time::advance(ms(600)).await;
        rl.acquire().await.unwrap();
        assert_eq!(t0.elapsed(), SEC);
        let m = rl.metrics();
        assert_eq!((m.permitted, m.rejected, m.waited), (2, 1, 1));
        assert_eq!(m.total_wait, ms(400));
    }

    #[tokio::test(start_paused = true)]
    async fn reject_mode_acquire_never_waits() {
        let t0 = Instant::now();
        let rl = limiter(RateLimitConfig::new(Rate::per_second(1)).with_on_limit(OnLimit::Reject));
        rl.acquire().await.unwrap();
        assert_eq!(rejected(rl.acquire().await), Some(SEC));
        rl.acquire_key("k").await.unwrap();
        assert_eq!(rejected(rl.acquire_key("k").await), Some(SEC));
        assert_eq!(t0.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn long_period_hands_out_at_most_burst_at_once() {
        // By default a day's quota is not handed out at once: a minute's worth is.
        let default = limiter(RateLimitConfig::new(Rate::per_day(10_000)));
        assert_eq!(
            (0..100)
                .take_while(|_| default.try_acquire().is_ok())
                .count(),
            7
        );
        // A burst of the whole quota is available when the config asks for it.
        let rl = limiter(RateLimitConfig::new(Rate::per_day(10_000)).with_burst(10_000));
        let burst = || (0..20_000).take_while(|_| rl.try_acquire().is_ok()).count();
        assert_eq!(burst(), 10_000);
        let interval = Duration::from_millis(8_640);
        assert_eq!(rejected(rl.try_acquire()), Some(interval));
        // Beyond the default max_wait (5s): rejected at once even in wait mode.
        assert_eq!(rejected(rl.acquire().await), Some(interval));
        // A month of idleness still yields one burst, not a month's worth.
        tokio::time::advance(Duration::from_hours(30 * 24)).await;
        assert_eq!(burst(), 10_000);
    }

    #[tokio::test(start_paused = true)]
    async fn zero_rate_or_burst_admits_nothing() {
        for config in [
            RateLimitConfig::new(Rate::per_second(0)),
            RateLimitConfig::new(Rate::per_second(5)).with_burst(0),
        ] {
            let rl = limiter(config);
            assert_eq!(rejected(rl.try_acquire()), None);
            assert_eq!(rejected(rl.acquire().await), None);
            assert_eq!(rejected(rl.acquire_key("k").await), None);
            assert_eq!(rl.metrics().tracked_keys, 0);
        }
    }

    /// Threads hammer the limiter on a paused clock that the main thread steps forward;
    /// after each step every thread drains what is available. The admitted total must be
    /// exactly `burst + elapsed / interval` at every step: never more (no race lets two
    /// threads take one slot) and, since the limiter is drained, never less.
    #[test]
    fn stress_admitted_never_exceeds_burst_plus_rate() {
        const THREADS: usize = 4;
        const STEPS: u64 = 150;
        const STEP: Duration = Duration::from_millis(7);
        const INTERVAL_MS: u64 = 10; // 100/s
        const BURST: u64 = 5;
        const KEYS: [&str; 3] = ["a", "b", "c"];

        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        let rl = limiter(
            RateLimitConfig::new(Rate::per_second(100))
                .with_burst(5)
                .with_on_limit(OnLimit::Reject),
        );
        let unkeyed = AtomicU64::new(0);
        let keyed: [AtomicU64; 3] = Default::default();
        let barrier = Barrier::new(THREADS + 1);
        let mut mismatches = Vec::new();

        std::thread::scope(|s| {
            for _ in 0..THREADS {
                s.spawn(|| {
                    // Read the paused clock of the test runtime.
                    let _clock = rt.enter();
                    for _ in 0..=STEPS {
                        while rl.try_acquire().is_ok() {
                            unkeyed.fetch_add(1, Ordering::Relaxed);
                        }
                        for (key, count) in KEYS.iter().zip(&keyed) {
                            while rl.try_acquire_key(key).is_ok() {
                                count.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        barrier.wait(); // drained
                        barrier.wait(); // clock stepped
                    }
                });
            }
            for step in 0..=STEPS {
                barrier.wait();
                let elapsed_ms = step * u64::try_from(STEP.as_millis()).unwrap();
                let expected = BURST + elapsed_ms / INTERVAL_MS;
                let counts = [&unkeyed, &keyed[0], &keyed[1], &keyed[2]]
                    .map(|count| count.load(Ordering::Relaxed));
                if counts != [expected; 4] {
                    mismatches.push((step, expected, counts));
                }
                rt.block_on(tokio::time::advance(STEP));
                barrier.wait();
            }
        });
        assert!(mismatches.is_empty(), "{mismatches:?}");
        let m = rl.metrics();
        assert_eq!(m.permitted, unkeyed.load(Ordering::Relaxed) * 4);
        assert_eq!(m.tracked_keys, 3);
    }
}
