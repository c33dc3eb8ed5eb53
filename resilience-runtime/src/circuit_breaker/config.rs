//! The declared configuration of a circuit breaker.

use std::time::Duration;

use super::backend::Backend;
use super::state::MAX_HALF_OPEN_CALLS;

/// The largest count window, in calls; larger requests are clamped to it.
pub const MAX_WINDOW_CALLS: u32 = resilience_syntax::rules::circuit_breaker::MAX_WINDOW_CALLS;

/// The longest time window, in seconds (one hour); longer requests are clamped to it.
pub const MAX_WINDOW_SECS: u64 = resilience_syntax::rules::circuit_breaker::MAX_WINDOW_SECS;

/// `minimum_calls` when none is set (resilience4j's default).
const DEFAULT_MINIMUM_CALLS: u32 = resilience_syntax::rules::circuit_breaker::DEFAULT_MINIMUM_CALLS;

/// The sliding window a breaker judges its failure and slow-call rates over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SlidingWindow {
    /// The outcomes of the last `n` calls.
    Calls(u32),
    /// The calls of the last whole seconds, kept in one-second buckets.
    Time(Duration),
}

/// How a [`CircuitBreaker`](super::CircuitBreaker) decides to open and to close again.
///
/// Built in `const` context with [`new`](Self::new) and chained setters; unset values take the
/// defaults of the design: 5 consecutive failures open the breaker, it stays open for 60s,
/// then admits 2 trial calls and closes after 2 successes.
///
/// **Trip models.** Without [`failure_rate`](Self::with_failure_rate) the breaker counts
/// *consecutive* failures ([`failure_threshold`](Self::with_failure_threshold)). With a failure rate
/// it opens when the percentage of failed calls in the sliding window reaches the rate
/// (inclusive), judged only once the window holds [`minimum_calls`](Self::with_minimum_calls) calls.
/// A [`slow_call_duration`](Self::with_slow_call_duration) adds the same judgement for calls that
/// took strictly longer than that duration, against [`slow_call_rate`](Self::with_slow_call_rate).
///
/// **Half-open.** In the consecutive model each trial call counts on its own: a failed (or
/// slow) one reopens the breaker, [`success_threshold`](Self::with_success_threshold)
/// successful ones close it. In the rate model the breaker waits until all
/// [`half_open_max_calls`](Self::with_half_open_max_calls) trial calls have completed and judges
/// their failure and slow-call rates against the same thresholds as the window.
/// [`max_wait_in_half_open`](Self::with_max_wait_in_half_open) bounds how long that may take.
///
/// **Open.** The breaker stays open for
/// [`recovery_timeout`](Self::with_recovery_timeout); with
/// [`recovery_backoff`](Self::with_recovery_backoff) each failed recovery multiplies the next
/// open wait, up to [`max_recovery_timeout`](Self::with_max_recovery_timeout).
///
/// Setters clamp out-of-range values instead of panicking: counts are at least 1, rates lie in
/// `1..=100`, a count window holds at most [`MAX_WINDOW_CALLS`] calls, a time window is rounded
/// up to whole seconds within `1..=`[`MAX_WINDOW_SECS`], and the half-open counts are at most
/// 16383.
///
/// ```
/// use resilience_runtime::circuit_breaker::{CircuitBreakerConfig, SlidingWindow};
/// use std::time::Duration;
///
/// static INVENTORY: CircuitBreakerConfig = CircuitBreakerConfig::new()
///     .with_failure_rate(50)
///     .with_window_calls(20)
///     .with_minimum_calls(10)
///     .with_recovery_timeout(Duration::from_secs(30));
///
/// assert_eq!(INVENTORY.failure_rate(), Some(50));
/// assert_eq!(INVENTORY.window(), SlidingWindow::Calls(20));
/// assert_eq!(INVENTORY.minimum_calls(), 10);
/// assert_eq!(INVENTORY.half_open_max_calls(), 2); // = success_threshold
/// ```
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct CircuitBreakerConfig {
    failure_threshold: u32,
    failure_rate: Option<u8>,
    window: SlidingWindow,
    minimum_calls: Option<u32>,
    slow_call_duration: Option<Duration>,
    slow_call_rate: Option<u8>,
    recovery_timeout: Duration,
    recovery_backoff: Option<f64>,
    max_recovery_timeout: Option<Duration>,
    success_threshold: u32,
    half_open_max_calls: Option<u32>,
    max_wait_in_half_open: Option<Duration>,
    backend: Backend,
    backend_timeout: Duration,
    sync_interval: Duration,
}

