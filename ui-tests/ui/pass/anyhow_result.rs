//! `anyhow::Result` as the return type (the error converts from `resilience_runtime::Error`),
//! and a `thiserror` error with `#[from]`; the layer's error is recoverable by downcasting.

use std::time::Duration;

use resilience_runtime::{bulkhead, circuit_breaker, retry, timeout, Error};

#[retry(max_attempts = 2, initial_delay = "1ms")]
#[timeout("50ms")]
async fn fetch(delay: Duration) -> anyhow::Result<u32> {
    tokio::time::sleep(delay).await;
    Ok(1)
}

#[circuit_breaker]
#[bulkhead(max_concurrent = 2)]
fn parse(text: &str) -> anyhow::Result<u32> {
    Ok(text.parse()?)
}

#[derive(Debug, thiserror::Error)]
enum ServiceError {
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Resilience(#[from] Error),
}

#[timeout("10ms")]
async fn lookup(delay: Duration) -> Result<u32, ServiceError> {
    tokio::time::sleep(delay).await;
    Err(ServiceError::NotFound)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    runtime.block_on(async {
        assert_eq!(fetch(Duration::from_millis(1)).await.unwrap(), 1);
        let error = fetch(Duration::from_secs(1)).await.unwrap_err();
        assert_eq!(
            error.downcast_ref::<Error>(),
            Some(&Error::timeout(Duration::from_millis(50)))
        );
        assert!(matches!(lookup(Duration::ZERO).await, Err(ServiceError::NotFound)));
        assert!(matches!(
            lookup(Duration::from_secs(1)).await,
            Err(ServiceError::Resilience(Error::Timeout { .. }))
        ));
    });
    assert_eq!(parse("12").unwrap(), 12);
    assert!(parse("twelve").is_err());
}
