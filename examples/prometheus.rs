//! Metrics through the `metrics` facade, rendered as Prometheus text.
//!
//! A scripted checkout workload runs on tokio's paused clock: the database breaker trips,
//! retries recover some calls, the API limit makes calls wait and the pool turns one away.
//! Then `resilience_runtime::metrics::record()` copies the registry's counts into the
//! installed recorder (here `metrics-exporter-prometheus`), and the text a Prometheus server
//! would scrape is printed. A real service renders it in its `/metrics` handler, calling
//! `record()` first (see the `status_server` example), or runs
//! `resilience_runtime::metrics::spawn_recorder(period)`.
//!
//! ```text
//! cargo run -p resilience-examples --example prometheus
//! ```

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use metrics_exporter_prometheus::PrometheusBuilder;
use resilience_runtime::{bulkhead, circuit_breaker, rate_limit, retry};
use tokio::time::sleep;

#[derive(Debug, thiserror::Error)]
enum CheckoutError {
    #[error("database unavailable")]
    Unavailable,
    #[error("deadlock detected")]
    Deadlock,
    #[error(transparent)]
    Resilience(#[from] resilience_runtime::Error),
}

static ORDERS: AtomicU32 = AtomicU32::new(0);

/// The orders database, down for good: the breaker opens after three failures.
#[circuit_breaker(name = "checkout-db", failure_threshold = 3, recovery_timeout = "30s")]
async fn save_order(_order: u32) -> Result<(), CheckoutError> {
    Err(CheckoutError::Unavailable)
}

/// Every other attempt deadlocks once; a retry saves it.
#[retry(
    name = "checkout-retry",
    max_attempts = 3,
    backoff = "fixed",
    initial_delay = "50ms",
    jitter = "none"
)]
#[rate_limit(name = "checkout-api", rate = "10/s", burst = 5, max_wait = "2s")]
async fn reserve_stock(_order: u32) -> Result<(), CheckoutError> {
    if ORDERS.fetch_add(1, Ordering::Relaxed).is_multiple_of(2) {
        return Err(CheckoutError::Deadlock);
    }
    Ok(())
}

/// A payment provider that allows two calls at once.
#[bulkhead(name = "checkout-pool", max_concurrent = 2)]
async fn pay(_order: u32) -> Result<(), CheckoutError> {
    sleep(Duration::from_millis(300)).await;
    Ok(())
}

async fn workload() {
    for order in 0..6 {
        let _ = save_order(order).await;
    }
    for order in 0..8 {
        let _ = reserve_stock(order).await;
    }
    let payments: Vec<_> = (0..3).map(|order| tokio::spawn(pay(order))).collect();
    for payment in payments {
        let _ = payment.await;
    }
}

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let prometheus = PrometheusBuilder::new().install_recorder()?;
    workload().await;
    resilience_runtime::metrics::record();
    print!("{}", prometheus.render());
    Ok(())
}
