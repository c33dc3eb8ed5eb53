//! Retry configuration: [`RetryConfig`] and its [`Preset`]s.

use std::time::Duration;

use resilience_syntax::rules::retry as rules;
use serde::Serialize;

use super::backoff::{self, BackoffKind};
use super::budget::RetryBudget;
use super::jitter::{self, Jitter};

/// Ready-made policies for common situations. Start from one with [`RetryConfig::preset`] and
/// override single settings with the builder methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    /// 3 attempts, exponential from 1 s (x2) up to 16 s.
    Conservative,
    /// 5 attempts, exponential from 500 ms (x1.5) up to 8 s.
    Aggressive,
    /// 4 attempts, exponential from 2 s (x2.5) up to 60 s.
    Patient,
}

/// How often and how patiently to retry a failing call.
///
/// Built in `const` context (the `#[retry]` macro puts policies in statics) from
/// [`RetryConfig::new`] or [`RetryConfig::preset`] and `const` builder methods:
///
/// ```
/// use resilience_runtime::retry::{BackoffKind, Jitter, RetryConfig};
/// use std::time::Duration;
///
/// const POLICY: RetryConfig = RetryConfig::new()
///     .with_max_attempts(4)
///     .with_backoff(BackoffKind::Exponential)
///     .with_initial_delay(Duration::from_millis(50))
///     .with_max_delay(Duration::from_millis(300))
///     .with_jitter(Jitter::None);
///
/// // The delay before retry n (n = 1 after the first failure), before jitter:
/// let previous = Duration::ZERO; // only decorrelated backoff looks at it
/// assert_eq!(POLICY.base_delay(1, previous), Duration::from_millis(50));
/// assert_eq!(POLICY.base_delay(2, previous), Duration::from_millis(100));
/// assert_eq!(POLICY.base_delay(3, previous), Duration::from_millis(200));
/// assert_eq!(POLICY.base_delay(4, previous), Duration::from_millis(300)); // capped
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RetryConfig {
    max_attempts: u32,
    backoff: BackoffKind,
    initial_delay: Duration,
    max_delay: Duration,
    multiplier: f64,
    jitter: Jitter,
    max_elapsed: Option<Duration>,
    budget: Option<RetryBudget>,
}

