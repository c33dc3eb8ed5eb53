//! Rejecting a call: the error, counted and logged.

use super::limiter::RateLimiter;
use super::queue::Slot;
use crate::Error;
use crate::base::clock::{self, Nanos};

impl RateLimiter {
    #[cold]
    /// The rejection of a call to `slot`, counted and logged. The error is built inline, in
    /// the caller's result: built out of line and copied, its narrow fields would be read
    /// back wide before the CPU forwarded them.
    #[inline(always)]
    pub(super) fn reject(&self, slot: Slot, retry_after: Option<Nanos>) -> Error {
        self.note_rejection(slot, retry_after);
        Error::rate_limited(self.name, retry_after.map(clock::to_duration))
    }

    #[inline(never)]
    fn note_rejection(&self, slot: Slot, retry_after: Option<Nanos>) {
        self.counters.0.rejected();
        tracing::debug!(
            target: "resilience_runtime::rate_limit",
            name = self.name,
            keyed = matches!(slot, Slot::Key(_)),
            retry_after = ?retry_after.map(clock::to_duration),
            "rate limit exceeded; call rejected"
        );
    }
}
