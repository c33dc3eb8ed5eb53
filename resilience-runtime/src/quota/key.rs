//! What a keyed quota accepts as a key, and the key as one quota tells it apart.
//!
//! Keys are hashed as a rate limit's are (the shared per-key map of `base/keyed/`, seeded
//! per quota): a `#[quota(key = ..)]` site hashes its key once, through [`QuotaKey`], so a key
//! that is not `Hash` is one error at the user's key expression, in words about quotas.

use std::hash::Hash;

use super::instance::Quota;
use super::slot::Slot;
use crate::base::backend::remote_key::RemoteKey;

/// A value that can key a quota: every `Hash` type (`&str`, `String`, integers, tuples of
/// keys, a type deriving `Hash`). The unit `()` names the unkeyed quota.
///
/// It is implemented for all of them and for nothing else, so there is nothing to implement;
/// it exists to name the requirement where a key is given.
///
/// ```
/// use resilience_runtime::quota::{Quota, QuotaConfig, QuotaKey, QuotaLimit};
///
/// let quota = Quota::new("per-client", QuotaConfig::new(QuotaLimit::per_day(1000)));
/// let key = ("client-42", 7).hashed_for(&quota);
/// assert_eq!(key, ("client-42", 7).hashed_for(&quota));
/// assert_ne!(key, ("client-43", 7).hashed_for(&quota));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot key a quota: it does not implement `Hash`",
    label = "this key is not `Hash`",
    note = "derive `Hash` on the key's type, or key by one of its fields that is `Hash` (`key = user.id`)"
)]
pub trait QuotaKey {
    /// This key as `quota` tells it apart: hashed by the quota's hasher, and for a quota
    /// with a remote backend also encoded as the backend stores it.
    fn hashed_for(&self, quota: &Quota) -> QuotaKeyHash;
}

impl<K: Hash + ?Sized> QuotaKey for K {
    #[inline]
    fn hashed_for(&self, quota: &Quota) -> QuotaKeyHash {
        let slot = quota.slot_of(self);
        let remote = match slot {
            Slot::Key(_) if quota.remote.is_some() => Some(RemoteKey::of(self)),
            _ => None,
        };
        QuotaKeyHash { slot, remote }
    }
}

/// A key prepared by [`QuotaKey::hashed_for`] for one quota; it holds no borrow of the key,
/// so a call asking a remote backend does not keep the key alive.
/// Meaningful only to the quota it was made for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaKeyHash {
    pub(super) slot: Slot,
    pub(super) remote: Option<RemoteKey>,
}
