//! Slot counting, the lock-free part of a bulkhead: taking a slot is one compare-and-swap loop
//! on the count in flight, giving it back one decrement (and a wake-up only when someone
//! waits). The loom models at the bottom check it under every interleaving of a few threads
//! (`RUSTFLAGS="--cfg loom" cargo test -p resilience-runtime --release --lib loom`).

use crate::base::{clock, kill_switch};

use super::adaptive::drawn;
use super::handle::{Bulkhead, PERMITTED};
use super::limit::STATIC;
use super::permit::{BulkheadPermit, Started};
use super::sync::{RELAXED, SEQ};

// The slot counter and the waiter counters form a Dekker-style handshake (a releaser writes
// the slot counter then reads a waiter counter; a waiter writes its waiter counter then reads
// the slot counter), which needs sequential consistency to rule out both sides missing each
// other. On x86 and ARMv8 SeqCst loads and RMWs cost the same as Acquire/AcqRel ones.

impl Bulkhead {
    /// The lock-free fast path: claims a slot with a CAS loop if the count is below the limit
    /// (an adaptive bulkhead's too: its algorithm publishes the limit in the same atomic).
    #[inline(always)]
    pub(super) fn try_take(&self) -> Option<BulkheadPermit<'_>> {
        // The kill switch lifts the limit but keeps the count, so that releasing it leaks
        // nothing.
        let max = if kill_switch::engaged() {
            usize::MAX
        } else {
            self.limit.load(SEQ)
        };
        let mut current = self.in_flight.load(SEQ);
        loop {
            if current >= max {
                return None;
            }
            match self
                .in_flight
                .compare_exchange_weak(current, current + 1, SEQ, SEQ)
            {
                Ok(_) => break,
                Err(actual) => current = actual,
            }
        }
        self.counted.bump(PERMITTED);
        let now = current + 1;
        // Read first: the peak rarely changes, and a plain load keeps the cache line shared.
        if now > self.peak.load(RELAXED) {
            self.peak.fetch_max(now, RELAXED);
        }
        // An adaptive bulkhead times the call, or one in a few when calls come fast
        // (`adaptive/sampling.rs`): one relaxed load decides, a static one reads no clock.
        let started = if self.algorithm.load(RELAXED) == STATIC {
            None
        } else {
            let weight = self.sample_stride.load(RELAXED);
            drawn(weight).then(|| Started {
                at: clock::now(),
                in_flight: now,
                weight,
            })
        };
        Some(BulkheadPermit {
            bulkhead: self,
            started,
        })
    }

    /// Gives a slot back, and hands it to a waiter if anyone waits.
    #[inline(always)]
    pub(super) fn release(&self) {
        self.in_flight.fetch_sub(1, SEQ);
        if self.async_waiters.load(SEQ) != 0 || self.blocking_waiters.load(SEQ) != 0 {
            self.wake_a_waiter();
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize};

    use super::super::test_support::*;
    use super::*;

    #[test]
    fn rejects_when_full_and_releases_on_drop() {
        let b = bulkhead(2, Duration::ZERO);
        let p1 = b.try_acquire().unwrap();
        let p2 = b.try_acquire().unwrap();
        assert_eq!(b.in_flight(), 2);
        assert_eq!(
            b.try_acquire().unwrap_err(),
            Error::bulkhead_full("test", 2)
        );
        drop(p1);
        assert_eq!(b.in_flight(), 1);
        let p3 = b.try_acquire().unwrap();
        assert_eq!(p3.bulkhead().name(), "test");
        drop((p2, p3));
        let m = b.metrics();
        assert_eq!(
            (
                m.permitted,
                m.rejected,
                m.in_flight,
                m.peak_in_flight,
                m.waiting
            ),
            (3, 1, 0, 2, 0)
        );
        let json = serde_json::to_value(b.snapshot()).unwrap();
        assert_eq!(json["name"], "test");
        assert_eq!(json["config"]["max_concurrent"], 2);
        assert_eq!(json["metrics"]["rejected"], 1);
    }

    /// Async tasks (waiting, failing fast, and cancelled mid-wait) and blocking threads hammer
    /// one bulkhead; the observed concurrency never exceeds the limit and everything drains.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn stress_never_exceeds_the_limit() {
        const MAX: usize = 3;
        const ROUNDS: usize = 500;
        let b = Arc::new(bulkhead(MAX, Duration::from_secs(60)));
        let inside = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let admitted = Arc::new(AtomicU64::new(0));
        let exceeded = Arc::new(AtomicBool::new(false));
        let fast_rejections = Arc::new(AtomicU64::new(0));
        let enter = {
            let (inside, peak, admitted, exceeded) = (
                inside.clone(),
                peak.clone(),
                admitted.clone(),
                exceeded.clone(),
            );
            move || {
                let now = inside.fetch_add(1, SEQ) + 1;
                peak.fetch_max(now, SEQ);
                admitted.fetch_add(1, SEQ);
                if now > MAX {
                    exceeded.store(true, SEQ);
                }
            }
        };
        let leave = {
            let inside = inside.clone();
            move || {
                inside.fetch_sub(1, SEQ);
            }
        };

        let mut tasks = Vec::new();
        for task in 0..8 {
            let (b, enter, leave) = (b.clone(), enter.clone(), leave.clone());
            let fast_rejections = fast_rejections.clone();
            tasks.push(tokio::spawn(async move {
                for round in 0..ROUNDS {
                    let permit = match (task + round) % 4 {
                        0 => b
                            .try_acquire()
                            .inspect_err(|_| {
                                fast_rejections.fetch_add(1, SEQ);
                            })
                            .ok(),
                        // Cancelled (or not) while waiting: must leave no trace.
                        1 => tokio::time::timeout(Duration::from_micros(20), b.acquire())
                            .await
                            .ok()
                            .map(|acquired| acquired.unwrap()),
                        _ => Some(b.acquire().await.unwrap()),
                    };
                    if let Some(_permit) = permit {
                        enter();
                        tokio::task::yield_now().await;
                        leave();
                    }
                }
            }));
        }
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let (b, enter, leave) = (b.clone(), enter.clone(), leave.clone());
                std::thread::spawn(move || {
                    for _ in 0..ROUNDS {
                        let _permit = b.acquire_blocking().unwrap();
                        enter();
                        std::thread::yield_now();
                        leave();
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        for thread in threads {
            thread.join().unwrap();
        }

        assert!(!exceeded.load(SEQ));
        let m = b.metrics();
        assert!(peak.load(SEQ) <= MAX && m.peak_in_flight <= MAX);
        assert!(m.peak_in_flight >= peak.load(SEQ));
        assert_eq!((m.in_flight, m.waiting), (0, 0));
        // Only `try_acquire` rejects: waits are long, and cancelled waits count as nothing.
        assert_eq!(m.rejected, fast_rejections.load(SEQ));
        assert_eq!(m.permitted, admitted.load(SEQ));
        assert!(admitted.load(SEQ) >= (2 * ROUNDS) as u64);
        assert_eq!(inside.load(SEQ), 0);
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    //! Loom models of the bulkhead's slot counting: every interleaving of a few threads acquiring,
    //! releasing and resizing.
    //!
    //! Run with `RUSTFLAGS="--cfg loom" cargo test -p resilience-runtime --release --lib loom`.
    //! The models use the lock-free paths only (`try_acquire`, a permit's drop,
    //! `set_max_concurrent`); waiting parks on tokio's `Notify`, which loom does not model.

    use std::sync::Arc;

    use loom::sync::atomic::AtomicUsize;
    use loom::thread;

    use super::super::BulkheadConfig;
    use super::*;
    use crate::base::loom_support::count_admitted;

    /// A model whose threads are preempted at most three times: these models have two or three
    /// threads of six to ten atomic steps, and bounding the preemptions keeps each to seconds
    /// while still covering every placement of up to three context switches.
    fn bounded() -> loom::model::Builder {
        let mut model = loom::model::Builder::new();
        model.preemption_bound = Some(3);
        model
    }

    fn shared(max_concurrent: usize) -> Arc<Bulkhead> {
        Arc::new(Bulkhead::new("loom", BulkheadConfig::new(max_concurrent)))
    }

    /// Takes a slot and holds it while counting the holders, then gives it back; true if admitted.
    fn hold_once(bulkhead: &Bulkhead, holders: &AtomicUsize, max: usize) -> bool {
        let Ok(permit) = bulkhead.try_acquire() else {
            return false;
        };
        let inside = holders.fetch_add(1, SEQ) + 1;
        assert!(inside <= max, "{inside} holders of {max} slots");
        holders.fetch_sub(1, SEQ);
        drop(permit);
        true
    }

    #[test]
    fn loom_concurrent_acquires_never_exceed_max_concurrent() {
        bounded().check(|| {
            let bulkhead = shared(2);
            let holders = Arc::new(AtomicUsize::new(0));
            let admitted = count_admitted(3, |_| {
                let (bulkhead, holders) = (Arc::clone(&bulkhead), Arc::clone(&holders));
                move || hold_once(&bulkhead, &holders, 2)
            });
            // Two always fit; the third only if a slot was free by then.
            assert!((2..=3).contains(&admitted));
            let metrics = bulkhead.metrics();
            assert!(metrics.peak_in_flight <= 2);
            assert_eq!(metrics.permitted, admitted as u64);
            assert_eq!(metrics.rejected, 3 - admitted as u64);
            assert_eq!(bulkhead.in_flight(), 0);
        });
    }

    #[test]
    fn loom_every_release_is_counted() {
        bounded().check(|| {
            let bulkhead = shared(2);
            let threads: Vec<_> = (0..2)
                .map(|_| {
                    let bulkhead = Arc::clone(&bulkhead);
                    thread::spawn(move || {
                        for _ in 0..2 {
                            drop(bulkhead.try_acquire().expect("two slots for two threads"));
                        }
                    })
                })
                .collect();
            for thread in threads {
                thread.join().unwrap();
            }
            assert_eq!(bulkhead.in_flight(), 0);
            assert_eq!(bulkhead.metrics().permitted, 4);
            // Both slots are free again.
            let both = (
                bulkhead.try_acquire().unwrap(),
                bulkhead.try_acquire().unwrap(),
            );
            assert!(bulkhead.try_acquire().is_err());
            drop(both);
        });
    }

    #[test]
    fn loom_shrinking_while_permits_are_held_leaks_nothing() {
        loom::model(|| {
            let bulkhead = shared(2);
            let first = bulkhead.try_acquire().expect("first slot");
            let second = bulkhead.try_acquire().expect("second slot");
            let shrinker = {
                let bulkhead = Arc::clone(&bulkhead);
                thread::spawn(move || bulkhead.set_max_concurrent(1))
            };
            let taker = {
                let bulkhead = Arc::clone(&bulkhead);
                // Admitted only between the release below and the shrink: 1 in flight < 2.
                thread::spawn(move || bulkhead.try_acquire().map(drop).is_ok())
            };
            drop(first);
            shrinker.join().unwrap();
            let took = taker.join().unwrap();
            assert!(bulkhead.metrics().peak_in_flight <= 2);
            assert_eq!(bulkhead.in_flight(), 1, "only `second` is still held");
            // At the new limit: no slot until `second` goes.
            assert!(bulkhead.try_acquire().is_err());
            drop(second);
            assert_eq!(bulkhead.in_flight(), 0);
            let only = bulkhead.try_acquire().expect("one slot at the new limit");
            assert!(bulkhead.try_acquire().is_err());
            drop(only);
            assert_eq!(
                bulkhead.metrics().permitted,
                3 + u64::from(took),
                "every permit handed out was counted"
            );
        });
    }
}
