//! The ranges the attributes document (README's attribute tables), stated again independently
//! of the runtime's readers: every configuration a source is accepted with must lie in them.
//! Shared by `config_proptest.rs` and the `fuzz/` targets.

use std::time::Duration;

use resilience_runtime::circuit_breaker::{CircuitBreakerConfig, SlidingWindow};
use resilience_runtime::config::DryRun;
use resilience_runtime::rate_limit::RateLimitConfig;
use resilience_runtime::retry::{Jitter, RetryPolicy};

/// Panics, naming the instance and the value, if any configuration in `dry_run` is out of
/// range.
pub fn assert_in_range(dry_run: &DryRun) {
    for (name, config) in &dry_run.circuit_breakers {
        circuit_breaker(name, config);
    }
    for (name, config) in &dry_run.rate_limiters {
        rate_limiter(name, config);
    }
    for (name, config) in &dry_run.bulkheads {
        assert!(
            config.max_concurrent() >= 1,
            "bulkhead {name:?}: max_concurrent {}",
            config.max_concurrent()
        );
    }
    for (name, policy) in &dry_run.retries {
        retry(name, policy);
    }
}

fn percent(value: Option<u8>) -> bool {
    value.is_none_or(|value| (1..=100).contains(&value))
}

fn circuit_breaker(name: &str, config: &CircuitBreakerConfig) {
    let ok = (1..=1_000_000).contains(&config.failure_threshold())
        && percent(config.failure_rate())
        && percent(config.slow_call_rate())
        && match config.window() {
            SlidingWindow::Calls(calls) => (1..=100_000).contains(&calls),
            SlidingWindow::Time(span) => {
                span >= Duration::from_secs(1)
                    && span <= Duration::from_secs(3600)
                    && span.subsec_nanos() == 0
            }
        }
        && (1..=1_000_000).contains(&config.minimum_calls())
        && config
            .slow_call_duration()
            .is_none_or(|slow| !slow.is_zero())
        && !config.recovery_timeout().is_zero()
        && config
            .recovery_backoff()
            .is_none_or(|factor| factor > 1.0 && factor <= 10.0)
        && config
            .max_recovery_timeout()
            .is_none_or(|max| max >= config.recovery_timeout())
        && (1..=16_383).contains(&config.success_threshold())
        && (1..=16_383).contains(&config.half_open_max_calls())
        && config
            .max_wait_in_half_open()
            .is_none_or(|max| !max.is_zero());
    assert!(ok, "circuit breaker {name:?} out of range: {config:?}");
}

fn rate_limiter(name: &str, config: &RateLimitConfig) {
    let ok = config.rate().count() >= 1
        && !config.rate().period().is_zero()
        && config.burst() >= 1
        && config.max_queue() >= 1
        && config.max_keys() >= 1
        && !config.idle_ttl().is_zero();
    assert!(ok, "rate limiter {name:?} out of range: {config:?}");
    // The rate's display form is the attribute grammar, and reads back as the same rate.
    let shown = config.rate().to_string();
    assert_eq!(
        reread_rate(&shown),
        Ok((config.rate().count(), config.rate().period())),
        "rate limiter {name:?}: {shown}"
    );
}

fn retry(name: &str, policy: &RetryPolicy) {
    let ok = policy.max_attempts() >= 1
        && policy.max_delay() >= policy.initial_delay()
        && policy.multiplier() > 1.0
        && policy.multiplier() <= 100.0
        && match policy.jitter() {
            Jitter::Proportional(factor) => factor > 0.0 && factor <= 1.0,
            _ => true,
        }
        && policy
            .max_elapsed()
            .is_none_or(|elapsed| !elapsed.is_zero());
    assert!(ok, "retry {name:?} out of range: {policy:?}");
}

/// The rate as a configuration value reads it (`RESILIENCE_RATE_LIMITER_X_RATE=<text>`).
fn reread_rate(text: &str) -> Result<(u32, Duration), String> {
    let vars = [("RESILIENCE_RATE_LIMITER_ROUND_TRIP_RATE", text)];
    let dry_run =
        resilience_runtime::config::dry_run_env(vars).map_err(|error| error.to_string())?;
    let rate = dry_run.rate_limiters["ROUND_TRIP"].rate();
    Ok((rate.count(), rate.period()))
}
