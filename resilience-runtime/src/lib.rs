//! Resilience for async Rust, as attributes.
//!
//! Put `#[retry]`, `#[circuit_breaker]`, `#[rate_limit]`, `#[quota]`, `#[timeout]`,
//! `#[bulkhead]`, `#[hedge]` and `#[fallback]` (and, to test all of them, `#[chaos]`) on an ordinary
//! `async fn` (or, except `#[timeout]` and `#[hedge]`, a sync fn) that returns
//! `Result<T, E>` with `E: From<resilience_runtime::Error>`. The signature stays as written;
//! only the body is wrapped. Configuration is checked at compile time: a typo, a malformed
//! duration or an impossible combination is one compile error at the offending token.
//!
//! ```
//! use resilience_runtime::{bulkhead, circuit_breaker, registry, retry, timeout};
//!
//! #[derive(Debug, thiserror::Error)]
//! enum DbError {
//!     #[error("connection reset")]
//!     Reset,
//!     #[error(transparent)]
//!     Resilience(#[from] resilience_runtime::Error),
//! }
//!
//! impl DbError {
//!     fn is_transient(&self) -> bool {
//!         matches!(self, DbError::Reset)
//!     }
//! }
//!
//! #[circuit_breaker(name = "inventory-db", failure_rate = 50, window = 20, minimum_calls = 10,
//!                   recovery_timeout = "30s")]
//! #[retry(max_attempts = 4, backoff = "exponential", initial_delay = "50ms", max_delay = "2s",
//!         jitter = "full", when = DbError::is_transient)]
//! #[timeout("500ms")]
//! #[bulkhead(name = "inventory-pool", max_concurrent = 16, max_wait = "100ms")]
//! async fn load_stock(sku: &str) -> Result<u32, DbError> {
//!     Ok(sku.len() as u32)
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! assert_eq!(load_stock("ab-12").await.unwrap(), 5);
//! let breaker = registry().circuit_breaker("inventory-db").unwrap();
//! println!("{:?} {:?}", breaker.state(), breaker.metrics());
//! println!("{}", registry().snapshot()); // tables; it also serializes with serde
//! # }
//! ```
//!
//! # Stacking
//!
//! Attributes apply in source order: the topmost is the outermost layer. The first one to
//! expand takes its siblings and emits one fused wrapper. Above, each retry attempt passes
//! through its own timeout and bulkhead, and the breaker sees the outcome after the retries.
//! Layers tell each other's errors apart: an outer breaker does not count an inner rate-limit
//! or bulkhead rejection as a failure, and an outer retry never retries [`Error::CircuitOpen`]
//! or [`Error::QuotaExceeded`] but waits out [`Error::RateLimited`]'s `retry_after`. Inside a layer, `?` and `return` end
//! the current attempt, not the retry loop.
//!
//! # Named sharing and the registry
//!
//! Breakers, limiters, bulkheads and retries have names (by default the fn's path) and live in
//! one process-wide [`registry()`]. Sites giving the same name share an instance; a site that
//! gives only the name adopts the configuration declared elsewhere. Each call site caches its
//! handle in a `static`, so the hot path does no lookup and no allocation. See the [`registry`](mod@registry) module.
//!
//! # Observability
//!
//! [`Registry::snapshot`] serializes every instance's configuration, state, counters and a
//! breaker's recent transitions (and prints as tables). Every resilience action is a
//! `tracing` event with the instance's `name`: retries and opening breakers at `warn`, other
//! transitions at `info`, rejections, waits and timeouts at `debug`. With the `metrics`
//! feature, `metrics::record()` publishes the counts through the `metrics` facade; with the
//! `axum` feature, `status::router()` serves the snapshot and breaker control over HTTP.
//!
//! # Configuration outside code
//!
//! Every value an attribute takes can also come from `RESILIENCE_<KIND>_<NAME>_<KEY>`
//! environment variables, a TOML file ([`config::load`]) or code ([`config::apply`]), in that
//! order of precedence above the attribute, validated with the attributes' grammar and rules,
//! all or nothing. Running instances are reconfigured keeping their state, and a kill switch
//! (`RESILIENCE_DISABLED=1`) turns every layer into a pass-through. See the [`config`] module.
//!
//! # Time
//!
//! Every wait and timestamp goes through tokio's clock, so a test with
//! `#[tokio::test(start_paused = true)]` drives backoff, breakers, limiters and timeouts
//! deterministically and instantly. Sync fns wait with `std::thread::sleep`. A service can
//! opt into reading the CPU's time-stamp counter instead, which is cheaper (never in tests
//! that pause time): see the [`clock`] module.
//!
//! # Without attributes
//!
//! Each policy is a plain type with a `const` builder ([`retry::RetryConfig`],
//! [`circuit_breaker::CircuitBreakerConfig`], [`rate_limit::RateLimitConfig`],
//! [`bulkhead::BulkheadConfig`]) and can be created standalone or through
//! [`Registry::register_circuit_breaker`] and friends. The attributes generate calls to the
//! same types.
//!
//! # Features
//!
//! | feature | default | adds |
//! |---|---|---|
//! | `config-file` | yes | [`config::load`] and [`config::load_str`]: TOML files of named instances |
//! | `metrics` | no | the `metrics` module: counters and gauges through the `metrics` facade |
//! | `redis` | no | `backend = "redis"`: rate limits shared by many processes through a Redis server |
//! | `chaos` | no | arms `#[chaos]` fault injection; enable it under `[dev-dependencies]` only |
//! | `http` | no | the `http` module: `Retry-After` (seconds and HTTP-dates) and transient status codes of the `http` 1.x crate, for `#[retry]` |
//! | `axum` | no | implies `http`; [`Error`] as an axum response (429/503 with `Retry-After`, 504), and the `status` module: the registry's status and breaker control as a mountable `axum::Router` |
//! | `tower` | no | the `tower` module: the policies as tower layers, on the named registry |
//!
//! On docs.rs every feature is documented, and each item that needs one says which.

