//! What a `#[bulkhead]` layer calls: the decision without waiting on the fast path, the
//! boxed wait for a slot on the slow one, and the end of the call.

use super::{Bulkhead, BulkheadPermit, Verdict};
use crate::base::admission::Admission;
use crate::base::call::outcome::Attempt;
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

/// Gives the slot back when the layers below have finished with `outcome`, which an adaptive
/// bulkhead learns from (an inner layer's rejection teaches it nothing).
#[inline(always)]
pub fn bulkhead_finish<T, E>(permit: BulkheadPermit<'_>, outcome: &Attempt<T, E>) {
    if permit.started.is_some() {
        permit.finish(Verdict::of_attempt(outcome));
    }
}
