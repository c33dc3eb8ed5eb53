//! [`ChaosConfig`]: which faults a [`Chaos`](super::Chaos) instance injects.

use std::time::Duration;

use serde::Serialize;

/// The faults a [`Chaos`](super::Chaos) instance injects, as a `const` builder.
///
/// Rates are fractions of calls from 0.0 to 1.0 (a value outside is clamped, NaN is 0).
/// The attribute checks every value at compile time; this builder never fails.
///
/// ```
/// use resilience_runtime::chaos::ChaosConfig;
/// use std::time::Duration;
///
/// const FLAKY: ChaosConfig = ChaosConfig::new()
///     .with_error_rate(0.2)
///     .with_latency(Duration::from_millis(200))
///     .with_latency_rate(0.5)
///     .with_outage(Duration::from_secs(5), Duration::from_secs(60))
///     .with_seed(42);
/// assert_eq!(FLAKY.error_rate(), 0.2);
/// assert_eq!(FLAKY.outage(), Some((Duration::from_secs(5), Duration::from_secs(60))));
/// assert!(FLAKY.injects_errors());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ChaosConfig {
    error_rate: f64,
    latency: Duration,
    latency_rate: f64,
    outage: Duration,
    period: Duration,
    seed: Option<u64>,
}

impl ChaosConfig {
    /// No faults at all.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            error_rate: 0.0,
            latency: Duration::ZERO,
            latency_rate: resilience_syntax::rules::chaos::DEFAULT_LATENCY_RATE,
            outage: Duration::ZERO,
            period: Duration::ZERO,
            seed: None,
        }
    }

    /// The fraction of calls that fail with the injected error instead of running.
    #[must_use]
    pub const fn with_error_rate(mut self, rate: f64) -> Self {
        self.error_rate = fraction(rate);
        self
    }

    /// The delay added before a call runs (zero: none).
    #[must_use]
    pub const fn with_latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// The fraction of calls delayed by the latency (default 1.0: every call).
    #[must_use]
    pub const fn with_latency_rate(mut self, rate: f64) -> Self {
        self.latency_rate = fraction(rate);
        self
    }

    /// An outage of `outage` at the start of every `period`, counted from the instance's
    /// creation: calls during it fail without running. A zero `period` means no outage; an
    /// `outage` as long as the `period` means the service is always down.
    #[must_use]
    pub const fn with_outage(mut self, outage: Duration, period: Duration) -> Self {
        self.outage = outage;
        self.period = period;
        self
    }

    /// The seed of the instance's generator (mixed with its name; see the
    /// [module docs](super#reproducible-runs)).
    #[must_use]
    pub const fn with_seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// The fraction of calls failed with the injected error.
    #[must_use]
    pub const fn error_rate(&self) -> f64 {
        self.error_rate
    }

    /// The injected delay (zero: none).
    #[must_use]
    pub const fn latency(&self) -> Duration {
        self.latency
    }

    /// The fraction of calls delayed, when there is a latency.
    #[must_use]
    pub const fn latency_rate(&self) -> f64 {
        self.latency_rate
    }

    /// The outage and the period it recurs in, if there is one.
    #[must_use]
    pub const fn outage(&self) -> Option<(Duration, Duration)> {
        if self.outage.is_zero() || self.period.is_zero() {
            None
        } else {
            Some((self.outage, self.period))
        }
    }

    /// The seed given, if any.
    #[must_use]
    pub const fn seed(&self) -> Option<u64> {
        self.seed
    }

    /// Whether calls may fail: an error rate above 0 or an outage.
    #[must_use]
    pub const fn injects_errors(&self) -> bool {
        self.error_rate > 0.0 || self.outage().is_some()
    }

    /// Whether calls may be delayed.
    #[must_use]
    pub const fn injects_latency(&self) -> bool {
        !self.latency.is_zero() && self.latency_rate > 0.0
    }
}

impl Default for ChaosConfig {
    fn default() -> Self {
        Self::new()
    }
}

/// `rate` clamped into 0.0..=1.0, NaN as 0.
const fn fraction(rate: f64) -> f64 {
    if rate.is_nan() || rate <= 0.0 {
        0.0
    } else if rate >= 1.0 {
        1.0
    } else {
        rate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_clamped_into_fractions() {
        assert_eq!(ChaosConfig::new().with_error_rate(-1.0).error_rate(), 0.0);
        assert_eq!(
            ChaosConfig::new().with_error_rate(f64::NAN).error_rate(),
            0.0
        );
        assert_eq!(ChaosConfig::new().with_error_rate(20.0).error_rate(), 1.0);
        assert_eq!(
            ChaosConfig::new().with_latency_rate(0.25).latency_rate(),
            0.25
        );
        assert_eq!(
            ChaosConfig::new()
                .with_latency_rate(f64::INFINITY)
                .latency_rate(),
            1.0
        );
    }

    #[test]
    fn defaults_inject_nothing() {
        let config = ChaosConfig::default();
        assert_eq!(config, ChaosConfig::new());
        assert!(!config.injects_errors());
        assert!(!config.injects_latency());
        assert_eq!(config.outage(), None);
        assert_eq!(config.seed(), None);
        // Latency applies to every call unless a rate is given.
        let slow = config.with_latency(Duration::from_millis(5));
        assert_eq!(slow.latency_rate(), 1.0);
        assert!(slow.injects_latency());
        assert!(!slow.with_latency_rate(0.0).injects_latency());
    }

    #[test]
    fn an_outage_needs_a_period() {
        let second = Duration::from_secs(1);
        assert_eq!(
            ChaosConfig::new()
                .with_outage(second, Duration::ZERO)
                .outage(),
            None
        );
        assert_eq!(
            ChaosConfig::new()
                .with_outage(Duration::ZERO, second)
                .outage(),
            None
        );
        let config = ChaosConfig::new().with_outage(second, 10 * second);
        assert_eq!(config.outage(), Some((second, 10 * second)));
        assert!(config.injects_errors());
    }
}
