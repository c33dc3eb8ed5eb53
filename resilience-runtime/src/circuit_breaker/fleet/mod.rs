//! A breaker shared by a fleet of processes over Redis (`backend = "redis"`, feature `redis`).
//!
//! Every process keeps its own breaker and decides each call with it, as a local breaker
//! does: no round trip per call, and a call writes nothing a local breaker's call does not.
//! A task per fleet breaker (started by the first call inside a tokio runtime) runs one
//! *exchange* every `sync_interval`: one atomic Lua script (`exchange.lua`) that adds this
//! process's outcomes since the last exchange to the shared window, takes over its latest
//! manual transition, decides the shared state by the breaker's rules over the fleet's
//! counts, and returns it; the process then applies it to its breaker, as a transition
//! logged and emitted like any other with [`TransitionReason::Fleet`]. The pieces: what an
//! exchange carries (`exchange`), the outcomes not yet sent (`outbox`), the script and its
//! keys (`redis`), the link's state (`link`), the exchange and how its answer is applied
//! (`apply`), the task (`task`).
//!
//! [`TransitionReason::Fleet`]: super::TransitionReason::Fleet

mod apply;
mod exchange;
mod link;
mod outbox;
mod redis;
mod task;

pub(crate) use exchange::ManualAction;
pub(crate) use link::Link;
