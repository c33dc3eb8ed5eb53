//! What a `#[bulkhead]` layer calls: the decision without waiting on the fast path, and the
//! boxed wait for a slot on the slow one.

use super::{Bulkhead, BulkheadPermit};
use crate::base::admission::Admission;
use crate::base::call::wait::Waiting;

/// A bulkhead's decision without waiting: [`Admission::Wait`] when the call may wait for a
/// slot with [`bulkhead_wait`] (or, in a sync fn, [`Bulkhead::acquire_blocking`]).
#[inline(always)]
pub fn bulkhead_admit(bulkhead: &Bulkhead) -> Admission<BulkheadPermit<'_>> {
    bulkhead.admit_now()
}

/// The slow path after [`bulkhead_admit`] said [`Admission::Wait`].
#[cold]
pub fn bulkhead_wait(bulkhead: &Bulkhead) -> Waiting<'_, BulkheadPermit<'_>> {
    Box::pin(bulkhead.acquire())
}
