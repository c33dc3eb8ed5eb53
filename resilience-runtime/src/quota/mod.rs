//! Quotas: the policy behind `#[quota]`, an allowance of calls per period.
//!
//! A [`Quota`] of `"1000/day"` lets 1000 calls through each day, as fast as they come, and
//! rejects the rest at once with [`Error::QuotaExceeded`](crate::Error::QuotaExceeded), whose
//! `resets_in` says when calls are admitted again. It never waits: a quota's period may be a
//! day, and no caller should be held that long. (A rate limit smooths instead: see the
//! README's "Rate limit or quota?".)
//!
//! **Windows.** [`QuotaWindow::Fixed`] (the default) starts every count again at each
//! boundary of the period, aligned to UTC: days at 00:00 UTC, hours on the hour, other periods
//! at their multiples since the Unix epoch. The wall clock is read once and then follows the
//! process's clock (`base/clock/wall.rs`), so under tokio's paused clock windows end exactly
//! when the test advances time past them. One `AtomicU64` per count holds the window and
//! its count: a decision is a clock read, a check that the call falls in the window calls last
//! fell in (`window_hint.rs`; a division at each boundary) and one compare-and-swap.
//!
//! [`QuotaWindow::Sliding`] never lets more than the limit through in any span of one period,
//! exactly, also across what would be a boundary. Each call is counted in one of 31 buckets
//! per period and counts until its bucket's end plus a period: **a freed slot comes back at
//! most a thirty-first of the period late** (46 minutes for a day, under 2 minutes for an
//! hour, 2 seconds for a minute), never early. Memory is fixed per count (a ring of 32
//! counters behind a lock), whatever the limit.
//!
//! **Per-key quotas.** [`Quota::try_acquire_key`] and `#[quota(key = ..)]` give every key its
//! own allowance, in the same bounded per-key map as rate limits (`base/keyed/`): keys
//! reduced to a 64-bit hash seeded per quota, at most `max_keys` of them, those with nothing
//! counted forgotten after `idle_ttl`, a full table making room with the least busy of a
//! small sample (which then starts over with a full allowance). The unit key `()` is the
//! unkeyed quota, so `remaining(&())` reads it.
//!
//! **Live changes.** [`Quota::set_limit`] (and configuration reloads) change the count at
//! once and keep what is counted; the period and window are fixed once a quota runs.
//!
//! # Quotas on Redis
//!
//! With the crate's `redis` feature, [`Backend::Redis`] (`backend = "redis"`) keeps the
//! counts on a Redis server, so every process naming the quota shares one allowance,
//! exactly: each decision is one Lua script run atomically on the server (one round trip,
//! `EVALSHA`), which checks the count before it counts, so no number of processes ever gets
//! more than the limit through. The server's clock decides: fixed windows start and end when
//! the server's `TIME` crosses a UTC boundary, the same instant for every process, and
//! `resets_in` is measured on it. Fixed windows are one key per window, expiring when it
//! ends; sliding windows the same 31 buckets per period as in process, one hash of at most
//! 32 fields per key, expiring with its newest call; keys are hash-tagged, so a keyed quota
//! spreads over a Redis Cluster with each decision on one slot (the key layout is in
//! `quota/redis.rs`).
//!
//! While the server is unreachable or slower than `backend_timeout` (100 ms by default),
//! [`OnBackendError`] decides: `"allow"` lets calls through, `"deny"` rejects them with
//! [`Error::QuotaExceeded`](crate::Error::QuotaExceeded) and no `resets_in`, `"local"` (the
//! default) counts them in this process with the same configuration (each process then
//! allows the whole limit on its own until the server is back). The server is tried again
//! once a second; the snapshot's [`BackendStatus`] shows decisions, errors, incidents and the
//! last error, cleared once the server answers. Only [`Quota::acquire`] and
//! [`Quota::acquire_key`] (and `#[quota]` on an async fn, and tower's `QuotaLayer`) ask the
//! server; [`Quota::try_acquire`], [`Quota::remaining`] and [`Quota::resets_in`] read this
//! process's own count.
//!
//! ```
//! use resilience_runtime::quota::{Quota, QuotaConfig, QuotaLimit};
//! use resilience_runtime::Error;
//!
//! let quota = Quota::new("doc-api-daily", QuotaConfig::new(QuotaLimit::per_day(1000)));
//! for _ in 0..1000 {
//!     quota.try_acquire_key("client-7")?;
//! }
//! assert!(matches!(quota.try_acquire_key("client-7"), Err(Error::QuotaExceeded { .. })));
//! assert_eq!(quota.remaining(&"client-8"), 1000);
//! # Ok::<(), Error>(())
//! ```

// The public face: the quota and its handle, its configuration, key and metrics.
mod config;
mod instance;
mod key;
mod metrics;
mod slot;

// Deciding and reading: the decision, what is left, what generated code calls.
pub(crate) mod adapter;
mod admission;
mod remaining;

// Shared counts: the remote backend, its status, the path that asks it.
mod backend_status;
#[cfg(feature = "redis")]
mod redis;
mod remote;
mod remote_admission;

// The counts: fixed windows on the wall clock, sliding windows in buckets.
mod blocked;
mod divisor;
mod fixed;
mod lease;
mod live_limit;
mod sliding;
mod window;
mod window_hint;

pub use crate::base::backend::{Backend, OnBackendError};
pub use backend_status::BackendStatus;
pub use config::{QuotaConfig, QuotaLimit, QuotaWindow};
pub use instance::{Quota, QuotaHandle};
pub use key::{QuotaKey, QuotaKeyHash};
pub use metrics::{QuotaMetrics, QuotaSnapshot};
