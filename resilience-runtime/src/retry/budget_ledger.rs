//! [`BudgetLedger`]: a named retry's spent budget, kept across reconfigurations.
//!
//! A call that needs no retry never comes here. A call that wants to retry asks
//! [`BudgetLedger::try_spend`], which takes the window's lock, and notes an exhaustion: counted
//! each time, logged once per burst (a warning when the budget first refuses, not again until
//! it has allowed a retry since).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};

use crate::base::clock::Nanos;

use super::budget::RetryBudget;
use super::budget_window::{Allowance, BudgetWindow};
use super::metrics::RetryBudgetSnapshot;

/// The spent retries of a named retry's budget and its exhaustions.
#[derive(Debug)]
pub(crate) struct BudgetLedger {
    window: BudgetWindow,
    /// Retries the budget refused.
    refused: AtomicU64,
    /// Bursts of refusals: counted when the budget refuses after having allowed.
    bursts: AtomicU64,
    /// Whether the budget refused the last retry that asked.
    exhausted: AtomicBool,
}

impl BudgetLedger {
    /// A ledger whose window starts at the first retry that asks.
    pub(crate) const fn new() -> Self {
        Self {
            window: BudgetWindow::new(),
            refused: AtomicU64::new(0),
            bursts: AtomicU64::new(0),
            exhausted: AtomicBool::new(false),
        }
    }

    /// A ledger whose window starts at `now`, before any call.
    pub(crate) fn starting_at(now: Nanos) -> Self {
        Self {
            window: BudgetWindow::starting_at(now, 0),
            ..Self::new()
        }
    }

    /// Spends one retry of `budget` at `now`, `calls` being the retry's running total of
    /// calls; `false` (counted, and logged at the start of a burst) if none is left.
    pub(crate) fn try_spend(
        &self,
        name: &'static str,
        budget: &RetryBudget,
        now: Nanos,
        calls: u64,
    ) -> bool {
        let spend = self.window.try_spend(&Allowance::of(budget), now, calls);
        if spend.allowed {
            // A plain load first: the flag is written only when a burst ends.
            if self.exhausted.load(Relaxed) {
                self.exhausted.store(false, Relaxed);
            }
            return true;
        }
        self.refused.fetch_add(1, Relaxed);
        if !self.exhausted.swap(true, Relaxed) {
            self.bursts.fetch_add(1, Relaxed);
            tracing::warn!(
                target: "resilience_runtime::retry",
                name,
                percent = budget.percent(),
                window = ?budget.window(),
                spent = spend.spent,
                allowed = spend.allowed_now,
                "retry budget exhausted: calls end with their last outcome until it allows retries again"
            );
        }
        false
    }

    /// Retries the budget refused.
    pub(crate) fn refused(&self) -> u64 {
        self.refused.load(Relaxed)
    }

    /// The live figures of `budget` at `now`.
    pub(crate) fn snapshot(
        &self,
        budget: RetryBudget,
        now: Nanos,
        calls: u64,
    ) -> RetryBudgetSnapshot {
        let (spent, allowed) = self.window.read(&Allowance::of(&budget), now, calls);
        RetryBudgetSnapshot {
            budget,
            retries_in_window: spent,
            allowed_in_window: allowed,
            refused: self.refused(),
            exhaustions: self.bursts.load(Relaxed),
            exhausted: self.exhausted.load(Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const SEC: Nanos = 1_000_000_000;

    #[test]
    fn a_burst_is_counted_once_and_every_refusal_each_time() {
        let budget = RetryBudget::new(10.0).with_min(0, Duration::from_secs(1));
        let ledger = BudgetLedger::starting_at(SEC);
        // 100 calls allow 10 retries; 15 asked.
        let allowed = (0..15)
            .filter(|_| ledger.try_spend("t", &budget, 2 * SEC, 100))
            .count();
        assert_eq!(allowed, 10);
        let seen = ledger.snapshot(budget, 2 * SEC, 100);
        assert_eq!(
            (seen.refused, seen.exhaustions, seen.exhausted),
            (5, 1, true)
        );
        // More calls: the budget allows again, the burst ends; the next refusal starts another.
        assert!(ledger.try_spend("t", &budget, 2 * SEC, 110));
        assert!(!ledger.snapshot(budget, 2 * SEC, 110).exhausted);
        assert!(!ledger.try_spend("t", &budget, 2 * SEC, 110));
        let seen = ledger.snapshot(budget, 2 * SEC, 110);
        assert_eq!((seen.refused, seen.exhaustions), (6, 2));
        assert_eq!((seen.retries_in_window, seen.allowed_in_window), (11, 11));
    }
}
