//! Closed-path overhead of a circuit breaker per call, for each trip model, next to `failsafe`
//! and `recloser` configured as closely as their models allow.
//!
//! `cargo bench -p resilience-benches --bench circuit_breaker -- --warm-up-time 1 --measurement-time 3`
//!
//! Every call succeeds, so each breaker stays closed: what is measured is the cost of asking
//! for permission and recording a success around a trivial body. `recloser` has one model (a
//! failure rate over a ring buffer of the last N calls), shown in every group as the reference;
//! `failsafe` has a consecutive-failure and a time-window success-rate model.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use failsafe::CircuitBreaker as _;
use resilience_benches::cpu_time::CpuTime;
use resilience_benches::observe;
use resilience_runtime::Error;
use resilience_runtime::circuit_breaker::{CircuitBreaker, CircuitBreakerConfig};

const OPEN_FOR: Duration = Duration::from_secs(60);

#[resilience_runtime::circuit_breaker(name = "bench-consecutive", failure_threshold = 5)]
fn attributed_consecutive(value: u64) -> Result<u64, Error> {
    Ok(black_box(value))
}

#[resilience_runtime::circuit_breaker(
    name = "bench-count-window",
    failure_rate = 50,
    window = 100,
    minimum_calls = 100
)]
fn attributed_count_window(value: u64) -> Result<u64, Error> {
    Ok(black_box(value))
}

#[resilience_runtime::circuit_breaker(
    name = "bench-time-window",
    failure_rate = 50,
    window = "60s",
    minimum_calls = 100
)]
fn attributed_time_window(value: u64) -> Result<u64, Error> {
    Ok(black_box(value))
}

/// Ours through the permit API.
fn permit_call(breaker: &CircuitBreaker, value: u64) -> Result<u64, Error> {
    let permit = breaker.try_acquire()?;
    let result = Ok(black_box(value));
    permit.record_success();
    result
}

fn recloser() -> recloser::Recloser {
    recloser::Recloser::custom()
        .error_rate(0.5)
        .closed_len(100)
        .open_wait(OPEN_FOR)
        .build()
}

fn closed_path(c: &mut Criterion<CpuTime>) {
    resilience_benches::clock_from_env();
    let recloser = recloser();
    let recloser_call = |value: u64| recloser.call(|| Ok::<_, ()>(black_box(value)));

    let mut group = c.benchmark_group("circuit_breaker_closed/consecutive");
    let ours = CircuitBreaker::new(
        "bench-consecutive-permit",
        CircuitBreakerConfig::new().with_failure_threshold(5),
    );
    group.bench_function("resilience permit", |b| {
        b.iter(|| observe(permit_call(&ours, black_box(1))));
    });
    group.bench_function("resilience #[circuit_breaker] fn", |b| {
        b.iter(|| observe(attributed_consecutive(black_box(1))));
    });
    let failsafe = failsafe::Config::new()
        .failure_policy(failsafe::failure_policy::consecutive_failures(
            5,
            failsafe::backoff::constant(OPEN_FOR),
        ))
        .build();
    group.bench_function("failsafe consecutive_failures", |b| {
        b.iter(|| observe(failsafe.call(|| Ok::<_, ()>(black_box(1u64)))));
    });
    group.bench_function("recloser (ring buffer of 100)", |b| {
        b.iter(|| observe(recloser_call(black_box(1))));
    });
    group.finish();

    let mut group = c.benchmark_group("circuit_breaker_closed/count_window");
    let ours = CircuitBreaker::new(
        "bench-count-window-permit",
        CircuitBreakerConfig::new()
            .with_failure_rate(50)
            .with_window_calls(100)
            .with_minimum_calls(100),
    );
    group.bench_function("resilience permit", |b| {
        b.iter(|| observe(permit_call(&ours, black_box(1))));
    });
    group.bench_function("resilience #[circuit_breaker] fn", |b| {
        b.iter(|| observe(attributed_count_window(black_box(1))));
    });
    group.bench_function("recloser (ring buffer of 100)", |b| {
        b.iter(|| observe(recloser_call(black_box(1))));
    });
    group.finish();

    let mut group = c.benchmark_group("circuit_breaker_closed/time_window");
    let ours = CircuitBreaker::new(
        "bench-time-window-permit",
        CircuitBreakerConfig::new()
            .with_failure_rate(50)
            .with_window_duration(Duration::from_secs(60))
            .with_minimum_calls(100),
    );
    group.bench_function("resilience permit", |b| {
        b.iter(|| observe(permit_call(&ours, black_box(1))));
    });
    group.bench_function("resilience #[circuit_breaker] fn", |b| {
        b.iter(|| observe(attributed_time_window(black_box(1))));
    });
    let failsafe = failsafe::Config::new()
        .failure_policy(failsafe::failure_policy::success_rate_over_time_window(
            0.5,
            100,
            Duration::from_secs(60),
            failsafe::backoff::constant(OPEN_FOR),
        ))
        .build();
    group.bench_function("failsafe success_rate_over_time_window", |b| {
        b.iter(|| observe(failsafe.call(|| Ok::<_, ()>(black_box(1u64)))));
    });
    group.bench_function("recloser (ring buffer of 100)", |b| {
        b.iter(|| observe(recloser_call(black_box(1))));
    });
    // The floor under any time window: one read of the clock the runtime keeps time with.
    group.bench_function("reference: one tokio::time::Instant::now()", |b| {
        b.iter(tokio::time::Instant::now);
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = resilience_benches::cpu_time::criterion();
    targets = closed_path
}
criterion_main!(benches);
