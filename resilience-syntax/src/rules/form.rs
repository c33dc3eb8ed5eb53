//! The form a key's value takes, with its range: what both readers check a value against.

use std::time::Duration;

/// The longest duration any key takes: `u64::MAX` nanoseconds, about 584 years. Every policy
/// keeps its durations as nanoseconds in a `u64` (deadlines and timings on one clock), so a
/// longer one could only be cut down to this; it is rejected instead, naming its key.
pub const MAX_DURATION: Duration = Duration::from_nanos(u64::MAX);

/// The form a key's value takes, with its range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Form {
    /// A whole number in `min..=max`; outside it, `message`.
    Whole {
        /// The smallest accepted value.
        min: u64,
        /// The largest accepted value.
        max: u64,
        /// What a value outside the range is told.
        message: &'static str,
    },
    /// A number greater than `above` and at most `at_most`.
    Number {
        /// The values accepted lie strictly above this.
        above: f64,
        /// The largest accepted value.
        at_most: f64,
        /// What a value at or below `above` is told.
        too_low: &'static str,
        /// What a value above `at_most` is told.
        too_high: &'static str,
    },
    /// A fraction of calls from 0.0 to 1.0.
    Fraction,
    /// A duration in the shared grammar, at most [`MAX_DURATION`].
    Duration,
    /// A duration greater than zero and at most [`MAX_DURATION`].
    PositiveDuration,
    /// A duration in `min..=max`; outside it, `message`.
    DurationWithin {
        /// The shortest accepted duration.
        min: Duration,
        /// The longest accepted duration.
        max: Duration,
        /// What a duration outside the range is told.
        message: &'static str,
    },
    /// A rate in the shared grammar, `"100/s"`.
    Rate,
    /// A rate in the shared grammar that may be zero, `"0/s"`: a floor.
    RateFromZero,
    /// A quota's limit, `"1000/day"`: a rate's grammar with a limit's words, read by
    /// [`quota::parse_limit`](super::quota::parse_limit).
    Limit,
    /// A percentage greater than 0 and at most 100, `"20%"`, read by
    /// [`parse_percent`](crate::parse_percent).
    Percent,
    /// One word of a closed list.
    Word(&'static [&'static str]),
    /// A duration greater than zero, or one of the words (a hedge's `delay`: `"50ms"` or
    /// `"p95"`), read by [`hedge::parse_delay`](super::hedge::parse_delay).
    Delay(&'static [&'static str]),
    /// A breaker window: a number of calls (`Whole`) or whole seconds in `1..=max_secs`.
    Window {
        /// The rule for a number of calls.
        calls: &'static Form,
        /// The longest time window, in seconds.
        max_secs: u64,
    },
}
