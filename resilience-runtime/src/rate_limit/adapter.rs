//! What a `#[rate_limit]` layer calls: the decision without waiting on the fast path, and
//! the boxed wait on the slow one.

use std::hash::Hash;

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

/// [`rate_limit_admit`] against `key`'s own limit.
#[inline]
pub fn rate_limit_admit_key<K: Hash + ?Sized>(
    limiter: &RateLimiter,
    start: Option<CallStart>,
    key: &K,
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
pub fn rate_limit_wait_key<'a, K: Hash + ?Sized + 'a>(
    limiter: &'a RateLimiter,
    key: &K,
) -> Waiting<'a, ()> {
    Box::pin(limiter.acquire_key(key))
}
