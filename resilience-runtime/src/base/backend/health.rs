//! [`BackendHealth`]: how a remote backend is doing, counted the same way for every kind
//! that decides there (rate limits, quotas).
//!
//! A failure starts an incident unless one is running: a run of failures, however long,
//! counts once. After a failure the backend is left alone for [`RETRY_AFTER_FAILURE`]:
//! calls in that time go straight to the `on_backend_error` policy, without I/O, so an
//! unreachable server costs one slow call per interval, not one per call. The first answer
//! after an incident clears `last_error`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use crate::base::clock::{self, Nanos};

/// How long a failed backend is left alone before the next call tries it again.
pub(crate) const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(1);

/// The health counters of one instance's remote backend; relaxed atomics, each read on its
/// own.
#[derive(Debug, Default)]
pub(crate) struct BackendHealth {
    available: AtomicBool,
    decisions: AtomicU64,
    errors: AtomicU64,
    incidents: AtomicU64,
    fallbacks: AtomicU64,
    /// Until when the backend is left alone after a failure.
    resting_until: AtomicU64,
    last_error: Mutex<Option<String>>,
}

impl BackendHealth {
    /// Whether the backend is left alone at `now` after a failure.
    #[inline]
    pub(crate) fn resting(&self, now: Nanos) -> bool {
        now < self.resting_until.load(Ordering::Relaxed)
    }

    /// The backend decided. Answers the error of the incident it ends, if this answer ends
    /// one, for the caller to log under its own target.
    #[inline]
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn answered(&self) -> Option<String> {
        self.decisions.fetch_add(1, Ordering::Relaxed);
        if self.available.swap(true, Ordering::Relaxed) {
            return None;
        }
        self.recovered()
    }

    #[cold]
    fn recovered(&self) -> Option<String> {
        self.last_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    /// A decision the backend did not make at `now`, for `error`; `rest` leaves the backend
    /// alone for [`RETRY_AFTER_FAILURE`]. True when this failure starts an incident, for the
    /// caller to log under its own target.
    pub(crate) fn failed(&self, now: Nanos, error: String, rest: bool) -> bool {
        let first = self.errors.fetch_add(1, Ordering::Relaxed) == 0;
        let starts = self.available.swap(false, Ordering::Relaxed) || first;
        if starts {
            self.incidents.fetch_add(1, Ordering::Relaxed);
        }
        if rest {
            self.resting_until.store(
                now.saturating_add(clock::to_nanos(RETRY_AFTER_FAILURE)),
                Ordering::Relaxed,
            );
        }
        *self
            .last_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(error);
        starts
    }

    /// A decision made by the `on_backend_error` policy instead of the backend.
    #[inline]
    pub(crate) fn fell_back(&self) {
        self.fallbacks.fetch_add(1, Ordering::Relaxed);
    }

    /// Whether the last attempt to reach the backend succeeded (`false` before the first).
    pub(crate) fn available(&self) -> bool {
        self.available.load(Ordering::Relaxed)
    }

    /// Decisions the backend made.
    pub(crate) fn decisions(&self) -> u64 {
        self.decisions.load(Ordering::Relaxed)
    }

    /// Failed attempts (errors and time-outs).
    pub(crate) fn errors(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }

    /// Runs of failures.
    pub(crate) fn incidents(&self) -> u64 {
        self.incidents.load(Ordering::Relaxed)
    }

    /// Decisions the policy made instead.
    pub(crate) fn fallbacks(&self) -> u64 {
        self.fallbacks.load(Ordering::Relaxed)
    }

    /// The error of the current incident; `None` once the backend answers again.
    pub(crate) fn last_error(&self) -> Option<String> {
        self.last_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_of_failures_is_one_incident_and_an_answer_clears_it() {
        let health = BackendHealth::default();
        assert!(!health.available());
        // The first failure starts an incident even before any answer.
        assert!(health.failed(0, String::from("refused"), true));
        assert!(health.resting(1));
        assert!(!health.resting(clock::to_nanos(RETRY_AFTER_FAILURE)));
        assert!(!health.failed(5, String::from("refused again"), false));
        assert_eq!((health.errors(), health.incidents()), (2, 1));
        assert_eq!(health.last_error().as_deref(), Some("refused again"));
        assert_eq!(health.answered().as_deref(), Some("refused again"));
        assert_eq!(health.last_error(), None);
        assert_eq!(health.answered(), None);
        assert!(health.failed(10, String::from("reset"), true));
        assert_eq!((health.decisions(), health.incidents()), (2, 2));
        health.fell_back();
        assert_eq!(health.fallbacks(), 1);
    }
}
