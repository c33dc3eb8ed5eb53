//! Unit tests of [`RateLimiter`](super::RateLimiter), on tokio's paused clock.

use super::*;
use crate::base::named::Named;
use std::sync::Barrier;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::time::Instant;

const SEC: Duration = Duration::from_secs(1);

const fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn limiter(config: RateLimitConfig) -> RateLimiter {
    RateLimiter::new("test", config)
}

/// The `retry_after` of a rejection by the limiter named "test".
fn rejected(result: Result<(), Error>) -> Option<Duration> {
    match result {
        Err(Error::RateLimited {
            name: "test",
            retry_after,
        }) => retry_after,
        other => panic!("expected a rate-limit rejection, got {other:?}"),
    }
}

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
async fn keyed_limits_are_independent() {
    let t0 = Instant::now();
    let rl = limiter(RateLimitConfig::new(Rate::per_second(1)).with_burst(1));
    rl.try_acquire_key("alice").unwrap();
    assert_eq!(rejected(rl.try_acquire_key("alice")), Some(SEC));
    rl.try_acquire_key(&String::from("bob")).unwrap();
    rl.try_acquire().unwrap();
    assert_eq!(rl.metrics().tracked_keys, 2);

    let (alice, bob, carol) = tokio::join!(
        async {
            rl.acquire_key("alice").await.unwrap();
            t0.elapsed()
        },
        async {
            rl.acquire_key("bob").await.unwrap();
            t0.elapsed()
        },
        async {
            rl.acquire_key(&("carol", 7)).await.unwrap();
            t0.elapsed()
        },
    );
    assert_eq!((alice, bob, carol), (SEC, SEC, Duration::ZERO));
    assert_eq!(rl.metrics().tracked_keys, 3);
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
async fn keys_stay_bounded() {
    let rl = limiter(
        RateLimitConfig::new(Rate::per_second(1))
            .with_burst(1)
            .with_max_keys(8),
    );
    // All keys busy: once full, every new key evicts one, and is itself admitted.
    for i in 0..80u32 {
        rl.try_acquire_key(&i).unwrap();
        assert_eq!(rl.metrics().tracked_keys, (i as usize + 1).min(8));
    }
    // Keys turning idle as time passes: sweeps drop them, the bound holds throughout.
    for i in 80..160u32 {
        rl.try_acquire_key(&i).unwrap();
        assert!(rl.metrics().tracked_keys <= 8);
        if i % 3 == 0 {
            tokio::time::advance(ms(400)).await;
        }
    }
    // The latest key is tracked: still limited, 400ms into its 1s interval.
    assert_eq!(rejected(rl.try_acquire_key(&159u32)), Some(ms(600)));
}

#[tokio::test(start_paused = true)]
async fn recovered_keys_are_evicted_before_busy_ones() {
    let rl = limiter(
        RateLimitConfig::new(Rate::per_second(1))
            .with_burst(1)
            .with_max_keys(8),
    );
    rl.try_acquire_key("hot").unwrap();
    tokio::time::advance(ms(500)).await;
    for i in 0..7u32 {
        rl.try_acquire_key(&i).unwrap();
    }
    tokio::time::advance(ms(1_200)).await; // keys 0..7 have recovered, "hot" has too
    rl.try_acquire_key("hot").unwrap(); // busy again
    for i in 100..107u32 {
        rl.try_acquire_key(&i).unwrap(); // full: recovered keys make room
    }
    assert_eq!(rl.metrics().tracked_keys, 8);
    // "hot" kept its state.
    assert_eq!(rejected(rl.try_acquire_key("hot")), Some(SEC));
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

#[test]
fn blocking_variant_outside_a_runtime() {
    let rl = limiter(RateLimitConfig::new(Rate::per_second(1000)).with_burst(1));
    // The second call of each pair waits about a millisecond of real time.
    rl.acquire_blocking().unwrap();
    rl.acquire_blocking().unwrap();
    rl.acquire_key_blocking("k").unwrap();
    rl.acquire_key_blocking("k").unwrap();
    assert_eq!(rl.metrics().permitted, 4);

    let strict = limiter(
        RateLimitConfig::new(Rate::per_second(1))
            .with_burst(1)
            .with_max_wait(ms(10)),
    );
    strict.acquire_blocking().unwrap();
    let retry_after = rejected(strict.acquire_blocking()).unwrap();
    assert!(retry_after > ms(10) && retry_after <= SEC);
    strict.acquire_key_blocking(&1).unwrap();
    assert!(rejected(strict.acquire_key_blocking(&1)).is_some());

    let reject = limiter(RateLimitConfig::new(Rate::per_second(1)).with_on_limit(OnLimit::Reject));
    reject.acquire_blocking().unwrap();
    assert!(rejected(reject.acquire_blocking()).is_some());
}

#[test]
fn futures_are_send_even_for_non_sync_keys() {
    fn assert_send<T: Send>(_: &T) {}
    let rl = limiter(RateLimitConfig::new(Rate::per_second(1)));
    assert_send(&rl.acquire());
    let key = std::rc::Rc::<str>::from("not sync");
    let future = rl.acquire_key(&key);
    drop(key); // the future does not borrow the key
    assert_send(&future);
}

#[test]
fn snapshot_and_registry_trait() {
    let config = RateLimitConfig::new(Rate::per_minute(60)).with_on_limit(OnLimit::Reject);
    let rl = RateLimiter::create("api", config);
    assert_eq!(RateLimiter::KIND, "rate_limiter");
    assert_eq!(rl.config(), config);
    assert_eq!(rl.name(), "api");
    rl.try_acquire().unwrap();
    let snapshot = rl.snapshot();
    assert_eq!(snapshot.metrics.permitted, 1);
    let json = serde_json::to_value(&snapshot).unwrap();
    assert_eq!(json["name"], "api");
    assert_eq!(json["config"]["rate"], "60/min");
    assert_eq!(json["config"]["on_limit"], "reject");
    assert_eq!(json["metrics"]["permitted"], 1);
    assert_eq!(json["metrics"]["tracked_keys"], 0);
    assert_eq!(json["backend"], serde_json::Value::Null);
    assert!(format!("{rl:?}").contains("\"api\""));
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

#[tokio::test(start_paused = true)]
async fn set_rate_keeps_the_state_and_applies_from_the_next_permit() {
    let rl = limiter(
        RateLimitConfig::new(Rate::per_second(1))
            .with_burst(1)
            .with_on_limit(OnLimit::Reject),
    );
    rl.try_acquire().unwrap();
    rl.try_acquire_key("k").unwrap();
    rl.set_rate(Rate::per_second(10));
    // The state is kept: the limit recovers when it would have (1s from now).
    assert_eq!(rejected(rl.try_acquire()), Some(SEC));
    assert_eq!(rejected(rl.try_acquire_key("k")), Some(SEC));
    tokio::time::advance(SEC).await;
    // From the next permit on, permits come at the new rate.
    rl.try_acquire().unwrap();
    assert_eq!(rejected(rl.try_acquire()), Some(ms(100)));
    rl.try_acquire_key("k").unwrap();
    assert_eq!(rejected(rl.try_acquire_key("k")), Some(ms(100)));

    // One permit of the new burst of three is in use: two are left.
    rl.set_burst(3);
    let burst = (0..10).take_while(|_| rl.try_acquire().is_ok()).count();
    assert_eq!(burst, 2);
    tokio::time::advance(SEC).await;
    let burst = (0..10).take_while(|_| rl.try_acquire().is_ok()).count();
    assert_eq!(burst, 3);
    let config = rl.config();
    assert_eq!((config.rate(), config.burst()), (Rate::per_second(10), 3));
    assert_eq!(rl.snapshot().config.burst(), 3);

    rl.set_burst(0);
    assert_eq!(rejected(rl.try_acquire()), None);
}

#[tokio::test(start_paused = true)]
async fn set_rate_while_calls_wait_keeps_their_times() {
    let t0 = Instant::now();
    let rl = Arc::new(limiter(
        RateLimitConfig::new(Rate::per_second(1)).with_burst(1),
    ));
    rl.acquire().await.unwrap();
    let waiter = {
        let rl = Arc::clone(&rl);
        tokio::spawn(async move {
            rl.acquire().await.unwrap();
            t0.elapsed()
        })
    };
    tokio::task::yield_now().await;
    rl.set_rate(Rate::per_second(100));
    // The waiter keeps its permit time; the limit recovers when its state says (2s, the end
    // of the waiter's slot at the old rate), then permits come at the new rate.
    assert_eq!(waiter.await.unwrap(), SEC);
    rl.acquire().await.unwrap();
    assert_eq!(t0.elapsed(), 2 * SEC);
    rl.acquire().await.unwrap();
    assert_eq!(t0.elapsed(), ms(2_010));
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
