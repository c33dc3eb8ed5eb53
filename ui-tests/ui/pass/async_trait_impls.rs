//! Trait-impl methods under `#[async_trait]`, with the resilience attributes below it, and the
//! future they return is `Send`.

use async_trait::async_trait;
use resilience_runtime::{bulkhead, circuit_breaker, fallback, rate_limit, retry, timeout, Error};

#[derive(Debug, PartialEq)]
enum AppError {
    Unknown,
    Layer(Error),
}

impl From<Error> for AppError {
    fn from(error: Error) -> Self {
        Self::Layer(error)
    }
}

#[async_trait]
trait Inventory {
    async fn stock(&self, sku: &str) -> Result<u32, AppError>;
    async fn restock(&mut self, amount: u32) -> Result<u32, AppError>;
    async fn close(self) -> Result<u32, AppError>;
    async fn cheapest(&self) -> Result<u32, AppError>;
}

struct Warehouse {
    level: u32,
}

async fn nothing(_: AppError) -> Result<u32, AppError> {
    Ok(0)
}

#[async_trait]
impl Inventory for Warehouse {
    #[circuit_breaker(name = "warehouse-db")]
    #[retry(max_attempts = 2, initial_delay = "1ms")]
    #[timeout("100ms")]
    async fn stock(&self, sku: &str) -> Result<u32, AppError> {
        if sku.is_empty() {
            return Err(AppError::Unknown);
        }
        Ok(self.level)
    }

    #[rate_limit(rate = "10/s")]
    #[bulkhead(max_concurrent = 1)]
    async fn restock(&mut self, amount: u32) -> Result<u32, AppError> {
        self.level += amount;
        Ok(self.level)
    }

    #[timeout(duration = "1s")]
    async fn close(self) -> Result<u32, AppError> {
        Ok(self.level)
    }

    #[fallback(nothing)]
    #[retry(max_attempts = 2, initial_delay = "1ms")]
    async fn cheapest(&self) -> Result<u32, AppError> {
        Err(AppError::Unknown)
    }
}

fn assert_send<T: Send>(value: T) -> T {
    value
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut warehouse = Warehouse { level: 3 };
        assert_eq!(assert_send(warehouse.stock("apple")).await, Ok(3));
        assert_eq!(warehouse.stock("").await, Err(AppError::Unknown));
        assert_eq!(warehouse.restock(2).await, Ok(5));
        assert_eq!(warehouse.cheapest().await, Ok(0));
        assert_eq!(warehouse.close().await, Ok(5));
    });
}
