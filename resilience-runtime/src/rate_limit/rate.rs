//! [`Rate`]: how many permits per period.

use std::fmt;
use std::time::Duration;

/// A sustained rate: `count` permits per `period`, e.g. `10/s` or `3/250ms`.
///
/// Permits are spread evenly over the period (one every `period / count`); the burst a
/// limiter allows on top of that is set separately with
/// [`RateLimitConfig::burst`](super::RateLimitConfig::burst).
///
/// `Display` and `Serialize` use the attribute syntax:
///
/// ```
/// use resilience_runtime::rate_limit::Rate;
/// use std::time::Duration;
///
/// assert_eq!(Rate::per_second(10).to_string(), "10/s");
/// assert_eq!(Rate::per_hour(500).to_string(), "500/h");
/// assert_eq!(Rate::new(3, Duration::from_millis(250)).to_string(), "3/250ms");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rate {
    count: u32,
    period: Duration,
}

impl Rate {
    /// `count` permits per `period`.
    ///
    /// A `count` of zero admits nothing; a zero `period` admits everything (no limit).
    #[must_use]
    pub const fn new(count: u32, per: Duration) -> Self {
        Self { count, period: per }
    }

    /// `n` permits per second (`"n/s"`).
    #[must_use]
    pub const fn per_second(n: u32) -> Self {
        Self::new(n, Duration::from_secs(1))
    }

    /// `n` permits per minute (`"n/min"`).
    #[must_use]
    pub const fn per_minute(n: u32) -> Self {
        Self::new(n, Duration::from_mins(1))
    }

    /// `n` permits per hour (`"n/h"`).
    #[must_use]
    pub const fn per_hour(n: u32) -> Self {
        Self::new(n, Duration::from_hours(1))
    }

    /// `n` permits per day (`"n/day"`).
    #[must_use]
    pub const fn per_day(n: u32) -> Self {
        Self::new(n, Duration::from_hours(24))
    }

    /// The number of permits per period.
    #[must_use]
    pub const fn count(&self) -> u32 {
        self.count
    }

    /// The period the count is spread over.
    #[must_use]
    pub const fn period(&self) -> Duration {
        self.period
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        resilience_syntax::write_rate(f, self.count, self.period)
    }
}

impl serde::Serialize for Rate {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors_and_getters() {
        let r = Rate::per_minute(7);
        assert_eq!(r.count(), 7);
        assert_eq!(r.period(), Duration::from_mins(1));
        assert_eq!(Rate::per_second(3), Rate::new(3, Duration::from_secs(1)));
        assert_eq!(Rate::per_day(1).period(), Duration::from_hours(24));
        // Structural equality: the same sustained rate written differently is a different rate.
        assert_ne!(Rate::per_second(1), Rate::per_minute(60));
    }

    #[test]
    fn display_uses_attribute_syntax() {
        let cases = [
            (Rate::per_second(10), "10/s"),
            (Rate::per_minute(100), "100/min"),
            (Rate::per_hour(500), "500/h"),
            (Rate::per_day(10_000), "10000/day"),
            (Rate::new(3, Duration::from_millis(250)), "3/250ms"),
            (Rate::new(5, Duration::from_secs(90)), "5/1m30s"),
            (Rate::new(5, Duration::from_secs(2)), "5/2s"),
            (Rate::new(1, Duration::from_hours(2)), "1/2h"),
            (Rate::new(1, Duration::from_micros(1_500)), "1/1ms500us"),
            (Rate::new(1, Duration::from_nanos(7)), "1/7ns"),
            (Rate::new(2, Duration::from_millis(1_500)), "2/1s500ms"),
            (Rate::new(0, Duration::ZERO), "0/0s"),
        ];
        for (rate, text) in cases {
            assert_eq!(rate.to_string(), text);
        }
    }

    #[test]
    fn serializes_as_string() {
        let json = serde_json::to_string(&Rate::new(3, Duration::from_millis(250))).unwrap();
        assert_eq!(json, "\"3/250ms\"");
    }
}
