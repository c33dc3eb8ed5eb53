//! Happy-path cost per call of our tower layers, next to tower-resilience's corresponding
//! layers and tower's own (`ConcurrencyLimit`, `RateLimit`, `Timeout`, `Retry`), each around
//! the same trivial service, on one thread; and five layers stacked. The same layers on two
//! threads: `benches/tower_threads.rs`.
//!
//! ```text
//! cargo bench -p resilience-benches --bench tower
//! ```
//!
//! Each request goes through `ready().await` and `call(..).await` on a service built once, as
//! a client holding its stack does. The inner service answers at once, so only the layers are
//! measured; every call succeeds and no limit is reached.

mod tower_stacks;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use resilience_runtime::tower as ours;
use tower::{BoxError, Layer, Service, ServiceBuilder, ServiceExt};

use tower_stacks::*;

fn tower_layers(c: &mut Criterion) {
    resilience_benches::clock_from_env();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a tokio runtime");
    // A whole sample of calls in one future: criterion's per-call future would cost the same
    // on every row, and a held service cannot be lent to it.
    macro_rules! bench {
        ($group:expr, $name:literal, $service:expr) => {{
            let service = $service;
            $group.bench_function($name, |b| {
                b.to_async(&runtime).iter_custom(|iterations| {
                    let mut service = service.clone();
                    async move {
                        let start = Instant::now();
                        for n in 0..iterations {
                            let ready = service.ready().await.expect("ready");
                            let answer = ready.call(black_box(n)).await;
                            black_box(answer.is_ok());
                        }
                        start.elapsed()
                    }
                })
            });
        }};
    }

    let mut group = c.benchmark_group("tower/circuit_breaker");
    bench!(group, "resilience", ours_breaker().layer(inner()));
    bench!(group, "tower-resilience", peer_breaker().layer(inner()));
    group.finish();

    let mut group = c.benchmark_group("tower/bulkhead");
    bench!(group, "resilience", ours_bulkhead().layer(inner()));
    bench!(group, "tower-resilience", peer_bulkhead().layer(inner()));
    bench!(
        group,
        "tower ConcurrencyLimit",
        tower::limit::ConcurrencyLimitLayer::new(CONCURRENT).layer(inner())
    );
    bench!(
        group,
        "tower ConcurrencyLimit, BoxError service",
        tower::limit::ConcurrencyLimitLayer::new(CONCURRENT).layer(inner_erring::<BoxError>())
    );
    group.finish();

    let mut group = c.benchmark_group("tower/rate_limit");
    bench!(group, "resilience", ours_limit().layer(inner()));
    bench!(group, "tower-resilience", peer_limit().layer(inner()));
    // tower's `RateLimit` is not `Clone`; a `Buffer` would measure more than the limit.
    // It makes its timer when built, which needs the runtime.
    let mut limited = {
        let _runtime = runtime.enter();
        tower::limit::RateLimitLayer::new(u64::from(RATE), Duration::from_secs(1)).layer(inner())
    };
    group.bench_function("tower RateLimit", |b| {
        b.iter_custom(|iterations| {
            runtime.block_on(async {
                let start = Instant::now();
                for n in 0..iterations {
                    let ready = limited.ready().await.expect("ready");
                    black_box(ready.call(black_box(n)).await.is_ok());
                }
                start.elapsed()
            })
        });
    });
    group.finish();

    let mut group = c.benchmark_group("tower/timeout");
    bench!(
        group,
        "resilience",
        ours::TimeoutLayer::new(TIMEOUT).layer(inner())
    );
    bench!(group, "tower-resilience", peer_timeout().layer(inner()));
    bench!(
        group,
        "tower Timeout",
        tower::timeout::TimeoutLayer::new(TIMEOUT).layer(inner())
    );
    group.finish();

    let mut group = c.benchmark_group("tower/retry");
    bench!(group, "resilience", ours_retry().layer(inner()));
    bench!(
        group,
        "tower-resilience",
        peer_retry::<Never>().layer(inner())
    );
    bench!(
        group,
        "tower Retry",
        tower::retry::RetryLayer::new(TwoRetries(2)).layer(inner())
    );
    bench!(
        group,
        "tower Retry, BoxError service",
        tower::retry::RetryLayer::new(TwoRetries(2)).layer(inner_erring::<BoxError>())
    );
    group.finish();

    let mut group = c.benchmark_group("tower/hedge");
    bench!(group, "resilience", ours_hedge().layer(inner()));
    bench!(group, "tower-resilience", peer_hedge().layer(inner()));
    group.finish();

    // In the attributes' order: breaker, retry, timeout, rate limit, bulkhead.
    let mut group = c.benchmark_group("tower/five_layer_stack");
    bench!(
        group,
        "resilience",
        ServiceBuilder::new()
            .layer(ours_breaker())
            .layer(ours_retry())
            .layer(ours::TimeoutLayer::new(TIMEOUT))
            .layer(ours_limit())
            .layer(ours_bulkhead())
            .service(inner())
    );
    bench!(
        group,
        "tower-resilience",
        ServiceBuilder::new()
            .layer(peer_breaker())
            .layer(peer_retry())
            .layer(peer_timeout())
            .layer(peer_limit())
            .layer(peer_bulkhead())
            .service(inner())
    );
    group.finish();

    bench!(c, "tower/baseline/service_fn", inner());
}

criterion_group!(benches, tower_layers);
criterion_main!(benches);