// docs.rs builds with `--cfg docsrs` (see Cargo.toml): rustdoc's `doc_cfg` (which took in the
// former `doc_auto_cfg`) then marks each feature-gated item with its feature. Stable builds
// never see it.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod base;
pub mod bulkhead;
pub mod chaos;
pub mod circuit_breaker;
pub mod clock;
pub mod config;
pub mod fallback;
pub mod hedge;
#[cfg(feature = "http")]
pub mod http;
#[cfg(feature = "metrics")]
pub mod metrics;
pub mod quota;
pub mod rate_limit;
pub mod registry;
pub mod retry;
mod settings;
pub mod spans;
#[cfg(feature = "axum")]
pub mod status;
pub mod testing;
pub mod timeout;
#[cfg(feature = "tower")]
pub mod tower;

#[doc(hidden)]
pub mod __private;

pub use base::error::Error;
pub use bulkhead::{Bulkhead, BulkheadConfig, BulkheadHandle};
pub use circuit_breaker::{
    CircuitBreaker, CircuitBreakerConfig, CircuitBreakerHandle, CircuitBreakerMetrics,
    CircuitState, SlidingWindow,
};
pub use hedge::{Hedge, HedgeConfig, HedgeHandle};
pub use quota::{Quota, QuotaConfig, QuotaHandle, QuotaLimit, QuotaWindow};
pub use rate_limit::{
    Backend, OnBackendError, OnLimit, Rate, RateLimitConfig, RateLimiter, RateLimiterHandle,
};
pub use registry::{Registry, RegistrySnapshot, registry};
pub use retry::{BackoffKind, Jitter, Preset, Retry, RetryConfig, RetryHandle, RetryPolicy};

