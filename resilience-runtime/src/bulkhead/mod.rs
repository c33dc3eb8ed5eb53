//! Bulkheads: a cap on concurrent calls, so one slow dependency cannot take every worker.
//!
//! A [`Bulkhead`] hands out at most `max_concurrent` [`BulkheadPermit`]s at a time; a permit
//! gives its slot back when dropped, so cancellation and panics release it too. When the
//! bulkhead is full, a caller waits up to `max_wait` for a slot (default: not at all) and is
//! then rejected with [`Error::BulkheadFull`](crate::Error::BulkheadFull).
//!
//! The happy path (a free slot) is one compare-and-swap loop on an atomic counter: no lock,
//! no allocation. Waiting callers park on a [`tokio::sync::Notify`] (async) or a
//! `Mutex` + `Condvar` (blocking); a release only touches them when someone is waiting.
//! Waiting is not FIFO-fair: a caller arriving while a slot is free takes it even if others
//! are queued.
//!
//! An adaptive bulkhead (`BulkheadConfig::with_adaptive`) moves its limit between
//! `min_concurrent` and `max_concurrent` from its calls' latency and errors: admission reads
//! the limit from the same atomic and also reads the clock; a finished call feeds its
//! algorithm (`adaptive/`) under a try-lock (`limit.rs`).

// The public face: the bulkhead and its handle, its configuration, its permits, its metrics.
mod adaptive;
mod config;
mod handle;
mod metrics;
mod permit;

// Admission: the lock-free slot counting, the acquire calls, the waiting for a slot.
mod acquire;
pub(crate) mod adapter;
mod limit;
mod slots;
mod sync;
mod waiting;

#[cfg(all(test, not(loom)))]
mod test_support;

pub use adaptive::Adaptive;
pub use config::BulkheadConfig;
pub use handle::{Bulkhead, BulkheadHandle};
pub use metrics::{BulkheadMetrics, BulkheadSnapshot};
pub use permit::BulkheadPermit;
pub(crate) use permit::Verdict;
