//! A seeded simulation on the paused clock: a service that answers in 10 ms 95% of the time
//! and in 1 s otherwise, each attempt drawing its latency independently. With
//! `#[hedge(delay = "50ms")]` the p99 latency is at most 10% of the unhedged p99, and the
//! extra attempts are at most 10% of the calls.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use resilience_runtime::{Error, hedge, registry};
use tokio::time::{Instant, sleep};

const CALLS: usize = 4_000;
const SEED: u64 = 0x05ee_d0f4_ed9e;

/// splitmix64 over a shared counter: the same seed and draw order give the same latencies.
static DRAWS: AtomicU64 = AtomicU64::new(SEED);
static ATTEMPTS: AtomicU32 = AtomicU32::new(0);

/// One attempt's latency: 10 ms with probability 0.95, else 1 s.
fn draw() -> Duration {
    let mut z = DRAWS.fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    if z % 100 < 95 {
        Duration::from_millis(10)
    } else {
        Duration::from_secs(1)
    }
}

async fn service() -> Result<(), Error> {
    ATTEMPTS.fetch_add(1, Ordering::Relaxed);
    sleep(draw()).await;
    Ok(())
}

#[hedge(name = "overload-hedge", delay = "50ms")]
async fn hedged() -> Result<(), Error> {
    service().await
}

/// Every call's latency, sorted, and the attempts made.
async fn run<F, Fut>(call: F) -> (Vec<Duration>, u32)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<(), Error>>,
{
    ATTEMPTS.store(0, Ordering::Relaxed);
    let mut latencies = Vec::with_capacity(CALLS);
    for _ in 0..CALLS {
        let start = Instant::now();
        call().await.unwrap();
        latencies.push(start.elapsed());
    }
    latencies.sort();
    (latencies, ATTEMPTS.load(Ordering::Relaxed))
}

fn p99(sorted: &[Duration]) -> Duration {
    sorted[(sorted.len() * 99).div_ceil(100) - 1]
}

#[tokio::test(start_paused = true)]
async fn hedging_cuts_the_p99_tenfold_for_under_ten_percent_more_attempts() {
    let (unhedged, plain_attempts) = run(service).await;
    let (with_hedge, attempts) = run(hedged).await;
    let (before, after) = (p99(&unhedged), p99(&with_hedge));
    assert_eq!(before, Duration::from_secs(1));
    assert!(
        after * 10 <= before,
        "p99 {after:?} with the hedge, {before:?} without"
    );
    assert_eq!(plain_attempts as usize, CALLS);
    let extra = attempts as usize - CALLS;
    assert!(
        extra * 10 <= CALLS,
        "{extra} extra attempts for {CALLS} calls"
    );
    // Each hedge is one extra attempt, counted by the instance too.
    let metrics = registry().hedge("overload-hedge").unwrap().metrics();
    assert_eq!(metrics.hedges_started as usize, extra);
    assert!(metrics.hedges_won > 0);
    println!(
        "unhedged p99 {before:?}; hedged p99 {after:?}, {extra} extra attempts ({:.1}%), {} won",
        extra as f64 * 100.0 / CALLS as f64,
        metrics.hedges_won
    );
}
