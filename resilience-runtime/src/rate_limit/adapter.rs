//! What a `#[rate_limit]` layer calls: the decision without waiting on the fast path, and
//! the boxed wait on the slow one.

use super::key::HashedKey;
use super::limiter::RateLimiter;
use crate::base::admission::Admission;
use crate::base::call::start::CallStart;
use crate::base::call::wait::Waiting;

/// A rate limit's decision without waiting, as of `start` (see [`CallStart`]) or now:
/// [`Admission::Wait`] when the call must wait (or ask a remote backend) with
/// [`rate_limit_wait`] (or, in a sync fn, [`RateLimiter::acquire_blocking`]).
#[inline(always)]
pub fn rate_limit_admit(limiter: &RateLimiter, start: Option<CallStart>) -> Admission<()> {
    limiter.admit_now(CallStart::or_now(start))
}

/// [`rate_limit_admit`] against `key`'s own limit (the key hashed by
/// [`RateLimitKey::hashed_for`](super::RateLimitKey::hashed_for), where its type was checked).
#[inline]
pub fn rate_limit_admit_key(
    limiter: &RateLimiter,
    start: Option<CallStart>,
    key: &HashedKey,
) -> Admission<()> {
    limiter.admit_key_now(key, CallStart::or_now(start))
}

/// The slow path after [`rate_limit_admit`] said [`Admission::Wait`].
#[cold]
pub fn rate_limit_wait(limiter: &RateLimiter) -> Waiting<'_, ()> {
    Box::pin(limiter.acquire())
}

/// The slow path after [`rate_limit_admit_key`] said [`Admission::Wait`].
#[cold]
pub fn rate_limit_wait_key(limiter: &RateLimiter, key: HashedKey) -> Waiting<'_, ()> {
    Box::pin(limiter.acquire_hashed(key))
}

/// The sync fn's slow path after [`rate_limit_admit_key`] said [`Admission::Wait`]: blocks.
#[cold]
pub fn rate_limit_block_key(limiter: &RateLimiter, key: &HashedKey) -> Result<(), crate::Error> {
    limiter.acquire_hashed_blocking(key)
}
