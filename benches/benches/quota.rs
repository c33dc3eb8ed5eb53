//! Cost per quota decision: `#[quota]`'s `Quota` (fixed and sliding windows) next to our rate
//! limit and `governor`, unkeyed and per key, admitting and rejecting.
//!
//! ```sh
//! cargo bench -p resilience-benches --bench quota
//! ```
//!
//! A fixed window's decision is the clock, a check that the call falls in the window calls last
//! fell in (a multiplication made while the clock is read) and one compare-and-swap; a sliding
//! one's is a compare-and-swap on what the last locked decision set aside for the calls of its
//! phase, the lock on the 32 buckets taken once per phase (a thirty-first of the period or
//! less), and a rejection reads a note without the lock. Figures are in BENCHMARKS.md.

use std::num::NonZeroU32;

use criterion::{Criterion, criterion_group, criterion_main};
use governor::{Quota as GovernorQuota, RateLimiter as Governor};
use resilience_benches::cpu_time::CpuTime;
use resilience_benches::observe;
use resilience_runtime::quota::{Quota, QuotaConfig, QuotaLimit, QuotaWindow};
use resilience_runtime::rate_limit::{OnLimit, Rate, RateLimitConfig, RateLimiter};

const KEYS: usize = 1_000;

fn keys() -> Vec<String> {
    (0..KEYS).map(|i| format!("client-{i}")).collect()
}

/// A quota never used up while benchmarking.
fn open(window: QuotaWindow) -> QuotaConfig {
    QuotaConfig::new(QuotaLimit::per_day(u32::MAX)).with_window(window)
}

/// A quota always used up: every decision is a rejection.
fn closed(window: QuotaWindow) -> QuotaConfig {
    QuotaConfig::new(QuotaLimit::per_day(1)).with_window(window)
}

fn direct(c: &mut Criterion<CpuTime>) {
    resilience_benches::clock_from_env();
    let mut group = c.benchmark_group("quota/direct");
    for (window, name) in [
        (QuotaWindow::Fixed, "fixed"),
        (QuotaWindow::Sliding, "sliding"),
    ] {
        let ours = Quota::new("bench-quota", open(window));
        group.bench_function(format!("resilience {name}/admitted"), |b| {
            b.iter(|| observe(ours.try_acquire()));
        });
        let ours = Quota::new("bench-quota-closed", closed(window));
        let _ = ours.try_acquire();
        group.bench_function(format!("resilience {name}/rejected"), |b| {
            b.iter(|| observe(ours.try_acquire()));
        });
    }
    let limit = RateLimiter::new(
        "bench-quota-rate",
        RateLimitConfig::new(Rate::per_second(u32::MAX))
            .with_burst(u32::MAX)
            .with_on_limit(OnLimit::Reject),
    );
    group.bench_function("resilience rate limit/admitted", |b| {
        b.iter(|| observe(limit.try_acquire()));
    });
    let governor =
        Governor::direct(GovernorQuota::per_second(NonZeroU32::MAX).allow_burst(NonZeroU32::MAX));
    group.bench_function("governor/admitted", |b| {
        b.iter(|| observe(governor.check()));
    });
    group.finish();
}

fn keyed(c: &mut Criterion<CpuTime>) {
    let keys = keys();
    let mut group = c.benchmark_group("quota/keyed");
    let mut i = 0;
    for (window, name) in [
        (QuotaWindow::Fixed, "fixed"),
        (QuotaWindow::Sliding, "sliding"),
    ] {
        let ours = Quota::new("bench-quota-keyed", open(window));
        group.bench_function(format!("resilience {name}/admitted/1000 keys"), |b| {
            b.iter(|| {
                i = (i + 1) % KEYS;
                observe(ours.try_acquire_key(keys[i].as_str()))
            });
        });
        let ours = Quota::new("bench-quota-keyed-closed", closed(window));
        for key in &keys {
            let _ = ours.try_acquire_key(key.as_str());
        }
        group.bench_function(format!("resilience {name}/rejected/1000 keys"), |b| {
            b.iter(|| {
                i = (i + 1) % KEYS;
                observe(ours.try_acquire_key(keys[i].as_str()))
            });
        });
    }
    let limit = RateLimiter::new(
        "bench-quota-rate-keyed",
        RateLimitConfig::new(Rate::per_second(u32::MAX))
            .with_burst(u32::MAX)
            .with_on_limit(OnLimit::Reject),
    );
    group.bench_function("resilience rate limit/admitted/1000 keys", |b| {
        b.iter(|| {
            i = (i + 1) % KEYS;
            observe(limit.try_acquire_key(keys[i].as_str()))
        });
    });
    let governor =
        Governor::keyed(GovernorQuota::per_second(NonZeroU32::MAX).allow_burst(NonZeroU32::MAX));
    group.bench_function("governor/admitted/1000 keys", |b| {
        b.iter(|| {
            i = (i + 1) % KEYS;
            observe(governor.check_key(&keys[i]))
        });
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = resilience_benches::cpu_time::criterion();
    targets = direct, keyed
}
criterion_main!(benches);
