//! The cost of saying no: a call into an open breaker, an exhausted rate limit and a full
//! bulkhead, through the attributes (what a caller of the annotated fn pays, error conversion
//! included) next to the peers' rejections.
//!
//! ```text
//! cargo bench -p resilience-benches --bench rejections
//! ```

use std::hint::black_box;
use std::num::NonZeroU32;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use failsafe::CircuitBreaker as _;
use governor::{Quota, RateLimiter as Governor};
use resilience_benches::cpu_time::CpuTime;
use resilience_benches::observe;
use resilience_runtime::{Error, bulkhead, circuit_breaker, rate_limit, registry};
use tokio::sync::Semaphore;

const OPEN_FOR: Duration = Duration::from_secs(3600);

#[circuit_breaker(
    name = "bench-reject-breaker",
    failure_threshold = 1,
    recovery_timeout = "1h"
)]
fn breaker_call(fail: bool) -> Result<u64, Error> {
    if fail {
        Err(Error::timeout(Duration::ZERO))
    } else {
        Ok(black_box(1))
    }
}

#[rate_limit(
    name = "bench-reject-rate",
    rate = "1/h",
    burst = 1,
    on_limit = "reject"
)]
fn rate_limited_call() -> Result<u64, Error> {
    Ok(black_box(1))
}

#[bulkhead(name = "bench-reject-pool", max_concurrent = 1)]
fn bulkhead_call() -> Result<u64, Error> {
    Ok(black_box(1))
}

fn open_breaker(c: &mut Criterion<CpuTime>) {
    resilience_benches::clock_from_env();
    // One failure with a threshold of one: open for an hour, every call below is rejected
    // with the remaining open time as its hint.
    let _ = breaker_call(true);
    let mut group = c.benchmark_group("rejected/open_circuit_breaker");
    group.bench_function("resilience #[circuit_breaker] fn", |b| {
        b.iter(|| observe(breaker_call(false)));
    });
    let breaker = registry().circuit_breaker("bench-reject-breaker").unwrap();
    group.bench_function("resilience try_acquire", |b| {
        b.iter(|| observe(breaker.try_acquire()));
    });
    let failsafe = failsafe::Config::new()
        .failure_policy(failsafe::failure_policy::consecutive_failures(
            1,
            failsafe::backoff::constant(OPEN_FOR),
        ))
        .build();
    let _ = failsafe.call(|| Err::<(), ()>(()));
    group.bench_function("failsafe", |b| {
        b.iter(|| observe(failsafe.call(|| Ok::<_, ()>(black_box(1u64)))));
    });
    let recloser = recloser::Recloser::custom()
        .error_rate(0.5)
        .closed_len(1)
        .open_wait(OPEN_FOR)
        .build();
    for _ in 0..4 {
        let _ = recloser.call(|| Err::<(), ()>(()));
    }
    group.bench_function("recloser", |b| {
        b.iter(|| observe(recloser.call(|| Ok::<_, ()>(black_box(1u64)))));
    });
    group.finish();
}

fn exhausted_rate_limit(c: &mut Criterion<CpuTime>) {
    let _ = rate_limited_call();
    let mut group = c.benchmark_group("rejected/rate_limit");
    group.bench_function("resilience #[rate_limit] fn", |b| {
        b.iter(|| observe(rate_limited_call()));
    });
    let limiter = registry().rate_limiter("bench-reject-rate").unwrap();
    group.bench_function("resilience try_acquire", |b| {
        b.iter(|| observe(limiter.try_acquire()));
    });
    let governor = Governor::direct(Quota::per_hour(NonZeroU32::MIN));
    let _ = governor.check();
    group.bench_function("governor", |b| {
        b.iter(|| observe(governor.check()));
    });
    group.finish();
}

fn full_bulkhead(c: &mut Criterion<CpuTime>) {
    // One call creates the bulkhead; then its only slot is held for the whole group.
    let _ = bulkhead_call();
    let pool = registry().bulkhead("bench-reject-pool").unwrap();
    let _held = pool.try_acquire().unwrap();
    let mut group = c.benchmark_group("rejected/full_bulkhead");
    group.bench_function("resilience #[bulkhead] fn", |b| {
        b.iter(|| observe(bulkhead_call()));
    });
    group.bench_function("resilience try_acquire", |b| {
        b.iter(|| observe(pool.try_acquire()));
    });
    let semaphore = Semaphore::new(1);
    let _taken = semaphore.try_acquire().unwrap();
    group.bench_function("tokio_semaphore try_acquire", |b| {
        b.iter(|| observe(semaphore.try_acquire()));
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = resilience_benches::cpu_time::criterion();
    targets = open_breaker, exhausted_rate_limit, full_bulkhead
}
criterion_main!(benches);