/// Retries the body with backoff while it fails.
///
/// | key | default | meaning |
/// |---|---|---|
/// | `max_attempts` | `3` | total calls including the first (≥ 1) |
/// | `backoff` | `"exponential"` | `"exponential"`, `"linear"`, `"fixed"` or `"decorrelated"` |
/// | `initial_delay` | `"100ms"` | the first delay |
/// | `max_delay` | `"10s"` | cap on every delay (≥ `initial_delay`) |
/// | `multiplier` | `2.0` | growth per retry, > 1, exponential only |
/// | `jitter` | `"full"` | `"full"`, `"equal"`, `"proportional"` or `"none"` (not with decorrelated) |
/// | `jitter_factor` | `0.1` | ± fraction, with `jitter = "proportional"` only |
/// | `max_elapsed` | none | overall deadline: no retry starts a sleep that would end past it |
/// | `when` | every error | path to `fn(&E) -> bool`: retry only errors it accepts |
/// | `when_ok` | no `Ok` | path to `fn(&T) -> bool` (`T`: the fn's `Ok` type): retry an `Ok` it accepts (a 503 response); when attempts run out the last `Ok` is returned, counted as failed in the metrics |
/// | `retry_after` | none | path to `fn(&E) -> Option<Duration>`: a server hint replaces the delay (capped by `max_delay`); errors only, so a `when_ok` retry waits the backoff |
/// | `preset` | none | `"conservative"` (3, 1s, 16s, ×2), `"aggressive"` (5, 500ms, 8s, ×1.5), `"patient"` (4, 2s, 60s, ×2.5); explicit keys override it |
/// | `name` | the fn's path | registry name, for metrics and sharing |
/// | `crate` | `"::resilience_runtime"` | path to this crate if it is renamed |
///
/// An [`Error::CircuitOpen`] from an inner breaker is never retried; an
/// [`Error::RateLimited`] is retried after its `retry_after`; timeouts and full bulkheads go
/// through `when` converted into the fn's error type.
///
/// ```
/// use resilience_runtime::retry;
/// use std::sync::atomic::{AtomicU32, Ordering};
///
/// static CALLS: AtomicU32 = AtomicU32::new(0);
///
/// #[retry(max_attempts = 3, backoff = "fixed", initial_delay = "10ms", jitter = "none")]
/// async fn flaky() -> Result<u32, resilience_runtime::Error> {
///     let call = CALLS.fetch_add(1, Ordering::SeqCst) + 1;
///     if call < 3 {
///         return Err(resilience_runtime::Error::timeout(std::time::Duration::from_millis(1)));
///     }
///     Ok(call)
/// }
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// assert_eq!(flaky().await.unwrap(), 3);
/// # }
/// ```
pub use resilience_macros::retry;

