//! The synchronisation primitives of the breaker's state machine: std's, or loom's in the loom
//! model tests (`RUSTFLAGS="--cfg loom" cargo test -p resilience-runtime --release --lib loom`),
//! so that loom explores every interleaving of the transitions.
//!
//! Only the state machine goes through here: the packed state word, the time a timed state was
//! entered, the half-open tally and the event log. Counters and sliding windows are statistics
//! and stay on std atomics, which keeps the models small.

#[cfg(all(test, loom))]
pub(super) use loom::sync::Mutex;
#[cfg(all(test, loom))]
pub(super) use loom::sync::atomic::AtomicU64;
#[cfg(not(all(test, loom)))]
pub(super) use std::sync::Mutex;
#[cfg(not(all(test, loom)))]
pub(super) use std::sync::atomic::AtomicU64;
pub(super) use std::sync::atomic::Ordering;
