//! Happy-path overhead per call: each attribute next to the peer its users would wire by
//! hand, and a five-layer stack next to the same five peers stacked by hand.
//!
//! ```text
//! cargo bench -p resilience-benches --bench layers
//! ```

use std::hint::black_box;
use std::num::NonZeroU32;
use std::sync::LazyLock;
use std::time::Duration;

use backon::{BlockingRetryable, ExponentialBuilder, Retryable};
use criterion::{Criterion, criterion_group, criterion_main};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use recloser::{AsyncRecloser, Recloser};
use resilience_benches::cpu_time::CpuTime;
use resilience_benches::observe;
use resilience_runtime::{bulkhead, circuit_breaker, hedge, rate_limit, retry, timeout};
use tokio::sync::Semaphore;

/// The error type of the benchmarked fns.
#[derive(Debug)]
enum BenchError {
    /// A resilience layer refused the call (never happens on the happy path).
    Layer(#[allow(dead_code, reason = "kept for Debug output")] resilience_runtime::Error),
    /// A peer layer refused the call.
    Peer,
}

impl From<resilience_runtime::Error> for BenchError {
    fn from(error: resilience_runtime::Error) -> Self {
        Self::Layer(error)
    }
}

/// The work inside every layer: nothing, so only the layers are measured.
async fn service(n: u64) -> Result<u64, BenchError> {
    Ok(black_box(n))
}

#[bulkhead(
    name = "bench-bulkhead-adaptive",
    max_concurrent = 64,
    adaptive = "vegas"
)]
async fn ours_bulkhead_adaptive(n: u64) -> Result<u64, BenchError> {
    service(n).await
}

#[bulkhead(name = "bench-bulkhead", max_concurrent = 64)]
async fn ours_bulkhead(n: u64) -> Result<u64, BenchError> {
    service(n).await
}

#[timeout("10s")]
async fn ours_timeout(n: u64) -> Result<u64, BenchError> {
    service(n).await
}

// Answers long before the delay: the cost of a hedge that never needs to hedge, next to a
// time limit around the same call (the closest hand-wired peer: one timer, one future).
#[hedge(name = "bench-hedge", delay = "10s")]
async fn ours_hedge(n: u64) -> Result<u64, BenchError> {
    service(n).await
}

#[retry(max_attempts = 3)]
async fn ours_retry(n: u64) -> Result<u64, BenchError> {
    service(n).await
}

// The same retry with a budget: a call that needs no retry never asks it.
#[retry(max_attempts = 3, budget = "20%")]
async fn ours_retry_budget(n: u64) -> Result<u64, BenchError> {
    service(n).await
}

// Each measured fn has one call site in this file, as its peers do: a second call site changes
// what LLVM inlines into criterion's loop (a plain retry measured in two groups was not inlined
// and paid a store-forwarding stall copying its output: 20 ns instead of 9). So the rows that
// compare with a layer measured elsewhere in the file get a copy of their own.
#[retry(max_attempts = 3)]
async fn ours_retry_without_budget(n: u64) -> Result<u64, BenchError> {
    service(n).await
}

#[bulkhead(name = "bench-bulkhead-static", max_concurrent = 64)]
async fn ours_static_bulkhead(n: u64) -> Result<u64, BenchError> {
    service(n).await
}

#[circuit_breaker(name = "bench-stack", failure_threshold = 5)]
#[retry(max_attempts = 3)]
#[timeout("10s")]
#[rate_limit(name = "bench-stack-rate", rate = "1000000000/s", burst = 1000000000)]
#[bulkhead(name = "bench-stack-pool", max_concurrent = 64)]
async fn ours_stack(n: u64) -> Result<u64, BenchError> {
    service(n).await
}

/// The work inside the sync fns.
fn sync_service(n: u64) -> Result<u64, BenchError> {
    Ok(black_box(n))
}

#[bulkhead(name = "bench-bulkhead-sync", max_concurrent = 64)]
fn ours_bulkhead_sync(n: u64) -> Result<u64, BenchError> {
    sync_service(n)
}

#[retry(max_attempts = 3)]
fn ours_retry_sync(n: u64) -> Result<u64, BenchError> {
    sync_service(n)
}

/// Four layers on a sync fn (a sync fn takes no timeout).
#[circuit_breaker(name = "bench-stack-sync", failure_threshold = 5)]
#[retry(max_attempts = 3)]
#[rate_limit(
    name = "bench-stack-sync-rate",
    rate = "1000000000/s",
    burst = 1000000000
)]
#[bulkhead(name = "bench-stack-sync-pool", max_concurrent = 64)]
fn ours_stack_sync(n: u64) -> Result<u64, BenchError> {
    sync_service(n)
}

static SEMAPHORE: Semaphore = Semaphore::const_new(64);
static GOVERNOR: LazyLock<DefaultDirectRateLimiter> = LazyLock::new(|| {
    RateLimiter::direct(Quota::per_second(NonZeroU32::MAX).allow_burst(NonZeroU32::MAX))
});
static RECLOSER: LazyLock<AsyncRecloser> = LazyLock::new(|| {
    AsyncRecloser::from(
        Recloser::custom()
            .error_rate(0.5)
            .closed_len(5)
            .open_wait(Duration::from_secs(60))
            .build(),
    )
});

