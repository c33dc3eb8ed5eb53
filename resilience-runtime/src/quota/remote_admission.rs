//! The decision of a quota with a remote backend: asked of the server, or of the
//! `on_backend_error` policy when the server cannot decide in time.

use std::hash::Hash;

use super::OnBackendError;
use super::instance::Quota;
use super::key::QuotaKeyHash;
use super::remote::{Remote, Verdict};
use super::slot::Slot;
use crate::Error;
use crate::base::backend::remote_key::RemoteKey;
use crate::base::clock;
use crate::base::kill_switch;

impl Quota {
    /// Counts a call against the unkeyed quota, on its backend: with
    /// [`Backend::Redis`](super::Backend::Redis) the server decides, so every process
    /// naming the quota shares one count; a local quota decides as
    /// [`try_acquire`](Self::try_acquire) does. Never waits longer than `backend_timeout`.
    ///
    /// # Errors
    ///
    /// [`Error::QuotaExceeded`] when the period's allowance is used up, with the time until
    /// the quota admits a call again (`None` when `on_backend_error = "deny"` refuses it
    /// while the backend cannot decide).
    pub async fn acquire(&self) -> Result<(), Error> {
        self.acquire_slot(Slot::Unkeyed, None).await
    }

    /// [`acquire`](Self::acquire) against `key`'s own allowance (`()` is the unkeyed
    /// quota). On Redis, a key is stored as the bytes its `Hash` implementation writes, so
    /// every process names it alike: processes sharing a keyed quota should use one key type
    /// and one byte order.
    ///
    /// # Errors
    ///
    /// As [`acquire`](Self::acquire).
    pub async fn acquire_key<K: Hash + ?Sized>(&self, key: &K) -> Result<(), Error> {
        let slot = self.slot_of(key);
        let remote = match slot {
            Slot::Key(_) if self.remote.is_some() => Some(RemoteKey::of(key)),
            _ => None,
        };
        self.acquire_slot(slot, remote).await
    }

    /// [`acquire_key`](Self::acquire_key) with the key already hashed, as generated code
    /// calls it.
    pub(crate) async fn acquire_hashed(&self, key: QuotaKeyHash) -> Result<(), Error> {
        self.acquire_slot(key.slot, key.remote).await
    }

    async fn acquire_slot(&self, slot: Slot, key: Option<RemoteKey>) -> Result<(), Error> {
        match &self.remote {
            None => self.decide(slot, clock::now()),
            Some(remote) => self.acquire_remote(remote, slot, key).await,
        }
    }

    async fn acquire_remote(
        &self,
        remote: &Remote,
        slot: Slot,
        key: Option<RemoteKey>,
    ) -> Result<(), Error> {
        if kill_switch::engaged() {
            return Ok(());
        }
        let limit = self.limit.load().count;
        // A quota that admits nothing needs no server to say so.
        if limit == 0 {
            return Err(self.reject(slot, None));
        }
        match remote.decide(key.as_ref(), limit).await {
            Verdict::Admitted | Verdict::Unavailable(OnBackendError::Allow) => {
                self.counters.admitted();
                Ok(())
            }
            Verdict::Rejected { resets_in } => Err(self.reject(slot, Some(resets_in))),
            Verdict::Unavailable(OnBackendError::Deny) => Err(self.reject(slot, None)),
            // This process's own count of the same quota.
            Verdict::Unavailable(OnBackendError::Local) => self.decide(slot, clock::now()),
        }
    }
}
