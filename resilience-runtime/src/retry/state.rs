//! [`RetryState`]: the retry bookkeeping of one call, started from a [`RetryConfig`].

use std::time::Duration;

use super::config::RetryConfig;
use crate::base::clock::{self, Nanos};

impl RetryConfig {
    /// Starts the retry bookkeeping of one call. Reads the clock when `max_elapsed` is set.
    #[must_use]
    pub fn start(&self) -> RetryState {
        self.start_at(clock::now)
    }

    /// [`start`](Self::start) for a call that started at `started()` (read only when
    /// `max_elapsed` is set).
    pub(crate) fn start_at(&self, started: impl FnOnce() -> clock::Nanos) -> RetryState {
        RetryState {
            policy: *self,
            attempts: 1,
            previous: self.initial_delay(),
            deadline: self
                .max_elapsed()
                .map(|limit| started().saturating_add(clock::to_nanos(limit))),
        }
    }
}

/// The retry bookkeeping of one call: how many attempts were made and when to give up.
///
/// ```
/// use resilience_runtime::retry::{Jitter, RetryConfig};
/// use std::time::Duration;
///
/// let policy = RetryConfig::new().with_max_attempts(3).with_jitter(Jitter::None);
/// let mut state = policy.start();
/// assert_eq!(state.attempts(), 1); // the first call is in flight
/// // ...it failed with a retryable error:
/// assert_eq!(state.next_delay(None), Some(Duration::from_millis(100)));
/// assert_eq!(state.attempts(), 2);
/// // A server said "retry after 2s": the hint replaces the backoff delay.
/// assert_eq!(state.next_delay(Some(Duration::from_secs(2))), Some(Duration::from_secs(2)));
/// assert_eq!(state.attempts(), 3);
/// // Out of attempts.
/// assert_eq!(state.next_delay(None), None);
/// ```
#[derive(Debug, Clone)]
pub struct RetryState {
    policy: RetryConfig,
    attempts: u32,
    previous: Duration,
    deadline: Option<Nanos>,
}

impl RetryState {
    /// Attempts made so far, counting the one in flight (1 right after `start`).
    #[must_use]
    pub const fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The policy this state follows.
    #[must_use]
    pub const fn policy(&self) -> &RetryConfig {
        &self.policy
    }

    /// Call after an attempt failed with an error the caller judged retryable.
    ///
    /// Returns `None` to give up: `max_attempts` calls were made, sleeping the delay would
    /// end after the `max_elapsed` deadline, or the [kill switch](crate::config#the-kill-switch)
    /// is engaged. Otherwise returns the delay to sleep before the
    /// next attempt, and counts that attempt.
    ///
    /// A `hint` (a server's retry-after) replaces the backoff delay, capped at `max_delay`,
    /// without jitter.
    pub fn next_delay(&mut self, hint: Option<Duration>) -> Option<Duration> {
        if self.attempts >= self.policy.max_attempts().max(1) || crate::base::kill_switch::engaged()
        {
            return None;
        }
        let delay = match hint {
            Some(hint) => hint.min(self.policy.max_delay()),
            None => self.policy.delay(self.attempts, self.previous),
        };
        if let Some(deadline) = self.deadline
            && clock::now().saturating_add(clock::to_nanos(delay)) > deadline
        {
            return None;
        }
        self.attempts += 1;
        self.previous = delay;
        Some(delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retry::backoff::BackoffKind;
    use crate::retry::jitter::Jitter;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn max_attempts_exhaustion() {
        let mut state = RetryConfig::new().with_jitter(Jitter::None).start();
        assert_eq!(state.attempts(), 1);
        assert_eq!(state.next_delay(None), Some(MS(100)));
        assert_eq!(state.attempts(), 2);
        assert_eq!(state.next_delay(None), Some(MS(200)));
        assert_eq!(state.attempts(), 3);
        assert_eq!(state.next_delay(None), None);
        assert_eq!(state.next_delay(None), None);
        assert_eq!(state.attempts(), 3);

        for never in [0, 1] {
            let mut state = RetryConfig::new().with_max_attempts(never).start();
            assert_eq!(state.next_delay(None), None, "max_attempts({never})");
            assert_eq!(state.attempts(), 1);
        }
    }

    #[test]
    fn hint_replaces_delay_and_is_capped() {
        let mut state = RetryConfig::new()
            .with_max_attempts(5)
            .with_max_delay(Duration::from_secs(2))
            .start();
        // Jitter::Full is configured, but hints are taken as they are.
        assert_eq!(state.next_delay(Some(MS(1234))), Some(MS(1234)));
        assert_eq!(
            state.next_delay(Some(Duration::from_secs(30))),
            Some(Duration::from_secs(2))
        );
        assert_eq!(state.next_delay(Some(Duration::ZERO)), Some(Duration::ZERO));
        assert_eq!(state.attempts(), 4);
        let delay = state.next_delay(None).unwrap();
        assert!(delay <= Duration::from_secs(2));
        assert_eq!(
            state.next_delay(Some(MS(1))),
            None,
            "hints do not add attempts"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn max_elapsed_stops_retrying() {
        let policy = RetryConfig::new()
            .with_max_attempts(u32::MAX)
            .with_jitter(Jitter::None)
            .with_backoff(BackoffKind::Fixed)
            .with_initial_delay(MS(300))
            .with_max_elapsed(Duration::from_secs(1));
        let mut state = policy.start();
        let mut slept = Duration::ZERO;
        while let Some(delay) = state.next_delay(None) {
            tokio::time::sleep(delay).await;
            slept += delay;
        }
        assert_eq!(slept, MS(900));
        assert_eq!(state.attempts(), 4);

        // A hint that would sleep past the deadline gives up too; one that ends on it is fine.
        let mut state = policy.start();
        assert_eq!(state.next_delay(Some(MS(1001))), None);
        assert_eq!(state.next_delay(Some(MS(1000))), Some(MS(1000)));
    }
}
