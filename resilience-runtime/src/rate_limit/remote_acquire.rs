//! Asking a remote backend for a permit: its verdict, the wait for a permit it reserved, the
//! `on_backend_error` policy when it cannot decide in time.

use super::OnBackendError;
use super::limiter::RateLimiter;
use super::queue::Slot;
use super::remote::{GiveBack, Remote, RemoteKey, Verdict};
use crate::Error;
use crate::base::clock::{self, Nanos};
use crate::base::kill_switch;

impl RateLimiter {
    /// A decision by the remote backend, or by the `on_backend_error` policy when the
    /// backend cannot decide in time. Never waits past the wait budget in all.
    pub(super) async fn acquire_remote(
        &self,
        remote: &Remote,
        slot: Slot,
        key: Option<RemoteKey>,
    ) -> Result<(), Error> {
        if kill_switch::engaged() {
            return Ok(());
        }
        let started = clock::now();
        let gcra = self.tuning.load();
        let verdict = remote
            .decide(key.as_ref(), &gcra, self.wait_budget, self.max_queue)
            .await;
        let spent = clock::now().saturating_sub(started);
        match verdict {
            Verdict::Permit { wait: 0, .. } => {
                self.counters.0.permitted();
                Ok(())
            }
            Verdict::Permit { wait, give_back } => {
                if spent.saturating_add(wait) > self.wait_budget {
                    // The answer came too late to wait for the permit within the budget.
                    give_back.send();
                    return Err(self.reject(slot, Some(wait)));
                }
                let guard = RemoteWait {
                    limiter: self,
                    give_back: Some(give_back),
                };
                clock::sleep(clock::to_duration(wait)).await;
                guard.finish(wait);
                Ok(())
            }
            Verdict::Reject(retry_after) => Err(self.reject(slot, retry_after)),
            Verdict::Unavailable(OnBackendError::Allow) => {
                self.counters.0.permitted();
                Ok(())
            }
            Verdict::Unavailable(OnBackendError::Deny) => Err(self.reject(slot, None)),
            Verdict::Unavailable(OnBackendError::Local) => {
                self.acquire_slot(slot, self.wait_budget.saturating_sub(spent), clock::now())
                    .await
            }
        }
    }
}

/// A call waiting for a permit reserved on a remote backend; dropping it before
/// [`finish`](Self::finish) sends the reservation back.
struct RemoteWait<'a> {
    limiter: &'a RateLimiter,
    give_back: Option<GiveBack>,
}

impl RemoteWait<'_> {
    fn finish(mut self, waited: Nanos) {
        self.give_back = None;
        self.limiter.counters.0.waited(waited);
    }
}

impl Drop for RemoteWait<'_> {
    fn drop(&mut self) {
        if let Some(give_back) = self.give_back.take() {
            self.limiter.counters.0.cancelled();
            give_back.send();
        }
    }
}
