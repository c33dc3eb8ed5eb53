//! Memory per instance: what one breaker, limiter and bulkhead take (the struct plus what it
//! allocates), and what each key of a keyed limiter adds. Measured with a counting allocator;
//! prints a table (no timing).
//!
//! ```text
//! cargo bench -p resilience-benches --bench memory
//! ```

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::mem::size_of;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Duration;

use resilience_runtime::bulkhead::{Bulkhead, BulkheadConfig};
use resilience_runtime::circuit_breaker::{CircuitBreaker, CircuitBreakerConfig};
use resilience_runtime::hedge::{Hedge, HedgeConfig, HedgeDelay, Percentile};
use resilience_runtime::rate_limit::{Rate, RateLimitConfig, RateLimiter};

/// A body with nothing to do, bare and under five layers: what the layers add to the size
/// of the future a call returns (it lives in the caller's task).
async fn bare() -> Result<u64, resilience_runtime::Error> {
    Ok(black_box(1))
}

#[resilience_runtime::circuit_breaker(name = "m-stack", failure_threshold = 5)]
#[resilience_runtime::retry(max_attempts = 3)]
#[resilience_runtime::timeout("10s")]
#[resilience_runtime::rate_limit(name = "m-stack-rate", rate = "1000/s")]
#[resilience_runtime::bulkhead(name = "m-stack-pool", max_concurrent = 64)]
async fn stacked() -> Result<u64, resilience_runtime::Error> {
    Ok(black_box(1))
}

#[resilience_runtime::hedge(name = "m-hedge", delay = "10s")]
async fn hedged() -> Result<u64, resilience_runtime::Error> {
    Ok(black_box(1))
}

#[resilience_runtime::retry(max_attempts = 3)]
async fn retried() -> Result<u64, resilience_runtime::Error> {
    Ok(black_box(1))
}

/// The system allocator, keeping the net number of bytes allocated.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; only a counter is added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The inline size of what `make` returns plus the heap bytes it keeps allocated.
fn footprint<T>(make: impl FnOnce() -> T) -> (usize, isize) {
    let before = LIVE.load(Ordering::Relaxed);
    let value = black_box(make());
    let heap = LIVE.load(Ordering::Relaxed) - before;
    drop(value);
    (size_of::<T>(), heap)
}

fn row(what: &str, (inline, heap): (usize, isize)) {
    println!(
        "| {what} | {inline} | {heap} | {} |",
        inline as isize + heap
    );
}

fn main() {
    // Criterion-style flags (`--bench`, filters) are accepted and ignored.
    println!("| instance | inline bytes | heap bytes | total bytes |");
    println!("|---|---:|---:|---:|");
    row(
        "circuit breaker, consecutive failures",
        footprint(|| CircuitBreaker::new("m-consecutive", CircuitBreakerConfig::new())),
    );
    row(
        "circuit breaker, count window of 100 calls",
        footprint(|| {
            CircuitBreaker::new(
                "m-count",
                CircuitBreakerConfig::new()
                    .with_failure_rate(50)
                    .with_window_calls(100),
            )
        }),
    );
    row(
        "circuit breaker, time window of 60 s",
        footprint(|| {
            CircuitBreaker::new(
                "m-time",
                CircuitBreakerConfig::new()
                    .with_failure_rate(50)
                    .with_window_duration(Duration::from_secs(60)),
            )
        }),
    );
    row(
        "rate limiter",
        footprint(|| RateLimiter::new("m-limiter", RateLimitConfig::new(Rate::per_second(100)))),
    );
    row(
        "bulkhead",
        footprint(|| Bulkhead::new("m-bulkhead", BulkheadConfig::new(16))),
    );
    row(
        "hedge",
        footprint(|| {
            Hedge::new(
                "m-hedge",
                HedgeConfig::new(HedgeDelay::Percentile(Percentile::P95)),
            )
        }),
    );
    println!(
        "| future of an async fn, bare / under `#[retry]` / under five layers | {} / {} / {} | 0 | |",
        std::mem::size_of_val(&bare()),
        std::mem::size_of_val(&retried()),
        std::mem::size_of_val(&stacked())
    );
    println!(
        "| future of an async fn under `#[hedge]` (room for five attempts and a timer) | {} | 0 | |",
        std::mem::size_of_val(&hedged())
    );
    for keys in [1_000_u64, 10_000] {
        let limiter = RateLimiter::new(
            "m-keyed",
            RateLimitConfig::new(Rate::per_second(100)).with_max_keys(keys as usize),
        );
        let before = LIVE.load(Ordering::Relaxed);
        for key in 0..keys {
            let _ = limiter.try_acquire_key(&key);
        }
        let grown = LIVE.load(Ordering::Relaxed) - before;
        println!(
            "| keyed rate limiter, per key ({keys} keys) | | {:.1} | {:.1} |",
            grown as f64 / keys as f64,
            grown as f64 / keys as f64
        );
    }
}
