//! The retry budget's arithmetic: how many retries a sliding window of calls allows.
//!
//! Retries may add at most `share` of the calls made over the last `window`, plus `min_per_sec`
//! retries per second of it whatever the traffic (so a quiet service can still retry). Calls
//! are not counted here: the retry already counts every call in its striped counters, and the
//! window reads that running total, so a call that needs no retry pays nothing for the budget.
//!
//! Only a call that wants to retry takes the window's lock. The window is a ring of buckets,
//! each a tenth of the window: where it starts, the running total of calls seen then, and
//! the retries spent in it. The bucket starts are samples of the running total; the calls at
//! the window's start are read between the two samples around it, as if the calls between
//! them came evenly. A bucket that straddles the window's start counts all its retries, so
//! the budget errs on the side of fewer retries, never more.

use std::sync::{Mutex, PoisonError};

use crate::base::clock::{self, Nanos};

use super::budget::RetryBudget;

/// Buckets of one window: a bucket starts at most every tenth of it, and one more is kept so
/// that a sample at or before the window's start survives.
pub(crate) const BUCKETS: usize = 11;

/// How many buckets a window is cut into.
const SLICES: Nanos = 10;

/// One tenth of a window.
#[derive(Debug, Clone, Copy, Default)]
struct Bucket {
    /// When the bucket started (0: never used).
    start: Nanos,
    /// The retry's running total of calls when the bucket started.
    calls_before: u64,
    /// Retries spent in the bucket.
    retries: u64,
}

/// A retry budget's limits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Allowance {
    /// The share of the window's calls that retries may add (0.2 for `"20%"`).
    pub(crate) share: f64,
    /// The window, in nanoseconds.
    pub(crate) window: Nanos,
    /// Retries always allowed per second of the window.
    pub(crate) min_per_sec: f64,
}

impl Allowance {
    /// The limits of `budget`.
    pub(crate) fn of(budget: &RetryBudget) -> Self {
        Self {
            share: budget.share(),
            window: clock::to_nanos(budget.window()).max(1),
            min_per_sec: budget.min_per_sec(),
        }
    }

    /// The retries `calls` calls over the window allow.
    fn retries_for(&self, calls: f64) -> f64 {
        let window_secs = self.window as f64 / 1e9;
        self.share * calls + self.min_per_sec * window_secs
    }
}

/// The spent retries of one budget: a ring of buckets behind a lock only retries take.
#[derive(Debug)]
pub(crate) struct BudgetWindow {
    ring: Mutex<Ring>,
}

#[derive(Debug)]
struct Ring {
    buckets: [Bucket; BUCKETS],
    /// The bucket in use.
    current: usize,
    /// When the budget started counting, and the calls then: the first sample. `None` until
    /// the instance's start is noted or the first retry asks.
    origin: Option<(Nanos, u64)>,
}

/// What [`BudgetWindow::try_spend`] decided.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Spend {
    /// Whether the retry may go ahead (and was counted).
    pub(crate) allowed: bool,
    /// Retries spent over the window, counting this one if allowed.
    pub(crate) spent: u64,
    /// Retries the window allows now.
    pub(crate) allowed_now: u64,
}

impl BudgetWindow {
    /// An empty window with no start yet: the first retry that asks starts it (and, not
    /// knowing when the calls counted before came, counts none of them for the window).
    pub(crate) const fn new() -> Self {
        Self {
            ring: Mutex::new(Ring {
                buckets: [Bucket {
                    start: 0,
                    calls_before: 0,
                    retries: 0,
                }; BUCKETS],
                current: 0,
                origin: None,
            }),
        }
    }

