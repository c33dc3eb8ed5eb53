//! Rate limiting: the policy behind `#[rate_limit]`.
//!
//! A [`RateLimiter`] admits calls at a sustained [`Rate`] with a burst on top, using the
//! generic cell rate algorithm (GCRA): the whole state is one `AtomicU64` holding the
//! *theoretical arrival time*, so a call with a permit available costs a load and one
//! compare-and-swap, with no lock and no allocation, and idle time never piles up into more
//! than one burst. The default burst is the rate's N but at most a minute's worth of the
//! rate, so a `"10000/day"` quota is spread over the day rather than handed out in the first
//! second (set `burst` to allow more).
//!
//! **When no permit is available**, [`OnLimit::Reject`] fails at once with
//! [`Error::RateLimited`](crate::Error::RateLimited) carrying the exact time until a permit;
//! [`OnLimit::Wait`] reserves the next permit and waits for it on tokio's clock, provided it
//! comes within `max_wait`; [`OnLimit::Queue`] waits the same way but with at most
//! `max_queue` calls waiting. Reserving before waiting makes waiting fair: waiters are served
//! in arrival order, and a stream of new calls cannot overtake them. Waiting is
//! cancel-safe: a waiter dropped anywhere in the queue gives its reservation back (the newest
//! waiter moves up into its slot, and the newest slot is freed).
//!
//! **Retuning.** [`RateLimiter::set_rate`] and [`RateLimiter::set_burst`] (on the handle the
//! registry returns) change a live limiter; its state is kept and the new parameters apply
//! from the next permit. The read side stays lock-free (a sequence lock).
//!
//! **Per-key limits.** [`RateLimiter::try_acquire_key`] and friends give every key its own
//! rate and burst. Keys are identified by a 64-bit hash, randomly seeded per limiter: two keys
//! whose hashes collide share one limit, which is vanishingly rare (under one in a billion
//! at 100 000 live keys) and cannot be arranged by callers who choose keys. States live in 16
//! `RwLock`ed shards, so a known key costs a read lock and the GCRA's atomics; only a new key
//! takes a write lock. Memory is bounded: at most `max_keys` keys, [`BYTES_PER_KEY`] (25)
//! bytes each at full occupancy and up to about 55 as tables grow, whatever the key. Keys
//! whose limit has recovered for `idle_ttl` are forgotten by a sweep that advances a few keys
//! at a time and never waits for a lock; a full table replaces a recovered key, or the least
//! busy of a small sample. Every step costs O(1), so a client sending endless distinct keys
//! can neither grow memory past the bound nor slow calls down.
//!
//! **Distributed limits.** With the crate's `redis` feature, [`Backend::Redis`] keeps the
//! state on a Redis server, so every process using the limiter's name shares one limit. Each
//! decision is one Lua script, run atomically on the server with the server's clock (one
//! round trip), on one connection that carries all of the limiter's calls at once. While the
//! server is unreachable or slow, [`OnBackendError`] decides (allow, deny, or an in-process
//! limit), the snapshot's [`BackendStatus`] says so, the server is retried once a second,
//! and no call is held past `max_wait` (in reject mode, past the backend timeout). A waiting
//! caller that gives up (dropped by its own timeout) hands its reservation back: the newest
//! moves the stored state back, any other leaves a hole at its time that the next caller
//! takes first, so callers that abandon their wait never push later ones back (a freed time
//! that nobody takes before it passes is lost, as an unused permit is). Only
//! [`RateLimiter::acquire`] and [`RateLimiter::acquire_key`] ask the backend; `try_acquire*`
//! and the blocking variants decide in process.
//!
//! ```
//! use resilience_runtime::rate_limit::{Rate, RateLimitConfig, RateLimiter};
//! use std::time::Duration;
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() -> Result<(), resilience_runtime::Error> {
//! let limiter = RateLimiter::new(
//!     "search-api",
//!     RateLimitConfig::new(Rate::per_second(2)).with_max_wait(Duration::from_secs(1)),
//! );
//! let start = tokio::time::Instant::now();
//! for _ in 0..3 {
//!     limiter.acquire().await?; // the third call waits for the next permit
//! }
//! assert!(start.elapsed() >= Duration::from_millis(500));
//! limiter.try_acquire_key("tenant-42")?; // a separate limit per tenant
//! # Ok(())
//! # }
//! ```

// The public face: the limiter and its handle, its configuration and rate, its metrics.
mod config;
mod limiter;
mod metrics;
mod rate;
mod redis_url;
mod retune;

// Taking permits: the calls, the decision without waiting, the waiting, the rejections.
mod acquire;
pub(crate) mod adapter;
mod admission;
mod available;
mod key;
mod queue;
mod rejection;
mod waiting;

// The limits' state: the GCRA over one atomic, its live tuning, the per-key table.
mod gcra;
mod keys;
mod sync;
mod tuning;

// Distributed limits: the remote backend and the path that asks it.
#[cfg(feature = "redis")]
mod redis;
mod remote;
mod remote_acquire;
mod traffic;

#[cfg(test)]
mod test_support;

pub use config::{Backend, OnBackendError, OnLimit, RateLimitConfig};
pub use key::{HashedKey, RateLimitKey};
pub use keys::BYTES_PER_KEY;
pub use limiter::{RateLimiter, RateLimiterHandle};
pub use metrics::{BackendStatus, RateLimiterMetrics, RateLimiterSnapshot};
pub use rate::Rate;
// Present without the feature (the registry reads it either way); docs.rs marks it.
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use redis_url::REDIS_URL_VARIABLE;