impl RetryConfig {
    /// The default policy: 3 attempts in total (the first call and 2 retries), exponential
    /// backoff from 100 ms doubling up to 10 s, full jitter, no overall deadline.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            max_attempts: rules::DEFAULT_MAX_ATTEMPTS,
            backoff: BackoffKind::Exponential,
            initial_delay: rules::DEFAULT_INITIAL_DELAY,
            max_delay: rules::DEFAULT_MAX_DELAY,
            multiplier: rules::DEFAULT_MULTIPLIER,
            jitter: Jitter::Full,
            max_elapsed: None,
            budget: None,
        }
    }

    /// A [`Preset`]'s policy; settings the preset does not mention keep their defaults.
    ///
    /// ```
    /// use resilience_runtime::retry::{Preset, RetryConfig};
    /// use std::time::Duration;
    ///
    /// let policy = RetryConfig::preset(Preset::Aggressive).with_max_attempts(7);
    /// assert_eq!(policy.max_attempts(), 7);
    /// assert_eq!(policy.initial_delay(), Duration::from_millis(500));
    /// ```
    #[must_use]
    pub const fn preset(preset: Preset) -> Self {
        let base = Self::new();
        match preset {
            Preset::Conservative => base
                .with_max_attempts(rules::CONSERVATIVE.max_attempts)
                .with_initial_delay(rules::CONSERVATIVE.initial_delay)
                .with_max_delay(rules::CONSERVATIVE.max_delay)
                .with_multiplier(rules::CONSERVATIVE.multiplier),
            Preset::Aggressive => base
                .with_max_attempts(rules::AGGRESSIVE.max_attempts)
                .with_initial_delay(rules::AGGRESSIVE.initial_delay)
                .with_max_delay(rules::AGGRESSIVE.max_delay)
                .with_multiplier(rules::AGGRESSIVE.multiplier),
            Preset::Patient => base
                .with_max_attempts(rules::PATIENT.max_attempts)
                .with_initial_delay(rules::PATIENT.initial_delay)
                .with_max_delay(rules::PATIENT.max_delay)
                .with_multiplier(rules::PATIENT.multiplier),
        }
    }

    /// Total number of calls, including the first one. `1` means "never retry"; `0` is
    /// treated as `1`.
    #[must_use]
    pub const fn with_max_attempts(mut self, max_attempts: u32) -> Self {
        self.max_attempts = max_attempts;
        self
    }

    /// How the delay grows from one retry to the next.
    #[must_use]
    pub const fn with_backoff(mut self, backoff: BackoffKind) -> Self {
        self.backoff = backoff;
        self
    }

    /// The delay before the first retry (and the base of every later one).
    #[must_use]
    pub const fn with_initial_delay(mut self, initial_delay: Duration) -> Self {
        self.initial_delay = initial_delay;
        self
    }

    /// The upper bound of every delay, after jitter and for server hints too.
    #[must_use]
    pub const fn with_max_delay(mut self, max_delay: Duration) -> Self {
        self.max_delay = max_delay;
        self
    }

    /// Growth factor of [`BackoffKind::Exponential`]; values below 1 (or NaN) act as 1.
    #[must_use]
    pub const fn with_multiplier(mut self, multiplier: f64) -> Self {
        self.multiplier = multiplier;
        self
    }

    /// Randomisation of each delay.
    #[must_use]
    pub const fn with_jitter(mut self, jitter: Jitter) -> Self {
        self.jitter = jitter;
        self
    }

    /// An overall deadline, measured from [`RetryConfig::start`]: no retry is scheduled whose
    /// sleep would end after it. The attempt in flight is not cut short (use a timeout for
    /// that).
    #[must_use]
    pub const fn with_max_elapsed(mut self, max_elapsed: Duration) -> Self {
        self.max_elapsed = Some(max_elapsed);
        self
    }

    /// A [`RetryBudget`] shared by every call of the named retry: a call that wants to
    /// retry when the budget is spent ends with its last outcome instead.
    #[must_use]
    pub const fn with_budget(mut self, budget: RetryBudget) -> Self {
        self.budget = Some(budget);
        self
    }

    /// The policy without a budget.
    #[must_use]
    pub const fn without_budget(mut self) -> Self {
        self.budget = None;
        self
    }

    /// Total number of calls allowed, including the first, as configured.
    #[must_use]
    pub const fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The backoff kind.
    #[must_use]
    pub const fn backoff(&self) -> BackoffKind {
        self.backoff
    }

    /// The delay before the first retry.
    #[must_use]
    pub const fn initial_delay(&self) -> Duration {
        self.initial_delay
    }

    /// The upper bound of every delay.
    #[must_use]
    pub const fn max_delay(&self) -> Duration {
        self.max_delay
    }

    /// The exponential growth factor, as configured.
    #[must_use]
    pub const fn multiplier(&self) -> f64 {
        self.multiplier
    }

    /// The jitter.
    #[must_use]
    pub const fn jitter(&self) -> Jitter {
        self.jitter
    }

    /// The overall deadline, if any.
    #[must_use]
    pub const fn max_elapsed(&self) -> Option<Duration> {
        self.max_elapsed
    }

    /// The retry budget, if any.
    #[must_use]
    pub const fn budget(&self) -> Option<RetryBudget> {
        self.budget
    }

    /// The delay before retry number `retry` (1 = after the first failure; 0 counts as 1),
    /// without jitter, capped at `max_delay`:
    ///
    /// | kind | delay |
    /// |---|---|
    /// | exponential | `initial * multiplier^(retry - 1)` |
    /// | linear | `initial * retry` |
    /// | fixed | `initial` |
    /// | decorrelated | random in `[initial, previous * 3]` |
    ///
    /// `previous` is the delay slept before the previous retry (use `initial_delay` for the
    /// first); only decorrelated backoff reads it, and only it is random. Never overflows:
    /// a delay that would exceed `max_delay` (however large `retry` is) is `max_delay`.
    #[must_use]
    pub fn base_delay(&self, retry: u32, previous: Duration) -> Duration {
        let (initial, cap) = (self.initial_delay, self.max_delay);
        match self.backoff {
            BackoffKind::Exponential => backoff::exponential(initial, self.multiplier, retry, cap),
            BackoffKind::Linear => backoff::linear(initial, retry, cap),
            BackoffKind::Fixed => initial.min(cap),
            BackoffKind::Decorrelated => backoff::decorrelated(initial, previous, cap),
        }
    }

    /// The delay to actually sleep before retry number `retry`: [`base_delay`] with the
    /// policy's [`Jitter`] applied (except for decorrelated backoff), capped at `max_delay`.
    ///
    /// [`base_delay`]: RetryConfig::base_delay
    #[must_use]
    pub fn delay(&self, retry: u32, previous: Duration) -> Duration {
        let base = self.base_delay(retry, previous);
        match self.backoff {
            BackoffKind::Decorrelated => base,
            _ => jitter::apply_jitter(base, self.jitter, self.max_delay),
        }
    }
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;
    const SAMPLES: usize = 10_000;

    fn schedule(policy: RetryConfig, retries: u32) -> Vec<Duration> {
        (1..=retries)
            .map(|n| policy.base_delay(n, Duration::ZERO))
            .collect()
    }

    #[test]
    fn defaults() {
        let p = RetryConfig::new();
        assert_eq!(p, RetryConfig::default());
        assert_eq!(p.max_attempts(), 3);
        assert_eq!(p.backoff(), BackoffKind::Exponential);
        assert_eq!(p.initial_delay(), MS(100));
        assert_eq!(p.max_delay(), Duration::from_secs(10));
        assert_eq!(p.multiplier(), 2.0);
        assert_eq!(p.jitter(), Jitter::Full);
        assert_eq!(p.max_elapsed(), None);
        assert_eq!(p.with_max_elapsed(MS(5)).max_elapsed(), Some(MS(5)));
    }

    #[test]
    fn presets() {
        let secs = Duration::from_secs;
        let c = RetryConfig::preset(Preset::Conservative);
        let a = RetryConfig::preset(Preset::Aggressive);
        let p = RetryConfig::preset(Preset::Patient);
        let fields = |p: RetryConfig| {
            (
                p.max_attempts(),
                p.initial_delay(),
                p.max_delay(),
                p.multiplier(),
            )
        };
        assert_eq!(fields(c), (3, secs(1), secs(16), 2.0));
        assert_eq!(fields(a), (5, MS(500), secs(8), 1.5));
        assert_eq!(fields(p), (4, secs(2), secs(60), 2.5));
        for preset in [c, a, p] {
            assert_eq!(preset.backoff(), BackoffKind::Exponential);
            assert_eq!(preset.jitter(), Jitter::Full);
            assert_eq!(preset.max_elapsed(), None);
        }
        // Explicit settings override the preset.
        assert_eq!(c.with_max_attempts(9).max_attempts(), 9);
    }

    #[test]
    fn exponential_schedule() {
        let p = RetryConfig::new()
            .with_jitter(Jitter::None)
            .with_max_delay(MS(2000));
        assert_eq!(
            schedule(p, 7),
            [100, 200, 400, 800, 1600, 2000, 2000].map(MS)
        );
        let p = RetryConfig::preset(Preset::Aggressive).with_jitter(Jitter::None);
        assert_eq!(schedule(p, 3), [500, 750, 1125].map(MS));
        // Exact values for x1.5 from 500ms: 500, 750, 1125, 1687.5, 2531.25, ...
        assert_eq!(
            p.base_delay(4, Duration::ZERO),
            Duration::from_micros(1_687_500)
        );
        assert_eq!(
            p.base_delay(5, Duration::ZERO),
            Duration::from_micros(2_531_250)
        );
        assert_eq!(
            p.base_delay(7, Duration::ZERO),
            Duration::from_nanos(5_695_312_500)
        );
        assert_eq!(
            p.base_delay(8, Duration::ZERO),
            Duration::from_secs(8),
            "capped"
        );
    }

    #[test]
    fn exponential_never_overflows() {
        let p = RetryConfig::new()
            .with_jitter(Jitter::None)
            .with_max_delay(Duration::MAX)
            .with_multiplier(f64::MAX);
        assert_eq!(p.base_delay(1, Duration::ZERO), MS(100));
        assert_eq!(p.base_delay(2, Duration::ZERO), Duration::MAX);
        assert_eq!(p.base_delay(u32::MAX, Duration::ZERO), Duration::MAX);
        let p = RetryConfig::new().with_jitter(Jitter::None);
        assert_eq!(p.base_delay(1_000, Duration::ZERO), Duration::from_secs(10));
        assert_eq!(
            p.base_delay(u32::MAX, Duration::ZERO),
            Duration::from_secs(10)
        );
        // Retry 0 counts as retry 1.
        assert_eq!(p.base_delay(0, Duration::ZERO), MS(100));
        // Nonsense multipliers act as 1, infinite ones jump to the cap.
        for m in [f64::NAN, 0.5, -3.0] {
            assert_eq!(p.with_multiplier(m).base_delay(30, Duration::ZERO), MS(100));
        }
        let inf = p.with_multiplier(f64::INFINITY);
        assert_eq!(inf.base_delay(1, Duration::ZERO), MS(100));
        assert_eq!(inf.base_delay(2, Duration::ZERO), Duration::from_secs(10));
        let zero = p
            .with_initial_delay(Duration::ZERO)
            .with_multiplier(f64::INFINITY);
        assert_eq!(zero.base_delay(5, Duration::ZERO), Duration::ZERO);
    }

    #[test]
    fn linear_and_fixed_schedules() {
        let p = RetryConfig::new()
            .with_jitter(Jitter::None)
            .with_backoff(BackoffKind::Linear)
            .with_max_delay(MS(450));
        assert_eq!(schedule(p, 6), [100, 200, 300, 400, 450, 450].map(MS));
        assert_eq!(p.base_delay(u32::MAX, Duration::ZERO), MS(450));
        let huge = p
            .with_initial_delay(Duration::MAX)
            .with_max_delay(Duration::MAX);
        assert_eq!(huge.base_delay(u32::MAX, Duration::ZERO), Duration::MAX);

        let p = p.with_backoff(BackoffKind::Fixed);
        assert_eq!(schedule(p, 4), [100, 100, 100, 100].map(MS));
        assert_eq!(
            p.with_max_delay(MS(40)).base_delay(1, Duration::ZERO),
            MS(40)
        );
    }

    #[test]
    fn decorrelated_bounds() {
        let p = RetryConfig::new()
            .with_backoff(BackoffKind::Decorrelated)
            .with_max_attempts(u32::MAX)
            .with_initial_delay(MS(100))
            .with_max_delay(MS(5000));
        let mut state = p.start();
        let mut previous = MS(100); // starts at initial
        let mut reached_cap = false;
        for _ in 0..SAMPLES {
            let delay = state.next_delay(None).unwrap();
            let high = (previous * 3).min(MS(5000));
            assert!(
                delay >= MS(100) && delay <= high,
                "{delay:?} not in [100ms, {high:?}]"
            );
            reached_cap |= delay == MS(5000);
            previous = delay;
        }
        assert!(reached_cap, "the walk reaches the cap");
        // From `previous`, the spread covers [initial, 3 * previous].
        let samples: Vec<_> = (0..SAMPLES).map(|_| p.base_delay(1, MS(1000))).collect();
        assert!(samples.iter().all(|d| *d >= MS(100) && *d <= MS(3000)));
        assert!(samples.iter().any(|d| *d < MS(300)));
        assert!(samples.iter().any(|d| *d > MS(2700)));
        // Jitter is not applied on top: with Jitter::Full the floor is still `initial`.
        assert!((0..SAMPLES).all(|_| p.delay(1, MS(100)) >= MS(100)));
        // A cap below initial wins.
        assert_eq!(p.with_max_delay(MS(10)).base_delay(3, MS(100)), MS(10));
    }

    /// Samples `delay(1, _)` of a fixed 1s policy with `jitter`, returning (min, max).
    fn jitter_range(jitter: Jitter, cap: Duration) -> (Duration, Duration) {
        let p = RetryConfig::new()
            .with_backoff(BackoffKind::Fixed)
            .with_initial_delay(Duration::from_secs(1))
            .with_max_delay(cap)
            .with_jitter(jitter);
        let samples: Vec<_> = (0..SAMPLES).map(|_| p.delay(1, Duration::ZERO)).collect();
        let min = *samples.iter().min().unwrap();
        let max = *samples.iter().max().unwrap();
        (min, max)
    }

    #[test]
    fn jitter_bounds() {
        let secs = Duration::from_secs(1);
        let (min, max) = jitter_range(Jitter::Full, Duration::MAX);
        assert!(
            max <= secs && min < MS(50) && max > MS(950),
            "full: {min:?}..{max:?}"
        );

        let (min, max) = jitter_range(Jitter::Equal, Duration::MAX);
        assert!(min >= MS(500) && max <= secs, "equal: {min:?}..{max:?}");
        assert!(
            min < MS(550) && max > MS(950),
            "equal spreads: {min:?}..{max:?}"
        );

        let (min, max) = jitter_range(Jitter::Proportional(0.2), Duration::MAX);
        assert!(
            min >= MS(800) && max <= MS(1200),
            "proportional: {min:?}..{max:?}"
        );
        assert!(
            min < MS(820) && max > MS(1180),
            "proportional spreads: {min:?}..{max:?}"
        );

        assert_eq!(jitter_range(Jitter::None, Duration::MAX), (secs, secs));
    }

    #[test]
    fn jitter_is_capped_and_sanitized() {
        // The base delay sits at the cap; proportional jitter above it is cut back.
        let (min, max) = jitter_range(Jitter::Proportional(0.5), MS(1000));
        assert!(min >= MS(500) && max == MS(1000), "{min:?}..{max:?}");
        // Out-of-range factors are clamped: NaN and negatives mean none, >1 means 1.
        for factor in [f64::NAN, -1.0, 0.0] {
            let (min, max) = jitter_range(Jitter::Proportional(factor), Duration::MAX);
            assert_eq!((min, max), (MS(1000), MS(1000)), "factor {factor}");
        }
        let (min, max) = jitter_range(Jitter::Proportional(7.0), Duration::MAX);
        assert!(max <= MS(2000) && min < MS(100), "{min:?}..{max:?}");
        // Jitter on huge delays does not overflow.
        let p = RetryConfig::new()
            .with_backoff(BackoffKind::Fixed)
            .with_initial_delay(Duration::MAX)
            .with_max_delay(Duration::MAX);
        for jitter in [Jitter::Full, Jitter::Equal, Jitter::Proportional(1.0)] {
            let _ = p.with_jitter(jitter).delay(1, Duration::ZERO);
        }
    }
}