    /// An empty window that started counting at `now`, when the running total was `calls`.
    pub(crate) fn starting_at(now: Nanos, calls: u64) -> Self {
        let window = Self::new();
        window.lock().origin = Some((now, calls));
        window
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Ring> {
        self.ring.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Spends one retry if `allowance` has one left at `now`, with `calls` the retry's running
    /// total of calls.
    pub(crate) fn try_spend(&self, allowance: &Allowance, now: Nanos, calls: u64) -> Spend {
        let mut ring = self.lock();
        ring.origin.get_or_insert((now, calls));
        ring.advance(allowance.window, now, calls);
        let window_calls = ring.calls_in_window(allowance.window, now, calls);
        let spent = ring.retries_in_window(allowance.window, now);
        let allowed_now = allowance.retries_for(window_calls).floor().max(0.0) as u64;
        let allowed = spent < allowed_now;
        if allowed {
            let current = ring.current;
            ring.buckets[current].retries += 1;
        }
        Spend {
            allowed,
            spent: spent + u64::from(allowed),
            allowed_now,
        }
    }

    /// Retries spent over the window ending at `now`, and the retries it allows, for the
    /// snapshot; spends nothing.
    pub(crate) fn read(&self, allowance: &Allowance, now: Nanos, calls: u64) -> (u64, u64) {
        let ring = self.lock();
        let window_calls = ring.calls_in_window(allowance.window, now, calls);
        let allowed = allowance.retries_for(window_calls).floor().max(0.0) as u64;
        (ring.retries_in_window(allowance.window, now), allowed)
    }
}

impl Ring {
    /// Starts a new bucket when the current one is a tenth of the window old.
    fn advance(&mut self, window: Nanos, now: Nanos, calls: u64) {
        let width = (window / SLICES).max(1);
        let current = self.buckets[self.current];
        if current.start != 0 && now < current.start.saturating_add(width) {
            return;
        }
        if current.start != 0 {
            self.current = (self.current + 1) % BUCKETS;
        }
        // Nanos 0 means unused: a window can't start at the clock's very first instant.
        self.buckets[self.current] = Bucket {
            start: now.max(1),
            calls_before: calls,
            retries: 0,
        };
    }

    /// The calls of the window ending at `now`, when the running total is `calls`.
    fn calls_in_window(&self, window: Nanos, now: Nanos, calls: u64) -> f64 {
        let from = now.saturating_sub(window);
        // The origin, each bucket's start and now, in time order (on the stack).
        let mut samples = [(Nanos::MAX, 0); BUCKETS + 2];
        let mut len = 0;
        let used = self.buckets.iter().filter(|bucket| bucket.start != 0);
        for (at, total) in self
            .origin
            .into_iter()
            .chain(used.map(|bucket| (bucket.start, bucket.calls_before)))
            .chain(std::iter::once((now, calls)))
        {
            // A sample later than `now` (read on another clock: a paused test runtime that
            // started later, or a counter a hair ahead on another core) counts as `now`, so
            // it cannot sort the calls made since it before it.
            samples[len] = (at.min(now), total);
            len += 1;
        }
        let samples = &mut samples[..len];
        samples.sort_unstable();
        let before = samples.iter().rev().find(|(at, _)| *at <= from);
        let after = samples.iter().find(|(at, _)| *at > from);
        let calls_at_start = match (before, after) {
            // The window reaches back before the first sample: every call counted since then
            // is in it.
            (None, _) => samples[0].1 as f64,
            (Some(&(_, total)), None) => total as f64,
            (Some(&(t0, c0)), Some(&(t1, c1))) => {
                let part = (from - t0) as f64 / (t1 - t0) as f64;
                c0 as f64 + part * c1.saturating_sub(c0) as f64
            }
        };
        (calls as f64 - calls_at_start).max(0.0)
    }

    /// Retries of the buckets that overlap the window ending at `now`.
    fn retries_in_window(&self, window: Nanos, now: Nanos) -> u64 {
        let width = (window / SLICES).max(1);
        let from = now.saturating_sub(window);
        self.buckets
            .iter()
            .filter(|bucket| bucket.start != 0 && bucket.start.saturating_add(width) > from)
            .map(|bucket| bucket.retries)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: Nanos = 1_000_000_000;

    fn allowance(share: f64, min_per_sec: f64) -> Allowance {
        Allowance {
            share,
            window: 10 * SEC,
            min_per_sec,
        }
    }

    #[test]
    fn retries_are_a_share_of_the_window_calls() {
        let budget = allowance(0.2, 0.0);
        let window = BudgetWindow::starting_at(SEC, 0);
        // 100 calls in the first second, then retries: 20 allowed, the 21st not.
        let allowed = (0..30)
            .filter(|_| window.try_spend(&budget, 2 * SEC, 100).allowed)
            .count();
        assert_eq!(allowed, 20);
        assert_eq!(window.read(&budget, 2 * SEC, 100), (20, 20));
    }

    #[test]
    fn an_origin_later_than_now_counts_as_now() {
        // Declared at 5 s on one clock, asked at 2 s on another: the calls since count.
        let budget = allowance(0.1, 0.0);
        let window = BudgetWindow::starting_at(5 * SEC, 0);
        assert!(window.try_spend(&budget, 2 * SEC, 11).allowed);
        assert!(
            !window.try_spend(&budget, 2 * SEC, 11).allowed,
            "11 calls allow one"
        );
    }

    #[test]
    fn the_minimum_allows_retries_without_calls() {
        let budget = allowance(0.2, 1.0);
        let window = BudgetWindow::starting_at(SEC, 0);
        let allowed = (0..30)
            .filter(|_| window.try_spend(&budget, 2 * SEC, 0).allowed)
            .count();
        assert_eq!(allowed, 10, "1/s over a 10 s window");
    }

    #[test]
    fn spent_retries_leave_the_window_as_it_slides() {
        let budget = allowance(0.5, 0.0);
        let window = BudgetWindow::starting_at(SEC, 0);
        let mut calls = 0;
        let mut per_second = Vec::new();
        // 10 calls a second for a minute, each wanting a retry.
        for second in 1..=60 {
            let mut allowed = 0;
            for _ in 0..10 {
                calls += 1;
                if window.try_spend(&budget, second * SEC, calls).allowed {
                    allowed += 1;
                }
            }
            per_second.push(allowed);
            // Any 10 s: at most half of its 100 calls retried.
            let last_ten: u64 = per_second.iter().rev().take(10).sum();
            assert!(
                last_ten <= 50,
                "{last_ten} retries in the 10 s to second {second}"
            );
        }
        // Once the window is full, the budget keeps allowing: about half of the calls.
        let total: u64 = per_second.iter().sum();
        assert!((250..=300).contains(&total), "{total}");
    }

    #[test]
    fn after_a_quiet_spell_old_calls_count_for_their_share_of_time() {
        let budget = allowance(0.1, 0.0);
        let window = BudgetWindow::starting_at(SEC, 0);
        // 1000 calls over 100 s with no retry, then retries: the 100 calls of the last 10 s
        // (read between the start and now) allow 10.
        let allowed = (0..20)
            .filter(|_| window.try_spend(&budget, 101 * SEC, 1000).allowed)
            .count();
        assert_eq!(allowed, 10);
    }

    #[test]
    fn many_threads_never_spend_more_than_allowed() {
        let budget = allowance(0.2, 0.0);
        let window = std::sync::Arc::new(BudgetWindow::starting_at(SEC, 0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let window = std::sync::Arc::clone(&window);
                std::thread::spawn(move || {
                    (0..100)
                        .filter(|_| window.try_spend(&budget, 2 * SEC, 1000).allowed)
                        .count()
                })
            })
            .collect();
        let allowed: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
        assert_eq!(allowed, 200);
    }

    #[test]
    fn a_new_allowance_keeps_the_retries_spent() {
        let window = BudgetWindow::starting_at(SEC, 0);
        let loose = allowance(0.5, 0.0);
        let spent = (0..40)
            .filter(|_| window.try_spend(&loose, 2 * SEC, 100).allowed)
            .count();
        assert_eq!(spent, 40, "half of 100 calls allows 50");
        // Tightened while running: the 40 spent still count, so 20% of 100 allows none more.
        let tight = allowance(0.2, 0.0);
        assert!(!window.try_spend(&tight, 2 * SEC, 100).allowed);
        assert_eq!(window.read(&tight, 2 * SEC, 100), (40, 20));
        // Loosened again: 10 more, up to 50.
        let more = (0..20)
            .filter(|_| window.try_spend(&loose, 2 * SEC, 100).allowed)
            .count();
        assert_eq!(more, 10);
    }

    #[test]
    fn a_window_without_a_start_counts_no_earlier_calls() {
        let window = BudgetWindow::new();
        let budget = allowance(0.2, 0.0);
        // The first retry starts the window: the 500 calls before it are of unknown age.
        assert!(!window.try_spend(&budget, 50 * SEC, 500).allowed);
        // 100 calls later, 20 retries.
        let allowed = (0..30)
            .filter(|_| window.try_spend(&budget, 51 * SEC, 600).allowed)
            .count();
        assert_eq!(allowed, 20);
    }

    #[test]
    fn the_calls_at_the_window_start_are_interpolated() {
        let budget = allowance(0.1, 0.0);
        let window = BudgetWindow::starting_at(SEC, 0);
        // A sample at 11 s (1000 calls), then 1000 more by 21 s: the window from 11 s to
        // 21 s holds the 1000 between, so 100 retries, less the one spent at 11 s.
        assert!(window.try_spend(&budget, 11 * SEC, 1000).allowed);
        let allowed = (0..200)
            .filter(|_| window.try_spend(&budget, 21 * SEC, 2000).allowed)
            .count();
        assert_eq!(allowed, 99);
        // Half a second later the window starts at 11.5 s: its calls are read between the
        // 11 s and 21 s samples (950 of them before the 0.5 s since), still 99 spent.
        let (spent, allowed) = window.read(&budget, 21 * SEC + SEC / 2, 2000);
        assert_eq!((spent, allowed), (100, 95));
    }
}
