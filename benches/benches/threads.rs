//! Two threads on one shared instance against one thread: does the happy path scale, or do
//! the threads fight over a cache line?
//!
//! ```text
//! cargo bench -p resilience-benches --bench threads
//! ```
//!
//! Each sample runs `iters` calls on every thread at once and reports the wall time, so the
//! figure is the time per call *per thread*: equal figures for one and two threads mean twice
//! the throughput. A shared rate limit, an unkeyed quota and a bulkhead cannot scale this way
//! (every permit moves one shared state: a rate, a count, the calls in flight; in the peers as
//! in ours); they are shown for the record. A keyed rate limit or quota whose threads call with
//! keys of their own writes no line another thread writes, and should scale as the breaker does.

use std::cell::Cell;
use std::hint::black_box;
use std::num::NonZeroU32;
use std::sync::Barrier;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use failsafe::CircuitBreaker as _;
use governor::{Quota, RateLimiter as Governor};
use resilience_runtime::quota::{Quota as OurQuota, QuotaConfig, QuotaLimit};
use resilience_runtime::rate_limit::{OnLimit, Rate, RateLimitConfig, RateLimiter};
use resilience_runtime::{Error, bulkhead, circuit_breaker, rate_limit};

#[circuit_breaker(name = "bench-threads-breaker", failure_threshold = 5)]
fn breaker_call(value: u64) -> Result<u64, Error> {
    Ok(black_box(value))
}

#[rate_limit(
    name = "bench-threads-rate",
    rate = "1000000000/s",
    burst = 1000000000,
    on_limit = "reject"
)]
fn rate_limited_call(value: u64) -> Result<u64, Error> {
    Ok(black_box(value))
}

#[bulkhead(name = "bench-threads-bulkhead", max_concurrent = 64)]
fn bulkhead_call(value: u64) -> Result<u64, Error> {
    Ok(black_box(value))
}

static SEMAPHORE: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(64);

/// Keys of this thread's own: the thread's number times a thousand, plus up to 1 000.
fn own_key(i: u64) -> u64 {
    static THREADS: AtomicU64 = AtomicU64::new(0);
    thread_local! {
        static THREAD: Cell<u64> = Cell::new(THREADS.fetch_add(1, Ordering::Relaxed));
    }
    THREAD.with(Cell::get) * 1_000 + i % 1_000
}

/// Runs `call` `iters` times on each of `threads` threads, started together; the wall time.
fn on_threads(threads: usize, iters: u64, call: &(impl Fn(u64) + Sync)) -> Duration {
    let start = Barrier::new(threads + 1);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                start.wait();
                for i in 0..iters {
                    call(i);
                }
            });
        }
        start.wait();
        let started = Instant::now();
        // Leaving the scope joins every thread.
        started
    })
    .elapsed()
}

fn compare(c: &mut Criterion, group: &str, contenders: &[(&str, &(dyn Fn(u64) + Sync))]) {
    let mut group = c.benchmark_group(group);
    for (name, call) in contenders {
        for threads in [1, 2] {
            group.bench_function(format!("{name}/{threads} thread(s)"), |b| {
                b.iter_custom(|iters| on_threads(threads, iters, call));
            });
        }
    }
    group.finish();
}

fn shared_breaker(c: &mut Criterion) {
    resilience_benches::clock_from_env();
    let failsafe = failsafe::Config::new()
        .failure_policy(failsafe::failure_policy::consecutive_failures(
            5,
            failsafe::backoff::constant(Duration::from_secs(60)),
        ))
        .build();
    let recloser = recloser::Recloser::custom()
        .error_rate(0.5)
        .closed_len(100)
        .open_wait(Duration::from_secs(60))
        .build();
    compare(
        c,
        "threads/shared_circuit_breaker",
        &[
            ("resilience", &|i| {
                let _ = black_box(breaker_call(i));
            }),
            ("failsafe", &|i| {
                let _ = black_box(failsafe.call(|| Ok::<_, ()>(black_box(i))));
            }),
            ("recloser", &|i| {
                let _ = black_box(recloser.call(|| Ok::<_, ()>(black_box(i))));
            }),
        ],
    );
}

fn shared_rate_limit(c: &mut Criterion) {
    let governor =
        Governor::direct(Quota::per_second(NonZeroU32::MAX).allow_burst(NonZeroU32::MAX));
    let keyed = RateLimiter::new(
        "bench-threads-rate-keyed",
        RateLimitConfig::new(Rate::per_second(u32::MAX))
            .with_burst(u32::MAX)
            .with_on_limit(OnLimit::Reject)
            .with_max_keys(100_000),
    );
    let governor_keyed =
        Governor::keyed(Quota::per_second(NonZeroU32::MAX).allow_burst(NonZeroU32::MAX));
    compare(
        c,
        "threads/shared_rate_limit",
        &[
            ("resilience", &|i| {
                let _ = black_box(rate_limited_call(i));
            }),
            ("governor", &|_| {
                let _ = black_box(governor.check());
            }),
            ("resilience keyed, own keys", &|i| {
                let _ = black_box(keyed.try_acquire_key(&own_key(i)));
            }),
            ("governor keyed, own keys", &|i| {
                let _ = black_box(governor_keyed.check_key(&own_key(i)));
            }),
        ],
    );
}

fn shared_quota(c: &mut Criterion) {
    let unkeyed = OurQuota::new(
        "bench-threads-quota",
        QuotaConfig::new(QuotaLimit::per_day(u32::MAX)),
    );
    let keyed = OurQuota::new(
        "bench-threads-quota-keyed",
        QuotaConfig::new(QuotaLimit::per_day(u32::MAX)).with_max_keys(100_000),
    );
    let governor =
        Governor::direct(Quota::per_second(NonZeroU32::MAX).allow_burst(NonZeroU32::MAX));
    let governor_keyed =
        Governor::keyed(Quota::per_second(NonZeroU32::MAX).allow_burst(NonZeroU32::MAX));
    compare(
        c,
        "threads/shared_quota",
        &[
            ("resilience fixed", &|_| {
                let _ = black_box(unkeyed.try_acquire());
            }),
            ("governor", &|_| {
                let _ = black_box(governor.check());
            }),
            ("resilience fixed, own keys", &|i| {
                let _ = black_box(keyed.try_acquire_key(&own_key(i)));
            }),
            ("governor keyed, own keys", &|i| {
                let _ = black_box(governor_keyed.check_key(&own_key(i)));
            }),
        ],
    );
}

fn shared_bulkhead(c: &mut Criterion) {
    compare(
        c,
        "threads/shared_bulkhead",
        &[
            ("resilience", &|i| {
                let _ = black_box(bulkhead_call(i));
            }),
            ("tokio semaphore", &|i| {
                let _permit = SEMAPHORE.try_acquire();
                black_box(i);
            }),
        ],
    );
}

criterion_group!(
    benches,
    shared_breaker,
    shared_rate_limit,
    shared_quota,
    shared_bulkhead
);
criterion_main!(benches);
