//! [`RetryBudget`]: how many retries a named retry may add to its calls.

use std::time::Duration;

use resilience_syntax::rules::retry as rules;
use serde::Serialize;

/// A retry budget: retries may add at most `percent` of the named retry's calls over a
/// sliding `window`, plus a minimum of `min_count` retries per `min_period` of the window
/// (so a quiet service can still retry).
///
/// The budget belongs to the named [`Retry`](super::Retry): every site, tower layer and plain
/// [`Retry::run`](super::Retry::run) naming it spends from the same window. When it is spent,
/// a call that wants to retry ends with its last outcome instead.
///
/// ```
/// use resilience_runtime::retry::{RetryBudget, RetryConfig};
/// use std::time::Duration;
///
/// const POLICY: RetryConfig = RetryConfig::new()
///     .with_max_attempts(5)
///     .with_budget(RetryBudget::new(20.0).with_window(Duration::from_secs(30)));
/// let budget = POLICY.budget().unwrap();
/// assert_eq!(budget.percent(), 20.0);
/// assert_eq!(budget.min_per_sec(), 10.0); // the default "10/s"
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RetryBudget {
    percent: f64,
    window: Duration,
    min_count: u32,
    min_period: Duration,
}

impl RetryBudget {
    /// A budget of `percent` of the calls (`20.0` for `"20%"`), over the default window
    /// (`"10s"`) with the default minimum (`"10/s"`). A percentage outside `(0, 100]` is
    /// taken as the nearest bound (NaN as none): the attribute and configuration reject it.
    #[must_use]
    pub const fn new(percent: f64) -> Self {
        Self {
            percent,
            window: rules::DEFAULT_BUDGET_WINDOW,
            min_count: rules::DEFAULT_BUDGET_MIN.0,
            min_period: rules::DEFAULT_BUDGET_MIN.1,
        }
    }

    /// The sliding window the budget counts over; a zero window is taken as 1 ns.
    #[must_use]
    pub const fn with_window(mut self, window: Duration) -> Self {
        self.window = window;
        self
    }

    /// The retries always allowed: `count` per `period` of the window (`"0/s"` for none); a
    /// zero period allows none.
    #[must_use]
    pub const fn with_min(mut self, count: u32, period: Duration) -> Self {
        self.min_count = count;
        self.min_period = period;
        self
    }

    /// The share of the calls retries may add, in percent.
    #[must_use]
    pub const fn percent(&self) -> f64 {
        self.percent
    }

    /// The sliding window.
    #[must_use]
    pub const fn window(&self) -> Duration {
        self.window
    }

    /// The minimum as written: (count, period).
    #[must_use]
    pub const fn min(&self) -> (u32, Duration) {
        (self.min_count, self.min_period)
    }

    /// The minimum as retries per second.
    #[must_use]
    pub fn min_per_sec(&self) -> f64 {
        if self.min_period.is_zero() {
            return 0.0;
        }
        f64::from(self.min_count) / self.min_period.as_secs_f64()
    }

    /// The share of the calls as a fraction in `[0, 1]`.
    pub(crate) fn share(&self) -> f64 {
        if self.percent.is_nan() {
            return 0.0;
        }
        (self.percent / 100.0).clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_range_values_are_bounded_not_trusted() {
        assert_eq!(RetryBudget::new(250.0).share(), 1.0);
        assert_eq!(RetryBudget::new(-1.0).share(), 0.0);
        assert_eq!(RetryBudget::new(f64::NAN).share(), 0.0);
        assert_eq!(RetryBudget::new(20.0).share(), 0.2);
        let none = RetryBudget::new(20.0).with_min(5, Duration::ZERO);
        assert_eq!(none.min_per_sec(), 0.0);
        let quarter = RetryBudget::new(20.0).with_min(5, Duration::from_millis(250));
        assert_eq!(quarter.min_per_sec(), 20.0);
    }
}
