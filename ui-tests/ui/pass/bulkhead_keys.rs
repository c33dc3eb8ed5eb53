//! Every `#[bulkhead]` key: `max_concurrent`, `max_wait` (default: fail fast), `name`, adopting
//! a bulkhead by name, `crate`, and `adaptive` with `min_concurrent`.

use std::time::Duration;

use resilience_runtime::bulkhead::Adaptive;
use resilience_runtime::{bulkhead, registry, Error};
use tokio::time::sleep;

#[derive(Debug, PartialEq)]
enum AppError {
    Layer(Error),
}

impl From<Error> for AppError {
    fn from(error: Error) -> Self {
        Self::Layer(error)
    }
}

fn is_full(result: &Result<u32, AppError>) -> bool {
    matches!(result, Err(AppError::Layer(Error::BulkheadFull { max_concurrent: 1, .. })))
}

#[bulkhead(name = "bh-fail-fast", max_concurrent = 1)]
async fn fail_fast(id: u32) -> Result<u32, AppError> {
    sleep(Duration::from_millis(100)).await;
    Ok(id)
}

#[bulkhead(name = "bh-waits", max_concurrent = 1, max_wait = "1s")]
async fn waits(id: u32) -> Result<u32, AppError> {
    sleep(Duration::from_millis(100)).await;
    Ok(id)
}

// Adopts "bh-waits": one slot for both fns.
#[bulkhead(name = "bh-waits")]
async fn shares_waits(id: u32) -> Result<u32, AppError> {
    sleep(Duration::from_millis(100)).await;
    Ok(id)
}

#[bulkhead(max_concurrent = 3, crate = "resilience_runtime")]
async fn with_crate(id: u32) -> Result<u32, AppError> {
    Ok(id)
}

#[bulkhead(name = "bh-adaptive", max_concurrent = 32, adaptive = "aimd", min_concurrent = 2)]
async fn adaptive(id: u32) -> Result<u32, AppError> {
    Ok(id)
}

#[bulkhead(name = "bh-gradient", max_concurrent = 8, adaptive = "gradient", max_wait = "5ms")]
async fn gradient(id: u32) -> Result<u32, AppError> {
    Ok(id)
}

#[bulkhead(name = "bh-vegas", max_concurrent = 8, adaptive = "vegas")]
async fn vegas(id: u32) -> Result<u32, AppError> {
    Ok(id)
}

#[bulkhead(name = "bh-off", max_concurrent = 8, adaptive = "off")]
fn static_again(id: u32) -> Result<u32, AppError> {
    Ok(id)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    runtime.block_on(async {
        let (first, second) = tokio::join!(fail_fast(1), fail_fast(2));
        assert_eq!(first, Ok(1));
        assert!(is_full(&second), "{second:?}");
        let pool = registry().bulkhead("bh-fail-fast").unwrap();
        assert_eq!(pool.max_concurrent(), 1);
        assert_eq!(pool.in_flight(), 0);
        assert_eq!(pool.metrics().rejected, 1);

        let (first, second) = tokio::join!(waits(1), shares_waits(2));
        assert_eq!((first, second), (Ok(1), Ok(2)));
        let pool = registry().bulkhead("bh-waits").unwrap();
        assert_eq!(pool.metrics().peak_in_flight, 1);
        assert_eq!(pool.metrics().permitted, 2);

        assert_eq!(with_crate(3).await, Ok(3));

        assert_eq!(adaptive(4).await, Ok(4));
        let pool = registry().bulkhead("bh-adaptive").unwrap();
        assert_eq!(pool.adaptive(), Some(Adaptive::Aimd));
        assert_eq!((pool.min_concurrent(), pool.max_concurrent()), (2, 32));
        assert_eq!((gradient(5).await, vegas(6).await), (Ok(5), Ok(6)));
        assert_eq!(
            registry().bulkhead("bh-vegas").unwrap().adaptive(),
            Some(Adaptive::Vegas)
        );
        assert_eq!(static_again(7), Ok(7));
        let pool = registry().bulkhead("bh-off").unwrap();
        assert_eq!((pool.adaptive(), pool.limit()), (None, 8));
    });
}
