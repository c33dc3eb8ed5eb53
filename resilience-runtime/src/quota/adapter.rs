//! What a `#[quota]` layer calls: the decision, taken in place (a quota never waits).

use super::instance::Quota;
use super::key::QuotaKeyHash;
use crate::Error;

/// The unkeyed quota's decision: the call counted, or its rejection.
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
