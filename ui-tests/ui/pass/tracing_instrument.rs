//! Next to `#[tracing::instrument]`, above and below the resilience attributes.

use resilience_runtime::{retry, timeout, Error};

#[derive(Debug, PartialEq)]
enum AppError {
    Layer(Error),
}

impl From<Error> for AppError {
    fn from(error: Error) -> Self {
        Self::Layer(error)
    }
}

#[tracing::instrument]
#[retry(max_attempts = 2, initial_delay = "1ms")]
#[timeout("1s")]
async fn outside(id: u64) -> Result<u64, AppError> {
    Ok(id)
}

#[retry(max_attempts = 2, initial_delay = "1ms")]
#[tracing::instrument(level = "debug")]
async fn inside(id: u64) -> Result<u64, AppError> {
    Ok(id + 1)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    runtime.block_on(async {
        assert_eq!(outside(1).await, Ok(1));
        assert_eq!(inside(1).await, Ok(2));
    });
}