impl Default for CircuitBreakerConfig {
    fn default() -> Self {
        Self::new()
    }
}

/// `value` clamped to `min..=max` (`Ord::clamp` is not `const`).
const fn clamp_u32(value: u32, min: u32, max: u32) -> u32 {
    if value < min {
        min
    } else if value > max {
        max
    } else {
        value
    }
}

/// A percentage clamped to `1..=100`.
const fn percent(value: u8) -> u8 {
    if value == 0 {
        1
    } else if value > 100 {
        100
    } else {
        value
    }
}

impl CircuitBreakerConfig {
    /// The defaults: 5 consecutive failures, 60s recovery timeout, 2 successes to close,
    /// `half_open_max_calls` = `success_threshold`, a 100-call window, no slow-call tracking.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            failure_threshold: resilience_syntax::rules::circuit_breaker::DEFAULT_FAILURE_THRESHOLD,
            failure_rate: None,
            window: SlidingWindow::Calls(
                resilience_syntax::rules::circuit_breaker::DEFAULT_WINDOW_CALLS,
            ),
            minimum_calls: None,
            slow_call_duration: None,
            slow_call_rate: None,
            recovery_timeout: resilience_syntax::rules::circuit_breaker::DEFAULT_RECOVERY_TIMEOUT,
            recovery_backoff: None,
            max_recovery_timeout: None,
            success_threshold: resilience_syntax::rules::circuit_breaker::DEFAULT_SUCCESS_THRESHOLD,
            half_open_max_calls: None,
            max_wait_in_half_open: None,
            backend: Backend::Local,
            backend_timeout: Self::DEFAULT_BACKEND_TIMEOUT,
            sync_interval: Self::DEFAULT_SYNC_INTERVAL,
        }
    }

    /// The default `backend_timeout` of a fleet breaker: 100 milliseconds.
    pub const DEFAULT_BACKEND_TIMEOUT: Duration = Duration::from_millis(100);

    /// How often a fleet breaker ([`Backend::Redis`]) exchanges its counts and state with the
    /// fleet by default: every 100 milliseconds.
    pub const DEFAULT_SYNC_INTERVAL: Duration = Duration::from_millis(100);

    /// The longest `sync_interval`: no process of a fleet learns of a change of the shared
    /// state later than this (plus one `backend_timeout`) while the backend answers.
    pub const MAX_SYNC_INTERVAL: Duration =
        resilience_syntax::rules::circuit_breaker::MAX_SYNC_INTERVAL;

    /// The shortest `sync_interval`.
    pub const MIN_SYNC_INTERVAL: Duration =
        resilience_syntax::rules::circuit_breaker::MIN_SYNC_INTERVAL;

    /// Consecutive failures that open the breaker (at least 1). Used only when no
    /// [`failure_rate`](Self::with_failure_rate) is set.
    #[must_use]
    pub const fn with_failure_threshold(mut self, failures: u32) -> Self {
        self.failure_threshold = if failures == 0 { 1 } else { failures };
        self
    }

    /// Switches to the failure-rate model: open when at least `percent` (clamped to `1..=100`)
    /// of the calls in the window failed.
    #[must_use]
    pub const fn with_failure_rate(mut self, percent_failed: u8) -> Self {
        self.failure_rate = Some(percent(percent_failed));
        self
    }

    /// A count window over the last `calls` calls (clamped to `1..=`[`MAX_WINDOW_CALLS`]).
    #[must_use]
    pub const fn with_window_calls(mut self, calls: u32) -> Self {
        self.window = SlidingWindow::Calls(clamp_u32(calls, 1, MAX_WINDOW_CALLS));
        self
    }

    /// A time window over the last `duration`, kept in one-second buckets (rounded up to whole
    /// seconds, clamped to `1..=`[`MAX_WINDOW_SECS`] seconds).
    #[must_use]
    pub const fn with_window_duration(mut self, duration: Duration) -> Self {
        let mut secs = duration.as_secs();
        if duration.subsec_nanos() > 0 {
            secs = secs.saturating_add(1);
        }
        if secs == 0 {
            secs = 1;
        } else if secs > MAX_WINDOW_SECS {
            secs = MAX_WINDOW_SECS;
        }
        self.window = SlidingWindow::Time(Duration::from_secs(secs));
        self
    }

    /// Calls the window must hold before any rate is judged (at least 1; default 100, and never
    /// more than a count window's size).
    #[must_use]
    pub const fn with_minimum_calls(mut self, calls: u32) -> Self {
        self.minimum_calls = Some(if calls == 0 { 1 } else { calls });
        self
    }

    /// Turns on slow-call tracking: a call that takes strictly longer than `duration` is slow.
    #[must_use]
    pub const fn with_slow_call_duration(mut self, duration: Duration) -> Self {
        self.slow_call_duration = Some(duration);
        self
    }

    /// Open when at least `percent` (clamped to `1..=100`) of the calls in the window were slow
    /// (default 100). Has no effect without [`slow_call_duration`](Self::with_slow_call_duration).
    #[must_use]
    pub const fn with_slow_call_rate(mut self, percent_slow: u8) -> Self {
        self.slow_call_rate = Some(percent(percent_slow));
        self
    }

    /// How long the breaker stays open before it admits trial calls.
    #[must_use]
    pub const fn with_recovery_timeout(mut self, timeout: Duration) -> Self {
        self.recovery_timeout = timeout;
        self
    }

    /// Grows the open wait on repeated openings: after a failed recovery the breaker stays open
    /// `factor` times longer than the last time, up to
    /// [`max_recovery_timeout`](Self::with_max_recovery_timeout), and starts again from
    /// `recovery_timeout` once it closes. `factor` is clamped to `1.0..=10.0` (NaN means no
    /// growth); the wait stops growing after 255 openings in a row.
    #[must_use]
    pub const fn with_recovery_backoff(mut self, factor: f64) -> Self {
        self.recovery_backoff = Some(if factor > 10.0 {
            10.0
        } else if factor >= 1.0 {
            factor
        } else {
            1.0
        });
        self
    }

    /// The longest open wait [`recovery_backoff`](Self::with_recovery_backoff) grows to (never
    /// below `recovery_timeout`).
    #[must_use]
    pub const fn with_max_recovery_timeout(mut self, max: Duration) -> Self {
        self.max_recovery_timeout = Some(max);
        self
    }

    /// Successful trial calls that close a half-open breaker in the consecutive model
    /// (`1..=16383`); a failed trial call reopens it. When it exceeds
    /// [`half_open_max_calls`](Self::half_open_max_calls), all trial calls succeeding
    /// closes the breaker. With a [`failure_rate`](Self::with_failure_rate) the trial calls are
    /// judged by the rates instead, and this only sets the default of `half_open_max_calls`.
    #[must_use]
    pub const fn with_success_threshold(mut self, successes: u32) -> Self {
        self.success_threshold = clamp_u32(successes, 1, MAX_HALF_OPEN_CALLS);
        self
    }

    /// Trial calls a half-open breaker admits (`1..=16383`; default: `success_threshold`).
    /// With a [`failure_rate`](Self::with_failure_rate), the breaker decides once all of them
    /// have completed: closed when both rates over the trial calls stay below their thresholds,
    /// open otherwise.
    #[must_use]
    pub const fn with_half_open_max_calls(mut self, calls: u32) -> Self {
        self.half_open_max_calls = Some(clamp_u32(calls, 1, MAX_HALF_OPEN_CALLS));
        self
    }

    /// The longest a half-open breaker waits for its trial calls to decide: after that the next
    /// call reopens it (default: no limit).
    #[must_use]
    pub const fn with_max_wait_in_half_open(mut self, max: Duration) -> Self {
        self.max_wait_in_half_open = Some(max);
        self
    }

    /// Where the breaker's state lives: in this process ([`Backend::Local`], the default), or
    /// shared by every process that names it ([`Backend::Redis`], feature `redis`; see the
    /// [fleet section](super#a-breaker-for-the-fleet)).
    #[must_use]
    pub const fn with_backend(mut self, backend: Backend) -> Self {
        self.backend = backend;
        self
    }

    /// How long a fleet breaker's backend may take to connect and to answer one exchange
    /// (zero is raised to 1 ms); past it the exchange counts as failed.
    #[must_use]
    pub const fn with_backend_timeout(mut self, timeout: Duration) -> Self {
        self.backend_timeout = if timeout.is_zero() {
            Duration::from_millis(1)
        } else {
            timeout
        };
        self
    }

    /// How often a fleet breaker sends its outcomes and reads the shared state, clamped to
    /// [`MIN_SYNC_INTERVAL`](Self::MIN_SYNC_INTERVAL)`..=`[`MAX_SYNC_INTERVAL`](Self::MAX_SYNC_INTERVAL).
    #[must_use]
    pub const fn with_sync_interval(mut self, interval: Duration) -> Self {
        self.sync_interval = if interval.as_nanos() < Self::MIN_SYNC_INTERVAL.as_nanos() {
            Self::MIN_SYNC_INTERVAL
        } else if interval.as_nanos() > Self::MAX_SYNC_INTERVAL.as_nanos() {
            Self::MAX_SYNC_INTERVAL
        } else {
            interval
        };
        self
    }

    /// Where the breaker's state lives.
    #[must_use]
    pub const fn backend(&self) -> Backend {
        self.backend
    }

    /// The bound on connecting to a fleet breaker's backend and on each of its answers.
    #[must_use]
    pub const fn backend_timeout(&self) -> Duration {
        self.backend_timeout
    }

    /// How often a fleet breaker exchanges its outcomes and state with the fleet.
    #[must_use]
    pub const fn sync_interval(&self) -> Duration {
        self.sync_interval
    }

    /// Consecutive failures that open the breaker in the consecutive model.
    #[must_use]
    pub const fn failure_threshold(&self) -> u32 {
        self.failure_threshold
    }

    /// The failure-rate threshold in percent, if the rate model is on.
    #[must_use]
    pub const fn failure_rate(&self) -> Option<u8> {
        self.failure_rate
    }

    /// The sliding window rates are judged over.
    #[must_use]
    pub const fn window(&self) -> SlidingWindow {
        self.window
    }

    /// The effective minimum number of calls before a rate is judged: the set value or 100,
    /// capped at a count window's size.
    #[must_use]
    pub const fn minimum_calls(&self) -> u32 {
        let minimum = match self.minimum_calls {
            Some(calls) => calls,
            None => DEFAULT_MINIMUM_CALLS,
        };
        match self.window {
            SlidingWindow::Calls(size) if size < minimum => size,
            _ => minimum,
        }
    }

    /// The duration above which a call is slow, if slow-call tracking is on.
    #[must_use]
    pub const fn slow_call_duration(&self) -> Option<Duration> {
        self.slow_call_duration
    }

    /// The effective slow-call-rate threshold in percent: `None` without slow-call tracking,
    /// otherwise the set rate or 100.
    #[must_use]
    pub const fn slow_call_rate(&self) -> Option<u8> {
        match (self.slow_call_duration, self.slow_call_rate) {
            (None, _) => None,
            (Some(_), Some(rate)) => Some(rate),
            (Some(_), None) => Some(100),
        }
    }

    /// How long the breaker stays open before it admits trial calls.
    #[must_use]
    pub const fn recovery_timeout(&self) -> Duration {
        self.recovery_timeout
    }

    /// The open wait's growth factor per repeated opening, if set.
    #[must_use]
    pub const fn recovery_backoff(&self) -> Option<f64> {
        self.recovery_backoff
    }

    /// The cap on the grown open wait: the set value (at least `recovery_timeout`), `None`
    /// when unset.
    #[must_use]
    pub const fn max_recovery_timeout(&self) -> Option<Duration> {
        match self.max_recovery_timeout {
            Some(max) if max.as_nanos() < self.recovery_timeout.as_nanos() => {
                Some(self.recovery_timeout)
            }
            other => other,
        }
    }

    /// The longest a half-open period lasts before the next call reopens the breaker, if set.
    #[must_use]
    pub const fn max_wait_in_half_open(&self) -> Option<Duration> {
        self.max_wait_in_half_open
    }

    /// True when the trial calls in half-open are judged by rates (a failure rate is set)
    /// rather than one by one.
    #[must_use]
    pub const fn judges_trials_by_rate(&self) -> bool {
        self.failure_rate.is_some()
    }

    /// Successful trial calls that close a half-open breaker, as set.
    #[must_use]
    pub const fn success_threshold(&self) -> u32 {
        self.success_threshold
    }

    /// The effective number of trial calls a half-open breaker admits.
    #[must_use]
    pub const fn half_open_max_calls(&self) -> u32 {
        match self.half_open_max_calls {
            Some(calls) => calls,
            None => self.success_threshold,
        }
    }

    /// The slow-call rate as set (`None` when unset, whatever the slow-call duration).
    pub(crate) const fn explicit_slow_call_rate(&self) -> Option<u8> {
        self.slow_call_rate
    }

    /// The cap on the grown open wait as set (not raised to `recovery_timeout`).
    pub(crate) const fn explicit_max_recovery_timeout(&self) -> Option<Duration> {
        self.max_recovery_timeout
    }

    /// The trial calls admitted in half-open as set (`None`: follows `success_threshold`).
    pub(crate) const fn explicit_half_open_max_calls(&self) -> Option<u32> {
        self.half_open_max_calls
    }

    /// True when the breaker keeps a sliding window (a failure rate or slow-call tracking).
    pub(super) const fn uses_window(&self) -> bool {
        self.failure_rate.is_some() || self.slow_call_duration.is_some()
    }

    /// Successes that close a half-open breaker: never more than the trial calls it admits,
    /// so a breaker whose trial calls all succeed cannot stay half-open forever.
    pub(super) const fn effective_success_threshold(&self) -> u32 {
        let max = self.half_open_max_calls();
        if self.success_threshold < max {
            self.success_threshold
        } else {
            max
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn config_defaults_and_clamping() {
        let config = CircuitBreakerConfig::new();
        assert_eq!(config, CircuitBreakerConfig::default());
        assert_eq!(config.failure_threshold(), 5);
        assert_eq!(config.failure_rate(), None);
        assert_eq!(config.window(), SlidingWindow::Calls(100));
        assert_eq!(config.minimum_calls(), 100);
        assert_eq!(config.slow_call_duration(), None);
        assert_eq!(config.slow_call_rate(), None);
        assert_eq!(config.recovery_timeout(), Duration::from_secs(60));
        assert_eq!(config.success_threshold(), 2);
        assert_eq!(config.half_open_max_calls(), 2);

        // minimum_calls is capped by a count window, not by a time window.
        assert_eq!(config.with_window_calls(20).minimum_calls(), 20);
        assert_eq!(
            config
                .with_window_calls(20)
                .with_minimum_calls(50)
                .minimum_calls(),
            20
        );
        assert_eq!(config.with_window_duration(SEC * 10).minimum_calls(), 100);
        // half_open_max_calls follows success_threshold unless set.
        assert_eq!(config.with_success_threshold(4).half_open_max_calls(), 4);
        assert_eq!(
            config
                .with_success_threshold(4)
                .with_half_open_max_calls(7)
                .half_open_max_calls(),
            7
        );
        // Slow-call rate defaults to 100% once slow calls are tracked.
        assert_eq!(
            config.with_slow_call_duration(SEC).slow_call_rate(),
            Some(100)
        );

        // Out-of-range values are clamped, never a panic.
        let clamped = config
            .with_failure_threshold(0)
            .with_failure_rate(0)
            .with_window_calls(0)
            .with_minimum_calls(0)
            .with_success_threshold(0)
            .with_half_open_max_calls(u32::MAX);
        assert_eq!(clamped.failure_threshold(), 1);
        assert_eq!(clamped.failure_rate(), Some(1));
        assert_eq!(clamped.window(), SlidingWindow::Calls(1));
        assert_eq!(clamped.minimum_calls(), 1);
        assert_eq!(clamped.success_threshold(), 1);
        assert_eq!(clamped.half_open_max_calls(), 16_383);
        assert_eq!(config.with_failure_rate(200).failure_rate(), Some(100));
        assert_eq!(
            config.with_window_calls(u32::MAX).window(),
            SlidingWindow::Calls(MAX_WINDOW_CALLS)
        );
        assert_eq!(
            config
                .with_window_duration(Duration::from_millis(1_500))
                .window(),
            SlidingWindow::Time(SEC * 2)
        );
        assert_eq!(
            config.with_window_duration(Duration::ZERO).window(),
            SlidingWindow::Time(SEC)
        );
        assert_eq!(
            config.with_window_duration(Duration::MAX).window(),
            SlidingWindow::Time(SEC * 3_600)
        );
    }
}