/// Guards the fn with a named circuit breaker.
///
/// | key | default | meaning |
/// |---|---|---|
/// | `name` | the fn's path (`Type::method` for methods) | registry name; sites with one name share a breaker |
/// | `failure_threshold` | `5` | consecutive failures that open it (when no rate is given) |
/// | `failure_rate` | none | percent (1..=100) of failures in the window that opens it |
/// | `window` | `100` | calls (`window = 20`) or a time window (`window = "60s"`) for rates |
/// | `minimum_calls` | `100` | calls in the window before a rate is judged (capped at a count window) |
/// | `slow_call_duration` / `slow_call_rate` | none | a call longer than the duration is slow; the percent of slow calls that opens it |
/// | `recovery_timeout` | `"60s"` | time open before a trial call |
/// | `recovery_backoff` | none | factor (> 1, ≤ 10) the open wait grows by after each failed recovery; back to `recovery_timeout` once closed |
/// | `max_recovery_timeout` | none | cap on the grown open wait (≥ `recovery_timeout`; needs `recovery_backoff`) |
/// | `success_threshold` | `2` | half-open successes that close it (consecutive model only) |
/// | `half_open_max_calls` | `success_threshold` | trial calls admitted in half-open; with `failure_rate`, the breaker decides once all have completed, by the same rates |
/// | `max_wait_in_half_open` | none | the longest half-open may last before the next call reopens it |
/// | `record_if` / `ignore_if` | every error / none | paths to `fn(&E) -> bool`; `ignore_if` wins; an unrecorded error counts as a success |
/// | `record_if_ok` | none | path to `fn(&T) -> bool` (`T`: the fn's `Ok` type): an `Ok` it accepts counts as a failure, and is still returned |
/// | `crate` | `"::resilience_runtime"` | path to this crate if it is renamed |
///
/// A site that gives only `name` (and predicates) adopts the breaker declared elsewhere.
/// An inner layer's rejection (rate limit, bulkhead) is never a failure. Every state change is
/// a `tracing` event and reaches the breaker's subscribers
/// ([`CircuitBreaker::subscribe`](circuit_breaker::CircuitBreaker::subscribe)).
///
/// ```
/// use resilience_runtime::{circuit_breaker, registry, Error};
/// use resilience_runtime::circuit_breaker::CircuitState;
///
/// #[circuit_breaker(name = "doc-payments", failure_threshold = 2, recovery_timeout = "30s")]
/// async fn charge(ok: bool) -> Result<(), Error> {
///     if ok { Ok(()) } else { Err(Error::timeout(std::time::Duration::from_secs(1))) }
/// }
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let _ = charge(false).await;
/// let _ = charge(false).await;
/// assert_eq!(registry().circuit_breaker("doc-payments").unwrap().state(), CircuitState::Open);
/// assert!(matches!(charge(true).await, Err(Error::CircuitOpen { .. })));
/// # }
/// ```
pub use resilience_macros::circuit_breaker;

/// Limits the rate of calls.
///
/// | key | default | meaning |
/// |---|---|---|
/// | `rate` | required | `"N/s"`, `"N/min"`, `"N/h"`, `"N/day"` or `"N/250ms"` |
/// | `burst` | the rate's N, at most a minute's worth | permits available at once after idling (`"10000/day"` starts with 7, not 10 000) |
/// | `on_limit` | `"wait"` | `"wait"` for a permit (up to `max_wait`, served in arrival order), `"reject"` at once, or `"queue"`: wait, but with at most `max_queue` calls waiting |
/// | `max_wait` | `"5s"` | longest wait; a call that would wait longer is rejected at once |
/// | `max_queue` | `100` | with `on_limit = "queue"`: calls waiting at once (per key); more are rejected at once |
/// | `key` | none | an expression over the fn's arguments (any `Hash` value; `&str` is not copied): one limit per key value |
/// | `max_keys` | `100_000` | with `key`: keys tracked at once (about 25–55 bytes each, whatever the key); beyond it recovered keys, then the least busy, are forgotten |
/// | `idle_ttl` | `"10m"` | with `key`: how long a key whose limit has recovered is remembered |
/// | `backend` | `"local"` | `"local"` (this process) or `"redis"`: one limit shared by every process, decided on a Redis server (async fns; needs the crate's `redis` feature; URL from [`Registry::set_redis_url`] or `RESILIENCE_REDIS_URL`: one server, TLS with the `redis-tls` feature, a Unix socket, or a Redis Cluster's seeds) |
/// | `on_backend_error` | `"local"` | with `backend = "redis"`, while the server cannot decide: `"allow"` the call, `"deny"` it, or decide `"local"`ly in this process |
/// | `name` | the fn's path | registry name; sites with one name share a limiter |
/// | `crate` | `"::resilience_runtime"` | path to this crate if it is renamed |
///
/// A rejection is [`Error::RateLimited`] with the exact time until a permit.
///
/// ```
/// use resilience_runtime::{rate_limit, Error};
///
/// #[rate_limit(rate = "2/s", on_limit = "reject", key = tenant)]
/// async fn search(tenant: &str) -> Result<(), Error> {
///     Ok(())
/// }
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// assert!(search("acme").await.is_ok());
/// assert!(search("acme").await.is_ok());
/// assert!(matches!(search("acme").await, Err(Error::RateLimited { .. })));
/// assert!(search("globex").await.is_ok()); // another key, another limit
/// # }
/// ```
pub use resilience_macros::rate_limit;

