//! The happy path allocates nothing: a counting global allocator watches calls through every
//! layer once their call sites are warm.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use resilience_runtime::clock::{self, ClockSource};
use resilience_runtime::{bulkhead, chaos, circuit_breaker, fallback, rate_limit, retry, timeout};
use resilience_tests::ServiceError;

/// Counts allocations made by the current thread while `COUNTING` is set on it.
struct CountingAllocator;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: defers every operation to the system allocator; only counts on the side.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_allocation();
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

fn note_allocation() {
    // `try_with`: the allocator can run while thread-locals are being torn down.
    let _ = COUNTING.try_with(|counting| {
        if counting.get() {
            let _ = ALLOCATIONS.try_with(|count| count.set(count.get() + 1));
        }
    });
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Allocations made on this thread while `f` runs.
async fn allocations_during<F: AsyncFnMut()>(mut f: F) -> u64 {
    ALLOCATIONS.with(|count| count.set(0));
    COUNTING.with(|counting| counting.set(true));
    f().await;
    COUNTING.with(|counting| counting.set(false));
    ALLOCATIONS.with(Cell::get)
}

fn recover(_: ServiceError) -> Result<u32, ServiceError> {
    Ok(0)
}

#[fallback(recover)]
#[circuit_breaker(name = "alloc-stack", failure_threshold = 5)]
#[retry(max_attempts = 3, initial_delay = "1ms")]
#[timeout("1s")]
#[rate_limit(name = "alloc-stack-rate", rate = "1000000/s", burst = 1000000)]
#[bulkhead(name = "alloc-stack-pool", max_concurrent = 4)]
async fn five_layers(n: u32) -> Result<u32, ServiceError> {
    Ok(n)
}

#[rate_limit(name = "alloc-keyed", rate = "1000000/s", burst = 1000000, key = tenant)]
async fn keyed(tenant: &str) -> Result<usize, ServiceError> {
    Ok(tenant.len())
}

#[circuit_breaker(name = "alloc-sync", failure_threshold = 5)]
#[retry(max_attempts = 2, initial_delay = "1ms")]
#[bulkhead(name = "alloc-sync-pool", max_concurrent = 4)]
fn sync_layers(n: u32) -> Result<u32, ServiceError> {
    Ok(n)
}

// Armed, it draws for every call but never fires.
#[circuit_breaker(name = "alloc-chaos-breaker", failure_threshold = 5)]
#[retry(max_attempts = 2, initial_delay = "1ms")]
#[chaos(
    name = "alloc-chaos",
    error_rate = 0.0,
    error = ServiceError::injected,
    latency = "1s",
    latency_rate = 0.0
)]
async fn under_chaos(n: u32) -> Result<u32, ServiceError> {
    Ok(n)
}

#[tokio::test(flavor = "current_thread")]
async fn warm_call_sites_allocate_nothing() {
    // The counter sees allocations.
    let boxed = allocations_during(async || drop(std::hint::black_box(Box::new(7)))).await;
    assert_eq!(boxed, 1);

    // First calls declare the instances and cache the handles; they may allocate.
    assert_eq!(five_layers(1).await, Ok(1));
    assert_eq!(keyed("acme").await, Ok(4));
    assert_eq!(sync_layers(1), Ok(1));

    let stacked = allocations_during(async || {
        for n in 0..1000 {
            assert_eq!(five_layers(n).await, Ok(n));
        }
    })
    .await;
    assert_eq!(
        stacked, 0,
        "five stacked layers allocated on the happy path"
    );

    let by_key = allocations_during(async || {
        for _ in 0..1000 {
            assert_eq!(keyed("acme").await, Ok(4));
        }
    })
    .await;
    assert_eq!(by_key, 0, "a known key allocated");

    let sync = allocations_during(async || {
        for n in 0..1000 {
            assert_eq!(sync_layers(n), Ok(n));
        }
    })
    .await;
    assert_eq!(sync, 0, "sync layers allocated on the happy path");

    // The only test in this binary: switching chaos cannot race with another.
    for armed in [false, true] {
        chaos::set_enabled(armed);
        assert_eq!(under_chaos(1).await, Ok(1));
        let with_chaos = allocations_during(async || {
            for n in 0..1000 {
                assert_eq!(under_chaos(n).await, Ok(n));
            }
        })
        .await;
        assert_eq!(with_chaos, 0, "a chaos layer (armed: {armed}) allocated");
    }
    let counts = resilience_runtime::registry()
        .chaos("alloc-chaos")
        .unwrap()
        .metrics();
    assert_eq!(
        counts.calls, 1001,
        "armed calls are counted, disarmed ones are not"
    );
    assert_eq!(counts.errors_injected + counts.latencies_injected, 0);

    // On the CPU counter too (this binary pauses no clock).
    clock::set_source(ClockSource::CpuCounter);
    let on_the_counter = allocations_during(async || {
        for n in 0..1000 {
            assert_eq!(five_layers(n).await, Ok(n));
            assert_eq!(sync_layers(n), Ok(n));
        }
    })
    .await;
    clock::set_source(ClockSource::Tokio);
    assert_eq!(on_the_counter, 0, "layers on the CPU counter allocated");
}
