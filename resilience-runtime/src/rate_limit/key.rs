//! What a keyed limit accepts as a key, and the key as one limiter tells it apart.
//!
//! A `#[rate_limit(key = ..)]` site turns its key into a [`HashedKey`] once, through
//! [`RateLimitKey`]: a key that is not `Hash` is then one error at the user's key expression,
//! in words about keys, and the rest of the call needs no bound on the key's type.

use std::hash::Hash;

use super::limiter::RateLimiter;
use super::queue::Slot;
use super::remote::RemoteKey;

/// A value that can key a rate limit: every `Hash` type (`&str`, `String`, integers, tuples
/// of keys, a type deriving `Hash`).
///
/// It is implemented for all of them and for nothing else, so there is nothing to implement;
/// it exists to name the requirement where a key is given.
///
/// ```
/// use resilience_runtime::rate_limit::{Rate, RateLimitConfig, RateLimitKey, RateLimiter};
///
/// let limiter = RateLimiter::new("per-tenant", RateLimitConfig::new(Rate::per_second(1)));
/// let key = ("tenant-42", 7).hashed_for(&limiter);
/// assert_eq!(key, ("tenant-42", 7).hashed_for(&limiter));
/// assert_ne!(key, ("tenant-43", 7).hashed_for(&limiter));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot key a rate limit: it does not implement `Hash`",
    label = "this key is not `Hash`",
    note = "derive `Hash` on the key's type, or key by one of its fields that is `Hash` (`key = user.id`)"
)]
pub trait RateLimitKey {
    /// This key as `limiter` tells it apart: hashed by the limiter's hasher, and for a
    /// limiter with a remote backend also encoded as the backend stores it.
    fn hashed_for(&self, limiter: &RateLimiter) -> HashedKey;
}

impl<K: Hash + ?Sized> RateLimitKey for K {
    #[inline]
    fn hashed_for(&self, limiter: &RateLimiter) -> HashedKey {
        HashedKey {
            slot: Slot::Key(limiter.keys.hash(self)),
            remote: limiter.remote.as_ref().map(|_| RemoteKey::of(self)),
        }
    }
}

/// A key prepared by [`RateLimitKey::hashed_for`] for one limiter. It holds no borrow of the
/// key, so a call that waits for its permit does not keep the key alive. Meaningful only to
/// the limiter it was made for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashedKey {
    pub(super) slot: Slot,
    pub(super) remote: Option<RemoteKey>,
}