/// Cancels the body when it takes longer than a duration: `#[timeout("2s")]` or
/// `#[timeout(duration = "2s")]`.
///
/// The error is [`Error::Timeout`]; an outer breaker counts it as a failure and an outer retry
/// retries it (subject to `when`). Only for `async fn`: a running sync fn cannot be cancelled.
///
/// ```
/// use resilience_runtime::{timeout, Error};
/// use std::time::Duration;
///
/// #[timeout("100ms")]
/// async fn slow() -> Result<(), Error> {
///     tokio::time::sleep(Duration::from_secs(5)).await;
///     Ok(())
/// }
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// assert!(matches!(slow().await, Err(Error::Timeout { .. })));
/// # }
/// ```
pub use resilience_macros::timeout;

/// Limits concurrent calls.
///
/// | key | default | meaning |
/// |---|---|---|
/// | `max_concurrent` | required | calls in flight at once (≥ 1) |
/// | `max_wait` | `"0s"` | how long a call waits for a slot before [`Error::BulkheadFull`] |
/// | `name` | the fn's path | registry name; sites with one name share a bulkhead |
/// | `crate` | `"::resilience_runtime"` | path to this crate if it is renamed |
///
/// The slot is released when the call ends, is cancelled, or panics.
///
/// ```
/// use resilience_runtime::{bulkhead, registry, Error};
///
/// #[bulkhead(name = "doc-renderer", max_concurrent = 2)]
/// async fn render() -> Result<(), Error> {
///     assert!(registry().bulkhead("doc-renderer").unwrap().in_flight() <= 2);
///     Ok(())
/// }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// render().await.unwrap();
/// assert_eq!(registry().bulkhead("doc-renderer").unwrap().in_flight(), 0);
/// # }
/// ```
pub use resilience_macros::bulkhead;

/// Answers with a fallback fn when the layers below end in `Err`: `#[fallback(path)]`.
///
/// `path` takes either the error alone, `path(err: E)`, or the fn's own arguments followed by
/// the error, `path(arg1, .., err: E)`; the error is the fn's (a layer's [`Error`] converted
/// into `E`). It returns the fn's return type, directly, or on an async fn also as a future.
/// The arguments form gets the arguments as the fn declares them: references as they are,
/// owned values as clones taken before the body runs (so the body may still consume them;
/// each must be `Clone`, and is cloned on every call). `&mut` and pattern-bound arguments
/// cannot be passed; the `(err)` form takes nothing of them. A fallback of the wrong type is
/// one compile error pointing at `path`.
///
/// ```
/// use resilience_runtime::{circuit_breaker, fallback, Error};
///
/// fn from_cache(_: Error) -> Result<&'static str, Error> {
///     Ok("cached")
/// }
///
/// #[fallback(from_cache)]
/// #[circuit_breaker(name = "doc-prices", failure_threshold = 1)]
/// async fn price() -> Result<&'static str, Error> {
///     Err(Error::timeout(std::time::Duration::from_secs(1)))
/// }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// assert_eq!(price().await.unwrap(), "cached"); // the service failed
/// assert_eq!(price().await.unwrap(), "cached"); // the breaker is open
/// # }
/// ```
///
/// A per-key answer from the fn's own arguments:
///
/// ```
/// use std::collections::HashMap;
///
/// use resilience_runtime::{fallback, timeout, Error};
///
/// struct Db {
///     cached: HashMap<String, u32>,
/// }
///
/// fn cached_stock(db: &Db, sku: &str, err: Error) -> Result<u32, Error> {
///     db.cached.get(sku).copied().ok_or(err)
/// }
///
/// #[fallback(cached_stock)]
/// #[timeout("10ms")]
/// async fn stock(db: &Db, sku: &str) -> Result<u32, Error> {
///     let _ = (db, sku);
///     tokio::time::sleep(std::time::Duration::from_secs(1)).await;
///     Ok(0)
/// }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let db = Db { cached: HashMap::from([(String::from("apple"), 3)]) };
/// assert_eq!(stock(&db, "apple").await.unwrap(), 3);
/// assert!(stock(&db, "plum").await.is_err());
/// # }
/// ```
pub use resilience_macros::fallback;

