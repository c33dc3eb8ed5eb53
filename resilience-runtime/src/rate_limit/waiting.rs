//! Waiting for a permit in process: the reservation in queue order, the wait on tokio's clock
//! or by blocking the thread, and the give-back of a waiter dropped before its permit.

use std::sync::Arc;
use std::thread::Thread;

use super::admission::Decision;
use super::gcra::{Gcra, Grant};
use super::limiter::RateLimiter;
use super::queue::{Slot, Ticket};
use crate::Error;
use crate::base::clock::{self, Nanos};

impl RateLimiter {
    /// Takes a permit now (`None`) or queues for one within `budget` (`Some`).
    #[inline]
    fn start(
        &self,
        slot: Slot,
        budget: Nanos,
        now: Nanos,
        thread: impl FnOnce() -> Option<Thread>,
    ) -> Result<Option<Waiting<'_>>, Error> {
        match self.decide_now(slot, budget, now) {
            Decision::Admitted => Ok(None),
            Decision::Rejected(retry_after) => Err(self.reject(slot, retry_after)),
            Decision::Queue(_) => self.enqueue(slot, budget, thread()),
        }
    }

    /// Reserves a permit to wait for, under the queue's lock so that queued reservations
    /// are in queue order.
    #[cold]
    fn enqueue(
        &self,
        slot: Slot,
        budget: Nanos,
        thread: Option<Thread>,
    ) -> Result<Option<Waiting<'_>>, Error> {
        let queue = self.queues.lock(slot);
        let full = queue.len() >= self.max_queue;
        let now = clock::now();
        // A full queue still lets through a permit that is available right now.
        let budget = if full { 0 } else { budget };
        match self.reserve(&self.tuning.load(), slot, now, budget) {
            Ok(_) if full => {
                drop(queue);
                self.counters.0.permitted();
                Ok(None)
            }
            Ok(grant) if grant.wait == 0 => {
                drop(queue);
                self.counters.0.permitted();
                Ok(None)
            }
            Ok(grant) => {
                let ticket = queue.push(now, grant, thread);
                tracing::debug!(
                    target: "resilience_runtime::rate_limit",
                    name = self.name,
                    keyed = matches!(slot, Slot::Key(_)),
                    wait = ?clock::to_duration(grant.wait),
                    "rate limit reached; waiting for a permit"
                );
                Ok(Some(Waiting {
                    limiter: self,
                    slot,
                    ticket,
                    started: now,
                    done: false,
                }))
            }
            Err(retry_after) => {
                drop(queue);
                if full {
                    tracing::debug!(
                        target: "resilience_runtime::rate_limit",
                        name = self.name,
                        max_queue = self.max_queue,
                        "rate limit queue full"
                    );
                }
                Err(self.reject(slot, retry_after))
            }
        }
    }

    /// The in-process decision of `acquire`, waiting at most `budget`.
    pub(super) async fn acquire_slot(
        &self,
        slot: Slot,
        budget: Nanos,
        now: Nanos,
    ) -> Result<(), Error> {
        if let Some(waiting) = self.start(slot, budget, now, || None)? {
            waiting.ticket.wait().await;
            waiting.finish();
        }
        Ok(())
    }

    pub(super) fn acquire_slot_blocking(&self, slot: Slot) -> Result<(), Error> {
        let thread = || Some(std::thread::current());
        if let Some(waiting) = self.start(slot, self.wait_budget, clock::now(), thread)? {
            waiting.ticket.wait_blocking();
            waiting.finish();
        }
        Ok(())
    }

    /// Moves `slot`'s state from `after` back to `before` if it is still `after`.
    fn roll_back(&self, slot: Slot, after: Nanos, before: Nanos) -> bool {
        let grant = Grant {
            wait: 0,
            before,
            after,
        };
        match slot {
            Slot::Unkeyed => Gcra::give_back(&self.state.0, grant),
            Slot::Key(hash) => self
                .keys
                .with_existing(hash, |state| Gcra::give_back(state, grant))
                .unwrap_or(false),
        }
    }
}

