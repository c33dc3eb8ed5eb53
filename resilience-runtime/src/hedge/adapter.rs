//! What a `#[hedge]` layer calls: the hedged call over the layers below, as generated code
//! writes it.

use super::hedging::Hedging;
use super::instance::Hedge;
use super::seams::{Attempts, MayHedge};

/// The hedged call of a `#[hedge]` site: `attempts(n)` runs the layers below once, and
/// `may_hedge` is asked before each hedge. Generated code passes
/// [`AlwaysHedge`](super::AlwaysHedge), or, inside a `#[retry]` of the same stack, a check
/// that spends one retry of that retry's budget per hedge.
#[inline]
pub fn hedge_call<A: Attempts, M: MayHedge>(
    hedge: &Hedge,
    attempts: A,
    may_hedge: M,
) -> Hedging<'_, A, M> {
    hedge.run_with(attempts, may_hedge)
}
