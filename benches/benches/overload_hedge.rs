//! Hedging under a long tail, side by side: a service that answers in 10 ms for 95% of
//! attempts and in 1 s for the rest (each attempt draws on its own, from a seeded hash of
//! the call and the attempt, so every run and every contender sees the same draws). 4 000
//! calls at once, unhedged, through `#[hedge(delay = "50ms")]`, through our `HedgeLayer`,
//! and through tower-resilience's hedge with the same delay and one extra attempt.
//!
//! ```text
//! cargo bench -p resilience-benches --bench overload_hedge
//! ```
//!
//! It runs on tokio's real clock (the paused clock would need tokio's `test-util`, which
//! would slow every other bench's clock reads), so each contender takes about a second.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use resilience_runtime::hedge::{HedgeConfig, HedgeDelay};
use resilience_runtime::tower::HedgeLayer;
use resilience_runtime::{Error, hedge, registry};
use tower::{Layer, Service, ServiceExt, service_fn};
use tower_resilience::hedge::HedgeLayer as PeerHedgeLayer;

const CALLS: usize = 4_000;
const SEED: u64 = 0x05ee_d0f4_ed9e;
const DELAY: Duration = Duration::from_millis(50);

/// Attempts made so far, per call.
struct Attempts(Vec<AtomicU32>);

impl Attempts {
    fn new() -> Self {
        Self((0..CALLS).map(|_| AtomicU32::new(0)).collect())
    }

    /// The latency of the next attempt of call `call`: 10 ms with probability 0.95, else 1 s.
    fn next(&self, call: usize) -> Duration {
        let attempt = self.0[call].fetch_add(1, Ordering::Relaxed);
        let mut z = SEED ^ (call as u64) << 8 ^ u64::from(attempt);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        if z % 100 < 95 {
            Duration::from_millis(10)
        } else {
            Duration::from_secs(1)
        }
    }

    fn total(&self) -> usize {
        self.0
            .iter()
            .map(|count| count.load(Ordering::Relaxed) as usize)
            .sum()
    }
}

static ATTRIBUTE: std::sync::OnceLock<Attempts> = std::sync::OnceLock::new();

async fn attempt(attempts: &Attempts, call: usize) -> Result<usize, Error> {
    tokio::time::sleep(attempts.next(call)).await;
    Ok(call)
}

#[hedge(name = "bench-overload-hedge", delay = "50ms")]
async fn hedged(call: usize) -> Result<usize, Error> {
    attempt(ATTRIBUTE.get_or_init(Attempts::new), call).await
}

/// What one contender gave: p50, p99, and the extra attempts.
struct Figures {
    p50: Duration,
    p99: Duration,
    extra: usize,
}

/// Runs every call at once, each timing itself; `attempts` counts what the service saw.
async fn measure<F, Fut>(attempts: &Attempts, call: F) -> Figures
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = bool> + Send + 'static,
{
    let tasks: Vec<_> = (0..CALLS)
        .map(|n| {
            let future = call(n);
            tokio::spawn(async move {
                let start = Instant::now();
                assert!(future.await, "a call failed");
                start.elapsed()
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(CALLS);
    for task in tasks {
        latencies.push(task.await.expect("a call panicked"));
    }
    latencies.sort();
    let at = |per_cent: usize| latencies[(CALLS * per_cent).div_ceil(100) - 1];
    Figures {
        p50: at(50),
        p99: at(99),
        extra: attempts.total() - CALLS,
    }
}

fn row(name: &str, figures: &Figures) {
    println!(
        "| {name} | {:.1} | {:.1} | {} ({:.1}%) |",
        figures.p50.as_secs_f64() * 1e3,
        figures.p99.as_secs_f64() * 1e3,
        figures.extra,
        figures.extra as f64 * 100.0 / CALLS as f64
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_time()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(async {
        println!("| {CALLS} calls, 95% 10 ms / 5% 1 s | p50 (ms) | p99 (ms) | extra attempts |");
        println!("|---|---:|---:|---:|");

        let plain = Arc::new(Attempts::new());
        let figures = measure(&plain, |n| {
            let plain = Arc::clone(&plain);
            async move { attempt(&plain, n).await.is_ok() }
        })
        .await;
        row("unhedged", &figures);

        let attribute = ATTRIBUTE.get_or_init(Attempts::new);
        let figures = measure(attribute, |n| async move { hedged(n).await.is_ok() }).await;
        row("resilience `#[hedge(delay = \"50ms\")]`", &figures);
        let metrics = registry().hedge("bench-overload-hedge").unwrap().metrics();
        assert_eq!(metrics.hedges_started as usize, figures.extra);

        let ours = Arc::new(Attempts::new());
        let counted = Arc::clone(&ours);
        let layer = HedgeLayer::new(
            "bench-overload-tower-hedge",
            HedgeConfig::new(HedgeDelay::Fixed(DELAY)),
        );
        let service = layer.layer(service_fn(move |n: usize| {
            let counted = Arc::clone(&counted);
            async move { attempt(&counted, n).await }
        }));
        let figures = measure(&ours, |n| {
            let mut service = service.clone();
            async move { service.ready().await.unwrap().call(n).await.is_ok() }
        })
        .await;
        row("resilience `tower::HedgeLayer`", &figures);

        let peer = Arc::new(Attempts::new());
        let counted = Arc::clone(&peer);
        let layer = PeerHedgeLayer::builder()
            .delay(DELAY)
            .max_hedged_attempts(2)
            .build();
        let service = layer.layer(service_fn(move |n: usize| {
            let counted = Arc::clone(&counted);
            async move {
                tokio::time::sleep(counted.next(n)).await;
                Ok::<_, PeerError>(n)
            }
        }));
        let figures = measure(&peer, |n| {
            let mut service = service.clone();
            async move { service.ready().await.unwrap().call(n).await.is_ok() }
        })
        .await;
        row("tower-resilience `HedgeLayer` (2 attempts)", &figures);
    });
}

/// The peer service's error type (tower-resilience's hedge needs a `Clone` error); never
/// returned.
#[derive(Debug, Clone)]
struct PeerError;

impl std::fmt::Display for PeerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("never")
    }
}

impl std::error::Error for PeerError {}
