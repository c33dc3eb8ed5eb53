//! `#[circuit_breaker]`: a recommendations service goes down, the breaker stops calling it,
//! then probes it and closes again once it has recovered.
//!
//! One request per simulated second. The service fails from t=3s to t=13s; after three
//! consecutive failures the breaker opens and rejects calls without touching the service. After
//! the 8s recovery timeout the next call is a half-open trial, and two successful trials close
//! it. State and metrics come from `registry().circuit_breaker(name)`.
//!
//! Run it with `cargo run -p resilience-examples --example circuit_breaker`.

use std::ops::Range;
use std::time::Duration;

use resilience_runtime::{circuit_breaker, registry};
use tokio::time::{Instant, interval, sleep};

/// Why a recommendations request failed.
#[derive(Debug, thiserror::Error)]
enum RecoError {
    /// The service answered with a server error.
    #[error("503 from recommendations")]
    Unavailable,
    /// A resilience layer refused or cut short the call.
    #[error(transparent)]
    Resilience(#[from] resilience_runtime::Error),
}

/// A simulated recommendations service with an outage window.
struct Recommendations {
    /// When the run started.
    started: Instant,
    /// When, relative to `started`, the service is down.
    outage: Range<Duration>,
}

/// Recommendations for `user`, protected by a consecutive-failure breaker.
#[circuit_breaker(
    name = "recommendations",
    failure_threshold = 3,
    recovery_timeout = "8s",
    success_threshold = 2
)]
async fn recommend(service: &Recommendations, user: u32) -> Result<String, RecoError> {
    sleep(Duration::from_millis(30)).await;
    if service.outage.contains(&service.started.elapsed()) {
        return Err(RecoError::Unavailable);
    }
    Ok(format!("book-{}, lamp-{}", user * 7 % 100, user % 10))
}

/// Sends one request a second for twenty seconds and reports every state change.
async fn run() {
    let service = Recommendations {
        started: Instant::now(),
        outage: Duration::from_secs(3)..Duration::from_secs(13),
    };
    let breaker = registry()
        .circuit_breaker("recommendations")
        .expect("declared by #[circuit_breaker]");
    println!("One request per second; the service is down from t=3s to t=13s.");
    let mut every_second = interval(Duration::from_secs(1));
    for user in 0..20 {
        every_second.tick().await;
        let before = breaker.state();
        let t = service.started.elapsed().as_secs_f64();
        let shown = match recommend(&service, user).await {
            Ok(items) => format!("ok: {items}"),
            Err(err) => format!("error: {err}"),
        };
        let after = breaker.state();
        let change = if before == after {
            String::new()
        } else {
            format!("   [breaker {before} -> {after}]")
        };
        println!("  t={t:>4.1}s  user {user:>2}: {shown}{change}");
    }
    let m = breaker.metrics();
    println!(
        "\nBreaker `recommendations` is {}: {} successful, {} failed, {} not permitted, {} transitions.",
        breaker.state(),
        m.successful,
        m.failed,
        m.not_permitted,
        m.transitions
    );
    println!(
        "Conclusion: the breaker spared the failing service 8 calls; 2 good trials closed it."
    );
}

/// Runs the scenario on a paused current-thread runtime.
#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() {
    run().await;
}
