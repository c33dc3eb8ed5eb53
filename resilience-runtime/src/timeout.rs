//! Time limits on async calls.

use std::future::Future;
use std::time::Duration;

use crate::Error;

/// Runs `fut` for at most `after` (on tokio's clock); past that, drops it and returns
/// [`Error::Timeout`]. A future that is ready at once wins even with a zero limit.
///
/// Dropping `fut` is what cancels the call, so everything it held (e.g. a bulkhead permit) is
/// released.
///
/// ```
/// use resilience_runtime::{Error, timeout::timeout};
/// use std::time::Duration;
///
/// # tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true)
/// #     .build().unwrap().block_on(async {
/// let slow = tokio::time::sleep(Duration::from_secs(10));
/// let err = timeout(Duration::from_millis(500), slow).await.unwrap_err();
/// assert_eq!(err, Error::timeout(Duration::from_millis(500)));
///
/// let fast = async { 42 };
/// assert_eq!(timeout(Duration::from_millis(500), fast).await, Ok(42));
/// # });
/// ```
///
/// # Errors
///
/// [`Error::Timeout`] carrying `after` when the limit elapsed first.
pub async fn timeout<F: Future>(after: Duration, fut: F) -> Result<F::Output, Error> {
    // tokio clamps a limit too far in the future to "never", so no duration overflows.
    match tokio::time::timeout(after, fut).await {
        Ok(output) => Ok(output),
        Err(_elapsed) => {
            tracing::debug!(after = ?after, "call timed out");
            Err(Error::timeout(after))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::{Instant, sleep};

    #[tokio::test(start_paused = true)]
    async fn fires_at_exactly_the_limit() {
        let start = Instant::now();
        let result = timeout(Duration::from_millis(250), sleep(Duration::from_secs(1))).await;
        assert_eq!(result, Err(Error::timeout(Duration::from_millis(250))));
        assert_eq!(start.elapsed(), Duration::from_millis(250));
    }

    #[tokio::test(start_paused = true)]
    async fn passes_results_through() {
        let start = Instant::now();
        let ok = timeout(Duration::from_secs(1), async {
            sleep(Duration::from_millis(999)).await;
            Ok::<u8, &str>(7)
        })
        .await;
        assert_eq!(ok, Ok(Ok(7)));
        assert_eq!(start.elapsed(), Duration::from_millis(999));
        let err = timeout(Duration::from_secs(1), async { Err::<u8, &str>("boom") }).await;
        assert_eq!(err, Ok(Err("boom")));
    }

    #[tokio::test(start_paused = true)]
    async fn ready_future_beats_zero_limit_and_huge_limits_work() {
        assert_eq!(timeout(Duration::ZERO, async { 1 }).await, Ok(1));
        let result = timeout(Duration::ZERO, sleep(Duration::from_millis(1))).await;
        assert_eq!(result, Err(Error::timeout(Duration::ZERO)));
        let start = Instant::now();
        let result = timeout(Duration::MAX, sleep(Duration::from_secs(3600))).await;
        assert_eq!(result, Ok(()));
        assert_eq!(start.elapsed(), Duration::from_secs(3600));
    }

    #[tokio::test(start_paused = true)]
    async fn expiry_drops_the_inner_future() {
        struct Flag<'a>(&'a std::cell::Cell<bool>);
        impl Drop for Flag<'_> {
            fn drop(&mut self) {
                self.0.set(true);
            }
        }
        let dropped = std::cell::Cell::new(false);
        let result = timeout(Duration::from_millis(10), async {
            let _flag = Flag(&dropped);
            sleep(Duration::from_secs(1)).await;
        })
        .await;
        assert!(result.is_err());
        assert!(dropped.get());
    }
}
