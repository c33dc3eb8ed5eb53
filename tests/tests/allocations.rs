//! The happy path allocates nothing: a counting global allocator watches calls through every
//! layer once their call sites are warm.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use std::convert::Infallible;
use std::fmt::Debug;
use std::time::Duration;

use resilience_runtime::bulkhead::BulkheadConfig;
use resilience_runtime::circuit_breaker::CircuitBreakerConfig;
use resilience_runtime::clock::{self, ClockSource};
use resilience_runtime::hedge::{HedgeConfig, HedgeDelay};
use resilience_runtime::quota::{QuotaConfig, QuotaLimit, QuotaWindow};
use resilience_runtime::rate_limit::{Rate, RateLimitConfig};
use resilience_runtime::retry::RetryConfig;
use resilience_runtime::tower::{
    BulkheadLayer, CircuitBreakerLayer, HedgeLayer, QuotaLayer, RateLimitLayer, RetryLayer,
    TimeoutLayer,
};
use resilience_runtime::{
    Error, bulkhead, chaos, circuit_breaker, fallback, hedge, quota, rate_limit, retry, timeout,
};
use resilience_tests::ServiceError;
use tower::{Layer, Service, ServiceBuilder, ServiceExt, service_fn};

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

// A breaker shared by a fleet: its calls are decided locally, as any breaker's.
#[cfg(feature = "redis")]
#[circuit_breaker(name = "alloc-fleet", backend = "redis", failure_threshold = 5)]
async fn fleet_breaker(n: u32) -> Result<u32, ServiceError> {
    Ok(n)
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

#[hedge(name = "alloc-hedge", delay = "1s")]
async fn hedged_at_once(n: u32) -> Result<u32, ServiceError> {
    Ok(n)
}

// Waits once (so the hedge's timer is set) and answers long before the delay.
#[hedge(name = "alloc-hedge-waits", delay = "1s", max_hedges = 4)]
async fn hedged_after_a_wait(n: u32) -> Result<u32, ServiceError> {
    tokio::task::yield_now().await;
    Ok(n)
}

#[tokio::test(flavor = "current_thread")]
async fn a_warm_hedge_answering_before_the_delay_allocates_nothing() {
    assert_eq!(hedged_at_once(1).await, Ok(1));
    assert_eq!(hedged_after_a_wait(1).await, Ok(1));
    let at_once = allocations_during(async || {
        for n in 0..1000 {
            assert_eq!(hedged_at_once(n).await, Ok(n));
        }
    })
    .await;
    assert_eq!(at_once, 0, "a hedge answered at once allocated");
    let after_a_wait = allocations_during(async || {
        for n in 0..1000 {
            assert_eq!(hedged_after_a_wait(n).await, Ok(n));
        }
    })
    .await;
    assert_eq!(
        after_a_wait, 0,
        "a hedge answered before its delay allocated"
    );
    let metrics = resilience_runtime::registry()
        .hedge("alloc-hedge-waits")
        .unwrap()
        .metrics();
    assert_eq!((metrics.calls, metrics.hedges_started), (1001, 0));
}

#[quota(name = "alloc-quota", limit = "1000000/day")]
async fn quota_fixed(n: u32) -> Result<u32, ServiceError> {
    Ok(n)
}

#[quota(name = "alloc-quota-keyed", limit = "1000000/h", window = "sliding", key = client)]
async fn quota_sliding(client: &str) -> Result<usize, ServiceError> {
    Ok(client.len())
}

#[quota(name = "alloc-quota-spent", limit = "1/day", key = client)]
fn quota_spent(client: &str) -> Result<usize, ServiceError> {
    Ok(client.len())
}

#[tokio::test(flavor = "current_thread")]
async fn a_warm_quota_allocates_nothing_admitting_or_rejecting() {
    assert_eq!(quota_fixed(1).await, Ok(1));
    for client in ["a", "bb", "ccc", "dddd"] {
        assert_eq!(quota_sliding(client).await, Ok(client.len()));
        assert_eq!(quota_spent(client), Ok(client.len()));
    }
    let admitted = allocations_during(async || {
        for n in 0..1000 {
            assert_eq!(quota_fixed(n).await, Ok(n));
            let client = ["a", "bb", "ccc", "dddd"][n as usize % 4];
            assert_eq!(quota_sliding(client).await, Ok(client.len()));
        }
    })
    .await;
    assert_eq!(admitted, 0, "a warm quota allocated admitting calls");
    let rejected = allocations_during(async || {
        for n in 0..1000 {
            let client = ["a", "bb", "ccc", "dddd"][n % 4];
            assert!(matches!(
                quota_spent(client),
                Err(ServiceError::Resilience(Error::QuotaExceeded { .. }))
            ));
        }
    })
    .await;
    assert_eq!(rejected, 0, "a used-up quota allocated rejecting calls");
}

#[retry(
    name = "alloc-budget",
    max_attempts = 3,
    initial_delay = "1ms",
    budget = "20%"
)]
async fn budgeted(n: u32) -> Result<u32, ServiceError> {
    Ok(n)
}

