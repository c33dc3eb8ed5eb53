//! `#[fallback]` with an async and a sync fallback fn, on async and sync fns, as the outermost
//! layer of a stack and alone.

use std::time::Duration;

use resilience_runtime::{fallback, retry, timeout, Error};

#[derive(Debug, PartialEq)]
enum AppError {
    Down,
    Layer(Error),
}

impl From<Error> for AppError {
    fn from(error: Error) -> Self {
        Self::Layer(error)
    }
}

async fn cached_price(error: AppError) -> Result<u32, AppError> {
    tokio::task::yield_now().await;
    match error {
        AppError::Layer(Error::Timeout { .. }) => Ok(99),
        other => Err(other),
    }
}

fn default_price(error: AppError) -> Result<u32, AppError> {
    match error {
        AppError::Down => Ok(10),
        other => Err(other),
    }
}

#[fallback(cached_price)]
#[timeout("100ms")]
async fn price(delay: Duration) -> Result<u32, AppError> {
    tokio::time::sleep(delay).await;
    Ok(42)
}

#[fallback(default_price)]
#[retry(max_attempts = 2, initial_delay = "1ms", jitter = "none")]
async fn price_or_default(up: bool) -> Result<u32, AppError> {
    if up { Ok(42) } else { Err(AppError::Down) }
}

#[fallback(self::default_price)]
fn price_sync(up: bool) -> Result<u32, AppError> {
    if up { Ok(42) } else { Err(AppError::Down) }
}

#[fallback(default_price, crate = "resilience_runtime")]
async fn with_crate() -> Result<u32, AppError> {
    Err(AppError::Down)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    runtime.block_on(async {
        assert_eq!(price(Duration::from_millis(1)).await, Ok(42));
        assert_eq!(price(Duration::from_secs(1)).await, Ok(99));
        assert_eq!(price_or_default(true).await, Ok(42));
        assert_eq!(price_or_default(false).await, Ok(10));
        assert_eq!(with_crate().await, Ok(10));
    });
    assert_eq!(price_sync(true), Ok(42));
    assert_eq!(price_sync(false), Ok(10));
}
