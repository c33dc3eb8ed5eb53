//! Every `#[chaos]` key: `error_rate` with `error`, `latency` with `latency_rate`, `outage`
//! with `period`, `seed`, `name` and `crate`; on async and sync fns, under a retry, with an
//! `anyhow` alias as the return type; inert until armed.

use std::time::Duration;

use resilience_runtime::{chaos, registry, retry, Error};

#[derive(Debug, PartialEq)]
enum AppError {
    Injected,
    Layer(Error),
}

impl From<Error> for AppError {
    fn from(error: Error) -> Self {
        Self::Layer(error)
    }
}

impl AppError {
    fn injected() -> Self {
        Self::Injected
    }
}

fn anyhow_injected() -> anyhow::Error {
    anyhow::anyhow!("injected")
}

#[retry(max_attempts = 5, initial_delay = "10ms", jitter = "none")]
#[chaos(
    name = "ui-chaos-every-key",
    error_rate = 0.2,
    error = AppError::injected,
    latency = "200ms",
    latency_rate = 0.5,
    outage = "5s",
    period = "1m",
    seed = 42,
    crate = "resilience_runtime"
)]
async fn every_key(id: u32) -> Result<u32, AppError> {
    Ok(id)
}

#[chaos(name = "ui-chaos-sync", error_rate = 1.0, error = AppError::injected)]
fn sync_fn(id: u32) -> Result<u32, AppError> {
    Ok(id)
}

#[chaos(name = "ui-chaos-anyhow", error_rate = 1, error = anyhow_injected)]
async fn with_anyhow() -> anyhow::Result<u32> {
    Ok(1)
}

#[chaos(latency = "1s")]
async fn latency_only() -> Result<(), AppError> {
    Ok(())
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    runtime.block_on(async {
        chaos::set_enabled(false);
        assert_eq!(sync_fn(1), Ok(1));
        assert_eq!(with_anyhow().await.unwrap(), 1);

        chaos::set_enabled(true);
        assert_eq!(sync_fn(1), Err(AppError::Injected));
        assert_eq!(with_anyhow().await.unwrap_err().to_string(), "injected");

        // The first 5s are an outage: every attempt fails.
        assert_eq!(every_key(1).await, Err(AppError::Injected));
        tokio::time::sleep(Duration::from_secs(5)).await;
        for id in 0..50 {
            assert_eq!(every_key(id).await, Ok(id));
        }
        let chaos = registry().chaos("ui-chaos-every-key").unwrap();
        assert_eq!(chaos.config().seed(), Some(42));
        assert!(chaos.metrics().outage_calls >= 5);
        assert!(chaos.metrics().errors_injected > 0);

        let start = tokio::time::Instant::now();
        latency_only().await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_secs(1));
    });
}