#[retry(
    name = "alloc-budget-spent",
    max_attempts = 3,
    initial_delay = "1ms",
    jitter = "none",
    budget = "1%",
    budget_min = "0/s"
)]
async fn budget_spent() -> Result<u32, ServiceError> {
    Err(ServiceError::Permanent)
}

#[tokio::test(flavor = "current_thread")]
async fn a_warm_retry_with_a_budget_allocates_nothing() {
    assert_eq!(budgeted(1).await, Ok(1));
    let happy = allocations_during(async || {
        for n in 0..1000 {
            assert_eq!(budgeted(n).await, Ok(n));
        }
    })
    .await;
    assert_eq!(
        happy, 0,
        "a retry with a budget allocated on the happy path"
    );

    // Failing calls that ask the budget: a few retries, then refusals. Asking allocates
    // nothing; a retry it allows boxes its sleep (one allocation, as without a budget).
    assert!(budget_spent().await.is_err());
    let spent = resilience_runtime::registry()
        .retry("alloc-budget-spent")
        .unwrap();
    let retries_before = spent.metrics().retries;
    let asking = allocations_during(async || {
        for _ in 0..1000 {
            assert_eq!(budget_spent().await, Err(ServiceError::Permanent));
        }
    })
    .await;
    let metrics = spent.metrics();
    assert!(metrics.budget_exhausted > 900, "{metrics:?}");
    let retried = metrics.retries - retries_before;
    assert!(retried > 0, "{metrics:?}");
    assert_eq!(asking, retried, "asking the budget allocated");
}

#[bulkhead(name = "alloc-adaptive", max_concurrent = 4, adaptive = "aimd")]
async fn adaptive_pool(n: u32) -> Result<u32, ServiceError> {
    Ok(n)
}

#[bulkhead(name = "alloc-adaptive-sync", max_concurrent = 4, adaptive = "vegas")]
fn adaptive_sync_pool(n: u32) -> Result<u32, ServiceError> {
    Ok(n)
}

#[bulkhead(
    name = "alloc-adaptive-gradient",
    max_concurrent = 4,
    adaptive = "gradient"
)]
async fn gradient_pool(n: u32) -> Result<u32, ServiceError> {
    Ok(n)
}

