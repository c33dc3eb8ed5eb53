//! Retuning a live limiter: a new rate or burst, applied from the next permit on.

use std::sync::PoisonError;

use super::gcra::Gcra;
use super::limiter::RateLimiter;
use super::{Rate, RateLimitConfig};

impl RateLimiter {
    /// Changes the sustained rate, for the unkeyed limit and every key.
    ///
    /// The limiter keeps its state (for each limit, the time at which it would be back to a
    /// full burst) and the new rate applies from the next permit on; calls already waiting
    /// keep the permit time they were given.
    ///
    /// ```
    /// use resilience_runtime::rate_limit::{OnLimit, Rate, RateLimitConfig, RateLimiter};
    ///
    /// let limiter = RateLimiter::new(
    ///     "slow-api",
    ///     RateLimitConfig::new(Rate::per_second(1)).with_on_limit(OnLimit::Reject),
    /// );
    /// limiter.set_rate(Rate::per_second(100));
    /// limiter.set_burst(5);
    /// assert_eq!(limiter.config().rate(), Rate::per_second(100));
    /// assert_eq!(limiter.config().burst(), 5);
    /// ```
    pub fn set_rate(&self, rate: Rate) {
        self.retune(|config| config.with_rate(rate));
    }

    /// Changes the burst, for the unkeyed limit and every key, keeping the state as
    /// [`set_rate`](Self::set_rate) does. A burst of zero admits nothing.
    pub fn set_burst(&self, burst: u32) {
        self.retune(|config| config.with_burst(burst));
    }

    fn retune(&self, change: impl FnOnce(RateLimitConfig) -> RateLimitConfig) {
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        *current = change(*current);
        self.tuning.store(Gcra::new(&current));
        tracing::info!(
            target: "resilience_runtime::rate_limit",
            name = self.name,
            rate = %current.rate(),
            burst = current.burst(),
            "rate limiter retuned"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    #[tokio::test(start_paused = true)]
    async fn set_rate_keeps_the_state_and_applies_from_the_next_permit() {
        let rl = limiter(
            RateLimitConfig::new(Rate::per_second(1))
                .with_burst(1)
                .with_on_limit(OnLimit::Reject),
        );
        rl.try_acquire().unwrap();
        rl.try_acquire_key("k").unwrap();
        rl.set_rate(Rate::per_second(10));
        // The state is kept: the limit recovers when it would have (1s from now).
        assert_eq!(rejected(rl.try_acquire()), Some(SEC));
        assert_eq!(rejected(rl.try_acquire_key("k")), Some(SEC));
        tokio::time::advance(SEC).await;
        // From the next permit on, permits come at the new rate.
        rl.try_acquire().unwrap();
        assert_eq!(rejected(rl.try_acquire()), Some(ms(100)));
        rl.try_acquire_key("k").unwrap();
        assert_eq!(rejected(rl.try_acquire_key("k")), Some(ms(100)));

        // One permit of the new burst of three is in use: two are left.
        rl.set_burst(3);
        let burst = (0..10).take_while(|_| rl.try_acquire().is_ok()).count();
        assert_eq!(burst, 2);
        tokio::time::advance(SEC).await;
        let burst = (0..10).take_while(|_| rl.try_acquire().is_ok()).count();
        assert_eq!(burst, 3);
        let config = rl.config();
        assert_eq!((config.rate(), config.burst()), (Rate::per_second(10), 3));
        assert_eq!(rl.snapshot().config.burst(), 3);

        rl.set_burst(0);
        assert_eq!(rejected(rl.try_acquire()), None);
    }

    #[tokio::test(start_paused = true)]
    async fn set_rate_while_calls_wait_keeps_their_times() {
        let t0 = Instant::now();
        let rl = Arc::new(limiter(
            RateLimitConfig::new(Rate::per_second(1)).with_burst(1),
        ));
        rl.acquire().await.unwrap();
        let waiter = {
            let rl = Arc::clone(&rl);
            tokio::spawn(async move {
                rl.acquire().await.unwrap();
                t0.elapsed()
            })
        };
        tokio::task::yield_now().await;
        rl.set_rate(Rate::per_second(100));
        // The waiter keeps its permit time; the limit recovers when its state says (2s, the end
        // of the waiter's slot at the old rate), then permits come at the new rate.
        assert_eq!(waiter.await.unwrap(), SEC);
        rl.acquire().await.unwrap();
        assert_eq!(t0.elapsed(), 2 * SEC);
        rl.acquire().await.unwrap();
        assert_eq!(t0.elapsed(), ms(2_010));
    }
}
