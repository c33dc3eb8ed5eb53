//! Running a call through a chaos instance: the injected latency, then the injected error or
//! the body.

use std::future::Future;

use super::instance::Chaos;
use crate::base::clock;

impl Chaos {
    /// Runs `body` through this instance: after the injected latency, if any, fails with
    /// `error()` when a fault is injected, else awaits `body`.
    ///
    /// # Errors
    ///
    /// `error()` for an injected fault, else `body`'s error.
    pub async fn call<T, E, F>(&self, error: impl FnOnce() -> E, body: F) -> Result<T, E>
    where
        F: Future<Output = Result<T, E>>,
    {
        let injection = self.inject();
        clock::sleep(injection.latency()).await;
        if injection.fails() {
            return Err(error());
        }
        body.await
    }

    /// [`call`](Self::call) for blocking code: the latency blocks the thread.
    ///
    /// # Errors
    ///
    /// `error()` for an injected fault, else `body`'s error.
    pub fn call_blocking<T, E>(
        &self,
        error: impl FnOnce() -> E,
        body: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, E> {
        let injection = self.inject();
        clock::sleep_blocking(injection.latency());
        if injection.fails() {
            return Err(error());
        }
        body()
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    #[test]
    fn calls_sleep_the_latency_on_tokios_clock_and_fail_with_the_error() {
        paused().block_on(async {
            let slow = armed(
                "unit-call-latency",
                ChaosConfig::new().with_latency(Duration::from_millis(200)),
            );
            let start = tokio::time::Instant::now();
            let result: Result<u32, &str> = slow.call(|| "injected", async { Ok(1) }).await;
            assert_eq!(result, Ok(1));
            assert_eq!(start.elapsed(), Duration::from_millis(200));

            let failing = armed("unit-call-error", ChaosConfig::new().with_error_rate(1.0));
            let ran = std::cell::Cell::new(false);
            let result: Result<u32, &str> = failing
                .call(|| "injected", async {
                    ran.set(true);
                    Ok(1)
                })
                .await;
            assert_eq!(result, Err("injected"));
            assert!(!ran.get(), "the body of a failed call does not run");
        });
    }
}
