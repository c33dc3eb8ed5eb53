//! Rejecting a call: the error, counted and logged.

use super::limiter::RateLimiter;
use super::queue::Slot;
use crate::Error;
use crate::base::clock::{self, Nanos};

impl RateLimiter {
    /// The rejection of a call to `slot`, counted and logged. The error is built inline, in
    /// the caller's result: built out of line and copied, its narrow fields would be read
    /// back wide before the CPU forwarded them. The count is a store on this thread's stripe,
    /// inline too; only a log that is on leaves the caller (one call out of line for the count
    /// and the log's check cost each rejection 2–3 ns).
    #[inline(always)]
    pub(super) fn reject(&self, slot: Slot, retry_after: Option<Nanos>) -> Error {
        self.counters.0.rejected();
        if tracing::enabled!(target: "resilience_runtime::rate_limit", tracing::Level::DEBUG) {
            self.log_rejection(slot, retry_after);
        }
        Error::rate_limited(self.name, retry_after.map(clock::to_duration))
    }

    #[cold]
    #[inline(never)]
    fn log_rejection(&self, slot: Slot, retry_after: Option<Nanos>) {
        tracing::debug!(
            target: "resilience_runtime::rate_limit",
            name = self.name,
            keyed = matches!(slot, Slot::Key(_)),
            retry_after = ?retry_after.map(clock::to_duration),
            "rate limit exceeded; call rejected"
        );
    }
}
