//! `#[chaos]`: testing a price service's resilience by injecting the faults of a bad day.
//!
//! The price lookup fails 20% of the time, is slow (300ms) on 10% of calls, and has a 5s
//! outage at the start of every minute, all injected by `#[chaos]` below a 250ms timeout, a
//! retry and a circuit breaker. One request a second for two minutes shows what the callers
//! see: the retry absorbs the random failures, and the breaker opens during each outage and
//! closes after it. Chaos is armed from code here (tests would use the runtime's `chaos`
//! feature under `[dev-dependencies]`), the seed makes every run the same, and tokio's clock
//! is paused, so two simulated minutes take a moment.
//!
//! Run it with `cargo run -p resilience-examples --example chaos`.

use std::time::Duration;

use resilience_runtime::circuit_breaker::CircuitState;
use resilience_runtime::{chaos, circuit_breaker, registry, retry, timeout};
use tokio::time::{Instant, sleep_until};

/// Why a price lookup failed.
#[derive(Debug, thiserror::Error)]
enum PriceError {
    /// The price service did not answer (here: injected by chaos).
    #[error("price service unavailable")]
    Unavailable,
    /// A resilience layer refused the call or cut it short.
    #[error(transparent)]
    Resilience(#[from] resilience_runtime::Error),
}

impl PriceError {
    fn unavailable() -> Self {
        Self::Unavailable
    }

    fn is_transient(&self) -> bool {
        !matches!(
            self,
            Self::Resilience(resilience_runtime::Error::CircuitOpen { .. })
        )
    }
}

/// Looks up a price. The body always succeeds; every failure is injected.
#[circuit_breaker(name = "prices", failure_threshold = 3, recovery_timeout = "2s")]
#[retry(name = "prices-retry", max_attempts = 3, initial_delay = "50ms", when = PriceError::is_transient)]
#[timeout("250ms")]
#[chaos(
    name = "prices-chaos",
    error_rate = 0.2,
    error = PriceError::unavailable,
    latency = "300ms",
    latency_rate = 0.1,
    outage = "5s",
    period = "1m",
    seed = 2024
)]
async fn price(sku: u32) -> Result<u32, PriceError> {
    Ok(100 + sku % 7)
}

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() {
    chaos::set_enabled(true);
    let breaker = registry().circuit_breaker("prices").expect("declared");
    let start = Instant::now();
    let (mut ok, mut failed, mut rejected) = (0, 0, 0);
    for second in 0..120_u32 {
        match price(second).await {
            Ok(_) => ok += 1,
            Err(PriceError::Resilience(resilience_runtime::Error::CircuitOpen { .. })) => {
                rejected += 1;
            }
            Err(_) => failed += 1,
        }
        if breaker.state() != CircuitState::Closed || second % 30 == 0 {
            println!("t={second:>3}s  breaker {}", breaker.state());
        }
        sleep_until(start + Duration::from_secs(u64::from(second) + 1)).await;
    }
    println!(
        "\n120 requests: {ok} answered, {failed} failed, {rejected} rejected by the open breaker\n"
    );
    println!("{}", registry().snapshot());
}
