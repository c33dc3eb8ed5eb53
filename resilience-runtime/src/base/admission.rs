//! [`Admission`]: a rate limit's or bulkhead's decision on a call, taken in place.

use crate::Error;

/// What a layer decided on a call without waiting. Generated code matches it where it is
/// returned (a permit in a register, no intermediate `Option<Result<..>>` to move around)
/// and awaits the boxed slow path only on [`Wait`](Admission::Wait).
#[derive(Debug)]
pub enum Admission<P> {
    /// Go ahead, holding `P` (a bulkhead's permit; `()` for a rate limit).
    Admitted(P),
    /// Refused, with the error to return.
    Rejected(Error),
    /// The call may wait for its turn (or ask a remote backend): take the slow path.
    Wait,
}