/// Injects faults, for testing a service and its resilience layers: errors at a rate,
/// latency and recurring outages. Inert unless chaos is armed: by this crate's `chaos`
/// feature (enable it under `[dev-dependencies]`), `RESILIENCE_CHAOS=1`, or
/// [`chaos::set_enabled`]; see the [`chaos`](mod@chaos) module.
///
/// | key | default | meaning |
/// |---|---|---|
/// | `error_rate` | none | fraction of calls (0.0 to 1.0) that fail with the injected error instead of running |
/// | `error` | required with `error_rate` or `outage` | path to a `fn() -> E` building the injected error (`E`: the fn's error type) |
/// | `latency` | none | delay added before the body runs (on tokio's clock; blocking in a sync fn) |
/// | `latency_rate` | `1.0` with `latency` | fraction of calls delayed |
/// | `outage`, `period` | none | calls in the first `outage` of every `period` (counted from the site's first call) fail with the injected error; `outage` < `period` |
/// | `seed` | `0` | the generator's seed, mixed with the name; `RESILIENCE_CHAOS_SEED` replaces it |
/// | `name` | the fn's path | registry name, for [`Registry::chaos`] and the snapshot |
/// | `crate` | `"::resilience_runtime"` | path to this crate if it is renamed |
///
/// Put it *below* `#[retry]` and `#[circuit_breaker]` (the topmost attribute is the
/// outermost layer), so that they see the injected faults as the service's own errors. The
/// same seed, name and call order give the same injections on every run. Works on sync fns
/// too (the latency then blocks the thread).
///
/// ```
/// use resilience_runtime::{chaos, registry, Error};
///
/// fn unavailable() -> Error {
///     Error::timeout(std::time::Duration::from_secs(1))
/// }
///
/// #[chaos(name = "doc-chaos", error_rate = 0.5, error = unavailable, latency = "100ms")]
/// async fn lookup() -> Result<u32, Error> {
///     Ok(1)
/// }
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// chaos::set_enabled(false); // disarmed: nothing is injected
/// assert_eq!(lookup().await.unwrap(), 1);
///
/// chaos::set_enabled(true);
/// let start = tokio::time::Instant::now();
/// let mut failures = 0;
/// for _ in 0..100 {
///     failures += usize::from(lookup().await.is_err());
/// }
/// assert!((30..=70).contains(&failures));
/// assert_eq!(start.elapsed(), std::time::Duration::from_secs(10)); // 100 × 100ms, instantly
/// assert_eq!(registry().chaos("doc-chaos").unwrap().metrics().errors_injected, failures as u64);
/// # }
/// ```
pub use resilience_macros::chaos;

