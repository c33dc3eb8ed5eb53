//! Rate limiting: the policy behind `#[rate_limit]`.
//!
//! A [`RateLimiter`] admits calls at a sustained [`Rate`] with a burst on top, using the
//! generic cell rate algorithm (GCRA): the whole state is one `AtomicU64` holding the
//! *theoretical arrival time*, so a call with a permit available costs a load and one
//! compare-and-swap, with no lock and no allocation, and idle time never piles up into more
//! than one burst (a `"10000/day"` limiter hands out at most its burst at once, however long
//! it sat idle).
//!
//! When no permit is available, [`OnLimit::Wait`] reserves the next one and waits for it on
//! tokio's clock, provided it comes within `max_wait`; a call that would have to wait longer,
//! or any call in [`OnLimit::Reject`] mode, fails at once with
//! [`Error::RateLimited`](crate::Error::RateLimited) carrying the exact time until a permit
//! would be available. A waiting future that is dropped gives its reservation back when no
//! later call has reserved one since (best effort; otherwise that slot goes unused).
//!
//! **Per-key limits.** [`RateLimiter::try_acquire_key`] and friends give every key its own
//! rate and burst. Keys are identified by a 64-bit hash, randomly seeded per limiter: two keys
//! whose hashes collide share one limit, which is vanishingly rare (under one in a billion
//! at 100 000 live keys) and cannot be arranged by callers who choose keys. States live in 16
//! `RwLock`ed shards, so a known key costs a read lock and the GCRA's atomics; only a new key
//! takes a write lock. At most `max_keys` keys are kept: when full, idle keys (whose state is
//! the same as a fresh key's) are forgotten first; if none is idle, the least busy key of one
//! shard is forgotten and starts over with a fresh burst. Memory never grows beyond the bound.
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

mod config;
mod gcra;
mod keyed;
mod limiter;
mod metrics;
mod queue;
mod rate;
#[cfg(feature = "redis")]
mod redis;
mod remote;
mod tuning;

pub use config::{Backend, OnBackendError, OnLimit, RateLimitConfig};
pub use limiter::{RateLimiter, RateLimiterHandle};
pub use metrics::{BackendStatus, RateLimiterMetrics, RateLimiterSnapshot};
pub use rate::Rate;

/// The environment variable naming the Redis server of limiters with
/// [`Backend::Redis`], when [`Registry::set_redis_url`](crate::Registry::set_redis_url) was
/// not called: `RESILIENCE_REDIS_URL`, e.g. `redis://127.0.0.1:6379`.
pub const REDIS_URL_VARIABLE: &str = "RESILIENCE_REDIS_URL";

/// Bytes of memory one tracked key costs at full table occupancy, whatever the key's type
/// (only a 64-bit hash of it is stored); see the [module docs](self).
pub const BYTES_PER_KEY: usize = keyed::BYTES_PER_KEY;
