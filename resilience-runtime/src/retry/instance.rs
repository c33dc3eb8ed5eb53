//! [`Retry`]: a named retry policy with counters, as the registry keeps it.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use crate::base::clock::{self, Nanos};
use crate::base::named::Named;
use crate::base::stripes::Stripes;

use super::budget_ledger::BudgetLedger;
use super::config::RetryConfig;
use super::metrics::{RetryBudgetSnapshot, RetryMetrics, RetrySnapshot};
use super::tuning::Tuning;

/// A shared handle to a named [`Retry`].
pub type RetryHandle = Arc<Retry>;

/// A named retry policy with counters.
///
/// Every call site that names the same retry shares one instance (through the registry), so
/// its [`metrics`](Retry::metrics) add up across them. Counting is lock-free.
///
/// ```
/// use resilience_runtime::retry::{Jitter, Retry, RetryConfig};
///
/// # tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true)
/// #     .build().unwrap().block_on(async {
/// let retry = Retry::new("fetch", RetryConfig::new().with_max_attempts(3).with_jitter(Jitter::None));
/// let mut calls = 0;
/// let result: Result<u32, &str> = retry
///     .run(
///         |err| *err == "busy", // which errors are worth retrying
///         || {
///             calls += 1;
///             let outcome = if calls < 3 { Err("busy") } else { Ok(calls) };
///             async move { outcome }
///         },
///     )
///     .await;
/// assert_eq!(result, Ok(3));
/// assert_eq!(retry.metrics().retries, 2);
/// # });
/// ```
#[derive(Debug)]
pub struct Retry {
    name: &'static str,
    /// The policy in force, replaceable while calls run.
    tuning: Tuning,
    /// What every call counts: [`CALLS`] and [`SUCCEEDED`], striped so that threads sharing
    /// the retry do not contend on them.
    counted: Stripes<2>,
    retries: AtomicU64,
    succeeded_after_retry: AtomicU64,
    failed: AtomicU64,
    exhausted: AtomicU64,
    /// The budget's spent retries, if the policy has (or gains) a budget; kept when the
    /// policy changes.
    budget: BudgetLedger,
}

/// Slots of [`Retry::counted`].
const CALLS: usize = 0;
const SUCCEEDED: usize = 1;

impl Retry {
    /// A named retry with zeroed counters.
    #[must_use]
    pub const fn new(name: &'static str, policy: RetryConfig) -> Self {
        Self {
            name,
            tuning: Tuning::new(policy),
            counted: Stripes::new(),
            retries: AtomicU64::new(0),
            succeeded_after_retry: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            exhausted: AtomicU64::new(0),
            budget: BudgetLedger::new(),
        }
    }

    /// The registry name.
    #[must_use]
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The policy in force: as declared, or as last [replaced](Self::set_policy).
    ///
    /// Lock-free and allocation-free. An annotated fn's call reads it once, at its first
    /// failure, and keeps that copy for all its retries (a `max_elapsed` deadline still counts
    /// from the call's start).
    #[must_use]
    #[inline]
    pub fn policy(&self) -> RetryConfig {
        self.tuning.load()
    }

    /// Replaces the policy while calls run: calls that have not started retrying follow
    /// `policy`; calls already retrying finish with the policy they started retrying with. The counters are
    /// kept. Logged at `info` level.
    ///
    /// ```
    /// use resilience_runtime::retry::{Retry, RetryConfig};
    ///
    /// let retry = Retry::new("doc-set-policy", RetryConfig::new());
    /// retry.set_policy(RetryConfig::new().with_max_attempts(5));
    /// assert_eq!(retry.policy().max_attempts(), 5);
    /// ```
    pub fn set_policy(&self, policy: RetryConfig) {
        let before = self.policy();
        if before == policy {
            return;
        }
        self.tuning.store(&policy);
        tracing::info!(
            target: "resilience_runtime::retry",
            name = self.name, ?before, after = ?policy, "retry policy replaced");
    }

    /// The counters (each read individually; a concurrent call may be half-counted).
    #[must_use]
    pub fn metrics(&self) -> RetryMetrics {
        RetryMetrics {
            calls: self.counted.sum(CALLS),
            retries: self.retries.load(Relaxed),
            succeeded: self.counted.sum(SUCCEEDED),
            succeeded_after_retry: self.succeeded_after_retry.load(Relaxed),
            failed: self.failed.load(Relaxed),
            exhausted: self.exhausted.load(Relaxed),
            budget_exhausted: self.budget.refused(),
        }
    }

    /// The budget's live figures (its settings, the retries spent over the window, the
    /// retries it allows now, its exhaustions), or `None` if the policy has no budget.
    ///
    /// ```
    /// use resilience_runtime::retry::{Retry, RetryBudget, RetryConfig};
    ///
    /// let retry = Retry::new("doc-budget", RetryConfig::new().with_budget(RetryBudget::new(20.0)));
    /// let budget = retry.budget().unwrap();
    /// assert_eq!(budget.budget.percent(), 20.0);
    /// assert_eq!(budget.retries_in_window, 0);
    /// assert_eq!(Retry::new("doc-no-budget", RetryConfig::new()).budget(), None);
    /// ```
    #[must_use]
    pub fn budget(&self) -> Option<RetryBudgetSnapshot> {
        let budget = self.policy().budget()?;
        Some(
            self.budget
                .snapshot(budget, clock::now(), self.counted.sum(CALLS)),
        )
    }

