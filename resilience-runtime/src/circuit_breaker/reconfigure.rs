//! Reconfiguring a breaker while calls run: the new configuration takes over the live
//! [`Tuning`](super::tuning::Tuning) and the window, and a timed period under way keeps the
//! length it started with.

use std::sync::PoisonError;

use super::CircuitBreaker;
use super::config::CircuitBreakerConfig;
use super::state::CircuitState;

impl CircuitBreaker {
    /// Switches to `config` while calls run, keeping the breaker's state.
    ///
    /// - **State**: unchanged. An open breaker stays open until the time it would have
    ///   reopened for trial calls anyway: a new `recovery_timeout`, `recovery_backoff` or
    ///   `max_recovery_timeout` applies from the next opening, and a new
    ///   `max_wait_in_half_open` from the next half-open period. The count of failed
    ///   recoveries that grows the open wait is kept.
    /// - **Counts**: the consecutive-failure count, the metrics and the recent transitions are
    ///   kept. A lower `failure_threshold` that the current run of failures already reaches
    ///   opens the breaker on the next failure.
    /// - **Window**: kept, with its contents, when its kind and size stay the same (a new
    ///   `failure_rate`, `slow_call_rate` or `minimum_calls` judges the calls already in it
    ///   from the next recorded call on). A window of another kind or size starts empty; so
    ///   does the window a breaker that had none (consecutive model) starts keeping.
    /// - **Half-open**: the number of trial calls admitted and the successes that close the
    ///   breaker apply at once, to the trial calls still to come.
    ///
    /// Calls in flight are never blocked: each reads every setting either before or after
    /// the change. The change is logged at `info` level.
    ///
    /// ```
    /// use resilience_runtime::circuit_breaker::{CircuitBreaker, CircuitBreakerConfig, CircuitState};
    ///
    /// let breaker = CircuitBreaker::new("doc-reconfigure", CircuitBreakerConfig::new().with_failure_threshold(5));
    /// for _ in 0..2 {
    ///     breaker.try_acquire().unwrap().record_failure();
    /// }
    /// breaker.reconfigure(breaker.config().with_failure_threshold(3));
    /// assert_eq!(breaker.metrics().consecutive_failures, 2); // kept
    /// breaker.try_acquire().unwrap().record_failure();
    /// assert_eq!(breaker.state(), CircuitState::Open);
    /// ```
    pub fn reconfigure(&self, config: CircuitBreakerConfig) {
        let mut in_force = self.in_force.lock().unwrap_or_else(PoisonError::into_inner);
        if *in_force == config {
            return;
        }
        let current = self.load();
        match current.state() {
            CircuitState::Open => self
                .frozen
                .freeze(current.generation(), Some(self.open_wait(current.streak()))),
            CircuitState::HalfOpen => self
                .frozen
                .freeze(current.generation(), self.tuning.max_half_open()),
            CircuitState::Closed
            | CircuitState::ForcedOpen
            | CircuitState::Disabled
            | CircuitState::MetricsOnly => {}
        }
        // A window is in place before the rates that judge it are, and goes after them.
        if config.uses_window() {
            self.windows.switch_to(&config);
            self.tuning.store(&config);
        } else {
            self.tuning.store(&config);
            self.windows.switch_to(&config);
        }
        tracing::info!(
            target: "resilience_runtime::circuit_breaker",
            name = self.name,
            before = ?*in_force,
            after = ?config,
            "circuit breaker reconfigured"
        );
        *in_force = config;
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::super::SlidingWindow;
    use super::super::test_support::*;
    use super::*;

    fn open_for(breaker: &CircuitBreaker) -> Option<Duration> {
        match breaker.try_acquire() {
            Err(Error::CircuitOpen { retry_after, .. }) => retry_after,
            other => panic!("expected CircuitOpen, got {other:?}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_open_breaker_keeps_its_open_until_time() {
        start().await;
        let config = CircuitBreakerConfig::new()
            .with_failure_threshold(1)
            .with_recovery_timeout(SEC * 30);
        let breaker = CircuitBreaker::new("test", config);
        fail(&breaker);
        advance(SEC * 10).await;
        assert_eq!(open_for(&breaker), Some(SEC * 20));

        let longer = config
            .with_recovery_timeout(SEC * 300)
            .with_failure_threshold(4);
        breaker.reconfigure(longer);
        assert_eq!(breaker.config(), longer);
        assert_eq!(breaker.state(), CircuitState::Open);
        assert_eq!(open_for(&breaker), Some(SEC * 20), "same open-until");
        assert_eq!(breaker.metrics().open_wait, Some(SEC * 30));
        // A second change in the same period keeps the first period length too.
        breaker.reconfigure(longer.with_recovery_timeout(SEC));
        assert_eq!(open_for(&breaker), Some(SEC * 20));

        advance(SEC * 20).await;
        // The recovery comes when it was due; the trial call fails and the breaker reopens, now
        // for the new recovery timeout.
        fail(&breaker);
        assert_eq!(breaker.state(), CircuitState::Open);
        assert_eq!(open_for(&breaker), Some(SEC));
        assert_eq!(breaker.metrics().transitions, 3);
    }

    #[tokio::test(start_paused = true)]
    async fn a_half_open_period_keeps_its_time_limit() {
        start().await;
        let config = CircuitBreakerConfig::new()
            .with_failure_threshold(1)
            .with_recovery_timeout(SEC)
            .with_half_open_max_calls(3)
            .with_success_threshold(3);
        let breaker = CircuitBreaker::new("test", config);
        fail(&breaker);
        advance(SEC).await;
        succeed(&breaker); // the first trial call; half-open, without a time limit
        assert_eq!(breaker.state(), CircuitState::HalfOpen);
        breaker.reconfigure(config.with_max_wait_in_half_open(SEC));
        advance(SEC * 5).await;
        // No limit in this period: still half-open, trial calls still admitted.
        succeed(&breaker);
        assert_eq!(breaker.state(), CircuitState::HalfOpen);
        succeed(&breaker);
        assert_eq!(breaker.state(), CircuitState::Closed);
        // The next half-open period has the limit.
        fail(&breaker);
        advance(SEC).await;
        succeed(&breaker);
        advance(SEC).await;
        assert!(
            breaker.try_acquire().is_err(),
            "reopened past max_wait_in_half_open"
        );
        assert_eq!(breaker.state(), CircuitState::Open);
    }

    #[tokio::test(start_paused = true)]
    async fn half_open_counts_apply_to_the_trial_calls_still_to_come() {
        start().await;
        let config = CircuitBreakerConfig::new()
            .with_failure_threshold(1)
            .with_recovery_timeout(SEC)
            .with_success_threshold(3);
        let breaker = CircuitBreaker::new("test", config);
        fail(&breaker);
        advance(SEC).await;
        succeed(&breaker);
        assert_eq!(breaker.state(), CircuitState::HalfOpen);
        breaker.reconfigure(config.with_success_threshold(2));
        succeed(&breaker);
        assert_eq!(breaker.state(), CircuitState::Closed);
    }

    #[tokio::test(start_paused = true)]
    async fn window_counts_survive_a_threshold_change() {
        start().await;
        let config = CircuitBreakerConfig::new()
            .with_failure_rate(80)
            .with_window_calls(10)
            .with_minimum_calls(10);
        let breaker = CircuitBreaker::new("test", config);
        for _ in 0..5 {
            fail(&breaker);
        }
        for _ in 0..4 {
            succeed(&breaker);
        }
        let before = breaker.metrics();
        assert_eq!((before.calls_in_window, before.failure_rate), (9, None));

        breaker.reconfigure(config.with_failure_rate(50).with_minimum_calls(9));
        let after = breaker.metrics();
        assert_eq!(after.calls_in_window, 9, "the window is kept");
        assert_eq!(after.failure_rate, Some(5.0 * 100.0 / 9.0));
        assert_eq!(
            breaker.state(),
            CircuitState::Closed,
            "judged on the next call"
        );
        succeed(&breaker);
        assert_eq!(breaker.state(), CircuitState::Open, "5 of 10 failed: 50%");
    }

    #[tokio::test(start_paused = true)]
    async fn a_window_of_another_shape_starts_empty() {
        start().await;
        let config = CircuitBreakerConfig::new()
            .with_failure_rate(50)
            .with_window_calls(10)
            .with_minimum_calls(4);
        let breaker = CircuitBreaker::new("test", config);
        for _ in 0..3 {
            fail(&breaker);
        }
        breaker.reconfigure(config.with_window_duration(SEC * 60));
        assert_eq!(breaker.metrics().calls_in_window, 0);
        assert_eq!(breaker.metrics().failed, 3, "totals are kept");
        for _ in 0..3 {
            succeed(&breaker);
        }
        fail(&breaker);
        assert_eq!(
            breaker.state(),
            CircuitState::Closed,
            "1 of 4 in the new window"
        );
        // Back to the first shape: that window is reused, cleared.
        breaker.reconfigure(config);
        assert_eq!(breaker.metrics().calls_in_window, 0);
        for _ in 0..4 {
            fail(&breaker);
        }
        assert_eq!(breaker.state(), CircuitState::Open);
    }

    #[tokio::test(start_paused = true)]
    async fn switching_trip_models_keeps_the_state() {
        start().await;
        let consecutive = CircuitBreakerConfig::new().with_failure_threshold(3);
        let breaker = CircuitBreaker::new("test", consecutive);
        fail(&breaker);
        fail(&breaker);
        let rated = consecutive.with_failure_rate(100).with_minimum_calls(2);
        breaker.reconfigure(rated);
        assert_eq!(breaker.metrics().consecutive_failures, 2);
        fail(&breaker);
        assert_eq!(
            breaker.state(),
            CircuitState::Closed,
            "the rate model ignores the run of failures and judges its new window"
        );
        fail(&breaker);
        assert_eq!(breaker.state(), CircuitState::Open);

        breaker.reset();
        breaker.reconfigure(consecutive.with_failure_threshold(1));
        assert_eq!(breaker.metrics().calls_in_window, 0);
        fail(&breaker);
        assert_eq!(breaker.state(), CircuitState::Open);
    }

    #[tokio::test(start_paused = true)]
    async fn slow_call_tracking_switched_on_mid_call_does_not_count_that_call() {
        start().await;
        let config = CircuitBreakerConfig::new();
        let breaker = CircuitBreaker::new("test", config);
        let permit = breaker.try_acquire().unwrap();
        breaker.reconfigure(
            config
                .with_failure_rate(50)
                .with_slow_call_duration(Duration::from_millis(1))
                .with_slow_call_rate(50)
                .with_minimum_calls(1),
        );
        advance(SEC).await;
        permit.record_success();
        assert_eq!(breaker.metrics().slow, 0, "it started untimed");
        assert_eq!(breaker.state(), CircuitState::Closed);
        let permit = breaker.try_acquire().unwrap();
        advance(SEC).await;
        permit.record_success();
        assert_eq!(breaker.metrics().slow, 1);
        assert_eq!(breaker.state(), CircuitState::Open);
    }

    #[test]
    fn the_snapshot_shows_the_config_in_force() {
        let declared = CircuitBreakerConfig::new().with_failure_threshold(2);
        let breaker = CircuitBreaker::new("test", declared);
        breaker.reconfigure(declared.with_failure_threshold(9));
        assert_eq!(breaker.config().failure_threshold(), 9);
        assert_eq!(breaker.snapshot().config.failure_threshold(), 9);
        assert!(format!("{breaker:?}").contains("failure_threshold: 9"));
    }

    /// Threads keep calling while another flips between configurations of different trip models
    /// and window shapes: nothing panics, counts add up, and the state stays one of the states.
    #[test]
    fn calls_racing_reconfigurations_stay_consistent() {
        let configs = [
            CircuitBreakerConfig::new().with_failure_threshold(1_000_000),
            CircuitBreakerConfig::new()
                .with_failure_rate(100)
                .with_window_calls(7),
            CircuitBreakerConfig::new()
                .with_failure_rate(100)
                .with_window_duration(SEC * 3),
            CircuitBreakerConfig::new()
                .with_failure_rate(100)
                .with_slow_call_duration(Duration::from_secs(60))
                .with_slow_call_rate(100)
                .with_window_calls(50),
        ];
        let breaker = CircuitBreaker::new("test", configs[0]);
        let done = AtomicBool::new(false);
        let calls_per_thread = 20_000;
        let last = std::thread::scope(|scope| {
            for thread in 0..2 {
                let (breaker, done) = (&breaker, &done);
                scope.spawn(move || {
                    for call in 0..calls_per_thread {
                        let permit = breaker.try_acquire().expect("never opens");
                        if (call + thread) % 3 == 0 {
                            permit.record_success();
                        } else {
                            permit.record_ignored();
                        }
                    }
                    done.store(true, Ordering::Relaxed);
                });
            }
            let mut flips = 0usize;
            while !done.load(Ordering::Relaxed) || flips < 8 {
                breaker.reconfigure(configs[flips % configs.len()]);
                flips += 1;
            }
            configs[(flips - 1) % configs.len()]
        });
        let metrics = breaker.metrics();
        assert_eq!(breaker.state(), CircuitState::Closed);
        assert_eq!(breaker.config(), last);
        assert_eq!(metrics.failed, 0);
        let total = 2 * calls_per_thread as u64;
        assert_eq!(metrics.successful + metrics.ignored, total);
        // The window in use holds at most its size (calls recorded into a window that was being
        // replaced may be left out, never counted twice).
        let most = match (last.failure_rate(), last.window()) {
            (None, _) => 0,
            (Some(_), SlidingWindow::Calls(size)) => u64::from(size),
            (Some(_), SlidingWindow::Time(_)) => total,
        };
        assert!(metrics.calls_in_window <= most, "{metrics:?} with {last:?}");
    }
}