/// Cuts tail latency by hedging: when the call has not answered within `delay`, the layers
/// below run again alongside it; the first `Ok` wins and the other attempts are dropped.
/// Only for calls that are safe to make more than once (idempotent): writing the attribute
/// says so.
///
/// | key | default | meaning |
/// |---|---|---|
/// | `delay` | required | a duration (`"50ms"`), or `"p90"`, `"p95"`, `"p99"` of the latencies of the hedge's recent successful calls |
/// | `max_hedges` | `1` | extra attempts a call may start (1 to 4), each `delay` after the one before |
/// | `name` | the fn's path | registry name; sites with one name share a hedge, its latencies and counters |
/// | `crate` | `"::resilience_runtime"` | path to this crate if it is renamed |
///
/// Only on an `async fn`, with `&self` rather than `&mut self`: the attempts run at the same
/// time, inside the call's own future (no task is spawned), so they share what the body
/// borrows. Dropping the losers releases everything they held: a bulkhead slot or a rate
/// limit permit below the hedge is back as soon as the winner answers.
///
/// A failed attempt does not start another: the call waits for the attempts in flight, and
/// when the last of them fails, its error is the call's. Put `#[retry]` above `#[hedge]` to
/// retry errors. A percentile delay is known once the hedge has seen 128 successful calls;
/// until then a call runs its first attempt alone. See the [`hedge`](mod@hedge) module.
///
/// ```
/// use resilience_runtime::{hedge, registry, Error};
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use std::time::Duration;
///
/// static CALLS: AtomicU32 = AtomicU32::new(0);
///
/// #[hedge(name = "doc-search", delay = "50ms")]
/// async fn search(query: &str) -> Result<usize, Error> {
///     // The first request is stuck for a second; the second answers in 10 ms.
///     let latency = if CALLS.fetch_add(1, Ordering::Relaxed) == 0 { 1_000 } else { 10 };
///     tokio::time::sleep(Duration::from_millis(latency)).await;
///     Ok(query.len())
/// }
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let start = tokio::time::Instant::now();
/// assert_eq!(search("socks").await.unwrap(), 5);
/// assert_eq!(start.elapsed(), Duration::from_millis(60));
/// assert_eq!(registry().hedge("doc-search").unwrap().metrics().hedges_won, 1);
/// # }
/// ```
pub use resilience_macros::hedge;

/// An allowance of calls per period (`"1000/day"`, `"500/h"`, `"N/<duration>"`), for the
/// whole fn or per key; a call over it is rejected at once with [`Error::QuotaExceeded`],
/// whose `resets_in` says when calls are admitted again. A quota never waits. (To smooth
/// calls out instead, use `#[rate_limit]`; see the README's "Rate limit or quota?".)
///
/// | key | default | meaning |
/// |---|---|---|
/// | `limit` | required | calls per period: `"1000/day"`, `"500/h"`, `"100/min"`, `"10/30s"` |
/// | `window` | `"fixed"` | `"fixed"`: counts start again at every boundary, aligned to UTC (days at 00:00 UTC, hours on the hour); `"sliding"`: never more than the limit in any span of one period, a freed slot back at most a thirty-first of the period late |
/// | `key` | none | an expression over the fn's arguments (any `Hash` value; `&str` is not copied): one allowance per key value |
/// | `max_keys` | `100_000` | with `key`: keys tracked at once; beyond it keys with nothing counted, then the least busy, are forgotten |
/// | `idle_ttl` | `"10m"` | with `key`: how long a key with nothing counted is remembered |
/// | `name` | the fn's path | registry name; sites with one name share a quota and its counts |
/// | `crate` | `"::resilience_runtime"` | path to this crate if it is renamed |
///
/// An outer `#[retry]` never retries a [`Error::QuotaExceeded`] (its period may be a day),
/// and an outer `#[circuit_breaker]` does not count it as a failure. On a sync fn too. See
/// the [`quota`](mod@quota) module.
///
/// ```
/// use resilience_runtime::{quota, registry, Error};
///
/// #[quota(name = "doc-api-daily", limit = "1000/day", key = client)]
/// async fn call_api(client: &str) -> Result<(), Error> {
///     Ok(())
/// }
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// for _ in 0..1000 {
///     call_api("acme").await.unwrap(); // all at once: an allowance, not a rate
/// }
/// assert!(matches!(call_api("acme").await, Err(Error::QuotaExceeded { .. })));
/// assert!(call_api("globex").await.is_ok()); // another key, another allowance
/// let quota = registry().quota("doc-api-daily").unwrap();
/// assert_eq!(quota.remaining(&"acme"), 0);
/// assert!(quota.resets_in(&"acme").unwrap() <= std::time::Duration::from_secs(86_400));
/// # }
/// ```
pub use resilience_macros::quota;
