//! Our tower layers, tower-resilience's and tower's own on two threads at once: each thread
//! calls its clone of one service (one shared instance of the layer) on a runtime of its own.
//! The figure is the time per call per thread, so one equal to the `tower` bench's
//! one-thread figure means twice the throughput.
//!
//! ```text
//! cargo bench -p resilience-benches --bench tower_threads
//! ```
//!
//! A bench of its own rather than a group of the `tower` bench: each layer's future is
//! instantiated once per binary, as in the `layers` bench, so that a second call site does
//! not change how the compiler inlines the first (it moved our one-thread retry from 7 ns to
//! 26 ns).

mod tower_stacks;

use std::fmt;
use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use resilience_runtime::tower as ours;
use tower::{BoxError, Layer, Service, ServiceExt};
use tower_stacks::*;

/// Runs `iterations` calls of a clone of `service` on each of two threads started together;
/// the wall time from the start to the last answer.
fn on_two_threads<S>(service: &S, iterations: u64) -> Duration
where
    S: Service<u64, Response = u64> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: fmt::Debug,
{
    let start = Barrier::new(3);
    std::thread::scope(|scope| {
        for _ in 0..2 {
            let mut service = service.clone();
            let start = &start;
            scope.spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_time()
                    .build()
                    .expect("a tokio runtime");
                start.wait();
                runtime.block_on(async {
                    for n in 0..iterations {
                        let ready = service.ready().await.expect("ready");
                        black_box(ready.call(black_box(n)).await.is_ok());
                    }
                });
            });
        }
        start.wait();
        Instant::now()
    })
    .elapsed()
}

fn tower_threads(c: &mut Criterion) {
    resilience_benches::clock_from_env();
    macro_rules! two_threads {
        ($group:expr, $name:literal, $service:expr) => {{
            let service = $service;
            $group.bench_function($name, |b| {
                b.iter_custom(|iterations| on_two_threads(&service, iterations))
            });
        }};
    }
    let mut group = c.benchmark_group("tower_2_threads/circuit_breaker");
    two_threads!(group, "resilience", ours_breaker().layer(inner()));
    two_threads!(group, "tower-resilience", peer_breaker().layer(inner()));
    group.finish();
    let mut group = c.benchmark_group("tower_2_threads/bulkhead");
    two_threads!(group, "resilience", ours_bulkhead().layer(inner()));
    two_threads!(group, "tower-resilience", peer_bulkhead().layer(inner()));
    two_threads!(
        group,
        "tower ConcurrencyLimit",
        tower::limit::ConcurrencyLimitLayer::new(CONCURRENT).layer(inner())
    );
    group.finish();
    let mut group = c.benchmark_group("tower_2_threads/rate_limit");
    two_threads!(group, "resilience", ours_limit().layer(inner()));
    two_threads!(group, "tower-resilience", peer_limit().layer(inner()));
    group.finish();
    let mut group = c.benchmark_group("tower_2_threads/timeout");
    two_threads!(
        group,
        "resilience",
        ours::TimeoutLayer::new(TIMEOUT).layer(inner())
    );
    two_threads!(group, "tower-resilience", peer_timeout().layer(inner()));
    two_threads!(
        group,
        "tower Timeout",
        tower::timeout::TimeoutLayer::new(TIMEOUT).layer(inner())
    );
    group.finish();
    let mut group = c.benchmark_group("tower_2_threads/retry");
    two_threads!(group, "resilience", ours_retry().layer(inner()));
    two_threads!(
        group,
        "tower-resilience",
        peer_retry::<Never>().layer(inner())
    );
    two_threads!(
        group,
        "tower Retry",
        tower::retry::RetryLayer::new(TwoRetries(2)).layer(inner())
    );
    two_threads!(
        group,
        "tower Retry, BoxError service",
        tower::retry::RetryLayer::new(TwoRetries(2)).layer(inner_erring::<BoxError>())
    );
    group.finish();
}

criterion_group!(benches, tower_threads);
criterion_main!(benches);
