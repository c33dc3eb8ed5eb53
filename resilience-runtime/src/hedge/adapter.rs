//! What a `#[hedge]` layer calls: the hedged call over the layers below, as generated code
//! writes it.

use super::hedging::Hedging;
use super::instance::Hedge;
use super::seams::{AlwaysHedge, Attempts};

/// The hedged call of a `#[hedge]` site: `attempts(n)` runs the layers below once. Every
/// hedge may start ([`AlwaysHedge`]); a budget of an enclosing layer goes in through
/// [`Hedge::run_with`] instead.
#[inline]
pub fn hedge_call<A: Attempts>(hedge: &Hedge, attempts: A) -> Hedging<'_, A, AlwaysHedge> {
    hedge.run(attempts)
}
