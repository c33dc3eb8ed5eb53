//! What a `#[quota]` layer calls: the decision, taken in place; in an async fn, a quota with
//! a remote backend asks it on the slow path.

use super::instance::Quota;
use super::key::QuotaKeyHash;
use crate::Error;
use crate::base::admission::Admission;
use crate::base::call::wait::Waiting;

/// The unkeyed quota's decision in a sync fn: the call counted, or its rejection. Always in
/// this process (a sync fn cannot wait for a server; `backend = "redis"` on one is a
/// compile-time error).
#[inline(always)]
pub fn quota_admit(quota: &Quota) -> Result<(), Error> {
    quota.try_acquire()
}

/// [`quota_admit`] against `key`'s own allowance (the key hashed by
/// [`QuotaKey::hashed_for`](super::QuotaKey::hashed_for), where its type was checked).
#[inline]
pub fn quota_admit_key(quota: &Quota, key: &QuotaKeyHash) -> Result<(), Error> {
    quota.try_acquire_hashed(key)
}

/// The unkeyed quota's decision in an async fn, in place: [`Admission::Wait`] for a quota
/// with a remote backend, to ask with [`quota_ask`].
#[inline(always)]
pub fn quota_decide(quota: &Quota) -> Admission<()> {
    quota.admit_now(super::slot::Slot::Unkeyed)
}

/// [`quota_decide`] against `key`'s own allowance.
#[inline]
pub fn quota_decide_key(quota: &Quota, key: &QuotaKeyHash) -> Admission<()> {
    quota.admit_now(key.slot)
}

/// The slow path after [`quota_decide`] said [`Admission::Wait`]: the backend's decision.
#[cold]
pub fn quota_ask(quota: &Quota) -> Waiting<'_, ()> {
    Box::pin(quota.acquire())
}

/// The slow path after [`quota_decide_key`] said [`Admission::Wait`].
#[cold]
pub fn quota_ask_key(quota: &Quota, key: QuotaKeyHash) -> Waiting<'_, ()> {
    Box::pin(quota.acquire_hashed(key))
}
