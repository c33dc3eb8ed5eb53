//! What a hedged call is made of besides its instance: how it starts an attempt
//! ([`Attempts`]) and whether it may start another ([`MayHedge`]).

use std::future::Future;

/// Starts attempt number `attempt` of a call (0 is the first; 1 to 4 are hedges). Every
/// `FnMut(u32) -> impl Future` is one.
pub trait Attempts {
    /// One attempt.
    type Future: Future;

    /// Starts attempt number `attempt`.
    fn start(&mut self, attempt: u32) -> Self::Future;
}

impl<F, Fut> Attempts for F
where
    F: FnMut(u32) -> Fut,
    Fut: Future,
{
    type Future = Fut;

    #[inline]
    fn start(&mut self, attempt: u32) -> Fut {
        self(attempt)
    }
}

/// Asked each time a hedge is due: `false` leaves the call with the attempts it has. The
/// place for a budget shared with other layers (an enclosing retry's, say): each `true`
/// is one more request to the service behind.
///
/// Every `FnMut() -> bool` is one; [`AlwaysHedge`] is the default.
///
/// ```
/// use resilience_runtime::hedge::MayHedge;
///
/// let mut budget = 1;
/// let mut spend = || if budget > 0 { budget -= 1; true } else { false };
/// assert!(spend.may_hedge());
/// assert!(!spend.may_hedge());
/// ```
pub trait MayHedge {
    /// Whether the hedge due now may start.
    fn may_hedge(&mut self) -> bool;
}

impl<F: FnMut() -> bool> MayHedge for F {
    #[inline]
    fn may_hedge(&mut self) -> bool {
        self()
    }
}

/// Every hedge may start: the default [`MayHedge`].
#[derive(Debug, Clone, Copy, Default)]
pub struct AlwaysHedge;

impl MayHedge for AlwaysHedge {
    #[inline]
    fn may_hedge(&mut self) -> bool {
        true
    }
}
