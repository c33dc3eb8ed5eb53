//! Hedging: when a call has not answered within a delay, another attempt of it starts, and
//! the first `Ok` wins. It cuts the tail latency a few slow calls add, for a few percent
//! more requests; only for calls that are safe to make twice (idempotent), which the author
//! says by writing `#[hedge]`.
//!
//! - [`HedgeConfig`]: the `delay` (a [`HedgeDelay::Fixed`] duration, or a
//!   [`HedgeDelay::Percentile`] of the latencies seen) and `max_hedges` (1 to 4).
//! - [`Hedge`]: the named instance the registry keeps, with a bounded, lock-free histogram of
//!   its recent successful calls' latencies and its [`HedgeMetrics`]; [`Hedge::run`] is a
//!   hedged call for code that does not use the attribute.
//! - [`Hedging`]: one hedged call. Its attempts run concurrently inside the call's own
//!   future (no task is spawned), so they may borrow what the caller borrows; the losers are
//!   dropped as soon as a winner answers, and everything they held (a bulkhead slot, a rate
//!   limit permit, a breaker's trial call) is released then.
//! - [`MayHedge`]: asked before each hedge; the seam for a budget of another layer.
//!
//! A failed attempt does not start another: the call waits for the attempts still in
//! flight, and when the last of them fails its error is the call's. Errors are a retry's
//! to handle: put `#[retry]` above `#[hedge]`.

pub(crate) mod adapter;
mod config;
mod hedging;
mod histogram;
mod instance;
mod metrics;
mod seams;
mod tuning;

pub use config::{HedgeConfig, HedgeDelay, Percentile};
pub use hedging::Hedging;
pub use instance::{Hedge, HedgeHandle};
pub use metrics::{HedgeLatencies, HedgeMetrics, HedgeSnapshot};
pub use seams::{AlwaysHedge, Attempts, MayHedge};
