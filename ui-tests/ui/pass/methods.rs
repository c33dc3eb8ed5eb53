//! Inherent methods with every receiver (`self`, `&self`, `&mut self`), async and sync, in a
//! generic impl, with a default name that includes the `Self` type.

use resilience_runtime::{bulkhead, circuit_breaker, rate_limit, registry, retry, timeout, Error};

#[derive(Debug, PartialEq)]
enum AppError {
    Empty,
    Layer(Error),
}

impl From<Error> for AppError {
    fn from(error: Error) -> Self {
        Self::Layer(error)
    }
}

struct Counter {
    count: u32,
    fail_next: u32,
}

impl Counter {
    #[retry(max_attempts = 3, initial_delay = "1ms")]
    #[timeout("1s")]
    async fn get(&self) -> Result<u32, AppError> {
        Ok(self.count)
    }

    #[retry(max_attempts = 3, initial_delay = "1ms", jitter = "none")]
    async fn bump(&mut self) -> Result<u32, AppError> {
        if self.fail_next > 0 {
            self.fail_next -= 1;
            return Err(AppError::Empty);
        }
        self.count += 1;
        Ok(self.count)
    }

    #[circuit_breaker]
    #[bulkhead(max_concurrent = 1)]
    async fn into_count(self) -> Result<u32, AppError> {
        Ok(self.count)
    }

    #[retry(max_attempts = 2, initial_delay = "1ms")]
    fn get_blocking(&self) -> Result<u32, AppError> {
        Ok(self.count)
    }

    #[rate_limit(rate = "100/s")]
    fn bump_blocking(&mut self) -> Result<u32, AppError> {
        self.count += 1;
        Ok(self.count)
    }

    #[circuit_breaker(name = "methods-consume-sync")]
    fn into_count_blocking(self) -> Result<u32, AppError> {
        Ok(self.count)
    }

    // `Self` in the return type.
    #[retry(max_attempts = 1)]
    async fn fresh() -> Result<Self, AppError> {
        Ok(Self { count: 0, fail_next: 0 })
    }
}

struct Stack<T> {
    items: Vec<T>,
}

impl<T: Clone + Send + Sync> Stack<T> {
    #[retry(max_attempts = 2, initial_delay = "1ms")]
    async fn peek(&self) -> Result<T, AppError> {
        self.items.last().cloned().ok_or(AppError::Empty)
    }

    #[circuit_breaker(name = "methods-stack-pop")]
    async fn pop(&mut self) -> Result<T, AppError> {
        self.items.pop().ok_or(AppError::Empty)
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut counter = Counter::fresh().await.unwrap();
        counter.fail_next = 2;
        assert_eq!(counter.bump().await, Ok(1));
        assert_eq!(counter.get().await, Ok(1));
        assert_eq!(counter.into_count().await, Ok(1));

        let mut stack = Stack { items: vec!["a", "b"] };
        assert_eq!(stack.peek().await, Ok("b"));
        assert_eq!(stack.pop().await, Ok("b"));
        assert_eq!(stack.pop().await, Ok("a"));
        assert_eq!(stack.peek().await, Err(AppError::Empty));
    });

    let mut counter = Counter { count: 5, fail_next: 0 };
    assert_eq!(counter.get_blocking(), Ok(5));
    assert_eq!(counter.bump_blocking(), Ok(6));
    assert_eq!(counter.into_count_blocking(), Ok(6));

    // Unnamed method policies are named after the type and the method.
    let snapshot = registry().snapshot();
    let breakers: Vec<&str> = snapshot.circuit_breakers.iter().map(|breaker| breaker.name).collect();
    assert!(breakers.iter().any(|name| name.ends_with("Counter::into_count")), "{breakers:?}");
    assert!(breakers.contains(&"methods-consume-sync"), "{breakers:?}");
    assert!(breakers.contains(&"methods-stack-pop"), "{breakers:?}");
}
