//! `#[fallback]`: serve cached data when the layers below end in an error.
//!
//! A storefront reads an exchange rate and news headlines from one upstream. The rate has a sync
//! fallback that serves the last good rate from memory (or gives the error back when it has
//! none); the headlines have an async fallback that reads a cache from disk, and also answers
//! while the breaker below it is open. Tokio's clock is paused, so the timeline is exact.
//!
//! Run it with `cargo run -p resilience-examples --example fallback`.

use std::sync::{Mutex, atomic::AtomicU64, atomic::Ordering};
use std::time::Duration;

use resilience_runtime::{circuit_breaker, fallback, retry, timeout};
use tokio::time::sleep;

/// Why an upstream call failed.
#[derive(Debug, thiserror::Error)]
enum ShopError {
    /// The upstream answered 503.
    #[error("503 from upstream")]
    Unavailable,
    /// A resilience layer refused or cut short the call.
    #[error(transparent)]
    Resilience(#[from] resilience_runtime::Error),
}

/// How the simulated upstream behaves: 0 = down, otherwise its latency in ms.
static UPSTREAM_MS: AtomicU64 = AtomicU64::new(40);
/// The last exchange rate the upstream answered with.
static LAST_RATE: Mutex<Option<String>> = Mutex::new(None);

/// One call to the upstream.
async fn upstream(answer: &str) -> Result<String, ShopError> {
    let millis = UPSTREAM_MS.load(Ordering::SeqCst);
    sleep(Duration::from_millis(millis.max(10))).await;
    if millis == 0 {
        return Err(ShopError::Unavailable);
    }
    Ok(answer.to_owned())
}

/// The EUR/USD rate: two attempts of at most 250ms, then the last good rate.
#[fallback(last_good_rate)]
#[retry(max_attempts = 2, initial_delay = "100ms", jitter = "none")]
#[timeout("250ms")]
async fn eur_usd() -> Result<String, ShopError> {
    let rate = upstream("1.0842").await?;
    *LAST_RATE.lock().expect("the cache lock is not poisoned") = Some(rate.clone());
    Ok(rate)
}

/// Sync fallback: the last good rate, marked stale; without one, the original error.
fn last_good_rate(err: ShopError) -> Result<String, ShopError> {
    println!("    (fallback sees: {err})");
    let cached = LAST_RATE.lock().expect("the cache lock is not poisoned");
    Ok(format!("{} (stale)", cached.as_ref().ok_or(err)?))
}

/// Headlines behind a breaker, with an async fallback.
#[fallback(headlines_from_disk)]
#[circuit_breaker(name = "news", failure_threshold = 2, recovery_timeout = "30s")]
async fn headlines() -> Result<String, ShopError> {
    upstream("Rust 1.95 released").await
}

/// Async fallback: reading the disk cache takes a few milliseconds.
async fn headlines_from_disk(err: ShopError) -> Result<String, ShopError> {
    println!("    (fallback sees: {err})");
    sleep(Duration::from_millis(5)).await;
    Ok(String::from("Rust 1.94 released (from the disk cache)"))
}

/// Asks for the rate and the headlines while the upstream is slow, healthy or down.
async fn run() {
    let start = tokio::time::Instant::now();
    let t = || format!("t={:.3}s", start.elapsed().as_secs_f64());
    for (phase, millis) in [("slow (2s)", 2000), ("healthy", 40), ("slow (2s)", 2000)] {
        UPSTREAM_MS.store(millis, Ordering::SeqCst);
        println!("{} upstream {phase}: rate", t());
        let rate = eur_usd().await;
        println!("  {} => {rate:?}", t());
    }
    for (phase, millis) in [("healthy", 40), ("down", 0), ("down", 0), ("down", 0)] {
        UPSTREAM_MS.store(millis, Ordering::SeqCst);
        println!("{} upstream {phase}: headlines", t());
        let news = headlines().await;
        println!("  {} => {news:?}", t());
    }
    println!("Conclusion: cached data replaced the errors, except before any rate was cached.");
}

/// Runs the scenario on a paused current-thread runtime.
#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() {
    run().await;
}