static SYNC_RECLOSER: LazyLock<Recloser> = LazyLock::new(|| {
    Recloser::custom()
        .error_rate(0.5)
        .closed_len(5)
        .open_wait(Duration::from_secs(60))
        .build()
});

async fn peer_bulkhead(n: u64) -> Result<u64, BenchError> {
    let _permit = SEMAPHORE.acquire().await.map_err(|_| BenchError::Peer)?;
    service(n).await
}

async fn peer_timeout(n: u64) -> Result<u64, BenchError> {
    tokio::time::timeout(Duration::from_secs(10), service(n))
        .await
        .map_err(|_| BenchError::Peer)?
}

/// [`peer_timeout`] again, for the hedge's row (see `ours_retry_without_budget`).
async fn peer_timeout_for_hedge(n: u64) -> Result<u64, BenchError> {
    tokio::time::timeout(Duration::from_secs(10), service(n))
        .await
        .map_err(|_| BenchError::Peer)?
}

async fn peer_retry(n: u64) -> Result<u64, BenchError> {
    (|| service(n))
        .retry(ExponentialBuilder::default().with_max_times(2))
        .await
}

fn peer_bulkhead_sync(n: u64) -> Result<u64, BenchError> {
    let _permit = SEMAPHORE.try_acquire().map_err(|_| BenchError::Peer)?;
    sync_service(n)
}

fn peer_retry_sync(n: u64) -> Result<u64, BenchError> {
    (|| sync_service(n))
        .retry(ExponentialBuilder::default().with_max_times(2))
        .call()
}

/// The same four sync layers wired by hand from the peers.
fn peer_stack_sync(n: u64) -> Result<u64, BenchError> {
    let attempt = || {
        GOVERNOR.check().map_err(|_| BenchError::Peer)?;
        let _permit = SEMAPHORE.try_acquire().map_err(|_| BenchError::Peer)?;
        sync_service(n)
    };
    SYNC_RECLOSER
        .call(|| {
            attempt
                .retry(ExponentialBuilder::default().with_max_times(2))
                .call()
        })
        .map_err(|_| BenchError::Peer)
}

/// The same five layers wired by hand from the peers.
async fn peer_stack(n: u64) -> Result<u64, BenchError> {
    let attempt = || async move {
        tokio::time::timeout(Duration::from_secs(10), async move {
            GOVERNOR.check().map_err(|_| BenchError::Peer)?;
            let _permit = SEMAPHORE.acquire().await.map_err(|_| BenchError::Peer)?;
            service(n).await
        })
        .await
        .map_err(|_| BenchError::Peer)?
    };
    RECLOSER
        .call(attempt.retry(ExponentialBuilder::default().with_max_times(2)))
        .await
        .map_err(|_| BenchError::Peer)
}

fn layers(c: &mut Criterion<CpuTime>) {
    resilience_benches::clock_from_env();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a tokio runtime");
    macro_rules! pair {
        ($group:literal, $ours:ident, $peer:ident, $peer_name:literal) => {{
            let mut group = c.benchmark_group($group);
            group.bench_function("resilience", |b| {
                b.to_async(&runtime).iter(|| $ours(black_box(1)))
            });
            group.bench_function($peer_name, |b| {
                b.to_async(&runtime).iter(|| $peer(black_box(1)))
            });
            group.finish();
        }};
    }
    pair!("bulkhead", ours_bulkhead, peer_bulkhead, "tokio_semaphore");
    pair!(
        "adaptive_bulkhead",
        ours_bulkhead_adaptive,
        ours_static_bulkhead,
        "static_bulkhead"
    );
    pair!("timeout", ours_timeout, peer_timeout, "tokio_timeout");
    pair!("retry", ours_retry, peer_retry, "backon");
    pair!("hedge", ours_hedge, peer_timeout_for_hedge, "tokio_timeout");
    pair!(
        "retry_budget",
        ours_retry_budget,
        ours_retry_without_budget,
        "retry_without_budget"
    );
    pair!(
        "five_layer_stack",
        ours_stack,
        peer_stack,
        "hand_wired_peers"
    );
    c.bench_function("baseline/plain_async_fn", |b| {
        b.to_async(&runtime).iter(|| service(black_box(1)))
    });
    macro_rules! sync_pair {
        ($group:literal, $ours:ident, $peer:ident, $peer_name:literal) => {{
            let mut group = c.benchmark_group($group);
            group.bench_function("resilience", |b| b.iter(|| observe($ours(black_box(1)))));
            group.bench_function($peer_name, |b| b.iter(|| observe($peer(black_box(1)))));
            group.finish();
        }};
    }
    sync_pair!(
        "sync/bulkhead",
        ours_bulkhead_sync,
        peer_bulkhead_sync,
        "tokio_semaphore_try_acquire"
    );
    sync_pair!(
        "sync/retry",
        ours_retry_sync,
        peer_retry_sync,
        "backon_blocking"
    );
    sync_pair!(
        "sync/four_layer_stack",
        ours_stack_sync,
        peer_stack_sync,
        "hand_wired_peers"
    );
}

criterion_group! {
    name = benches;
    config = resilience_benches::cpu_time::criterion();
    targets = layers
}
criterion_main!(benches);