/// A queued call; dropping it before [`finish`](Self::finish) gives its reservation back.
struct Waiting<'a> {
    limiter: &'a RateLimiter,
    slot: Slot,
    ticket: Arc<Ticket>,
    started: Nanos,
    done: bool,
}

impl Waiting<'_> {
    /// The wait is over: the permit is used.
    fn finish(mut self) {
        self.done = true;
        let limiter = self.limiter;
        limiter.queues.finish(self.slot, &self.ticket);
        let waited = self.ticket.conform().saturating_sub(self.started);
        limiter.counters.0.waited(waited);
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let limiter = self.limiter;
        limiter.counters.0.cancelled();
        let slot = self.slot;
        let given_back = limiter.queues.cancel(slot, &self.ticket, |after, before| {
            limiter.roll_back(slot, after, before)
        });
        tracing::debug!(
            target: "resilience_runtime::rate_limit",
            name = limiter.name,
            keyed = matches!(slot, Slot::Key(_)),
            given_back,
            "rate limit waiter dropped before its permit"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    #[tokio::test(start_paused = true)]
    async fn burst_then_pacing() {
        let t0 = Instant::now();
        let rl = limiter(RateLimitConfig::new(Rate::per_second(5)).with_burst(3));
        let mut admitted = Vec::new();
        for _ in 0..6 {
            rl.acquire().await.unwrap();
            admitted.push(t0.elapsed());
        }
        assert_eq!(admitted, [0, 0, 0, 200, 400, 600].map(ms));
        let m = rl.metrics();
        assert_eq!((m.permitted, m.waited, m.rejected), (6, 3, 0));
        assert_eq!(m.total_wait, ms(600));
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_waiters_are_served_in_reserved_slots() {
        let t0 = Instant::now();
        let rl = Arc::new(limiter(
            RateLimitConfig::new(Rate::per_second(10)).with_burst(1),
        ));
        let tasks: Vec<_> = (0..5)
            .map(|_| {
                let rl = Arc::clone(&rl);
                tokio::spawn(async move {
                    rl.acquire().await.unwrap();
                    t0.elapsed()
                })
            })
            .collect();
        let mut admitted = Vec::new();
        for task in tasks {
            admitted.push(task.await.unwrap());
        }
        admitted.sort();
        assert_eq!(admitted, [0, 100, 200, 300, 400].map(ms));
        let m = rl.metrics();
        assert_eq!((m.permitted, m.waited), (5, 4));
        assert_eq!(m.total_wait, ms(100 + 200 + 300 + 400));
    }

    #[tokio::test(start_paused = true)]
    async fn dropped_waiter_gives_its_slot_back() {
        let t0 = Instant::now();
        let rl = limiter(RateLimitConfig::new(Rate::per_second(1)).with_burst(1));
        rl.acquire().await.unwrap();
        // Reserves the slot at 1s, then is dropped at 300ms.
        assert!(tokio::time::timeout(ms(300), rl.acquire()).await.is_err());
        assert_eq!(rl.metrics().cancelled, 1);
        // The next caller gets the given-back slot at 1s, not 2s.
        rl.acquire().await.unwrap();
        assert_eq!(t0.elapsed(), SEC);
        let m = rl.metrics();
        assert_eq!((m.permitted, m.waited, m.cancelled), (2, 1, 1));
        assert_eq!(m.total_wait, ms(700));
    }

    #[tokio::test(start_paused = true)]
    async fn dropped_waiters_give_back_newest_first() {
        let t0 = Instant::now();
        let rl = limiter(RateLimitConfig::new(Rate::per_second(1)).with_burst(1));
        rl.acquire().await.unwrap();
        let mut a = Box::pin(rl.acquire());
        let mut b = Box::pin(rl.acquire());
        // One poll each reserves their slots (1s, then 2s).
        assert!(
            tokio::time::timeout(Duration::ZERO, a.as_mut())
                .await
                .is_err()
        );
        assert!(
            tokio::time::timeout(Duration::ZERO, b.as_mut())
                .await
                .is_err()
        );
        drop(b);
        drop(a);
        rl.acquire().await.unwrap();
        assert_eq!(t0.elapsed(), SEC, "both slots were given back");
    }

    #[tokio::test(start_paused = true)]
    async fn dropped_waiter_in_the_middle_gives_its_slot_to_the_newest() {
        let t0 = Instant::now();
        let rl = limiter(RateLimitConfig::new(Rate::per_second(1)).with_burst(1));
        rl.acquire().await.unwrap();
        let mut a = Box::pin(rl.acquire());
        let mut b = Box::pin(async {
            rl.acquire().await.unwrap();
            t0.elapsed()
        });
        assert!(
            tokio::time::timeout(Duration::ZERO, a.as_mut())
                .await
                .is_err()
        );
        assert!(
            tokio::time::timeout(Duration::ZERO, b.as_mut())
                .await
                .is_err()
        );
        assert_eq!(rl.metrics().waiting, 2);
        // `a` (slot 1s) is dropped: `b` (slot 2s) moves up to 1s and the 2s slot is free again.
        drop(a);
        assert_eq!(b.await, SEC);
        rl.acquire().await.unwrap();
        assert_eq!(t0.elapsed(), 2 * SEC);
        let m = rl.metrics();
        assert_eq!((m.cancelled, m.waiting, m.permitted), (1, 0, 3));
    }

    #[tokio::test(start_paused = true)]
    async fn dropped_keyed_waiter_gives_its_slot_back() {
        let t0 = Instant::now();
        let rl = limiter(RateLimitConfig::new(Rate::per_second(1)).with_burst(1));
        rl.acquire_key("k").await.unwrap();
        assert!(
            tokio::time::timeout(ms(300), rl.acquire_key("k"))
                .await
                .is_err()
        );
        rl.acquire_key("k").await.unwrap();
        assert_eq!(t0.elapsed(), SEC);
    }

    #[tokio::test(start_paused = true)]
    async fn queue_mode_bounds_the_waiters() {
        let t0 = Instant::now();
        let rl = Arc::new(limiter(
            RateLimitConfig::new(Rate::per_second(10))
                .with_burst(1)
                .with_on_limit(OnLimit::Queue)
                .with_max_queue(2),
        ));
        rl.acquire().await.unwrap();
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let rl = Arc::clone(&rl);
                tokio::spawn(async move {
                    rl.acquire().await.unwrap();
                    t0.elapsed()
                })
            })
            .collect();
        tokio::task::yield_now().await;
        assert_eq!(rl.metrics().waiting, 2);
        // Two are waiting: the third is turned away at once, told when a permit frees up.
        assert_eq!(rejected(rl.acquire().await), Some(ms(300)));
        assert_eq!(t0.elapsed(), Duration::ZERO);
        let mut admitted = Vec::new();
        for waiter in waiters {
            admitted.push(waiter.await.unwrap());
        }
        assert_eq!(admitted, [ms(100), ms(200)]);
        // With the queue empty again, calls queue again.
        rl.acquire().await.unwrap();
        assert_eq!(t0.elapsed(), ms(300));
        let m = rl.metrics();
        assert_eq!((m.permitted, m.rejected, m.waited, m.waiting), (4, 1, 3, 0));
    }

    #[tokio::test(start_paused = true)]
    async fn queue_mode_also_honours_max_wait() {
        let rl = limiter(
            RateLimitConfig::new(Rate::per_second(1))
                .with_burst(1)
                .with_on_limit(OnLimit::Queue)
                .with_max_queue(10)
                .with_max_wait(ms(500)),
        );
        rl.acquire().await.unwrap();
        assert_eq!(rejected(rl.acquire().await), Some(SEC));
        let zero = limiter(
            RateLimitConfig::new(Rate::per_second(1))
                .with_burst(1)
                .with_on_limit(OnLimit::Queue)
                .with_max_queue(0),
        );
        zero.acquire().await.unwrap();
        assert_eq!(rejected(zero.acquire().await), Some(SEC));
    }

    /// Waiters are admitted in arrival order, each exactly at the time it was promised, while
    /// a greedy caller keeps trying to take permits without waiting: nobody overtakes them.
    #[tokio::test(start_paused = true)]
    async fn waiters_are_served_in_arrival_order_and_never_starved() {
        let t0 = Instant::now();
        let rl = Arc::new(limiter(
            RateLimitConfig::new(Rate::per_second(10))
                .with_burst(2)
                .with_max_wait(Duration::from_mins(1)),
        ));
        let order = Arc::new(Mutex::new(Vec::new()));
        let tasks: Vec<_> = (0..20u64)
            .map(|i| {
                let (rl, order) = (Arc::clone(&rl), Arc::clone(&order));
                tokio::spawn(async move {
                    // Arrivals 10ms apart, ten times faster than the rate.
                    tokio::time::sleep(ms(i * 10)).await;
                    rl.acquire().await.unwrap();
                    order.lock().unwrap().push((i, t0.elapsed()));
                })
            })
            .collect();
        let greedy = {
            let rl = Arc::clone(&rl);
            tokio::spawn(async move {
                tokio::time::sleep(ms(15)).await;
                loop {
                    if rl.try_acquire().is_ok() {
                        return t0.elapsed();
                    }
                    tokio::time::sleep(ms(1)).await;
                }
            })
        };
        for task in tasks {
            task.await.unwrap();
        }
        let order = order.lock().unwrap().clone();
        // The first two take the burst; then one every 100ms, in arrival order.
        let expected: Vec<(u64, Duration)> = (0..20)
            .map(|i| (i, if i < 2 { ms(i * 10) } else { ms((i - 1) * 100) }))
            .collect();
        assert_eq!(order, expected);
        // The greedy caller got its first permit only after every waiter had its own: the slot
        // after the last waiter's (1.8s).
        assert_eq!(greedy.await.unwrap(), ms(1_900));
        assert_eq!(rl.metrics().waiting, 0);
    }

    #[tokio::test(start_paused = true)]
    async fn cancelled_waiters_anywhere_in_the_queue_give_their_slots_back() {
        let t0 = Instant::now();
        let rl = Arc::new(limiter(
            RateLimitConfig::new(Rate::per_second(10))
                .with_burst(1)
                .with_max_wait(Duration::from_mins(1)),
        ));
        rl.acquire().await.unwrap();
        // Ten waiters for 100ms..1s; every other one is cancelled at 50ms.
        let mut kept = Vec::new();
        let mut cancelled = Vec::new();
        for i in 0..10 {
            let rl = Arc::clone(&rl);
            let task = tokio::spawn(async move {
                rl.acquire().await.unwrap();
                t0.elapsed()
            });
            tokio::task::yield_now().await;
            if i % 2 == 0 {
                cancelled.push(task);
            } else {
                kept.push(task);
            }
        }
        assert_eq!(rl.metrics().waiting, 10);
        tokio::time::advance(ms(50)).await;
        for task in &cancelled {
            task.abort();
        }
        for task in cancelled {
            assert!(task.await.unwrap_err().is_cancelled());
        }
        let m = rl.metrics();
        assert_eq!((m.waiting, m.cancelled), (5, 5));
        // The five left take the first five slots; the next newcomer gets the sixth.
        let mut admitted = Vec::new();
        for task in kept {
            admitted.push(task.await.unwrap());
        }
        admitted.sort();
        assert_eq!(admitted, [100, 200, 300, 400, 500].map(ms));
        rl.acquire().await.unwrap();
        assert_eq!(t0.elapsed(), ms(600));
    }

    #[tokio::test(start_paused = true)]
    async fn keyed_waiters_queue_per_key() {
        let t0 = Instant::now();
        let rl = limiter(
            RateLimitConfig::new(Rate::per_second(1))
                .with_burst(1)
                .with_on_limit(OnLimit::Queue)
                .with_max_queue(1),
        );
        rl.acquire_key("a").await.unwrap();
        rl.acquire_key("b").await.unwrap();
        let (a, b, a_again) = tokio::join!(
            async {
                rl.acquire_key("a").await.unwrap();
                t0.elapsed()
            },
            async {
                rl.acquire_key("b").await.unwrap();
                t0.elapsed()
            },
            async {
                tokio::task::yield_now().await;
                rl.acquire_key("a").await
            },
        );
        assert_eq!((a, b), (SEC, SEC));
        // "a" already had one waiter: the queue of "a" was full, that of "b" is separate.
        assert_eq!(rejected(a_again), Some(2 * SEC));
    }

    #[test]
    fn blocking_waiters_share_the_queue() {
        let rl = limiter(
            RateLimitConfig::new(Rate::per_second(200))
                .with_burst(1)
                .with_on_limit(OnLimit::Queue)
                .with_max_queue(8),
        );
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..3 {
                        rl.acquire_blocking().unwrap();
                    }
                });
            }
        });
        let m = rl.metrics();
        assert_eq!((m.permitted, m.rejected, m.waiting), (12, 0, 0));
    }

    /// A sync caller inside a paused runtime waits in real time instead of forever.
    #[test]
    fn blocking_waits_end_under_a_paused_clock() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        let _context = runtime.enter();
        let rl = limiter(RateLimitConfig::new(Rate::per_second(1000)).with_burst(1));
        for _ in 0..3 {
            rl.acquire_blocking().unwrap();
        }
        assert_eq!(rl.metrics().waited, 2);
    }

    /// Two hundred calls at once, many of them cancelled at various times while they wait:
    /// every cancelled reservation comes back, so the calls that stay are admitted in one
    /// unbroken run of slots, one every interval, and never faster.
    #[tokio::test(start_paused = true)]
    async fn cancellations_leave_no_holes_and_never_speed_up_the_rate() {
        const CALLS: u64 = 200;
        let t0 = Instant::now();
        let rl = Arc::new(limiter(
            RateLimitConfig::new(Rate::per_second(10))
                .with_burst(3)
                .with_max_wait(Duration::from_secs(10)),
        ));
        let tasks: Vec<_> = (0..CALLS)
            .map(|i| {
                let rl = Arc::clone(&rl);
                // Every other call gives up after a time spread over the first 1.5s.
                let patience = if i % 2 == 1 {
                    ms((i * 37) % 1_500)
                } else {
                    Duration::from_secs(60)
                };
                tokio::spawn(async move {
                    match tokio::time::timeout(patience, rl.acquire()).await {
                        Ok(Ok(())) => Some(t0.elapsed()),
                        Ok(Err(_)) | Err(_) => None,
                    }
                })
            })
            .collect();
        let mut admitted = Vec::new();
        for task in tasks {
            admitted.extend(task.await.unwrap());
        }
        admitted.sort();
        let m = rl.metrics();
        assert_eq!(m.waiting, 0);
        assert_eq!(m.permitted, admitted.len() as u64);
        assert_eq!(m.permitted + m.rejected + m.cancelled, CALLS);
        assert!(m.cancelled > 0 && m.rejected > 0);
        // The burst at once, then one every 100ms with no gap left by a cancelled waiter.
        let expected: Vec<Duration> = (0..admitted.len() as u64)
            .map(|k| ms(k.saturating_sub(2) * 100))
            .collect();
        assert_eq!(admitted, expected);
    }
}