    /// Spends one retry of the budget in force at `now`: `true` if it allows one (always,
    /// without a budget), `false` if it is spent (counted, and logged once per burst).
    ///
    /// The question a `#[hedge]` inside this retry asks before each hedge: each is one more
    /// request, like a retry. (The retry step asks [`try_spend_of`](Self::try_spend_of) with
    /// the budget of the call's own policy copy.)
    pub(crate) fn try_spend(&self, now: Nanos) -> bool {
        // One load answers for a retry without a budget.
        if !self.tuning.has_budget() {
            return true;
        }
        match self.policy().budget() {
            Some(budget) => self.try_spend_of(&budget, now),
            None => true,
        }
    }

    /// [`try_spend`](Self::try_spend) against `budget`, the one a call's policy copy has.
    pub(crate) fn try_spend_of(&self, budget: &super::RetryBudget, now: Nanos) -> bool {
        self.budget
            .try_spend(self.name, budget, now, self.counted.sum(CALLS))
    }

    /// Name, policy and counters.
    #[must_use]
    pub fn snapshot(&self) -> RetrySnapshot {
        RetrySnapshot {
            name: self.name,
            policy: self.policy(),
            metrics: self.metrics(),
            budget: self.budget(),
        }
    }

    /// Whether the policy in force has a `max_elapsed` deadline (one load, no policy copy):
    /// a lazily started call then notes its start time, so the deadline counts from it.
    #[inline]
    pub(crate) fn has_deadline(&self) -> bool {
        self.tuning.has_max_elapsed()
    }

    /// Counts a logical call starting. For the retry step.
    #[inline(always)]
    pub(crate) fn record_call(&self) {
        self.counted.bump(CALLS);
    }

    /// Counts a retry and logs it at debug level (routine under load; giving up is the
    /// warning) with `error`, the failure being retried:
    /// `attempt` is the number of the attempt about to run (2 for the first retry, i.e.
    /// [`RetryState::attempts`](super::RetryState::attempts) after `next_delay` returned `delay`). For the retry step.
    pub(crate) fn record_retry(&self, attempt: u32, delay: Duration, error: &dyn fmt::Display) {
        self.retries.fetch_add(1, Relaxed);
        tracing::debug!(
            target: "resilience_runtime::retry",
            name = self.name,
            attempt,
            max_attempts = self.policy().max_attempts(),
            delay = ?delay,
            error = %error,
            "retrying after a failed attempt"
        );
    }

    /// Counts a call that the budget ended after `attempts` attempts, shown as `error`:
    /// logged at debug level only, as the budget warns once per burst. For the retry step.
    pub(crate) fn record_budget_refusal(&self, attempts: u32, error: &dyn fmt::Display) {
        self.failed.fetch_add(1, Relaxed);
        if attempts > 1 {
            self.exhausted.fetch_add(1, Relaxed);
        }
        tracing::debug!(
            target: "resilience_runtime::retry",
            name = self.name,
            attempts,
            error = %error,
            "retry budget spent: ending the call with its last outcome"
        );
    }

    /// Counts a call that ended in `Ok` after `attempts` attempts. For the retry step.
    #[inline(always)]
    pub(crate) fn record_success(&self, attempts: u32) {
        self.counted.bump(SUCCEEDED);
        if attempts > 1 {
            self.record_success_after_retry(attempts);
        }
    }

    #[cold]
    fn record_success_after_retry(&self, attempts: u32) {
        self.succeeded_after_retry.fetch_add(1, Relaxed);
        tracing::debug!(
            target: "resilience_runtime::retry",
            name = self.name, attempts, "succeeded after retrying");
    }

    /// Counts a call that ended after `attempts` attempts in `Err`, or in an `Ok` that
    /// `when_ok` flagged, shown as `error`; giving up after retrying is logged at warn level.
    /// For the retry step.
    pub(crate) fn record_failure(&self, attempts: u32, error: &dyn fmt::Display) {
        self.failed.fetch_add(1, Relaxed);
        if attempts > 1 {
            self.exhausted.fetch_add(1, Relaxed);
            tracing::warn!(
                target: "resilience_runtime::retry",
                name = self.name,
                attempts,
                max_attempts = self.policy().max_attempts(),
                error = %error,
                "giving up after retrying"
            );
        }
    }
}

impl Named for Retry {
    const KIND: &'static str = "retry";
    type Config = RetryConfig;

    fn create(name: &'static str, config: RetryConfig) -> Self {
        // The budget's window starts with the instance: its calls are all of known age.
        Self {
            budget: BudgetLedger::starting_at(clock::now()),
            ..Self::new(name, config)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retry::config::Preset;
    use crate::retry::jitter::Jitter;

    #[test]
    fn named_snapshot_serializes() {
        let retry = Retry::create("payments", RetryConfig::preset(Preset::Patient));
        assert_eq!(Retry::KIND, "retry");
        assert_eq!(retry.policy(), RetryConfig::preset(Preset::Patient));
        assert_eq!(retry.name(), "payments");
        retry.record_call();
        retry.record_retry(2, Duration::from_millis(5), &"boom");
        retry.record_failure(2, &"boom");
        let json = serde_json::to_value(retry.snapshot()).unwrap();
        assert_eq!(json["name"], "payments");
        assert_eq!(json["policy"]["max_attempts"], 4);
        assert_eq!(json["policy"]["backoff"], "exponential");
        assert_eq!(json["policy"]["jitter"], "full");
        assert_eq!(json["metrics"]["exhausted"], 1);
        let json = serde_json::to_value(RetryConfig::new().with_jitter(Jitter::Proportional(0.25)))
            .unwrap();
        assert_eq!(json["jitter"]["proportional"], 0.25);
    }
}
