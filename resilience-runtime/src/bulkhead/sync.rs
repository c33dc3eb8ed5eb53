//! The bulkhead's slot counters: std's atomics, or loom's in the loom model tests
//! (`RUSTFLAGS="--cfg loom" cargo test -p resilience-runtime --release --lib loom`), so that
//! loom explores every interleaving of acquires, releases and resizes.
//!
//! Only the slot counters go through here: the limit, the slots in flight and the peak. The
//! waiter counts (the models never wait: loom does not model tokio's `Notify`), the
//! permitted/rejected totals and `max_wait` stay on std atomics, which keeps the models small.

use std::sync::atomic::Ordering;

/// The ordering of the slot counters' operations, which must agree across acquire, release
/// and resize.
pub(super) const SEQ: Ordering = Ordering::SeqCst;
/// The ordering of counters read only for reporting.
pub(super) const RELAXED: Ordering = Ordering::Relaxed;

#[cfg(all(test, loom))]
pub(super) use loom::sync::atomic::AtomicUsize as SlotCounter;
#[cfg(not(all(test, loom)))]
pub(super) use std::sync::atomic::AtomicUsize as SlotCounter;