/// An adaptive bulkhead times each call and feeds its algorithm when it ends: none of it
/// allocates.
#[tokio::test(flavor = "current_thread")]
async fn a_warm_adaptive_bulkhead_allocates_nothing() {
    assert_eq!(adaptive_pool(1).await, Ok(1));
    assert_eq!(adaptive_sync_pool(1), Ok(1));
    assert_eq!(gradient_pool(1).await, Ok(1));
    let allocations = allocations_during(async || {
        for n in 0..1000 {
            assert_eq!(adaptive_pool(n).await, Ok(n));
            assert_eq!(adaptive_sync_pool(n), Ok(n));
            assert_eq!(gradient_pool(n).await, Ok(n));
        }
    })
    .await;
    assert_eq!(allocations, 0, "an adaptive bulkhead allocated");
    let pool = resilience_runtime::registry()
        .bulkhead("alloc-adaptive")
        .unwrap();
    assert_eq!(pool.metrics().permitted, 1001);
    let pool = BulkheadLayer::new(
        "alloc-tower-adaptive",
        BulkheadConfig::new(4).with_adaptive(resilience_runtime::bulkhead::Adaptive::Aimd),
    );
    let inner = service_fn(|n: u32| std::future::ready(Ok::<_, Infallible>(n)));
    assert_warm_calls_allocate_nothing("an adaptive bulkhead", pool.layer(inner)).await;
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

    // The only test in this binary that switches chaos: it cannot race with another.
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

/// Sends 1000 warm requests through `service` and checks that none allocated.
async fn assert_warm_calls_allocate_nothing<S>(layers: &str, mut service: S)
where
    S: Service<u32, Response = u32>,
    S::Error: Debug,
{
    // First calls may allocate: a keyed limiter's first use of each of its four keys.
    for n in 0..4 {
        assert_eq!(service.ready().await.unwrap().call(n).await.unwrap(), n);
    }
    let allocations = allocations_during(async || {
        for n in 0..1000 {
            assert_eq!(service.ready().await.unwrap().call(n).await.unwrap(), n);
        }
    })
    .await;
    assert_eq!(allocations, 0, "{layers} allocated on the happy path");
}

#[tokio::test(flavor = "current_thread")]
async fn warm_tower_layers_allocate_nothing() {
    // An inner service that allocates nothing: its future is ready at once.
    let inner = service_fn(|n: u32| std::future::ready(Ok::<_, Infallible>(n)));
    let many = RateLimitConfig::new(Rate::per_second(1_000_000)).with_burst(1_000_000);

    let breaker = CircuitBreakerLayer::new("alloc-tower-breaker", CircuitBreakerConfig::new())
        .record_if_ok(|n: &u32| *n == u32::MAX);
    assert_warm_calls_allocate_nothing("a breaker", breaker.layer(inner)).await;
    let retry =
        RetryLayer::new("alloc-tower-retry", RetryConfig::new()).when_ok(|n: &u32| *n == u32::MAX);
    assert_warm_calls_allocate_nothing("a retry", retry.layer(inner)).await;
    let timeout = TimeoutLayer::new(Duration::from_secs(1));
    assert_warm_calls_allocate_nothing("a timeout", timeout.layer(inner)).await;
    let limit = RateLimitLayer::new("alloc-tower-limit", many);
    assert_warm_calls_allocate_nothing("a rate limit", limit.layer(inner)).await;
    let per_key = RateLimitLayer::new("alloc-tower-keyed", many).key_by(|n: &u32| n % 4);
    assert_warm_calls_allocate_nothing("a keyed rate limit", per_key.layer(inner)).await;
    let pool = BulkheadLayer::new("alloc-tower-pool", BulkheadConfig::new(4));
    assert_warm_calls_allocate_nothing("a bulkhead", pool.layer(inner)).await;
    let hedge = HedgeLayer::new(
        "alloc-tower-hedge",
        HedgeConfig::new(HedgeDelay::Fixed(Duration::from_secs(1))),
    );
    assert_warm_calls_allocate_nothing("a hedge", hedge.layer(inner)).await;
    let quota = QuotaLayer::new(
        "alloc-tower-quota",
        QuotaConfig::new(QuotaLimit::per_day(1_000_000)),
    );
    assert_warm_calls_allocate_nothing("a quota", quota.layer(inner)).await;
    let per_key = QuotaLayer::new(
        "alloc-tower-quota-keyed",
        QuotaConfig::new(QuotaLimit::per_hour(1_000_000)).with_window(QuotaWindow::Sliding),
    )
    .key_by(|n: &u32| n % 4);
    assert_warm_calls_allocate_nothing("a keyed quota", per_key.layer(inner)).await;

    let stacked = ServiceBuilder::new()
        .layer(CircuitBreakerLayer::named("alloc-tower-breaker"))
        .layer(RetryLayer::named("alloc-tower-retry"))
        .layer(TimeoutLayer::new(Duration::from_secs(1)))
        .layer(RateLimitLayer::named("alloc-tower-limit"))
        .layer(BulkheadLayer::named("alloc-tower-pool"))
        .service(inner);
    assert_warm_calls_allocate_nothing("five stacked layers", stacked).await;

    // A rejection allocates its `BoxError`, and nothing else.
    let mut full = BulkheadLayer::new("alloc-tower-full", BulkheadConfig::new(0)).layer(inner);
    let _ = full.ready().await.unwrap().call(0).await;
    let rejected = allocations_during(async || {
        let rejection = full.ready().await.unwrap().call(0).await.unwrap_err();
        drop(std::hint::black_box(rejection));
    })
    .await;
    assert_eq!(rejected, 1, "a rejection's box");
}

#[cfg(feature = "redis")]
#[tokio::test(flavor = "current_thread")]
async fn a_warm_call_on_a_fleet_breaker_allocates_nothing() {
    use resilience_runtime::circuit_breaker::FleetLink;
    // The first call declares the breaker and starts its sync task, which then runs its
    // first exchange while this test yields (no Redis URL here: it falls back at once).
    assert_eq!(fleet_breaker(1).await, Ok(1));
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    let breaker = resilience_runtime::registry()
        .circuit_breaker("alloc-fleet")
        .expect("declared");
    let status = breaker.snapshot().backend_status.expect("a fleet breaker");
    assert_eq!(status.link, FleetLink::FallenBack);
    let allocations = allocations_during(async || {
        for n in 0..1000 {
            assert_eq!(fleet_breaker(n).await, Ok(n));
        }
    })
    .await;
    assert_eq!(allocations, 0, "a fleet breaker's warm call allocated");
}
