//! `#[rate_limit]`: an outbound client for a geocoding API that allows 5 requests a second.
//!
//! Eight requests go out back to back, first in `"wait"` mode (the burst of 5 goes at once,
//! the rest are spaced 200ms apart) and then in `"reject"` mode (the rest fail at once with a
//! `retry_after` hint). Then `key = tenant` gives every tenant its own 2/s budget, so a noisy
//! tenant cannot starve a quiet one. Finally `"queue"` mode lets at most two requests wait, in
//! arrival order, and turns the rest away at once. Tokio's clock is paused, so the timings are
//! exact.
//!
//! Run it with `cargo run -p resilience-examples --example rate_limit`.

use resilience_runtime::{rate_limit, registry};
use tokio::time::Instant;

/// Why a geocoding request failed.
#[derive(Debug, thiserror::Error)]
enum GeoError {
    /// A resilience layer refused the call.
    #[error(transparent)]
    Resilience(#[from] resilience_runtime::Error),
}

/// Waits (up to 1s) for a permit when the budget is spent; the burst defaults to the rate's 5.
#[rate_limit(name = "geo-wait", rate = "5/s", on_limit = "wait", max_wait = "1s")]
async fn geocode_waiting(address: &str) -> Result<String, GeoError> {
    Ok(format!("{address}: 52.52,13.40"))
}

/// Fails fast with `Error::RateLimited` when the budget is spent.
#[rate_limit(name = "geo-reject", rate = "5/s", burst = 5, on_limit = "reject")]
async fn geocode_or_reject(address: &str) -> Result<String, GeoError> {
    Ok(format!("{address}: 48.85,2.35"))
}

/// A separate 2/s budget for every tenant.
#[rate_limit(name = "geo-tenant", rate = "2/s", on_limit = "reject", key = tenant)]
async fn geocode_for(tenant: &str, address: &str) -> Result<String, GeoError> {
    Ok(format!("{address} for {tenant}"))
}

/// At most two requests wait for a permit; more are turned away at once.
#[rate_limit(
    name = "geo-queue",
    rate = "5/s",
    burst = 1,
    on_limit = "queue",
    max_queue = 2
)]
async fn geocode_queued(address: &str) -> Result<String, GeoError> {
    Ok(format!("{address}: 40.42,-3.70"))
}

/// Prints one outcome with the simulated time.
fn report(start: Instant, label: &str, outcome: &Result<String, GeoError>) {
    report_at(start.elapsed(), label, outcome);
}

/// Prints one outcome that came `elapsed` into the scenario.
fn report_at(elapsed: std::time::Duration, label: &str, outcome: &Result<String, GeoError>) {
    let t = elapsed.as_secs_f64();
    match outcome {
        Ok(answer) => println!("  t={t:.3}s  {label}: ok ({answer})"),
        Err(err) => println!("  t={t:.3}s  {label}: {err}"),
    }
}

/// Runs the three scenarios one after another.
async fn run() {
    let start = Instant::now();
    println!("on_limit = \"wait\": 8 requests back to back");
    for i in 1..=8 {
        report(start, &format!("#{i}"), &geocode_waiting("Berlin").await);
    }

    let start = Instant::now();
    println!("\non_limit = \"reject\": 8 requests back to back, then one after the hint");
    let mut hint = None;
    for i in 1..=8 {
        let outcome = geocode_or_reject("Paris").await;
        if let Err(GeoError::Resilience(err)) = &outcome {
            hint = err.retry_after();
        }
        report(start, &format!("#{i}"), &outcome);
    }
    tokio::time::sleep(hint.expect("requests 6 to 8 were rejected with a hint")).await;
    report(start, "#9", &geocode_or_reject("Paris").await);

    let start = Instant::now();
    println!("\nkey = tenant: acme sends 4 requests, then globex sends 2");
    for tenant in ["acme", "acme", "acme", "acme", "globex", "globex"] {
        report(start, tenant, &geocode_for(tenant, "Rome").await);
    }

    let start = Instant::now();
    println!("\non_limit = \"queue\", max_queue = 2: 4 requests at once");
    let timed = || async move {
        let outcome = geocode_queued("Madrid").await;
        (outcome, start.elapsed())
    };
    let (a, b, c, d) = tokio::join!(timed(), timed(), timed(), timed());
    for (label, (outcome, elapsed)) in [("#1", a), ("#2", b), ("#3", c), ("#4", d)] {
        report_at(elapsed, label, &outcome);
    }

    println!("\nLimiter metrics from the registry:");
    for name in ["geo-wait", "geo-reject", "geo-tenant", "geo-queue"] {
        let limiter = registry().rate_limiter(name).expect("declared");
        let m = limiter.metrics();
        println!(
            "  {name:<10} {} permitted, {} waited ({:?} in total), {} rejected, {} keys tracked",
            m.permitted, m.waited, m.total_wait, m.rejected, m.tracked_keys
        );
    }
    println!(
        "Conclusion: a burst of 5, then one per 200ms; the rest wait or fail fast; each tenant has its own budget; a queue bounds the waiters."
    );
}

/// Runs the scenario on a paused current-thread runtime.
#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() {
    run().await;
}
