//! Memory of per-key rate limits, measured through the allocator: the bytes one key costs,
//! and the bound that holds however many distinct keys a client sends.
//!
//! The allocator counts per thread, so tests running in parallel do not disturb each other's
//! figures (a limiter allocates on the thread that calls it).
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::fmt::Write;

use resilience_runtime::rate_limit::{BYTES_PER_KEY, OnLimit, Rate, RateLimitConfig, RateLimiter};

/// The system allocator, counting the bytes live on each thread.
struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
}

fn add(bytes: usize, sign: isize) {
    // `try_with`: threads being torn down have no counter any more.
    let _ = LIVE.try_with(|live| live.set(live.get() + sign * bytes.cast_signed()));
}

// SAFETY: every call is forwarded to `System` unchanged; the counter is a plain thread-local.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        add(layout.size(), 1);
        // SAFETY: forwarded as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        add(layout.size(), -1);
        // SAFETY: forwarded as is.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        add(new_size, 1);
        add(layout.size(), -1);
        // SAFETY: forwarded as is.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn live() -> isize {
    LIVE.with(Cell::get)
}

fn limiter(max_keys: usize) -> RateLimiter {
    RateLimiter::new(
        "memory",
        RateLimitConfig::new(Rate::per_second(1))
            .with_on_limit(OnLimit::Reject)
            .with_max_keys(max_keys),
    )
}

/// Sends `count` distinct client ids (`client-<n>`, from `first`), each taking a permit.
fn flood(limiter: &RateLimiter, first: u64, count: u64, key: &mut String) {
    for n in first..first + count {
        key.clear();
        write!(key, "client-{n}").unwrap();
        limiter.try_acquire_key(key.as_str()).unwrap();
    }
}

#[test]
fn a_key_costs_at_most_64_bytes() {
    const KEYS: u64 = 100_000;
    let mut key = String::with_capacity(32);
    let before = live();
    let limiter = limiter(RateLimitConfig::DEFAULT_MAX_KEYS);
    flood(&limiter, 0, KEYS, &mut key);
    assert_eq!(limiter.metrics().tracked_keys, 100_000);
    let per_key = (live() - before) as f64 / KEYS as f64;
    println!(
        "{per_key:.1} bytes per key at {KEYS} keys (documented: {BYTES_PER_KEY} at full occupancy)"
    );
    assert!(per_key >= BYTES_PER_KEY as f64, "{per_key}");
    assert!(per_key <= 64.0, "{per_key} bytes per key");
}

/// A client sending a million distinct keys cannot grow memory past what `max_keys` keys
/// take: the table stays at its bound, and its bytes stay within 64 per key. (Replacing keys
/// leaves tombstones in a hash table, which may make it double once; never more, since it is
/// then at most half full.)
#[test]
fn a_million_distinct_keys_stay_within_max_keys() {
    const MAX_KEYS: usize = 100_000;
    let mut key = String::with_capacity(32);
    let before = live();
    let limiter = limiter(MAX_KEYS);
    flood(&limiter, 0, MAX_KEYS as u64, &mut key);
    let full = live() - before;
    let mut peak = full;
    for batch in 1..10 {
        flood(&limiter, batch * 100_000, 100_000, &mut key);
        assert!(limiter.metrics().tracked_keys <= MAX_KEYS);
        peak = peak.max(live() - before);
    }
    let metrics = limiter.metrics();
    assert_eq!(metrics.tracked_keys, MAX_KEYS);
    assert_eq!(metrics.permitted, 1_000_000);
    println!(
        "1 000 000 distinct keys: {} tracked, {full} bytes when first full, {peak} bytes at peak",
        metrics.tracked_keys
    );
    assert!(peak <= 2 * full, "grew from {full} to {peak} bytes");
    assert!(peak as f64 <= 64.0 * MAX_KEYS as f64, "{peak} bytes");
    // The newest keys are tracked and limited.
    assert!(limiter.try_acquire_key("client-999999").is_err());
}
